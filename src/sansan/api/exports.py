"""Progress and scorecards as spreadsheets people open: CSV (Excel-friendly) and XLSX."""

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from sansan.domain.vocabulary import Role
from sansan.projections.compliance import TargetResult

HEADERS = [
    "目标编号",
    "条款",
    "目标",
    "状态",
    "实测值",
    "标准",
    "截止日期",
    "责任主体",
    "未达标单位及原因",
]
FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE", "not_due": "EDEDED"}


def rows(results: Sequence[TargetResult]) -> list[list[str]]:
    return [
        [
            r.id, r.clause, r.title_zh, r.status_zh, r.measured_text, f"{r.threshold:g}",
            r.due_on.isoformat(), Role(r.responsible_role).label_zh,
            ";".join(f"{f.unit_name}:{f.reason_zh}" for f in r.failing),
        ]
        for r in results
    ]  # fmt: skip


def table_csv(headers: Sequence[str], table: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(table)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8


def table_xlsx(
    title: str,
    headers: Sequence[str],
    table: Sequence[Sequence[object]],
    widths: Sequence[int],
    fills: Sequence[tuple[int, str] | None] = (),
) -> bytes:
    """A sheet with a bold, frozen header; ``fills`` colours one cell (column, RGB) per row."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, row in enumerate(table):
        sheet.append(list(row))
        fill = fills[index] if index < len(fills) else None
        if fill is not None:
            sheet.cell(row=sheet.max_row, column=fill[0]).fill = PatternFill(
                "solid", fgColor=fill[1]
            )
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(results: Sequence[TargetResult]) -> bytes:
    return table_csv(HEADERS, rows(results))


def to_xlsx(results: Sequence[TargetResult], title: str) -> bytes:
    return table_xlsx(
        title, HEADERS, rows(results), [22, 14, 20, 14, 18, 8, 12, 12, 80],
        [(4, FILLS[r.status]) for r in results],
    )  # fmt: skip
