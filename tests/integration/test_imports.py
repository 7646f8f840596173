"""Spreadsheet import through the API, on both stores: a county's tree and roster from the
filled templates, files with mistakes, re-imports, real files' quirks, scope and limits."""

import base64
import io
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from sansan.api import import_endpoints
from sansan.api.limits import MAX_BODY_BYTES
from sansan.bootstrap import Services, build_read_store, build_services
from sansan.clock import FixedClock
from sansan.domain import ImportRecord, Member, PartyOrganization
from sansan.domain.base import Provenance
from sansan.imports import KIND_BY_KEY, KINDS, Importer, Limits
from sansan.imports.kinds import MEMBER, derived_id
from sansan.imports.roster import Roster
from sansan.imports.workbooks import template
from sansan.projections.runner import ProjectionRunner
from sansan.settings import Settings
from tests.integration.api_support import bearer
from tests.support import TODAY

Demo = tuple[TestClient, dict[str, str]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# what an import that finds nothing new records: its own record, begun and finished
IMPORT_ITSELF = ["sansan:ImportRecord.ImportRecorded", "sansan:ImportRecord.ImportFinished"]
# what a dry run records: who checked which file (it tells whether the names in it exist)
DRY_RUN_TRACE = ["sansan:PersonalDataAccess.PersonalDataRead"]


def filled(rows: dict[str, list[dict[str, Any]]]) -> bytes:
    """The all-kinds template with its example rows replaced by ``rows`` (by header)."""
    book = load_workbook(io.BytesIO(template(KINDS)))
    for kind in KINDS:
        sheet = book[kind.sheet]
        sheet.delete_rows(2)
        for row in rows.get(kind.key, []):
            sheet.append([row.get(c.header) for c in kind.columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(
    client: TestClient, token: str, data: bytes, name: str = "county.xlsx", **form: str
) -> Any:
    return client.post(
        "/api/v1/imports", headers=bearer(token), files={"file": (name, data, XLSX)}, data=form
    )


def created(answer: Any) -> dict[str, Any]:
    """The report of an import that recorded; else the problems, not the whole answer."""
    body: dict[str, Any] = answer.json()
    assert answer.status_code == 201, body.get("report", body).get("problems", body)
    return body


def services_of(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def head(client: TestClient) -> int:
    return services_of(client).app.recorder.max_notification_id() or 0


def recorded_since(client: TestClient, position: int) -> list[str]:
    """What was recorded after ``position``, less the audit chain's own checkpoints."""
    recorder = services_of(client).app.recorder
    found = recorder.select_notifications(position + 1, 100_000)
    return [n.topic for n in found if not n.topic.startswith("sansan:AuditCheckpoint")]


def new_county(members: int) -> dict[str, list[dict[str, Any]]]:
    """A street of its own with a community, its general branch, two branches and a roster;
    listed children first, so the import has to find the order itself."""
    branches = ["新区一社区第一党支部", "新区一社区第二党支部"]
    return {
        "organizations": [
            *({"组织名称": b, "组织层级": "小区党支部", "上级党组织名称": "新区一社区党总支", "发生日期": "2026-03-10"} for b in branches),
            {"组织名称": "新区一社区党总支", "组织层级": "社区党总支", "上级党组织名称": "新区街道党工委", "所属社区名称": "新区一社区", "发生日期": "2026-03-05"},
            {"组织名称": "新区街道党工委", "组织层级": "街道党工委", "发生日期": "2026-03-01"},
        ],
        "communities": [
            {"社区名称": "新区一社区", "街道党工委名称": "新区街道党工委", "社区来源": "新建居民小区", "发生日期": "2026-03-02"},
        ],
        "members": [
            {"姓名": f"党员{i:04d}", "管理类别": "直管", "所在党组织名称": branches[i % 2], "出生年份": 1960 + i % 40, "发生日期": date(2026, 4, 1)}
            for i in range(members)
        ],
        "member_trainings": [
            {"党员所在党组织": branches[i % 2], "党员姓名": f"党员{i:04d}", "培训天数": 2, "培训方式": "课堂讲课", "主题": "党课", "发生日期": "2026年5月1日"}
            for i in range(0, members, 10)
        ],
        "funding": [
            {"社区名称": "新区一社区", "年度": 2026, "金额（元）": 30000, "经费来源": "县财政", "发生日期": "2026/4/2"}
        ],
        "team_members": [
            {"党组织名称": "新区一社区党总支", "姓名": "赵书记", "出生年份": 1975, "学历": "本科", "发生日期": "2026-03-06"}
        ],
        "team_trainings": [
            {"党组织名称": "新区一社区党总支", "班子成员姓名": "赵书记", "培训天数": 3, "在县委党校培训": "是", "发生日期": "2026-06-01"}
        ],
        "community_workers": [
            {"社区名称": "新区一社区", "社区工作者姓名": "钱专干", "角色": "社区专职工作者", "发生日期": "2026-03-08"}
        ],
        "working_systems": [
            {"社区名称": "新区一社区", "类别": "党组织议事制度", "事项": "议事规则", "发生日期": "2026-03-09"}
        ],
        "coordination_bodies": [
            {"社区名称": "新区一社区", "类别": "社区党建工作联席会", "发生日期": "2026-03-09"}
        ],
        "facility_upgrades": [
            {"社区名称": "新区一社区", "办公用房面积（平方米）": "８５", "活动场所面积（平方米）": 210, "发生日期": 46100}
        ],
    }  # fmt: skip


@pytest.fixture
def county(demo: Demo) -> tuple[TestClient, str]:
    client, tokens = demo
    return client, tokens["county"]


def test_a_county_tree_and_a_3000_member_roster_go_in_from_the_filled_templates_in_one_upload(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    report = created(upload(client, token, filled(new_county(3000))))
    assert report["saved"]
    assert not report["problems"]
    assert report["recorded"] == {
        "organizations": 4, "communities": 1, "members": 3000, "member_trainings": 300,
        "funding": 1, "team_members": 1, "team_trainings": 1, "community_workers": 1,
        "working_systems": 1, "coordination_bodies": 1, "facility_upgrades": 1,
    }  # fmt: skip
    app = services_of(client).app
    branch = app.get(derived_id("organization", "新区一社区第二党支部", None), PartyOrganization)
    general = app.get(branch.parent_id, PartyOrganization)
    assert general.name == "新区一社区党总支"
    member = app.get(derived_id(MEMBER, "党员0001", branch.id), Member)
    assert (member.name, member.category, member.birth_year) == ("党员0001", "direct", 1961)
    assert member.training_days_by_year == {}
    first_branch = derived_id("organization", "新区一社区第一党支部", None)
    trained = app.get(derived_id(MEMBER, "党员0010", first_branch), Member)
    assert trained.training_days_by_year == {"2026": 2.0}
    # every event carries the importing actor; the import records who, the file and the counts
    assert {e.actor for e in app.history(member.id)} == {"county:县委组织部（演示）"}
    record = app.get(UUID(report["import_id"]), ImportRecord)
    assert record.recorded["members"] == 3000
    assert record.rows_mapped == 3312
    assert len(record.sha256) == 64
    assert record.sha256 == report["sha256"]


def test_importing_the_same_file_again_or_an_overlapping_one_records_nothing_twice(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    first = new_county(40)
    created(upload(client, token, filled(first)))
    services_of(client).projections.catch_up()
    before = head(client)
    again = upload(client, token, filled(first)).json()
    assert again["events"] == 0
    assert sum(again["recorded"].values()) == 0
    assert again["skipped"]["members"] == 40
    assert again["skipped"]["member_trainings"] == 4
    assert recorded_since(client, before) == IMPORT_ITSELF
    overlapping = new_county(50)
    more = upload(client, token, filled(overlapping)).json()
    assert more["recorded"] == {"members": 10, "member_trainings": 1}
    assert more["skipped"]["members"] == 40


def test_a_file_with_mistakes_records_nothing_and_comes_back_explained(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    rows = new_county(40)  # four trainings
    rows["members"][3]["管理类别"] = "直接管理"
    rows["members"][5]["所在党组织名称"] = "没有这个支部"
    rows["members"][8].update({"出生年份": 1970, "出生日期": "1971-01-01"})
    rows["member_trainings"][1]["培训天数"] = 99
    rows["member_trainings"][2]["主题"] = None
    rows["member_trainings"][3]["发生日期"] = "2099年1月1日"
    rows["funding"][0]["发生日期"] = "2026年13月1日"
    before = head(client)
    answer = upload(client, token, filled(rows))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert recorded_since(client, before) == DRY_RUN_TRACE  # who checked which file
    body = answer.json()
    assert body["code"] == "import_rejected"
    problems = {
        (p["sheet"], p["row"], p["column"], p["value"], p["code"])
        for p in body["report"]["problems"]
    }
    assert problems == {
        ("党员", 5, "管理类别", "直接管理", "bad_choice"),
        ("党员", 7, "所在党组织名称", "没有这个支部", "unknown_reference"),
        ("党员", 10, "出生年份、出生日期", "1970、1971-01-01", "birth_year_mismatch"),
        ("党员培训", 3, "培训天数", "99", "training_days_out_of_range"),
        ("党员培训", 4, "主题", "", "required"),
        ("党员培训", 5, "发生日期", "2099年1月1日", "occurred_in_future"),
        ("社区办公经费", 2, "发生日期", "2026年13月1日", "bad_date"),
    }
    assert all(re.search(r"[\u4e00-\u9fff]", p["message_zh"]) for p in body["report"]["problems"])
    errors = load_workbook(io.BytesIO(base64.b64decode(body["report"]["error_workbook"])))
    sheet = errors["党员"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "错误"
    assert "直管、双管、参管" in sheet.cell(row=5, column=len(header)).value
    assert sheet.cell(row=4, column=len(header)).value is None
    said = errors["党员培训"]
    width = len([c.value for c in said[1]])
    # the column said once, before its value; the rule's message as it is
    assert said.cell(row=4, column=width).value == "“主题”为必填项"
    assert said.cell(row=5, column=width).value.startswith("“发生日期”（2099年1月1日）发生日期 2099-01-01")


def test_the_error_workbook_once_fixed_imports(county: tuple[TestClient, str]) -> None:
    client, token = county
    rows = new_county(6)
    rows["members"][2]["管理类别"] = "直接管理"
    body = upload(client, token, filled(rows)).json()
    book = load_workbook(io.BytesIO(base64.b64decode(body["report"]["error_workbook"])))
    book["党员"].cell(row=4, column=2).value = "直管"
    out = io.BytesIO()
    book.save(out)
    created(upload(client, token, out.getvalue()))


def _csv_roster() -> str:
    return "\n".join(
        [
            "发生日期,姓名,所在党组织名称,管理类别,出生年份",  # reordered
            "2026-04-01,甲一,铁西社区党总支,直管,１９８０",  # full-width digits
            "2026/4/1,甲二,铁西社区党总支,双管,1981",
            "2026年4月1日,甲三,铁西社区党总支,参管,1982",
            "46113,甲四,铁西社区党总支,直管,1983",  # an Excel serial as text: 2026-04-01
            ",,,,",
            "",
        ]
    )


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_gbk_and_bom_csv_with_dates_in_four_forms_full_width_digits_and_reordered_columns_import(
    county: tuple[TestClient, str], encoding: str
) -> None:
    client, token = county
    created(upload(client, token, _csv_roster().encode(encoding), "名册.csv"))
    app = services_of(client).app
    org = next(
        o
        for o in services_of(client).read_models.organizations(scope=None)
        if o["name"] == "铁西社区党总支"
    )
    for name, year in (("甲一", 1980), ("甲四", 1983)):
        member = app.get(derived_id(MEMBER, name, UUID(org["id"])), Member)
        assert (member.birth_year, member.began_on) == (year, date(2026, 4, 1))


@pytest.mark.parametrize("breaks", ["\r", "\r\n", "mixed"])
def test_a_csv_with_any_line_breaks_imports_as_excel_on_a_mac_or_windows_saves_it(
    county: tuple[TestClient, str], breaks: str
) -> None:
    """Mac Excel's "CSV (Macintosh)" ends lines in CR alone: it was a 500 (the csv module
    met a CR inside what it took for one line). A quoted cell keeps its own line break."""
    client, token = county
    lines = _csv_roster().split("\n")
    lines[1] = lines[1].replace("甲一", '"甲一"')
    text = "".join(line + ("\r" if breaks == "mixed" and i % 2 else breaks.replace("mixed", "\n"))
                   for i, line in enumerate(lines))  # fmt: skip
    answer = created(upload(client, token, text.encode("gbk"), "名册.csv"))
    assert answer["recorded"] == {"members": 4}, answer


def test_a_csv_that_cannot_be_read_is_a_problem_of_the_file_never_a_500(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    text = _csv_roster() + "2026-04-01,甲五," + "长" * 140_000 + ",直管,1984\n"  # past csv's limit
    answer = upload(client, token, text.encode(), "名册.csv")
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["report"]["problems"]
    assert problem["code"] == "bad_file"
    assert problem["message_zh"].startswith("无法读取该 CSV 文件")


def test_the_error_workbook_leaves_out_long_runs_of_blank_rows(
    county: tuple[TestClient, str],
) -> None:
    """Outside review 5: a 2.7 KB file with one bad row and a last row at 1,048,576 came back
    as a 3.7 MB workbook of empty rows, after 10 s. At most 100 blank rows in a run are kept."""
    client, token = county
    lines = _csv_roster().split("\n")
    lines[2] = lines[2].replace("双管", "不知道")  # one bad row
    text = "\n".join([*lines[:3], *[",,,,"] * 5000, *lines[3:]])
    answer = upload(client, token, text.encode(), "名册.csv")
    assert answer.status_code == 422, answer.text
    book = load_workbook(io.BytesIO(base64.b64decode(answer.json()["report"]["error_workbook"])))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) < 3 + 100 + 10, len(rows)
    assert "管理类别" in str(rows[2][-1])  # the bad row keeps its error beside it
    assert any(r[1] == "甲四" for r in rows)  # rows after the run are all there


def test_a_missing_required_column_is_reported_and_nothing_is_read(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    csv = "姓名,所在党组织名称,发生日期\n甲一,铁西社区党总支,2026-04-01\n"
    answer = upload(client, token, csv.encode(), "名册.csv")
    assert answer.status_code == 422
    [problem] = answer.json()["report"]["problems"]
    assert (problem["column"], problem["code"]) == ("管理类别", "missing_column")
    assert problem["message_zh"] == "缺少必填列“管理类别”"


def _with_cached_formula(data: bytes, cell: str, formula: str, value: int) -> bytes:
    """Excel keeps a formula's last value beside it; openpyxl writes none, so put one in."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(
                    rf'<c r="{cell}"[^>]*>.*?</c>'.encode(),
                    f'<c r="{cell}"><f>{formula}</f><v>{value}</v></c>'.encode(),
                    content,
                )
            target.writestr(item, content)
    return out.getvalue()


def test_a_sheet_renamed_with_a_merged_title_row_blank_rows_and_a_formula_is_read(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "铁西名册（2026）"
    sheet.append(["铁西社区党员名册"])
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(["姓名", "管理类别", "所在党组织名称", "出生年份", "发生日期"])
    sheet.append(["乙一", "直管", "铁西社区党总支", 0, date(2026, 4, 1)])
    sheet.append([])
    sheet.append(["乙二", "双管", "铁西社区党总支", 1977, "2026-04-02"])
    sheet.append([None, None, None, None, None])
    out = io.BytesIO()
    book.save(out)
    data = _with_cached_formula(out.getvalue(), "D4", "1970+5", 1975)
    created(upload(client, token, data))
    org = next(
        o
        for o in services_of(client).read_models.organizations(scope=None)
        if o["name"] == "铁西社区党总支"
    )
    member = services_of(client).app.get(derived_id(MEMBER, "乙一", UUID(org["id"])), Member)
    assert member.birth_year == 1975


def test_a_name_merged_down_over_several_rows_counts_in_each_row_and_a_merge_across_does_not(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "党员"
    sheet.append(["姓名", "管理类别", "所在党组织名称", "出生年份", "发生日期"])
    sheet.append(["丁一", "直管", "铁西社区党总支", 1970, "2026-04-01"])
    sheet.append(["丁二", "双管", None, 1971, "2026-04-01"])
    sheet.append(["丁三", "直管", None, 1972, "2026-04-01"])
    sheet.append(["丁四", "直管", "天北社区党总支", 1973, None])
    sheet.merge_cells("C2:C4")
    sheet.merge_cells("D5:E5")  # across: 发生日期 stays blank, never the birth year
    out = io.BytesIO()
    book.save(out)
    answer = upload(client, token, out.getvalue())
    assert answer.status_code == 422
    problems = answer.json()["report"]["problems"]
    assert [(p["row"], p["column"], p["code"]) for p in problems] == [(5, "发生日期", "required")]
    sheet.unmerge_cells("D5:E5")
    sheet["E5"] = "2026-04-01"
    out = io.BytesIO()
    book.save(out)
    created(upload(client, token, out.getvalue()))
    org = next(
        o
        for o in services_of(client).read_models.organizations(scope=None)
        if o["name"] == "铁西社区党总支"
    )
    for name, year in (("丁一", 1970), ("丁二", 1971), ("丁三", 1972)):
        member = services_of(client).app.get(derived_id(MEMBER, name, UUID(org["id"])), Member)
        assert member.birth_year == year


def test_a_community_token_imports_only_into_its_own_subtree(demo: Demo) -> None:
    client, tokens = demo
    rows = {"members": [
        {"姓名": "丙一", "管理类别": "直管", "所在党组织名称": "铁西社区党总支", "发生日期": "2026-04-01"},
        {"姓名": "丙二", "管理类别": "直管", "所在党组织名称": "天北社区党总支", "发生日期": "2026-04-01"},
    ]}  # fmt: skip
    before = head(client)
    answer = upload(client, tokens["community"], filled(rows))
    assert answer.status_code == 422
    [problem] = answer.json()["report"]["problems"]
    # outside the subtree is answered as a name nobody bears (no existence oracle)
    assert (problem["row"], problem["code"], problem["value"]) == (
        3,
        "unknown_reference",
        "天北社区党总支",
    )
    assert recorded_since(client, before) == DRY_RUN_TRACE  # who checked which file
    rows["members"].pop()
    created(upload(client, tokens["community"], filled(rows)))


def test_an_auditor_may_not_import(demo: Demo) -> None:
    client, tokens = demo
    assert upload(client, tokens["auditor"], filled({})).status_code == 403


def test_a_file_over_the_size_or_row_limit_is_refused_with_a_clear_problem(demo: Demo) -> None:
    client, tokens = demo
    services = services_of(client)
    services.settings = services.settings.model_copy(update={"import_max_bytes": 1000})
    big = upload(client, tokens["county"], filled(new_county(3)))
    assert big.status_code == 413
    assert big.json()["code"] == "import_too_large"
    services.settings = services.settings.model_copy(
        update={"import_max_bytes": 10**7, "import_max_rows": 5}
    )
    before = head(client)
    many = upload(client, tokens["county"], filled(new_county(10)))
    assert many.status_code == 413
    assert many.json()["code"] == "import_too_many_rows"
    assert "未记录任何内容" in many.json()["message_zh"]
    assert recorded_since(client, before) == []


def test_a_dry_run_checks_every_row_and_records_only_who_ran_it(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    before = head(client)
    answer = upload(client, token, filled(new_county(30)), dry_run="true")
    assert answer.status_code == 200
    assert answer.json()["recorded"]["members"] == 30
    assert not answer.json()["saved"]
    assert recorded_since(client, before) == DRY_RUN_TRACE


def test_the_template_of_a_kind_is_an_xlsx_with_its_instructions(demo: Demo) -> None:
    client, tokens = demo
    answer = client.get("/api/v1/imports/templates/members", headers=bearer(tokens["auditor"]))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames[0] == "说明"
    assert "党员" in book.sheetnames
    assert "所在党组织名称、姓名" in str(book["说明"]["C2"].value)
    guide = " ".join(str(c.value) for c in book["说明"]["A"] if c.value)
    assert "上下合并的单元格" in guide
    unknown = client.get("/api/v1/imports/templates/nothing", headers=bearer(tokens["county"]))
    assert unknown.status_code == 404
    assert "members(党员)" in unknown.json()["message_zh"]
    assert KIND_BY_KEY["members"].sheet == "党员"


def _data_rows(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(data))
    return {
        name: sorted((tuple(r) for r in book[name].iter_rows(min_row=2, values_only=True)), key=str)
        for name in ("党组织", "社区", "党员")
    }


def test_a_roster_exported_by_the_service_imports_into_an_empty_store_to_the_same_state(
    demo: Demo, tmp_path: Path, clock: FixedClock
) -> None:
    client, tokens = demo
    exported = client.get(
        "/api/v1/imports/templates/all", params={"filled": "true"}, headers=bearer(tokens["county"])
    )
    assert exported.status_code == 200
    rows = _data_rows(exported.content)
    listed = client.get(
        "/api/v1/members", params={"limit": 200}, headers=bearer(tokens["county"])
    ).json()
    labels = dict(KIND_BY_KEY["members"].columns[1].choices)
    # the export says what the service holds (else a fault shared by both exports would pass)
    assert sorted((r[0], r[1], r[2]) for r in rows["党员"]) == sorted(
        (m["name"], labels[m["category"]], m["organization_name"]) for m in listed["items"]
    )
    assert len(rows["社区"]) == 7
    target = build_services(
        Settings(database_url=f"sqlite:///{tmp_path / 'other.db'}", run_scheduler=False), clock
    )
    try:
        report = Importer(target.app, target.store, actor="cli:admin").run(
            exported.content, "名册.xlsx"
        )
        assert report.problems == []
        assert report.recorded == {
            "organizations": len(rows["党组织"]),
            "communities": 7,
            "members": 42,
        }
        target.projections.catch_up()
        again = Roster(target.app, target.read_models, None).workbook(
            ["organizations", "communities", "members"]
        )
    finally:
        target.close()
    assert _data_rows(again) == rows


def test_exporting_the_roster_is_recorded_as_a_read_of_personal_data(demo: Demo) -> None:
    client, tokens = demo
    before = head(client)
    answer = client.get(
        "/api/v1/imports/templates/members",
        params={"filled": "true"},
        headers=bearer(tokens["community"]),
    )
    assert answer.status_code == 200
    assert len(_data_rows_of(answer.content, "党员")) == 6  # 铁西 only: the token's subtree
    assert "sansan:PersonalDataAccess.PersonalDataRead" in recorded_since(client, before)


def _data_rows_of(data: bytes, sheet: str) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(min_row=2, values_only=True))


def test_the_template_as_downloaded_imports_nothing_its_example_rows_are_marked(demo: Demo) -> None:
    client, tokens = demo
    before = head(client)
    answer = upload(client, tokens["county"], template(KINDS))  # a 422 no_rows, no record of it
    assert answer.status_code == 422, answer.text
    assert answer.json()["report"]["rows"] == 0
    assert recorded_since(client, before) == []


@pytest.mark.parametrize("damage", ["not_a_zip", "truncated_sheet"])
def test_a_damaged_xlsx_is_answered_with_a_clear_report_never_a_500(
    county: tuple[TestClient, str], damage: str
) -> None:
    client, token = county
    data = filled(new_county(5))
    if damage == "not_a_zip":
        data = data[:4] + b"garbage" * 50
    else:
        source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for item in source.infolist():
                content = source.read(item.filename)
                target.writestr(
                    item,
                    content[: len(content) // 2]
                    if item.filename.endswith("sheet5.xml")
                    else content,
                )
        data = out.getvalue()
    before = head(client)
    answer = upload(client, token, data)
    assert answer.status_code == 422
    assert {p["code"] for p in answer.json()["report"]["problems"]} == {"bad_file"}
    assert "无法读取" in answer.json()["report"]["problems"][0]["message_zh"]
    assert load_workbook(
        io.BytesIO(base64.b64decode(answer.json()["report"]["error_workbook"]))
    ).sheetnames == ["错误"]
    assert recorded_since(client, before) == (
        DRY_RUN_TRACE if damage == "truncated_sheet" else []  # rows ran before the damage
    )


def test_every_imported_event_carries_the_importing_actor_and_the_row_it_came_from(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    report = created(upload(client, token, filled(new_county(20))))
    services = services_of(client)
    first_branch = derived_id("organization", "新区一社区第一党支部", None)
    member_id = derived_id(MEMBER, "党员0010", first_branch)
    history = services.app.history(member_id)
    # 党员0010 is the 11th member (row 12 under the header) and the 2nd training (row 3)
    assert [(e.type, e.actor, e.imported_from) for e in history] == [
        ("MemberRegistered", "county:县委组织部（演示）",
         {"import_id": report["import_id"], "sheet": "党员", "row": 12}),
        ("TrainingCompleted", "county:县委组织部（演示）",
         {"import_id": report["import_id"], "sheet": "党员培训", "row": 3}),
    ]  # fmt: skip
    services.projections.catch_up()
    audit = client.get(
        "/api/v1/audit", params={"aggregate_id": str(member_id), "order": "oldest"},
        headers=bearer(token),
    ).json()  # fmt: skip
    said = [item["data"]["imported_from"] for item in audit["items"]]
    record = report["import_id"][:8]
    assert said == [
        f"导入 党员 表第12行（导入记录 {record}）",
        f"导入 党员培训 表第3行（导入记录 {record}）",
    ]
    # and the API's history shows the row as it is stored
    shown = client.get(f"/api/v1/members/{member_id}/history", headers=bearer(token)).json()
    assert shown[0]["imported_from"]["row"] == 12


def test_events_typed_in_say_no_source_and_old_import_records_read_as_finished(
    county: tuple[TestClient, str],
) -> None:
    client, _ = county
    app = services_of(client).app
    some = app.recorder.select_notifications(1, 50)
    assert some
    assert all(app.mapper.to_domain_event(n).imported_from is None for n in some)  # type: ignore[attr-defined]
    # an ImportRecorded stored before imports wrote in batches (v1) is a finished import
    state: dict[str, Any] = {
        "file_name": "x.xlsx",
        "sha256": "0" * 64,
        "recorded": {},
        "skipped": {},
    }
    ImportRecord.ImportRecorded.upcast_v1_v2(state)
    assert state["batched"] is False


def test_an_import_that_stops_between_batches_is_left_unfinished_and_the_same_file_finishes_it(
    app: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = build_read_store(settings)
    request_close = store.close
    data = filled(new_county(30))
    limits = Limits(batch_rows=10)
    saves = 0
    real_save = app.save_encoded

    def dies_at_the_third_batch(*objs: Any, **kwargs: Any) -> Any:
        nonlocal saves
        saves += 1
        if saves == 3:
            raise RuntimeError("the process died")
        return real_save(*objs, **kwargs)

    monkeypatch.setattr(app, "save_encoded", dies_at_the_third_batch)
    with pytest.raises(RuntimeError):
        Importer(app, store, actor="cli:admin", limits=limits).run(data, "county.xlsx")
    monkeypatch.setattr(app, "save_encoded", real_save)
    branch = derived_id("organization", "新区一社区第一党支部", None)
    first = app.get(derived_id(MEMBER, "党员0000", branch), Member)  # written by batch 1 or 2
    assert first.name == "党员0000"
    report = Importer(app, store, actor="cli:admin", limits=limits).run(data, "county.xlsx")
    assert report.saved, report.problems
    record = app.get(report.import_id, ImportRecord)
    assert record.finished
    assert record.recorded["members"] == 30  # as the stopped run found the file
    assert 0 < report.recorded["members"] < 30  # the rest, the first run's rows skipped
    # nothing twice: every member registered once, and trained once when the file says so
    for i in range(30):
        org = derived_id(
            "organization", ["新区一社区第一党支部", "新区一社区第二党支部"][i % 2], None
        )
        events = [e.type for e in app.history(derived_id(MEMBER, f"党员{i:04d}", org))]
        assert events == ["MemberRegistered"] + (["TrainingCompleted"] if i % 10 == 0 else [])
    # a third import of the same file (the read models caught up, as the CLI does first)
    # is a new import that records nothing
    ProjectionRunner(app, store).catch_up()
    again = Importer(app, store, actor="cli:admin", limits=limits).run(data, "county.xlsx")
    assert again.saved
    assert again.import_id != report.import_id
    assert sum(again.recorded.values()) == 0
    request_close()


@pytest.mark.parametrize("other", ["finished", "running"])
def test_an_upload_beaten_by_another_import_of_the_same_file_says_which_not_may_have_recorded(
    county: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch, other: str
) -> None:
    # Two uploads of one file write one import record: the second to save finds it taken.
    client, token = county
    services = services_of(client)
    app, real_save, real_save_encoded = services.app, services.app.save, services.app.save_encoded
    data = filled(new_county(5))

    def beaten(encoded: Any, *objs: Any, **kwargs: Any) -> Any:  # the first batch's write
        monkeypatch.setattr(app, "save_encoded", real_save_encoded)
        record = objs[-1]
        assert isinstance(record, ImportRecord)
        if other == "finished":  # the other upload ran all the way meanwhile
            Importer(app, services.store, actor="other").run(data, "county.xlsx")
        else:  # the other upload has begun the record and is still writing
            real_save(ImportRecord.begin(
                record_prov(), record.id, file_name="county.xlsx", sha256="x",
                recorded={}, skipped={},
            ))  # fmt: skip
        raise IntegrityError("the record's id is taken")

    monkeypatch.setattr(app, "save_encoded", beaten)
    answer = upload(client, token, data)
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "import_concurrent"
    assert "可能已记录部分内容" not in body["message_zh"]
    assert body["message_zh"].startswith(
        "同一文件的另一次导入已经完成，本次未记录任何内容" if other == "finished"
        else "同一文件的另一次导入正在进行，本次未记录任何内容"
    )  # fmt: skip


def record_prov() -> Provenance:
    return Provenance(actor="other", occurred_on=TODAY, today=TODAY)


def test_an_upload_stopped_by_a_concurrent_writer_says_so_and_the_same_upload_finishes_it(
    county: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, token = county
    app = services_of(client).app
    monkeypatch.setattr(import_endpoints, "limits_of", lambda _: Limits(batch_rows=10))
    real_save, saves = app.save_encoded, []

    def refused_at_the_second_batch(*objs: Any, **kwargs: Any) -> Any:
        saves.append(len(objs))
        if len(saves) == 2:
            raise IntegrityError("another writer")
        return real_save(*objs, **kwargs)

    monkeypatch.setattr(app, "save_encoded", refused_at_the_second_batch)
    data = filled(new_county(30))
    stopped = upload(client, token, data)
    assert stopped.status_code == 409
    assert stopped.json()["code"] == "import_unfinished"
    assert "重新导入同一文件" in stopped.json()["message_zh"]
    monkeypatch.setattr(app, "save_encoded", real_save)
    finished = created(upload(client, token, data))
    assert finished["import_id"] == stopped.json()["report"]["import_id"]
    assert app.get(UUID(finished["import_id"]), ImportRecord).finished


def test_a_control_character_or_a_nan_in_a_cell_is_a_row_problem_with_its_error_workbook(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    csv = (
        "党员所在党组织*,党员姓名*,培训天数*,培训方式*,主题*,发生日期*\r\n"
        "铁西第2小区党支部,张\x07涛,1,课堂讲课,x,2026/11/10\r\n"
        "铁西第2小区党支部,张涛,nan,课堂讲课,x,2026/11/10\r\n"
    ).encode()
    roster = "姓名,所在党组织名称,管理类别,发生日期\n甲\x07一,铁西社区党总支,直管,2026-04-01\n".encode()
    for name, data, expected in (
        ("训练.csv", csv, {(2, "unknown_reference"), (3, "bad_number")}),
        ("名册.csv", roster, {(2, "string_pattern_mismatch")}),
    ):
        before = head(client)
        answer = upload(client, token, data, name, dry_run="true")
        assert answer.status_code == 422, answer.text
        report = answer.json()["report"]
        assert {(p["row"], p["code"]) for p in report["problems"]} == expected, report["problems"]
        book = load_workbook(io.BytesIO(base64.b64decode(report["error_workbook"])))
        cells = [str(v) for row in book.worksheets[0].iter_rows(values_only=True) for v in row]
        assert any("\ufffd" in c for c in cells)
        assert recorded_since(client, before) == DRY_RUN_TRACE


def test_a_binary_file_named_csv_is_refused_with_a_report(county: tuple[TestClient, str]) -> None:
    client, token = county
    answer = client.post(  # as curl -F sends it: no type of its own
        "/api/v1/imports", headers=bearer(token), data={"dry_run": "true"},
        files={"file": ("bin.csv", b"\x00\x01\x02", "application/octet-stream")},
    )  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "import_rejected"
    load_workbook(io.BytesIO(base64.b64decode(answer.json()["report"]["error_workbook"])))


def test_a_file_larger_than_an_ordinary_request_body_imports_up_to_the_import_limit(
    county: tuple[TestClient, str],
) -> None:
    client, token = county
    note = "备注" * 1500  # 3,000 characters, 9,000 bytes a row
    rows = [f"乙{n},铁西社区党总支,直管,2026-04-01,{note}" for n in range(130)]
    data = "\n".join(["姓名,所在党组织名称,管理类别,发生日期,备注", *rows]).encode()
    assert len(data) > MAX_BODY_BYTES  # over what a command's body may be
    answer = client.post(
        "/api/v1/imports", headers=bearer(token), data={"dry_run": "true"},
        files={"file": ("名册.csv", data, "text/csv")},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["rows"] == 130


def _a_member_of(client: TestClient, branch: str) -> str:
    """The name of a member of the demo's branch ``branch`` (one the community cannot see)."""
    with services_of(client).store.transaction() as c:
        m, o = c.t.members.c, c.t.organizations.c
        query = select(m.name).join_from(c.t.members, c.t.organizations, o.id == m.organization_id)
        return str(c.execute(query.where(o.name == branch).limit(1)).fetchall()[0][0])


def test_a_unit_outside_the_tokens_scope_answers_exactly_as_one_that_does_not_exist(
    demo: Demo,
) -> None:
    """Else a community's token learns, row by row, who is a member in other communities."""
    client, tokens = demo
    elsewhere = _a_member_of(client, "天北第1小区党支部")
    trainings = (
        "党员所在党组织,党员姓名,培训天数,培训方式,主题,发生日期\n"
        f"天北第1小区党支部,{elsewhere},2,课堂讲课,党课,2026-11-01\n"
        f"没有的小区党支部,{elsewhere},2,课堂讲课,党课,2026-11-01\n"
    )
    roster = (
        "姓名,管理类别,所在党组织名称,发生日期\n"
        "丁一,直管,天北第1小区党支部,2026-04-01\n"
        "丁二,直管,没有的小区党支部,2026-04-01\n"
    )
    for name, text in (("训练.csv", trainings), ("名册.csv", roster)):
        answer = upload(client, tokens["community"], text.encode(), name, dry_run="true")
        assert answer.status_code == 422, answer.json()
        seen, unknown = answer.json()["report"]["problems"]
        assert (seen["code"], unknown["code"]) == ("unknown_reference", "unknown_reference")
        assert seen["message_zh"] == "没有名为“天北第1小区党支部”的党组织"
        assert unknown["message_zh"] == "没有名为“没有的小区党支部”的党组织"
        assert seen["column"] == unknown["column"]


def the_trace(client: TestClient, before: int, token: str) -> Any:
    """The one dry-run trace recorded since ``before``, checked to be all that was recorded
    and to name the token's actor."""
    assert recorded_since(client, before) == DRY_RUN_TRACE
    app = services_of(client).app
    [trace] = (
        app.mapper.to_domain_event(n)
        for n in app.recorder.select_notifications(before + 1, 100)
        if n.topic == DRY_RUN_TRACE[0]
    )
    assert trace.actor == services_of(client).access.authenticate(token).actor
    return trace


def test_a_dry_run_leaves_a_trace_of_who_ran_it(demo: Demo) -> None:
    client, tokens = demo
    before = head(client)
    roster = "姓名,管理类别,所在党组织名称,发生日期\n丁一,直管,铁西第1小区党支部,2026-04-01\n"
    answer = upload(client, tokens["community"], roster.encode(), "名册.csv", dry_run="true")
    assert answer.status_code == 200, answer.json()
    trace = the_trace(client, before, tokens["community"])
    assert "dry_run" in trace.purpose
    assert "名册.csv" in trace.purpose


def test_a_rejected_import_leaves_the_trace_a_dry_run_leaves(demo: Demo) -> None:
    """Review #2 finding 15: a real upload refused for a bad date answers, as a dry run
    does, that one named member exists and another does not; who asked it of which file
    is kept as the dry run's is."""
    client, tokens = demo
    before = head(client)
    csv = (
        "党员所在党组织,党员姓名,培训天数,培训方式,主题,发生日期\n"
        "铁西第1小区党支部,李磊,1,课堂讲课,党课,2026-13-01\n"
        "铁西第1小区党支部,不存在的人,1,课堂讲课,党课,2026-11-01\n"
    ).encode()
    answer = upload(client, tokens["community"], csv, "培训.csv")
    assert answer.status_code == 422, answer.json()
    codes = [p["code"] for p in answer.json()["report"]["problems"]]
    assert "unknown_reference" in codes
    trace = the_trace(client, before, tokens["community"])
    assert "rejected 培训.csv" in trace.purpose
    assert answer.json()["report"]["sha256"] in trace.purpose
