"""The streaming XLSX reader against cells written by hand, one of each shape: the cells it
reads on its short path (a typed-in or a shared string alone in its cell) and those beside
them that must not take it (rich text, formulas, empty values, skipped columns)."""

import io
import zipfile
from datetime import datetime

import pytest

from sansan.imports import xlsx
from sansan.imports.reading import CellError, file_sheets, rows_at_most

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _book(rows_xml: str, after: str = "", second: str | None = None) -> bytes:
    """A workbook of one sheet (党员), or two with ``second`` (说明: what follows its rows)."""
    out = io.BytesIO()
    other = '<sheet name="说明" sheetId="2" r:id="rId2"/>' if second is not None else ""
    rel = '<Relationship Id="rId2" Target="worksheets/sheet2.xml"/>' if second is not None else ""
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{NS}" xmlns:r="{RELS}"><sheets>'
            f'<sheet name="党员" sheetId="1" r:id="rId1"/>{other}</sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Target="worksheets/sheet1.xml"/>{rel}</Relationships>',
        )
        if second is not None:
            z.writestr(
                "xl/worksheets/sheet2.xml",
                f'<worksheet xmlns="{NS}"><sheetData/>{second}</worksheet>',
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
            f'<worksheet xmlns="{NS}"><sheetData>{rows_xml}</sheetData>{after}</worksheet>',
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


def _filled_rows(data: bytes) -> int:
    return sum(1 for _, rows in xlsx.sheets(data) for row in rows if any(v is not None for v in row))


def test_the_rough_count_is_the_row_elements_and_the_rows_merges_fill_never_fewer_than_read() -> None:
    """The import skips its exact count when this says the file is under the row limit, so
    it may never say fewer rows than the reader gives: rows the sheet leaves out and a
    merge down fills are counted, as are rows split across the chunks the XML is read in;
    a page break's <rowBreaks> is no row."""
    cell = '<c t="inlineStr"><is><t>{}</t></is></c>'
    many = "".join(f'<row r="{n}">{cell.format("x" * 60)}</row>' for n in range(1, 30_001))
    data = _book(many)
    assert len(zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")) > 2 * 2**20
    assert xlsx.rows_at_most(data) == _filled_rows(data) == 30_000
    merged = _book(
        f'<row r="1">{cell.format("支部")}</row><row r="5000"/>',  # 2 to 4,999 left out
        '<rowBreaks count="1"><brk id="3"/></rowBreaks>'
        '<mergeCells count="1"><mergeCell ref="A1:A5000"/></mergeCells>',
    )
    assert _filled_rows(merged) == 5000  # the merge's top row and the 4,999 it fills
    assert xlsx.rows_at_most(merged) == 2 + 4999  # not the <rowBreaks>
    # a writer that gives the namespace a prefix: <x:row>, <x:c>
    prefixed = _book(
        f'<x:row xmlns:x="{NS}" r="1"><x:c t="inlineStr"><x:is><x:t>甲</x:t></x:is></x:c></x:row>'
    )
    assert xlsx.rows_at_most(prefixed) == _filled_rows(prefixed) == 1


def test_a_csv_s_rough_count_is_its_line_breaks_of_any_kind() -> None:
    assert rows_at_most("姓名\r\n张三\r李四\n王五".encode("gbk")) == 4
    assert rows_at_most('姓名\n"两行\n的单元格"\n'.encode()) == 4  # 2 rows read; never fewer
    assert rows_at_most(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") is None  # an old Excel file
    assert rows_at_most(b"PK\x03\x04 damaged") is None


def _read(data: bytes) -> list[list[object]]:
    return [row for _, rows in file_sheets(data, "x.xlsx") for row in rows]


A1 = '<row r="1"><c r="A1" t="inlineStr"><is><t>甲</t></is></c></row>'


@pytest.mark.parametrize(
    ("rows_xml", "after"),
    [
        # a merge past Excel's last row: it cost a dict entry a row (24 GB for A2:A99999999999)
        (A1 + '<row r="2"/>', '<mergeCells><mergeCell ref="A1:A2000000"/></mergeCells>'),
        (A1 + '<row r="1048577"/>', ""),  # a row past Excel's last: a million empty rows, and more
        ('<row r="1"><c r="AAAAAAAA1" t="inlineStr"><is><t>甲</t></is></c></row>', ""),  # a column
        (A1, '<mergeCells><mergeCell ref="A1:ZZZZZZZ3"/></mergeCells>'),  # a merge's column
        (A1 + '<row r="3"/><row r="2"/>', ""),  # rows out of order: their numbers would lie
        ('<row r="0"/>' + A1, ""),
        ('<row r="1"><c r="A-2" t="inlineStr"><is><t>甲</t></is></c></row>', ""),
        ('<row r="1"><c r="a1" t="inlineStr"><is><t>甲</t></is></c></row>', ""),
    ],
)
def test_a_sheet_past_excel_s_last_row_or_column_is_a_damaged_file_read_in_no_time(
    rows_xml: str, after: str
) -> None:
    with pytest.raises(CellError) as refused:
        _read(_book(rows_xml, after))
    assert refused.value.code == "bad_file"
    assert refused.value.zh.startswith("无法读取该 XLSX 文件")


def test_merges_filling_more_rows_than_a_sheet_has_are_refused_in_words() -> None:
    merges = "".join(f'<mergeCell ref="{c}1:{c}600000"/>' for c in "AB")
    with pytest.raises(CellError) as refused:
        _read(_book(A1, f"<mergeCells>{merges}</mergeCells>"))
    assert refused.value.zh == (
        "合并单元格过多（合并覆盖超过1,048,576行，或超过100,000处），请取消合并后另存再导入"
    )
    many = "".join(f'<mergeCell ref="A{2 * n + 1}:A{2 * n + 2}"/>' for n in range(100_001))
    with pytest.raises(CellError) as refused:
        _read(_book(A1, f"<mergeCells>{many}</mergeCells>"))
    assert refused.value.zh.startswith("合并单元格过多")


def test_rows_inside_merges_read_their_top_row_s_values_however_the_merges_overlap() -> None:
    """Merges down are filled while their rows are read (no table of every row they cover):
    A1:A3 and B2:B4 overlap in rows 2 and 3; C5:C6 starts after both end; row 4 is left out
    of the sheet, and read inside B's merge."""
    cell = '<c r="{}" t="inlineStr"><is><t>{}</t></is></c>'
    rows = (
        f'<row r="1">{cell.format("A1", "甲")}</row>'
        f'<row r="2">{cell.format("B2", "乙")}</row>'
        f'<row r="3">{cell.format("C3", "x")}</row>'
        f'<row r="5">{cell.format("C5", "丙")}</row><row r="6"/><row r="7"/>'
    )
    merges = '<mergeCells><mergeCell ref="A1:A3"/><mergeCell ref="B2:B4"/><mergeCell ref="C5:C6"/></mergeCells>'
    assert _read(_book(rows, merges)) == [
        ["甲"], ["甲", "乙"], ["甲", "乙", "x"], [None, "乙"], [None, None, "丙"],
        [None, None, "丙"], [],
    ]  # fmt: skip


def test_the_rough_count_stops_once_past_what_it_is_asked_about() -> None:
    data = _book("".join(f'<row r="{n}"/>' for n in range(1, 5001)))
    assert xlsx.rows_at_most(data) == 5000
    assert xlsx.rows_at_most(data, past=10) == 11
    assert rows_at_most(data, past=10) == 11


def test_a_strict_open_xml_workbook_is_told_to_be_saved_as_an_ordinary_one() -> None:
    """Excel saves “Strict Open XML 电子表格” with another namespace: it read as no rows."""
    source, out = zipfile.ZipFile(io.BytesIO(_book(A1))), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            part = source.read(name).replace(NS.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main")
            target.writestr(name, part)
    strict = out.getvalue()
    with pytest.raises(CellError) as refused:
        _read(strict)
    assert refused.value.code == "bad_file"
    assert "另存为“Excel 工作簿（.xlsx）”" in refused.value.zh


def test_an_empty_file_is_said_to_be_empty() -> None:
    with pytest.raises(CellError) as refused:
        _read(b"")
    assert refused.value.zh == "文件是空的，没有可导入的内容"


@pytest.mark.parametrize("index", ["2", "-1"])
def test_a_shared_string_the_table_lacks_is_a_damaged_file_never_another_string(index: str) -> None:
    """Outside review 5: an index past the table was a 500, a negative one read the table's
    last string as the cell's."""
    with pytest.raises(CellError) as refused:
        _read(_book(f'<row r="1"><c r="A1" t="s"><v>{index}</v></c></row>'))
    assert refused.value.code == "bad_file"


def test_what_follows_the_rows_is_not_parsed() -> None:
    """A million merges after the rows were built into a tree by the parser (500 MB a sheet):
    the reader stops at the end of the rows, so even a broken tail is never read."""
    assert _read(_book(A1, "<mergeCells><broken")) == [["甲"]]


def test_a_merge_written_in_lower_case_or_from_its_bottom_corner_is_read_as_excel_reads_it() -> None:
    cell = '<c r="{}" t="inlineStr"><is><t>{}</t></is></c>'
    rows = f'<row r="1">{cell.format("A1", "甲")}{cell.format("B1", "乙")}</row><row r="2"/><row r="3"/>'
    for ref_a, ref_b in (("a1:a3", "b1:b3"), ("A3:A1", "B3:B1")):
        merges = f'<mergeCells><mergeCell ref="{ref_a}"/><mergeCell ref="{ref_b}"/></mergeCells>'
        assert _read(_book(rows, merges)) == [["甲", "乙"]] * 3, ref_a


def test_a_sheet_the_import_passes_over_is_not_refused_for_its_merges() -> None:
    """Outside review 5: two full-height merges on the 说明 sheet refused the whole file."""
    merges = '<mergeCells><mergeCell ref="A1:A1048576"/><mergeCell ref="B1:B1048576"/></mergeCells>'
    [(first, rows), (name, _)] = list(xlsx.sheets(_book(A1, second=merges)))
    assert (first, list(rows), name) == ("党员", [["甲"]], "说明")
