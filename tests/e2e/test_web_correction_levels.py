"""更正 offered on 社区详情 by who may still correct each figure (outside review 4, finding 5):
once a level has corrected a figure, only that level or a higher one; an upgrade's two areas
each on its own. A demo server of this module's own: these tests add upgrades and allocations
to 铁西 that test_web_corrections' figures must not see."""

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from sansan.demo import demo_id
from tests.e2e import test_web_forms as forms
from tests.e2e import test_web_ui as ui
from tests.e2e.test_web_forms import signed_in
from tests.e2e.test_web_ui import DemoServer, Watched

database_url, server, browser, shots = ui.database_url, ui.server, ui.browser, ui.shots
pages = forms.pages

pytestmark = pytest.mark.browser
TIEXI = demo_id("community", "铁西")


def _post(server: DemoServer, role: str, path: str, body: dict[str, Any]) -> Any:
    answer = httpx.post(
        f"{server.base}/api/v1{path}", json=body, timeout=10,
        headers={"Authorization": f"Bearer {server.tokens[role]}"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_an_amount_the_county_corrected_is_offered_to_the_street_no_more(
    server: DemoServer, browser: Browser, shots: Any, pages: list[Watched]
) -> None:
    """The street's own allocation is offered 更正 to the street until the county corrects it:
    then only the county (the service refuses the street, so the page offers nothing)."""
    allocations = f"/communities/{TIEXI}/funding-allocations"
    body = {"occurred_on": "2026-11-20", "year": 2026, "amount_yuan": "1500", "source": "街道自筹"}
    version = _post(server, "street", allocations, body)["version"]
    street = signed_in(pages, browser, shots, server, "street", "desktop")
    street.goto(f"{server.base}/#/community/{TIEXI}")
    own = street.locator("ol.timeline li[data-event=FundingAllocated]", has_text="1,500")
    expect(own.locator("details.correct")).to_have_count(1)
    corrections = f"/communities/{TIEXI}/funding-corrections"
    _post(server, "county", corrections, {"occurred_on": "2026-11-21", "corrected_version": version,
                                          "amount_yuan": "1600", "reason": "县里核对凭证"})  # fmt: skip
    street.reload()
    expect(street.locator("ol.timeline li[data-event=FundingAmountCorrected]")).to_have_count(1)
    expect(own.locator("details.correct")).to_have_count(0)


def test_an_upgrade_is_offered_to_the_community_while_one_of_its_areas_is_still_its_own(
    server: DemoServer, browser: Browser, shots: Any, pages: list[Watched]
) -> None:
    upgrades = f"/communities/{TIEXI}/facility-upgrades"
    body = {"occurred_on": "2026-11-22", "office_area_m2": 130, "venue_area_m2": 330}
    version = _post(server, "community", upgrades, body)["version"]
    corrections = f"/communities/{TIEXI}/facility-area-corrections"
    fix = {"occurred_on": "2026-11-23", "corrected_version": version, "reason": "县里复核丈量"}
    _post(server, "county", corrections, fix | {"corrected_field": "office_area_m2", "area_m2": 120})
    secretary = signed_in(pages, browser, shots, server, "community", "desktop")
    secretary.goto(f"{server.base}/#/community/{TIEXI}")
    entry = secretary.locator("ol.timeline li[data-event=FacilityUpgraded]", has_text="330")
    expect(entry.locator("details.correct")).to_have_count(1)  # the venue area is still its own
    _post(server, "county", corrections, fix | {"corrected_field": "venue_area_m2", "area_m2": 320})
    secretary.reload()
    corrected = secretary.locator("ol.timeline li[data-event=FacilityAreaCorrected]", has_text=f"第{version}版")
    expect(corrected).to_have_count(2)
    expect(entry.locator("details.correct")).to_have_count(0)
