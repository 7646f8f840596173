"""Every spreadsheet the service hands out, CSV (Excel-friendly) or XLSX, goes through here.

Units record free text, so a cell may hold anything a client sent: characters XML cannot
carry (openpyxl refuses them), or text a spreadsheet would run as a formula (OWASP's
CSV injection). Every cell and sheet title is made safe here, once, for every export.
"""

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sansan.api.readable import actor_zh
from sansan.cells import (
    INVALID_NUMBER,
    cell_value,
    csv_text,
    is_finite,
    printable,
    put,
    sheet_title,
)
from sansan.domain.vocabulary import Role
from sansan.projections.compliance import (
    NOT_RECORDED,
    Correction,
    CorrectionsElsewhere,
    Failing,
    PeriodResult,
    TargetResult,
    area,
    yuan,
)

HEADERS = [
    "目标",
    "条款",
    "状态",
    "实测值",
    "达标程度",  # the measured share (or count) itself, a number a spreadsheet can sum and sort
    "标准",
    "截止日期",
    "责任主体",
    "未达标数",  # counted as what they are: "3人", "2个社区"
    "未达标名单及原因",
    "上一年度结论",  # a yearly target's ended year, and its running year
    "本年度进度",
]
FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE", "not_due": "EDEDED",
         "no_data": "FFFFFF", "not_applicable": "FFFFFF"}  # fmt: skip
# Where every failing unit is listed, one a row: a sheet of the XLSX, a section of the CSV.
DETAILS = "未达标明细"
DETAIL_HEADERS = ["目标", "年度", "未达标单位", "原因", "自身期限"]
PERIOD_KIND = {"ended": "已结束", "running": "本年度"}
# The corrections a report applied (review 3, finding 8): a sheet of the XLSX, a section of
# the CSV, so that two signed copies of one day's report can be reconciled.
CORRECTIONS = "更正记录"
CORRECTION_HEADERS = ["单位", "更正项目", "更正前", "更正后", "所更正记录的日期", "更正日期",
                      "更正人", "更正原因"]  # fmt: skip
CORRECTION_WIDTHS = [16, 16, 14, 14, 14, 12, 30, 40]
CORRECTED_ZH = {"office_area": "办公用房面积", "venue_area": "活动场所面积"}
# A failing list longer than this is not written into its target's cell, only counted there:
# past a screenful no one reads a cell, and Excel cuts one at 32,767 characters.
INLINE_MAX = 2000
# A spreadsheet reads text starting with these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Number:
    """A number as a county office reads it: in CSV its text as on the page ("100%"), in XLSX
    a numeric cell with a display format that shows the same ("0%")."""

    value: float
    text: str
    format: str = "General"


# A figure's correction mark ("79,960元（2026年11月30日更正）", compliance.Correction.mark).
CORRECTED_MARK = re.compile(r"（\d{4}年\d{1,2}月\d{1,2}日更正）$")
# One figure in a text as the page writes it: "100%", "超过50%", "10,000元", "2个社区".
ONE_FIGURE = re.compile(r"^([^\d%]*?)(\d[\d,]*(?:\.\d+)?)(%?)([^\d%]*)$")


def _quoted(text: str) -> str:
    return f'"{text}"' if text else ""


def figure(text: str) -> Number | str:
    """A figure as the page writes it, as a numeric cell whose display format shows the same
    words ("10,000元" is 10000 shown as #,##0"元"); text holding more than one figure stays text."""
    found = ONE_FIGURE.match(text)
    if found is None or '"' in text:
        return text
    before, digits, percent, after = found.groups()
    number = float(digits.replace(",", ""))
    if percent:
        code = "0%"
        number /= 100
    else:
        code = "#,##0" if number == int(number) else "#,##0.##"
    return Number(number, text, f"{_quoted(before)}{code}{_quoted(after)}")


def achieved(r: TargetResult) -> Number | str:
    """How far a target has come, as a number: a share as a percentage, a count or one
    community's amount with its unit. An amount resting on a correction is the number it
    says, its mark kept in the CSV's text; nothing recorded is no number ("未记录2026年经费"
    is not 2026)."""
    if r.measured_text.startswith(NOT_RECORDED):
        return r.measured_text
    if r.unit in ("yuan", "count"):
        found = figure(CORRECTED_MARK.sub("", r.measured_text))
        return replace(found, text=r.measured_text) if isinstance(found, Number) else found
    return Number(r.measured, f"{round(r.measured * 100)}%", "0%")


def csv_cell(value: object) -> object:
    """Text made inert for CSV (a leading ' keeps it text), and kept whole where Excel would
    read it as a number (a leading tab); numbers and dates stay as they are."""
    if isinstance(value, Number):
        return value.text
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return cell_value(value)
    text = printable(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else csv_text(text)


def period_text(period: PeriodResult | None) -> str:
    """A yearly target's period in words: "2026年：逾期未达标，2/3个社区（2027-01-05补足）"."""
    if period is None:
        return ""
    if period.now_text is not None:  # an ended year missed: at the verdict, and now
        return period.line_zh
    return f"{period.label_zh}：{period.status_zh}，{period.measured_text}"


def _periods(r: TargetResult) -> tuple[PeriodResult | None, PeriodResult | None]:
    """The ended year's verdict and the running year's tally (either may be absent)."""
    ended = next((p for p in r.periods if p.kind == "ended"), None)
    return ended, next((p for p in r.periods if p.kind == "running"), None)


def _now(f: Failing) -> str:
    """An ended year missed: the reason is the verdict's; then how the unit stands now."""
    return f"（年末）；{f.now_zh}" if f.now_zh else ""


def _failing(r: TargetResult) -> str:
    """Each failing unit, a person with their community: "李磊（铁西社区）：2026年培训4/6天";
    a list too long to read in one cell (or to fit one: Excel holds 32,767 characters) names
    how many, and the sheet or section listing them one a row."""

    def own_due(f: Failing) -> str:
        return f"（自身期限：{f.due_on.isoformat()}）" if f.due_on else ""

    listed = "；".join(f"{f.unit_name}：{f.reason_zh}{own_due(f)}{_now(f)}" for f in r.failing)
    if len(listed) <= INLINE_MAX:
        return listed
    return f"共{r.failing_count_zh}，名单及原因见《{DETAILS}》"


def failing_rows(results: Sequence[TargetResult]) -> list[list[object]]:
    """Every failing unit of every target, one a row; a yearly target's for each of its years."""
    table: list[list[object]] = []
    for r in results:
        lists = [(f"{p.label_zh}（{PERIOD_KIND[p.kind]}）", p.failing) for p in r.periods]
        for period, failing in lists or [("", r.failing)]:
            table += [
                [title(r), period, f.unit_name, f"{f.reason_zh}{_now(f)}", f.due_on]
                for f in failing
            ]
    return table


def title(r: TargetResult) -> str:
    """A target's name; a county-wide one in a narrower report says it is the county's, a
    street's one in a community's report that it is its street's."""
    if r.county_wide:
        return f"{r.title_zh}（全县目标）"
    return f"{r.title_zh}（所在街道目标）" if r.street_wide else r.title_zh


def rows(results: Sequence[TargetResult]) -> list[list[object]]:
    """One row a target, named in Chinese (its title, never its id), its figures as numbers."""
    return [
        [
            title(r), r.clause, r.status_zh, r.measured_text, achieved(r),
            figure(r.threshold_text), r.due_on, Role(r.responsible_role).label_zh,
            r.failing_count_zh if r.failing else "", _failing(r),
            period_text(_periods(r)[0]), period_text(_periods(r)[1]),
        ]
        for r in results
    ]  # fmt: skip


def report_title(campaign: str, report: str, as_of: date) -> str:
    """The line above the header a filed copy is known by: whose, what, and on which day."""
    return f"{campaign}·{report}（评估日期：{as_of.isoformat()}）"


def table_csv(
    headers: Sequence[str], table: Sequence[Sequence[object]], title: str | None = None,
    sections: Sequence[tuple[str, Sequence[str], Sequence[Sequence[object]]]] = (),
) -> bytes:  # fmt: skip
    """A table; then each of ``sections`` (a name, its headers and rows), every row of it
    marked with the name in its first column, so a reader that keys the file by its first
    column still finds one row per target."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if title is not None:
        writer.writerow([csv_cell(title)])
    writer.writerow([csv_cell(h) for h in headers])
    writer.writerows([csv_cell(v) for v in row] for row in table)
    for name, more_headers, more in sections:
        writer.writerow([csv_cell(name), *(csv_cell(h) for h in more_headers)])
        writer.writerows([csv_cell(name), *(csv_cell(v) for v in row)] for row in more)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8


def table_xlsx(
    title: str,
    headers: Sequence[str],
    table: Sequence[Sequence[object]],
    widths: Sequence[int],
    fills: Sequence[tuple[int, str] | None] = (),
    heading: str | None = None,
    sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[object]], Sequence[int]]] = (),
) -> bytes:
    """A sheet with a bold, frozen header; ``fills`` colours one cell (column, RGB) per row;
    ``heading``, when given, is a bold title row above the header; each of ``sheets`` (a
    title, its headers, rows and widths) a sheet of its own after it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    _fill_sheet(sheet, title, headers, table, widths, fills, heading)
    for more_title, more_headers, more, more_widths in sheets:
        _fill_sheet(book.create_sheet(), more_title, more_headers, more, more_widths)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill_sheet(
    sheet: Worksheet, title: str, headers: Sequence[str], table: Sequence[Sequence[object]],
    widths: Sequence[int], fills: Sequence[tuple[int, str] | None] = (),
    heading: str | None = None,
) -> None:  # fmt: skip
    sheet.title = sheet_title(title)
    top = 1
    if heading is not None:
        _put_row(sheet, 1, [heading])
        sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
        top = 2
    _put_row(sheet, top, headers)
    for cell in sheet[top]:
        cell.font = Font(bold=True)
    for index, row in enumerate(table):
        _put_row(sheet, index + top + 1, row)
        fill = fills[index] if index < len(fills) else None
        if fill is not None:
            sheet.cell(row=index + top + 1, column=fill[0]).fill = PatternFill(
                "solid", fgColor=fill[1]
            )
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{top + 1}"


def _put_row(sheet: Worksheet, row: int, values: Sequence[object]) -> None:
    """One row; text is stored as text (never a formula, whatever it starts with)."""
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, Number) and is_finite(value.value):
            cell.value = value.value
            cell.number_format = value.format
        elif isinstance(value, date):
            cell.value = value
            cell.number_format = "yyyy-mm-dd"
        else:
            put(cell, INVALID_NUMBER if isinstance(value, Number) else value)


def correction_rows(corrections: Sequence[Correction]) -> list[list[object]]:
    """Each correction a report applied, as a reader reconciles two signed copies by it:
    whose figure, from what to what, of which record, when, by whom (by name) and why."""
    table: list[list[object]] = []
    for k in corrections:
        data = k.data
        if k.fact == "funding":
            what, before, after = f"{data.get('year', k.item)}年经费", yuan, yuan
        else:
            what, before, after = CORRECTED_ZH.get(k.fact, k.fact), area, area
        table.append([
            k.community_name, what, before(float(data["from_value"])),
            after(float(data["to_value"])), k.occurred_on, k.recorded_on, actor_zh(k.actor),
            str(data.get("correction_reason", "")),
        ])  # fmt: skip
    return table


def elsewhere_row(elsewhere: CorrectionsElsewhere) -> list[object]:
    """One row saying what a county-wide figure rests on beyond the reader's communities:
    how many corrections, in how many communities, of which figures, for which targets."""
    what = "、".join(CORRECTED_ZH.get(f, "经费") for f in elsewhere.facts)
    targets = "、".join(f"“{t}”" for t in elsewhere.targets_zh)
    return [
        f"管辖范围以外的{elsewhere.communities}个社区", what, "", "", "", "", "",
        f"另有{elsewhere.corrections}条更正计入{targets}的全县数字；明细不在本报表范围内，"
        + ("见全县的创建工程进度报表" if elsewhere.county_reader else "可向县委组织部核对"),
    ]  # fmt: skip


def _corrections_section(
    corrections: Sequence[Correction], elsewhere: CorrectionsElsewhere | None = None,
) -> list[tuple[str, Sequence[str], Sequence[Sequence[object]]]]:  # fmt: skip
    """The 《更正记录》 section, when the report applied any correction, its own or one a
    county-wide figure rests on beyond the reader's communities (counted in one last row)."""
    table = correction_rows(corrections) + ([] if elsewhere is None else [elsewhere_row(elsewhere)])
    return [(CORRECTIONS, CORRECTION_HEADERS, table)] if table else []


def to_csv(
    results: Sequence[TargetResult], heading: str | None = None,
    corrections: Sequence[Correction] = (), elsewhere: CorrectionsElsewhere | None = None,
) -> bytes:  # fmt: skip
    return table_csv(
        HEADERS, rows(results), heading,
        [(DETAILS, DETAIL_HEADERS, failing_rows(results)),
         *_corrections_section(corrections, elsewhere)],
    )  # fmt: skip


def to_xlsx(
    results: Sequence[TargetResult], title: str, heading: str | None = None,
    corrections: Sequence[Correction] = (), elsewhere: CorrectionsElsewhere | None = None,
) -> bytes:  # fmt: skip
    more = [(name, headers, table, CORRECTION_WIDTHS)
            for name, headers, table in _corrections_section(corrections, elsewhere)]  # fmt: skip
    return table_xlsx(
        title, HEADERS, rows(results), [26, 12, 16, 22, 10, 22, 12, 12, 10, 80, 34, 34],
        [(3, FILLS[r.status]) for r in results], heading,
        [(DETAILS, DETAIL_HEADERS, failing_rows(results), [26, 22, 30, 60, 12]), *more],
    )  # fmt: skip
