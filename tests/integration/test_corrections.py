"""Correcting a mistyped area or amount (branch ``corrections``), on both stores: a correction is
a recorded, signed fact naming the fact it corrects (its version), from which figure to which and
why; the state, the board, the scorecard, the exports and the history read the corrected figure,
while the state as recorded before it and a verdict given before it keep what was known then."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from sansan.api.readable import event_zh
from sansan.application import SansanApplication
from sansan.clock import FixedClock
from sansan.commands import community as co
from sansan.domain.vocabulary import zh_date
from sansan.settings import Settings
from sansan.workflows.scheduler import Scheduler
from tests.integration.test_imports import head, recorded_since, services_of
from tests.integration.test_review2_references import CAMPAIGN, TIANBEI, TIEXI, post, refused
from tests.integration.test_yearly_compliance import ASKED, d, funded_2026, noon, target
from tests.support import china_today

Demo = tuple[TestClient, dict[str, str]]
UPGRADE_DAY = date(2026, 7, 29)  # the demo's upgrade of 铁西 (96 ㎡ office, 240 ㎡ venue)


def get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    services_of(client).projections.catch_up()
    answer = client.get(
        f"/api/v1{path}", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def version_of(client: TestClient, token: str, community: UUID, kind: str) -> int:
    """The version of the community's latest event of ``kind``, as its history shows it."""
    history = get(client, token, f"/communities/{community}/history")
    return int([e for e in history if e["type"] == kind][-1]["version"])


def correct_area(
    client: TestClient, token: str, version: int, area: float, community: UUID = TIEXI,
    field: str = "office_area_m2", reason: str = "复核丈量，原记录多打一位",
) -> Any:  # fmt: skip
    body = {"occurred_on": "2026-11-27", "corrected_version": version, "corrected_field": field,
            "area_m2": area, "reason": reason}  # fmt: skip
    return post(client, token, f"/communities/{community}/facility-area-corrections", body)


def correct_amount(client: TestClient, token: str, version: int, amount: str) -> Any:
    body = {"occurred_on": "2026-11-27", "corrected_version": version, "amount_yuan": amount,
            "reason": "拨款凭证金额为8000元"}  # fmt: skip
    return post(client, token, f"/communities/{TIEXI}/funding-corrections", body)


def first_sites(client: TestClient, token: str, as_of: str = "2026-11-27") -> str:
    board = get(client, token, f"/campaigns/{CAMPAIGN}/progress", as_of=as_of)
    return str(target(board, "standard-sites-first")["measured_text"])


def test_a_mistyped_area_is_corrected_and_the_state_board_scorecard_and_history_read_it(
    demo: Demo,
) -> None:
    client, tokens = demo
    county = tokens["county"]  # who recorded the demo's upgrade (a community may not correct it)
    upgrade = version_of(client, county, TIEXI, "FacilityUpgraded")
    assert first_sites(client, county) == "2个社区"
    believed = get(client, county, f"/communities/{TIEXI}/history")[-1]["recorded_at"]
    answer = correct_area(client, county, upgrade, 60)
    assert answer.status_code == 200, answer.text
    [event] = answer.json()["events"]
    assert event["type"] == "FacilityAreaCorrected"
    assert event["data"]["correction"] == (
        f"第{upgrade}版（2026年7月29日办公用房和活动场所建设）办公用房面积由96㎡改为60㎡，原因：复核丈量，原记录多打一位"
    )
    state = get(client, county, f"/communities/{TIEXI}")
    assert state["state"]["office_area_m2"] == 60
    # The board reads the corrected figure from the upgrade's own day, as it reads a late fact.
    assert first_sites(client, county) == "1个社区"
    assert first_sites(client, county, (UPGRADE_DAY + timedelta(days=1)).isoformat()) == "1个社区"
    card = get(client, county, f"/communities/{TIEXI}/scorecard", campaign_id=str(CAMPAIGN))
    [sites] = [t for t in card["targets"] if t["id"] == "standard-sites-all"]
    assert "办公用房60㎡" in sites["measured_text"], sites
    csv = client.get(f"/api/v1/campaigns/{CAMPAIGN}/progress", params={"format": "csv"},
                     headers={"Authorization": f"Bearer {county}"}).text  # fmt: skip
    assert f"办公用房60㎡（{zh_date(china_today())}更正），不足80㎡" in csv  # review 3, finding 8
    # What was believed before: the state as recorded then.
    then = get(client, county, f"/communities/{TIEXI}", as_of=believed)
    assert then["state"]["office_area_m2"] == 96
    # A correction of the correction, from the corrected figure.
    again = correct_area(client, county, upgrade, 90)
    assert again.status_code == 200, again.text
    assert "办公用房面积由60㎡改为90㎡" in again.json()["events"][0]["data"]["correction"]
    assert get(client, county, f"/communities/{TIEXI}")["state"]["office_area_m2"] == 90
    assert first_sites(client, county) == "2个社区"
    audit = get(client, tokens["auditor"], f"/audit/units/{TIEXI}/changes")
    said = [e for e in audit["changes"]["items"] if e["event_type"] == "FacilityAreaCorrected"]
    assert len(said) == 2, audit["changes"]["items"][:3]
    # The audit's spreadsheets and the timeline say it in words, the figures in its text.
    words = sorted(event_zh(e["event_type"], e["data"], {}).split("；")[0] for e in said)
    assert words == [
        f"更正：第{upgrade}版（2026年7月29日办公用房和活动场所建设）办公用房面积由{figures}，原因：复核丈量，原记录多打一位"
        for figures in ("60㎡改为90㎡", "96㎡改为60㎡")
    ], words


def test_a_correction_to_the_same_figure_of_another_kind_of_fact_or_of_a_field_never_recorded_is_refused(
    demo: Demo,
) -> None:
    client, tokens = demo
    county = tokens["county"]
    upgrade = version_of(client, county, TIEXI, "FacilityUpgraded")
    allocation = version_of(client, county, TIEXI, "FundingAllocated")
    before = head(client)
    refused(correct_area(client, county, upgrade, 96), 422, "correction_same_value", "area_m2")
    refused(correct_area(client, county, 1, 50), 422, "not_correctable", "corrected_version")
    refused(correct_area(client, county, 9999, 50), 422, "not_correctable", "corrected_version")
    empty = correct_area(client, county, upgrade, 50, reason="   ")
    refused(empty, 422, "empty_text", "reason")
    refused(correct_amount(client, county, upgrade, "8000.00"), 422, "not_correctable",
            "corrected_version")  # fmt: skip
    refused(correct_amount(client, county, allocation, "12000"), 422, "correction_same_value",
            "amount_yuan")  # fmt: skip
    refused(correct_amount(client, county, allocation, "99999999"), 422, "amount_implausible",
            "amount_yuan")  # fmt: skip
    assert recorded_since(client, before) == []
    venue_only = post(client, county, f"/communities/{TIEXI}/facility-upgrades",
                      {"occurred_on": "2026-11-27", "venue_area_m2": 260})  # fmt: skip
    assert venue_only.status_code == 200, venue_only.text
    refused(correct_area(client, county, venue_only.json()["version"], 100), 422,
            "correction_field_not_recorded", "corrected_field")  # fmt: skip


def test_an_earlier_upgrade_is_not_corrected_above_a_later_one_and_leaves_the_present_area(
    demo: Demo,
) -> None:
    client, tokens = demo
    county = tokens["county"]
    upgrade = version_of(client, county, TIEXI, "FacilityUpgraded")
    later = post(client, county, f"/communities/{TIEXI}/facility-upgrades",
                 {"occurred_on": "2026-11-20", "office_area_m2": 110})  # fmt: skip
    assert later.status_code == 200, later.text
    before = head(client)
    problem = refused(correct_area(client, county, upgrade, 120), 422, "correction_above_later",
                      "area_m2")  # fmt: skip
    assert f"第 {later.json()['version']} 版办公用房和活动场所建设后为 110㎡" in problem["message_zh"]
    assert recorded_since(client, before) == []
    assert correct_area(client, county, upgrade, 70).status_code == 200
    assert get(client, county, f"/communities/{TIEXI}")["state"]["office_area_m2"] == 110
    # Between the two upgrades the board reads the corrected 70; from the later one on, 110.
    assert first_sites(client, county, "2026-11-19") == "1个社区"
    assert first_sites(client, county, "2026-11-20") == "2个社区"


def test_a_later_upgrade_is_not_corrected_below_an_earlier_one(demo: Demo) -> None:
    """Outside review 5: correcting the later upgrade's 90 to 80, under the earlier 96, made it
    a decrease, which no upgrade may be; only the other direction was checked."""
    client, tokens = demo
    county = tokens["county"]
    first = version_of(client, county, TIEXI, "FacilityUpgraded")  # 96 ㎡ office
    later = post(client, county, f"/communities/{TIEXI}/facility-upgrades",
                 {"occurred_on": "2026-11-20", "office_area_m2": 110})  # fmt: skip
    assert later.status_code == 200, later.text
    version = later.json()["version"]
    before = head(client)
    problem = refused(correct_area(client, county, version, 90), 422, "correction_below_earlier",
                      "area_m2")  # fmt: skip
    assert problem["message_zh"] == (
        f"办公用房面积在第 {first} 版办公用房和活动场所建设时已为 96㎡，第 {version} 版更正为 90㎡"
        f" 会使这次建设变成减少面积；如第 {first} 版有误，请先更正它"
    )
    assert recorded_since(client, before) == []
    assert correct_area(client, county, first, 85).status_code == 200  # the earlier one first
    assert correct_area(client, county, version, 90).status_code == 200  # then it may
    assert correct_area(client, county, version, 85).status_code == 200  # equal: no decrease


@pytest.mark.parametrize(
    ("role", "status"), [("community", 403), ("client", 403), ("auditor", 403)]
)
def test_only_the_county_or_street_corrects_an_amount(demo: Demo, role: str, status: int) -> None:
    client, tokens = demo
    allocation = version_of(client, tokens["county"], TIEXI, "FundingAllocated")
    before = head(client)
    answer = correct_amount(client, tokens[role], allocation, "8000.00")
    assert answer.status_code == status, answer.text
    assert recorded_since(client, before) == []


def test_an_area_is_corrected_by_the_level_that_recorded_it_or_a_higher_one(demo: Demo) -> None:
    """Review 3 finding 5: the community secretary rewrote the county's record of its own site
    (the figure its 标准化 target is judged on). A community and its client token correct what
    the community recorded; the street what it or its communities recorded; the county all.
    A refusal is the role's 403, naming who recorded the figure, and records nothing."""
    client, tokens = demo
    county, street = tokens["county"], tokens["street"]
    by_county = version_of(client, county, TIEXI, "FacilityUpgraded")
    before = head(client)
    for role in ("community", "client", "street"):
        problem = refused(correct_area(client, tokens[role], by_county, 60), 403,
                          "role_not_allowed", None)  # fmt: skip
        assert f"第{by_county}版办公用房和活动场所建设由县委组织部（演示）记录" in problem["message_zh"], problem
        assert "须由县委组织部或上级更正" in problem["message_zh"], problem
    assert recorded_since(client, before) == []
    upgrades = f"/communities/{TIEXI}/facility-upgrades"
    ours = post(client, tokens["community"], upgrades,
                {"occurred_on": "2026-11-25", "office_area_m2": 100})  # fmt: skip
    assert ours.status_code == 200, ours.text
    theirs = post(client, street, upgrades, {"occurred_on": "2026-11-26", "office_area_m2": 120})
    assert theirs.status_code == 200, theirs.text
    mine, streets = ours.json()["version"], theirs.json()["version"]
    assert correct_area(client, tokens["community"], mine, 99).status_code == 200
    assert correct_area(client, tokens["client"], mine, 98).status_code == 200  # signs for it
    assert correct_area(client, street, mine, 97).status_code == 200  # a level above
    problem = refused(correct_area(client, tokens["community"], streets, 110), 403,
                      "role_not_allowed", None)  # fmt: skip
    assert "由城关街道党工委（演示）（街道党工委）记录" in problem["message_zh"], problem
    assert "须由街道党工委或上级更正" in problem["message_zh"], problem
    assert correct_area(client, street, streets, 115).status_code == 200
    assert correct_area(client, county, streets, 114).status_code == 200
    assert correct_area(client, county, by_county, 95).status_code == 200


def test_a_community_corrects_no_area_outside_its_scope(demo: Demo) -> None:
    client, tokens = demo
    upgrade = version_of(client, tokens["county"], TIANBEI, "FacilityUpgraded")
    before = head(client)
    answer = correct_area(client, tokens["community"], upgrade, 70, community=TIANBEI)
    # As for any write on a unit outside the token's scope: the unit is not found there.
    refused(answer, 404, "unit_not_found", None)
    upgrading = post(client, tokens["community"], f"/communities/{TIANBEI}/facility-upgrades",
                     {"occurred_on": "2026-11-27", "office_area_m2": 500})  # fmt: skip
    assert upgrading.status_code == answer.status_code
    assert recorded_since(client, before) == []


def test_an_amount_is_corrected_by_the_level_that_recorded_it_or_a_higher_one(
    demo: Demo,
) -> None:
    """A street may not rewrite what the county allocated and recorded (the figure the county
    signs its board on); it corrects what it recorded itself, and the county corrects both.
    A refusal is the role's 403 naming who recorded the allocation, and records nothing."""
    client, tokens = demo
    county, street = tokens["county"], tokens["street"]
    by_county = version_of(client, county, TIEXI, "FundingAllocated")
    before = head(client)
    problem = refused(correct_amount(client, street, by_county, "8000.00"), 403,
                      "role_not_allowed", None)  # fmt: skip
    assert f"第{by_county}版划拨社区办公经费由县委组织部（演示）记录" in problem["message_zh"], problem
    assert "其金额须由县委组织部或上级更正" in problem["message_zh"], problem
    assert recorded_since(client, before) == []
    body = {"occurred_on": "2026-11-26", "year": 2026, "amount_yuan": "3000", "source": "街道"}
    allocated = post(client, street, f"/communities/{TIEXI}/funding-allocations", body)
    assert allocated.status_code == 200, allocated.text
    streets = allocated.json()["version"]
    assert correct_amount(client, street, streets, "2000.00").status_code == 200
    assert correct_amount(client, county, streets, "2500.00").status_code == 200
    assert correct_amount(client, county, by_county, "11000.00").status_code == 200
    assert get(client, county, f"/communities/{TIEXI}")["state"]["funding_by_year"] == {
        "2026": "13500.00"
    }


def test_an_amount_is_corrected_and_the_year_s_money_reads_it(demo: Demo) -> None:
    client, tokens = demo
    county = tokens["county"]
    allocation = version_of(client, county, TIEXI, "FundingAllocated")
    board = get(client, county, f"/campaigns/{CAMPAIGN}/progress")
    assert target(board, "funding")["measured_text"] == "5/7个社区"
    answer = correct_amount(client, county, allocation, "8000.00")
    assert answer.status_code == 200, answer.text
    assert (
        "2026年度社区办公经费由12,000.00元改为8,000.00元，原因：拨款凭证金额为8000元"
        in (answer.json()["events"][0]["data"]["correction"])
    )
    assert get(client, county, f"/communities/{TIEXI}")["state"]["funding_by_year"] == {
        "2026": "8000.00"
    }
    board = get(client, county, f"/campaigns/{CAMPAIGN}/progress")
    funding = target(board, "funding")
    assert funding["measured_text"] == "4/7个社区"
    marked = f"2026年经费8,000元（{zh_date(china_today())}更正），不足10,000元"
    assert marked in str(funding["failing"])
    again = correct_amount(client, county, allocation, "12000")
    assert "由8,000.00元改为12,000.00元" in again.json()["events"][0]["data"]["correction"]
    board = get(client, county, f"/campaigns/{CAMPAIGN}/progress")
    assert target(board, "funding")["measured_text"] == "5/7个社区"
    third = correct_amount(client, county, allocation, "11000")  # from the latest correction
    assert "由12,000.00元改为11,000.00元" in third.json()["events"][0]["data"]["correction"]
    assert get(client, county, f"/communities/{TIEXI}")["state"]["funding_by_year"] == {
        "2026": "11000.00"
    }


def test_a_verdict_given_before_a_correction_keeps_what_was_on_record_and_a_raise_is_made_good_late(
    app: SansanApplication, settings: Settings, clock: FixedClock
) -> None:
    """甲 10,000 and 乙 4,000 for 2026 when the scheduler gave its verdict (乙 short). Then 甲's
    amount is corrected down to 8,000 and 乙's up to 10,000: the verdict stays as it was given
    (1/2, only 乙 failing), not made good (甲 is short now); 甲 corrected back, it is made good
    late on the day of that correction."""
    p, q, services, ended = funded_2026(app, settings, clock, "c", "更正街道")

    def correct(community: UUID, amount: int) -> None:
        clock.set(noon(d(2027, 1, 5)))
        app.execute(
            co.CorrectFundingAmount(community_id=community, occurred_on=d(2027, 1, 5),
                                    corrected_version=2, amount_yuan=Decimal(amount),
                                    reason="核对拨款凭证"),
            actor="county:县",
        )  # fmt: skip
        services.projections.catch_up()

    try:
        clock.set(noon(d(2027, 1, 2)))
        Scheduler(services).tick()
        services.projections.catch_up()
        assert [f["unit_name"] for f in ended()["failing"]] == ["乙社区"]
        clock.set(noon(d(2027, 1, 5)))
        for community, amount in ((p, 8000), (q, 10000)):
            correct(community, amount)
        after = ended()
        assert (after["status"], after["measured_text"]) == ("red", "1/2个社区")  # as given
        assert [f["unit_name"] for f in after["failing"]] == ["乙社区"]
        assert (after["now_text"], after["made_good_on"]) == ("1/2个社区", None)
        correct(p, 10000)
        after = ended()
        assert (after["status"], after["now_text"]) == ("red", "2/2个社区")
        if china_today() <= ASKED:  # made good on the China day the correction was recorded
            assert d(2027, 1, 1) <= date.fromisoformat(after["made_good_on"]) <= ASKED
    finally:
        services.store.close()


def test_only_the_correction_in_force_of_each_figure_is_current_in_the_history(demo: Demo) -> None:
    """Review 3 finding 10: corrections of the same figure all read ``is_current: true`` (area)
    or carried none (funding). Each figure of a recorded fact has one correction in force, its
    latest; another figure of the same upgrade has its own; both kinds say it, true or false."""
    client, tokens = demo
    county = tokens["county"]
    upgrade = version_of(client, county, TIEXI, "FacilityUpgraded")
    allocation = version_of(client, county, TIEXI, "FundingAllocated")
    offices = [correct_area(client, county, upgrade, area) for area in (60, 70, 90)]
    venue = correct_area(client, county, upgrade, 230, field="venue_area_m2")
    amounts = [correct_amount(client, county, allocation, amount) for amount in ("8000", "11000")]
    # the venue is corrected from its own figure, not from the office's latest correction
    assert "活动场所面积由240㎡改为230㎡" in venue.json()["events"][0]["data"]["correction"]
    for answer in (*offices, venue, *amounts):
        assert answer.status_code == 200, answer.text
        [event] = answer.json()["events"]
        assert event["data"]["is_current"] is True  # just recorded: the one in force
    history = get(client, county, f"/communities/{TIEXI}/history")
    current = {e["version"]: e["data"].get("is_current") for e in history
               if e["type"] in ("FacilityAreaCorrected", "FundingAmountCorrected")}  # fmt: skip
    version = [a.json()["version"] for a in (*offices, venue, *amounts)]
    assert current == dict(zip(version, [False, False, True, True, False, True], strict=True))
    assert "is_current" not in next(e for e in history if e["version"] == upgrade)["data"]
    state = get(client, county, f"/communities/{TIEXI}")["state"]
    assert (state["office_area_m2"], state["venue_area_m2"]) == (90, 230)
    assert state["funding_by_year"] == {"2026": "11000.00"}


def test_a_figure_a_higher_level_corrected_is_corrected_by_that_level_or_a_higher_one(
    demo: Demo,
) -> None:
    """Outside review (30 November): the street re-corrected an amount the county had corrected,
    and a community an area the county had corrected: the lower level overruled the higher."""
    client, tokens = demo
    county, street = tokens["county"], tokens["street"]
    body = {"occurred_on": "2026-11-26", "year": 2026, "amount_yuan": "3000", "source": "街道"}
    allocated = post(client, street, f"/communities/{TIEXI}/funding-allocations", body)
    assert allocated.status_code == 200, allocated.text
    mine = allocated.json()["version"]
    assert correct_amount(client, county, mine, "3500.00").status_code == 200
    before = head(client)
    problem = refused(correct_amount(client, street, mine, "3300.00"), 403, "role_not_allowed", None)
    assert f"第{mine}版划拨社区办公经费由县委组织部（演示）更正（第{mine + 1}版）" in problem["message_zh"]
    assert "其金额须由县委组织部或上级更正" in problem["message_zh"]
    assert recorded_since(client, before) == []
    upgrades = f"/communities/{TIEXI}/facility-upgrades"
    ours = post(client, tokens["community"], upgrades,
                {"occurred_on": "2026-11-25", "office_area_m2": 100, "venue_area_m2": 250})  # fmt: skip
    assert ours.status_code == 200, ours.text
    upgrade = ours.json()["version"]
    assert correct_area(client, tokens["community"], upgrade, 99).status_code == 200  # its own
    assert correct_area(client, county, upgrade, 98).status_code == 200
    for role in ("community", "client", "street"):
        refused(correct_area(client, tokens[role], upgrade, 97), 403, "role_not_allowed", None)
    assert correct_area(client, county, upgrade, 97).status_code == 200
    # the venue area is another figure, which the county has not corrected: still the community's
    venue = correct_area(client, tokens["community"], upgrade, 240, field="venue_area_m2")
    assert venue.status_code == 200, venue.text
    assert get(client, county, f"/communities/{TIEXI}")["state"]["funding_by_year"] == {
        "2026": "15500.00"
    }


def test_an_upgrade_of_one_area_leaves_the_other_in_the_list_as_in_the_state(demo: Demo) -> None:
    """Outside review 5: the list of communities set the other area to null after an upgrade
    that recorded one area, while the community's state kept it."""
    client, tokens = demo
    county = tokens["county"]
    upgrades = f"/communities/{TIEXI}/facility-upgrades"
    answer = post(client, county, upgrades, {"occurred_on": "2026-11-25", "office_area_m2": 110})
    assert answer.status_code == 200, answer.text
    state = get(client, county, f"/communities/{TIEXI}")["state"]
    listed = next(c for c in get(client, county, "/communities")["items"] if c["id"] == str(TIEXI))
    assert (listed["office_area_m2"], listed["venue_area_m2"]) == (110, state["venue_area_m2"])
    assert state["venue_area_m2"] == 240
