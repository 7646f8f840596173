"""A supervision item's review belongs to the level that assigned it, its deadline stays within
reach, and a deadline the projection cannot place never stops the read models (outside review,
findings 34 and 39)."""

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sansan.api.app import create_app
from sansan.application import SansanApplication
from sansan.bootstrap import Services
from sansan.clock import FixedClock
from sansan.commands import examples as t
from sansan.commands import supervision as sc
from sansan.domain import SupervisionItem
from sansan.domain.base import Provenance
from tests.integration.api_support import post, tour_role_client
from tests.integration.test_notifications import written_since
from tests.support import ACTOR

DAY = date(2026, 5, 1)
_NONE = SimpleNamespace(position=0)


@pytest.fixture
def api(services: Services) -> Iterator[tuple[TestClient, dict[str, str]]]:
    yield from tour_role_client(services)


def handled_and_reported(client: TestClient, tokens: dict[str, str], assigner: str) -> UUID:
    assigned = post(client, tokens[assigner], sc.AssignSupervisionItem(
        occurred_on=DAY, title="整改", assignee_org_id=t.GB, due_on=date(2026, 12, 31),
    ))  # fmt: skip
    assert assigned.status_code == 201, assigned.text
    item = UUID(assigned.json()["aggregate_id"])
    for step in (
        sc.AcknowledgeSupervisionItem(item_id=item, occurred_on=DAY),
        sc.StartSupervisionItem(item_id=item, occurred_on=DAY),
        sc.RequestExtension(item_id=item, occurred_on=DAY, requested_due_on=date(2027, 1, 31),
                            reason="施工"),
    ):  # fmt: skip
        assert post(client, tokens["community"], step).status_code == 200
    return item


def steps(item: UUID) -> list[Any]:
    return [
        sc.ApproveExtension(item_id=item, occurred_on=DAY),
        sc.ReportSupervisionItem(item_id=item, occurred_on=DAY, summary="已整改"),
        sc.AcceptSupervisionItem(item_id=item, occurred_on=DAY),
        sc.CloseSupervisionItem(item_id=item, occurred_on=DAY),
    ]


def test_a_street_may_not_extend_accept_or_close_what_the_county_assigned(
    api: tuple[TestClient, dict[str, str]], services: Services
) -> None:
    client, tokens = api
    item = handled_and_reported(client, tokens, "county")
    for step in steps(item):
        if isinstance(step, sc.ReportSupervisionItem):
            assert post(client, tokens["community"], step).status_code == 200
            continue
        before = services.app.recorder.max_notification_id()
        refused = post(client, tokens["street"], step)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "review_by_assigner"
        assert "交办单位" in refused.json()["message_zh"]
        assert services.app.recorder.max_notification_id() == before
        assert post(client, tokens["county"], step).status_code == 200
    assert services.app.repository.get(item).status == "closed"


def test_a_street_reviews_what_it_assigned_itself(
    api: tuple[TestClient, dict[str, str]], services: Services
) -> None:
    client, tokens = api
    item = handled_and_reported(client, tokens, "street")
    for step in steps(item):
        role = "community" if isinstance(step, sc.ReportSupervisionItem) else "street"
        assert post(client, tokens[role], step).status_code == 200
    assert services.app.repository.get(item).status == "closed"


def test_a_deadline_decades_away_is_refused_on_its_field(
    api: tuple[TestClient, dict[str, str]], services: Services
) -> None:
    client, tokens = api
    before = services.app.recorder.max_notification_id()
    refused = post(client, tokens["county"], sc.AssignSupervisionItem(
        occurred_on=DAY, title="测试", assignee_org_id=t.GB, due_on=date(9999, 12, 31),
    ))  # fmt: skip
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "deadline_too_far"
    assert "三年" in refused.json()["message_zh"]
    assert services.app.recorder.max_notification_id() == before


def _stored_before_the_bound(app: SansanApplication, due_on: date) -> UUID:
    """An item as a store from before the bound may hold it: recorded past the command's check."""
    prov = Provenance(actor=ACTOR, occurred_on=DAY, today=DAY)
    gb = app.repository.get(t.GB)
    item = SupervisionItem._begin(
        SupervisionItem.SupervisionItemAssigned, prov, title="测试", description="",
        campaign_id=None, assignee_org_id=gb.id, community_id=gb.community_id, due_on=due_on,
    )  # fmt: skip
    app.save(item)
    return item.id


def test_a_stored_deadline_at_the_calendar_s_end_does_not_stop_the_read_models(
    services: Services,
) -> None:
    item = _stored_before_the_bound(services.app, date(9999, 12, 31))
    later = services.app.execute(t.tour()[12], actor=ACTOR)  # anything recorded after it
    services.projections.catch_up()
    assert services.projections.position() == services.app.recorder.max_notification_id()
    with services.store.transaction() as cursor:
        steps_ = cursor.t.deadline_steps
        fire_on = cursor.execute(
            select(steps_.c.lead_days, steps_.c.fire_on).where(
                steps_.c.deadline_id == f"item:{item}:9999-12-31"
            )
        ).fetchall()
    assert [tuple(r) for r in fire_on] == [(7, "9999-12-24")]  # the day after cannot come
    assert later.aggregate_id is not None


def test_readyz_says_the_read_models_stopped_while_a_batch_keeps_failing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sansan.projections import runner

    original = runner.apply_event

    def poisoned(batch: Any, event: Any, *rest: Any) -> None:
        if isinstance(event, SupervisionItem.SupervisionItemAssigned):
            raise RuntimeError("cannot project this event")
        original(batch, event, *rest)

    monkeypatch.setattr(runner, "apply_event", poisoned)
    monkeypatch.setattr(runner, "STALLED_AFTER", 0.5)
    api = create_app(services.settings, application=services.app)
    with TestClient(api, raise_server_exceptions=False) as client:
        assert client.get("/readyz").status_code == 200
        _stored_before_the_bound(services.app, date(2026, 12, 31))
        deadline = time.monotonic() + 30
        answer = client.get("/readyz")
        while answer.status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
            answer = client.get("/readyz")
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "projections_stalled"
        assert "读取模型已停止更新" in answer.json()["message_zh"]
        # the audit chain follows the log, not the read models: later writes are still chained
        services.app.execute(t.tour()[12], actor=ACTOR)
        chain = api.state.services.audit.chain
        head = services.app.recorder.max_notification_id()
        while (chain.head() or _NONE).position < head and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (chain.head() or _NONE).position == head
        assert client.get("/readyz").status_code == 503  # the projection is still stuck
        monkeypatch.setattr(runner, "apply_event", original)  # the cause is repaired
        projections = api.state.services.projections
        projections.wake()
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get("/readyz").status_code == 200
        assert projections.position() == services.app.recorder.max_notification_id()


def _assigned(client: TestClient, tokens: dict[str, str], due_on: date) -> Any:
    return post(client, tokens["street"], sc.AssignSupervisionItem(
        occurred_on=DAY, title="整改", assignee_org_id=t.GB, due_on=due_on,
    ))  # fmt: skip


def test_a_deadline_may_fall_three_calendar_years_on_and_not_a_day_later(
    api: tuple[TestClient, dict[str, str]], services: Services
) -> None:
    """Assigned 2026-05-01: 2029-05-01 is the last day (3 × 366 days reached 2029-05-03)."""
    client, tokens = api
    refused = _assigned(client, tokens, date(2029, 5, 2))
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "deadline_too_far"
    assert "即 2029-05-01" in refused.json()["message_zh"]
    assert _assigned(client, tokens, date(2029, 5, 1)).status_code == 201


def test_an_extension_waits_until_handling_has_started(
    api: tuple[TestClient, dict[str, str]], services: Services
) -> None:
    client, tokens = api
    item = UUID(_assigned(client, tokens, date(2026, 12, 31)).json()["aggregate_id"])
    ask = sc.RequestExtension(item_id=item, occurred_on=DAY, requested_due_on=date(2027, 1, 31),
                              reason="需协调")  # fmt: skip
    ack = sc.AcknowledgeSupervisionItem(item_id=item, occurred_on=DAY)
    assert post(client, tokens["community"], ack).status_code == 200
    before = services.app.recorder.max_notification_id()
    refused = post(client, tokens["community"], ask)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "transition_not_allowed"
    assert "请先开始办理" in refused.json()["message_zh"]
    assert services.app.recorder.max_notification_id() == before
    start = sc.StartSupervisionItem(item_id=item, occurred_on=DAY)
    assert post(client, tokens["community"], start).status_code == 200
    assert post(client, tokens["community"], ask).status_code == 200


def test_an_item_waiting_for_review_is_not_urged(
    api: tuple[TestClient, dict[str, str]], services: Services
) -> None:
    client, tokens = api
    item = UUID(_assigned(client, tokens, date(2026, 12, 31)).json()["aggregate_id"])
    urge = sc.UrgeSupervisionItem(item_id=item, occurred_on=DAY, message="请尽快")
    assert post(client, tokens["street"], urge).status_code == 200  # not yet signed: urged
    for step in (
        sc.AcknowledgeSupervisionItem(item_id=item, occurred_on=DAY),
        sc.StartSupervisionItem(item_id=item, occurred_on=DAY),
        sc.ReportSupervisionItem(item_id=item, occurred_on=DAY, summary="已整改"),
    ):
        assert post(client, tokens["community"], step).status_code == 200
    before = services.app.recorder.max_notification_id()
    refused = post(client, tokens["street"], urge)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "transition_not_allowed"
    assert "已反馈办理结果，正待审核" in refused.json()["message_zh"]
    assert services.app.recorder.max_notification_id() == before
    assert services.app.repository.get(item).urge_count == 1


def test_if_match_star_writes_without_a_version_check(
    api: tuple[TestClient, dict[str, str]], services: Services
) -> None:
    """RFC 9110 §13.1.1: ``If-Match: *`` matches any current version."""
    client, tokens = api
    item = UUID(_assigned(client, tokens, date(2026, 12, 31)).json()["aggregate_id"])
    ack = sc.AcknowledgeSupervisionItem(item_id=item, occurred_on=DAY)
    written = post(client, tokens["community"], ack, **{"If-Match": "*"})
    assert written.status_code == 200, written.text
    assert services.app.repository.get(item).status == "acknowledged"
    bad = post(client, tokens["community"], ack, **{"If-Match": "**"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_if_match"


# 16:30 UTC on 31 December is already 1 January in China: the county's today.
NEW_YEAR_IN_CHINA = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)


def test_a_deadline_before_today_s_china_date_is_refused_on_its_field(
    api: tuple[TestClient, dict[str, str]], services: Services, clock: FixedClock
) -> None:
    """Review 3 finding 9: an item assigned with a deadline already past turned red and alerted
    the community, the street and the county at once. Today is the China date, so at 16:30 UTC
    on 31 December a deadline of 31 December has passed, and 1 January is still in time."""
    client, tokens = api
    clock.set(NEW_YEAR_IN_CHINA)
    before = services.app.recorder.max_notification_id()
    late = post(client, tokens["street"], sc.AssignSupervisionItem(
        occurred_on=date(2026, 12, 31), title="整改", assignee_org_id=t.GB,
        due_on=date(2026, 12, 31),
    ))  # fmt: skip
    assert late.status_code == 422, late.text
    problem = late.json()
    assert problem["code"] == "deadline_passed"
    [entry] = problem["errors"]
    assert entry["field"] == "due_on"
    assert entry["message_zh"].startswith("“办理期限”不能早于今天（2027年1月1日）"), entry
    assert "2026-12-31" in entry["message_en"]
    assert written_since(services.app, before or 0) == []
    in_time = post(client, tokens["street"], sc.AssignSupervisionItem(
        occurred_on=date(2026, 12, 31), title="整改", assignee_org_id=t.GB,
        due_on=date(2027, 1, 1),
    ))  # fmt: skip
    assert in_time.status_code == 201, in_time.text


def test_an_item_dated_weeks_back_is_history_kept_with_its_dates_and_shown_overdue(
    api: tuple[TestClient, dict[str, str]], services: Services, clock: FixedClock
) -> None:
    """Only a deadline set now must not have passed: a week is the most a fresh assignment is
    typed in late. An item taken from last month's paper keeps its dates, overdue as it is."""
    client, tokens = api
    clock.set(NEW_YEAR_IN_CHINA)  # China's 1 January 2027
    week_late = post(client, tokens["street"], sc.AssignSupervisionItem(
        occurred_on=date(2026, 12, 25), title="整改", assignee_org_id=t.GB,
        due_on=date(2026, 12, 31),
    ))  # fmt: skip
    assert week_late.status_code == 422, week_late.text
    assert week_late.json()["code"] == "deadline_passed"
    history = post(client, tokens["street"], sc.AssignSupervisionItem(
        occurred_on=date(2026, 12, 24), title="整改", assignee_org_id=t.GB,
        due_on=date(2026, 12, 31),
    ))  # fmt: skip
    assert history.status_code == 201, history.text
    item = client.get(
        f"/api/v1/supervision-items/{history.json()['aggregate_id']}",
        headers={"Authorization": f"Bearer {tokens['street']}"},
    )
    assert item.status_code == 200, item.text
    assert item.json()["state"]["due_on"] == "2026-12-31"
    assert item.json()["standing"]["standing_zh"] == "红灯：已逾期1天"


def test_an_extension_to_a_day_already_past_is_neither_asked_nor_approved(
    api: tuple[TestClient, dict[str, str]], services: Services, clock: FixedClock
) -> None:
    """The same rule for the deadline an extension gives: asked for before its day passed and
    approved after it, the item would be overdue the moment it was extended."""
    client, tokens = api
    item = UUID(_assigned(client, tokens, date(2026, 12, 1)).json()["aggregate_id"])
    for step in (sc.AcknowledgeSupervisionItem(item_id=item, occurred_on=DAY),
                 sc.StartSupervisionItem(item_id=item, occurred_on=DAY)):  # fmt: skip
        assert post(client, tokens["community"], step).status_code == 200
    asked = sc.RequestExtension(item_id=item, occurred_on=date(2026, 11, 27),
                                requested_due_on=date(2026, 12, 31), reason="施工")  # fmt: skip
    assert post(client, tokens["community"], asked).status_code == 200
    clock.set(NEW_YEAR_IN_CHINA)
    before = services.app.recorder.max_notification_id()
    approved = post(client, tokens["street"], sc.ApproveExtension(
        item_id=item, occurred_on=date(2027, 1, 1)))  # fmt: skip
    assert approved.status_code == 422, approved.text
    assert approved.json()["code"] == "deadline_passed"
    assert "申请延期至2026年12月31日，已早于今天（2027年1月1日）" in approved.json()["message_zh"]
    refusal = sc.RefuseExtension(item_id=item, occurred_on=date(2027, 1, 1), reason="期限已过")
    assert post(client, tokens["street"], refusal).status_code == 200
    again = post(client, tokens["community"], sc.RequestExtension(
        item_id=item, occurred_on=date(2027, 1, 1), requested_due_on=date(2026, 12, 31),
        reason="施工",
    ))  # fmt: skip
    assert again.status_code == 422, again.text
    assert again.json()["code"] == "deadline_passed"
    assert [e["field"] for e in again.json()["errors"]] == ["requested_due_on"]
    assert written_since(services.app, before or 0) == [  # the refusal alone
        "sansan:SupervisionItem.ExtensionRefused"
    ]
