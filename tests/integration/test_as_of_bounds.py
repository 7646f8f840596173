"""A board asked for a day before the campaign's launch or after today (China time) is refused
on its field, not answered as if real (outside review of 29 November, 25)."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from sansan.clock import FixedClock
from sansan.demo import demo_id
from tests.integration.api_support import bearer

CAMPAIGN, TIEXI = demo_id("campaign", "示范县"), demo_id("community", "铁西")
BOARDS = [
    f"/api/v1/campaigns/{CAMPAIGN}/progress",
    f"/api/v1/campaigns/{CAMPAIGN}/progress/funding/failing",
    f"/api/v1/campaigns/{CAMPAIGN}/trend",
    f"/api/v1/communities/{TIEXI}/scorecard",  # the matrix reads one a community
    f"/api/v1/communities/{TIEXI}/scorecard/funding/failing",
]
Demo = tuple[TestClient, dict[str, str]]


def asked(
    client: TestClient, token: str, path: str, as_of: str, fmt: str = "json"
) -> tuple[int, dict]:
    params = {"as_of": as_of} | ({"format": fmt} if fmt != "json" else {})
    response = client.get(path, params=params, headers=bearer(token))
    body = response.json() if response.status_code != 200 or fmt == "json" else {}
    if response.status_code == 422:
        assert response.headers["content-type"].startswith("application/problem+json")
    return response.status_code, body


@pytest.mark.parametrize("path", BOARDS, ids=lambda p: p.split("/", 4)[-1].split("/", 1)[-1])
def test_a_day_before_the_launch_or_after_today_is_refused_on_as_of(demo: Demo, path: str) -> None:
    client, tokens = demo  # the suite's clock: 2026-11-27 12:00 in China; launched 2026-03-01
    county = tokens["county"]
    for day in ("2026-03-01", "2026-11-27"):  # the launch day and today are real boards
        assert asked(client, county, path, day)[0] == 200, day
    status, before = asked(client, county, path, "2026-02-28")
    assert (status, before["code"]) == (422, "as_of_before_launch")
    [field] = before["errors"]
    assert (field["field"], field["label_zh"], field["type"]) == (
        "as_of",
        "评估日期",
        "as_of_before_launch",
    )
    assert "启动日2026年3月1日" in field["message_zh"] == before["message_zh"]
    assert "launch on 2026-03-01" in field["message_en"]
    status, after = asked(client, county, path, "2026-11-28")
    assert (status, after["code"]) == (422, "as_of_in_future")
    assert after["errors"][0]["field"] == "as_of"
    assert "今天（北京时间2026年11月27日）" in after["message_zh"]
    assert "today in China (2026-11-27)" in after["message_en"]
    if "failing" not in path and "trend" not in path:  # the spreadsheets too
        assert asked(client, county, path, "2026-11-28", "csv")[0] == 422


def test_new_year_in_china_while_utc_is_still_in_the_old_year(
    demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 2027-01-01 00:30 in China
    path = BOARDS[0]
    status, board = asked(client, tokens["county"], path, "2027-01-01")
    assert (status, board["as_of"]) == (200, "2027-01-01")
    status, refused = asked(client, tokens["county"], path, "2027-01-02")
    assert (status, refused["code"]) == (422, "as_of_in_future")
    assert "北京时间2027年1月1日" in refused["message_zh"]
    assert client.get(path, headers=bearer(tokens["county"])).json()["as_of"] == "2027-01-01"


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_scorecard_for_a_day_before_the_community_was_registered_is_refused(
    demo: Demo, fmt: str
) -> None:
    """Review 2, finding 19: it was an 11-row card of 无数据 0/0 that a secretary might sign."""
    client, tokens = demo  # today 2026-11-27 in China
    registered = client.post("/api/v1/communities", headers=bearer(tokens["county"]), json={
        "occurred_on": "2026-11-20", "name": "新登记社区",
        "street_committee_id": str(demo_id("org", "城关街道")),
    })  # fmt: skip
    assert registered.status_code == 201, registered.text
    card = f"/api/v1/communities/{registered.json()['aggregate_id']}/scorecard"
    for path in (card, f"{card}/funding/failing"):
        if fmt == "csv" and "failing" in path:
            continue
        status, refused = asked(client, tokens["county"], path, "2026-11-19", fmt)
        assert (status, refused["code"]) == (422, "as_of_before_registration")
        assert refused["errors"][0]["field"] == "as_of"
        assert "新登记社区尚未登记：该社区于2026年11月20日登记" in refused["message_zh"]
        assert asked(client, tokens["county"], path, "2026-11-20", fmt)[0] == 200
