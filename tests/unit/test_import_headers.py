"""A column is found by its header however the header's brackets and spaces were typed."""

from sansan.imports.reading import find_sheet


def test_half_width_brackets_and_spaces_in_a_header_find_the_same_column() -> None:
    typed = [["社区名称", "年度", "金额 (元)", "经费来源", "发生日期"], ["铁西社区", 2026, 1000, "县财政", "2026-04-02"]]
    sheet = find_sheet("工作经费", iter(typed))
    assert sheet.kind is not None
    assert sheet.kind.key == "funding"
    assert sheet.missing == []
    assert sheet.columns[2].header == "金额（元）"


def test_an_unknown_header_is_still_not_a_column() -> None:
    typed = [["社区名称", "年度", "金额（美元）", "经费来源", "发生日期"]]
    sheet = find_sheet("工作经费", iter(typed))
    assert 2 not in sheet.columns
    assert [c.header for c in sheet.missing] == ["金额（元）"]


def test_a_sheet_under_its_former_name_is_known_by_name_even_with_too_few_headers_to_guess() -> None:
    """Templates handed out before review 3 (#15) named the sheets 工作经费 and 阵地改造: a file
    filled in under them is read as that sheet (missing columns named), not as unknown."""
    for former, key in (("工作经费", "funding"), ("阵地改造", "facility_upgrades")):
        sheet = find_sheet(former, iter([["社区名称"]]))
        assert sheet.kind is not None, former
        assert sheet.kind.key == key
        assert sheet.missing
