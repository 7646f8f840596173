"""The HTTP API on both stores, through the test client."""

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import psycopg
import pytest
import time_machine
from eventsourcing import persistence
from fastapi.testclient import TestClient

from sansan import bootstrap
from sansan.access import AccessService
from sansan.api.app import create_app
from sansan.application import SansanApplication
from sansan.commands import examples as t
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.demo import demo_id
from sansan.persistence import parse_postgres_url
from sansan.settings import Settings
from tests.integration.api_support import ROLES, SCOPES, as_request, bearer, post
from tests.support import TODAY


@pytest.fixture
def client(app: SansanApplication, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, application=app), raise_server_exceptions=False)


@pytest.fixture
def tokens(app: SansanApplication) -> dict[str, str]:
    """One token per role; the tour's street and general branch are the scoped roles' subtrees."""
    access = AccessService(app)
    county, _ = access.issue_token(role="county", scope_org_id=None, label="县", actor="test")
    result = {"county": county}
    for command in t.tour()[:5]:  # the organizations the scoped tokens hang on
        app.execute(command, actor="test")
    for role in ROLES[1:]:
        result[role], _ = access.issue_token(
            role=role, scope_org_id=SCOPES[role], label=role, actor="test"
        )
    return result


@pytest.fixture
def toured(client: TestClient, tokens: dict[str, str]) -> list[Any]:
    """The rest of the tour, recorded over HTTP by the county."""
    return [post(client, tokens["county"], command) for command in t.tour()[5:]]


def is_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["message_zh"]
    assert body["message_en"]
    if code:
        assert body["code"] == code
    return body


def position(app: SansanApplication) -> int:
    return app.recorder.max_notification_id() or 0


def test_every_command_is_recorded_over_http_with_version_position_and_event(
    app: SansanApplication, toured: list[Any]
) -> None:
    for response, command in zip(toured, t.tour()[5:], strict=True):
        assert response.status_code in (200, 201), (type(command).__name__, response.text)
        body = response.json()
        assert body["events"]
        assert body["events"][0]["actor"] == "county:县"
        assert response.headers["ETag"] == f'"{body["version"]}"'
    assert toured[-1].json()["position"] == position(app)
    created = next(r for r in toured if r.status_code == 201)
    assert created.headers["Location"].endswith(created.json()["aggregate_id"])


def test_reads_give_state_version_etag_and_past_states(
    client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    auth = bearer(tokens["county"])
    now = client.get(f"/api/v1/communities/{t.COMMUNITY}", headers=auth)
    assert now.status_code == 200
    state = now.json()
    assert now.headers["ETag"] == f'"{state["version"]}"'
    # the tour's upgrade (85) and allocation (10,000) as its last two commands corrected them
    assert state["state"]["office_area_m2"] == 86
    assert state["state"]["funding_by_year"] == {"2026": "12000.00"}
    first = client.get(f"/api/v1/communities/{t.COMMUNITY}?version=1", headers=auth).json()
    assert (first["version"], first["state"]["office_area_m2"]) == (1, None)
    history = client.get(f"/api/v1/communities/{t.COMMUNITY}/history", headers=auth).json()
    assert [e["version"] for e in history] == list(range(1, state["version"] + 1))
    upgrade = next(e for e in history if e["type"] == "FacilityUpgraded")
    as_of = client.get(
        f"/api/v1/communities/{t.COMMUNITY}", params={"as_of": upgrade["recorded_at"]}, headers=auth
    ).json()
    assert as_of["version"] == upgrade["version"]
    naive = client.get(f"/api/v1/communities/{t.COMMUNITY}?as_of=2026-05-01T00:00:00", headers=auth)
    is_problem(naive, 422, "invalid_request")
    beyond = client.get(f"/api/v1/communities/{t.COMMUNITY}?version=999", headers=auth)
    is_problem(beyond, 404, "version_not_found")
    assert f"当前为第 {state['version']} 版" in beyond.json()["message_zh"]
    both = client.get(
        f"/api/v1/communities/{t.COMMUNITY}", params={"version": 1, "as_of": upgrade["recorded_at"]},
        headers=auth,
    )  # fmt: skip
    is_problem(both, 422, "version_with_as_of")


def test_bad_fields_are_named_one_by_one_in_both_languages_and_record_nothing(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    before = position(app)
    response = client.post(
        f"/api/v1/members/{t.DUAL}/trainings",
        json={"occurred_on": "2026-02-30", "days": "many", "method": "podcast", "extra": 1},
        headers=bearer(tokens["county"]),
    )
    body = is_problem(response, 422, "invalid_request")
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"occurred_on", "days", "method", "topic", "extra"}
    assert fields["topic"]["message_zh"] == "缺少必填字段"
    assert fields["method"]["message_zh"] == (  # the choices in words (review finding 1)
        "取值不在允许范围内，可选：课堂讲课、观看电教片、考察观摩、读书会、知识竞赛"
    )
    assert position(app) == before


def test_a_broken_rule_returns_its_stable_code_and_records_nothing(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    before = position(app)
    too_long = mc.RecordTraining(
        member_id=t.DUAL, occurred_on=TODAY, days=31, method="video", topic="t"
    )
    body = is_problem(post(client, tokens["county"], too_long), 422, "training_days_out_of_range")
    assert "培训天数" in body["message_zh"]
    future = too_long.model_copy(update={"days": 1, "occurred_on": TODAY + timedelta(days=1)})
    is_problem(post(client, tokens["county"], future), 422, "occurred_in_future")
    gone = mc.RecordTraining(
        member_id=t.MEMBER, occurred_on=TODAY, days=1, method="video", topic="t"
    )
    is_problem(post(client, tokens["county"], gone), 422, "member_transferred_out")
    assert position(app) == before


def test_no_route_a_method_not_taken_and_malformed_json_are_said_in_chinese(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = bearer(tokens["county"])
    nowhere = is_problem(client.get("/api/v1/nonexistent", headers=auth), 404)
    assert nowhere["message_zh"] == "未找到该接口"
    deleting = is_problem(client.delete(f"/api/v1/members/{t.DUAL}/trainings", headers=auth), 405)
    assert deleting["message_zh"] == "不支持该请求方法（允许：POST）"
    garbled = client.post(
        f"/api/v1/members/{t.DUAL}/trainings", content=b'{"occurred_on":"2026-11-20",',
        headers=auth | {"Content-Type": "application/json"},
    )  # fmt: skip
    [where] = is_problem(garbled, 422)["errors"]
    assert (where["field"], where["type"]) == ("body", "json_invalid")
    assert where["message_zh"] == "请求体不是有效的 JSON（第 29 个字符附近）"


def test_unknown_units_malformed_json_and_huge_bodies_are_refused_cleanly(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    auth = bearer(tokens["county"])
    before = position(app)
    is_problem(client.get(f"/api/v1/members/{uuid4()}", headers=auth), 404, "unit_not_found")
    is_problem(client.get(f"/api/v1/members/{t.COMMUNITY}", headers=auth), 404, "unit_not_found")
    is_problem(client.get("/api/v1/members/not-a-uuid", headers=auth), 422)
    unknown = mc.RecordTraining(
        member_id=uuid4(), occurred_on=TODAY, days=1, method="video", topic="t"
    )
    is_problem(post(client, tokens["county"], unknown), 404, "unit_not_found")
    garbled = client.post(
        f"/api/v1/members/{t.DUAL}/trainings",
        content=b'{"days": 2,',
        headers=auth | {"Content-Type": "application/json"},
    )
    assert is_problem(garbled, 422)["errors"][0]["type"] == "json_invalid"
    huge = json.dumps({"occurred_on": "2026-05-01", "topic": "x" * (1024 * 1024)})
    is_problem(
        client.post(f"/api/v1/members/{t.DUAL}/trainings", content=huge, headers=auth),
        413,
        "body_too_large",
    )

    def chunks() -> Any:  # no Content-Length: the limit must hold while the body streams in
        yield b'{"occurred_on": "2026-05-01", "topic": "'
        for _ in range(300):
            yield b"x" * 4096
        yield b'"}'

    streamed = client.post(f"/api/v1/members/{t.DUAL}/trainings", content=chunks(), headers=auth)
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    is_problem(streamed, 413, "body_too_large")
    is_problem(client.get("/api/v1/nothing-here", headers=auth), 404)
    assert position(app) == before

    def small() -> Any:
        yield b'{"occurred_on": "2026-05-01", "days": 1, '
        yield b'"method": "video", "topic": "t"}'

    assert (
        client.post(
            f"/api/v1/members/{t.DUAL}/trainings",
            content=small(),
            headers=auth | {"Content-Type": "application/json"},
        ).status_code
        == 200
    )  # a small streamed body still gets through


def test_missing_bad_and_revoked_tokens_get_401(
    app: SansanApplication, client: TestClient, tokens: dict[str, str]
) -> None:
    path = f"/api/v1/communities/{t.COMMUNITY}"
    is_problem(client.get(path), 401, "unauthenticated")
    is_problem(client.get(path, headers=bearer("ssn_forged")), 401, "unauthenticated")
    is_problem(client.get(path, headers={"Authorization": "Basic abc"}), 401)
    access = AccessService(app)
    token, token_id = access.issue_token(
        role="auditor", scope_org_id=None, label="临时", actor="test"
    )
    assert client.get(path, headers=bearer(token)).status_code == 200
    access.revoke_token(token_id, reason="离职", actor="test")
    assert is_problem(client.get(path, headers=bearer(token)), 401)["code"] == "unauthenticated"


def test_the_actor_comes_from_the_token_never_from_the_body(
    client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    request = as_request(
        mc.RecordTraining(member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t")
    )
    forged = client.post(
        request.path, json=request.body | {"actor": "county:boss"}, headers=bearer(tokens["client"])
    )
    assert is_problem(forged, 422)["errors"][0]["field"] == "actor"
    honest = client.post(request.path, json=request.body, headers=bearer(tokens["client"]))
    assert honest.json()["events"][0]["actor"] == "client:client"


def test_if_match_guards_against_lost_updates(
    client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    auth = bearer(tokens["county"])
    current = client.get(f"/api/v1/members/{t.DUAL}", headers=auth).headers["ETag"]
    command = mc.RecordTraining(
        member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t"
    )
    assert post(client, tokens["county"], command, **{"If-Match": current}).status_code == 200
    stale = is_problem(
        post(client, tokens["county"], command, **{"If-Match": current}), 412, "version_mismatch"
    )
    assert stale["current_version"] == int(current.strip('"')) + 1
    is_problem(
        post(client, tokens["county"], command, **{"If-Match": "yesterday"}),
        400,
        "invalid_if_match",
    )


def test_the_same_training_entered_again_is_refused_naming_the_first_but_a_retry_replays(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    """Six identical posts made a member's six training days of a year in one afternoon."""
    command = mc.RecordTraining(
        member_id=t.DUAL, occurred_on=TODAY, days=1, method="lecture", topic="党课"
    )
    first = post(client, tokens["county"], command, **{"Idempotency-Key": "dup-1"})
    assert first.status_code == 200, first.text
    recorded = position(app)
    for token, headers in (
        (tokens["county"], {}), (tokens["street"], {"Idempotency-Key": "dup-2"}),
    ):  # fmt: skip
        again = is_problem(post(client, token, command, **headers), 422, "duplicate_fact")
        assert f"第 {first.json()['version']} 版" in again["message_zh"]
        assert f"{TODAY}的培训（1 天，课堂讲课，主题“党课”）已记录" in again["message_zh"]
    replay = post(client, tokens["county"], command, **{"Idempotency-Key": "dup-1"})
    assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert position(app) == recorded
    other = post(client, tokens["county"], command.model_copy(update={"days": 2}))
    assert other.status_code == 200, other.text  # a second training that day is not this one


def test_a_retry_with_the_same_idempotency_key_records_nothing_new(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    command = mc.RecordTraining(
        member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t"
    )
    key = {"Idempotency-Key": "retry-1"}
    first = post(client, tokens["county"], command, **key)
    after_first = position(app)
    again = post(client, tokens["county"], command, **key)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert position(app) == after_first
    other_body = post(client, tokens["county"], command.model_copy(update={"days": 2}), **key)
    is_problem(other_body, 422, "idempotency_key_reused")
    # another principal's training (not the same one: that is refused as a duplicate fact)
    theirs = command.model_copy(update={"topic": "另一次"})
    other_principal = post(client, tokens["street"], theirs, **key)
    assert other_principal.json()["version"] == first.json()["version"] + 1
    creation = oc.EstablishPartyOrganization(
        occurred_on=TODAY, name="第二小区党支部", level="neighborhood_branch", parent_id=t.GB
    )
    made = [
        post(client, tokens["community"], creation, **{"Idempotency-Key": "new-branch"})
        for _ in range(3)
    ]
    assert {r.json()["aggregate_id"] for r in made} == {made[0].json()["aggregate_id"]}
    assert [r.status_code for r in made] == [201, 201, 201]


def test_concurrent_writers_get_success_or_409_and_no_update_is_lost(
    app: SansanApplication, settings: Settings, tokens: dict[str, str], toured: list[Any]
) -> None:
    api = create_app(settings, application=app)
    statuses: list[int] = []
    before = app.get(t.DUAL).training_days_by_year.get("2026", 0)
    start = threading.Barrier(8)

    def write(writer: int) -> None:
        own = TestClient(api, raise_server_exceptions=False)
        start.wait()
        for n in range(4):
            # each a training of its own: the same one twice is refused as a duplicate fact
            command = mc.RecordTraining(
                member_id=t.DUAL, occurred_on=TODAY, days=0.5, method="video",
                topic=f"t{writer}-{n}",
            )  # fmt: skip
            statuses.append(post(own, tokens["county"], command).status_code)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert set(statuses) <= {200, 409}
    assert len(statuses) == 32
    accepted = statuses.count(200)
    assert app.get(t.DUAL).training_days_by_year["2026"] == before + 0.5 * accepted


def test_reading_a_member_is_itself_recorded(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    before = position(app)
    client.get(f"/api/v1/members/{t.DUAL}", headers=bearer(tokens["street"]))
    client.get(f"/api/v1/members/{t.DUAL}/history", headers=bearer(tokens["auditor"]))
    client.get(
        f"/api/v1/communities/{t.COMMUNITY}", headers=bearer(tokens["street"])
    )  # no member, but its community workers (review-fixes8, finding 35)
    reads = [
        n
        for n in app.recorder.select_notifications(before + 1, 100)
        if "PersonalDataRead" in n.topic
    ]
    logged = [app.mapper.to_domain_event(n) for n in reads]
    said = [(e.actor, e.member_ids, e.purpose) for e in logged]  # type: ignore[attr-defined]
    assert said[:2] == [  # through which endpoint (review #2 finding 4)
        ("street:street", [t.DUAL], f"GET /api/v1/members/{t.DUAL}"),
        ("auditor:auditor", [t.DUAL], f"GET /api/v1/members/{t.DUAL}/history"),
    ]
    assert [(actor, purpose) for actor, _, purpose in said[2:]] == [
        ("street:street", f"GET /api/v1/communities/{t.COMMUNITY}（社区工作人员）")
    ]
    assert t.DUAL not in said[2][1]


def test_health_readiness_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    spec = client.get("/openapi.json").json()
    training = spec["paths"]["/api/v1/members/{id}/trainings"]["post"]
    body_ref = training["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[
        -1
    ]
    assert spec["components"]["schemas"][body_ref]["examples"][0]["method"] == "lecture"
    assert "422" in training["responses"]
    assert client.get("/docs").status_code == 200


def test_readiness_reports_an_unreachable_store_as_a_503_problem(
    app: SansanApplication, settings: Settings
) -> None:
    class Unreachable:
        def max_notification_id(self) -> int:
            raise ConnectionError("connection refused")

    api = create_app(settings, application=app)
    api.state.services.app = type("Down", (), {"recorder": Unreachable()})()
    response = TestClient(api).get("/readyz")
    body = is_problem(response, 503, "store_unavailable")
    assert "connection refused" in body["detail"]
    assert response.headers["Retry-After"] == "5"


def test_a_write_refused_by_a_read_only_store_is_a_503_and_any_other_internal_store_error_a_500(
    client: TestClient, tokens: dict[str, str], app: SansanApplication,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The library wraps psycopg's errors in its own InternalError; the cause decides."""

    def refuse(cause: Exception) -> None:
        def save(*_: object, **__: object) -> None:
            raise persistence.InternalError(str(cause)) from cause

        monkeypatch.setattr(app, "save", save)

    refuse(psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT"))
    body = is_problem(post(client, tokens["county"], t.tour()[5]), 503, "store_read_only")
    assert "只读" in body["message_zh"]
    refuse(psycopg.errors.InternalError_("something else"))
    is_problem(post(client, tokens["county"], t.tour()[5]), 500, "internal_error")


def test_readiness_reports_how_many_events_and_seconds_the_read_models_lag(
    app: SansanApplication, client: TestClient, tokens: dict[str, str]
) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    services.projections.catch_up()
    assert client.get("/readyz").json()["projections"] | {"position": 0} == {
        "position": 0, "behind_events": 0, "behind_seconds": 0.0,
    }  # fmt: skip
    # The library stamps events with the wall clock: move it, so the lag is known exactly.
    start = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        app.execute(t.tour()[5], actor="test")  # the oldest event not yet projected
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        app.execute(t.tour()[6], actor="test")
    unprojected = position(app) - services.projections.position()
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        lag = client.get("/readyz").json()["projections"]
    assert (lag["behind_events"], lag["behind_seconds"]) == (unprojected, 90.0)
    services.projections.catch_up()
    caught_up = client.get("/readyz").json()["projections"]
    assert (caught_up["behind_events"], caught_up["behind_seconds"]) == (0, 0.0)


@pytest.fixture
def one_second_lock_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked store answers after the lock timeout; 1 s here instead of SQLite's 15 s."""
    real = bootstrap.library_env

    def env(settings: Settings, *, create_tables: bool) -> dict[str, str]:
        built = real(settings, create_tables=create_tables)
        return built | {"SQLITE_LOCK_TIMEOUT": "1"} if "SQLITE_DBNAME" in built else built

    monkeypatch.setattr(bootstrap, "library_env", env)


@contextmanager
def write_lock_held_elsewhere(app: SansanApplication, settings: Settings) -> Iterator[None]:
    """Another connection holds the store's write lock, as a long writer would."""
    if settings.database_url.startswith("sqlite:///"):
        other = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"))
        other.execute("BEGIN IMMEDIATE")  # SQLite's one write lock
        try:
            yield
        finally:
            other.rollback()
            other.close()
        return
    # PostgreSQL: the advisory lock every event insert takes (persistence.py)
    with psycopg.connect(parse_postgres_url(settings.database_url).conninfo()) as other:
        other.execute(app.recorder.lock_table_statements[-1])  # type: ignore[attr-defined]
        yield
        other.rollback()


def test_a_store_locked_by_another_writer_answers_503_and_records_nothing(
    settings: Settings, open_app: Any, one_second_lock_waits: None
) -> None:
    app = open_app(postgres_lock_timeout_s=1)
    client = TestClient(create_app(settings, application=app), raise_server_exceptions=False)
    county, _ = AccessService(app).issue_token(
        role="county", scope_org_id=None, label="县", actor="t"
    )
    key = {"Idempotency-Key": "while-locked"}
    before = position(app)
    with write_lock_held_elsewhere(app, settings):
        locked = post(client, county, t.tour()[1], **key)
    body = is_problem(locked, 503, "store_unavailable")
    assert "Idempotency-Key" in body["message_en"]
    assert locked.headers["Retry-After"]
    assert position(app) == before
    retried = post(client, county, t.tour()[1], **key)
    assert retried.status_code == 201, retried.text
    recorded = position(app)
    assert recorded > before
    assert post(client, county, t.tour()[1], **key).json() == retried.json()
    assert position(app) == recorded


def test_an_idempotency_key_still_answers_the_first_result_after_a_restart(
    settings: Settings, open_app: Any
) -> None:
    first_app = open_app()
    county, _ = AccessService(first_app).issue_token(
        role="county", scope_org_id=None, label="县", actor="t"
    )
    for command in t.tour()[:5]:
        first_app.execute(command, actor="test")
    command = t.tour()[6]
    key = {"Idempotency-Key": "before-restart"}
    first = post(TestClient(create_app(settings, application=first_app)), county, command, **key)
    assert first.status_code == 200, first.text
    first_app.close()  # the process ends; a new one opens the same store

    restarted = open_app()
    recorded = position(restarted)
    client = TestClient(create_app(settings, application=restarted), raise_server_exceptions=False)
    again = post(client, county, command, **key)
    assert (again.status_code, again.json()) == (200, first.json())
    assert position(restarted) == recorded
    changed = post(client, county, command.model_copy(update={"office_area_m2": 1}), **key)
    is_problem(changed, 422, "idempotency_key_reused")
    assert position(restarted) == recorded


def test_two_authorization_headers_are_refused_as_ambiguous_whichever_comes_first(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    # The first header used to win silently: which principal acted hung on the headers' order.
    request = as_request(
        mc.RecordTraining(member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t")
    )
    before = position(app)
    pairs = [
        (tokens["county"], tokens["street"]),
        (tokens["county"], tokens["county"]),
        (tokens["county"], "ssn_forged"),
    ]
    for first, second in pairs:
        headers = [("Authorization", f"Bearer {first}"), ("Authorization", f"Bearer {second}")]
        write = client.post(request.path, json=request.body, headers=headers)
        assert is_problem(write, 400, "ambiguous_credentials")
        assert write.headers["WWW-Authenticate"] == 'Bearer error="invalid_request"'
        read = client.get(f"/api/v1/members/{t.DUAL}", headers=headers)
        is_problem(read, 400, "ambiguous_credentials")
    assert position(app) == before
    assert client.post(request.path, json=request.body, headers=bearer(tokens["county"])).is_success


def test_an_idempotency_key_is_read_without_the_blanks_around_it_and_a_blank_one_is_refused(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    command = mc.RecordTraining(
        member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t"
    )
    first = post(client, tokens["county"], command, **{"Idempotency-Key": "padded-1"})
    after_first = position(app)
    for padded in (" padded-1", "padded-1  ", "\tpadded-1 "):
        again = post(client, tokens["county"], command, **{"Idempotency-Key": padded})
        assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert position(app) == after_first
    for blank in ("", "   "):
        refused = post(client, tokens["county"], command, **{"Idempotency-Key": blank})
        is_problem(refused, 400, "invalid_idempotency_key")
    assert position(app) == after_first


def test_a_boolean_is_not_a_number_and_is_refused_field_by_field(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    # pydantic's lax mode read "days": true as one day of training
    before = position(app)
    response = client.post(
        f"/api/v1/members/{t.DUAL}/trainings",
        json={"occurred_on": "2026-02-03", "days": True, "method": "video", "topic": "t"},
        headers=bearer(tokens["county"]),
    )
    body = is_problem(response, 422, "invalid_request")
    assert [(e["field"], e["type"], e["message_zh"]) for e in body["errors"]] == [
        ("days", "number_not_boolean", "必须是数字，不能是 true 或 false")
    ]
    assert position(app) == before


def test_a_write_to_a_path_with_a_trailing_slash_is_a_problem_not_an_empty_redirect(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any]
) -> None:
    request = as_request(
        mc.RecordTraining(member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t")
    )
    before = position(app)
    for method in ("POST", "PUT", "DELETE"):
        answer = client.request(
            method, request.path + "/", json=request.body, headers=bearer(tokens["county"]),
            follow_redirects=False,
        )  # fmt: skip
        body = is_problem(answer, 404, "trailing_slash")
        assert request.path in body["message_zh"]
        assert request.path in body["message_en"]
    assert position(app) == before
    # a path that does not exist either way is the plain 404; reads keep the redirect
    is_problem(client.post("/api/v1/nowhere/", headers=bearer(tokens["county"])), 404, "not_found")
    read = client.get(f"/api/v1/members/{t.DUAL}/", follow_redirects=False)
    assert read.status_code == 307


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
     "application/xml", "text/json", None],
)  # fmt: skip
def test_a_command_body_sent_as_anything_but_json_is_a_415_problem_naming_json(
    app: SansanApplication, client: TestClient, tokens: dict[str, str], toured: list[Any],
    content_type: str | None,
) -> None:  # fmt: skip
    request = as_request(
        mc.RecordTraining(member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t")
    )
    before = position(app)
    headers = bearer(tokens["county"])
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = client.post(request.path, content=json.dumps(request.body), headers=headers)
    body = is_problem(answer, 415, "unsupported_media_type")
    assert "application/json" in body["message_zh"]
    assert "application/json" in body["message_en"]
    assert answer.headers["Accept-Post"] == "application/json"
    assert position(app) == before


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8",
                     "Application/JSON", "application/merge-patch+json"],
)  # fmt: skip
def test_a_command_body_sent_as_json_is_read_as_json(
    client: TestClient, tokens: dict[str, str], toured: list[Any], content_type: str
) -> None:
    request = as_request(
        mc.RecordTraining(member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t")
    )
    headers = bearer(tokens["county"]) | {"Content-Type": content_type}
    answer = client.post(request.path, content=json.dumps(request.body), headers=headers)
    assert answer.status_code == 200, answer.text

def test_a_second_member_of_one_branch_under_the_same_name_is_refused(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    # Imports find a member by branch and name: a second 刘芳 in one branch would make
    # every later row for 刘芳 ambiguous, so the API refuses it as the roster import skips it.
    client, tokens = demo
    services = client.app.state.services  # type: ignore[attr-defined]
    first, other = demo_id("org", "铁西第1小区党支部"), demo_id("org", "铁西第2小区党支部")

    def register(branch: object, name: str = "王同名", **headers: str) -> Any:
        body = {"name": name, "category": "direct", "occurred_on": TODAY.isoformat(),
                "organization_id": str(branch)}  # fmt: skip
        answer = client.post(
            "/api/v1/members", json=body, headers={**bearer(tokens["county"]), **headers}
        )
        services.projections.catch_up()
        return answer

    assert register(first, "刘芳").json()["code"] == "member_name_taken"  # the demo's 刘芳
    created = register(first, **{"Idempotency-Key": "same-name"})
    assert created.status_code == 201, created.text
    again = register(first)
    assert again.status_code == 422
    assert again.headers["content-type"] == "application/problem+json"
    problem = again.json()
    assert problem["code"] == "member_name_taken"
    assert "王同名" in problem["message_zh"]
    assert created.json()["aggregate_id"] in problem["message_zh"]
    retried = register(first, **{"Idempotency-Key": "same-name"})  # the same request again
    assert (retried.status_code, retried.json()) == (201, created.json())
    assert register(other).status_code == 201  # another branch's 王同名 is another person
    assert len(services.read_models.members_named(first, "王同名")) == 1
