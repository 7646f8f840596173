"""Review 3 findings 2 and 3: after an allocation's amount or an upgrade's area is corrected, a
re-import compares its rows with the figure in force (corrections applied), matched by the
fact's natural key (community, date, and for funding the year and source; never the figure):
the corrected figure is skipped as recorded (never a second allocation that doubles the money),
the original figure is refused as ``differs_from_record`` naming the corrected figure and the
correction, and the whole file records nothing. On both stores."""

from typing import Any

from sansan.imports.workbooks import template
from tests.integration.test_corrections import (
    UPGRADE_DAY,
    Demo,
    correct_amount,
    correct_area,
    get,
    version_of,
)
from tests.integration.test_import_duplicates import problems_of
from tests.integration.test_imports import created, filled, head, recorded_since, upload
from tests.integration.test_review2_references import TIEXI

FUNDED_ON = "2026-05-30"  # the demo's allocation to 铁西: 12,000元 from 县财政 for 2026


def _funding(amount: str, day: str = FUNDED_ON) -> bytes:
    row = {"社区名称": "铁西社区", "年度": 2026, "金额（元）": amount, "经费来源": "县财政",
           "发生日期": day}  # fmt: skip
    return filled({"funding": [row]})


def _upgrade(office: float, venue: float) -> bytes:
    row = {"社区名称": "铁西社区", "办公用房面积（平方米）": office,
           "活动场所面积（平方米）": venue, "发生日期": UPGRADE_DAY.isoformat()}  # fmt: skip
    return filled({"facility_upgrades": [row]})


def _funding_now(demo: Demo) -> Any:
    client, tokens = demo
    return get(client, tokens["county"], f"/communities/{TIEXI}")["state"]["funding_by_year"]


def _corrected_funding(demo: Demo) -> None:
    client, tokens = demo
    allocation = version_of(client, tokens["county"], TIEXI, "FundingAllocated")
    answer = correct_amount(client, tokens["county"], allocation, "9999.60")
    assert answer.status_code == 200, answer.text


def test_the_corrected_amount_imported_again_is_skipped_not_a_second_allocation(
    demo: Demo,
) -> None:
    client, tokens = demo
    _corrected_funding(demo)
    answer = created(upload(client, tokens["street"], _funding("9999.6")))
    assert answer["skipped"] == {"funding": 1}
    assert answer["recorded"] == {}
    assert _funding_now(demo) == {"2026": "9999.60"}  # not 19,999.20


def test_the_original_amount_after_a_correction_is_refused_naming_the_corrected_one(
    demo: Demo,
) -> None:
    client, tokens = demo
    _corrected_funding(demo)
    before = head(client)
    for dry_run in ("true", "false"):
        answer = upload(client, tokens["street"], _funding("12000"), dry_run=dry_run)
        assert problems_of(answer) == [
            ("社区办公经费", 2, "金额（元）", "12000", "differs_from_record")
        ]
        said = answer.json()["report"]["problems"][0]["message_zh"]
        assert "表中为12,000.00元，记录为9,999.60元（已更正：" in said
        assert "由12,000.00元改为9,999.60元" in said
    assert _funding_now(demo) == {"2026": "9999.60"}
    assert not [t for t in recorded_since(client, before) if "Community" in t]


def test_an_uncorrected_allocation_is_skipped_and_one_of_another_day_recorded(
    demo: Demo,
) -> None:
    client, tokens = demo
    again = created(upload(client, tokens["street"], _funding("12000.00")))
    assert again["skipped"] == {"funding": 1}
    other = created(upload(client, tokens["street"], _funding("3000", "2026-06-30")))
    assert other["recorded"] == {"funding": 1}
    assert _funding_now(demo) == {"2026": "15000.00"}


def test_an_upgrade_is_compared_by_its_corrected_area(demo: Demo) -> None:
    client, tokens = demo
    upgrade = version_of(client, tokens["county"], TIEXI, "FacilityUpgraded")
    assert correct_area(client, tokens["county"], upgrade, 79.96).status_code == 200
    same = created(upload(client, tokens["county"], _upgrade(79.96, 240)))
    assert same["skipped"] == {"facility_upgrades": 1}
    answer = upload(client, tokens["county"], _upgrade(96, 240))
    assert problems_of(answer) == [
        ("办公用房和活动场所建设", 2, "办公用房面积（平方米）", "96", "differs_from_record")
    ]
    said = answer.json()["report"]["problems"][0]["message_zh"]
    assert "表中为96㎡，记录为79.96㎡（已更正：" in said


def test_the_template_says_which_columns_are_the_key_of_funding_and_upgrades() -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from sansan.imports import KINDS

    guide = load_workbook(BytesIO(template(KINDS)))["说明"]
    keys = {row[0]: row[2] for row in guide.iter_rows(values_only=True)}
    assert keys["社区办公经费"].startswith("社区名称、发生日期、年度、经费来源相同即为同一笔")
    assert keys["办公用房和活动场所建设"].startswith("社区名称、发生日期相同即为同一次")


def _rows(kind: str, *rows: dict[str, Any]) -> bytes:
    return filled({kind: list(rows)})


FUNDING_ROW = {"社区名称": "铁西社区", "年度": 2026, "经费来源": "县财政", "发生日期": "2026-06-30"}


def test_two_rows_of_one_allocation_with_different_amounts_are_refused_and_nothing_recorded(
    demo: Demo,
) -> None:
    """The natural key says they are one allocation (community, day, year, source); recording
    both would double the money, and which amount is right is the county's to say."""
    client, tokens = demo
    before = head(client)
    rows = [FUNDING_ROW | {"金额（元）": "3000"}, FUNDING_ROW | {"金额（元）": "5000"}]
    for dry_run in ("true", "false"):
        answer = upload(client, tokens["street"], _rows("funding", *rows), dry_run=dry_run)
        assert problems_of(answer) == [("社区办公经费", 3, "金额（元）", "5000", "duplicate_in_file")]
        said = answer.json()["report"]["problems"][0]["message_zh"]
        assert said == (
            "与第2行是同一经费记录（社区名称、发生日期、年度、经费来源相同）而数字不同：第2行为"
            "3,000.00元，本行为5,000.00元。同一事实只能记录一次，请删除或更正其中一行"
        )
    assert _funding_now(demo) == {"2026": "12000.00"}
    assert not [t for t in recorded_since(client, before) if "Community" in t]
    # The same allocation twice with one amount is one allocation; another source is another.
    same = created(upload(client, tokens["street"], _rows("funding", rows[0], dict(rows[0]))))
    assert (same["recorded"], same["skipped"]) == ({"funding": 1}, {"funding": 1})
    other = FUNDING_ROW | {"金额（元）": "500", "经费来源": "街道"}
    more = created(upload(client, tokens["street"], _rows("funding", rows[0], other)))
    assert (more["recorded"], more["skipped"]) == ({"funding": 1}, {"funding": 1})
    assert _funding_now(demo) == {"2026": "15500.00"}


def test_two_rows_of_one_upgrade_with_different_areas_are_refused_on_a_community_the_file_makes(
    demo: Demo,
) -> None:
    client, tokens = demo
    before = head(client)
    community = {"社区名称": "新建社区", "街道党工委名称": "城关街道党工委",
                 "社区来源": "新建居民小区", "发生日期": "2026-03-01"}  # fmt: skip
    upgrade = {"社区名称": "新建社区", "办公用房面积（平方米）": 100, "发生日期": "2026-04-01"}
    book = filled({"communities": [community],
                   "facility_upgrades": [upgrade, upgrade | {"办公用房面积（平方米）": 120}]})  # fmt: skip
    answer = upload(client, tokens["county"], book)
    assert problems_of(answer) == [
        ("办公用房和活动场所建设", 3, "办公用房面积（平方米）", "120", "duplicate_in_file")
    ]
    assert "第2行为100㎡，本行为120㎡" in answer.json()["report"]["problems"][0]["message_zh"]
    assert not [t for t in recorded_since(client, before) if "Community" in t]


def test_a_source_spelled_with_a_wide_space_is_the_same_source_and_an_invisible_one_refused(
    demo: Demo,
) -> None:
    """Outside review (30 November): 街道　自筹 (a full-width space) and 街道\\u200b自筹 (a zero-width
    one) print as 街道自筹, yet were two sources, so a second allocation of that day went in."""
    client, tokens = demo
    before = head(client)
    rows = [FUNDING_ROW | {"金额（元）": "3000", "经费来源": "街道自筹"},
            FUNDING_ROW | {"金额（元）": "5000", "经费来源": "街道　自筹"},
            FUNDING_ROW | {"金额（元）": "7000", "经费来源": "街道\u200b自筹", "发生日期": "2026-07-01"}]  # fmt: skip
    answer = upload(client, tokens["street"], _rows("funding", *rows))
    assert [p[1:] for p in problems_of(answer)] == [
        (3, "金额（元）", "5000", "duplicate_in_file"),
        (4, "经费来源", "街道\u200b自筹", "string_pattern_mismatch"),
    ]
    said = answer.json()["report"]["problems"][1]["message_zh"]
    assert "不可见的格式字符（如零宽空格" in said, said  # not “控制字符”, which a reader cannot find
    assert not [t for t in recorded_since(client, before) if "Community" in t]


def test_two_figures_that_differ_past_two_decimals_are_told_as_typed(demo: Demo) -> None:
    """Outside review: 85 and 85.0000000001 were told as “第2行为85㎡，本行为85㎡”."""
    client, tokens = demo
    row = {"社区名称": "站前社区", "办公用房面积（平方米）": 85, "发生日期": "2026-11-15"}
    answer = upload(client, tokens["county"], _rows("facility_upgrades", row,
                                                    row | {"办公用房面积（平方米）": 85.0000000001}))  # fmt: skip
    said = answer.json()["report"]["problems"][0]["message_zh"]
    assert "第2行为85㎡，本行为85.0000000001㎡" in said, said
