"""Next year's funding is recorded when it is allocated, in December (outside review 2,
finding 11), and counts for the year it is for, not for this year's board."""

from fastapi.testclient import TestClient

from sansan.demo import demo_id
from tests.integration.api_support import bearer

CAMPAIGN, TIEXI = demo_id("campaign", "示范县"), demo_id("community", "铁西")
Demo = tuple[TestClient, dict[str, str]]


def _funding(client: TestClient, token: str) -> dict:
    card = client.get(f"/api/v1/communities/{TIEXI}/scorecard", headers=bearer(token))
    assert card.status_code == 200, card.text
    return next(t for t in card.json()["targets"] if t["id"] == "funding")


def test_next_year_s_money_is_taken_today_and_left_out_of_this_year_s_board(demo: Demo) -> None:
    client, tokens = demo  # today 2026-11-27 in China
    county = tokens["county"]
    before = _funding(client, county)
    path = f"/api/v1/communities/{TIEXI}/funding-allocations"
    ahead = {"occurred_on": "2026-11-27", "year": 2027, "amount_yuan": 50000, "source": "县财政"}
    taken = client.post(path, json=ahead, headers=bearer(county))
    assert taken.status_code == 200, taken.text
    state = client.get(f"/api/v1/communities/{TIEXI}", headers=bearer(county)).json()["state"]
    assert float(state["funding_by_year"]["2027"]) == 50000
    after = _funding(client, county)
    assert (after["status"], after["measured_text"]) == (before["status"], before["measured_text"])
    too_far = client.post(path, json=ahead | {"year": 2028}, headers=bearer(county))
    assert too_far.status_code == 422, too_far.text
    assert too_far.json()["code"] == "year_out_of_range"
