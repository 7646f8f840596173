"""Commands on a community (社区)."""

from typing import ClassVar
from uuid import UUID, uuid4

from pydantic import Field

from sansan.commands.base import (
    Amount,
    Command,
    CommandContext,
    Creation,
    Integer,
    Name,
    OptionalName,
    Real,
    Text,
)
from sansan.domain import Community, PartyOrganization
from sansan.domain.base import SansanAggregate
from sansan.domain.vocabulary import (
    CivilityRatingKind,
    CoordinationBodyKind,
    CultureFacilityKind,
    CultureIdentityItem,
    FiveGoodsItem,
    InsuranceKind,
    OriginKind,
    ServiceKind,
    SiteArea,
    TroupeKind,
    VolunteerOrgKind,
    WorkingSystemKind,
)


class RegisterCommunity(Creation):
    """登记社区 / Register a community under its street working committee."""

    aggregate = Community
    name: Name
    street_committee_id: UUID
    origin: OriginKind = OriginKind.EXISTING

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        street = ctx.load(PartyOrganization, self.street_committee_id)
        return [
            Community.register(
                ctx.prov, id=self.id, name=self.name, street_committee=street, origin=self.origin
            )
        ]


class CommunityCommand(Command):
    aggregate: ClassVar[type[SansanAggregate]] = Community
    target = "community_id"
    community_id: UUID


class UpgradeFacility(CommunityCommand):
    """记录办公用房和活动场所建设 / Record upgraded office and activity-venue areas (m²)."""

    operation = "upgrade_facility"
    office_area_m2: Real | None = Field(None, examples=[85.0])
    venue_area_m2: Real | None = Field(None, examples=[210.0])


class AllocateFunding(CommunityCommand):
    """划拨社区办公经费 / Record funding allocated to the community for a year (yuan)."""

    operation = "allocate_funding"
    year: Integer = Field(examples=[2026])
    amount_yuan: Amount = Field(max_digits=14, decimal_places=2, examples=["10000.00"])
    source: OptionalName = None


class CorrectFacilityArea(CommunityCommand):
    """更正办公用房和活动场所面积 / Correct the area a recorded facility upgrade gave (a typo)."""

    corrected_version: Integer = Field(
        ge=1, le=2**31 - 1, examples=[4],
        description="要更正的办公用房和活动场所建设记录的版本号（见变更时间线）"
        " / the upgrade's version",
    )  # fmt: skip
    corrected_field: SiteArea
    area_m2: Real = Field(examples=[100.0], description="更正后的面积 / the right area (m²)")
    reason: Text

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        community = ctx.load(Community, self.community_id)
        community.correct_facility_area(
            ctx.prov, log=ctx.log(self.community_id), corrected_version=self.corrected_version,
            corrected_field=self.corrected_field, area_m2=self.area_m2, reason=self.reason,
        )  # fmt: skip
        return [community]


class CorrectFundingAmount(CommunityCommand):
    """更正社区办公经费金额 / Correct the amount a recorded funding allocation gave (a typo)."""

    corrected_version: Integer = Field(
        ge=1, le=2**31 - 1, examples=[5],
        description="要更正的经费划拨记录的版本号（见变更时间线） / the allocation's version",
    )  # fmt: skip
    amount_yuan: Amount = Field(max_digits=14, decimal_places=2, examples=["12000.00"])
    reason: Text

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        community = ctx.load(Community, self.community_id)
        community.correct_funding_amount(
            ctx.prov, log=ctx.log(self.community_id), corrected_version=self.corrected_version,
            amount_yuan=self.amount_yuan, reason=self.reason,
        )  # fmt: skip
        return [community]


class EstablishServiceStation(CommunityCommand):
    """建立社区服务站 / Record the community's service station."""

    operation = "establish_service_station"
    station_name: Name


class EstablishCoordinationBody(CommunityCommand):
    """建立协调机构 / Record one of the four co-building coordination bodies."""

    operation = "establish_coordination_body"
    kind: CoordinationBodyKind


class HoldCoordinationMeeting(CommunityCommand):
    """协调机构召开会议 / Record a meeting of a coordination body."""

    operation = "hold_coordination_meeting"
    kind: CoordinationBodyKind
    topic: Text


class AdoptWorkingSystem(CommunityCommand):
    """建立工作制度 / Record one of the four working systems adopted."""

    operation = "adopt_working_system"
    kind: WorkingSystemKind
    title: Name


class JoinResidentUnit(CommunityCommand):
    """驻区单位加入共驻共建 / Record a resident unit joining co-building."""

    operation = "join_resident_unit"
    unit_name: Name


class RecognizeFeatureBrand(CommunityCommand):
    """认定特色品牌 / Record the community's recognized feature and brand."""

    operation = "recognize_brand"
    brand: Name
    recognized_by: Name


class AdoptCultureIdentityItem(CommunityCommand):
    """确定区徽、区歌等 / Record an adopted culture identity item (emblem, song, …)."""

    operation = "adopt_culture_identity_item"
    item: CultureIdentityItem
    content: Text


class OpenCultureFacility(CommunityCommand):
    """建成文化阵地 / Record an activity room, gym or library opened."""

    operation = "open_culture_facility"
    kind: CultureFacilityKind
    area_m2: Real | None = None


class FormTroupe(CommunityCommand):
    """组建文体队伍 / Record a troupe formed (yangge, fitness, choir, ball team)."""

    operation = "form_troupe"
    kind: TroupeKind
    troupe_name: Name


class HoldCultureFestival(CommunityCommand):
    """举办社区文化节 / Record a community culture festival."""

    operation = "hold_culture_festival"
    title: Name


class LaunchModelService(CommunityCommand):
    """开展服务型社区服务 / Record one of the six services of a service-type community."""

    operation = "launch_model_service"
    kind: ServiceKind
    description: Text


class HoldCivilityRating(CommunityCommand):
    """开展文明评选 / Record a civilized family / building / neighborhood rating."""

    operation = "hold_civility_rating"
    kind: CivilityRatingKind
    winners: Integer


class AddCommunityWorker(CommunityCommand):
    """社区工作人员入册 / Put a community worker on the community's roster."""

    operation = "add_worker"
    worker_id: UUID = Field(default_factory=uuid4)
    worker_name: Name
    role: Name = Field(examples=["社区专职工作者"])


class RemoveCommunityWorker(CommunityCommand):
    """社区工作人员离册 / Record a community worker leaving the roster."""

    operation = "remove_worker"
    worker_id: UUID
    reason: Text


class RecordWorkerInsurance(CommunityCommand):
    """落实社区工作者“三险” / Record the insurances in place for a rostered community worker."""

    operation = "record_worker_insurance"
    worker_id: UUID
    insurances: list[InsuranceKind] = Field(max_length=3)


class AssessFiveGoods(CommunityCommand):
    """“五个好”年度评定 / Record the yearly five-goods assessment (pass/fail per item)."""

    operation = "assess_five_goods"
    year: Integer
    items: dict[FiveGoodsItem, bool]
    scores: dict[FiveGoodsItem, Real] | None = None


class DraftCreationPlan(CommunityCommand):
    """制定具体创建规划 / Record the community's own creation plan."""

    operation = "draft_creation_plan"
    title: Name


class RecommendToCity(CommunityCommand):
    """向市委组织部推荐为示范社区 / Record the recommendation to the city as a model."""

    operation = "recommend_to_city"
    reason: Text


class FormVolunteerOrganization(CommunityCommand):
    """组建社区志愿者组织 / Record a community volunteer organization or member volunteer team."""

    operation = "form_volunteer_organization"
    kind: VolunteerOrgKind
    organization_name: Name


class AdoptResidentCode(CommunityCommand):
    """制定居民道德行为规范 / Record the residents' code of conduct adopted."""

    operation = "adopt_resident_code"
    title: Name


class SurveySatisfaction(CommunityCommand):
    """群众满意度测评 / Record a survey of residents' and resident units' satisfaction."""

    operation = "survey_satisfaction"
    respondents: Integer = Field(examples=[100])
    satisfied: Integer = Field(examples=[92])
