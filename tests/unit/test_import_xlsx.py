"""The streaming XLSX reader against cells written by hand, one of each shape: the cells it
reads on its short path (a typed-in or a shared string alone in its cell) and those beside
them that must not take it (rich text, formulas, empty values, skipped columns)."""

import io
import zipfile
from datetime import datetime

from sansan.imports import xlsx

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _book(rows_xml: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{NS}" xmlns:r="{RELS}"><sheets>'
            '<sheet name="党员" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{NS}"><si><t>共享</t></si>'
            "<si><r><t>富</t></r><r><t>文本</t></r><rPh><t>ふ</t></rPh></si></sst>",
        )
        z.writestr(
            "xl/styles.xml",
            f'<styleSheet xmlns="{NS}"><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/>'
            "</cellXfs></styleSheet>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{NS}"><sheetData>{rows_xml}</sheetData></worksheet>',
        )
    return out.getvalue()


def _rows(rows_xml: str) -> list[list[object]]:
    [(name, rows)] = list(xlsx.sheets(_book(rows_xml)))
    assert name == "党员"
    return list(rows)


def test_strings_alone_in_their_cells_and_the_cells_beside_them_read_as_excel_shows_them() -> None:
    rows = _rows(
        '<row r="1">'
        '<c r="A1" t="inlineStr"><is><t xml:space="preserve"> 张三 </t></is></c>'
        '<c r="B1" t="s"><v>0</v></c>'
        '<c r="C1" t="s"><v>1</v></c>'  # rich text shared: its runs, not its phonetic guide
        '<c r="E1" t="inlineStr"><is><r><t>李</t></r><r><t>四</t></r></is></c>'  # D1 skipped
        '<c r="F1" t="inlineStr"><is><t/></is></c>'
        '<c r="G1" t="s"><f>A1</f><v>0</v></c>'  # a formula beside its value
        '<c r="H1" t="str"><f>"x"</f><v>算得</v></c>'
        '<c r="I1" t="s"><v/></c>'
        "</row>"
        '<row r="3">'  # row 2 left out: an empty row
        '<c r="A3"><v>42</v></c><c r="B3"><v>2.5</v></c><c r="C3" s="1"><v>46082</v></c>'
        '<c r="D3" t="b"><v>1</v></c><c r="E3" s="0"><v>7</v></c>'
        "</row>"
    )
    assert rows == [
        [" 张三 ", "共享", "富文本", None, "李四", "", "共享", "算得", None],
        [],
        [42, 2.5, datetime(2026, 3, 1), True, 7],
    ]
