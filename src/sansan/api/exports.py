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


def to_csv(results: Sequence[TargetResult]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows(results))
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8


def to_xlsx(results: Sequence[TargetResult], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for result, row in zip(results, rows(results), strict=True):
        sheet.append(row)
        sheet.cell(row=sheet.max_row, column=4).fill = PatternFill(
            "solid", fgColor=FILLS[result.status]
        )
    for index, width in enumerate([22, 14, 20, 14, 18, 8, 12, 12, 80], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
