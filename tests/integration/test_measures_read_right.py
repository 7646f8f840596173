"""Measures that read right (issue 16, item 5) and exports a county office can file (item 7),
over the demo scenario on both stores: failing people named with their community and counted
as people, amounts in yuan and square metres, targets that do not apply left out, county-wide
targets shown as the county's, and the same words in JSON, CSV and XLSX."""

import csv
import io
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from sansan.demo import demo_id
from tests.integration.api_support import bearer

CAMPAIGN = demo_id("campaign", "示范县")
TIEXI, ZHANQIAN = demo_id("community", "铁西"), demo_id("community", "站前")
TIANHE = demo_id("org", "天河街道")
PROGRESS, SCORECARD = f"/campaigns/{CAMPAIGN}/progress", f"/communities/{TIEXI}/scorecard"
AS_OF = "2026-11-27"
Demo = tuple[TestClient, dict[str, str]]


def fetch(client: TestClient, token: str, path: str, **params: Any) -> Any:
    response = client.get(
        f"/api/v1{path}", params={"as_of": AS_OF} | params, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return response.json() if params.get("format") is None else response.content


def targets(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in answer["targets"]}


def sheet_of(content: bytes) -> Worksheet:
    sheet = load_workbook(io.BytesIO(content)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def test_failing_people_are_named_with_their_community_once_and_counted_as_people(demo: Demo) -> None:
    client, tokens = demo
    county = targets(fetch(client, tokens["county"], PROGRESS))
    training = county["member-training"]
    names = [f["unit_name"] for f in training["failing"]]
    # the demo has two 李磊 and two 周超 in different communities: each reads as its own person
    assert {n for n in names if n.startswith(("李磊", "周超"))} >= {"李磊（铁西社区）", "李磊（镇郊社区）"}
    assert all(n.endswith("社区）") for n in names), names
    assert [n for n, k in Counter(names).items() if k > 1] == []  # nobody listed twice
    assert len({f["unit_id"] for f in training["failing"]}) == len(names)
    (running,) = training["periods"]
    assert [f["unit_name"] for f in running["failing"]] == names
    assert training["measured_text"] == "21/42人"
    assert (training["failing_zh"], training["failing_count_zh"]) == ("人", f"{len(names)}人")
    assert county["team-training"]["failing_count_zh"] == "3人"
    assert [f["unit_name"] for f in county["team-training"]["failing"]] == [
        "镇西委员3（镇西社区）", "镇西委员2（镇西社区）", "镇西委员1（镇西社区）",
    ]  # fmt: skip
    assert {f["unit_name"] for f in county["insurance"]["failing"]} == {
        "天南社工（天南社区）", "站前社工（站前社区）", "镇郊社工（镇郊社区）",
    }  # fmt: skip
    # a cadre share counts people but lists the communities that fall short
    assert county["team-education"]["measured_text"] == "67%（14/21人）"
    assert county["team-education"]["failing_count_zh"] == "7个社区"
    assert county["systems"]["failing_count_zh"] == "4个社区"
    assert county["street-systems"]["failing_count_zh"] == "2个街道"
    assert county["street-systems"]["measured_text"] == "1/3个街道"
    tiexi = targets(fetch(client, tokens["community"], SCORECARD))["member-training"]
    assert [(f["unit_name"], f["reason_zh"]) for f in tiexi["failing"]] == [
        ("李磊（铁西社区）", "2026年培训4/6天"), ("陈军（铁西社区）", "2026年培训2/6天"),
        ("杨明（铁西社区）", "2026年培训4/6天"),
    ]  # fmt: skip


def test_amounts_read_in_yuan_and_square_metres_and_shares_as_percentages(demo: Demo) -> None:
    client, tokens = demo
    card = targets(fetch(client, tokens["community"], SCORECARD))
    funding = card["funding"]
    assert (funding["measured_text"], funding["threshold_text"]) == ("12,000元", "10,000元")
    assert (funding["measured"], funding["threshold"], funding["unit"]) == (12000, 10000, "yuan")
    assert funding["periods"][0]["measured_text"] == "12,000元"
    sites = card["standard-sites-all"]
    assert sites["measured_text"] == "办公用房96㎡，活动场所240㎡"
    assert sites["threshold_text"] == "办公用房80㎡，活动场所200㎡"
    assert (card["cards"]["threshold_text"], card["cards"]["measured_text"]) == ("100%", "0/6人")
    county = targets(fetch(client, tokens["county"], PROGRESS))
    assert county["funding"]["threshold_text"] == "每个社区10,000元"
    assert county["funding"]["measured_text"] == "5/7个社区"
    assert [f["reason_zh"] for f in county["funding"]["failing"]] == ["未记录2026年经费"] * 2
    assert county["standard-sites-first"]["measured_text"] == "2个社区"
    assert county["standard-sites-first"]["threshold_text"] == "2个社区"
    assert county["team-age"]["threshold_text"] == "超过50%"
    assert county["five-goods"]["threshold_text"] == "90%"
    zhanqian = targets(fetch(client, tokens["county"], f"/communities/{ZHANQIAN}/scorecard"))
    assert zhanqian["standard-sites-all"]["failing"][0]["reason_zh"] == (
        "办公用房60㎡，不足80㎡；活动场所150㎡，不足200㎡"
    )


def test_county_wide_targets_are_the_countys_in_a_communitys_view(demo: Demo) -> None:
    client, tokens = demo
    county = fetch(client, tokens["county"], PROGRESS)
    own = fetch(client, tokens["community"], PROGRESS)
    seen = targets(own)
    first = seen["standard-sites-first"]
    # the county's two standard sites, not 铁西's one against the county's two
    assert (first["status"], first["measured_text"], first["county_wide"]) == ("green", "2个社区", True)
    assert seen["team-education"]["measured_text"] == "67%（14/21人）"
    assert [f["unit_name"] for f in seen["team-education"]["failing"]] == ["铁西社区"]
    assert {t["id"] for t in own["targets"] if t["county_wide"]} == {
        "team-age", "team-education", "standard-sites-first", "five-goods", "brand",
    }  # fmt: skip
    assert not any(t["county_wide"] for t in county["targets"])
    own_lights = Counter(
        t["status"] for t in own["targets"] if not (t["county_wide"] or t["street_wide"])
    )  # a street's targets are its street's (the next test)
    assert {k: v for k, v in own["summary"].items() if v} == dict(own_lights)
    card = fetch(client, tokens["community"], SCORECARD)
    assert not {"standard-sites-first", "five-goods", "brand"} & set(targets(card))
    assert not any(t["county_wide"] for t in card["targets"])


def test_targets_that_do_not_apply_are_left_out_for_a_narrower_caller(demo: Demo) -> None:
    client, tokens = demo
    assert targets(fetch(client, tokens["county"], PROGRESS))["model-tiexi"]["status"] == "green"
    tianhe = targets(fetch(client, tokens["county"], PROGRESS, street_id=str(TIANHE)))
    assert "model-tiexi" not in tianhe  # the pilot is 铁西, not one of 天河's communities
    assert not [t for t in tianhe.values() if t["status"] == "not_applicable" and not t["county_wide"]]
    zhanqian = targets(fetch(client, tokens["county"], f"/communities/{ZHANQIAN}/scorecard"))
    assert "model-tiexi" not in zhanqian


def test_exports_carry_the_pages_words_and_numeric_cells_with_their_units(demo: Demo) -> None:
    client, tokens = demo
    card = sheet_of(fetch(client, tokens["community"], SCORECARD, format="xlsx"))
    header = [c.value for c in card[2]]
    assert header[:10] == [
        "目标", "条款", "状态", "实测值", "达标程度", "标准", "截止日期", "责任主体", "未达标数",
        "未达标名单及原因",
    ]  # fmt: skip
    rows = {row[0].value: row for row in card.iter_rows(min_row=3)}
    funding = rows["社区办公经费"]
    assert (funding[3].value, funding[4].value, funding[4].number_format) == (
        "12,000元", 12000, '#,##0"元"',
    )  # fmt: skip
    assert (funding[5].value, funding[5].number_format) == (10000, '#,##0"元"')
    training = rows["党员年度培训"]
    assert (training[4].value, training[4].number_format) == (0.5, "0%")
    assert (training[5].value, training[5].number_format, training[8].value) == (1, "0%", "3人")
    assert training[9].value.split("；")[0] == "李磊（铁西社区）：2026年培训4/6天"
    assert rows["社区全部标准化"][5].value == "办公用房80㎡，活动场所200㎡"
    progress = sheet_of(fetch(client, tokens["county"], PROGRESS, format="xlsx"))
    by_title = {row[0].value: row for row in progress.iter_rows(min_row=3)}
    assert (by_title["社区办公经费"][5].value, by_title["社区办公经费"][5].number_format) == (
        10000, '"每个社区"#,##0"元"',
    )  # fmt: skip
    assert (by_title["社区干部年轻化"][5].value, by_title["社区干部年轻化"][5].number_format) == (
        0.5, '"超过"0%',
    )  # fmt: skip
    assert (by_title["首批标准化社区"][4].value, by_title["首批标准化社区"][4].number_format) == (
        2, '#,##0"个社区"',
    )  # fmt: skip
    text = fetch(client, tokens["county"], PROGRESS, format="csv").decode("utf-8-sig")
    as_csv = {r[0]: r for r in list(csv.reader(io.StringIO(text)))[2:]}
    assert as_csv["社区办公经费"][3:6] == ["5/7个社区", "71%", "每个社区10,000元"]
    assert as_csv["党员年度培训"][8] == "21人"
    assert "李磊（镇郊社区）：2026年培训" in as_csv["党员年度培训"][9]
    assert as_csv["党员年度培训"][11] == "2026年：临近期限未达标，21/42人"
    mine = fetch(client, tokens["community"], PROGRESS, format="csv").decode("utf-8-sig")
    titles = [r[0] for r in list(csv.reader(io.StringIO(mine)))[2:]]
    assert "首批标准化社区（全县目标）" in titles
    assert "首批标准化社区" not in titles


def test_the_audit_spreadsheet_names_types_events_and_actors_in_chinese(demo: Demo) -> None:
    client, tokens = demo
    response = client.get(
        "/api/v1/audit/spreadsheet", params={"format": "csv"}, headers=bearer(tokens["auditor"])
    )
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "日志位置", "单位类型", "单位", "单位编号", "事件", "版本", "记录人", "令牌编号", "发生日期",
        "记录时间（北京时间）", "社区", "社区编号", "街道", "街道编号", "内容", "备注", "文号", "来源",
    ]  # fmt: skip
    body = rows[1:]
    assert {r[1] for r in body} >= {"社区", "党组织", "党员", "创建工程"}
    english = {"Community", "PartyOrganization", "Member", "CreationCampaign", "PersonalDataAccess"}
    assert not english & {r[1] for r in body}
    assert not any(r[4].isascii() for r in body)  # every event by its Chinese name
    # the demo's actor by its display name (the test's own tokens record as "t")
    assert {r[6] for r in body if r[4] == "完成培训"} == {"县委组织部（演示）"}  # the label begins with its role's name
    assert not any(r[6].startswith(("county:", "system:")) for r in body)
    training = next(r for r in body if r[4] == "完成培训")
    assert training[2].endswith("社区）")
    assert training[3]
    content = rows[0].index("内容")
    assert "天数：2" in training[content]
    assert "{" not in training[content]
    assert not any('"' in r[content] and "{" in r[content] for r in body)  # no raw JSON


def test_a_streets_targets_are_its_streets_in_a_communitys_view_and_its_own_in_the_streets(
    demo: Demo,
) -> None:
    client, tokens = demo
    street_ids = {"street-five-goods", "street-systems"}
    own = fetch(client, tokens["community"], PROGRESS)
    assert {t["id"] for t in own["targets"] if t["street_wide"]} == street_ids
    assert not any(t["county_wide"] for t in own["targets"] if t["street_wide"])
    own_lights = Counter(
        t["status"] for t in own["targets"] if not (t["county_wide"] or t["street_wide"])
    )
    assert {k: v for k, v in own["summary"].items() if v} == dict(own_lights)
    street = fetch(client, tokens["street"], PROGRESS)
    assert street_ids <= {t["id"] for t in street["targets"]}
    assert not any(t["street_wide"] for t in street["targets"])  # the street's own lights
    assert not any(t["street_wide"] for t in fetch(client, tokens["county"], PROGRESS)["targets"])
    response = client.get(
        f"/api/v1{PROGRESS}", params={"format": "csv"}, headers=bearer(tokens["community"])
    )
    assert response.status_code == 200, response.text
    titles = [row[0] for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))]
    assert sum(title.endswith("（所在街道目标）") for title in titles) == len(street_ids)
