"""Facts entered late (review-open-b, outside review findings 36 and 31), on both stores: what
happened while a person was here may be recorded after they left; nothing is dated before
the unit it is about existed."""

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from sansan.demo import LAUNCH, day, demo_id
from tests.integration.test_imports import head, recorded_since
from tests.integration.test_names_taken import BRANCH, register, send
from tests.support import TODAY

Demo = tuple[TestClient, dict[str, str]]
LEFT = TODAY - timedelta(days=10)
ONE = timedelta(days=1)


def training(on: date, topic: str = "党课") -> dict[str, Any]:
    return {"days": 1, "method": "video", "topic": topic, "occurred_on": on.isoformat()}


def test_a_fact_from_before_a_member_s_transfer_out_is_entered_late_one_after_is_not(
    demo: Demo,
) -> None:
    client, tokens = demo
    county = tokens["county"]
    member = register(client, county, "钱转出").json()["aggregate_id"]
    registered = send(client, county, f"/members/{member}/transfers-out",
                      {"destination": "外县", "occurred_on": LEFT.isoformat()})  # fmt: skip
    assert registered.status_code == 422  # registered today: cannot leave before it began
    member = send(client, county, "/members", {
        "name": "钱早到", "category": "direct", "organization_id": str(demo_id("org", BRANCH)),
        "occurred_on": (TODAY - timedelta(days=30)).isoformat(),
    }).json()["aggregate_id"]  # fmt: skip
    out = send(client, county, f"/members/{member}/transfers-out",
               {"destination": "外县", "occurred_on": LEFT.isoformat()})  # fmt: skip
    assert out.status_code == 200, out.text
    late = send(client, county, f"/members/{member}/trainings", training(LEFT - timedelta(days=1)))
    assert late.status_code == 200, late.text
    before = head(client)
    for on in (LEFT, TODAY):
        refused = send(client, county, f"/members/{member}/trainings", training(on, f"t{on}"))
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["code"] == "member_transferred_out"
        assert [e["field"] for e in problem["errors"]] == ["occurred_on"]
        assert f"已于 {LEFT} 转出" in problem["message_zh"]
        assert f"transferred out on {LEFT}" in problem["message_en"]
    again = send(client, county, f"/members/{member}/transfers-out",
                 {"destination": "别县", "occurred_on": (LEFT - timedelta(days=2)).isoformat()})  # fmt: skip
    assert again.json()["code"] == "member_transferred_out", again.text  # leaves once
    assert recorded_since(client, before) == []


def test_a_worker_s_insurance_from_before_they_left_is_entered_late_one_after_is_not(
    demo: Demo,
) -> None:
    client, tokens = demo
    county, community = tokens["county"], demo_id("community", "铁西")
    joined = TODAY - timedelta(days=30)
    worker = "11111111-2222-4333-8444-555555555555"
    added = send(client, county, f"/communities/{community}/workers", {
        "worker_id": worker, "worker_name": "孙离职", "role": "社区专职工作者",
        "occurred_on": joined.isoformat(),
    })  # fmt: skip
    assert added.status_code == 200, added.text
    left = send(client, county, f"/communities/{community}/worker-departures",
                {"worker_id": worker, "reason": "调离", "occurred_on": LEFT.isoformat()})  # fmt: skip
    assert left.status_code == 200, left.text

    def insure(on: date) -> Any:
        body = {"worker_id": worker, "insurances": ["pension"], "occurred_on": on.isoformat()}
        return send(client, county, f"/communities/{community}/worker-insurances", body)

    assert insure(LEFT - timedelta(days=1)).status_code == 200
    assert insure(LEFT).json()["code"] == "worker_unknown"
    early = insure(joined - timedelta(days=1))
    assert early.json()["code"] == "date_before", early.text
    assert early.json()["errors"][0]["field"] == "occurred_on"


def test_nothing_is_dated_before_the_unit_it_belongs_to_or_before_the_republic(
    demo: Demo,
) -> None:
    client, tokens = demo
    county = tokens["county"]
    before = head(client)
    branch, general = demo_id("org", BRANCH), demo_id("org", "铁西社区党总支")
    street = demo_id("org", "城关街道")
    refused = {  # what is dated a day before its parent began, and that parent's name
        "/organizations": ({"name": "铁西第8小区党支部", "level": "neighborhood_branch",
                            "parent_id": str(general)}, day(3), "铁西社区党总支"),
        "/members": ({"name": "李早", "category": "direct", "organization_id": str(branch)},
                     day(10), BRANCH),
        "/communities": ({"name": "城关早社区", "street_committee_id": str(street)},
                         LAUNCH, "城关街道党工委"),
        "/supervision-items": ({"title": "早督办", "assignee_org_id": str(branch),
                                "due_on": TODAY.isoformat()}, day(10), BRANCH),
    }  # fmt: skip
    for path, (body, began, parent) in refused.items():
        answer = send(client, county, path, body | {"occurred_on": (began - ONE).isoformat()})
        assert answer.status_code == 422, (path, answer.text)
        problem = answer.json()
        assert problem["code"] == "occurred_before_parent", (path, problem)
        assert [e["field"] for e in problem["errors"]] == ["occurred_on"]
        assert f"“{parent}”的建立日期 {began}" in problem["message_zh"], problem["message_zh"]
    for path, (body, began, _) in refused.items():  # the parent's own day is fine
        answer = send(client, county, path, body | {"occurred_on": began.isoformat()})
        assert answer.status_code == 201, (path, answer.text)
    # a unit with nothing above it is bounded by the founding of the People's Republic
    top = {"level": "street_committee", "name": "新城街道党工委"}
    for early in ("0001-01-01", "1949-09-30"):
        answer = send(client, county, "/organizations", top | {"occurred_on": early})
        assert answer.json()["code"] == "occurred_too_early", answer.text
        assert answer.json()["errors"][0]["field"] == "occurred_on"
        assert "不得早于 1949-10-01" in answer.json()["message_zh"]
    member = str(demo_id("member", "铁西-1"))
    late = send(client, county, f"/members/{member}/trainings", training(date(1, 1, 1)))
    assert late.json()["code"] == "occurred_too_early", late.text
    started = send(client, county, "/organizations", top | {"occurred_on": "1949-10-01"})
    assert started.status_code == 201, started.text
    made = [t for t in recorded_since(client, before) if "Established" in t or "Registered" in t]
    assert len(made) == 4  # the organizations (two), the member, the community


def test_a_team_member_s_training_from_before_they_left_is_entered_late_one_after_is_not(
    demo: Demo,
) -> None:
    """As for a member who transferred out (36) and a worker who left: a leadership-team
    member's training dated while on the team is taken after they left (branch corrections)."""
    client, tokens = demo
    county, general = tokens["county"], demo_id("org", "铁西社区党总支")
    joined = TODAY - timedelta(days=30)
    person = "22222222-3333-4444-8555-666666666666"
    added = send(client, county, f"/organizations/{general}/team-members", {
        "team_member_id": person, "person_name": "周离任", "birth_year": 1980,
        "education": "junior_college", "occurred_on": joined.isoformat(),
    })  # fmt: skip
    assert added.status_code == 200, added.text
    left = send(client, county, f"/organizations/{general}/team-member-departures",
                {"team_member_id": person, "reason": "换届离任", "occurred_on": LEFT.isoformat()})  # fmt: skip
    assert left.status_code == 200, left.text

    def train(on: date) -> Any:
        body = {"team_member_id": person, "days": 3, "occurred_on": on.isoformat()}
        return send(client, county, f"/organizations/{general}/team-trainings", body)

    taken = train(LEFT - ONE)
    assert taken.status_code == 200, taken.text
    before = head(client)
    assert train(LEFT).json()["code"] == "team_member_unknown"
    assert train(TODAY).json()["code"] == "team_member_unknown"
    assert train(joined - ONE).json()["code"] == "date_before"
    again = send(client, county, f"/organizations/{general}/team-member-departures",
                 {"team_member_id": person, "reason": "再离任", "occurred_on": TODAY.isoformat()})  # fmt: skip
    assert again.json()["code"] == "team_member_unknown"  # leaves once
    assert recorded_since(client, before) == []
