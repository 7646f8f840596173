"""Outside review #3 (29 November), findings 11-13, 15-17: what a refusal says must be its
own reason, in plain figures and Chinese names; a cursor and an If-Match mean exactly what
they were made for; on both stores.

Findings 11 (the auditor given a community's reason; 审计/纪检 with an ASCII slash), 12
(out-of-range and unknown-version messages), 13 (query-parameter messages), 15 (one fact,
several names), 16 (a cursor taken by another list, filter or token) and 17 (a weak If-Match
compared as if strong)."""

import io
import json
from importlib.resources import files
from typing import Any

import pytest
from openpyxl import load_workbook

from sansan.access import AccessService
from sansan.application import SansanApplication
from sansan.clock import FixedClock
from sansan.imports import KINDS
from sansan.imports.kinds import KIND_BY_KEY
from sansan.imports.workbooks import template
from tests.integration.api_support import bearer
from tests.integration.test_imports import created, filled, upload
from tests.integration.test_review2_references import (
    TIANHE,
    TIEXI,
    TIEXI_MEMBER,
    Demo,
    post,
    recorded_since,
    refused,
)

# --- finding 11: the auditor reads only, and its role's name is written one way ---------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("funding-corrections", {"corrected_version": 15, "amount_yuan": "10000", "reason": "x"}),
        ("funding-allocations", {"year": 2026, "amount_yuan": "1000"}),
        ("resident-units", {"unit_name": "县审计局"}),
    ],
)
def test_an_auditor_refused_a_write_is_told_it_reads_only_not_another_level_s_reason(
    app: SansanApplication, demo: Demo, clock: FixedClock, path: str, body: dict[str, Any]
) -> None:
    client, tokens = demo
    before = app.recorder.max_notification_id()
    today = clock.today().isoformat()
    answer = post(client, tokens["auditor"], f"/communities/{TIEXI}/{path}", body | {
        "occurred_on": today
    })
    problem = refused(answer, 403, "role_not_allowed", None)
    assert problem["message_zh"] == "审计、纪检只读，不能填报"
    assert "社区" not in problem["message_zh"]
    assert "community" not in problem["message_en"]
    assert "reads only" in problem["message_en"]
    assert recorded_since(app, before) == []


def test_the_auditor_s_role_is_named_with_full_width_punctuation_wherever_it_is_shown(
    demo: Demo,
) -> None:
    client, tokens = demo
    me = client.get("/api/v1/me", headers=bearer(tokens["auditor"])).json()
    assert me["role_zh"] == "审计、纪检"
    refusal = client.get("/api/v1/audit", headers=bearer(tokens["street"])).json()
    assert "审计、纪检" in refusal["message_zh"], refusal
    labels = (files("sansan.web") / "js" / "labels.js").read_text(encoding="utf-8")
    assert '"auditor": "审计、纪检"' in labels


# --- finding 17: If-Match compares strongly ---------------------------------------------------


def test_a_weak_if_match_never_matches_and_records_nothing_while_the_strong_tag_and_star_do(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    path = f"/api/v1/communities/{TIEXI}/resident-units"
    current = client.get(f"/api/v1/communities/{TIEXI}", headers=bearer(tokens["county"]))
    version = int(current.headers["ETag"].strip('"'))
    before = app.recorder.max_notification_id()

    def write(tag: str, name: str) -> Any:
        body = {"occurred_on": clock.today().isoformat(), "unit_name": name}
        return client.post(path, json=body, headers=bearer(tokens["county"]) | {"If-Match": tag})

    weak = write(f'W/"{version}"', "县供电公司")
    problem = refused(weak, 412, "weak_if_match", None)
    assert "弱校验" in problem["message_zh"]
    assert "never matches" in problem["message_en"]
    assert recorded_since(app, before) == []
    assert write(f'"{version}"', "县供电公司").status_code == 200
    assert write("*", "县自来水公司").status_code == 200


# --- finding 16: a cursor follows on only the list, filters and token it was made for ----------


def page(client: Any, token: str, path: str, **query: Any) -> Any:
    return client.get(f"/api/v1{path}", params=query, headers=bearer(token))


def test_a_cursor_follows_on_with_the_same_list_filters_and_token_whatever_the_limit(
    demo: Demo,
) -> None:
    client, tokens = demo
    first = page(client, tokens["county"], "/communities", limit=2).json()
    seen = {c["id"] for c in first["items"]}
    cursor = first["next_cursor"]
    rest = page(client, tokens["county"], "/communities", limit=3, cursor=cursor)
    assert rest.status_code == 200, rest.text
    assert seen.isdisjoint(c["id"] for c in rest.json()["items"])
    assert rest.json()["items"]


@pytest.mark.parametrize(
    ("minted", "replayed"),
    [
        # another filter: the review's "天河街道 has no communities"
        (("county", "/communities", {}), ("county", "/communities", {"street_id": str(TIANHE)})),
        # another list
        (("auditor", "/audit", {}), ("county", "/members", {})),
        (("county", "/members", {}), ("county", "/campaigns", {})),
        # another token, even of the same role and scope
        (("county", "/communities", {}), ("other_county", "/communities", {})),
        (("county", "/audit", {"order": "newest"}), ("county", "/audit", {"order": "oldest"})),
    ],
)
def test_a_cursor_made_for_another_list_filter_or_token_is_refused_not_read_as_a_page(
    app: SansanApplication, demo: Demo, minted: tuple[str, str, dict[str, str]],
    replayed: tuple[str, str, dict[str, str]],
) -> None:  # fmt: skip
    client, tokens = demo
    tokens = tokens | {"other_county": AccessService(app).issue_token(
        role="county", scope_org_id=None, label="县委组织部（另一令牌，游标）", actor="t"
    )[0]}  # fmt: skip
    role, path, query = minted
    cursor = page(client, tokens[role], path, limit=2, **query).json()["next_cursor"]
    assert cursor
    role, path, query = replayed
    answer = page(client, tokens[role], path, limit=2, cursor=cursor, **query)
    problem = refused(answer, 400, "bad_cursor", None)
    assert problem["message_zh"] == "分页游标与当前查询条件不符，请从第一页重新查询"
    assert "first page" in problem["message_en"]


def test_a_tampered_cursor_is_still_refused_as_invalid(demo: Demo) -> None:
    client, tokens = demo
    cursor = page(client, tokens["county"], "/communities", limit=2).json()["next_cursor"]
    altered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    answer = page(client, tokens["county"], "/communities", limit=2, cursor=altered)
    assert refused(answer, 400, "bad_cursor", None)["message_zh"] == "分页游标无效"


# --- finding 12: a refusal states the real range in plain figures, and the version's case ------


def correct_area(client: Any, token: str, today: str, **body: Any) -> Any:
    fields = {"occurred_on": today, "corrected_version": 14, "corrected_field": "office_area_m2",
              "area_m2": 90, "reason": "复核丈量"} | body  # fmt: skip
    return post(client, token, f"/communities/{TIEXI}/facility-area-corrections", fields)


@pytest.mark.parametrize(
    ("area", "shown_zh", "shown_en"),
    [
        (1e308, "大于1,000,000,000,000平方米", "more than 1,000,000,000,000 m²"),
        (0, "0平方米", "0 m²"),
        (1e-7, "0.0000001平方米", "0.0000001 m²"),
        (123456.5, "123,456.5平方米", "123,456.5 m²"),
    ],
)
def test_an_area_out_of_range_is_refused_with_the_range_and_the_figure_in_plain_digits(
    app: SansanApplication, demo: Demo, clock: FixedClock, area: float, shown_zh: str,
    shown_en: str,
) -> None:  # fmt: skip
    client, tokens = demo
    before = app.recorder.max_notification_id()
    answer = correct_area(client, tokens["county"], clock.today().isoformat(), area_m2=area)
    problem = refused(answer, 422, "area_implausible", "area_m2")
    assert problem["message_zh"] == f"面积须在1至100,000平方米之间、最多两位小数，实际为{shown_zh}"
    assert problem["message_en"].endswith(f"got {shown_en}")
    assert "e+" not in problem["message_zh"]
    assert "e-" not in problem["message_zh"]
    assert recorded_since(app, before) == []


def test_a_correction_naming_a_version_the_community_never_had_says_which_is_its_latest(
    demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    latest = client.get(f"/api/v1/communities/{TIEXI}", headers=bearer(tokens["county"]))
    version = int(latest.headers["ETag"].strip('"'))
    today = clock.today().isoformat()
    answer = correct_area(client, tokens["county"], today, corrected_version=99999)
    problem = refused(answer, 422, "not_correctable", "corrected_version")
    assert problem["message_zh"] == f"该社区没有第99999版（最新为第{version}版）"
    funding = post(client, tokens["county"], f"/communities/{TIEXI}/funding-corrections", {
        "occurred_on": today, "corrected_version": version + 1, "amount_yuan": "9000",
        "reason": "录入错误",
    })  # fmt: skip
    said = refused(funding, 422, "not_correctable", "corrected_version")["message_zh"]
    assert said == f"该社区没有第{version + 1}版（最新为第{version}版）"


def test_a_correction_of_a_correction_is_sent_to_the_original_record(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    today = clock.today().isoformat()
    first = correct_area(client, tokens["county"], today, area_m2=90)
    assert first.status_code == 200, first.text
    correction = first.json()["version"]
    before = app.recorder.max_notification_id()
    again = correct_area(client, tokens["county"], today, corrected_version=correction, area_m2=91)
    problem = refused(again, 422, "not_correctable", "corrected_version")
    assert problem["message_zh"] == f"第{correction}版是更正记录，请更正原记录第14版"
    assert "version 14" in problem["message_en"]
    # a funding correction naming the area's correction: that is no allocation of any kind
    funding = post(client, tokens["county"], f"/communities/{TIEXI}/funding-corrections", {
        "occurred_on": today, "corrected_version": correction, "amount_yuan": "9000",
        "reason": "录入错误",
    })  # fmt: skip
    said = refused(funding, 422, "not_correctable", "corrected_version")["message_zh"]
    assert "原记录第14版" not in said
    assert recorded_since(app, before) == []


# --- finding 13: query parameters refused in words, named in Chinese -------------------------


@pytest.mark.parametrize(
    ("path", "query", "field", "said_zh", "said_en"),
    [
        (f"/communities/{TIEXI}/scorecard", {"as_of": "2026-02-29"}, "as_of",
         "2026年没有2月29日", "2026-02-29 is no day of the calendar"),
        (f"/communities/{TIEXI}/scorecard", {"as_of": "2026-13-01"}, "as_of",
         "月份须在1至12之间，实际为13", "a month is 1 to 12, got 13"),
        (f"/communities/{TIEXI}/scorecard", {"failing_limit": "-1"}, "failing_limit",
         "须在0至1000之间，实际为-1", "must be between 0 and 1000, got -1"),
        ("/communities", {"limit": "0"}, "limit", "须在1至200之间，实际为0",
         "must be between 1 and 200, got 0"),
        ("/audit", {"order": "foo"}, "order", "取值不在允许范围内，可选：最新在前、最早在前",
         "'newest' or 'oldest'"),
    ],
)  # fmt: skip
def test_a_query_parameter_refused_is_told_in_words_with_its_range_or_choices_in_chinese(
    demo: Demo, path: str, query: dict[str, str], field: str, said_zh: str, said_en: str
) -> None:
    client, tokens = demo
    answer = client.get(f"/api/v1{path}", params=query, headers=bearer(tokens["county"]))
    problem = refused(answer, 422, "invalid_request", field)
    [entry] = [e for e in problem["errors"] if e["field"] == field]
    assert entry["message_zh"] == said_zh
    assert said_en in entry["message_en"]
    assert field not in problem["message_zh"]


def test_a_day_to_come_is_refused_naming_the_parameter_in_chinese_only(
    demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    year = clock.today().year + 1
    answer = client.get(
        f"/api/v1/communities/{TIEXI}/scorecard", params={"as_of": f"{year}-01-01"},
        headers=bearer(tokens["county"]),
    )  # fmt: skip
    problem = refused(answer, 422, "as_of_in_future", "as_of")
    assert problem["message_zh"].startswith(f"评估日期{year}年1月1日晚于今天")
    assert "as_of" not in problem["message_zh"]


# --- finding 15: one fact, one name, in the plan's own words ----------------------------------

FUNDING_ZH = "社区办公经费"  # the plan: 加大社区办公经费投入力度……划拨的经费不少于1万元
SITES_ZH = "办公用房和活动场所建设"  # the plan: 切实加强社区办公用房和活动场所建设


def test_each_fact_goes_by_one_name_in_commands_sheets_timeline_corrections_and_scorecard(
    demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    county = bearer(tokens["county"])
    catalogue = {c["id"]: c["title_zh"] for c in client.get("/api/v1/commands", headers=county).json()}
    assert catalogue["allocateFunding"] == f"划拨{FUNDING_ZH}"
    assert catalogue["correctFundingAmount"] == f"更正{FUNDING_ZH}金额"
    assert catalogue["upgradeFacility"] == f"记录{SITES_ZH}"
    assert catalogue["correctFacilityArea"] == "更正办公用房和活动场所面积"
    sheets = load_workbook(io.BytesIO(template(KINDS))).sheetnames
    assert FUNDING_ZH in sheets
    assert SITES_ZH in sheets
    assert not {"工作经费", "阵地改造"} & set(sheets)
    today = clock.today().isoformat()
    area = correct_area(client, tokens["county"], today, area_m2=90).json()
    assert f"第14版（2026年7月29日{SITES_ZH}）" in area["events"][0]["data"]["correction"]
    money = post(client, tokens["county"], f"/communities/{TIEXI}/funding-corrections", {
        "occurred_on": today, "corrected_version": 15, "amount_yuan": "9000", "reason": "录入错误",
    }).json()  # fmt: skip
    said = money["events"][0]["data"]["correction"]
    assert said.startswith(f"第15版（2026年5月30日划拨{FUNDING_ZH}）2026年度{FUNDING_ZH}由"), said
    card = client.get(f"/api/v1/communities/{TIEXI}/scorecard", headers=county).json()
    assert FUNDING_ZH in {row["title_zh"] for row in card["targets"]}
    every = " ".join(json.dumps(x, ensure_ascii=False) for x in (catalogue, sheets, area, money))
    for former in ("工作经费", "阵地改造", "阵地提档升级", "更正阵地面积", "活动场所改造"):
        assert former not in every


@pytest.mark.parametrize(
    ("key", "former", "row"),
    [
        ("funding", "工作经费", {"社区名称": "铁西社区", "年度": 2026, "金额（元）": "3000",
                                 "经费来源": "县财政", "发生日期": "2026-06-30"}),
        ("facility_upgrades", "阵地改造", {"社区名称": "铁西社区", "办公用房面积（平方米）": 120,
                                            "活动场所面积（平方米）": 260, "发生日期": "2026-08-30"}),
    ],
)  # fmt: skip
def test_a_file_filled_in_under_the_former_sheet_name_still_imports(
    demo: Demo, key: str, former: str, row: dict[str, Any]
) -> None:
    client, tokens = demo
    book = load_workbook(io.BytesIO(filled({key: [row]})))
    book[KIND_BY_KEY[key].sheet].title = former
    out = io.BytesIO()
    book.save(out)
    report = created(upload(client, tokens["county"], out.getvalue()))
    assert report["recorded"] == {key: 1}


def test_a_body_figure_out_of_its_bound_says_the_bound_not_merely_too_small(
    demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    answer = correct_area(client, tokens["county"], clock.today().isoformat(), corrected_version=0)
    [entry] = refused(answer, 422, "invalid_request", "corrected_version")["errors"]
    assert entry["message_zh"] == "须不小于1，实际为0"


def test_any_rule_quotes_a_figure_in_plain_digits_never_an_exponent(
    demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    body = {"occurred_on": clock.today().isoformat(), "days": 1e300, "topic": "党章学习",
            "method": "lecture"}  # fmt: skip
    answer = post(client, tokens["county"], f"/members/{TIEXI_MEMBER}/trainings", body)
    problem = refused(answer, 422, "training_days_out_of_range", "days")
    assert problem["message_zh"].endswith("实际为 大于1,000,000,000,000")
    assert problem["message_en"].endswith("got more than 1,000,000,000,000")
