"""A hand-worked scenario: every target of the shipped plan at three as_of dates.

Launch 2026-03-01, so the launch-year deadline is 2026-12-31 (warnings from 2026-11-01
for 60-day windows). One street, three communities: A (铁西社区, service type), B
(management type), C (no type, its general branch only from 2026-07-01). The expected
figures below were worked out by hand from DOMAIN.md's rules, not by running the code.
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest
from openpyxl import load_workbook

from sansan.application import SansanApplication
from sansan.bootstrap import Services, build_services
from sansan.clock import FixedClock
from sansan.commands import Command
from sansan.commands import campaign as cc
from sansan.commands import community as co
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.plans import get_plan, parse_plan
from sansan.projections.compliance import evaluate
from sansan.settings import Settings

LAUNCH = date(2026, 3, 1)
BEFORE, AT, AFTER = date(2026, 6, 30), date(2026, 12, 31), date(2027, 1, 15)


def i(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"compliance-test:{name}")


CAMPAIGN, STREET = i("campaign"), i("street")
A, B, C = i("A"), i("B"), i("C")
GB = {A: i("gbA"), B: i("gbB"), C: i("gbC")}


def d(y: int, m: int, day: int) -> date:
    return date(y, m, day)


def scenario() -> Iterator[Command]:
    yield cc.LaunchCampaign(
        id=CAMPAIGN, occurred_on=LAUNCH, name="三三创建", plan_id="sansan-v1", county="测试县"
    )
    yield oc.EstablishPartyOrganization(
        id=STREET, occurred_on=LAUNCH, name="测试街道党工委", level="street_committee"
    )
    for cid, name in ((A, "铁西社区"), (B, "乙社区"), (C, "丙社区")):
        yield co.RegisterCommunity(
            id=cid, occurred_on=LAUNCH, name=name, street_committee_id=STREET
        )
    for cid, day in ((A, LAUNCH), (B, LAUNCH), (C, d(2026, 7, 1))):
        yield oc.EstablishPartyOrganization(
            id=GB[cid],
            occurred_on=day,
            name=f"{cid}党总支",
            level="general_branch",
            parent_id=STREET,
            community_id=cid,
        )
    yield cc.DesignateModelCommunity(
        campaign_id=CAMPAIGN, occurred_on=LAUNCH, community_id=A, model_type="service"
    )
    yield cc.DesignatePilotCommunity(campaign_id=CAMPAIGN, occurred_on=LAUNCH, community_id=A)
    yield cc.DesignateModelCommunity(
        campaign_id=CAMPAIGN, occurred_on=LAUNCH, community_id=B, model_type="management"
    )
    # the leadership teams
    team = [  # (key, community, born, education, new, joined)
        ("a1", A, 1985, "bachelor", False, LAUNCH),
        ("a2", A, 1970, "senior_high", True, LAUNCH),
        ("b1", B, 1990, "junior_college", True, LAUNCH),
        ("b2", B, 1960, "bachelor", False, LAUNCH),
        ("c1", C, 1988, "technical_secondary", False, d(2026, 7, 1)),
    ]
    for key, cid, born, edu, new, joined in team:
        yield oc.AddTeamMember(
            organization_id=GB[cid],
            occurred_on=joined,
            team_member_id=i(key),
            person_name=key,
            birth_year=born,
            education=edu,
            newly_appointed=new,
        )
    for key, cid, day, days, school in (
        ("a1", A, d(2026, 5, 10), 3, False),
        ("a2", A, d(2026, 9, 1), 4, True),
        ("b1", B, d(2026, 5, 20), 2, True),
        ("c1", C, d(2026, 12, 1), 3, False),
    ):
        yield oc.CompleteTeamTraining(
            organization_id=GB[cid],
            occurred_on=day,
            team_member_id=i(key),
            days=days,
            at_county_party_school=school,
        )
    # working systems
    for kind in ("deliberation", "decision", "service", "activity"):
        yield co.AdoptWorkingSystem(
            community_id=A, occurred_on=d(2026, 5, 1), kind=kind, title=kind
        )
    for kind, day in (
        ("deliberation", d(2026, 5, 1)),
        ("decision", d(2026, 5, 1)),
        ("service", d(2027, 1, 10)),
        ("activity", d(2027, 1, 10)),
    ):
        yield co.AdoptWorkingSystem(community_id=B, occurred_on=day, kind=kind, title=kind)
    # members, cards, training, posts
    yield oc.EstablishPartyOrganization(
        id=i("nbA"), occurred_on=LAUNCH, name="A支部", level="neighborhood_branch", parent_id=GB[A]
    )
    yield oc.EstablishPartyOrganization(
        id=i("nbB"), occurred_on=LAUNCH, name="B支部", level="neighborhood_branch", parent_id=GB[B]
    )
    yield oc.EstablishPartyOrganization(
        id=i("nbC"),
        occurred_on=d(2026, 7, 1),
        name="C支部",
        level="neighborhood_branch",
        parent_id=GB[C],
    )
    yield mc.RegisterMember(
        id=i("m1"),
        occurred_on=d(2026, 3, 10),
        name="甲",
        category="direct",
        organization_id=i("nbA"),
    )
    yield mc.RegisterMember(
        id=i("m2"), occurred_on=d(2026, 3, 10), name="乙", category="dual", organization_id=i("nbB")
    )
    yield mc.RegisterMember(
        id=i("m3"),
        occurred_on=d(2026, 7, 10),
        name="丙",
        category="participating",
        organization_id=i("nbC"),
    )
    for member, card, day in (
        ("m1", "community_activity", d(2026, 4, 1)),
        ("m1", "volunteer_activity", d(2026, 4, 1)),
        ("m1", "household_contact", d(2026, 4, 1)),
        ("m2", "community_activity", d(2026, 4, 1)),
        ("m2", "in_service_feedback", d(2026, 4, 1)),
        ("m2", "volunteer_activity", d(2026, 11, 15)),
        ("m2", "household_contact", d(2026, 11, 15)),
        ("m3", "community_activity", d(2026, 7, 15)),
    ):
        yield mc.IssueCard(member_id=i(member), occurred_on=day, card=card)
    for member, day, days in (
        ("m1", d(2026, 4, 15), 6),
        ("m2", d(2026, 5, 1), 3),
        ("m2", d(2026, 12, 20), 3),
        ("m3", d(2026, 8, 1), 2),
        ("m1", d(2027, 1, 10), 6),
    ):
        yield mc.RecordTraining(
            member_id=i(member), occurred_on=day, days=days, method="lecture", topic="党课"
        )
    yield mc.AssignServicePost(member_id=i("m2"), occurred_on=d(2026, 6, 1), post="楼长")
    # co-building
    for kind in (
        "guidance_committee",
        "coordination_committee",
        "joint_meeting",
        "volunteer_association",
    ):
        yield co.EstablishCoordinationBody(community_id=A, occurred_on=d(2026, 4, 1), kind=kind)
        yield co.HoldCoordinationMeeting(
            community_id=A, occurred_on=d(2026, 6, 1), kind=kind, topic="例会"
        )
    yield co.EstablishCoordinationBody(
        community_id=B, occurred_on=d(2026, 8, 1), kind="joint_meeting"
    )
    yield oc.EstablishPartyOrganization(
        occurred_on=d(2026, 8, 1), name="B两新党支部", level="two_new", parent_id=GB[B]
    )
    # service network
    yield oc.EstablishStreetServiceCenter(
        organization_id=STREET, occurred_on=d(2026, 4, 1), center_name="街道服务中心"
    )
    yield co.EstablishServiceStation(community_id=A, occurred_on=d(2026, 4, 1), station_name="A站")
    yield co.EstablishServiceStation(community_id=B, occurred_on=d(2026, 9, 1), station_name="B站")
    # sites
    yield co.UpgradeFacility(
        community_id=A, occurred_on=d(2026, 5, 1), office_area_m2=85, venue_area_m2=210
    )
    yield co.UpgradeFacility(
        community_id=B, occurred_on=d(2026, 5, 1), office_area_m2=90, venue_area_m2=150
    )
    yield co.UpgradeFacility(community_id=B, occurred_on=d(2026, 10, 1), venue_area_m2=220)
    # funding
    yield co.AllocateFunding(
        community_id=A, occurred_on=d(2026, 4, 1), year=2026, amount_yuan=Decimal(10000)
    )
    yield co.AllocateFunding(
        community_id=B, occurred_on=d(2026, 4, 1), year=2026, amount_yuan=Decimal(6000)
    )
    yield co.AllocateFunding(
        community_id=B, occurred_on=d(2026, 12, 15), year=2026, amount_yuan=Decimal(4000)
    )
    yield co.AllocateFunding(
        community_id=A, occurred_on=d(2027, 1, 5), year=2027, amount_yuan=Decimal(12000)
    )
    # insurance, over the roster of community workers
    for worker, cid in (("w1", A), ("w2", B)):
        yield co.AddCommunityWorker(
            community_id=cid, occurred_on=d(2026, 4, 1), worker_id=i(worker), worker_name=worker,
            role="社工",
        )  # fmt: skip
    yield co.RecordWorkerInsurance(
        community_id=A,
        occurred_on=d(2026, 4, 1),
        worker_id=i("w1"),
        insurances=["pension", "medical", "unemployment"],
    )
    yield co.RecordWorkerInsurance(
        community_id=B,
        occurred_on=d(2026, 4, 1),
        worker_id=i("w2"),
        insurances=["pension", "medical"],
    )
    yield co.RecordWorkerInsurance(
        community_id=B,
        occurred_on=d(2026, 12, 1),
        worker_id=i("w2"),
        insurances=["pension", "medical", "unemployment"],
    )
    # 铁西: recommended, services, brand
    yield co.RecommendToCity(community_id=A, occurred_on=d(2026, 10, 1), reason="示范")
    for kind, day in (
        ("convenience", d(2026, 6, 1)),
        ("relief", d(2026, 6, 1)),
        ("reemployment", d(2027, 1, 10)),
    ):
        yield co.LaunchModelService(community_id=A, occurred_on=day, kind=kind, description=kind)
    yield co.RecognizeFeatureBrand(
        community_id=A, occurred_on=d(2026, 10, 1), brand="邻里帮", recognized_by="县委组织部"
    )
    # five goods
    five = [
        "leadership_team",
        "cadre_and_member_team",
        "working_mechanism",
        "work_results",
        "public_response",
    ]
    yield co.AssessFiveGoods(
        community_id=A, occurred_on=d(2026, 12, 20), year=2026, items=dict.fromkeys(five, True)
    )
    yield co.AssessFiveGoods(
        community_id=B,
        occurred_on=d(2026, 12, 20),
        year=2026,
        items=dict.fromkeys(five, True) | {"public_response": False},
    )


BY_YEAR = "（其中%d人仅有出生年份，按年计算）"  # every cadre here has a birth year only
# target → {date: (status, measured)} — worked out by hand. On 15 January 2027 the yearly
# targets show 2026, the year just ended and missed (red), not 2027's fresh tally.
EXPECTED = {
    "network":              {BEFORE: ("red", "2/3个社区"),        AT: ("green", "3/3个社区"),      AFTER: ("green", "3/3个社区")},
    "team-age":             {BEFORE: ("not_due", f"50%（2/4人）{BY_YEAR % 4}"), AT: ("green", f"60%（3/5人）{BY_YEAR % 5}"), AFTER: ("green", f"60%（3/5人）{BY_YEAR % 5}")},
    "team-education":       {BEFORE: ("not_due", "75%（3/4人）"), AT: ("green", "80%（4/5人）"), AFTER: ("green", "80%（4/5人）")},
    "team-training":        {BEFORE: ("not_due", "1/4人"),    AT: ("yellow", "3/5人"),     AFTER: ("red", "3/5人")},
    "new-cadre-training":   {BEFORE: ("not_due", "1/2人"),    AT: ("green", "2/2人"),      AFTER: ("green", "2/2人")},
    "systems":              {BEFORE: ("not_due", "1/3个社区"),    AT: ("yellow", "1/3个社区"),     AFTER: ("red", "2/3个社区")},
    "cards":                {BEFORE: ("not_due", "1/2人"),    AT: ("yellow", "2/3人"),     AFTER: ("red", "2/3人")},
    "member-training":      {BEFORE: ("not_due", "1/2人"),    AT: ("yellow", "2/3人"),     AFTER: ("red", "2/3人")},
    "co-building":          {BEFORE: ("not_due", "1/3个社区"),    AT: ("yellow", "1/3个社区"),     AFTER: ("red", "1/3个社区")},
    "service-network":      {BEFORE: ("not_due", "1/3个社区"),    AT: ("not_due", "2/3个社区"),    AFTER: ("not_due", "2/3个社区")},
    "standard-sites-first": {BEFORE: ("not_due", "1个社区"), AT: ("green", "2个社区"), AFTER: ("green", "2个社区")},
    "standard-sites-all":   {BEFORE: ("not_due", "1/3个社区"),    AT: ("not_due", "2/3个社区"),    AFTER: ("not_due", "2/3个社区")},
    "funding":              {BEFORE: ("not_due", "1/3个社区"),    AT: ("yellow", "2/3个社区"),     AFTER: ("red", "2/3个社区")},
    "insurance":            {BEFORE: ("not_due", "1/2人"),    AT: ("green", "2/2人"),      AFTER: ("green", "2/2人")},
    "model-tiexi":          {BEFORE: ("not_due", "0/1个社区"),    AT: ("yellow", "0/1个社区"),     AFTER: ("green", "1/1个社区")},
    "model-types":          {BEFORE: ("not_due", "0/2个社区"),    AT: ("not_due", "0/2个社区"),    AFTER: ("not_due", "1/2个社区")},
    "five-goods":           {BEFORE: ("not_due", "0%（0/3个社区）"), AT: ("not_due", "33%（1/3个社区）"), AFTER: ("not_due", "33%（1/3个社区）")},
    "brand":                {BEFORE: ("not_due", "0%（0/3个社区）"), AT: ("not_due", "33%（1/3个社区）"), AFTER: ("not_due", "33%（1/3个社区）")},
    "street-five-goods":    {BEFORE: ("not_due", "0/1个街道"),    AT: ("not_due", "0/1个街道"),    AFTER: ("not_due", "0/1个街道")},
    "street-systems":       {BEFORE: ("not_due", "0/1个街道"),    AT: ("not_due", "0/1个街道"),    AFTER: ("not_due", "0/1个街道")},
}  # fmt: skip


@pytest.fixture
def services(app: SansanApplication, settings: Settings, clock: FixedClock) -> Iterator[Services]:
    for command in scenario():  # each recorded on the day it occurred (noon, China time)
        clock.set(datetime.combine(command.occurred_on, time(4), tzinfo=UTC))
        app.execute(command, actor="test")
    clock.set(datetime(2027, 2, 1, tzinfo=UTC))  # everything in the scenario has happened
    built = build_services(settings, clock, app)
    built.projections.catch_up()
    yield built
    built.store.close()


def test_the_expected_figures_cover_every_target_of_the_plan() -> None:
    plan = get_plan("sansan-v1")
    assert plan is not None
    assert list(EXPECTED) == [t.id for t in plan.targets]


@pytest.mark.parametrize("as_of", [BEFORE, AT, AFTER], ids=["before", "at-deadline", "after"])
def test_every_target_at_three_dates_matches_the_hand_worked_figures(
    services: Services, as_of: date
) -> None:
    plan = get_plan("sansan-v1")
    assert plan is not None
    results = {
        r.id: (r.status, r.measured_text)
        for r in evaluate(services.store, plan, launch=LAUNCH, as_of=as_of)
    }
    assert results == {target: by_date[as_of] for target, by_date in EXPECTED.items()}


def test_failing_units_are_named_with_the_reason(services: Services) -> None:
    plan = get_plan("sansan-v1")
    assert plan is not None
    results = {r.id: r for r in evaluate(services.store, plan, launch=LAUNCH, as_of=AT)}
    assert [(f.unit_name, f.reason_zh) for f in results["funding"].failing] == [
        ("丙社区", "未记录2026年经费")  # nothing allocated: not "0元" (review 3, finding 14)
    ]
    assert {f.unit_name for f in results["team-training"].failing} == {"b1（乙社区）", "b2（乙社区）"}
    sites = {f.unit_name: f.reason_zh for f in results["standard-sites-all"].failing}
    assert sites == {"丙社区": "未记录阵地面积"}
    assert results["standard-sites-first"].failing == []  # met, so nobody is named


def test_a_scorecard_shows_one_community_against_its_own_targets(services: Services) -> None:
    plan = get_plan("sansan-v1")
    assert plan is not None
    card = {r.id: (r.status, r.measured_text) for r in
            evaluate(services.store, plan, launch=LAUNCH, as_of=AT, communities=[B], scorecard=True)}  # fmt: skip
    assert "team-age" not in card  # county-wide shares are not a community's own
    assert "street-systems" not in card  # nor its street committee's own targets
    assert card["funding"] == ("green", "10,000元")  # its own money for 2026, in yuan
    assert card["systems"] == ("yellow", "0/1个社区")
    assert card["cards"] == ("green", "1/1人")


def test_another_county_s_plan_with_other_numbers_is_evaluated_with_no_code_change(
    services: Services,
) -> None:
    shipped = get_plan("sansan-v1")
    assert shipped is not None
    data = shipped.model_dump(mode="json")
    data["id"] = "other-county"
    for target in data["targets"]:
        if target["id"] == "funding":
            target["params"]["min_yuan"] = 5000
        if target["id"] == "standard-sites-first":
            target["threshold"] = 3
        if target["id"] == "systems":
            target["params"]["count"] = 2
            target["due"] = {"kind": "years_after_launch", "years": 2}
    other = parse_plan(json.dumps(data))
    results = {
        r.id: (r.status, r.measured_text, r.due_on)
        for r in evaluate(services.store, other, launch=LAUNCH, as_of=BEFORE)
    }
    assert results["funding"][:2] == ("not_due", "2/3个社区")  # B's 6,000 now suffices
    assert results["standard-sites-first"][:2] == ("not_due", "1个社区")
    assert results["systems"] == ("not_due", "2/3个社区", date(2028, 3, 1))


def test_progress_exports_as_csv_and_xlsx_with_chinese_headers(
    services: Services, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from sansan.api.app import create_app

    token, _ = services.access.issue_token(role="county", scope_org_id=None, label="县", actor="t")
    client = TestClient(create_app(services.settings, application=services.app))
    auth = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/campaigns/{CAMPAIGN}/progress"
    as_json = client.get(path, params={"as_of": AT.isoformat()}, headers=auth).json()
    assert as_json["summary"] == {
        "green": 6, "yellow": 7, "red": 0, "not_due": 7, "no_data": 0, "not_applicable": 0
    }  # fmt: skip
    as_csv = client.get(path, params={"as_of": AT.isoformat(), "format": "csv"}, headers=auth)
    table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert table[0] == [f"三三创建·创建工程进度（评估日期：{AT.isoformat()}）"]
    assert table[1] == [
        "目标",
        "条款",
        "状态",
        "实测值",
        "达标程度",
        "标准",
        "截止日期",
        "责任主体",
        "未达标数",
        "未达标名单及原因",
        "上一年度结论",
        "本年度进度",
    ]
    assert table[14] == ["社区办公经费", "§四(二)3", "临近期限未达标", "2/3个社区", "67%", "每个社区10,000元",
                         "2026-12-31", "县委组织部", "1个社区", "丙社区：未记录2026年经费", "",
                         "2026年：临近期限未达标，2/3个社区"]  # fmt: skip
    as_xlsx = client.get(path, params={"as_of": AT.isoformat(), "format": "xlsx"}, headers=auth)
    (tmp_path / "p.xlsx").write_bytes(as_xlsx.content)
    sheet = load_workbook(tmp_path / "p.xlsx").active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:4] == ["目标", "条款", "状态", "实测值"]
    assert sheet.cell(row=3, column=3).value == "已达标"
