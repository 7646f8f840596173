"""Commands on the creation campaign (创建工程)."""

from datetime import date
from typing import Annotated, ClassVar
from uuid import UUID, uuid4

from pydantic import Field

from sansan.commands.base import Command, CommandContext, Creation, Name, Text, same_name
from sansan.domain import Community, CreationCampaign, Member, PartyOrganization, errors
from sansan.domain.base import SansanAggregate
from sansan.domain.vocabulary import (
    AccountabilityReason,
    InspectionRating,
    ModelType,
    OrgLevel,
    UnitKind,
)
from sansan.plans import SHIPPED_PLAN_ID

# Not an enum: the plans are the shipped ones plus a directory's (SANSAN_PLANS_DIR), known only
# when a service starts; GET /api/v1/plans lists them, and an unknown id is refused with 422.
PlanId = Annotated[
    str,
    Field(
        min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="创建方案编号，见 GET /api/v1/plans / the id of a plan the service has",
        examples=[SHIPPED_PLAN_ID],
    ),
]  # fmt: skip


class LaunchCampaign(Creation):
    """启动创建工程 / Launch a campaign under a plan (its launch date is occurred_on)."""

    aggregate = CreationCampaign
    name: Name
    plan_id: PlanId
    county: Name

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        # A campaign under a plan the service does not have could never be measured; the
        # plan's content is pinned to the campaign, so later edits of the file change nothing.
        entry = ctx.plan(self.plan_id)
        return [
            CreationCampaign.launch(
                ctx.prov, id=self.id, name=self.name, plan_id=self.plan_id, county=self.county,
                plan=entry.content, plan_sha256=entry.sha256,
            )
        ]  # fmt: skip


class CampaignCommand(Command):
    aggregate: ClassVar[type[SansanAggregate]] = CreationCampaign
    target = "campaign_id"
    campaign_id: UUID


class ChangeCampaignPlan(CampaignCommand):
    """变更创建方案 / Put a running campaign under another plan (or a new content of its plan).

    The new plan's content is pinned from now on: deadlines of targets it adds or moves are
    scheduled from the day of the change, verdicts already fired stay as recorded. The same
    content again is refused (plan_unchanged)."""

    plan_id: PlanId
    reason: Text = Field(description="变更理由（记入审计）/ why, recorded for the audit")

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        campaign = ctx.load(CreationCampaign, self.campaign_id)
        entry = ctx.plan(self.plan_id)
        campaign.change_plan(
            ctx.prov, plan_id=self.plan_id, plan=entry.content, plan_sha256=entry.sha256,
            reason=self.reason,
        )  # fmt: skip
        return [campaign]


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
        # a scalar field, refused as itself (not as "community_id.0")
        if not isinstance(ctx.find(self.community_id), Community):
            error = errors.UNKNOWN_PILOT(id=self.community_id)
            raise errors.InvalidReferences([("community_id", error)])
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


# A command that cites a unit or person by kind, id and name (表彰, 追究责任): a signed record
# must point at the unit it names, so the id must be one of that kind and the name the unit's
# own (review #2 finding 9). No docstring: a base, not one of the command table's entries.
class UnitCited(CampaignCommand):

    unit_kind: UnitKind
    unit_id: UUID | None = None
    unit_name: Name

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        cited_unit(ctx, self.unit_kind, self.unit_id, self.unit_name)
        return super().run(ctx)


# A person may be cited by name alone (a cadre who is no registered member); with an id, a
# person is a member. Every other kind must be named by its id.
CITED_KINDS: dict[UnitKind, type[SansanAggregate]] = {
    UnitKind.STREET: PartyOrganization, UnitKind.COMMUNITY: Community,
    UnitKind.ORGANIZATION: PartyOrganization, UnitKind.MEMBER: Member, UnitKind.PERSON: Member,
}  # fmt: skip


def cited_unit(ctx: CommandContext, kind: UnitKind, unit_id: UUID | None, name: str) -> None:
    """Refuses, on ``unit_id`` or ``unit_name``, a citation of what is not the unit it says."""
    if unit_id is None:
        if kind is not UnitKind.PERSON:
            raise errors.UNIT_ID_REQUIRED(kind=kind.value, kind_zh=kind.label_zh)
        return
    unit = ctx.find(unit_id)
    if unit is None:
        error = errors.UNKNOWN_REFERENCE(kind=kind.value, kind_zh=kind.label_zh, id=unit_id)
        raise errors.InvalidReferences([("unit_id", error)])
    is_street = isinstance(unit, PartyOrganization) and unit.level == OrgLevel.STREET_COMMITTEE
    aggregate = CITED_KINDS[kind]
    if not isinstance(unit, aggregate) or (kind is UnitKind.STREET and not is_street):
        error = errors.UNIT_KIND_MISMATCH(kind=kind.value, kind_zh=kind.label_zh, id=unit_id)
        raise errors.InvalidReferences([("unit_id", error)])
    recorded = str(vars(unit)["name"])  # every kind cited has a name
    if not same_name(name, recorded):
        raise errors.UNIT_NAME_MISMATCH(
            kind=kind.value, kind_zh=kind.label_zh, name=recorded, given=name, at=("unit_name",)
        )


class Commend(UnitCited):
    """表彰 / Commend an outstanding unit or person."""

    operation = "commend"
    reason: Text


class HoldAccountable(UnitCited):
    """追究责任 / Hold a slow or ineffective unit or person accountable."""

    operation = "hold_accountable"
    reason: AccountabilityReason
    detail: Text


class HoldExchangeMeeting(CampaignCommand):
    """召开经验交流会 / Record an experience-exchange meeting on model communities."""

    operation = "hold_exchange_meeting"
    title: Name
    model_community_ids: list[UUID] = Field(default_factory=list, max_length=100)

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        ctx.require_all(Community, "model_community_ids", self.model_community_ids)
        return super().run(ctx)
