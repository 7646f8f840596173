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
