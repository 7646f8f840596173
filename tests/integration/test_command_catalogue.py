"""The command catalogue the dashboard builds its forms from, and the names the audit
log gives its units, on both stores."""

import re
from typing import Any

from fastapi.testclient import TestClient

from sansan.api.command_routes import COMMAND_ROUTES
from sansan.demo import DEMO_ACTOR, demo_id
from tests.integration.api_support import bearer

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

Demo = tuple[TestClient, dict[str, str]]


def catalogue(client: TestClient, token: str) -> dict[str, Any]:
    response = client.get("/api/v1/commands", headers=bearer(token))
    assert response.status_code == 200, response.text
    return {c["command"]: c for c in response.json()}


def test_the_county_may_record_every_command_each_with_chinese_titles_and_field_labels(
    demo: Demo,
) -> None:
    client, tokens = demo
    commands = catalogue(client, tokens["county"])
    assert set(commands) == {r.command.__name__ for r in COMMAND_ROUTES}
    for spec in commands.values():
        assert spec["title_zh"]
        assert spec["title_zh"].isascii() is False
        for field in spec["fields"]:
            assert field["label_zh"] != field["name"], (spec["command"], field["name"])
            assert not field["label_zh"].isascii()


def test_a_training_form_names_its_member_and_offers_the_methods_in_chinese(demo: Demo) -> None:
    client, tokens = demo
    training = catalogue(client, tokens["community"])["RecordTraining"]
    assert training["title_zh"] == "党员参加集中教育培训"
    assert training["path"] == "/api/v1/members/{id}/trainings"
    assert training["target"] == "member"
    assert training["target_zh"] == "党员"
    fields = {f["name"]: f for f in training["fields"]}
    assert "member_id" not in fields  # the path carries it
    assert fields["occurred_on"]["type"] == "date"
    assert fields["occurred_on"]["required"]
    assert fields["days"]["type"] == "number"
    assert fields["days"]["label_zh"] == "培训天数"
    assert fields["method"]["type"] == "choice"
    assert ["lecture", "课堂讲课"] in fields["method"]["choices"]
    assert fields["topic"]["type"] == "text"
    assert fields["topic"]["max_length"] == 200
    assert fields["note"]["required"] is False


def test_field_kinds_follow_the_command_models(demo: Demo) -> None:
    client, tokens = demo
    commands = catalogue(client, tokens["county"])
    funding = {f["name"]: f for f in commands["AllocateFunding"]["fields"]}
    assert funding["amount_yuan"]["type"] == "money"
    assert funding["year"]["type"] == "integer"
    assign = {f["name"]: f for f in commands["AssignSupervisionItem"]["fields"]}
    assert assign["assignee_org_id"]["type"] == "unit"
    assert assign["assignee_org_id"]["unit"] == "organization"
    assert assign["description"]["label_zh"] == "事项说明"
    assert commands["AssignSupervisionItem"]["creates"] is True
    assert "id" not in assign
    report = {f["name"]: f for f in commands["ReportSupervisionItem"]["fields"]}
    assert report["summary"]["type"] == "textarea"
    five = {f["name"]: f for f in commands["AssessFiveGoods"]["fields"]}
    assert five["items"]["type"] == "checklist"
    assert ["leadership_team", "领导班子好"] in five["items"]["choices"]
    origin = {f["name"]: f for f in commands["RegisterCommunity"]["fields"]}["origin"]
    assert origin["default"] == "existing"
    assert not origin["required"]


def test_each_role_is_offered_only_what_it_may_record(demo: Demo) -> None:
    client, tokens = demo
    assert catalogue(client, tokens["auditor"]) == {}
    community = catalogue(client, tokens["community"])
    assert "LaunchCampaign" not in community
    assert "AcceptSupervisionItem" not in community
    assert {"RecordTraining", "UpgradeFacility", "ReportSupervisionItem"} <= set(community)
    assert "AllocateFunding" not in community  # the county's or the street's act (review #2, 29)
    street = catalogue(client, tokens["street"])
    assert {"AcceptSupervisionItem", "AllocateFunding"} <= set(street)
    assert "RecommendToCity" not in street


def test_the_audit_log_names_its_units_and_the_units_its_data_refers_to(demo: Demo) -> None:
    client, tokens = demo
    tiexi = demo_id("community", "铁西")
    response = client.get(
        "/api/v1/audit", params={"community_id": str(tiexi), "limit": 200},
        headers=bearer(tokens["county"]),
    )  # fmt: skip
    items = response.json()["items"]
    trainings = [i for i in items if i["event_type"] == "TrainingCompleted"]
    assert trainings
    assert all(i["unit_name"].endswith("（铁西社区）") for i in trainings)
    registered = next(i for i in items if i["event_type"] == "MemberRegistered")
    org = registered["data"]["organization_id"]
    assert registered["names"][org].startswith("铁西")
    community = next(i for i in items if i["aggregate_type"] == "Community")
    assert community["unit_name"] == "铁西社区"
    # every id the data names has its name: the campaign, and people inside a unit (a team
    # member's trainings, a worker's insurance) that the UI once called out of scope
    unnamed = {
        (i["event_type"], k) for i in items for k, v in i["data"].items()
        if isinstance(v, str) and UUID_TEXT.fullmatch(v) and v not in i["names"]
    }  # fmt: skip
    assert unnamed == set()
    joined = next(i for i in items if i["event_type"] == "TeamMemberJoined")
    person = joined["data"]["person_name"]
    assert joined["names"][joined["data"]["team_member_id"]] == f"{person}（铁西社区党总支）"
    worker = next(i for i in items if i["event_type"] == "WorkerInsuranceRecorded")
    assert worker["names"][worker["data"]["worker_id"]].endswith("（铁西社区）")
    assert {i["actor"] for i in items if i["event_type"] == "CommunityRegistered"} == {DEMO_ACTOR}


def test_a_read_of_a_leadership_team_names_its_members_in_the_audit(demo: Demo) -> None:
    """Reading an organization reads its team's personal data: the audit's record of that
    read names each team member, never “out of scope or no longer existing”."""
    client, tokens = demo
    branch = demo_id("org", "镇西社区党总支")
    read = client.get(f"/api/v1/organizations/{branch}", headers=bearer(tokens["county"]))
    assert read.status_code == 200, read.text
    services = client.app.state.services  # type: ignore[attr-defined]
    head = services.app.recorder.max_notification_id()
    listed = client.get(
        "/api/v1/audit", params={"kind": "reads", "limit": 1, "after": head},
        headers=bearer(tokens["auditor"]),
    )  # fmt: skip
    [entry] = listed.json()["items"]
    members = entry["data"]["member_ids"]
    assert len(members) == 3
    assert [entry["names"].get(m) for m in members] == [
        f"镇西委员{n}（镇西社区党总支）" for n in (1, 2, 3)
    ]


def test_me_names_the_token_for_the_header(demo: Demo) -> None:
    client, tokens = demo
    me = client.get("/api/v1/me", headers=bearer(tokens["county"])).json()
    assert me["name"] == "县委组织部（演示）"
    assert me["actor"] == DEMO_ACTOR  # the demo's events and the demo token's are one actor


def test_the_audit_filter_offers_every_actor_of_the_log_to_county_wide_readers(demo: Demo) -> None:
    client, tokens = demo
    answer = client.get("/api/v1/audit/actors", headers=bearer(tokens["auditor"]))
    assert answer.status_code == 200, answer.text
    actors = {a["actor"]: a["events"] for a in answer.json()}
    assert actors[DEMO_ACTOR] > 200
    refused = client.get("/api/v1/audit/actors", headers=bearer(tokens["street"]))
    assert refused.status_code == 403
