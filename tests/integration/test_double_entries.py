"""The same fact entered twice on one day (review-open-b, outside review finding 17, the rest),
on both stores: refused as duplicate_fact where an identical twin is a double entry, taken
where repeats are normal (volunteer hours); an Idempotency-Key retry still replays."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from sansan.demo import demo_id
from tests.integration.api_support import bearer
from tests.integration.test_imports import head, recorded_since
from tests.integration.test_names_taken import services_of
from tests.support import TODAY

Demo = tuple[TestClient, dict[str, str]]
ON = (TODAY - timedelta(days=3)).isoformat()
COMMUNITY = demo_id("community", "铁西")
GENERAL = demo_id("org", "铁西社区党总支")
TEAM_MEMBER = "21111111-2222-4333-8444-555555555555"


def post(client: TestClient, token: str, path: str, body: dict[str, Any], **headers: str) -> Any:
    answer = client.post(f"/api/v1{path}", json=body | {"occurred_on": ON},
                         headers=bearer(token) | headers)  # fmt: skip
    services_of(client).projections.catch_up()
    return answer


TWINS = {  # path: body; each taken once a day
    f"/communities/{COMMUNITY}/funding-allocations": {"year": 2026, "amount_yuan": "3000.00"},
    f"/communities/{COMMUNITY}/facility-upgrades": {"office_area_m2": 130.0},
    f"/communities/{COMMUNITY}/coordination-meetings": {"kind": "joint_meeting", "topic": "停车"},
    f"/organizations/{GENERAL}/team-trainings": {"team_member_id": TEAM_MEMBER, "days": 2},
    f"/members/{demo_id('member', '铁西-1')}/relief-pairings": {"beneficiary": "王大爷"},
}


def test_an_identical_fact_on_the_same_day_is_refused_where_a_twin_is_a_double_entry(
    demo: Demo,
) -> None:
    client, tokens = demo
    county = tokens["county"]
    for path, body in (
        (f"/communities/{COMMUNITY}/coordination-bodies", {"kind": "joint_meeting"}),
        (f"/organizations/{GENERAL}/team-members", {
            "team_member_id": TEAM_MEMBER, "person_name": "周班子", "birth_year": 1980,
            "education": "junior_college",
        }),
    ):  # fmt: skip
        made = post(client, county, path, body)
        assert made.status_code in (200, 422), made.text  # the demo may have it already
    for path, body in TWINS.items():
        first = post(client, county, path, body)
        assert first.status_code == 200, (path, first.text)
        before = head(client)
        twin = post(client, county, path, body)
        assert twin.status_code == 422, (path, twin.text)
        problem = twin.json()
        assert problem["code"] == "duplicate_fact", (path, problem)
        assert f"{ON}的“" in problem["message_zh"]
        assert f"第 {first.json()['version']} 版" in problem["message_zh"]
        assert recorded_since(client, before) == []
    # an amount written another way is the same amount
    again = post(client, county, f"/communities/{COMMUNITY}/funding-allocations",
                 {"year": 2026, "amount_yuan": "3000"})  # fmt: skip
    assert again.json()["code"] == "duplicate_fact", again.text
    # the same kind with other content is another fact
    other = post(client, county, f"/communities/{COMMUNITY}/funding-allocations",
                 {"year": 2026, "amount_yuan": "3000.01"})  # fmt: skip
    assert other.status_code == 200, other.text


def test_volunteer_hours_may_repeat_and_a_retry_with_its_key_replays_not_422(demo: Demo) -> None:
    client, tokens = demo
    county = tokens["county"]
    member = demo_id("member", "铁西-1")
    hours = {"hours": 2, "activity": "巡逻"}
    for _ in range(2):  # a morning and an afternoon of one activity
        answer = post(client, county, f"/members/{member}/volunteer-services", hours)
        assert answer.status_code == 200, answer.text
    path = f"/communities/{COMMUNITY}/funding-allocations"
    body = {"year": 2026, "amount_yuan": "4500.00"}
    first = post(client, county, path, body, **{"Idempotency-Key": "funding-once"})
    assert first.status_code == 200, first.text
    retried = post(client, county, path, body, **{"Idempotency-Key": "funding-once"})
    assert (retried.status_code, retried.json()) == (200, first.json())
