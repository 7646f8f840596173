"""A streaming XLSX reader: each sheet's rows of cell values, straight from its XML.

openpyxl's read-only mode builds objects for every cell and reads each sheet once more just
to size it; an import reads its file twice, and that was most of its time (with lxml
installed openpyxl is no faster: its time goes in Python, per cell). This reads the parts
itself with lxml, one row at a time, and gives what openpyxl's ``values_only`` rows give:
numbers, text (shared, inline or rich), booleans, dates for date-formatted numbers,
formulas as the value last saved, and an empty row for each row number the sheet skips,
so row numbers stay the ones Excel shows.

A cell merged down over several rows (a branch's name beside each of its members) is read
in every row it covers, as the top row has it: Excel keeps the value in the top row only,
and the rows below would otherwise read as blank. A merge across columns is not spread:
which of the columns it was meant for is not known, so those cells stay blank.
"""

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from lxml import etree as ElementTree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
ROW, CELL, VALUE, INLINE, TEXT, RUN = (f"{NS}{t}" for t in ("row", "c", "v", "is", "t", "r"))
SHEET_DATA = f"{NS}sheetData"
# A workbook saved as "Strict Open XML" names its parts in another namespace.
STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"


class StrictWorkbook(ValueError):
    """A workbook in Strict Open XML, which Excel can save and this reader does not read."""


class TooMuchMerged(ValueError):
    """Merges down filling more rows than a sheet has: a sheet Excel can save, which no
    roster needs, and which would cost the reader a row's filling for each."""


# Excel's last row and column: a sheet it saves goes no further.
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
# More merges down than any roster has (one a branch or a household): kept in memory while read.
MERGES_MAX = 100_000
# A merge down: its top and bottom rows, its first and last columns.
Merge = tuple[int, int, int, int]


def sheets(data: bytes) -> Iterator[tuple[str, Iterator[list[Any]]]]:
    """Every sheet, in the workbook's order, as its name and its rows (read when iterated)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    book, parts = _book(archive)
    if book.tag == f"{STRICT}workbook":
        raise StrictWorkbook()
    props = book.find(f"{NS}workbookPr")
    mac = props is not None and props.get("date1904") in ("1", "true")
    epoch = CALENDAR_MAC_1904 if mac else CALENDAR_WINDOWS_1900
    strings = _shared_strings(archive)
    dates = _date_styles(archive)
    for name, path in parts:
        yield name, _rows(archive, path, strings, dates, epoch)


def _book(archive: zipfile.ZipFile) -> tuple[ElementTree._Element, list[tuple[str, str]]]:
    """The workbook part, and each sheet's name and the path of its part, in its order."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): str(r.get("Target")) for r in rels}
    parts = []
    for sheet in book.iter(f"{NS}sheet"):
        target = targets[sheet.get(DOC_REL)]
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        parts.append((str(sheet.get("name")), path))
    return book, parts


def rows_at_most(data: bytes, past: int | None = None) -> int:
    """At most how many rows ``sheets`` yields that hold anything, counted without parsing
    a cell: each sheet's row elements, and the rows its merges span below their top (a
    merge down fills rows the sheet may leave out). Found in the raw XML, as the merges
    are: a cell's text cannot hold a "<" unescaped. Counting stops once past ``past``."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    total = 0
    for _, path in _book(archive)[1]:
        for match in _found(archive, path, _ROW_OR_MERGE):
            top, bottom = match.groups()
            total += 1 if top is None else abs(int(bottom) - int(top))
            if past is not None and total > past:
                return total
    return total


# <mergeCell ref="A3:A5"/>, found in the raw XML: a cell's text cannot hold a "<" unescaped
_MERGE = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Za-z]+)(\d+):([A-Za-z]+)(\d+)"'
)
_CHUNK = 1 << 20
# A row's start tag, or a merge (its first and last row)
_ROW_OR_MERGE = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?(?:row[\s/>]|mergeCell\b[^>]*?\bref="[A-Za-z]+(\d+):[A-Za-z]+(\d+)")'
)


def _merged_down(archive: zipfile.ZipFile, path: str) -> list[Merge]:
    """The merges that span rows, by their top row: (top row, bottom row, first and last
    column). They are listed after the rows, so the part is scanned once before it is read
    (inflating it costs a small part of parsing it). A merge past Excel's last row or
    column, or merges filling more rows than a sheet has, are a damaged file: a row is
    filled from a merge only while it is read, so memory stays the merges' number."""
    found: list[Merge] = []
    below = 0  # the rows the merges fill below their tops
    for match in _found(archive, path, _MERGE):
        first, top, last, bottom = match.groups()
        # either corner first, in either case, as Excel and openpyxl read them
        top_row, bottom_row = sorted((int(top), int(bottom)))
        first, last = sorted((first.upper(), last.upper()), key=lambda c: (len(c), c))
        if bottom_row > top_row:
            if bottom_row > EXCEL_ROWS:
                raise ValueError(f"a merge down to row {bottom_row}")
            below += bottom_row - top_row
            if below > EXCEL_ROWS:
                raise TooMuchMerged(below)
            found.append((top_row, bottom_row, _column(first.decode()), _column(last.decode())))
            if len(found) > MERGES_MAX:
                raise TooMuchMerged(below)
    return sorted(found)


def _found(
    archive: zipfile.ZipFile, path: str, pattern: re.Pattern[bytes]
) -> Iterator[re.Match[bytes]]:
    """The pattern's matches in a part's raw XML, inflated a chunk at a time (memory stays
    one chunk whatever the part's size); a match is at most 200 bytes long."""
    tail = b""
    with archive.open(path) as source:
        while chunk := source.read(_CHUNK):
            text = tail + chunk
            end = 0
            for match in pattern.finditer(text):
                end = match.end()
                yield match
            tail = text[max(end, len(text) - 200) :]  # a tag cut by the chunk's end


def _text(element: ElementTree._Element) -> str:
    """A string item's text: its own <t>, or its runs' (phonetic guides left out)."""
    own = element.find(TEXT)
    if own is not None:
        return own.text or ""
    return "".join(t.text or "" for r in element.iter(RUN) for t in r.iter(TEXT))


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    source = archive.open("xl/sharedStrings.xml")
    for _, element in ElementTree.iterparse(source, events=("end",), tag=f"{NS}si"):
        strings.append(_text(element))
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return strings


def _date_styles(archive: zipfile.ZipFile) -> set[int]:
    """The cell styles (by index) whose number format shows a date."""
    if "xl/styles.xml" not in archive.namelist():
        return set()
    styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    formats = dict(BUILTIN_FORMATS)
    for fmt in styles.iter(f"{NS}numFmt"):
        formats[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
    xfs = styles.find(f"{NS}cellXfs")
    if xfs is None:
        return set()
    return {
        i for i, xf in enumerate(xfs.iter(f"{NS}xf"))
        if is_date_format(formats.get(int(xf.get("numFmtId", "0")), ""))
    }  # fmt: skip


# What a damaged file raises, only once the damaged part is read: a missing part, a bad
# zip entry or deflate stream, XML cut short.
DAMAGED = (OSError, KeyError, ValueError, zipfile.BadZipFile, zlib.error, ElementTree.LxmlError)
_INDEX: dict[str, int] = {}


_DIGITS = "0123456789"


def _column(letters: str) -> int:
    """A column's index from its letters ("C" is 2), kept for the next row; a column past
    Excel's last (XFD) is a damaged file, not a row of a billion cells."""
    index = -1
    for letter in letters[:4]:
        index = (index + 1) * 26 + ord(letter) - 65
    letters_ok = letters.isascii() and letters.isalpha() and letters.isupper()
    if not letters_ok or not 0 <= index < EXCEL_COLUMNS:
        raise ValueError(f"column {letters[:10]}")
    _INDEX[letters] = index
    return index


def _rows(
    archive: zipfile.ZipFile, path: str, strings: list[str], dates: set[int], epoch: Any
) -> Iterator[list[Any]]:
    """A sheet's rows, read when iterated: its merges too, so a sheet the import passes over
    (说明) costs nothing and is refused for nothing."""
    merged = _merged_down(archive, path)
    source = archive.open(path)
    dated: dict[str, bool] = {}  # a cell's style attribute → whether it shows a date
    tops: dict[int, list[Any]] = {}  # the top rows of the merges not ended yet
    waiting = iter(merged)  # by top row
    upcoming = next(waiting, None)
    active: list[Merge] = []  # the merges the row is inside
    for row_number, values in _numbered(source, strings, dates, epoch, dated):
        while upcoming is not None and upcoming[0] < row_number:
            active.append(upcoming)
            upcoming = next(waiting, None)
        if active:
            active = [m for m in active if m[1] >= row_number]
            values = _filled(values, active, tops)
            for top in set(tops) - {m[0] for m in active}:
                del tops[top]  # its merges ended: its values are not needed again
        if upcoming is not None and upcoming[0] == row_number:
            tops[row_number] = values
        yield values


def _filled(values: list[Any], spans: list[Merge], tops: dict[int, list[Any]]) -> list[Any]:
    """A row inside merges down, with the merged cells as their top row has them."""
    for top, _, first, last in spans:
        above = tops.get(top, [])
        if len(values) <= last:
            values = values + [None] * (last + 1 - len(values))
        for index in range(first, last + 1):
            values[index] = above[index] if index < len(above) else None
    return values


def _numbered(
    source: IO[bytes], strings: list[str], dates: set[int], epoch: Any,
    dated: dict[str, bool],
) -> Iterator[tuple[int, list[Any]]]:  # fmt: skip
    number = 0
    for _, element in ElementTree.iterparse(source, events=("end",), tag=(ROW, SHEET_DATA)):
        if element.tag == SHEET_DATA:
            break  # the rows are read: what follows (merges, a million of them) is not parsed
        at = element.get("r")
        row_number = int(at) if at else number + 1
        if not number < row_number <= EXCEL_ROWS:  # Excel saves rows in order, up to its last
            raise ValueError(f"row {row_number} after {number}")
        while number + 1 < row_number:  # rows the sheet leaves out are empty rows
            number += 1
            yield number, []
        number = row_number
        yield number, _cells(element, strings, dates, epoch, dated)
        element.clear()  # what was read is let go: memory stays one row
        while element.getprevious() is not None:
            del element.getparent()[0]


def _cells(
    row: ElementTree._Element, strings: list[str], dates: set[int], epoch: Any,
    dated: dict[str, bool],
) -> list[Any]:  # fmt: skip
    """The row's values. The common cells (a shared or typed-in string) are read here
    rather than through ``_value``: a call per cell was a third of the reader's time."""
    values: list[Any] = []
    for cell in row:  # a row's cells are its children (lxml's iter(tag) walks their <v> too)
        if cell.tag != CELL:
            continue
        ref = cell.get("r")
        if ref is not None:
            letters = ref.rstrip(_DIGITS)
            index = _INDEX.get(letters)
            if index is None:
                index = _column(letters)
            if index > len(values):
                values.extend([None] * (index - len(values)))
        kind = cell.get("t")
        only = cell[0] if len(cell) == 1 else None  # its <v> or <is>, no formula beside it
        if only is not None and kind == "inlineStr" and len(only) == 1 and only[0].tag == TEXT:
            values.append(only[0].text or "")  # a string typed in the cell, not rich text
        elif only is not None and kind == "s" and only.tag == VALUE and only.text:
            values.append(_shared(strings, only.text))
        else:
            values.append(_value(cell, strings, dates, epoch, dated))
    return values


def _shared(strings: list[str], text: str) -> str:
    """A shared string by its index; one the table lacks is a damaged file (a negative
    index read another string from the end)."""
    index = int(text)
    if not 0 <= index < len(strings):
        raise ValueError(f"shared string {index} of {len(strings)}")
    return strings[index]


def _value(
    cell: ElementTree._Element, strings: list[str], dates: set[int], epoch: Any,
    dated: dict[str, bool],
) -> Any:  # fmt: skip
    kind = cell.get("t")
    if kind == "inlineStr":
        inline = cell.find(INLINE)
        return None if inline is None else _text(inline)
    # the <v> among the cell's children (a formula's <f> comes first): lxml's findtext goes
    # through its path parser, a third of the reader's time
    text = next((child.text for child in cell if child.tag == VALUE), None)
    if not text:  # no <v>, or an empty one
        return None
    if kind is None or kind == "n":
        number: int | float = float(text) if "." in text or "E" in text else int(text)
        style = cell.get("s")
        if style is None:
            return number
        is_date = dated.get(style)
        if is_date is None:
            is_date = dated[style] = int(style) in dates
        return from_excel(number, epoch) if is_date else number
    if kind == "s":
        return _shared(strings, text)
    if kind == "b":
        return text == "1"
    if kind == "d":
        return datetime.fromisoformat(text)
    return text  # "str" (a formula's text) and "e" (an error, as Excel shows it)
