"""A cell becomes its command field's value through the converter its column's type picks
once per sheet: the same values and the same refusals as cell by cell."""

from datetime import date, datetime

import pytest

from sansan.imports.kinds import Column
from sansan.imports.reading import CellError, converter


def _column(kind: str, choices: list[tuple[str, str]] | None = None) -> Column:
    return Column("列", "field", kind, False, choices or [])


@pytest.mark.parametrize(
    ("kind", "cell", "value"),
    [
        ("integer", 3, 3),
        ("integer", 3.0, 3),
        ("integer", "３", 3),
        ("integer", "1,200", 1200),
        ("number", 2, 2.0),
        ("number", "2.50", 2.5),
        ("money", 1200, "1200"),
        ("money", "１２.５０", "12.50"),
        ("boolean", "是", True),
        ("boolean", False, False),
        ("date", 46082, date(2026, 3, 1)),
        ("date", datetime(2026, 3, 1, 8), date(2026, 3, 1)),
        ("date", "2026年3月1日", date(2026, 3, 1)),
        ("text", "  张三\u3000", "张三"),
        ("text", 12.0, "12"),
        ("name", "　铁西街道 ", "铁西街道"),
    ],
)
def test_a_cell_becomes_the_value_its_column_takes(kind: str, cell: object, value: object) -> None:
    converted = converter(_column(kind))(cell)
    assert converted == value
    assert type(converted) is type(value)


@pytest.mark.parametrize(
    ("kind", "cell", "code"),
    [
        ("integer", 2.5, "bad_integer"),
        ("integer", True, "bad_number"),
        ("integer", "nan", "bad_number"),
        ("number", "十", "bad_number"),
        ("boolean", "也许", "bad_boolean"),
        ("date", "三月", "bad_date"),
    ],
)
def test_a_cell_that_is_not_its_columns_value_says_why(kind: str, cell: object, code: str) -> None:
    with pytest.raises(CellError) as refused:
        converter(_column(kind))(cell)
    assert refused.value.code == code


def test_a_choice_is_taken_by_its_label_or_its_code_the_first_that_names_it() -> None:
    # "b" is the second choice's code and the third's label: the list's order decides
    convert = converter(_column("choice", [("a", "甲"), ("b", "乙"), ("c", "b")]))
    assert [convert(t) for t in ("甲", "a", " 乙 ", "b", "c")] == ["a", "a", "b", "b", "c"]
    with pytest.raises(CellError) as refused:
        convert("丁")
    assert refused.value.code == "bad_choice"
    assert refused.value.zh.endswith("甲、乙、b")
