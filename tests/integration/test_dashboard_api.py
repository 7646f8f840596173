"""The endpoints the dashboard needs beyond the lists: the monthly trend, a street's progress,
and the audit log as CSV and XLSX; on both stores, over the demo scenario."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from sansan.api import audit_spreadsheet
from sansan.demo import demo_id
from tests.integration.api_support import bearer

CAMPAIGN = demo_id("campaign", "示范县")
CHENGGUAN, TIANHE = demo_id("org", "城关街道"), demo_id("org", "天河街道")
Demo = tuple[TestClient, dict[str, str]]


def get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1{path}", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_trend_counts_sites_five_goods_and_training_days_at_each_month_end(demo: Demo) -> None:
    # The demo upgrades 铁西 and 天北 to standard sites on 2026-07-29 (站前 stays short) and
    # assesses no one for five goods. Its 42 members train 2 days per session, member n
    # having 1 + n % 4 sessions on 03-31, 05-10, 06-19 and 07-29: 42 sessions by March's end
    # (2 days each), 42 + 32 by May's, 105 in all, i.e. 210 days over 42 members = 5.
    client, tokens = demo
    trend = get(client, tokens["county"], f"/campaigns/{CAMPAIGN}/trend", as_of="2026-11-27")
    by_day = {p["on"]: p for p in trend["points"]}
    assert list(by_day) == [
        "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31",
        "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-27",
    ]  # fmt: skip
    assert [by_day[d]["standard_sites"] for d in ("2026-06-30", "2026-07-31", "2026-11-27")] == [
        0,
        2,
        2,
    ]
    assert {p["five_goods_share"] for p in trend["points"]} == {0.0}
    assert by_day["2026-03-31"]["training_days_per_member"] == 2.0
    assert by_day["2026-05-31"]["training_days_per_member"] == round(148 / 42, 2)
    assert by_day["2026-11-27"]["training_days_per_member"] == 5.0
    assert (trend["standard_sites_needed"], trend["five_goods_needed"]) == (2, 0.9)
    assert trend["training_days_needed"] == 6


def test_the_trend_divides_by_the_members_the_year_s_training_target_judges(demo: Demo) -> None:
    # A member registered within the 90 grace days before 31 December is judged from the
    # next year: the target counts 42 members in 2026, and so must the chart's average.
    client, tokens = demo
    response = client.post(
        "/api/v1/members", headers=bearer(tokens["county"]),
        json={"name": "新党员", "category": "direct", "occurred_on": "2026-11-20",
              "organization_id": str(demo_id("org", "铁西第1小区党支部"))},
    )  # fmt: skip
    assert response.status_code in (200, 201), response.text
    client.app.state.services.projections.catch_up()  # type: ignore[attr-defined]
    path = f"/campaigns/{CAMPAIGN}"
    trend = get(client, tokens["county"], f"{path}/trend", as_of="2026-11-27")
    assert trend["points"][-1]["training_days_per_member"] == 5.0  # 210 days / 42, not / 43
    progress = get(client, tokens["county"], f"{path}/progress", as_of="2026-11-27")
    training = next(t for t in progress["targets"] if t["id"] == "member-training")
    assert training["measured_text"].endswith("/42人")


def test_a_street_narrows_the_trend_and_the_progress_to_its_communities(demo: Demo) -> None:
    client, tokens = demo
    path = f"/campaigns/{CAMPAIGN}"
    chengguan = get(
        client, tokens["county"], f"{path}/trend", as_of="2026-11-27", street_id=str(CHENGGUAN)
    )
    assert chengguan["points"][-1]["standard_sites"] == 1  # 铁西 only; 站前 and 镇西 fall short
    progress = get(
        client, tokens["county"], f"{path}/progress", as_of="2026-11-27", street_id=str(TIANHE)
    )
    network = next(t for t in progress["targets"] if t["id"] == "network")
    assert network["measured_text"] == "2/2个社区"  # 天北 and 天南
    own = get(client, tokens["street"], f"{path}/trend", as_of="2026-11-27")
    assert own["points"][-1]["standard_sites"] == 1
    asked = get(
        client, tokens["street"], f"{path}/trend", as_of="2026-11-27", street_id=str(CHENGGUAN)
    )
    assert asked["points"] == own["points"]


@pytest.mark.parametrize("report", ["progress", "trend", "progress/cards/failing"])
def test_another_streets_board_is_a_404_as_for_an_unknown_street(demo: Demo, report: str) -> None:
    # It answered an empty board, which reads as "nobody there falls short"; a 403 would
    # tell that the street exists, so it is the 404 of an unknown street.
    client, tokens = demo
    path = f"/api/v1/campaigns/{CAMPAIGN}/{report}"
    answers = [
        client.get(path, params={"street_id": str(street)}, headers=bearer(tokens["street"]))
        for street in (TIANHE, demo_id("org", "无此街道"))
    ]
    other, unknown = ({"status": a.status_code, "type": a.headers["content-type"],
                       "code": a.json().get("code")} for a in answers)  # fmt: skip
    assert other == unknown == {
        "status": 404, "type": "application/problem+json", "code": "unit_not_found"
    }, answers[0].text
    # a community's token still reads the street its community is in, narrowed to its own
    own_street = client.get(
        path, params={"street_id": str(CHENGGUAN)}, headers=bearer(tokens["community"])
    )
    assert own_street.status_code == 200, own_street.text


@pytest.mark.parametrize(
    "street",
    [
        demo_id("org", "无此街道"),  # no such unit
        demo_id("org", "铁西社区党总支"),  # a general branch, not a street
        demo_id("community", "铁西"),  # a community
        CAMPAIGN,
    ],
    ids=["unknown", "general branch", "community", "campaign"],
)
@pytest.mark.parametrize("report", ["progress", "trend", "progress/cards/failing"])
def test_a_street_that_is_not_one_is_a_404_problem_not_a_board_without_data(
    demo: Demo, street: Any, report: str
) -> None:
    client, tokens = demo
    response = client.get(
        f"/api/v1/campaigns/{CAMPAIGN}/{report}", params={"street_id": str(street)},
        headers=bearer(tokens["county"]),
    )  # fmt: skip
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unit_not_found"


def test_the_trend_of_an_unknown_campaign_is_a_404_problem(demo: Demo) -> None:
    client, tokens = demo
    response = client.get(
        f"/api/v1/campaigns/{demo_id('campaign', 'nowhere')}/trend",
        headers=bearer(tokens["county"]),
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_audit_spreadsheet_holds_exactly_the_filtered_entries(demo: Demo) -> None:
    client, tokens = demo
    tiexi = str(demo_id("community", "铁西"))
    # the spreadsheet is in log order: the list read in log order (its own default is newest first)
    listed = get(client, tokens["county"], "/audit", aggregate_id=tiexi, limit=200, order="oldest")["items"]
    response = client.get(
        "/api/v1/audit/spreadsheet", params={"aggregate_id": tiexi, "format": "csv"},
        headers=bearer(tokens["auditor"]),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    # names beside the ids (the unit's, its community's, its street's), times in Beijing time
    assert rows[0][:5] == ["日志位置", "单位类型", "单位", "单位编号", "事件"]
    assert [int(r[0]) for r in rows[1:]] == [e["position"] for e in listed]
    assert {r[3] for r in rows[1:]} == {tiexi}
    assert {(r[1], r[2]) for r in rows[1:]} == {("社区", "铁西社区")}
    assert rows[1][4] == "社区登记"
    at = rows[0].index("记录时间（北京时间）")
    assert rows[0][at:at + 5] == ["记录时间（北京时间）", "社区", "社区编号", "街道", "街道编号"]
    assert rows[1][at + 1] == "铁西社区"
    assert rows[1][at + 3] == "城关街道党工委"
    assert "名称：铁西社区" in rows[1][rows[0].index("内容")]


def test_the_audit_spreadsheet_as_xlsx_has_the_same_rows(demo: Demo) -> None:
    client, tokens = demo
    params = {"event_type": "FundingAllocated"}
    listed = get(client, tokens["county"], "/audit", **params, order="oldest")["items"]
    response = client.get(
        "/api/v1/audit/spreadsheet",
        params=params | {"format": "xlsx"},
        headers=bearer(tokens["county"]),
    )
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = list(sheet.values)
    assert str(values[0][0]).startswith("审计日志（导出时间：")
    assert values[1][0] == "日志位置"
    assert [row[0] for row in values[2:]] == [e["position"] for e in listed]
    assert len(listed) == 5  # the five funded communities


def test_only_county_and_auditors_export_the_audit_log(demo: Demo) -> None:
    client, tokens = demo
    for role in ("street", "community", "client"):
        response = client.get("/api/v1/audit/spreadsheet", headers=bearer(tokens[role]))
        assert response.status_code == 403, role
        assert response.json()["code"] == "audit_not_allowed"


def test_the_audit_spreadsheet_stops_at_its_cap_of_entries_and_asks_to_narrow_the_filters(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert audit_spreadsheet.MAX_ROWS == 50_000  # the README's figure
    client, tokens = demo
    params = {"event_type": "FundingAllocated", "format": "csv"}  # five entries in the demo
    monkeypatch.setattr(audit_spreadsheet, "MAX_LIMIT", 2)  # so the entries span three pages
    monkeypatch.setattr(audit_spreadsheet, "MAX_ROWS", 5)
    at_cap = client.get(
        "/api/v1/audit/spreadsheet", params=params, headers=bearer(tokens["county"])
    )
    assert at_cap.status_code == 200, at_cap.text
    assert len(list(csv.reader(io.StringIO(at_cap.content.decode("utf-8-sig"))))) == 1 + 5
    monkeypatch.setattr(audit_spreadsheet, "MAX_ROWS", 4)
    over = client.get("/api/v1/audit/spreadsheet", params=params, headers=bearer(tokens["county"]))
    assert (over.status_code, over.headers["content-type"]) == (422, "application/problem+json")
    body = over.json()
    assert body["code"] == "export_too_large"
    assert (body["message_zh"], body["message_en"]) == (
        "超过4条，请缩小筛选范围", "more than 4 entries; narrow the filters",
    )  # fmt: skip


GOALS = ("standard_sites_needed", "standard_sites_goal_zh", "five_goods_needed", "five_goods_goal_zh")
COUNTY_COUNT = "；全县标准化社区个数的目标按全县计算"
NO_FIVE_GOODS = "“五个好”社区占比的目标按全县计算，本图不画目标线"


@pytest.mark.parametrize(
    ("who", "params", "goals"),
    [
        ("county", {}, (2, None, 0.9, None)),
        # a community's chart: its own standardization, not the county's two communities
        ("community", {}, (1, f"目标线：本社区达到标准化（§四(二)3）{COUNTY_COUNT}", None, NO_FIVE_GOODS)),
        ("street", {}, (3, f"目标线：辖区内3个社区全部达到标准化（§四(二)3）{COUNTY_COUNT}", None, NO_FIVE_GOODS)),
        ("county", {"street_id": str(TIANHE)},
         (2, f"目标线：辖区内2个社区全部达到标准化（§四(二)3）{COUNTY_COUNT}", None, NO_FIVE_GOODS)),
    ],
    ids=["county", "community", "street", "county_picks_a_street"],
)  # fmt: skip
def test_a_narrower_view_s_charts_draw_what_applies_to_it_not_the_county_s_target_lines(
    demo: Demo, who: str, params: dict[str, str], goals: tuple[Any, ...]
) -> None:
    # Finding 41: a community's 总览 drew the county's "2 standardized communities" against its
    # own count of 0 or 1.
    client, tokens = demo
    trend = get(client, tokens[who], f"/campaigns/{CAMPAIGN}/trend", as_of="2026-11-27", **params)
    assert tuple(trend[k] for k in GOALS) == goals
