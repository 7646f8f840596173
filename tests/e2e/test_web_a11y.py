"""Accessibility of the dashboard in Chromium against `sansan serve --demo`: axe-core (from the
npm registry, for the tests only) finds no serious or critical violation on any page or state a
county supervisor or a community secretary meets, at a desktop and a phone size — its
color-contrast rule measuring all text at 4.5:1 —, and every control is reachable and operable
from the keyboard (fixtures shared with test_web_ui).

The API's documentation pages (/docs, /redoc) are Swagger UI's and ReDoc's bundles, served as
their authors ship them: not ours to fix, so not checked here."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from sansan.demo import demo_id
from tests.e2e import test_web_ui as ui
from tests.e2e.accessibility import axe_script, load_axe, violations
from tests.e2e.test_web_forms import VIEWPORTS
from tests.e2e.test_web_ui import CAMPAIGN, DemoServer, Watched, china_today, open_watched

# The demo server and the browser of the walk-through, started once for this module too.
database_url, server, browser, shots = ui.database_url, ui.server, ui.browser, ui.shots
__all__ = ["axe_script"]  # a fixture, used by name

pytestmark = pytest.mark.browser
TIEXI = demo_id("community", "铁西")
HEDONG = demo_id("community", "河东")
ITEM_TITLE = "铁西社区补齐无障碍设施台账"
# a form every writing role is offered (funding is no longer the community's: review #2, 29)
REFUSED_FORM = "组建社区志愿者组织"


@pytest.fixture(scope="module")
def tiexi_item(server: DemoServer) -> str:
    """A supervision item assigned to 铁西, so that its secretary has a case file to open."""
    response = httpx.post(
        f"{server.base}/api/v1/supervision-items",
        json={
            "occurred_on": str(china_today().date()), "title": ITEM_TITLE,
            "description": "请于期限内补齐台账并报送。",
            "assignee_org_id": str(demo_id("org", "铁西社区党总支")),
            "due_on": str(china_today().date() + timedelta(days=20)), "campaign_id": str(CAMPAIGN),
        },
        headers={"Authorization": f"Bearer {server.tokens['county']}"}, timeout=10,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return str(response.json()["aggregate_id"])


@pytest.fixture(params=list(VIEWPORTS))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def opened(browser: Browser, shots: Any, size: str) -> Iterator[Watched]:
    w = open_watched(browser, shots, VIEWPORTS[size])
    yield w
    w.page.context.close()
    # the refusals the walk provokes on purpose: an empty form (422), a unit out of scope (404)
    problems = [p for p in w.problems if not any(code in p for code in ("422", "404"))]
    assert problems == [], problems


def sign_in(page: Page, server: DemoServer, role: str) -> None:
    page.goto(server.base + "/#/signin")
    page.get_by_label("访问令牌").fill(server.tokens[role])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-page=overview] .target").first).to_be_visible()


def show(page: Page, server: DemoServer, path: str) -> None:
    """The page at the path, drawn afresh (the same page with other filters is a new drawing)."""
    address = f"{server.base}/#/{path}"
    if page.url != address:  # the same address again draws nothing new
        page.evaluate("document.querySelector('main .page')?.setAttribute('data-stale', '')")
        page.goto(address)
    name = path.split("/")[0].split("?")[0]
    expect(page.locator(f"main > [data-page={name}]:not([data-stale])")).to_be_visible()
    page.wait_for_load_state("networkidle")


def refused_form(page: Page) -> None:
    """A command's form sent empty: its fields' refusals are shown beside them."""
    page.locator("select[name=command]").select_option(label=REFUSED_FORM)
    page.locator("select[name=unit]").select_option(label="铁西社区")
    form = page.get_by_role("form", name=REFUSED_FORM)
    form.get_by_role("button", name=f"记录：{REFUSED_FORM}").click()
    expect(form.locator(".field-error").first).not_to_be_empty()
    expect(form.locator(".form-error")).to_contain_text("未记录")


PAGES = {
    "county": [
        "overview",
        "matrix",
        f"community/{TIEXI}",
        "inbox",
        "inbox?all=1",
        "item",
        "record",
        "record?bulk=training",
        "record-refused",
        "audit",
        "screen",
        "import",
        "nowhere",
    ],
    "community": [
        "overview",
        "matrix",
        f"community/{TIEXI}",
        "inbox",
        "item",
        "record",
        "record?bulk=training",
        "record-refused",
        "audit",
        "screen",
        "import",
        f"community/{HEDONG}",
    ],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_no_page_has_a_serious_or_critical_accessibility_violation(
    server: DemoServer, opened: Watched, axe_script: Path, tiexi_item: str, role: str, size: str
) -> None:
    page = opened.page
    load_axe(page, axe_script)
    found: dict[str, list[str]] = {}
    page.goto(server.base + "/#/signin")
    expect(page.get_by_label("访问令牌")).to_be_visible()
    found["signin"] = violations(page)
    sign_in(page, server, role)
    for path in PAGES[role]:
        if path == "item":
            show(page, server, f"item/{tiexi_item}")
        elif path == "record-refused":
            show(page, server, "record")
            refused_form(page)
        else:
            show(page, server, path)
        found[path] = violations(page)
        if path == "audit" and role == "community":  # a page it may not open says so in words
            expect(page.locator("main")).to_contain_text("无权查看“审计”页面")
    bad = {path: lines for path, lines in found.items() if lines}
    assert bad == {}, "\n".join(f"{role} {size} #{p}:\n  " + "\n  ".join(v) for p, v in bad.items())


# What has the keyboard's focus, in words a failing assertion can show.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  return { tag: e.tagName.toLowerCase(), nav: e.dataset.nav || null, name: e.name || null,
    text: (e.getAttribute('aria-label') || e.textContent || e.value || '').trim().slice(0, 40),
    cell: e.classList.contains('cell-link'), main: Boolean(e.closest('main')),
    ring: getComputedStyle(e).outlineStyle !== 'none' && parseFloat(getComputedStyle(e).outlineWidth) >= 2 };
}"""


def opened_afresh(page: Page, server: DemoServer, path: str) -> None:
    """The page as loaded from its address: the keyboard starts at the top, not where the last
    click or Tab left it."""
    page.goto(f"{server.base}/#/{path}")
    page.reload()
    expect(page.locator(f"main > [data-page={path.split('/')[0].split('?')[0]}]")).to_be_visible()
    page.wait_for_load_state("networkidle")


def tab_through(page: Page, until: str = "", limit: int = 400) -> list[dict[str, Any]]:
    """Tab from where the focus is once round the page, to the first focused element whose text
    contains `until` or, without it, until the focus leaves the page or comes back to the skip
    link; a keyboard trap never gets there and fails."""
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (seen and focused["text"] == "跳到正文"):
            return seen
        seen.append(focused)
        if until and until in focused["text"]:
            return seen
    raise AssertionError(f"the focus never left the page in {limit} presses of Tab: {seen[-5:]}")


def test_the_matrix_opens_a_community_from_the_keyboard_past_the_nav_and_the_filters(
    server: DemoServer, opened: Watched, size: str
) -> None:
    page = opened.page
    sign_in(page, server, "county")
    opened_afresh(page, server, "matrix")
    walk = tab_through(page, until="铁西社区 ")
    assert walk[0]["text"] == "跳到正文", walk[:3]
    navs = [f["nav"] for f in walk if f["nav"]]
    assert navs == ["overview", "matrix", "inbox", "record", "audit", "import"], navs
    names = [f["name"] for f in walk]
    assert {"street", "community", "model_type"} <= set(names), names
    assert any(f["text"] == "退出" for f in walk), walk
    assert walk[-1]["cell"], walk[-1]  # a cell of 铁西's row, its link named by row and column
    assert walk[-1]["text"].startswith("铁西社区 "), walk[-1]
    # a ring of the app's own, wider than the browser's 1 px, round whatever has the focus
    assert [f for f in walk if not f["ring"]] == []
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("铁西社区")

    opened_afresh(page, server, "matrix")
    tab_through(page, until="河东社区 ")
    page.keyboard.press(" ")  # Space opens it too, as on a button
    expect(page.locator("h1")).to_have_text("河东社区")


def test_the_skip_link_leads_into_the_content_and_the_exports_are_reached_by_tab(
    server: DemoServer, opened: Watched
) -> None:
    page = opened.page
    sign_in(page, server, "county")
    opened_afresh(page, server, "overview")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the header skipped: the page's first control next
    expect(page.get_by_role("link", name="大屏展示")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="导出 CSV")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="导出 XLSX")).to_be_focused()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".xlsx")


@pytest.mark.parametrize(
    "path", ["overview", "matrix", "inbox", "item", "record?bulk=training", "audit"]
)
def test_no_page_traps_the_keyboard(
    server: DemoServer, opened: Watched, tiexi_item: str, path: str
) -> None:
    page = opened.page
    sign_in(page, server, "county")
    opened_afresh(page, server, f"item/{tiexi_item}" if path == "item" else path)
    walk = tab_through(page)
    assert any(f["main"] for f in walk), walk  # into the page's own controls, and out again


def test_a_confirmation_answers_the_keyboard_and_cancelling_it_records_nothing(
    server: DemoServer, opened: Watched
) -> None:
    """A confirmation is the browser's own dialog (window.confirm): Escape cancels it, as
    dismissing it does here, and the focus is back on the button that asked."""
    response = httpx.post(
        f"{server.base}/api/v1/supervision-items",
        json={
            "occurred_on": str(china_today().date()), "title": "铁西社区整理党员活动记录",
            "assignee_org_id": str(demo_id("org", "铁西社区党总支")),
            "due_on": str(china_today().date() + timedelta(days=20)), "campaign_id": str(CAMPAIGN),
        },
        headers={"Authorization": f"Bearer {server.tokens['county']}"}, timeout=10,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    item = response.json()["aggregate_id"]
    for step in ("acknowledgement", "start"):
        done = httpx.post(
            f"{server.base}/api/v1/supervision-items/{item}/{step}",
            json={"occurred_on": str(china_today().date())},
            headers={"Authorization": f"Bearer {server.tokens['community']}"}, timeout=10,
        )  # fmt: skip
        assert done.status_code == 200, done.text
    page = opened.page
    sign_in(page, server, "community")
    show(page, server, f"item/{item}")
    report = page.get_by_role("form", name="反馈办理结果")
    report.get_by_label("办理结果").fill("已整理2026年党员活动记录。")
    button = report.get_by_role("button", name="反馈办理结果")
    button.focus()
    asked: list[str] = []

    def cancel(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", cancel)
    page.keyboard.press("Enter")
    expect(button).to_be_focused()
    assert asked == ["提交后办理结果将报送审核，确定提交吗？"]
    expect(page.locator("[data-status]")).to_have_text("办理中")
    types = [e["type"] for e in server.api("community", f"/supervision-items/{item}/history")]
    assert "HandlingReported" not in types
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Enter")
    expect(page.locator("[data-status]")).to_have_text("已反馈")
