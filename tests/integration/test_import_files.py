"""What an import makes of files that are not what they should be, on both stores (review
findings 9, 11, 12): text like a formula in the file handed back, a workbook of the old or
no format, and a template with only its example rows."""

import base64
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from sansan.imports import KINDS
from sansan.imports.workbooks import template
from tests.integration.test_imports import county, head, recorded_since, upload  # noqa: F401

County = tuple[TestClient, str]
FORMULAS = ("=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)", '=HYPERLINK("http://evil.example","x")')


def test_text_like_a_formula_in_an_uploaded_file_comes_back_as_text_in_the_error_workbook(
    county: County,  # noqa: F811
) -> None:
    client, token = county
    lines = ["党员所在党组织,党员姓名,培训天数,培训方式,主题,发生日期"]
    lines += [f'铁西第1小区党支部,"{f.replace(chr(34), chr(34) * 2)}",1,课堂讲课,{f},2099年1月1日' for f in FORMULAS]
    data = "\n".join(lines).encode("utf-8-sig")
    answer = upload(client, token, data, "坏.csv", dry_run="true")
    assert answer.status_code == 422, answer.text
    book = load_workbook(io.BytesIO(base64.b64decode(answer.json()["report"]["error_workbook"])))
    cells = [c for row in book.worksheets[0].iter_rows() for c in row if c.value is not None]
    texts = {c.value for c in cells}
    assert set(FORMULAS) <= texts
    assert {c.data_type for c in cells} == {"s"}, [(c.coordinate, c.value) for c in cells if c.data_type != "s"]


def test_an_old_excel_file_is_told_to_be_saved_as_xlsx(county: County) -> None:  # noqa: F811
    client, token = county
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8
    for name in ("旧.xls", "加密.xlsx"):
        answer = upload(client, token, ole2, name, dry_run="true")
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body["detail"] == "1 problem; nothing was recorded"
        (problem,) = body["report"]["problems"]
        assert problem["code"] == "old_excel"
        assert ".xls" in problem["message_zh"]
        assert "另存为 .xlsx" in problem["message_zh"]


def test_a_binary_file_named_xlsx_is_said_to_be_an_unreadable_workbook_not_a_csv(
    county: County,  # noqa: F811
) -> None:
    client, token = county
    answer = upload(client, token, bytes(range(256)) * 4, "notcsv.xlsx", dry_run="true")
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["report"]["problems"]
    assert problem["code"] == "bad_file"
    assert "XLSX" in problem["message_zh"]
    assert "CSV" not in problem["message_zh"]
    text = "党员所在党组织,党员姓名,培训天数,培训方式,主题,发生日期\n".encode()  # a CSV misnamed stays a CSV
    answer = upload(client, token, text + "铁西第1小区党支部,无此人,1,课堂讲课,x,2026-11-01\n".encode(), "x.xlsx", dry_run="true")
    assert [p["code"] for p in answer.json()["report"]["problems"]] == ["unknown_reference"]


def test_the_untouched_template_is_refused_and_records_nothing(county: County) -> None:  # noqa: F811
    client, token = county
    for dry_run in ("false", "true"):
        before = head(client)
        answer = upload(client, token, template(KINDS), "导入模板.xlsx", dry_run=dry_run)
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body["code"] == "import_rejected"
        (problem,) = body["report"]["problems"]
        assert (problem["code"], problem["row"]) == ("no_rows", 0)
        assert problem["message_zh"] == "文件中没有可导入的数据行（示例行不会导入）"
        assert body["report"]["import_id"] is None
        assert recorded_since(client, before) == []
