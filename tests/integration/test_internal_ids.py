"""The service's own records (firings, idempotency records) live under ids no client can take.

The attacks of issue 14 are replayed through the HTTP API: a client creates a unit under
the id the service would give its own record, and the service must neither mistake it
for that record nor fail on it.
"""

import logging
import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import update

from sansan.application import SansanApplication
from sansan.bootstrap import Services
from sansan.clock import FixedClock
from sansan.commands import examples as t
from sansan.commands.member import RegisterMember
from sansan.demo import demo_id
from sansan.domain import AuditCheckpoint, Firing, IdempotencyRecord
from sansan.internal_ids import (
    InternalIds,
    InternalKey,
    checkpoint_key,
    firing_key,
    idempotency_record_key,
)
from sansan.settings import Settings
from sansan.workflows.scheduler import Scheduler
from tests.integration.api_support import bearer
from tests.integration.test_hostile_input import recorded_since
from tests.integration.test_scheduler import at, firings

COUNTY_ACTOR = "county:县委组织部（演示）"
TIEXI_BRANCH = demo_id("org", "铁西社区党总支")
ITEM = demo_id("supervision", "镇郊-standard-site")  # due 2026-12-26 in the demo
ITEM_DUE = date(2026, 12, 26)
RED_LIGHT_DAY = ITEM_DUE + timedelta(days=1)
# The old derivations, public: anyone could compute them from what the API shows.
OLD_FIRING_NS = UUID("3c1f6a90-2f4e-4f7e-9a55-6d1b7e0c2a44")
OLD_IDEMPOTENCY_NS = UUID("8d0a7a4e-5b59-4c2e-9d4f-0f6a1c3b2e71")


class PublicIds(InternalIds):
    """The derivation before the secret: what an old store's records were saved under."""

    def candidates(self, key: InternalKey) -> Any:
        yield key.legacy_id


def red_light_key() -> InternalKey:
    return firing_key(f"item:{ITEM}:{ITEM_DUE}", "supervision_overdue", str(ITEM), ITEM_DUE, -1)


def register_member(client: TestClient, token: str, member_id: UUID, today: date) -> Any:
    body = {
        "id": str(member_id), "occurred_on": today.isoformat(), "name": "张三",
        "category": "direct", "organization_id": str(TIEXI_BRANCH),
    }  # fmt: skip
    return client.post("/api/v1/members", json=body, headers=bearer(token))


def plant_member(app: SansanApplication, member_id: UUID, today: date) -> None:
    """A unit under a keyed (version-8) id: the API refuses such ids, and only someone
    holding the secret could compute one, so the test records it past the API."""
    command = RegisterMember.model_construct(
        id=member_id, occurred_on=today, name="张三", category="direct",
        organization_id=TIEXI_BRANCH, note=None, evidence_ref=None, birth_year=None,
        workplace=None,
    )  # fmt: skip
    app.execute(command, actor="community:planted")


def red_lights(services: Services) -> list[dict[str, Any]]:
    return [
        f for f in firings(services)
        if f["kind"] == "supervision_overdue" and f["unit_id"] == str(ITEM)
    ]  # fmt: skip


def tick_on(services: Services, clock: FixedClock, day: date) -> int:
    services.projections.catch_up()
    clock.set(at(day))
    return Scheduler(services).tick()


def services_of(client: TestClient) -> Services:
    return client.app.state.services  # type: ignore[attr-defined,no-any-return]


def test_a_community_cannot_silence_an_overdue_supervision_light_with_a_chosen_member_id(
    demo: tuple[TestClient, dict[str, str]], clock: FixedClock
) -> None:
    client, tokens = demo
    red_light = uuid.uuid5(OLD_FIRING_NS, red_light_key().natural_key)
    taken = register_member(client, tokens["community"], red_light, clock.today())
    assert taken.status_code == 201, taken.text  # client-chosen ids stay possible
    tick_on(services_of(client), clock, RED_LIGHT_DAY)
    [light] = red_lights(services_of(client))
    assert light["addressees"] == ["community_secretary", "street", "county"]


def test_a_community_cannot_break_the_countys_retries_with_a_chosen_member_id(
    demo: tuple[TestClient, dict[str, str]], clock: FixedClock
) -> None:
    client, tokens = demo
    record = uuid.uuid5(OLD_IDEMPOTENCY_NS, f"{COUNTY_ACTOR}\nretry-1")
    assert register_member(client, tokens["community"], record, clock.today()).status_code == 201
    headers = bearer(tokens["county"]) | {"Idempotency-Key": "retry-1"}
    body = {"occurred_on": clock.today().isoformat(), "name": "李四", "category": "direct",
            "organization_id": str(TIEXI_BRANCH)}  # fmt: skip
    first = client.post("/api/v1/members", json=body, headers=headers)
    retry = client.post("/api/v1/members", json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201), (first.text, retry.text)
    assert retry.json() == first.json()


def test_a_unit_found_under_a_keyed_internal_id_is_logged_as_a_clash_and_passed_over(
    app: SansanApplication, demo: tuple[TestClient, dict[str, str]], clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    client, tokens = demo
    light_id = next(app.ids.candidates(red_light_key()))
    record_id = next(app.ids.candidates(idempotency_record_key(COUNTY_ACTOR, "retry-2")))
    for planted in (light_id, record_id):
        plant_member(app, planted, clock.today())
    headers = bearer(tokens["county"]) | {"Idempotency-Key": "retry-2"}
    body = {"occurred_on": clock.today().isoformat(), "name": "李四", "category": "direct",
            "organization_id": str(TIEXI_BRANCH)}  # fmt: skip
    with caplog.at_level(logging.ERROR, logger="sansan.application"):
        first = client.post("/api/v1/members", json=body, headers=headers)
        retry = client.post("/api/v1/members", json=body, headers=headers)
        assert tick_on(services_of(client), clock, RED_LIGHT_DAY) > 0
    assert (first.status_code, retry.status_code) == (201, 201), (first.text, retry.text)
    assert retry.json() == first.json()
    assert len(red_lights(services_of(client))) == 1
    clashes = [r.getMessage() for r in caplog.records if "internal id clash" in r.getMessage()]
    assert any(f"firing {light_id} holds a Member" in m for m in clashes), clashes
    assert any(f"idempotency {record_id} holds a Member" in m for m in clashes), clashes


def test_firings_and_retries_recorded_under_the_old_public_ids_are_found_after_the_upgrade(
    app: SansanApplication, demo: tuple[TestClient, dict[str, str]], clock: FixedClock
) -> None:
    client, tokens = demo
    services = services_of(client)
    keyed = app.ids
    app.ids = PublicIds(b"")  # the store as the old release wrote it
    headers = bearer(tokens["county"]) | {"Idempotency-Key": "before-upgrade"}
    body = {"occurred_on": clock.today().isoformat(), "name": "李四", "category": "direct",
            "organization_id": str(TIEXI_BRANCH)}  # fmt: skip
    before = client.post("/api/v1/members", json=body, headers=headers)
    fired_before = tick_on(services, clock, RED_LIGHT_DAY)
    assert fired_before > 0
    assert isinstance(app.repository.get(red_light_key().legacy_id), Firing)
    services.projections.catch_up()
    with services.store.transaction(lock=True) as cursor:  # as if it crashed before marking
        cursor.execute(update(cursor.t.deadline_steps).values(done=False))
    app.ids = keyed
    assert Scheduler(services).tick() == 0
    assert len(red_lights(services)) == 1
    after = client.post("/api/v1/members", json=body, headers=headers)
    assert (before.status_code, after.status_code) == (201, 201), after.text
    assert after.json() == before.json()
    assert isinstance(app.repository.get(idempotency_record_key(COUNTY_ACTOR, "before-upgrade").legacy_id),
                      IdempotencyRecord)  # fmt: skip


def test_every_process_on_a_store_keys_internal_ids_with_the_one_secret_kept_there(
    app: SansanApplication, open_app: Any
) -> None:
    other = open_app()
    assert other.ids == app.ids
    assert len(app.ids.secret) >= 32
    key = red_light_key()
    [first, *_] = app.ids.candidates(key)
    assert first != key.legacy_id
    assert first.version == 8
    chosen = "s" * 40
    assert open_app(id_secret=SecretStr(chosen)).ids.secret == chosen.encode()


def test_an_id_secret_shorter_than_32_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        Settings(id_secret="short")


def test_keyed_ids_depend_on_the_secret_and_on_what_they_are_for() -> None:
    key = red_light_key()
    one, other = InternalIds(b"a" * 32), InternalIds(b"b" * 32)
    assert next(one.candidates(key)) != next(other.candidates(key))
    assert len(set(one.candidates(key))) == len(list(one.candidates(key)))
    assert next(one.candidates(InternalKey("checkpoint", key.natural_key))) != next(
        one.candidates(key)
    )
    assert t.MEMBER not in set(one.candidates(key))


def test_an_audit_checkpoint_recorded_under_its_old_public_id_is_not_recorded_again(
    services: Services,
) -> None:
    chain, keyed = services.audit.chain, services.app.ids
    head = chain.head()
    assert head is not None
    services.app.ids = PublicIds(b"")  # the store as the old release wrote it
    assert chain.checkpoint(head, "first")
    services.app.ids = keyed
    assert not chain.checkpoint(head, "first")  # a second follower, after the upgrade
    key = checkpoint_key(head.seq)
    assert isinstance(services.app.repository.get(key.legacy_id), AuditCheckpoint)
    assert services.app.internal_record(AuditCheckpoint, key)[0] == key.legacy_id


class OneCandidate(InternalIds):
    """Keys with a single candidate id, so one planted unit takes them all."""

    def candidates(self, key: InternalKey) -> Any:
        yield next(super().candidates(key))


def test_when_every_candidate_id_is_taken_the_write_answers_409_and_records_nothing(
    app: SansanApplication, demo: tuple[TestClient, dict[str, str]], clock: FixedClock
) -> None:
    client, tokens = demo
    app.ids = OneCandidate(app.ids.secret)
    plant_member(app, next(app.ids.candidates(idempotency_record_key(COUNTY_ACTOR, "retry-3"))),
                 clock.today())  # fmt: skip
    before = app.recorder.max_notification_id()
    headers = bearer(tokens["county"]) | {"Idempotency-Key": "retry-3"}
    body = {"occurred_on": clock.today().isoformat(), "name": "李四", "category": "direct",
            "organization_id": str(TIEXI_BRANCH)}  # fmt: skip
    answer = client.post("/api/v1/members", json=body, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (409, "internal_id_clash")
    assert answer.headers["content-type"] == "application/problem+json"
    assert recorded_since(app, before) == []


def test_a_client_cannot_create_a_unit_under_a_version_8_id_the_service_keeps_for_itself(
    app: SansanApplication, demo: tuple[TestClient, dict[str, str]], clock: FixedClock
) -> None:
    client, tokens = demo
    before = app.recorder.max_notification_id()
    keyed = next(app.ids.candidates(red_light_key()))
    answer = register_member(client, tokens["county"], keyed, clock.today())
    assert answer.status_code == 422, answer.text
    [field] = answer.json()["errors"]
    assert (field["field"], field["type"]) == ("id", "reserved_id")
    assert field["message_zh"] == "版本 8 的 UUID 留作服务内部记录，请换用其他编号"
    assert recorded_since(app, before) == []
