"""The demo scenario: one county, three streets, the plan's seven communities.

Ids are derived from names (uuid5), so the demo is the same on every machine and
loading it twice is refused rather than duplicated.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from sansan.application import SansanApplication
from sansan.commands import Command
from sansan.commands import campaign as cc
from sansan.commands import community as co
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.commands import supervision as sc
from sansan.domain.vocabulary import CultureIdentityItem, ModelType, ServiceKind, WorkingSystemKind

# The demo is recorded as the county's demo token records live: one spelling of one actor.
COUNTY_DEMO_LABEL = "县委组织部（演示）"
DEMO_ACTOR = f"county:{COUNTY_DEMO_LABEL}"
# The note every demo event carries: its history is recorded all at once when the demo loads,
# months after it "happened", and the dashboard says 演示数据 there instead of flagging 补录.
DEMO_NOTE = "演示数据"
PLAN_ID = "sansan-v1"
LAUNCH = date(2026, 3, 1)
COUNTY = "示范县"

# street → [(community, model type or None)]; the plan names the seven communities.
STREETS: dict[str, list[tuple[str, str | None]]] = {
    "城关街道": [("铁西", "service"), ("站前", "management"), ("镇西", "management")],
    "天河街道": [("天北", "service"), ("天南", "service")],
    "河东街道": [("河东", "culture"), ("镇郊", "culture")],
}
STANDARD_SITES = {"铁西": (96.0, 240.0), "天北": (82.0, 205.0), "站前": (60.0, 150.0)}
FUNDED = ("铁西", "天北", "天南", "站前", "河东")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def demo_id(kind: str, name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"sansan-demo:{kind}:{name}")


def day(offset: int) -> date:
    return LAUNCH + timedelta(days=offset)


@dataclass(frozen=True)
class DemoSummary:
    events: int
    by_type: Counter[str]
    communities: list[tuple[str, str, str, bool]]


def demo_commands(today: date | None = None) -> Iterator[Command]:
    """Every command of the scenario, in the order it happened; ``today`` (the China date it is
    recorded on) moves the open supervision item's deadline to it if the deadline has passed,
    as an item is never assigned already overdue."""
    campaign_id = demo_id("campaign", COUNTY)
    yield cc.LaunchCampaign(
        id=campaign_id,
        occurred_on=LAUNCH,
        name=f"{COUNTY}三三创建工程",
        plan_id=PLAN_ID,
        county=COUNTY,
    )
    person = 0
    for s, (street, communities) in enumerate(STREETS.items()):
        street_id = demo_id("org", street)
        yield oc.EstablishPartyOrganization(
            id=street_id, occurred_on=LAUNCH, name=f"{street}党工委", level="street_committee"
        )
        yield oc.EstablishStreetServiceCenter(
            organization_id=street_id, occurred_on=day(20 + s), center_name=f"{street}服务中心"
        )
        yield from _street(street, street_id, s)
        for c, (name, model_type) in enumerate(communities):
            yield from _community(campaign_id, street_id, name, model_type, c)
            for category_index in range(6):
                person += 1
                yield from _member(name, person, category_index)
    yield from _campaign_actions(campaign_id, today)


FIVE_GOODS = (
    "leadership_team", "cadre_and_member_team", "working_mechanism", "work_results",
    "public_response",
)  # fmt: skip


def _street(street: str, street_id: UUID, index: int) -> Iterator[Command]:
    """Street working systems (all four in the first street, fewer after) and, for the
    first two streets, a five-goods assessment (the second misses one item)."""
    for w, kind in enumerate(["deliberation", "decision", "service", "activity"][: 4 - index]):
        yield oc.AdoptStreetWorkingSystem(
            organization_id=street_id, occurred_on=day(25 + w), kind=kind,
            title=f"{street}党工委{WorkingSystemKind(kind).label_zh}",
        )  # fmt: skip
    if index < 2:
        yield oc.AssessStreetFiveGoods(
            organization_id=street_id, occurred_on=day(255), year=LAUNCH.year,
            items=dict.fromkeys(FIVE_GOODS, True) | {"public_response": index == 0},
        )  # fmt: skip


def _community(
    campaign_id: UUID, street_id: UUID, name: str, model_type: str | None, index: int
) -> Iterator[Command]:
    cid, gb = demo_id("community", name), demo_id("org", f"{name}社区党总支")
    yield co.RegisterCommunity(
        id=cid, occurred_on=LAUNCH, name=f"{name}社区", street_committee_id=street_id
    )
    yield oc.EstablishPartyOrganization(
        id=gb,
        occurred_on=day(3),
        name=f"{name}社区党总支",
        level="general_branch",
        parent_id=street_id,
        community_id=cid,
    )
    yield oc.AppointSecretary(
        organization_id=gb, occurred_on=day(5), person_name=f"{name}书记", also_director=index == 0
    )
    for n in (1, 2):
        branch = demo_id("org", f"{name}第{n}小区党支部")
        yield oc.EstablishPartyOrganization(
            id=branch, occurred_on=day(10), name=f"{name}第{n}小区党支部",
            level="neighborhood_branch", parent_id=gb,
        )  # fmt: skip
        yield oc.EstablishPartyOrganization(
            id=demo_id("org", f"{name}第{n}小区1号楼党小组"), occurred_on=day(12),
            name=f"{name}第{n}小区1号楼党小组", level="building_group", parent_id=branch,
        )  # fmt: skip
    if model_type:
        yield cc.DesignateModelCommunity(
            campaign_id=campaign_id, occurred_on=day(7), community_id=cid, model_type=model_type
        )
    for t, (birth, edu, newly) in enumerate(
        [
            (1980 + index, "bachelor", False),
            (1972, "senior_high", False),
            (1990, "junior_college", True),
        ]
    ):
        tm = demo_id("team", f"{name}-{t}")
        born = date(birth, 1 + index * 4, 10 + t) if t != 1 else None  # some dates, some years
        yield oc.AddTeamMember(
            organization_id=gb, occurred_on=day(6), team_member_id=tm,
            person_name=f"{name}委员{t + 1}", birth_year=birth, birth_date=born, education=edu,
            party_affairs_worker=t == 2, cross_appointed=t == 0, newly_appointed=newly,
        )  # fmt: skip
        if index != 2:
            yield oc.CompleteTeamTraining(
                organization_id=gb, occurred_on=day(60 + t), team_member_id=tm,
                days=3 if not newly else 4, at_county_party_school=newly,
            )  # fmt: skip
    for w, kind in enumerate(["deliberation", "decision", "service", "activity"][: 4 - index]):
        yield co.AdoptWorkingSystem(
            community_id=cid,
            occurred_on=day(30 + w),
            kind=kind,
            title=f"{name}社区{WorkingSystemKind(kind).label_zh}",
        )
    for b, kind in enumerate(["guidance_committee", "joint_meeting"]):
        yield co.EstablishCoordinationBody(community_id=cid, occurred_on=day(40 + b), kind=kind)
        yield co.HoldCoordinationMeeting(
            community_id=cid, occurred_on=day(120 + b), kind=kind, topic="共驻共建季度例会"
        )
    yield co.JoinResidentUnit(community_id=cid, occurred_on=day(45), unit_name=f"{name}供电所")
    yield co.EstablishServiceStation(
        community_id=cid, occurred_on=day(50), station_name=f"{name}社区服务站"
    )
    if name in STANDARD_SITES:
        office, venue = STANDARD_SITES[name]
        yield co.UpgradeFacility(
            community_id=cid, occurred_on=day(150), office_area_m2=office, venue_area_m2=venue,
            evidence_ref=f"县组发〔2026〕{10 + index}号",
        )  # fmt: skip
    if name in FUNDED:
        yield co.AllocateFunding(
            community_id=cid, occurred_on=day(90), year=LAUNCH.year,
            amount_yuan=Decimal("12000.00"), source="县财政",
        )  # fmt: skip
    worker = demo_id("worker", f"{name}社工")
    yield co.AddCommunityWorker(
        community_id=cid, occurred_on=day(20), worker_id=worker, worker_name=f"{name}社工",
        role="社区专职工作者",
    )  # fmt: skip
    yield co.RecordWorkerInsurance(
        community_id=cid, occurred_on=day(100), worker_id=worker,
        insurances=["pension", "medical", "unemployment"][: 3 - index % 2],
    )  # fmt: skip
    yield from _model_type_items(cid, name, model_type)


def _model_type_items(cid: UUID, name: str, model_type: str | None) -> Iterator[Command]:
    if model_type == "service":
        for k, kind in enumerate(["convenience", "relief", "reemployment", "social_security"]):
            yield co.LaunchModelService(
                community_id=cid,
                occurred_on=day(70 + k),
                kind=kind,
                description=f"{name}社区{ServiceKind(kind).label_zh}",
            )
    if name == "铁西":
        yield co.RecognizeFeatureBrand(
            community_id=cid, occurred_on=day(200), brand="铁西·邻里帮", recognized_by="县委组织部"
        )
        yield co.RecommendToCity(
            community_id=cid, occurred_on=day(210), reason="服务型社区建设成效明显"
        )
    if model_type == "culture":
        for k, item in enumerate(["emblem", "song", "goal", "spirit"]):
            yield co.AdoptCultureIdentityItem(
                community_id=cid,
                occurred_on=day(80 + k),
                item=item,
                content=f"{name}社区{CultureIdentityItem(item).label_zh}",
            )
        yield co.OpenCultureFacility(
            community_id=cid, occurred_on=day(95), kind="library", area_m2=60
        )
        yield co.FormTroupe(
            community_id=cid, occurred_on=day(96), kind="yangge", troupe_name=f"{name}秧歌队"
        )
        yield co.HoldCultureFestival(
            community_id=cid, occurred_on=day(180), title=f"{name}社区第一届文化节"
        )


def _member(community: str, n: int, index: int) -> Iterator[Command]:
    category = ("direct", "direct", "dual", "dual", "participating", "participating")[index]
    mid = demo_id("member", f"{community}-{n}")
    branch = demo_id("org", f"{community}第{1 + index % 2}小区党支部")
    yield mc.RegisterMember(
        id=mid, occurred_on=day(15), name=SURNAMES[n % 20] + GIVEN[(n * 7) % 20],
        category=category, organization_id=branch, birth_year=1950 + (n * 3) % 50,
        birth_date=date(1950 + (n * 3) % 50, 1 + n % 12, 1 + n % 28) if n % 2 else None,
        workplace="县供电公司" if category == "dual" else None,
    )  # fmt: skip
    yield mc.IssueCard(member_id=mid, occurred_on=day(20), card="community_activity")
    if index % 3 != 2:
        card = {"direct": "household_contact", "dual": "in_service_feedback"}.get(
            category, "floating_management"
        )
        yield mc.IssueCard(member_id=mid, occurred_on=day(21), card=card)
    for t in range(1 + n % 4):
        yield mc.RecordTraining(
            member_id=mid, occurred_on=day(30 + 40 * t), days=2, method="lecture", topic="党课"
        )
    if category == "dual":
        yield mc.RecordInServiceFeedback(
            member_id=mid, occurred_on=day(150), unit_name="县供电公司", rating="good"
        )
    if index == 0:
        yield mc.AssignServicePost(
            member_id=mid, occurred_on=day(25), post="楼院信息员", responsibility_area="1号楼"
        )
        yield mc.LogVolunteerService(
            member_id=mid, occurred_on=day(61), hours=3, activity="环境整治"
        )


def _campaign_actions(campaign_id: UUID, today: date | None) -> Iterator[Command]:
    yield cc.DesignatePilotCommunity(
        campaign_id=campaign_id, occurred_on=day(7), community_id=demo_id("community", "铁西")
    )
    inspection = demo_id("inspection", "2026-autumn")
    yield cc.ScheduleInspection(
        campaign_id=campaign_id, occurred_on=day(180), inspection_id=inspection,
        scheduled_for=day(240), subject="创建工作秋季督查",
        community_ids=[demo_id("community", n) for n in ("铁西", "镇郊")],
    )  # fmt: skip
    yield cc.ConductInspection(
        campaign_id=campaign_id, occurred_on=day(240), inspection_id=inspection,
        findings="铁西社区成效明显；镇郊社区进度迟缓", rating="pass",
    )  # fmt: skip
    item = demo_id("supervision", "镇郊-standard-site")
    yield sc.AssignSupervisionItem(
        id=item, occurred_on=day(241), title="镇郊社区办公用房和活动场所达标",
        description="督查发现办公用房不足 80 平方米，限期整改", campaign_id=campaign_id,
        assignee_org_id=demo_id("org", "镇郊社区党总支"),
        due_on=day(300) if today is None else max(day(300), today),
    )  # fmt: skip
    yield sc.AcknowledgeSupervisionItem(item_id=item, occurred_on=day(242))
    yield cc.Commend(
        campaign_id=campaign_id, occurred_on=day(250), unit_kind="community",
        unit_id=demo_id("community", "铁西"), unit_name="铁西社区", reason="服务型示范社区成效突出",
    )  # fmt: skip
    yield cc.HoldAccountable(
        campaign_id=campaign_id, occurred_on=day(250), unit_kind="community",
        unit_id=demo_id("community", "镇郊"), unit_name="镇郊社区", reason="slow",
        detail="标准化社区建设进度迟缓",
    )  # fmt: skip
    yield cc.HoldExchangeMeeting(
        campaign_id=campaign_id, occurred_on=day(260), title="服务型社区创建经验交流会",
        model_community_ids=[demo_id("community", "铁西")],
    )  # fmt: skip


def load_demo(
    app: SansanApplication, on_step: Callable[[Command], None] = lambda _: None
) -> DemoSummary:
    """Record the whole scenario; refuse if the store already holds anything."""
    if app.recorder.max_notification_id():
        raise DemoAlreadyLoaded("the store is not empty; the demo loads only into an empty store")
    by_type: Counter[str] = Counter()
    for command in demo_commands(app.clock.today()):
        noted = command if command.note else command.model_copy(update={"note": DEMO_NOTE})
        result = app.execute(noted, actor=DEMO_ACTOR)
        by_type.update(e.type for e in result.events)
        on_step(command)
    return DemoSummary(sum(by_type.values()), by_type, _community_rows(app))


def _community_rows(app: SansanApplication) -> list[tuple[str, str, str, bool]]:
    """(street, community, model type, standardized site) as now stored."""
    rows = []
    for street, communities in STREETS.items():
        for name, _ in communities:
            c = app.get(demo_id("community", name))
            model = ModelType(c.model_type).label_zh if c.model_type else "-"
            standard = (c.office_area_m2 or 0) >= 80 and (c.venue_area_m2 or 0) >= 200
            rows.append((street, c.name, model, standard))
    return rows


class DemoAlreadyLoaded(Exception):
    pass


def demo_token_scopes() -> dict[str, tuple[str, UUID | None]]:
    """One demo principal per role: label → (role, scope organization)."""
    street = demo_id("org", "城关街道")
    tiexi = demo_id("org", "铁西社区党总支")
    return {
        COUNTY_DEMO_LABEL: ("county", None),
        "城关街道党工委（演示）": ("street", street),
        "铁西社区党总支（演示）": ("community", tiexi),
        "审计、纪检（演示）": ("auditor", None),
        "铁西对接系统（演示）": ("client", tiexi),
    }
