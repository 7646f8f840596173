"""Plans from a directory, campaigns pinned to their plan's content, changing a campaign's plan;
through the HTTP API, on both stores."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from sansan.access import AccessService
from sansan.api.app import create_app
from sansan.bootstrap import Services
from sansan.clock import FixedClock
from sansan.plans import content_sha256, get_plan, shipped_plans
from sansan.projections.rebuild import rebuild
from sansan.settings import Settings
from tests.integration.api_support import bearer
from tests.support import LAUNCH

OTHER = "other-county"
CHANGED_ON = "2026-09-01"


def other_plan(threshold: float = 5, reminder_days: tuple[int, ...] = (150, 7)) -> dict[str, Any]:
    """Another county's plan: other numbers, one target fewer (brand), one more (sites-extra)."""
    shipped = get_plan("sansan-v1")
    assert shipped is not None
    data = shipped.model_dump(mode="json")
    data.update(id=OTHER, title_zh="外县创建方案", reminder_days=list(reminder_days))
    targets = [t for t in data["targets"] if t["id"] != "brand"]
    for target in targets:
        if target["id"] == "standard-sites-first":
            target["threshold"] = threshold
            targets.append(target | {"id": "sites-extra", "title_zh": "追加标准化社区"})
            break
    data["targets"] = targets
    return data


def write(directory: Path, name: str, data: dict[str, Any]) -> None:
    (directory / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def plans_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "plans"  # outside the package
    directory.mkdir()
    write(directory, "other.json", other_plan())
    return directory


Started = tuple[TestClient, Services, dict[str, str]]


@pytest.fixture
def start(
    settings: Settings, clock: FixedClock, plans_dir: Path
) -> Iterator[Callable[[], Started]]:
    """Starts the service on the store (again: a restart), with the plans directory."""
    opened: list[Services] = []
    tokens: dict[str, str] = {}

    def started() -> Started:
        api: FastAPI = create_app(settings.model_copy(update={"plans_dir": plans_dir}), clock)
        services: Services = api.state.services
        opened.append(services)
        if not tokens:
            access = AccessService(services.app)
            for role in ("county", "auditor"):
                tokens[role] = access.issue_token(
                    role=role, scope_org_id=None, label=role, actor="t"
                )[0]
        return TestClient(api, raise_server_exceptions=False), services, tokens

    yield started
    for services in opened:
        services.close()


def launch(client: TestClient, token: str, plan_id: str) -> Any:
    body = {"occurred_on": LAUNCH.isoformat(), "name": "创建工程", "plan_id": plan_id,
            "county": "外县"}  # fmt: skip
    return client.post("/api/v1/campaigns", json=body, headers=bearer(token))


def progress(client: TestClient, token: str, campaign: str) -> dict[str, Any]:
    answer = client.get(
        f"/api/v1/campaigns/{campaign}/progress", params={"as_of": "2026-11-01"},
        headers=bearer(token),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def thresholds(body: dict[str, Any]) -> dict[str, float]:
    return {t["id"]: t["threshold"] for t in body["targets"]}


def steps(services: Services, campaign: str) -> dict[str, set[tuple[int, bool]]]:
    """Each target's steps (lead days, done), over its deadlines."""
    services.projections.catch_up()
    with services.store.transaction() as cursor:
        d, s = cursor.t.deadlines, cursor.t.deadline_steps
        rows = cursor.execute(
            select(d.c.target_id, s.c.lead_days, s.c.done)
            .join(s, s.c.deadline_id == d.c.id)
            .where(d.c.campaign_id == campaign, d.c.kind == "target", d.c.due_on <= "2029-12-31")
        ).fetchall()
    found: dict[str, set[tuple[int, bool]]] = {}
    for target_id, lead, done in rows:
        found.setdefault(str(target_id), set()).add((int(lead), bool(done)))
    return found


def test_a_campaign_under_a_directory_s_plan_shows_its_numbers_and_keeps_them_when_the_file_changes(
    start: Callable[[], Started], plans_dir: Path
) -> None:
    client, services, tokens = start()
    listed = client.get("/api/v1/plans", headers=bearer(tokens["auditor"])).json()
    entry = services.app.plans.get(OTHER)
    assert entry is not None
    other_plan_content, pinned_sha = entry.content, content_sha256(entry.content)
    targets = len(shipped_plans()["sansan-v1"].targets)  # the other county's is a copy with other numbers
    assert {p["id"]: (p["origin"], p["sha256"], p["targets"]) for p in listed} == {
        OTHER: ("file:other.json", pinned_sha, targets),
        "sansan-v1": ("package:sansan-v1.json", listed[1]["sha256"], targets),
    }
    answer = launch(client, tokens["county"], OTHER)
    assert answer.status_code == 201, answer.text
    campaign = answer.json()["aggregate_id"]
    [launched] = answer.json()["events"]
    assert launched["data"]["plan_sha256"] == pinned_sha
    assert launched["data"]["plan"] == other_plan_content

    before = progress(client, tokens["county"], campaign)
    assert (before["plan_id"], before["plan_sha256"]) == (OTHER, pinned_sha)
    assert before["plan_title_zh"] == "外县创建方案"
    assert thresholds(before)["standard-sites-first"] == 5
    assert "brand" not in thresholds(before)
    state = client.get(f"/api/v1/campaigns/{campaign}", headers=bearer(tokens["county"])).json()
    assert (state["state"]["plan_sha256"], state["state"]["plan_title_zh"]) == (
        pinned_sha, "外县创建方案",
    )  # fmt: skip
    assert steps(services, campaign)["standard-sites-first"] == {
        (150, False),
        (7, False),
        (-1, False),  # the verdict, the day after the due date
    }

    # The county edits the file: another threshold, other reminders. The service restarts and
    # the read models are rebuilt from the log.
    write(plans_dir, "other.json", other_plan(threshold=9, reminder_days=(3,)))
    services.close()
    client, services, tokens = start()
    rebuild(services.app, services.store)
    assert services.app.plans.get(OTHER).sha256 != pinned_sha  # type: ignore[union-attr]

    after = progress(client, tokens["county"], campaign)
    assert (after["plan_sha256"], thresholds(after)) == (pinned_sha, thresholds(before))
    assert steps(services, campaign)["standard-sites-first"] == {
        (150, False),
        (7, False),
        (-1, False),  # the verdict, the day after the due date
    }
    pinned = client.get(f"/api/v1/campaigns/{campaign}/plan", headers=bearer(tokens["county"]))
    assert pinned.json()["plan"] == other_plan_content


def test_launching_under_an_unknown_or_invalid_plan_answers_422_and_records_nothing(
    start: Callable[[], Started], plans_dir: Path
) -> None:
    broken = other_plan() | {"id": "broken-plan", "reminder_days": "soon"}
    write(plans_dir, "broken.json", broken)
    client, services, tokens = start()
    before = services.app.recorder.max_notification_id()
    for plan_id, kind in (("no-such-plan", "unknown_plan"), ("broken-plan", "plan_invalid")):
        answer = launch(client, tokens["county"], plan_id)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        [field] = answer.json()["errors"]
        assert (field["field"], field["type"]) == ("plan_id", kind)
        assert field["message_zh"]
        assert field["message_en"]
    [_, invalid] = [launch(client, tokens["county"], p).json() for p in ("x", "broken-plan")]
    assert "reminder_days" in invalid["errors"][0]["message_zh"]
    assert "broken.json" in invalid["errors"][0]["message_en"]
    assert services.app.recorder.max_notification_id() == before


def test_changing_a_campaign_s_plan_is_a_county_command_audited_and_scheduled_from_then_on(
    start: Callable[[], Started],
) -> None:
    client, services, tokens = start()
    campaign = launch(client, tokens["county"], "sansan-v1").json()["aggregate_id"]
    old_sha = services.app.plans.get("sansan-v1").sha256  # type: ignore[union-attr]
    new_sha = services.app.plans.get(OTHER).sha256  # type: ignore[union-attr]
    path = f"/api/v1/campaigns/{campaign}/plan"
    body = {"occurred_on": CHANGED_ON, "plan_id": OTHER, "reason": "县委常委会审议通过"}

    for role in ("auditor",):
        refused = client.post(path, json=body, headers=bearer(tokens[role]))
        assert refused.status_code == 403, refused.text
    missing_reason = client.post(
        path, json={k: v for k, v in body.items() if k != "reason"},
        headers=bearer(tokens["county"]),
    )  # fmt: skip
    assert missing_reason.status_code == 422
    changed = client.post(path, json=body, headers=bearer(tokens["county"]))
    assert changed.status_code == 200, changed.text
    [event] = changed.json()["events"]
    assert event["type"] == "PlanChanged"
    assert event["actor"] == "county:county"
    assert {k: event["data"][k] for k in ("old_plan_id", "old_plan_sha256", "plan_id", "plan_sha256", "reason")} == {
        "old_plan_id": "sansan-v1", "old_plan_sha256": old_sha, "plan_id": OTHER,
        "plan_sha256": new_sha, "reason": "县委常委会审议通过",
    }  # fmt: skip
    again = client.post(path, json=body | {"occurred_on": "2026-09-02"},
                        headers=bearer(tokens["county"]))  # fmt: skip
    assert again.status_code == 422
    assert again.json()["code"] == "plan_unchanged"

    now = progress(client, tokens["county"], campaign)
    assert (now["plan_id"], now["plan_sha256"], now["plan_title_zh"]) == (
        OTHER, new_sha, "外县创建方案",
    )  # fmt: skip
    assert thresholds(now)["standard-sites-first"] == 5
    laid_out = steps(services, campaign)
    # a target the new plan adds: only the steps from the day of the change on (150 days
    # before its due date fell before it)
    assert laid_out["sites-extra"] == {(7, False), (-1, False)}
    # a target the new plan drops: its pending steps are superseded
    assert laid_out["brand"] == {(30, True), (7, True), (1, True), (-1, True)}
    # one the plans share keeps what the launch laid out
    assert {lead for lead, _ in laid_out["standard-sites-first"]} >= {30, 7, 1, -1}

    history = client.get(f"/api/v1/campaigns/{campaign}/history",
                         headers=bearer(tokens["auditor"])).json()  # fmt: skip
    assert [e["type"] for e in history] == ["CampaignLaunched", "PlanChanged"]
    audit = client.get("/api/v1/audit", params={"aggregate_id": campaign},
                       headers=bearer(tokens["auditor"]))  # fmt: skip
    assert audit.status_code == 200, audit.text
    assert [e["event_type"] for e in audit.json()["items"]] == ["PlanChanged", "CampaignLaunched"]  # newest first


def test_the_trend_of_a_campaign_whose_plan_lacks_the_charted_targets_answers_nulls(
    start: Callable[[], Started], plans_dir: Path
) -> None:
    lean = other_plan() | {"id": "lean-plan"}
    lean["targets"] = lean["targets"][:5]  # none of the three charted rules
    write(plans_dir, "lean.json", lean)
    client, services, tokens = start()
    campaign = launch(client, tokens["county"], "lean-plan").json()["aggregate_id"]
    answer = client.get(
        f"/api/v1/campaigns/{campaign}/trend", params={"as_of": "2026-06-30"},
        headers=bearer(tokens["county"]),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    trend = answer.json()
    assert (trend["plan_id"], trend["plan_sha256"]) == (
        "lean-plan", services.app.plans.get("lean-plan").sha256,  # type: ignore[union-attr]
    )  # fmt: skip
    needed = ("standard_sites_needed", "five_goods_needed", "training_days_needed")
    assert [trend[k] for k in needed] == [None, None, None]
    assert [p["on"] for p in trend["points"]][-1] == "2026-06-30"
    assert {(p["standard_sites"], p["five_goods_share"]) for p in trend["points"]} == {(None, None)}
