"""One valid example of every command, in an order that makes each valid in turn.

It is the whole domain in a page: the OpenAPI examples come from it, and the tests
run it end to end on both stores.
"""

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid5

from sansan.commands import Command
from sansan.commands import campaign as cc
from sansan.commands import community as co
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.commands import supervision as sc

NS = UUID("6f1c1a52-0000-4000-8000-000000000001")  # ids stay the same on every run


def i(name: str) -> UUID:
    return uuid5(NS, name)


D = date(2026, 3, 1)


def d(month: int, day: int = 1) -> date:
    return date(2026, month, day)


STREET, COMMUNITY, GB, BRANCH = i("street"), i("community"), i("gb"), i("branch")
MEMBER, DUAL, CAMPAIGN, ITEM, TEAM = i("member"), i("dual"), i("campaign"), i("item"), i("team")
INSPECTION, WORKER = i("inspection"), i("worker")
FIVE = (
    "leadership_team",
    "cadre_and_member_team",
    "working_mechanism",
    "work_results",
    "public_response",
)


def tour() -> list[Command]:
    """Every command once (one or two several times), ready to run against an empty store."""
    c = {"community_id": COMMUNITY, "occurred_on": d(4)}
    o = {"organization_id": GB, "occurred_on": d(4)}
    m = {"member_id": MEMBER, "occurred_on": d(5)}
    s = {"item_id": ITEM}
    return [
        cc.LaunchCampaign(
            id=CAMPAIGN, occurred_on=D, name="三三创建工程", plan_id="sansan-v1", county="示范县"
        ),
        oc.EstablishPartyOrganization(
            id=STREET, occurred_on=D, name="城关街道党工委", level="street_committee"
        ),
        co.RegisterCommunity(
            id=COMMUNITY, occurred_on=D, name="铁西社区", street_committee_id=STREET
        ),
        oc.EstablishPartyOrganization(
            id=GB,
            occurred_on=D,
            name="铁西社区党总支",
            level="general_branch",
            parent_id=STREET,
            community_id=COMMUNITY,
        ),
        oc.EstablishPartyOrganization(
            id=BRANCH,
            occurred_on=D,
            name="第一小区党支部",
            level="neighborhood_branch",
            parent_id=GB,
        ),
        cc.DesignateModelCommunity(
            campaign_id=CAMPAIGN, occurred_on=d(3, 5), community_id=COMMUNITY, model_type="service"
        ),
        co.UpgradeFacility(
            **c, office_area_m2=85, venue_area_m2=210.5, evidence_ref="县组发〔2026〕3号"
        ),
        co.AllocateFunding(**c, year=2026, amount_yuan=Decimal("10000.00"), source="县财政"),
        co.EstablishServiceStation(**c, station_name="铁西社区服务站"),
        co.EstablishCoordinationBody(**c, kind="joint_meeting"),
        co.HoldCoordinationMeeting(**c, kind="joint_meeting", topic="季度联席会"),
        co.AdoptWorkingSystem(**c, kind="deliberation", title="议事制度"),
        co.JoinResidentUnit(**c, unit_name="县供电公司"),
        co.RecognizeFeatureBrand(**c, brand="邻里帮", recognized_by="县委组织部"),
        co.AdoptCultureIdentityItem(**c, item="emblem", content="区徽"),
        co.OpenCultureFacility(**c, kind="gym", area_m2=80),
        co.FormTroupe(**c, kind="yangge", troupe_name="秧歌队"),
        co.HoldCultureFestival(**c, title="第一届文化节"),
        co.LaunchModelService(**c, kind="convenience", description="便民服务"),
        co.HoldCivilityRating(**c, kind="building", winners=3),
        co.AddCommunityWorker(**c, worker_id=WORKER, worker_name="李娜", role="社区专职工作者"),
        co.AssessFiveGoods(
            **c, year=2026, items=dict.fromkeys(FIVE, True), scores={"work_results": 95}
        ),
        co.DraftCreationPlan(**c, title="铁西社区创建规划"),
        co.RecommendToCity(**c, reason="服务型示范"),
        oc.AppointSecretary(**o, person_name="赵书记", also_director=True),
        oc.AddTeamMember(
            **o,
            team_member_id=TEAM,
            person_name="刘敏",
            birth_year=1985,
            birth_date=date(1985, 6, 1),
            education="bachelor",
            party_affairs_worker=True,
            newly_appointed=True,
        ),
        oc.CompleteTeamTraining(**o, team_member_id=TEAM, days=3, at_county_party_school=True),
        oc.RemoveTeamMember(**o, team_member_id=TEAM, reason="调任"),
        oc.FlagWeakTeam(**o, reason="组织生活不经常"),
        oc.RectifyWeakTeam(**o, measures="调整班子"),
        oc.EstablishStreetServiceCenter(
            organization_id=STREET, occurred_on=d(4), center_name="城关街道服务中心"
        ),
        mc.RegisterMember(
            id=MEMBER,
            occurred_on=d(4),
            name="王伟",
            category="direct",
            organization_id=BRANCH,
            birth_year=1970,
            birth_date=date(1970, 2, 3),
        ),
        mc.RegisterMember(
            id=DUAL,
            occurred_on=d(4),
            name="李静",
            category="dual",
            organization_id=BRANCH,
            workplace="县医院",
        ),
        mc.IssueCard(**m, card="household_contact", card_no="HC-001"),
        mc.RecordTraining(**m, days=2, method="lecture", topic="党课"),
        mc.AssignServicePost(**m, post="楼长", responsibility_area="1号楼"),
        mc.LogVolunteerService(**m, hours=3, activity="环境整治"),
        mc.RegisterHouseholdContact(**m, household="3单元201"),
        mc.MakeReliefPairing(**m, beneficiary="困难户张某"),
        mc.RecordInServiceFeedback(
            member_id=DUAL, occurred_on=d(6), unit_name="县医院", rating="excellent"
        ),
        mc.ChangeMemberCategory(**m, category="participating"),
        mc.TransferMemberOut(member_id=MEMBER, occurred_on=d(7), destination="外县"),
        cc.ScheduleInspection(
            campaign_id=CAMPAIGN,
            occurred_on=d(5),
            inspection_id=INSPECTION,
            scheduled_for=d(6),
            subject="春季督查",
            community_ids=[COMMUNITY],
        ),
        cc.ConductInspection(
            campaign_id=CAMPAIGN,
            occurred_on=d(6),
            inspection_id=INSPECTION,
            findings="良好",
            rating="good",
        ),
        cc.Commend(
            campaign_id=CAMPAIGN,
            occurred_on=d(7),
            unit_kind="community",
            unit_id=COMMUNITY,
            unit_name="铁西社区",
            reason="成效突出",
        ),
        cc.HoldAccountable(
            campaign_id=CAMPAIGN,
            occurred_on=d(7),
            unit_kind="person",
            unit_name="某某",
            reason="ineffective",
            detail="措施不力",
        ),
        cc.HoldExchangeMeeting(
            campaign_id=CAMPAIGN,
            occurred_on=d(8),
            title="经验交流会",
            model_community_ids=[COMMUNITY],
        ),
        sc.AssignSupervisionItem(
            id=ITEM,
            occurred_on=d(5),
            title="场所达标",
            assignee_org_id=GB,
            # within the three years a deadline may reach from its assignment on 1 May 2026
            due_on=date(2029, 3, 31),
            campaign_id=CAMPAIGN,
        ),
        sc.AcknowledgeSupervisionItem(**s, occurred_on=d(5, 2)),
        sc.StartSupervisionItem(**s, occurred_on=d(5, 3)),
        sc.RequestExtension(
            **s, occurred_on=d(5, 4), requested_due_on=date(2029, 4, 30), reason="施工"
        ),
        sc.RefuseExtension(**s, occurred_on=d(5, 5), reason="理由不足"),
        sc.RequestExtension(
            **s, occurred_on=d(5, 6), requested_due_on=date(2029, 4, 15), reason="施工延误"
        ),
        sc.ApproveExtension(**s, occurred_on=d(5, 7)),
        sc.UrgeSupervisionItem(**s, occurred_on=d(5, 8), message="请抓紧"),
        sc.ReportSupervisionItem(**s, occurred_on=d(6), summary="已完成"),
        sc.ReturnSupervisionItem(**s, occurred_on=d(6, 2), reason="材料不全"),
        sc.ReportSupervisionItem(**s, occurred_on=d(6, 3), summary="已补充"),
        sc.AcceptSupervisionItem(**s, occurred_on=d(6, 4), comment="通过"),
        sc.CloseSupervisionItem(**s, occurred_on=d(6, 5)),
        # Added by issue 15, at the end so that the tour's earlier positions stay put.
        co.RecordWorkerInsurance(
            **c, worker_id=WORKER, insurances=["pension", "medical", "unemployment"]
        ),
        co.RemoveCommunityWorker(**c, worker_id=WORKER, reason="调离"),
        co.FormVolunteerOrganization(
            **c, kind="community_volunteers", organization_name="铁西社区志愿者协会"
        ),
        co.SurveySatisfaction(**c, respondents=100, satisfied=92),
        cc.DesignatePilotCommunity(
            campaign_id=CAMPAIGN, occurred_on=d(3, 5), community_id=COMMUNITY
        ),
        oc.AssessStreetFiveGoods(
            organization_id=STREET, occurred_on=d(4), year=2026, items=dict.fromkeys(FIVE, True)
        ),
        oc.AdoptStreetWorkingSystem(
            organization_id=STREET, occurred_on=d(4), kind="deliberation", title="街道议事制度"
        ),
        oc.RecordMemberDevelopment(**o, person_name="陈晨", stage="activist"),
        oc.DraftStreetCreationPlan(
            organization_id=STREET, occurred_on=d(4), title="城关街道三三创建规划"
        ),
        co.AdoptResidentCode(**c, title="铁西社区居民公约"),
        cc.ReportPublicity(
            campaign_id=CAMPAIGN, occurred_on=d(8), outlet="县电视台", title="铁西社区邻里帮",
            community_ids=[COMMUNITY],
        ),
        # Last, so that the tour's earlier steps keep their places: the upgrade and the
        # allocation above are the community's versions 4 and 5.
        co.CorrectFacilityArea(
            community_id=COMMUNITY, occurred_on=d(8), corrected_version=4,
            corrected_field="office_area_m2", area_m2=86, reason="复核丈量为86平方米",
        ),
        co.CorrectFundingAmount(
            community_id=COMMUNITY, occurred_on=d(8), corrected_version=5,
            amount_yuan=Decimal("12000.00"), reason="拨款凭证金额为12000元",
        ),
    ]


def beyond_the_tour() -> list[Command]:
    """Commands the tour cannot run on a store with the shipped plans alone: changing the
    campaign's plan needs a second plan (or a new content of it) from SANSAN_PLANS_DIR."""
    return [
        cc.ChangeCampaignPlan(
            campaign_id=CAMPAIGN, occurred_on=d(9), plan_id="sansan-v2",
            reason="县委常委会审议通过修订后的实施方案",
        ),
    ]  # fmt: skip


def example_of(command_class: type[Command]) -> Command:
    """The tour's first use of a command (or its example beyond the tour)."""
    return next(c for c in [*tour(), *beyond_the_tour()] if type(c) is command_class)
