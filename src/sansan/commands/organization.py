"""Commands on a Party organization (党组织) and its leadership team."""

from datetime import date
from typing import ClassVar
from uuid import UUID, uuid4

from pydantic import Field

from sansan.commands.base import (
    Command,
    CommandContext,
    Creation,
    Integer,
    Name,
    Real,
    Text,
    same_name,
)
from sansan.domain import Community, Member, PartyOrganization, errors
from sansan.domain.base import SansanAggregate
from sansan.domain.vocabulary import (
    DevelopmentStage,
    Education,
    FiveGoodsItem,
    OrgLevel,
    WorkingSystemKind,
)


class EstablishPartyOrganization(Creation):
    """建立党组织 / Establish a Party organization in the network.

    A community general branch also attaches itself to its community, in the same
    save, so two concurrent attempts cannot both succeed.
    """

    aggregate = PartyOrganization
    name: Name
    level: OrgLevel
    parent_id: UUID | None = None
    community_id: UUID | None = None

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        parent = ctx.load(PartyOrganization, self.parent_id) if self.parent_id else None
        community = ctx.load(Community, self.community_id) if self.community_id else None
        org = PartyOrganization.establish(
            ctx.prov,
            id=self.id,
            name=self.name,
            level=self.level,
            parent=parent,
            community=community,
        )
        if community is not None and self.level == OrgLevel.GENERAL_BRANCH:
            community.attach_general_branch(ctx.prov, organization_id=org.id)
            return [org, community]
        return [org]


class OrganizationCommand(Command):
    aggregate: ClassVar[type[SansanAggregate]] = PartyOrganization
    target = "organization_id"
    organization_id: UUID


class AppointSecretary(OrganizationCommand):
    """任命党组织书记 / Record the organization's secretary (一肩挑 when also director)."""

    operation = "appoint_secretary"
    person_name: Name
    also_director: bool = False
    member_id: UUID | None = None

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        organization = ctx.load(PartyOrganization, self.organization_id)
        if self.member_id is not None:
            member = ctx.find(self.member_id)
            if not _serves_under(ctx, member, organization):
                # unknown, not a member, or a member elsewhere: one answer for all, so a
                # scoped token learns nothing of what exists outside its subtree
                error = errors.NOT_A_MEMBER_OF_COMMUNITY(
                    id=self.member_id, organization=organization.name
                )
                raise errors.InvalidReferences([("member_id", error)])
            assert isinstance(member, Member)
            if not same_name(self.person_name, member.name):
                raise errors.UNIT_NAME_MISMATCH(
                    kind="member", kind_zh="党员", name=member.name, given=self.person_name,
                    at=("person_name",),
                )  # fmt: skip
        return super().run(ctx)


def _serves_under(ctx: CommandContext, member: object, organization: PartyOrganization) -> bool:
    """Whether ``member`` is a member of the organization's community (a community's
    organization) or of one of its communities (a street committee): its secretary is one
    of the members it leads (review #2 finding 17)."""
    if not isinstance(member, Member):
        return False
    if organization.community_id is not None:
        return member.community_id == organization.community_id
    community = ctx.find(member.community_id)
    return isinstance(community, Community) and community.street_committee_id == organization.id


class AddTeamMember(OrganizationCommand):
    """班子成员到任 / Record a leadership-team member joining."""

    operation = "add_team_member"
    team_member_id: UUID = Field(default_factory=uuid4)
    person_name: Name
    birth_year: Integer | None = Field(None, examples=[1985])
    birth_date: date | None = Field(
        None,
        description="出生日期（可选，与出生年份一致；二者至少填一项） / birth date (or birth_year)",
    )
    education: Education
    party_affairs_worker: bool = False
    cross_appointed: bool = False
    newly_appointed: bool = False


class RemoveTeamMember(OrganizationCommand):
    """班子成员离任 / Record a leadership-team member leaving."""

    operation = "remove_team_member"
    team_member_id: UUID
    reason: Text


class CompleteTeamTraining(OrganizationCommand):
    """班子成员完成培训 / Record a team member's training (days; at the county Party school?)."""

    operation = "complete_team_training"
    team_member_id: UUID
    days: Real = Field(examples=[3])
    at_county_party_school: bool = False


class FlagWeakTeam(OrganizationCommand):
    """列为软弱涣散班子 / Flag the team as weak or lax."""

    operation = "flag_weak_team"
    reason: Text


class RectifyWeakTeam(OrganizationCommand):
    """软弱涣散班子整顿完成 / Record the weak team rectified."""

    operation = "rectify_weak_team"
    measures: Text


class EstablishStreetServiceCenter(OrganizationCommand):
    """建立街道服务中心 / Record the street's service center (street committee only)."""

    operation = "establish_street_service_center"
    center_name: Name


class AssessStreetFiveGoods(OrganizationCommand):
    """街道党工委“五个好”年度评定 / Record a street committee's yearly five-goods assessment."""

    operation = "assess_street_five_goods"
    year: Integer
    items: dict[FiveGoodsItem, bool]


class AdoptStreetWorkingSystem(OrganizationCommand):
    """建立街道党工委工作制度 / Record a working system adopted by a street committee."""

    operation = "adopt_street_working_system"
    kind: WorkingSystemKind
    title: Name


class DraftStreetCreationPlan(OrganizationCommand):
    """制定街道具体创建规划 / Record a street committee's own creation plan."""

    operation = "draft_street_creation_plan"
    title: Name


class RecordMemberDevelopment(OrganizationCommand):
    """发展党员 / Record a step in recruiting a new Party member (applicant … full member)."""

    operation = "record_member_development"
    person_name: Name
    stage: DevelopmentStage
