"""Recording from the browser (forms built from the command catalogue), supervision items as
a case file, and pages that read as Chinese, in Chromium at a desktop and a phone size,
against `sansan serve --demo` (fixtures shared with test_web_ui)."""

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from sansan.demo import DEMO_ACTOR, demo_id
from sansan.domain.vocabulary import _LABELS
from tests.e2e import test_web_ui as ui
from tests.e2e.test_web_ui import DemoServer, Watched, china_today, open_watched

# The demo server and the browser of the walk-through, started once for this module too.
database_url, server, browser, shots = ui.database_url, ui.server, ui.browser, ui.shots

pytestmark = pytest.mark.browser
VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
ENUM_VALUES = sorted({v for labels in _LABELS.values() for v in labels}, key=len, reverse=True)
ENGLISH_ENUM = re.compile(r"(?<![A-Za-z_])(" + "|".join(ENUM_VALUES) + r")(?![A-Za-z_])")
TIEXI = demo_id("community", "铁西")
TIEXI_BRANCH = demo_id("org", "铁西社区党总支")


# Refusals a test provokes on purpose, by page: not counted as the page's problems.
ALLOWED: dict[int, set[int]] = {}


def refusal_expected(page: Page, status: int) -> None:
    ALLOWED.setdefault(id(page), set()).add(status)


@pytest.fixture(params=list(VIEWPORTS))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pages(browser: Browser, shots: Any) -> Iterator[list[Watched]]:
    opened: list[Watched] = []
    yield opened
    for w in opened:
        allowed = ALLOWED.pop(id(w.page), set())
        problems = [p for p in w.problems if not any(str(code) in p for code in allowed)]
        w.page.context.close()
        assert problems == [], problems


def signed_in(pages: list[Watched], browser: Browser, shots: Any, server: DemoServer,
              role: str, size: str) -> Page:  # fmt: skip
    w = open_watched(browser, shots, VIEWPORTS[size])
    pages.append(w)
    page = w.page
    page.goto(server.base + "/#/signin")
    page.get_by_label("访问令牌").fill(server.tokens[role])
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-page=overview]")).to_be_visible()
    return page


def history(server: DemoServer, role: str, path: str) -> list[dict[str, Any]]:
    return server.api(role, path)  # type: ignore[no-any-return]


def test_a_secretary_records_a_training_for_several_members_and_the_street_a_funding_allocation(
    server: DemoServer, browser: Browser, shots: Any, pages: list[Watched], size: str
) -> None:
    page = signed_in(pages, browser, shots, server, "community", size)
    page.locator("[data-nav=record]").click()
    page.get_by_role("link", name="批量记录党员培训").click()
    members = page.locator("fieldset.members input[name=member]")
    expect(members).to_have_count(6)
    chosen = [members.nth(i).get_attribute("data-name") for i in range(3)]
    ids = [members.nth(i).get_attribute("value") for i in range(3)]
    for i in range(3):
        members.nth(i).check()
    form = page.get_by_role("form", name="党员参加集中教育培训")
    topic = f"党课:学习党章({size})"
    form.get_by_label("培训天数").fill("1")
    form.get_by_label("培训方式").select_option(label="课堂讲课")
    form.locator("[name=topic]").fill(topic)
    form.get_by_role("button", name="为所选党员记录培训").click()
    summary = page.locator("[data-bulk-summary]")
    expect(summary).to_contain_text("已记录 3 人")
    for name in chosen:
        expect(summary).to_contain_text(str(name))
    pages[-1].shot(f"record-bulk-{size}")
    for member in ids:
        trainings = [e for e in history(server, "county", f"/members/{member}/history")
                     if e["type"] == "TrainingCompleted" and e["data"]["topic"] == topic]  # fmt: skip
        assert len(trainings) == 1
        assert trainings[0]["actor"] == "community:铁西社区党总支（演示）"

    # one command from the list: a funding allocation, its amount refused first, then recorded;
    # the street's act, never the receiving community's (review #2 finding 29)
    page = signed_in(pages, browser, shots, server, "street", size)
    page.locator("[data-nav=record]").click()
    page.locator("select[name=command]").select_option(label="划拨社区办公经费")
    page.locator("select[name=unit]").select_option(label="铁西社区")
    form = page.get_by_role("form", name="划拨社区办公经费")
    form.get_by_label("年度").fill("2026")
    # each size's its own source: the module's sizes share one server, and the same
    # allocation again on the same day is refused as a double entry (duplicate_fact)
    form.get_by_label("经费来源").fill(f"县财政（{size}）")
    refusal_expected(page, 422)
    form.get_by_role("button", name="记录：划拨社区办公经费").click()
    expect(form.locator("[data-field=amount_yuan] .field-error")).not_to_be_empty()
    expect(form.locator(".form-error")).to_contain_text("未记录")
    expect(page.locator("main")).not_to_contain_text("amount_yuan")  # said in Chinese
    before = len([e for e in history(server, "county", f"/communities/{TIEXI}/history")
                  if e["type"] == "FundingAllocated"])  # fmt: skip
    form.get_by_label("金额（元）").fill("20000.00")
    form.get_by_role("button", name="记录：划拨社区办公经费").dblclick()  # twice, records once
    result = page.locator(".recorded")
    expect(result).to_contain_text("划拨社区办公经费")
    expect(result).to_contain_text("20,000 元")
    expect(result).to_contain_text("县财政")
    expect(form.locator("[data-field=amount_yuan] .field-error")).to_be_empty()
    expect(form.locator(".form-error")).to_be_empty()
    pages[-1].shot(f"record-funding-{size}")
    page.wait_for_load_state("networkidle")
    after = [e for e in history(server, "county", f"/communities/{TIEXI}/history")
             if e["type"] == "FundingAllocated"]  # fmt: skip
    assert len(after) == before + 1
    assert after[-1]["data"]["source"] == f"县财政（{size}）"


def test_a_repeated_submission_with_the_same_idempotency_key_records_once(
    server: DemoServer,
) -> None:
    """What the forms rely on: the key they send makes a resent request answer the first."""
    body = {"occurred_on": str(china_today().date()), "year": 2026, "amount_yuan": "1.00"}
    path = f"{server.base}/api/v1/communities/{TIEXI}/funding-allocations"
    headers = {"Authorization": f"Bearer {server.tokens['street']}", "Idempotency-Key": "k-1"}
    first = httpx.post(path, json=body, headers=headers, timeout=10)
    second = httpx.post(path, json=body, headers=headers, timeout=10)
    assert first.status_code == 200, first.text
    assert second.json()["position"] == first.json()["position"]


def test_the_county_assigns_the_community_reports_and_the_county_reads_accepts_and_closes(
    server: DemoServer, browser: Browser, shots: Any, pages: list[Watched], size: str
) -> None:
    county = signed_in(pages, browser, shots, server, "county", size)
    county.locator("[data-nav=inbox]").click()
    title = f"铁西社区完善党员活动室台账({size})"
    form = county.get_by_role("form", name="交办督办事项")
    form.locator("[name=title]").fill(title)
    form.get_by_label("事项说明").fill("请于期限内补齐活动室使用台账并报送。")
    form.get_by_label("承办组织").select_option(label="铁西社区党总支")
    form.get_by_label("办理期限").fill(str(china_today().date() + timedelta(days=20)))
    form.get_by_role("button", name="交办").click()
    row = county.locator("table.items tr", has_text=title)
    expect(row.locator("td.status")).to_have_text("已交办")
    row.get_by_role("link", name=title).click()
    expect(county.get_by_role("form", name="催办")).to_have_count(1)
    expect(county.get_by_role("form", name="签收")).to_have_count(0)  # the assignee's step
    county.get_by_role("link", name="返回待办").click()

    community = signed_in(pages, browser, shots, server, "community", size)
    badge = community.locator("[data-nav=inbox] .badge")
    expect(badge).to_be_visible()
    assert int(badge.inner_text()) >= 1
    community.locator("[data-nav=inbox]").click()
    community.locator("table.items tr", has_text=title).get_by_role("link", name=title).click()
    expect(community.locator("h1")).to_have_text(title)
    expect(community.locator(".description")).to_have_text("请于期限内补齐活动室使用台账并报送。")
    expect(community.get_by_role("form", name="审核通过")).to_have_count(0)
    community.get_by_role("form", name="签收").get_by_role("button", name="签收").click()
    expect(community.locator("[data-status]")).to_have_text("已签收")
    community.get_by_role("form", name="开始办理").get_by_role("button", name="开始办理").click()
    expect(community.locator("[data-status]")).to_have_text("办理中")
    report = community.get_by_role("form", name="反馈办理结果")
    report.get_by_label("办理结果").fill("已补齐2026年活动室使用台账共48页,并建立月度登记制度。")
    community.once("dialog", lambda d: d.accept())  # a report goes to review: confirmed first
    report.get_by_role("button", name="反馈办理结果").click()
    expect(community.locator("[data-status]")).to_have_text("已反馈")
    assert not re.search(r"null|undefined", community.locator("main").inner_text())
    for review in ("审核通过", "退回", "催办"):  # the reviewer's steps, not the assignee's
        expect(community.get_by_role("form", name=review)).to_have_count(0)
    pages[-1].shot(f"item-reported-{size}")

    item = county.locator("table.items tr", has_text=title)
    county.reload()
    county.locator("table.items tr", has_text=title).get_by_role("link", name=title).click()
    expect(county.locator("[data-report]")).to_contain_text("已补齐2026年活动室使用台账共48页")
    expect(county.locator("[data-report]")).to_contain_text("铁西社区党总支（演示）")
    for handling in ("签收", "开始办理", "申请延期", "反馈办理结果"):
        expect(county.get_by_role("form", name=handling)).to_have_count(0)
    county.once("dialog", lambda d: d.dismiss())  # cancelled: nothing happens
    county.get_by_role("form", name="审核通过").get_by_role("button", name="审核通过").click()
    expect(county.locator("[data-status]")).to_have_text("已反馈")
    county.once("dialog", lambda d: d.accept())
    county.get_by_role("form", name="审核通过").get_by_role("button", name="审核通过").click()
    expect(county.locator("[data-status]")).to_have_text("审核通过")
    county.once("dialog", lambda d: d.accept())
    county.get_by_role("form", name="办结").get_by_role("button", name="办结").click()
    expect(county.locator("[data-status]")).to_have_text("已办结")
    expect(county.locator("main")).to_contain_text("本事项已办结")
    expect(county.locator("form.command-form")).to_have_count(0)
    assert not re.search(r"null|undefined", county.locator("main").inner_text())
    course = county.locator("ol.course li")
    expect(course).to_have_count(6)
    expect(course.nth(0)).to_contain_text("交办督办事项")
    expect(course.nth(0)).to_contain_text("县委组织部（演示）")
    expect(course.nth(1)).to_contain_text("铁西社区党总支（演示）")
    expect(course.nth(3)).to_contain_text("已补齐2026年活动室使用台账")
    expect(course.nth(5)).to_contain_text("督办事项办结")
    pages[0].shot(f"item-closed-{size}")
    county.get_by_role("link", name="返回待办").click()
    expect(item.locator("td.status")).to_have_text("已办结（已归档）")
    expect(item).to_have_class(re.compile("closed"))
    types = [e["type"] for e in history(server, "county", f"/supervision-items/{_item_id(item)}/history")]
    assert types == [
        "SupervisionItemAssigned", "SupervisionItemAcknowledged", "HandlingStarted",
        "HandlingReported", "ReportAccepted", "SupervisionItemClosed",
    ]  # fmt: skip


def _item_id(row: Any) -> str:
    return str(row.get_attribute("data-item"))


def readable(page: Page) -> str:
    text = page.locator("main").inner_text()
    assert not UUID_TEXT.search(text), UUID_TEXT.search(text)
    assert '{"' not in text
    found = ENGLISH_ENUM.search(text)
    assert found is None, text[max(0, found.start() - 80) : found.end() + 80]
    assert "demo:" not in text
    # every id the demo's events name is a unit or a person in scope (team members, workers)
    assert "范围外或已不存在" not in text
    assert not re.search(r"\b(null|undefined|NaN)\b", text)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text)  # no snake_case key or value
    return text


def test_the_timeline_and_the_audit_page_read_as_chinese_without_ids_or_raw_data(
    server: DemoServer, browser: Browser, shots: Any, pages: list[Watched], size: str
) -> None:
    page = signed_in(pages, browser, shots, server, "county", size)
    page.goto(f"{server.base}/#/community/{demo_id('community', '镇西')}")
    expect(page.locator("ol.timeline li").first).to_be_visible()
    text = readable(page)
    assert "记录人：县委组织部（演示）" in text
    assert "管理型" in text  # ModelTypeDesignated's value, in Chinese
    page.goto(f"{server.base}/#/audit?community_id={demo_id('community', '镇西')}")
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    text = readable(page)
    assert "县委组织部（演示）" in text
    assert re.search(r"\S+（镇西社区）", text)  # a member named with its community
    page.locator("select[name=actor]").select_option(DEMO_ACTOR)
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile("actor="))
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    readable(page)
    pages[-1].shot(f"audit-readable-{size}")


def test_refusals_read_as_permissions_and_the_sign_in_hint_names_this_server(
    server: DemoServer, browser: Browser, shots: Any, pages: list[Watched]
) -> None:
    w = open_watched(browser, shots, VIEWPORTS["desktop"])
    pages.append(w)
    w.page.goto(server.base + "/#/signin")
    expect(w.page.locator("[data-hint]")).to_contain_text(f"{server.base}/")
    expect(w.page.locator("[data-hint]")).not_to_contain_text(":8000")
    page = signed_in(pages, browser, shots, server, "street", "desktop")
    page.goto(server.base + "/#/audit")
    expect(page.locator("main")).to_contain_text("无权查看“审计”页面")
    expect(page.locator("main")).not_to_contain_text("没有这个页面")
    refusal_expected(page, 404)
    page.goto(f"{server.base}/#/community/{demo_id('community', '河东')}")  # another street's
    expect(page.locator("main")).to_contain_text("不在您的管辖范围内")
    assert not UUID_TEXT.search(page.locator("main").inner_text())
    auditor = signed_in(pages, browser, shots, server, "auditor", "desktop")
    expect(auditor.locator("[data-nav=record]")).to_have_count(0)
    auditor.goto(server.base + "/#/record")
    expect(auditor.locator("main")).to_contain_text("无权查看“记录”页面")


def test_an_extension_is_requested_by_the_assignee_and_decided_by_the_county_in_the_case_file(
    server: DemoServer, browser: Browser, shots: Any, pages: list[Watched]
) -> None:
    today = china_today().date()
    title = f"铁西社区更新党员信息库(第{len(pages)}项)"
    created = httpx.post(
        f"{server.base}/api/v1/supervision-items",
        json={
            "occurred_on": str(today), "title": title, "due_on": str(today + timedelta(days=5)),
            "assignee_org_id": str(TIEXI_BRANCH), "description": "核对并更新信息库。",
        },
        headers={"Authorization": f"Bearer {server.tokens['county']}"}, timeout=10,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    item = created.json()["aggregate_id"]
    later = today + timedelta(days=25)

    community = signed_in(pages, browser, shots, server, "community", "desktop")
    community.goto(f"{server.base}/#/item/{item}")
    community.get_by_role("form", name="签收").get_by_role("button", name="签收").click()
    expect(community.locator("[data-status]")).to_have_text("已签收")
    # an extension is asked once handling has started (review 2, finding 14)
    expect(community.get_by_role("form", name="申请延期")).to_have_count(0)
    community.get_by_role("form", name="开始办理").get_by_role("button", name="开始办理").click()
    expect(community.locator("[data-status]")).to_have_text("办理中")
    request = community.get_by_role("form", name="申请延期")
    request.locator("[name=requested_due_on]").fill(str(later))
    request.locator("[name=reason]").fill("需逐户入户核对,工作量大。")
    request.get_by_role("button", name="申请延期").click()
    expect(community.locator("[data-status]")).to_have_text("办理中（延期待批）")
    expect(community.get_by_role("form", name="申请延期")).to_have_count(0)  # one at a time

    county = signed_in(pages, browser, shots, server, "county", "desktop")
    expect(county.locator("header .who")).to_contain_text("县委组织部（演示）")
    expect(county.locator("header .who")).not_to_contain_text("county:")
    county.goto(f"{server.base}/#/item/{item}")
    expect(county.locator("main")).to_contain_text("需逐户入户核对,工作量大。")
    county.once("dialog", lambda d: d.accept())
    county.get_by_role("form", name="批准延期").get_by_role("button", name="批准延期").click()
    expect(county.locator("[data-status]")).to_have_text("办理中")
    expect(county.locator("[data-due]")).to_have_text(f"{later.year}年{later.month}月{later.day}日")
    course = county.locator("ol.course li")
    expect(course.nth(3)).to_contain_text("申请延期")
    expect(course.nth(3)).to_contain_text("需逐户入户核对")
    expect(course.nth(4)).to_contain_text("批准延期")
    expect(course.nth(4)).to_contain_text(f"新的期限{later.year}年{later.month}月{later.day}日")
    readable(county)


@pytest.mark.parametrize("role", ["county", "community"])
def test_every_command_the_role_may_run_has_a_form_in_chinese(
    server: DemoServer, browser: Browser, shots: Any, pages: list[Watched], role: str
) -> None:
    page = signed_in(pages, browser, shots, server, role, "desktop")
    catalogue = server.api(role, "/commands")
    page.locator("[data-nav=record]").click()
    options = page.locator("select[name=command] option:not([value=''])")
    expect(options).to_have_count(len(catalogue))
    for spec in catalogue:
        page.goto(f"{server.base}/#/record?command={spec['id']}")
        form = page.locator(f"form[data-command={spec['id']}]")
        expect(form).to_be_visible()
        expect(page.locator("main h2").last).to_have_text(spec["title_zh"])
        labels = " ".join(form.locator(".field > label").all_inner_texts())
        assert not re.search(r"[a-z]+_[a-z]+", labels), (spec["id"], labels)
