"""The 导入 page in Chromium against `sansan serve --demo` on both stores: a file with a mistake
comes back explained (and as a workbook with an 错误 column), the corrected one goes in."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from sansan.imports import KINDS
from sansan.imports.workbooks import template
from tests.e2e import test_web_ui as ui
from tests.e2e.test_web_ui import DemoServer, Watched, open_watched

database_url, server, browser, shots = ui.database_url, ui.server, ui.browser, ui.shots

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def roster(category: str) -> bytes:
    book = load_workbook(io.BytesIO(template([k for k in KINDS if k.key == "members"])))
    sheet = book["党员"]
    sheet.delete_rows(2)
    sheet.append(["网页导入甲", "直管", "铁西社区党总支", 1980, None, None, "2026-04-01"])
    sheet.append(["网页导入乙", category, "铁西社区党总支", 1981, None, None, "2026年4月2日"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def watched(browser: Browser, shots: Path) -> Iterator[Watched]:
    w = open_watched(browser, shots, {"width": 1440, "height": 900})
    yield w
    w.page.context.close()
    # the rejected upload answers 422 on purpose: that is what the page explains
    assert [p for p in w.problems if "422" not in p] == []


def choose(page: Page, data: bytes) -> None:
    page.locator("input[name=file]").set_input_files(
        files=[{"name": "铁西名册.xlsx", "mimeType": XLSX, "buffer": data}]
    )


def test_the_upload_page_explains_a_mistake_offers_the_marked_file_and_imports_the_fix(
    server: DemoServer, watched: Watched
) -> None:
    page = ui.sign_in_by_link(watched, server)
    page.locator("[data-nav=import]").click()
    expect(page.get_by_role("heading", name="导入表格")).to_be_visible()
    choose(page, roster("直接管理"))
    page.get_by_role("button", name="导入", exact=True).click()
    problems = page.locator("[data-import-problems]")
    expect(problems).to_have_attribute("data-import-problems", "1")
    expect(page.get_by_role("alert")).to_contain_text("未记录任何内容")
    row = problems.locator("tbody tr").first
    expect(row).to_contain_text("第 3 行")
    expect(row).to_contain_text("管理类别")
    expect(row).to_contain_text("直接管理")
    expect(row).to_contain_text("不是可选的值")
    watched.shot("import-rejected")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载标注错误的表格").click()
    assert download.value.suggested_filename == "铁西名册-错误.xlsx"
    marked = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))["党员"]
    header = [c.value for c in marked[1]]
    assert header[-1] == "错误"
    assert "直管、双管、参管" in str(marked.cell(row=3, column=len(header)).value)
    names = [m["name"] for m in server.api("county", "/members", limit=200)["items"]]
    assert "网页导入甲" not in names

    choose(page, roster("双管"))
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="导入完成")).to_be_visible()
    counts = page.locator("[data-import-counts] tbody tr")
    expect(counts).to_have_text(["党员20"])
    ui.wait_for_read_models(server.base)
    names = [m["name"] for m in server.api("county", "/members", limit=200)["items"]]
    assert {"网页导入甲", "网页导入乙"} <= set(names)
