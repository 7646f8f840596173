"""Review #2 finding 16: a row registering a unit the store already holds (its natural key
matches) while another of its cells says otherwise is a row problem naming the sheet, row,
column, the file's value and the recorded one — never "already there, skipped" without a
word, which let a secretary believe a corrected roster had been taken. The file is refused
(all or nothing) and nothing is recorded; the same rows as recorded are still skipped.
On both stores."""

import io
from typing import Any

from openpyxl import load_workbook

from sansan.imports import KINDS
from sansan.imports.workbooks import template
from tests.integration.test_import_duplicates import problems_of
from tests.integration.test_imports import (
    DRY_RUN_TRACE,
    Demo,
    created,
    filled,
    head,
    new_county,
    recorded_since,
    services_of,
    upload,
)


def _first_import(demo: Demo) -> dict[str, list[dict[str, Any]]]:
    client, tokens = demo
    rows = new_county(2)
    rows["members"][0].update({"出生日期": "1980-05-06", "出生年份": 1980})
    created(upload(client, tokens["county"], filled(rows)))
    services_of(client).projections.catch_up()
    return rows


def test_a_re_imported_member_whose_category_and_birth_date_differ_is_refused_cell_by_cell(
    demo: Demo,
) -> None:
    client, tokens = demo
    rows = _first_import(demo)
    rows["members"][0].update({"管理类别": "双管", "出生日期": "1985-01-01", "出生年份": 1985})
    rows["members"].append(dict(rows["members"][1], 姓名="钱二"))  # a new one: not recorded
    before = head(client)
    answer = upload(client, tokens["county"], filled(rows))
    assert problems_of(answer) == [
        ("党员", 2, "管理类别", "双管", "differs_from_record"),
        ("党员", 2, "出生年份", "1985", "differs_from_record"),
        ("党员", 2, "出生日期", "1985-01-01", "differs_from_record"),
    ]
    said = answer.json()["report"]["problems"][0]["message_zh"]
    assert said == (
        "与已登记的党员“党员0000”不一致：表中为“双管”，已登记为“直管”。导入不会更改已登记的"
        "内容，请改为已登记的值后再导入；确需更改的，请另行记录变更"
    )
    assert "已登记为“1980-05-06”" in answer.json()["report"]["problems"][2]["message_zh"]
    assert recorded_since(client, before) == DRY_RUN_TRACE  # who checked which file


def test_a_re_imported_community_team_member_and_worker_that_differ_are_refused_too(
    demo: Demo,
) -> None:
    client, tokens = demo
    rows = _first_import(demo)
    rows["communities"][0]["发生日期"] = "2026-03-03"
    rows["team_members"][0]["学历"] = "研究生"
    rows["community_workers"][0]["角色"] = "网格员"
    rows["organizations"][0]["上级党组织名称"] = "新区街道党工委"  # a branch under the street
    answer = upload(client, tokens["county"], filled(rows))
    problems = {(p[0], p[2]): p for p in problems_of(answer)}
    assert set(problems) == {
        ("党组织", "上级党组织名称"), ("社区", "发生日期"), ("班子成员", "学历"),
        ("社区工作人员", "角色"),
    }  # fmt: skip
    said = {p["column"]: p["message_zh"] for p in answer.json()["report"]["problems"]}
    assert "表中为“新区街道党工委”，已登记为“新区一社区党总支”" in said["上级党组织名称"]
    assert "表中为“研究生”，已登记为“本科”" in said["学历"]
    assert "已登记为“社区专职工作者”" in said["角色"]


def test_the_same_rows_again_are_skipped_and_a_blank_cell_contradicts_nothing(
    demo: Demo,
) -> None:
    client, tokens = demo
    rows = _first_import(demo)
    del rows["members"][0]["出生日期"]  # left blank: it says nothing about the record
    again = created(upload(client, tokens["county"], filled(rows)))
    assert again["skipped"]["members"] == 2
    assert again["skipped"]["communities"] == 1
    assert again["skipped"]["team_members"] == 1
    assert not again["problems"]


def test_the_template_instructions_say_a_differing_re_import_is_refused() -> None:
    book = load_workbook(io.BytesIO(template(KINDS)))
    said = " ".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    assert "若其他已填的列与已登记的内容不同，整个文件不予导入" in said
