"""Commands on the creation campaign (创建工程)."""

from datetime import date
from typing import Annotated, ClassVar
from uuid import UUID, uuid4

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from sansan.commands.base import Command, CommandContext, Creation, Name, Text
from sansan.domain import Community, CreationCampaign
from sansan.domain.base import SansanAggregate
from sansan.domain.vocabulary import AccountabilityReason, InspectionRating, ModelType, UnitKind
from sansan.plans import get_plan, shipped_plans


def _shipped(plan_id: str) -> str:
    # A campaign under a plan the service does not have could never be measured.
    if get_plan(plan_id) is None:
        raise PydanticCustomError(
            "unknown_plan", "no plan has the id {plan_id}; the plans are: {known}",
            {"plan_id": plan_id, "known": ", ".join(sorted(shipped_plans()))},
        )  # fmt: skip
    return plan_id


PlanId = Annotated[
    str,
    AfterValidator(_shipped),
    Field(
        description="创建方案编号 / the id of a plan the service ships",
        json_schema_extra={"enum": sorted(shipped_plans())},
    ),
]


class LaunchCampaign(Creation):
    """启动创建工程 / Launch a campaign under a plan (its launch date is occurred_on)."""

    aggregate = CreationCampaign
    name: Name
    plan_id: PlanId
    county: Name

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        return [
            CreationCampaign.launch(
                ctx.prov, id=self.id, name=self.name, plan_id=self.plan_id, county=self.county
            )
        ]


class CampaignCommand(Command):
    aggregate: ClassVar[type[SansanAggregate]] = CreationCampaign
    target = "campaign_id"
    campaign_id: UUID


class DesignateModelCommunity(CampaignCommand):
    """确定示范社区 / Designate a model community of a type; the community records it too."""

    community_id: UUID
    model_type: ModelType

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        campaign = ctx.load(CreationCampaign, self.campaign_id)
        community = ctx.load(Community, self.community_id)
        campaign.designate_model_community(
            ctx.prov, community_id=community.id, model_type=self.model_type
        )
        community.designate_model_type(
            ctx.prov, model_type=self.model_type, campaign_id=campaign.id
        )
        return [campaign, community]


class DesignatePilotCommunity(CampaignCommand):
    """确定试点示范社区 / Designate the campaign's pilot community (§四(三)1)."""

    operation = "designate_pilot_community"
    community_id: UUID

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        ctx.require_all(Community, "community_id", [self.community_id])
        return super().run(ctx)


class ReportPublicity(CampaignCommand):
    """新闻媒体宣传报道 / Record a news report publicizing model communities."""

    operation = "report_publicity"
    outlet: Name
    title: Name
    community_ids: list[UUID] = Field(default_factory=list, max_length=100)

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        ctx.require_all(Community, "community_ids", self.community_ids)
        return super().run(ctx)


class ScheduleInspection(CampaignCommand):
    """安排督查检查 / Schedule an inspection of some communities."""

    operation = "schedule_inspection"
    inspection_id: UUID = Field(default_factory=uuid4)
    scheduled_for: date
    subject: Name
    community_ids: list[UUID] = Field(default_factory=list, max_length=1000)

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        ctx.require_all(Community, "community_ids", self.community_ids)
        return super().run(ctx)


class ConductInspection(CampaignCommand):
    """实施督查检查 / Record a scheduled inspection as conducted, with findings."""

    operation = "conduct_inspection"
    inspection_id: UUID
    findings: Text
    rating: InspectionRating


class Commend(CampaignCommand):
    """表彰 / Commend an outstanding unit or person."""

    operation = "commend"
    unit_kind: UnitKind
    unit_id: UUID | None = None
    unit_name: Name
    reason: Text


class HoldAccountable(CampaignCommand):
    """追究责任 / Hold a slow or ineffective unit or person accountable."""

    operation = "hold_accountable"
    unit_kind: UnitKind
    unit_id: UUID | None = None
    unit_name: Name
    reason: AccountabilityReason
    detail: Text


class HoldExchangeMeeting(CampaignCommand):
    """召开经验交流会 / Record an experience-exchange meeting on model communities."""

    operation = "hold_exchange_meeting"
    title: Name
    model_community_ids: list[UUID] = Field(default_factory=list, max_length=100)
