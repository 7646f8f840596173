"""更正 on 社区详情 (branch ``corrections``): a mistyped area is corrected from the timeline's entry
in a small form, refused in Chinese when it changes nothing, and the page then reads the corrected
figure and says the correction in words; a figure is corrected by the level that recorded it or a
higher one, so the community is offered no 更正 on the county's upgrade nor on money (the county's
or the street's act). Its own demo server (this module's), so other modules' figures stay."""

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from sansan.demo import demo_id
from tests.e2e import test_web_forms as forms
from tests.e2e import test_web_ui as ui
from tests.e2e.test_web_forms import refusal_expected, signed_in
from tests.e2e.test_web_ui import DemoServer, Watched

database_url, server, browser, shots = ui.database_url, ui.server, ui.browser, ui.shots
pages = forms.pages

pytestmark = pytest.mark.browser
TIEXI = demo_id("community", "铁西")


def test_the_county_corrects_a_mistyped_area_it_recorded_from_the_timeline_and_the_page_reads_it(
    server: DemoServer, browser: Browser, shots: Any, pages: list[Watched]
) -> None:
    history = server.api("county", f"/communities/{TIEXI}/history")
    upgrade = next(e for e in history if e["type"] == "FacilityUpgraded")["version"]
    secretary = signed_in(pages, browser, shots, server, "community", "desktop")
    secretary.goto(f"{server.base}/#/community/{TIEXI}")
    expect(secretary.locator("ol.timeline li[data-event=FacilityUpgraded]")).to_have_count(1)
    # the demo's upgrade was recorded by the county: the secretary is offered no 更正 on it
    expect(secretary.locator("li[data-event=FacilityUpgraded] details.correct")).to_have_count(0)
    expect(secretary.locator("li[data-event=FundingAllocated] details.correct")).to_have_count(0)
    page = signed_in(pages, browser, shots, server, "county", "desktop")
    page.goto(f"{server.base}/#/community/{TIEXI}")
    entry = page.locator("ol.timeline li[data-event=FacilityUpgraded]")
    expect(entry.locator("details.correct")).to_have_count(1)
    entry.locator("summary", has_text="更正").click()
    form = entry.get_by_role("form", name="更正办公用房和活动场所面积")
    form.get_by_label("更正项目").select_option(label="办公用房面积")
    form.get_by_label("面积（平方米）").fill("96")
    form.get_by_label("理由").fill("复核丈量")
    refusal_expected(page, 422)
    form.get_by_role("button", name=f"记录更正（第{upgrade}版）").click()
    expect(form.locator("[data-field=area_m2] .field-error")).to_contain_text("无须更正")
    form.get_by_label("面积（平方米）").fill("69")
    form.get_by_role("button", name=f"记录更正（第{upgrade}版）").click()
    corrected = page.locator("ol.timeline li[data-event=FacilityAreaCorrected]")
    expect(corrected.locator("dt")).to_have_text(["更正"])  # its one shown field, in words
    expect(corrected.locator("dd")).to_have_text(
        [f"第{upgrade}版（2026年7月29日办公用房和活动场所建设）办公用房面积由96㎡改为69㎡，原因：复核丈量"]
    )
    expect(corrected).to_contain_text("更正办公用房和活动场所面积")
    expect(page.locator("dl.facts").first).to_contain_text("69 ㎡")
    pages[-1].shot("community-correction-desktop")
    assert server.api("county", f"/communities/{TIEXI}")["state"]["office_area_m2"] == 69

