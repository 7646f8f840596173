"""The dashboard's charts and its 大屏 in Chromium against `sansan serve --demo`: every month of the
trend labelled, round steps on the y axis with the unit, the plan's targets drawn and labelled with
the plan's own values, an empty chart saying what to record, and the meeting room's full screen that
fits 1920×1080 and redraws itself (fixtures shared with test_web_ui)."""

import itertools
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from sansan.demo import demo_id
from tests.e2e import test_web_ui as ui
from tests.e2e.test_web_phone import overflow, sign_in
from tests.e2e.test_web_ui import CAMPAIGN, DemoServer, OverdueItem, Watched, open_watched

# The demo server and the browser of the walk-through, started once for this module too.
database_url, server, browser, shots = ui.database_url, ui.server, ui.browser, ui.shots
overdue_item = ui.overdue_item

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1440, "height": 900}
SCREEN = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
TIEXI, ZHENXI = demo_id("community", "铁西"), demo_id("community", "镇西")
HEDONG_STREET = demo_id("org", "河东街道")
REFRESH_MS = 60_000  # screen.js REFRESH_MS


def watch(browser: Browser, shots: Any, viewport: dict[str, int]) -> Iterator[Watched]:
    w = open_watched(browser, shots, viewport)
    # The 大屏's timer runs on the page's clock, so the test can move it (a second install only
    # sets the time: open_watched may have installed the suite's shifted clock already).
    w.page.context.clock.install(time=datetime.now(UTC))
    yield w
    w.page.context.close()
    assert w.problems == [], w.problems


@pytest.fixture
def desktop(browser: Browser, shots: Any) -> Iterator[Watched]:
    yield from watch(browser, shots, DESKTOP)


@pytest.fixture
def wall(browser: Browser, shots: Any) -> Iterator[Watched]:
    yield from watch(browser, shots, SCREEN)


@pytest.fixture
def phone(browser: Browser, shots: Any) -> Iterator[Watched]:
    yield from watch(browser, shots, PHONE)


def chart(page: Page, title: str) -> Locator:
    return page.locator("figure.chart").filter(
        has=page.locator("figcaption strong", has_text=title)
    )


def texts(locator: Locator) -> list[str]:
    return [t.strip() for t in locator.all_text_contents()]


def assert_round_steps(ticks: list[float], top_value: float) -> None:
    """From 0 in equal steps of 1, 2, 2.5 or 5 times a power of ten, up to at least the largest value."""
    assert ticks[0] == 0, ticks
    assert len(ticks) >= 2, ticks
    step = ticks[1] - ticks[0]
    assert all(math.isclose(b - a, step) for a, b in itertools.pairwise(ticks)), ticks
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5)), ticks
    assert ticks[-1] >= top_value > ticks[-1] - step or top_value == 0, (ticks, top_value)


def month_label(on: str) -> str:
    return f"{int(on[5:7])}月"


def test_the_overview_charts_label_every_month_on_round_axes_against_the_plans_targets(
    server: DemoServer, desktop: Watched
) -> None:
    page = ui.sign_in_by_link(desktop, server)
    trend = server.api("county", f"/campaigns/{CAMPAIGN}/trend")
    months = [p["on"][:7] for p in trend["points"]]
    years = [
        f"{p['on'][:4]}年" for i, p in enumerate(trend["points"]) if i == 0 or p["on"][5:7] == "01"
    ]
    charts = {
        "标准化社区": ("standard_sites", "个", f"目标：{trend['standard_sites_needed']:g}", 1),
        "“五个好”社区占比": (
            "five_goods_share",
            "%",
            f"目标：{round(trend['five_goods_needed'] * 100)}%",
            0.01,
        ),
        "本年人均培训天数": (
            "training_days_per_member",
            "天",
            f"目标：{trend['training_days_needed']:g}",
            1,
        ),
    }
    expect(page.locator("figure.chart svg")).to_have_count(3)
    for title, (key, unit, goal, scale) in charts.items():
        figure = chart(page, title)
        # every month of the trend, in order, with the year under its first month and each January
        assert [t.get_attribute("data-month") for t in figure.locator(".x-tick").all()] == months
        assert texts(figure.locator(".x-tick")) == [month_label(p["on"]) for p in trend["points"]]
        assert texts(figure.locator(".year")) == years
        expect(figure.locator(".unit")).to_have_text(f"（{unit}）")
        expect(figure.locator(".goal-text")).to_have_text(goal)
        expect(figure.locator("line.goal")).to_have_count(1)
        ticks = [float(t.rstrip("%")) * scale for t in texts(figure.locator(".y-tick"))]
        values = [p[key] for p in trend["points"]]
        needed = {"standard_sites": "standard_sites_needed", "five_goods_share": "five_goods_needed",
                  "training_days_per_member": "training_days_needed"}[key]  # fmt: skip
        if key == "five_goods_share":  # a share always reads against the whole: 0–100% in quarters
            assert texts(figure.locator(".y-tick")) == ["0%", "25%", "50%", "75%", "100%"]
        else:
            assert_round_steps(ticks, max([*values, trend[needed]]))
        expect(figure.locator("line.grid")).to_have_count(len(ticks) - 1)
        # each point says its month and value; the chart as a whole is summarised for a screen reader
        expect(figure.locator("circle.dot")).to_have_count(len(months))
        last = trend["points"][-1]["on"]
        assert (
            figure.locator("circle.dot title")
            .last.text_content()
            .startswith(  # type: ignore[union-attr]
                f"{last[:4]}年{int(last[5:7])}月："
            )
        )
        label = figure.locator("svg").get_attribute("aria-label") or ""
        assert label.startswith(f"{title}，按月（{unit}）："), label
        assert label.endswith(f"；{goal}。"), label
    desktop.shot("overview-charts")


def test_a_chart_without_data_says_what_to_record_and_where(
    server: DemoServer, desktop: Watched
) -> None:
    # 河东街道's communities have no standardized site, month after month
    trend = server.api("county", f"/campaigns/{CAMPAIGN}/trend", street_id=str(HEDONG_STREET))
    assert trend["points"]
    assert all(p["standard_sites"] == 0 for p in trend["points"])
    page = ui.sign_in_by_link(desktop, server)
    page.get_by_label("切换街道").select_option(str(HEDONG_STREET))
    sites = chart(page, "标准化社区")
    expect(sites.locator(".chart-empty")).to_have_text(
        "尚无标准化社区。请在“记录”页记录社区办公用房和活动场所的面积，达到标准的社区将按月计入本图。"
    )
    expect(sites.locator("svg")).to_have_count(0)
    expect(chart(page, "本年人均培训天数").locator("svg")).to_have_count(1)  # the others still draw
    # 镇西 has had no funding allocated: its funding chart says what to record instead of an empty frame
    assert server.api("county", f"/communities/{ZHENXI}")["state"]["funding_by_year"] == {}
    page.goto(f"{server.base}/#/community/{ZHENXI}")
    funding = chart(page, "各年度划拨经费")
    expect(funding.locator(".chart-empty")).to_have_text(
        "暂无经费划拨记录。县委组织部或街道党工委在“记录”页记录向本社区划拨的社区办公经费后，图表将按年度显示。"
    )
    expect(funding.locator("svg")).to_have_count(0)


def test_the_funding_chart_shows_yuan_per_year_against_the_plans_yearly_minimum(
    server: DemoServer, desktop: Watched
) -> None:
    plan = server.api("county", f"/campaigns/{CAMPAIGN}/plan")["plan"]
    minimum = next(t for t in plan["targets"] if t["rule"] == "funding_each")["params"]["min_yuan"]
    by_year = server.api("county", f"/communities/{TIEXI}")["state"]["funding_by_year"]
    assert by_year
    page = ui.sign_in_by_link(desktop, server)
    page.goto(f"{server.base}/#/community/{TIEXI}")
    funding = chart(page, "各年度划拨经费")
    goal = f"目标：每年不少于{minimum:,}元"
    expect(funding.locator(".goal-text")).to_have_text(goal)
    expect(funding.locator(".unit")).to_have_text("（元）")
    launch_year, this_year = 2026, ui.china_today().year  # the demo launches in 2026
    years = list(range(launch_year, max(this_year, *map(int, by_year)) + 1))
    assert texts(funding.locator(".x-tick")) == [f"{y}年" for y in years]
    said = [
        f"{y}年：{float(by_year.get(str(y), 0)):,.0f} 元，{'已达到' if float(by_year.get(str(y), 0)) >= minimum else '未达到'}"
        for y in years
    ]
    assert texts(funding.locator("rect.bar title")) == said
    ticks = [float(t.replace(",", "")) for t in texts(funding.locator(".y-tick"))]
    assert_round_steps(ticks, max([minimum, *map(float, by_year.values())]))


def test_the_screen_fits_1920_by_1080_says_the_lights_in_words_and_refreshes_itself(
    server: DemoServer, wall: Watched, overdue_item: OverdueItem
) -> None:
    page = ui.sign_in_by_link(wall, server)
    page.locator("[data-screen-link]").click()
    expect(page.locator("[data-page=screen] .screen-charts figure.chart")).to_have_count(3)
    expect(page.locator("header#top")).to_be_hidden()
    expect(page.get_by_role("link", name="退出大屏")).to_be_visible()
    fit = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight, innerWidth, innerHeight]"
    )
    assert fit[0] <= fit[2], fit
    assert fit[1] <= fit[3], fit
    summary = server.api("county", f"/campaigns/{CAMPAIGN}/progress")["summary"]
    words = {"green": "已达标", "yellow": "临近期限", "red": "逾期未达标", "not_due": "未到期"}
    expect(page.locator("[data-screen-words]")).to_contain_text(
        f"共 {sum(summary.values())} 项目标："
        + "，".join(f"{w} {summary[s]} 项" for s, w in words.items())
    )
    for status, word in words.items():
        expect(page.locator(f"[data-screen-summary={status}]")).to_have_text(
            f"{word}{summary[status]}项"
        )
    # the overdue supervision item (due three days ago), with how late it is in words
    late = page.locator(f"[data-screen-item='{overdue_item.id}']")
    expect(late).to_contain_text(overdue_item.title)
    expect(late).to_contain_text("逾期 3 天")
    urgent = page.locator("[data-screen-target]")
    assert urgent.count() == min(6, sum(summary[s] for s in ("red", "yellow")))
    stamp = page.locator("[data-screen-updated]")
    china = datetime.fromtimestamp(page.evaluate("Date.now()") / 1000, UTC) + timedelta(hours=8)
    before = stamp.text_content() or ""
    assert re.fullmatch(r"更新于 \d\d:\d\d（北京时间）", before), before
    assert before in {
        f"更新于 {(china - timedelta(minutes=m)):%H:%M}（北京时间）" for m in (0, 1)
    }, before
    wall.shot("screen")
    fetched: list[str] = []
    page.on("request", lambda r: fetched.extend([r.url] if "/progress" in r.url else []))
    for minute in (1, 2):  # every minute, not once: redrawn from a fresh read each time
        page.clock.run_for(REFRESH_MS)
        expect(stamp).not_to_have_text(before)
        before = stamp.text_content() or ""
        assert len(fetched) >= minute, fetched
    expect(page.locator("[data-screen-summary=green]")).to_have_text(f"已达标{summary['green']}项")
    page.get_by_role("link", name="退出大屏").click()
    expect(page.locator("header#top")).to_be_visible()
    expect(page.locator("[data-page=overview]")).to_be_visible()


def test_the_charts_and_the_screen_fit_a_phone(server: DemoServer, phone: Watched) -> None:
    page = ui.sign_in_by_link(phone, server)
    for path in ["overview", f"community/{TIEXI}", "screen"]:
        page.goto(f"{server.base}/#/{path}")
        expect(page.locator(f"[data-page={path.split('/')[0]}] figure.chart").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        fit = overflow(page)
        assert fit["scroll"] <= fit["width"], (path, fit)
        # each chart scales inside its box, and uses the phone's width rather than a third of it
        boxes = page.evaluate(
            "[...document.querySelectorAll('figure.chart svg, .chart-empty')]"
            ".map((s) => [s.getBoundingClientRect().left, s.getBoundingClientRect().right])"
        )
        assert boxes, path
        assert all(left >= 0 and right <= PHONE["width"] for left, right in boxes), (path, boxes)
        assert min(right - left for left, right in boxes) >= PHONE["width"] * 0.75, (path, boxes)


LABEL_BOXES = """(svg) => [...svg.querySelectorAll('text')].map((t) => {
  const r = t.getBoundingClientRect();
  return [t.textContent, r.left, r.top, r.right, r.bottom];
})"""


def overlapping(boxes: list[list[Any]]) -> list[tuple[str, str]]:
    """The pairs of labels whose boxes overprint each other (by more than half a pixel)."""
    return [
        (a[0], b[0])
        for a, b in itertools.combinations(boxes, 2)
        if min(a[3], b[3]) - max(a[1], b[1]) > 0.5 and min(a[4], b[4]) - max(a[2], b[2]) > 0.5
    ]


def test_the_funding_chart_s_labels_neither_overlap_nor_shrink_on_a_phone(
    server: DemoServer, phone: Watched
) -> None:
    """At 390 px the chart scales down: the goal's words, the bars' values and verdicts, the
    years and the axis must each keep their own place and a readable size."""
    page = ui.sign_in_by_link(phone, server)
    page.goto(f"{server.base}/#/community/{TIEXI}")
    svg = chart(page, "各年度划拨经费").locator("svg")
    expect(svg).to_be_visible()
    boxes = svg.evaluate(LABEL_BOXES)
    assert len(boxes) > 8, boxes
    assert overlapping(boxes) == []
    assert min(bottom - top for _, _, top, _, bottom in boxes) >= 9, boxes
    right = svg.evaluate("(s) => s.getBoundingClientRect().right")
    assert all(r <= right + 0.5 for _, _, _, r, _ in boxes), boxes  # none cut off at the edge


@pytest.mark.parametrize("role", ["street", "community"])
def test_the_screen_is_offered_to_the_county_and_a_street_but_not_to_a_community(
    server: DemoServer, desktop: Watched, role: str
) -> None:
    page = desktop.page
    sign_in(page, server, role)
    expect(page.locator("[data-nav=overview]")).to_be_visible()
    expect(page.locator("[data-nav=screen]")).to_have_count(
        0
    )  # linked from 总览, never in the navigation
    if role == "street":
        page.locator("[data-screen-link]").click()
        expect(page.locator("[data-page=screen] h1")).to_have_text(
            "示范县三三创建工程（城关街道党工委）"
        )
    else:
        expect(page.locator("[data-screen-link]")).to_have_count(0)
        page.goto(f"{server.base}/#/screen")
        expect(page.locator("[data-page=screen] .notice")).to_contain_text("无权查看“大屏”页面")


# Draws charts.js's line chart of N months from March 2026 into a .charts grid on the page, and
# reads back its labels and where they land on the screen.
DRAW_MONTHS = """async (n) => {
  const { lineChart } = await import('/static/js/charts.js');
  const points = Array.from({ length: n }, (_, i) => {
    const d = new Date(Date.UTC(2026, 2 + i + 1, 0));
    return { on: d.toISOString().slice(0, 10), y: i / 10 };
  });
  const grid = document.createElement('div');
  grid.className = 'charts';
  grid.append(lineChart({ title: '试验', unit: '天', points, goal: 3 }));
  document.querySelector('main').replaceChildren(grid);
  const ticks = [...grid.querySelectorAll('.x-tick')];
  return {
    wide: grid.querySelector('figure').classList.contains('chart-wide'),
    months: ticks.map((t) => t.getAttribute('data-month')),
    labels: ticks.map((t) => t.textContent),
    years: [...grid.querySelectorAll('.year')].map((t) => t.textContent),
    boxes: ticks.map((t) => { const r = t.getBoundingClientRect(); return [r.left, r.right, r.height]; }),
    page: document.documentElement.scrollWidth,
    scrolls: [...grid.querySelectorAll('.chart-scroll')].some((s) => s.scrollWidth > s.clientWidth),
  };
}"""


@pytest.mark.parametrize("months", [9, 36, 60])
def test_a_long_campaign_still_labels_every_month_readably_at_desktop_width(
    server: DemoServer, desktop: Watched, months: int
) -> None:
    page = ui.sign_in_by_link(desktop, server)
    drawn = page.evaluate(DRAW_MONTHS, months)
    expected = [f"{2026 + (2 + i) // 12}-{(2 + i) % 12 + 1:02d}" for i in range(months)]
    assert drawn["months"] == expected
    crowded = months > 12
    assert drawn["wide"] is crowded
    assert drawn["labels"] == [str(int(m[5:])) if crowded else f"{int(m[5:])}月" for m in expected]
    assert drawn["years"] == [f"{y}年" for y in sorted({int(m[:4]) for m in expected})]
    # every label is legible and none overprints the next
    assert min(height for *_, height in drawn["boxes"]) >= 9, drawn["boxes"]
    for (_, right, _), (left, _, _) in itertools.pairwise(drawn["boxes"]):
        assert right <= left, drawn["boxes"]
    assert drawn["page"] <= DESKTOP["width"]
    # at desktop width the whole chart is in view: the row is wide enough
    assert not drawn["scrolls"]


def test_the_axis_steps_are_round_numbers(server: DemoServer, desktop: Watched) -> None:
    page = ui.sign_in_by_link(desktop, server)
    steps = page.evaluate(
        """async () => {
          const { niceTicks } = await import('/static/js/charts.js');
          return [niceTicks(6), niceTicks(10000), niceTicks(12000), niceTicks(2, { integer: true }),
                  niceTicks(0.7), niceTicks(0), niceTicks(0, { integer: true }), niceTicks(37)];
        }"""
    )
    assert steps == [
        [0, 2, 4, 6], [0, 2500, 5000, 7500, 10000], [0, 5000, 10000, 15000], [0, 1, 2],
        [0, 0.2, 0.4, 0.6, 0.8], [0, 0.25, 0.5, 0.75, 1], [0, 1], [0, 10, 20, 30, 40],
    ]  # fmt: skip
