"""What a spreadsheet cell (CSV or XLSX) can hold, for every file the service hands out.

A store may already hold what the commands now refuse: a name with a control character
(XML 1.0 cannot carry it, openpyxl refuses it) or a NaN (``int(nan)`` fails, and no
spreadsheet reads it). Exports must still work on such a store, so every cell goes
through here on the way out.
"""

import math
import re
from decimal import Decimal
from typing import Any, TypeVar

from openpyxl.cell.cell import Cell, MergedCell

T = TypeVar("T")

# The C0 controls XML 1.0 cannot carry (tab, LF and CR it can), the same set openpyxl refuses.
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT = "\ufffd"
INVALID_NUMBER = "无效数值"


def printable(text: str) -> str:
    """The text with each character no spreadsheet file can hold replaced by U+FFFD."""
    return UNWRITABLE.sub(REPLACEMENT, text)


def is_finite(value: object) -> bool:
    """False for NaN and ±Infinity (float or Decimal); True for anything else."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        return value.is_finite()
    return True


def cell_value(value: T) -> T | str:
    """Text made printable, a number that is no number said as 无效数值, the rest as it is."""
    if isinstance(value, str):
        return printable(value)
    return value if is_finite(value) else INVALID_NUMBER


def put(cell: Cell | MergedCell, value: Any) -> Cell | MergedCell:
    """``value`` into an XLSX cell, made printable; text is stored as text whatever it starts
    with (openpyxl takes a string starting with = for a formula, which Excel would run)."""
    cell.value = cell_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


# Text Excel takes for a number when it opens a CSV, losing part of it: leading zeros
# (a 文号 000123 → 123), twelve digits or more (shown as 1.10101E+17 and saved back so, the
# digits past the 15th lost at once), digits read as an exponent (a token 1234e567). "12"
# or "2026" lose nothing and stay as they are.
NUMBER_LOSING = re.compile(r"0\d+|\d{12,}|\d+(\.\d+)?[eE][+-]?\d+")
# What keeps such text text in Excel: a leading tab (not ="…", which is a formula). Only
# digits follow it, so it cannot start a formula either.
TEXT_MARK = "\t"


def csv_text(text: str) -> str:
    """Text for a CSV cell that Excel opens as the same text."""
    return TEXT_MARK + text if NUMBER_LOSING.fullmatch(text) else text


TITLE_FORBIDDEN = re.compile(r"[/\\?*\[\]:]")
TITLE_MAX = 31


def sheet_title(title: str) -> str:
    """A title Excel accepts: none of / \\ ? * [ ] :, no ' at either end, at most 31 characters."""
    cleaned = TITLE_FORBIDDEN.sub("_", printable(title))[:TITLE_MAX].strip("'")
    return cleaned or "Sheet"
