"""Reading spreadsheets as people keep them: XLSX (streamed, formulas as their values) and
CSV (UTF-8 with or without BOM, or GBK); finding the header row under titles and merged
cells; turning a cell into the value a command field takes.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sansan.imports import xlsx
from sansan.imports.kinds import KINDS, Column, ImportKind

HEADER_SEARCH_ROWS = 10  # a title, a merged banner or a blank row may stand above the headers
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's leap-year quirk included)
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_TRUE = {"是", "true", "1", "yes", "y", "√", "✓", "对"}
_FALSE = {"否", "false", "0", "no", "n", "×", "✗", "不是"}
XLSX_MAGIC = b"PK\x03\x04"
# An OLE2 compound file: an Excel 97-2003 workbook (.xls, WPS's .et), or an encrypted .xlsx.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class CellError(ValueError):
    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


@dataclass
class Sheet:
    """One sheet: its name, the kind its headers say, and its data rows by number."""

    name: str
    kind: ImportKind | None
    header_row: int
    columns: dict[int, Column]  # cell index → the column it holds
    missing: list[Column]
    rows: Iterator[tuple[int, list[Any]]]


def clean_header(value: Any) -> str:
    """A header as matched: spacing dropped and full-width forms folded (NFKC), so that
    "金额（元）" typed as "金额(元)" or with full-width letters is the same column."""
    text = "" if value is None else str(value)
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", "", text)
    return text.removesuffix("*").removesuffix("(必填)")


def text_of(value: Any) -> str:
    """Text as typed: ideographic spaces count as spaces; names keep their full-width
    punctuation (（演示）), so only spacing is normalised."""
    if type(value) is str:  # most cells: no test for a float, no str() of a str
        return value.replace("\u3000", " ").strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\u3000", " ").strip()


def _narrow(value: Any) -> str:
    """Full-width digits, letters, signs and spaces as ASCII (for numbers and dates)."""
    return unicodedata.normalize("NFKC", text_of(value)).replace(",", "").strip()


def is_blank(value: Any) -> bool:
    # str.strip() drops the ideographic space as text_of does (it is whitespace to Python)
    return value is None or (isinstance(value, str) and not value.strip())


def to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    serial = isinstance(value, int | float) and not isinstance(value, bool)
    if serial and 1 <= value < 2958466:  # Excel's serial days (1900-01-01 … 9999-12-31)
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = _narrow(value)
    found = _DATE_TEXT.match(text)
    if found is None and re.fullmatch(r"\d{1,5}(\.0+)?", text):
        return to_date(float(text))
    if found is not None:
        try:
            return date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            pass
    raise CellError(
        "bad_date",
        "无法识别的日期，请写成 2026-03-01、2026/3/1 或 2026年3月1日",
        "not a date: write 2026-03-01, 2026/3/1 or 2026年3月1日",
    )


def _number(kind: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if type(value) is int and kind == "integer":  # most cells: the number itself
            return value
        if isinstance(value, bool):
            raise CellError("bad_number", "应为数字", "not a number")
        text = _narrow(value)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError("bad_number", "应为数字", "not a number") from None
        if not number.is_finite():  # "nan" and "inf" parse, and are no amount of anything
            raise CellError("bad_number", "应为数字", "not a number")
        if kind == "integer":
            if number != number.to_integral_value():
                raise CellError("bad_integer", "应为整数", "not a whole number")
            return int(number)
        return str(number) if kind == "money" else float(number)

    return convert


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _narrow(value).lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise CellError("bad_boolean", "应填“是”或“否”", "write 是 or 否")


def _choice(column: Column) -> Callable[[Any], str]:
    codes: dict[str, str] = {}
    for code, label in column.choices:  # the first choice a text names, as the list says
        codes.setdefault(label, code)
        codes.setdefault(code, code)
    allowed = "、".join(label for _, label in column.choices)

    def convert(value: Any) -> str:
        code = codes.get(text_of(value))
        if code is None:
            zh = f"不是可选的值，可选：{allowed}"
            raise CellError("bad_choice", zh, "not one of the choices")
        return code

    return convert


def converter(column: Column) -> Callable[[Any], Any]:
    """What turns a cell of ``column`` into the value its command field takes (or raises a
    CellError saying why not): chosen once per sheet, not per cell."""
    kind = column.type
    if kind == "date":
        return to_date  # the command takes the date itself: not written out and read again
    if kind in ("integer", "number", "money"):
        return _number(kind)
    if kind == "boolean":
        return _boolean
    if kind == "choice":
        return _choice(column)
    return text_of


UNREADABLE = CellError(
    "bad_file",
    "无法读取该 XLSX 文件，请用 Excel 或 WPS 另存后再导入",
    "the XLSX file cannot be read",
)


TOO_MUCH_MERGED = CellError(
    "bad_file",
    f"合并单元格过多（合并覆盖超过{xlsx.EXCEL_ROWS:,}行，或超过{xlsx.MERGES_MAX:,}处），请取消合并后另存再导入",
    f"merged cells fill more than {xlsx.EXCEL_ROWS} rows or number more than"
    f" {xlsx.MERGES_MAX}; unmerge them and save again",
)


def _guarded(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """A damaged part of the file shows only when its rows are read: say so, never crash."""
    try:
        yield from rows
    except xlsx.TooMuchMerged:  # a sheet's merges are read with its rows
        raise TOO_MUCH_MERGED from None
    except xlsx.DAMAGED:
        raise UNREADABLE from None


STRICT_WORKBOOK = CellError(
    "bad_file",
    "该文件为“Strict Open XML 电子表格”格式，请在 Excel 中另存为“Excel 工作簿（.xlsx）”后再导入",
    "a Strict Open XML workbook; save it as an ordinary Excel workbook (.xlsx)",
)
EMPTY_FILE = CellError("bad_file", "文件是空的，没有可导入的内容", "the file is empty")


def workbook_sheets(data: bytes) -> Iterator[tuple[str, Iterator[list[Any]]]]:
    """Every sheet of an XLSX as rows of values (a formula as the value Excel last saved)."""
    try:
        found = list(xlsx.sheets(data))
    except xlsx.StrictWorkbook:
        raise STRICT_WORKBOOK from None
    except xlsx.DAMAGED:
        raise UNREADABLE from None
    for name, rows in found:
        yield name, _guarded(rows)


def csv_rows(data: bytes) -> Iterator[list[Any]]:
    """A CSV's rows: UTF-8 (a BOM is dropped) or else GBK, as spreadsheets in China save it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise CellError(
                "bad_encoding", "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV",
                "the CSV is neither UTF-8 nor GBK",
            ) from None  # fmt: skip
    # newline="": a line may end in CR LF, LF or CR alone (Mac Excel's "CSV (Macintosh)"),
    # and a quoted cell keeps its own line breaks, as the csv module wants its files opened
    return _csv_guarded(csv.reader(io.StringIO(text, newline="")))


BAD_CSV = CellError(
    "bad_file",
    "无法读取该 CSV 文件（单元格过长或格式有误），请用 Excel 或 WPS 另存为 CSV 后再导入",
    "the CSV cannot be read (a cell too long, or a malformed line)",
)


def _csv_guarded(rows: Iterator[list[str]]) -> Iterator[list[Any]]:
    """A malformed line shows only when it is read: say so, never crash."""
    try:
        yield from (list(row) for row in rows)
    except csv.Error:
        raise BAD_CSV from None


OLD_EXCEL = CellError(
    "old_excel",
    "不支持 Excel 97-2003（.xls）格式或加密的工作簿，"
    "请在 Excel 或 WPS 中另存为 .xlsx（不设密码）后导入",
    "an Excel 97-2003 (.xls) or encrypted workbook; save it as .xlsx without a password",
)


def file_sheets(data: bytes, file_name: str) -> Iterator[tuple[str, Iterator[list[Any]]]]:
    """The file's sheets by what it is (its first bytes), not by what its name says."""
    if not data:
        raise EMPTY_FILE
    if data.startswith(XLSX_MAGIC):
        yield from workbook_sheets(data)
        return
    if data.startswith(OLE2_MAGIC):
        raise OLD_EXCEL
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "CSV"
    try:
        rows = csv_rows(data)
    except CellError:
        if file_name.lower().endswith((".xlsx", ".xlsm")):  # named a workbook, and no text
            raise UNREADABLE from None
        raise
    yield stem, rows


def _match(headers: list[str], kind: ImportKind) -> int:
    known = {clean_header(c.header) for c in kind.columns}
    return sum(1 for h in headers if h in known)


def find_sheet(name: str, rows: Iterator[list[Any]]) -> Sheet:
    """The sheet's kind (by its name, or else by the headers it has) and its header row."""
    head: list[tuple[int, list[Any]]] = []
    for number, row in enumerate(rows, start=1):
        head.append((number, row))
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    named = clean_header(name)
    by_name = next(
        (k for k in KINDS
         if named in (clean_header(k.sheet), k.key, *map(clean_header, k.former_sheets))),
        None,
    )  # fmt: skip
    best: tuple[int, int, ImportKind | None] = (0, 0, None)
    for number, row in head:
        headers = [clean_header(v) for v in row]
        for candidate in [by_name] if by_name else KINDS:
            score = _match(headers, candidate)
            if score > best[0]:
                best = (score, number, candidate)
    score, header_row, kind = best
    if kind is None or (by_name is None and score < 2):
        return Sheet(name, None, 0, {}, [], iter(()))
    headers = [clean_header(v) for v in dict(head)[header_row]]
    columns: dict[int, Column] = {}
    for index, header in enumerate(headers):
        column = next((c for c in kind.columns if clean_header(c.header) == header), None)
        if column is not None and column not in columns.values():
            columns[index] = column
    missing = [c for c in kind.columns if c.required and c not in columns.values()]
    rest = ((n, r) for n, r in head if n > header_row)
    return Sheet(name, kind, header_row, columns, missing, _chain(rest, rows, len(head)))


def _chain(
    first: Iterator[tuple[int, list[Any]]], rows: Iterator[list[Any]], read: int
) -> Iterator[tuple[int, list[Any]]]:
    yield from first
    yield from enumerate(rows, start=read + 1)


def rows_at_most(data: bytes, past: int | None = None) -> int | None:
    """At most how many rows of the file hold anything, found without reading a cell (a
    small part of reading them): an XLSX's row elements and the rows its merges fill, a
    CSV's lines (a quoted cell may span lines, never the other way). None for a file not
    read so (an old Excel file; a damaged one): reading it says what is wrong. Counting
    may stop once past ``past``."""
    if data.startswith(XLSX_MAGIC):
        try:
            return xlsx.rows_at_most(data, past)
        except xlsx.DAMAGED:
            return None
    if data.startswith(OLE2_MAGIC):
        return None
    # line breaks (CR LF, LF or CR alone): GBK's and UTF-8's multibyte characters hold neither byte
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1


def count_rows(data: bytes) -> int:
    """Rows in the file for a progress bar (at most that many are run)."""
    return rows_at_most(data) or 0
