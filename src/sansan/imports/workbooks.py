"""The workbooks an import hands out: the templates, and a file's rows with their errors."""

import io
from collections import defaultdict
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sansan.cells import printable, put, sheet_title
from sansan.imports.engine import ImportReport, Problem
from sansan.imports.kinds import ImportKind
from sansan.imports.reading import CellError, file_sheets, is_blank

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
TEMPLATE_ROWS = 5000  # how far down the dropdowns and date formats reach
ERROR_HEADER = "错误"
GUIDE = (
    "填写说明：每个工作表第一行为表头，带 * 的列必填；第二行是示例（备注写明“示例行”），不会导入。",
    "单位按名称填写：社区写社区名称，党组织写全称，党员写姓名及其所在党组织。",
    "日期可写成 2026-03-01、2026/3/1 或 2026年3月1日；同一文件再次导入不会重复记录。",
    "再次导入时，已登记的单位或人员（唯一性列相同）若其他已填的列与已登记的内容不同，"
    "整个文件不予导入，并在“错误”列写明表中的值和已登记的值：导入不会更改已登记的内容，"
    "变更请另行记录（如变更党员管理类别）；留空的列不作比较。",
    "上下合并的单元格（如一个党组织名称合并跨 3 行）按其显示的值计入所合并的每一行；"
    "左右合并的单元格只计入最左一列，其余各列按空白处理。",
    "不要填写身份证号等个人信息：模板只收方案需要的内容。",
)
_REQUIRED = Font(bold=True, color="C00000")
_ERROR_FILL = PatternFill("solid", fgColor="FFE0E0")


def _choices_sheet(book: Workbook) -> Worksheet:
    lists = book.create_sheet("选项")
    lists.sheet_state = "hidden"
    return lists


def template(kinds: list[ImportKind]) -> bytes:
    """One sheet per kind (Chinese headers, required ones in red with *, an example row,
    dropdowns for choices and yes/no, date cells as dates) and the instructions sheet."""
    book = Workbook()
    guide = book.active
    assert guide is not None
    guide.title = "说明"
    guide.append(["工作表", "内容", "唯一性（自然键）", "必填列"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    lists = _choices_sheet(book)
    list_column = 0
    for kind in kinds:
        sheet = book.create_sheet(kind.sheet)
        required = [c.header for c in kind.columns if c.required]
        guide.append([kind.sheet, kind.title_zh, kind.natural_key_zh(), "、".join(required)])
        sheet.append([c.header + ("*" if c.required else "") for c in kind.columns])
        sheet.append([c.sample for c in kind.columns])
        for index, column in enumerate(kind.columns, start=1):
            letter = get_column_letter(index)
            header = sheet.cell(row=1, column=index)
            header.font = _REQUIRED if column.required else Font(bold=True)
            sheet.column_dimensions[letter].width = max(12, 2 * len(column.header) + 4)
            cells = f"{letter}2:{letter}{TEMPLATE_ROWS}"
            if column.type == "date":
                for row in range(2, 3):
                    sheet.cell(row=row, column=index).number_format = DATE_FORMAT
                sheet.column_dimensions[letter].number_format = DATE_FORMAT
            labels = [label for _, label in column.choices]
            if column.type == "boolean":
                labels = ["是", "否"]
            if labels:
                list_column += 1
                list_letter = get_column_letter(list_column)
                for row, label in enumerate(labels, start=1):
                    lists.cell(row=row, column=list_column, value=label)
                rule = DataValidation(
                    type="list", formula1=f"选项!${list_letter}$1:${list_letter}${len(labels)}",
                    allow_blank=not column.required, showErrorMessage=True,
                    errorTitle="取值无效", error="请从下拉列表中选择",
                )  # fmt: skip
                sheet.add_data_validation(rule)
                rule.add(cells)
        sheet.freeze_panes = "A2"
    guide.append([])
    for line in GUIDE:
        guide.append([line])
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 36
    guide.column_dimensions["C"].width = 60
    guide.column_dimensions["D"].width = 40
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Blank rows in a row copied back; past these, a run of them is left out (the errors stand
# beside their rows, so no row number is needed to find them).
BLANK_ROWS_KEPT = 100


def error_workbook(data: bytes, report: ImportReport) -> bytes:
    """The file's rows as they were, with an 错误 column beside each row that has one, so
    it can be fixed and imported again (the 错误 column is not read back)."""
    by_row: dict[tuple[str, int], list[Problem]] = defaultdict(list)
    for problem in report.problems:
        by_row[(problem.sheet, problem.row)].append(problem)
    book = Workbook(write_only=True)
    try:
        _copy_rows(book, data, report, by_row)
    except CellError:  # a file that cannot be read back: its problems alone
        book = Workbook(write_only=True)
        by_row = {("", 0): list(report.problems)}
    left = [p for problems in by_row.values() for p in problems]
    if left:  # problems of the file as a whole
        sheet = book.create_sheet(ERROR_HEADER)
        for p in left:
            sheet.append(_inert(sheet, [p.sheet, p.row or None, _said(p)]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _copy_rows(
    book: Workbook, data: bytes, report: ImportReport,
    by_row: dict[tuple[str, int], list[Problem]],
) -> None:  # fmt: skip
    for name, rows in file_sheets(data, report.file_name):
        sheet = book.create_sheet(sheet_title(name))
        width = blank = 0
        for number, row in enumerate(rows, start=1):
            width = max(width, len(row))
            found = by_row.pop((name, number), [])
            blank = blank + 1 if not found and all(is_blank(v) for v in row) else 0
            if blank > BLANK_ROWS_KEPT:
                continue  # a 2 KB file ending in row 1,048,576 came back as 23 MB of empty rows
            text = "；".join(_said(p) for p in found)
            values = _inert(sheet, [*row, *([None] * (width - len(row)))])
            if number == 1:
                found = by_row.pop((name, 0), []) + found
                text = "；".join(_said(p) for p in found) or ERROR_HEADER
            cell = put(WriteOnlyCell(sheet), text or None)
            if found:
                cell.fill = _ERROR_FILL
            sheet.append([*values, cell])


def _inert(sheet: Worksheet, values: list[Any]) -> list[Cell | MergedCell | None]:
    """A row of the uploaded file as cells that hold data only: its text never a formula."""
    return [None if value is None else put(WriteOnlyCell(sheet), value) for value in values]


def _said(p: Problem) -> str:
    """“列名”（值）message, the column not said twice where the message names it first
    (“主题”为必填项, not “主题”“主题”为必填项)."""
    where = f"“{p.column}”" if p.column else ""
    value = f"（{p.value}）" if p.value else ""
    message = p.message_zh.removeprefix(where) if where else p.message_zh
    return printable(f"{where}{value}{message}")
