"""Review #2 finding 8: a campaign's judgements of units (inspections, commendations,
accountabilities) are county business. A street, community or client token reads them only
for its own units; a judgement that names a member is recorded as a read of that member.
On both stores, over the demo (铁西 and 站前 in 城关街道, 天北 in 天河街道, 镇郊 in 河东街道)."""

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from sansan.application import SansanApplication
from sansan.demo import demo_id
from tests.integration.api_support import bearer

CAMPAIGN = demo_id("campaign", "示范县")
HISTORY = f"/api/v1/campaigns/{CAMPAIGN}/history"
TIANBEI_MEMBER = demo_id("member", "天北-19")  # another street's member
TIEXI_MEMBER = demo_id("member", "铁西-1")
SCOPED = ("street", "community", "client")


def hold_accountable(client: TestClient, token: str, member: UUID) -> str:
    """Holds the member accountable, named as recorded (a judgement must name its unit as it
    is: review #2 finding 9); the name."""
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    name = str(app.repository.get(member).name)  # type: ignore[attr-defined]
    answer = client.post(
        f"/api/v1/campaigns/{CAMPAIGN}/accountabilities",
        json={"occurred_on": "2026-11-20", "unit_kind": "person", "unit_id": str(member),
              "unit_name": name, "reason": "slow", "detail": f"{name}同志工作不力，给予诫勉谈话"},
        headers=bearer(token),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return name


def reads_since(app: SansanApplication, position: int) -> list[Any]:
    events = [
        app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(position + 1, 100)
    ]
    return [e for e in events if type(e).__name__ == "PersonalDataRead"]


def judged(history: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(event type, unit) of each judgement shown; an inspection by its first community."""
    return {
        (e["type"], str(e["data"].get("unit_id") or e["data"].get("inspection_id")))
        for e in history
        if e["type"] in {"CommendationAwarded", "AccountabilityImposed", "InspectionScheduled",
                         "InspectionConducted"}
    }  # fmt: skip


def test_a_scoped_token_reads_the_county_s_judgements_of_its_own_units_only(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    name = hold_accountable(client, tokens["county"], TIANBEI_MEMBER)
    inspection = str(demo_id("inspection", "2026-autumn"))  # of 铁西 and 镇郊 (河东街道)
    county = client.get(HISTORY, headers=bearer(tokens["county"])).json()
    assert judged(county) == {
        ("CommendationAwarded", str(demo_id("community", "铁西"))),
        ("AccountabilityImposed", str(demo_id("community", "镇郊"))),
        ("AccountabilityImposed", str(TIANBEI_MEMBER)),
        ("InspectionScheduled", inspection),
        ("InspectionConducted", inspection),
    }
    for role in SCOPED:
        before = app.recorder.max_notification_id() or 0
        answer = client.get(HISTORY, headers=bearer(tokens[role]))
        assert answer.status_code == 200, answer.text
        shown = answer.json()
        # 城关's own 铁西 commended: its business; 镇郊's and 天北's, and a findings text about
        # 镇郊, are not
        assert judged(shown) == {("CommendationAwarded", str(demo_id("community", "铁西")))}, role
        assert name not in answer.text
        assert "镇郊社区进度迟缓" not in answer.text
        # the county's announcements to every unit are still read
        assert {
            "CampaignLaunched",
            "PilotCommunityDesignated",
            "ExperienceExchangeMeetingHeld",
        } <= {e["type"] for e in shown}
        assert reads_since(app, before) == []  # it named no member


def test_a_campaign_history_naming_a_member_records_the_read_by_endpoint(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    name = hold_accountable(client, tokens["county"], TIEXI_MEMBER)
    for role in ("county", "auditor", "street", "community", "client"):
        before = app.recorder.max_notification_id() or 0
        answer = client.get(HISTORY, headers=bearer(tokens[role]))
        assert f"{name}同志工作不力" in answer.text, role  # 铁西 is inside every one's reach
        (read,) = reads_since(app, before)
        assert read.actor.startswith(f"{role}:")
        assert read.member_ids == [TIEXI_MEMBER]
        assert read.community_id == demo_id("community", "铁西")
        assert read.purpose == f"GET {HISTORY}"


def test_a_scoped_token_reads_the_campaign_s_inspections_of_its_own_units_only(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    path = f"/api/v1/campaigns/{CAMPAIGN}"
    inspection = str(demo_id("inspection", "2026-autumn"))
    for role in ("county", "auditor"):
        state = client.get(path, headers=bearer(tokens[role])).json()["state"]
        assert state["inspections"][inspection]["rating"] == "pass"
    for role in SCOPED:
        for query in ({}, {"version": 2}, {"as_of": "2099-01-01T00:00:00+08:00"}):
            answer = client.get(path, params=query, headers=bearer(tokens[role]))
            assert answer.status_code == 200, answer.text
            assert answer.json()["state"]["inspections"] == {}, (role, query)
