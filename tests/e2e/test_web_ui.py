"""The supervisors' web UI in a real browser (Debian's Chromium, headless) against
`sansan serve --demo`: every page clicked through, failing on any console error, page
error or failed request. Screenshots go to $SANSAN_SCREENSHOTS (scripts/screenshots.py
sets it to docs/screenshots) or a temporary directory."""

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from sansan.bootstrap import build_application
from sansan.clock import FixedClock
from sansan.commands import supervision as sc
from sansan.demo import DEMO_ACTOR, demo_id
from sansan.settings import Settings
from tests.clockshift.sansan_test_clock import NOW_VARIABLE
from tests.conftest import store_for_module
from tests.e2e.servers import free_port, wait_until_up

pytestmark = pytest.mark.browser
# A loaded machine renders slowly: Playwright's 5 s default for expect() is too tight.
expect.set_options(timeout=30_000)
# The whole walk-through runs once per store, the server a real `sansan serve --demo` process.
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = re.compile(r"^\s+(\w+)\s+\S+\s+(ssn_\S+)$", re.MULTILINE)
LINK = re.compile(r"demo sign-in: (\S+)")
CAMPAIGN = demo_id("campaign", "示范县")
OVERDUE_TITLE = "天北社区补齐四项工作制度"


@dataclass
class DemoServer:
    base: str
    link: str
    tokens: dict[str, str]
    items_made: int = 0

    def api(self, role: str, path: str, **params: Any) -> Any:
        response = httpx.get(
            f"{self.base}/api/v1{path}", params=params,
            headers={"Authorization": f"Bearer {self.tokens[role]}"}, timeout=10,
        )  # fmt: skip
        response.raise_for_status()
        return response.json()


@dataclass
class Watched:
    """A page whose console errors, page errors and failed requests are all collected."""

    page: Page
    shots: Path
    problems: list[str] = field(default_factory=list)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"))


def open_watched(
    browser: Browser, shots: Path, viewport: dict[str, int], timeout_ms: int = 20_000
) -> Watched:
    """A new browser context and page, on the suite's clock, whose problems are collected."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)  # type: ignore[arg-type]
    if os.environ.get(NOW_VARIABLE):
        # The page reads the browser's clock (a form's default day): give it the suite's shifted one.
        context.clock.install(time=datetime.now(UTC))
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    w = Watched(page, shots)
    page.on("console", lambda m: m.type == "error" and w.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: w.problems.append(f"page error: {e}"))
    page.on("response", lambda r: r.status >= 400 and w.problems.append(f"{r.status}: {r.url}"))
    return w


def china_today() -> datetime:
    return datetime.now(UTC) + timedelta(hours=8)


def wait_for_read_models(base: str, timeout: float = 60) -> None:
    """The server answers before its projections have read the demo's events; the pages
    are about the demo, so they are opened once the read models have caught up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = httpx.get(f"{base}/readyz", timeout=5)
        if ready.status_code == 200 and ready.json()["projections"]["behind_events"] == 0:
            return
        time.sleep(0.2)
    raise TimeoutError("the read models never caught up with the demo")


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with store_for_module(request.param, tmp_path_factory, "web") as url:
        yield url


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with serve_demo(database_url, tmp_path_factory.mktemp("web")) as served:
        yield served


@contextmanager
def serve_demo(
    database_url: str, folder: Path, env: dict[str, str] | None = None
) -> Iterator[DemoServer]:
    """`sansan serve --demo` on a free port, its read models caught up; ``env`` added to ours."""
    port = free_port()
    env = {
        **os.environ,
        "SANSAN_DATABASE_URL": database_url,
        "SANSAN_SCHEDULER_INTERVAL_S": "0.5",  # the overdue item's alert fires at once
        **(env or {}),
    }
    log = folder / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["sansan", "serve", "--demo", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, process, timeout=90)
            wait_for_read_models(base)
            text = log.read_text()
            link = LINK.search(text)
            assert link, text
            yield DemoServer(base, link.group(1), dict(TOKEN.findall(text)))
        finally:
            process.terminate()
            process.wait(timeout=30)


@dataclass
class OverdueItem:
    id: str
    title: str


@pytest.fixture
def overdue_item(server: DemoServer, database_url: str) -> OverdueItem:
    """A supervision item of this test's own, already past its deadline, and the scheduler's
    red light on it; the server is shared, so the title is new on it each time. An item is
    never assigned already overdue (review 3 finding 9): this one is recorded into the
    server's store by a process whose clock stands on its assignment day, ten days ago."""
    server.items_made += 1
    today, n = china_today().date(), server.items_made
    title = OVERDUE_TITLE if n == 1 else f"{OVERDUE_TITLE}(第{n}项)"
    assigned_on = today - timedelta(days=10)
    settings = Settings(database_url=database_url, run_scheduler=False)
    back_then = FixedClock(datetime.combine(assigned_on, datetime.min.time(), UTC))
    app = build_application(settings, back_then)
    try:
        recorded = app.execute(sc.AssignSupervisionItem(
            occurred_on=assigned_on, title=title, assignee_org_id=demo_id("org", "天北社区党总支"),
            due_on=today - timedelta(days=3), campaign_id=CAMPAIGN,
        ), actor=DEMO_ACTOR)  # fmt: skip
    finally:
        app.close()
    item = str(recorded.aggregate_id)
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while datetime.now(UTC) < deadline:  # the scheduler is another process; wait for its tick
        alerts = server.api(  # ``after`` wakes the server's projection for this other writer
            "county", "/notifications", unacknowledged=True, kind="supervision_overdue",
            after=recorded.position,
        )  # fmt: skip
        if any(a["unit_id"] == item for a in alerts["items"]):
            return OverdueItem(str(item), title)
        time.sleep(0.2)
    raise AssertionError("the overdue alert was never fired")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("SANSAN_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def watched(browser: Browser, shots: Path) -> Iterator[Watched]:
    w = open_watched(browser, shots, {"width": 1360, "height": 860}, timeout_ms=15_000)
    w.page.on("requestfailed", lambda r: w.problems.append(f"failed: {r.method} {r.url} {r.failure}"))
    yield w
    # Closing the context aborts whatever the page still has in flight (the icon after a
    # reload): the page's problems are the ones it had while the test used it.
    problems = list(w.problems)
    w.page.context.close()
    assert problems == [], problems


def sign_in_by_link(w: Watched, server: DemoServer) -> Page:
    w.page.goto(server.link)
    expect(w.page.locator("[data-page=overview] .target").first).to_be_visible()
    return w.page


def rows(page: Page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def test_the_county_signs_in_by_the_demo_link_and_sees_the_campaign(
    server: DemoServer, watched: Watched
) -> None:
    page = sign_in_by_link(watched, server)
    assert "#token=" not in page.url  # the token leaves the address bar at once
    progress = server.api("county", f"/campaigns/{CAMPAIGN}/progress")
    expect(page.locator("h1")).to_have_text("示范县三三创建工程")
    expect(page.locator(".target")).to_have_count(len(progress["targets"]))
    for status, count in progress["summary"].items():
        expect(page.locator(f"[data-summary={status}]")).to_have_text(str(count))
    # a yearly target says which year each light is for, in words (本年度 / 已结束)
    expect(page.locator("[data-target=funding] .periods li").first).to_contain_text("年（")
    sites = page.locator("[data-target=standard-sites-first]")
    expect(sites).to_contain_text("2个社区")
    expect(sites).to_contain_text("标准 2个社区")
    # people counted as people, not as 单位
    training = next(t for t in progress["targets"] if t["id"] == "member-training")
    assert training["failing_count_zh"] == f"{len(training['failing'])}人"
    expect(page.locator("[data-target=member-training] summary")).to_have_text(
        f"未达标 {training['failing_count_zh']}"
    )
    # the first page of the failing list, with the total; nothing more to fetch here
    card = page.locator("[data-target=member-training]")
    card.locator("summary").click()
    shown, total = min(training["failing_total"], 50), training["failing_total"]
    assert training["failing_zh"] == "人"
    expect(card.locator("[data-failing-shown]")).to_have_text(
        f"共 {total}人" if shown == total else f"共 {total}人，显示前 {shown}人"
    )
    expect(card.locator("details li")).to_have_count(shown)
    expect(card.locator("[data-failing-more]")).to_be_hidden()
    expect(page.locator("figure.chart")).to_have_count(3)
    expect(page.locator("figure.chart polyline")).to_have_count(3)
    expect(page.locator("[data-role=county]")).to_contain_text("县委组织部")
    watched.shot("overview")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")


def test_opening_the_bare_address_of_a_demo_server_shows_the_demo_campaign(
    server: DemoServer, watched: Watched
) -> None:
    page = watched.page
    page.goto(server.base + "/")
    expect(page.locator("h1")).to_have_text("示范县三三创建工程")
    expect(page.locator("[data-role=county]")).to_contain_text("县委组织部")
    page.get_by_role("button", name="退出").click()  # and signing out stays signed out
    expect(page.get_by_label("访问令牌")).to_be_visible()
    page.wait_for_load_state("networkidle")  # a reload would abort the icon's request in flight
    page.reload()
    expect(page.get_by_label("访问令牌")).to_be_visible()
    page.wait_for_load_state("networkidle")  # and the icon fetched again, not cut off


def test_the_county_filters_the_matrix_clicks_through_and_switches_street_and_community(
    server: DemoServer, watched: Watched
) -> None:
    page = sign_in_by_link(watched, server)
    page.locator("[data-nav=matrix]").click()
    expect(page.locator("table.matrix tbody tr")).to_have_count(7)
    expect(page.locator("table.matrix td.cell").first).to_be_visible()
    # 铁西's own model target does not apply to the others: their cards leave it out
    expect(page.locator("table.matrix td.status-not_applicable").first).to_have_text("不适用")
    watched.shot("matrix")
    page.locator("select[name=model_type]").select_option("culture")
    expect(page.locator("table.matrix tbody tr")).to_have_count(2)
    assert sorted(rows(page, "table.matrix tbody th")) == ["河东社区", "镇郊社区"]

    # the row's heading (each of its cells is a link too, named "河东社区 <target>:…")
    page.get_by_role("link", name="河东社区", exact=True).click()
    expect(page.locator("h1")).to_have_text("河东社区")
    tree = page.locator("ul.tree")
    expect(tree).to_contain_text("河东社区党总支")
    expect(tree).to_contain_text("河东第2小区1号楼党小组")
    expect(page.locator("[data-event=CommunityRegistered]")).to_have_count(1)
    expect(page.locator("[data-event=CommunityRegistered] .event")).to_have_text("社区登记")
    expect(page.locator("[data-event=TeamMemberJoined]")).to_have_count(3)  # the branch's history too
    expect(page.locator("[data-members=total]")).to_have_text("6")
    expect(page.locator("ol.timeline")).to_contain_text("记录人：县委组织部（演示）")
    watched.shot("community")
    page.get_by_role("link", name="审计记录（含党组织与党员）").click()
    hedong = str(demo_id("community", "河东"))
    audit_rows = page.locator("table.audit tbody tr")
    expect(audit_rows.first).to_be_visible()
    shown = [int(p) for p in audit_rows.evaluate_all("rs => rs.map(r => r.dataset.position)")]
    # Reading the page's audit list records a read of its members' personal data, itself an
    # event of the unit; the log asked afterwards holds it too, newer than what the page showed.
    inside = server.api("county", "/audit", unit_id=hedong, limit=100)["items"]
    assert shown == [e["position"] for e in inside if e["position"] <= max(shown)][: len(shown)]
    assert shown == sorted(shown, reverse=True)  # newest first
    expect(page.locator("input[name=unit_id]")).to_have_value(hedong)
    expect(page.locator("input[name=unit_text]")).to_have_value("河东社区")
    page.go_back()
    expect(page.locator("h1")).to_have_text("河东社区")

    page.locator("select[name=street]").select_option(label="天河街道党工委")
    expect(page.locator("select[name=community] option")).to_have_count(3)  # a prompt, 天北, 天南
    page.locator("[data-nav=overview]").click()
    expect(page.locator("[data-target=network]")).to_contain_text("2/2")  # the street's two
    page.locator("[data-nav=matrix]").click()
    expect(page.locator("table.matrix tbody tr")).to_have_count(2)
    assert sorted(rows(page, "table.matrix tbody th")) == ["天北社区", "天南社区"]
    page.locator("select[name=community]").select_option(label="天南社区")
    expect(page.locator("h1")).to_have_text("天南社区")


def test_the_county_acknowledges_an_alert_and_acts_on_a_supervision_item(
    server: DemoServer, overdue_item: OverdueItem, watched: Watched
) -> None:
    page = sign_in_by_link(watched, server)
    page.locator("[data-nav=inbox]").click()
    alert = page.locator(".notifications li", has_text=overdue_item.title).filter(
        has_text="督办红灯"
    )
    expect(alert).to_have_count(1)
    row = page.locator(f"tr[data-item='{overdue_item.id}']")
    expect(row.locator(".light-red")).to_have_count(1)
    expect(row.locator("td.status")).to_have_text("已交办")
    # due three China days ago: the list and the case file count the same (finding 22)
    expect(row.locator("[data-standing]")).to_have_text("红灯：已逾期3天")
    watched.shot("inbox")

    alert.get_by_role("button", name="签收").click()
    expect(alert).to_have_count(0)  # only unacknowledged ones are listed
    acknowledged = server.api("county", "/notifications", kind="supervision_overdue")["items"]
    mine = next(a for a in acknowledged if a["unit_id"] == overdue_item.id)
    assert mine["acknowledged_by"]

    row.get_by_role("link", name=overdue_item.title).click()  # the item's case file
    standing = page.locator("dd[data-light]")
    expect(standing).to_have_attribute("data-light", "red")
    expect(standing.locator("[data-standing]")).to_have_text("红灯：已逾期3天")
    urge = page.get_by_role("form", name="催办")
    urge.locator("[name=message]").fill("请于本周内完成整改")
    urge.get_by_role("button", name="催办").click()
    expect(page.locator("ol.course li").last).to_contain_text("请于本周内完成整改")
    # 签收 and the other handling steps are the assignee's, not offered to the county
    expect(page.get_by_role("form", name="签收")).to_have_count(0)
    expect(page.get_by_role("form", name="开始办理")).to_have_count(0)
    history = server.api("county", f"/supervision-items/{overdue_item.id}/history")
    assert [e["type"] for e in history][-1] == "SupervisionItemUrged"
    assert history[-1]["actor"] == "county:县委组织部（演示）"
    page.get_by_role("link", name="返回待办").click()
    expect(row.locator("td.urges")).to_have_text("1")
    expect(row.locator("td.status")).to_have_text("已交办")

    form = page.get_by_role("form", name="交办督办事项")
    new_title = f"站前社区建立四项工作制度(第{server.items_made}批)"
    form.locator("[name=title]").fill(new_title)
    form.locator("[name=assignee_org_id]").select_option(label="站前社区党总支")
    form.locator("[name=due_on]").fill(str(china_today().date() + timedelta(days=30)))
    form.get_by_role("button", name="交办").click()
    assigned = page.locator("table.items tr", has_text=new_title)
    expect(assigned.locator("td.status")).to_have_text("已交办")
    expect(assigned).to_contain_text("站前社区党总支")


def test_the_county_searches_the_audit_log_and_exports_it(
    server: DemoServer, watched: Watched, tmp_path: Path
) -> None:
    page = sign_in_by_link(watched, server)
    page.locator("[data-nav=audit]").click()
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    verify = page.locator("[data-verify]")
    expect(verify).to_contain_text("哈希链校验通过")

    page.locator("select[name=aggregate_type]").select_option("Community")
    page.locator("select[name=actor]").select_option(DEMO_ACTOR)
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile("aggregate_type=Community"))
    # the page's fifty, newest first, as the API gives them
    expected = server.api(
        "county", "/audit", aggregate_type="Community",
        actor=DEMO_ACTOR, limit=50,
    )["items"]  # fmt: skip
    expect(page.locator("table.audit tbody tr")).to_have_count(len(expected))
    positions = page.locator("table.audit tbody tr").evaluate_all("rs => rs.map(r => Number(r.dataset.position))")
    assert positions == [e["position"] for e in expected]
    assert set(rows(page, "table.audit tbody td:nth-child(5)")) == {"社区"}
    assert "社区登记" in rows(page, "table.audit tbody td:nth-child(6)")  # event types in Chinese
    watched.shot("audit")

    with page.expect_download() as download:
        page.locator("[data-export=CSV]").click()
    saved = tmp_path / "audit.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("日志位置,单位类型")
    assert len(lines) >= len(expected) + 1
    with page.expect_download() as download:
        page.locator("[data-export=XLSX]").click()
    assert download.value.suggested_filename == "审计日志.xlsx"
    with page.expect_download() as download:
        page.locator("[data-export=JSONL]").click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert len(lines) > len(expected)  # every entry of the log, and the chain proof


def test_a_street_token_signs_in_by_the_form_and_sees_only_its_street(
    server: DemoServer, overdue_item: OverdueItem, watched: Watched
) -> None:
    page = watched.page
    page.goto(server.base + "/#/signin")
    page.get_by_label("访问令牌").fill(server.tokens["street"])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-page=overview] .target").first).to_be_visible()
    expect(page.locator("[data-scope=fixed]")).to_have_text("范围：城关街道党工委")
    expect(page.locator("select[name=street]")).to_have_count(0)
    expect(page.locator("[data-nav=audit]")).to_have_count(0)
    expect(page.locator("[data-target=network]")).to_contain_text("3/3")
    watched.shot("street-overview")

    page.locator("[data-nav=matrix]").click()
    expect(page.locator("table.matrix tbody tr")).to_have_count(3)
    assert sorted(rows(page, "table.matrix tbody th")) == sorted(["铁西社区", "站前社区", "镇西社区"])
    page.locator("[data-nav=inbox]").click()
    expect(page.locator("h1")).to_have_text("待办与督办")
    # the demo's item is 河东街道's and the overdue one 天河街道's: neither is 城关's business
    theirs = server.api("street", "/supervision-items")["items"]
    assert overdue_item.id not in {i["id"] for i in theirs}
    expect(page.locator("tr[data-item]")).to_have_count(len(theirs))
    expect(page.locator(f"tr[data-item='{overdue_item.id}']")).to_have_count(0)
    expect(page.locator(".notifications li", has_text=overdue_item.title)).to_have_count(0)


EXPIRED = "访问令牌已于 2026-11-29 22:18（北京时间）失效，请向管理员申请新令牌"


def test_a_refused_token_is_said_why_on_the_sign_in_and_a_link_s_token_leaves_the_address_bar(
    server: DemoServer, watched: Watched
) -> None:
    """An expired token reads as the API says it (when it expired), not "invalid"; a link with
    a revoked, expired or mangled token lands on the sign-in saying so, its token gone."""
    page = watched.page

    def open_link(fragment: str) -> None:  # a fresh load, as opening a link in a new tab
        page.wait_for_load_state("networkidle")  # nothing of the last page cut off (its icon)
        page.goto("about:blank")
        page.goto(f"{server.base}/#{fragment}")

    open_link("token=ssn_revoked-or-never-issued")
    expect(page.locator("[data-refusal]")).to_have_text("令牌无效或已吊销，请核对后重试。")
    assert "token=" not in page.url
    open_link("token=ssn_bad token!")
    expect(page.locator("[data-refusal]")).to_contain_text("链接中的令牌不完整或有误")
    assert "token=" not in page.url

    # the API's own answer to an expired token, to every read the sign-in makes at once (waiting
    # for a token to expire is not a test's job)
    expired = {"status": 401, "code": "token_expired", "message_zh": EXPIRED, "title": "Unauthorized"}
    page.route("**/api/v1/**", lambda route: route.fulfill(
        status=401, content_type="application/problem+json", body=json.dumps(expired)))
    open_link("token=ssn_expired")
    expect(page.locator("[data-refusal]")).to_have_text(EXPIRED)
    assert "token=" not in page.url
    page.get_by_label("访问令牌").fill("ssn_expired")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-refusal]")).to_have_text(EXPIRED)
    # the refusals above are this test's own: 401s and the browser's console line for each,
    # set aside once every one is in (the merge's CI saw the real server's 401 land after)
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
    watched.problems[:] = [p for p in watched.problems if "401" not in p]


def test_a_community_token_sees_its_own_community_and_records_no_supervision(
    server: DemoServer, watched: Watched
) -> None:
    page = watched.page
    page.goto(server.base + "/#/signin")
    page.get_by_label("访问令牌").fill(server.tokens["community"])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-scope=fixed]")).to_have_text("范围：铁西社区")
    expect(page.locator("[data-target=network]")).to_contain_text("1/1")
    # the county's two standard sites are the county's, in their own section, not 铁西's light
    heading = page.get_by_role("heading", name="全县目标（按全县计算，非本单位自己的目标）")
    county_wide = page.locator("section", has=heading)
    expect(county_wide.locator("[data-target=standard-sites-first]")).to_contain_text("2个社区")
    expect(page.locator(".targets:not(.county-wide) [data-target=standard-sites-first]")).to_have_count(0)
    # and its street's targets are its street's, in a section of their own
    street = page.locator("section", has=page.get_by_role("heading", name="所在街道目标（按街道计算，非本社区自己的目标）"))
    expect(street.locator("[data-target=street-five-goods]")).to_have_count(1)
    expect(page.locator(".targets:not(.street-wide) [data-target=street-five-goods]")).to_have_count(0)
    # its charts draw what applies to it: 铁西 standardized (one), not the county's two (finding 41)
    sites = page.locator("figure.chart", has=page.locator("figcaption strong", has_text="标准化社区"))
    expect(sites.locator(".goal-text")).to_have_text("目标：1")
    expect(sites.locator("[data-chart-note]")).to_have_text(
        "目标线：本社区达到标准化（§四(二)3）；全县标准化社区个数的目标按全县计算"
    )
    five = page.locator("figure.chart", has=page.locator("figcaption strong", has_text="五个好"))
    expect(five.locator("line.goal")).to_have_count(0)
    expect(five.locator("[data-chart-note]")).to_have_text("“五个好”社区占比的目标按全县计算，本图不画目标线")
    page.locator("[data-nav=matrix]").click()
    expect(page.locator("table.matrix tbody th")).to_have_text(["铁西社区"])
    page.locator("[data-nav=inbox]").click()
    expect(page.locator("h1")).to_have_text("待办与督办")
    expect(page.get_by_role("form", name="交办督办事项")).to_have_count(0)
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


@pytest.mark.parametrize(
    ("path", "rendered"), [("/docs", ".swagger-ui .info .title"), ("/redoc", ".api-info h1")]
)
def test_the_api_docs_render_from_this_server_alone_under_their_content_security_policy(
    server: DemoServer, watched: Watched, path: str, rendered: str
) -> None:
    requested: list[str] = []
    watched.page.on("request", lambda r: requested.append(r.url))
    watched.page.goto(server.base + path)
    # ReDoc lays out the whole ~200-operation spec before it shows anything
    expect(watched.page.locator(rendered)).to_contain_text("sansan", timeout=60_000)
    watched.page.wait_for_load_state("networkidle")
    assert requested
    elsewhere = [u for u in requested if not u.startswith((server.base + "/", "data:", "blob:"))]
    assert elsewhere == []


def test_a_communitys_scorecard_counts_its_failing_people_and_pages_on_through_them(
    server: DemoServer, watched: Watched
) -> None:
    # It listed the first 5 and never said there were more.
    page = sign_in_by_link(watched, server)
    tiexi = demo_id("community", "铁西")
    everyone = server.api(
        "county", f"/communities/{tiexi}/scorecard", campaign_id=str(CAMPAIGN), failing_limit=1000
    )
    cards = next(t for t in everyone["targets"] if t["id"] == "cards")
    total = cards["failing_total"]
    assert 5 < total <= 55, total  # the demo's: more than shown at first, fewer than a next page
    page.goto(f"{server.base}/#/community/{tiexi}")
    row = page.locator("table.scorecard tr[data-target=cards]")
    expect(row.locator("summary")).to_have_text(f"未达标 {total}人")
    expect(row.locator("[data-failing-shown]")).to_have_text(f"共 {total}人，显示前 5人")
    expect(row.locator("li")).to_have_count(5)
    row.get_by_role("button", name="显示更多").click()
    expect(row.locator("li")).to_have_count(total)
    expect(row.locator("[data-failing-shown]")).to_have_text(f"共 {total}人")
    expect(row.locator("[data-failing-more]")).to_be_hidden()
    listed = row.locator("li").all_inner_texts()
    assert [text.split("：")[0] for text in listed] == [f["unit_name"] for f in cards["failing"]]
    # a list that fits says only how many
    short = next(t for t in everyone["targets"] if 0 < t["failing_total"] <= 5)
    expect(page.locator(f"table.scorecard tr[data-target={short['id']}] [data-failing-shown]")).to_have_text(
        f"共 {short['failing_total']}{short['failing_zh']}"
    )


def test_no_page_shows_a_bare_null_or_undefined(server: DemoServer, watched: Watched) -> None:
    # The county's 总览 ended in "nullnull": two absent sections appended as text.
    page = sign_in_by_link(watched, server)
    tiexi = demo_id("community", "铁西")
    for where in ("overview", "matrix", f"community/{tiexi}", "inbox", "record", "audit", "import", "screen"):
        page.goto(f"{server.base}/#/{where}")
        content = page.locator(f".page[data-page='{where.split('/')[0]}']")
        expect(content).to_be_visible()
        page.wait_for_load_state("networkidle")
        text = content.inner_text()
        assert text.strip(), where
        assert not re.search(r"null|undefined|NaN|\[object", text), (where, text[-200:])


def test_the_county_picks_a_past_evaluation_day_for_the_board_the_matrix_and_a_community(
    server: DemoServer, watched: Watched
) -> None:
    page = sign_in_by_link(watched, server)
    now = server.api("county", f"/campaigns/{CAMPAIGN}/progress")
    day = (date.fromisoformat(now["launch_date"]) + timedelta(days=60)).isoformat()
    assert day < now["as_of"]
    picker = page.locator("input[name=as_of]")
    expect(picker).to_have_value(now["as_of"])
    expect(picker).to_have_attribute("max", now["as_of"])  # not after today
    with page.expect_request(lambda r: "/trend" in r.url and f"as_of={day}" in r.url):
        picker.fill(day)
    then = server.api("county", f"/campaigns/{CAMPAIGN}/progress", as_of=day)
    assert then["summary"] != now["summary"]  # the day shows a board of its own
    expect(page.locator(".page-head .meta")).to_contain_text(f"评估日期 {day}")
    for status, count in then["summary"].items():
        expect(page.locator(f"[data-summary={status}]")).to_have_text(str(count))
    exported = page.expect_request(lambda r: "format=xlsx" in r.url and f"as_of={day}" in r.url)
    with exported, page.expect_download():
        page.get_by_role("button", name="导出 XLSX").click()

    page.locator("[data-nav=matrix]").click()
    expect(page.locator("table.matrix tbody tr")).to_have_count(7)
    page.locator("input[name=as_of]").fill(day)
    expect(page.locator("input[name=as_of]")).to_have_value(day)
    hedong = str(demo_id("community", "河东"))
    card = server.api("county", f"/communities/{hedong}/scorecard", as_of=day)
    row = page.locator(f"tr[data-community='{hedong}']")
    for target in card["targets"]:
        expect(row.locator(f"td[data-target='{target['id']}']")).to_have_class(
            re.compile(f"status-{target['status']}")
        )
    row.get_by_role("link", name="河东社区", exact=True).click()
    expect(page.locator("h1")).to_have_text("河东社区")
    expect(page.locator("h2", has_text="记分卡")).to_have_text(f"记分卡（评估日期 {day}）")
    expect(page.locator("input[name=as_of]")).to_have_value(day)
    for target in card["targets"]:
        expect(page.locator(f"table.scorecard tr[data-target='{target['id']}'] .status-word")).to_have_text(
            target["status_zh"]
        )


def test_the_screen_takes_a_past_evaluation_day_within_the_same_bounds(
    server: DemoServer, watched: Watched
) -> None:
    # 大屏 had no 评估日期 (first review's open list): a meeting that looks back picks a day.
    page = sign_in_by_link(watched, server)
    now = server.api("county", f"/campaigns/{CAMPAIGN}/progress")
    day = (date.fromisoformat(now["launch_date"]) + timedelta(days=60)).isoformat()
    page.goto(f"{server.base}/#/screen")
    picker = page.locator(".screen-head input[name=as_of]")
    expect(picker).to_have_value(now["as_of"])
    expect(picker).to_have_attribute("min", now["launch_date"])
    expect(picker).to_have_attribute("max", now["as_of"])
    with page.expect_request(lambda r: "/progress" in r.url and f"as_of={day}" in r.url):
        picker.fill(day)
    then = server.api("county", f"/campaigns/{CAMPAIGN}/progress", as_of=day)
    for status in ("green", "yellow", "red"):
        expect(page.locator(f"[data-screen-summary={status}] strong")).to_have_text(
            str(then["summary"].get(status, 0))
        )
    expect(page.locator(".screen-time")).to_contain_text(f"评估日期 {date.fromisoformat(day):%Y年%-m月%-d日}")
    expect(page.locator(".screen-list h2", has_text="逾期督办事项")).to_have_text("逾期督办事项（截至今天）")
    assert not watched.problems, watched.problems


def test_a_community_registered_lately_is_offered_no_day_before_it(
    server: DemoServer, watched: Watched
) -> None:
    # Review 2, finding 19: the API refuses a scorecard for a day before the community was
    # registered (422); its page does not ask for one, and the matrix leaves it out that day.
    # The shared demo server's communities all date from the launch, and others count them:
    # 河东's registration day is moved in what the page reads, not in the store.
    hedong = str(demo_id("community", "河东"))
    registered = (china_today().date() - timedelta(days=5)).isoformat()
    before = (china_today().date() - timedelta(days=6)).isoformat()

    def later(route: Any) -> None:
        answer = route.fetch()
        body = answer.json()
        rows = body["items"] if "items" in body else [body["state"]]
        for row in rows:
            if row.get("id", hedong) == hedong:
                row["began_on"] = registered
        route.fulfill(response=answer, json=body)

    page = sign_in_by_link(watched, server)
    page.route(re.compile(r"/api/v1/communities(\?.*)?$"), later)
    page.route(re.compile(f"/api/v1/communities/{hedong}$"), later)
    asked: list[str] = []
    page.on("request", lambda r: f"/communities/{hedong}/scorecard" in r.url and asked.append(r.url))
    page.goto(f"{server.base}/#/community/{hedong}?as_of={before}")
    picker = page.locator("input[name=as_of]")
    expect(picker).to_have_attribute("min", registered)
    expect(picker).to_have_value(china_today().date().isoformat())
    assert asked
    assert not [u for u in asked if "as_of=" in u]
    page.goto(f"{server.base}/#/matrix?as_of={before}")
    expect(page.locator("[data-registered-later]")).to_have_attribute("data-registered-later", "1")
    expect(page.locator("table.matrix tbody tr")).to_have_count(6)
    expect(page.locator(f"tr[data-community='{hedong}']")).to_have_count(0)
    assert not watched.problems, watched.problems


def test_an_address_with_a_day_before_the_launch_or_to_come_shows_today_s_board(
    server: DemoServer, watched: Watched
) -> None:
    # Finding 25: the service refuses such a day (422 on as_of); the page never asks for one.
    page = sign_in_by_link(watched, server)
    now = server.api("county", f"/campaigns/{CAMPAIGN}/progress")
    launch = date.fromisoformat(now["launch_date"])
    tomorrow = date.fromisoformat(now["as_of"]) + timedelta(days=1)
    asked: list[str] = []
    page.on("request", lambda r: "/api/v1/" in r.url and asked.append(r.url))
    for where, day in (("overview", launch - timedelta(days=1)), ("matrix", tomorrow)):
        page.wait_for_load_state("networkidle")  # nothing of the last page left to abort
        with page.expect_request(lambda r: "/scorecard" in r.url or "/trend" in r.url):
            page.goto(f"{server.base}/#/{where}?as_of={day}")
        expect(page.locator(f"[data-page={where}]")).to_be_visible()
        picker = page.locator("input[name=as_of]")
        expect(picker).to_have_value(now["as_of"])
        expect(picker).to_have_attribute("min", now["launch_date"])
        expect(picker).to_have_attribute("max", now["as_of"])
    page.wait_for_load_state("networkidle")
    assert asked
    assert not [u for u in asked if "as_of=" in u]


def _post(server: DemoServer, role: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{server.base}/api/v1{path}", json=body,
        headers={"Authorization": f"Bearer {server.tokens[role]}"}, timeout=10,
    )  # fmt: skip
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_street_sees_no_review_buttons_on_what_the_county_assigned_and_is_told_who_reviews(
    server: DemoServer, watched: Watched
) -> None:
    # The API answers a street's 审核/退回/办结/延期审批 on a county-assigned item 403
    # review_by_assigner: the page offers them only to whom the API lets act.
    server.items_made += 1
    today = china_today().date().isoformat()
    item = _post(server, "county", "/supervision-items", {
        "occurred_on": today, "title": f"铁西社区完善议事制度(第{server.items_made}项)",
        "assignee_org_id": str(demo_id("org", "铁西社区党总支")),
        "due_on": str(china_today().date() + timedelta(days=20)), "campaign_id": str(CAMPAIGN),
    })["aggregate_id"]  # fmt: skip
    for step, body in (("acknowledgement", {}), ("start", {}), ("reports", {"summary": "已完善"})):
        _post(server, "community", f"/supervision-items/{item}/{step}", {"occurred_on": today, **body})
    # the county, which assigned it, is offered the review
    page = sign_in_by_link(watched, server)
    page.goto(f"{server.base}/#/item/{item}")
    expect(page.get_by_role("form", name="审核通过")).to_have_count(1)
    expect(page.get_by_role("form", name="审核退回")).to_have_count(1)
    page.get_by_role("button", name="退出").click()
    page.get_by_label("访问令牌").fill(server.tokens["street"])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-scope=fixed]")).to_be_visible()
    page.goto(f"{server.base}/#/item/{item}")
    expect(page.locator("[data-report]")).to_contain_text("已完善")
    reviewer = page.locator("dd[data-reviewer]")
    expect(reviewer).to_have_attribute("data-reviewer", "county")
    expect(reviewer).to_contain_text("本事项由县级交办（")
    expect(reviewer).to_contain_text("审核、延期审批和办结由县级负责。")
    # reported: the item waits for review, so no 催办 either (review 2, finding 32)
    expect(page.get_by_role("form", name="催办")).to_have_count(0)
    for review in ("审核通过", "审核退回"):
        expect(page.get_by_role("form", name=review)).to_have_count(0)


def test_a_street_is_offered_签收_only_on_what_is_addressed_to_it(
    server: DemoServer, watched: Watched
) -> None:
    # A street reads every notice about its communities; the API answers its 签收 of one
    # addressed to a community's secretary 403 not_addressed, so the page does not offer it.
    # An item of 铁西's (城关's) due in three days: its yellow light goes to 铁西's secretary.
    server.items_made += 1
    today = china_today().date()
    item = _post(server, "county", "/supervision-items", {
        "occurred_on": today.isoformat(), "title": f"铁西社区临近期限事项(第{server.items_made}项)",
        "assignee_org_id": str(demo_id("org", "铁西社区党总支")),
        "due_on": str(today + timedelta(days=3)), "campaign_id": str(CAMPAIGN),
    })["aggregate_id"]  # fmt: skip
    deadline = time.monotonic() + 30
    theirs: list[dict[str, Any]] = []
    while not theirs and time.monotonic() < deadline:  # the scheduler's tick, in its process
        notes = server.api("street", "/notifications", unacknowledged=True, limit=200)["items"]
        theirs = [n for n in notes if n["unit_id"] == item and "street" not in n["addressees"]]
        time.sleep(0.2)
    assert theirs, "the item's yellow light was never fired"
    ours = [n for n in notes if "street" in n["addressees"]]
    page = watched.page
    page.goto(server.base + "/#/signin")
    page.get_by_label("访问令牌").fill(server.tokens["street"])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-scope=fixed]")).to_be_visible()
    page.goto(f"{server.base}/#/inbox")
    expect(page.locator("h1")).to_have_text("待办与督办")
    entry = page.locator(f"li[data-notification='{theirs[0]['id']}']")
    expect(entry.locator("[data-not-for-you]")).to_contain_text("仅供知悉：本提醒发给社区党组织书记")
    expect(entry.locator("[data-ack]")).to_have_count(0)
    for n in ours[:1]:  # one addressed to the street (an escalated alert) keeps its 签收
        expect(page.locator(f"li[data-notification='{n['id']}'] [data-ack]")).to_have_count(1)
    assert not watched.problems, watched.problems


def test_the_auditor_reads_each_addressee_s_sign_off_time_on_the_inbox(
    server: DemoServer, overdue_item: OverdueItem, watched: Watched
) -> None:
    # The API gives the auditor each addressee's 签收 (finding 28); the 待办 page shows them, by
    # name and in China time, and who has not signed yet.
    alerts = server.api("county", "/notifications", unacknowledged=True, kind="supervision_overdue")
    alert = next(a for a in alerts["items"] if a["unit_id"] == overdue_item.id)
    signed = httpx.post(
        f"{server.base}/api/v1/notifications/{alert['id']}/acknowledgement",
        headers={"Authorization": f"Bearer {server.tokens['county']}"}, timeout=10,
    )  # fmt: skip
    assert signed.status_code == 200, signed.text
    seen = server.api("auditor", "/notifications", kind="supervision_overdue", after=signed.json()["position"])
    mine = next(a for a in seen["items"] if a["id"] == alert["id"])
    [county] = [k for k in mine["acknowledgements"] if k["addressee"] == "county"]
    at = datetime.fromisoformat(county["acknowledged_at"].replace("Z", "+00:00")) + timedelta(hours=8)
    page = watched.page
    page.goto(f"{server.base}/#/signin")
    page.get_by_label("访问令牌").fill(server.tokens["auditor"])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    page.goto(f"{server.base}/#/inbox?all=1")
    entry = page.locator(f"li[data-notification='{alert['id']}']")
    expect(entry.locator("[data-ack-by=county]")).to_have_text(
        f"县委组织部：县委组织部（演示） 于 {at:%Y-%m-%d %H:%M}（北京时间）签收"
    )
    waiting = [a for a in mine["addressees"] if a != "county"]
    expect(entry.locator("[data-ack-waiting]")).to_have_count(len(waiting))
    assert "county:" not in entry.inner_text()  # names, not ids
