"""Commands on a Party member (党员)."""

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from sansan.commands.base import (
    CardNumber,
    Command,
    CommandContext,
    Creation,
    Integer,
    Name,
    OptionalName,
    Real,
    Text,
)
from sansan.domain import Member, PartyOrganization
from sansan.domain.base import SansanAggregate
from sansan.domain.vocabulary import CardKind, FeedbackRating, MemberCategory, TrainingMethod


class RegisterMember(Creation):
    """登记党员 / Register a member in one category, in an organization of a community."""

    aggregate = Member
    name: Name
    category: MemberCategory
    organization_id: UUID
    birth_year: Integer | None = None
    birth_date: date | None = Field(
        None, description="出生日期（可选，与出生年份一致） / optional full birth date"
    )
    workplace: OptionalName = None

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        org = ctx.load(PartyOrganization, self.organization_id)
        return [
            Member.register(
                ctx.prov,
                id=self.id,
                name=self.name,
                category=self.category,
                organization=org,
                birth_year=self.birth_year,
                birth_date=self.birth_date,
                workplace=self.workplace,
            )
        ]


class MemberCommand(Command):
    aggregate: ClassVar[type[SansanAggregate]] = Member
    target = "member_id"
    member_id: UUID


class ChangeMemberCategory(MemberCommand):
    """变更党员管理类别 / Change the member's category (direct, dual, participating)."""

    operation = "change_category"
    category: MemberCategory
    workplace: OptionalName = None


class IssueCard(MemberCommand):
    """发放“五卡” / Issue one of the five cards that fits the member's category."""

    operation = "issue_card"
    card: CardKind
    card_no: CardNumber = None


class RecordTraining(MemberCommand):
    """党员参加集中教育培训 / Record a member's training (days, method)."""

    operation = "complete_training"
    days: Real = Field(examples=[2])
    method: TrainingMethod
    topic: Name


class AssignServicePost(MemberCommand):
    """设岗定责 / Assign the member a service post (and responsibility area)."""

    operation = "assign_service_post"
    post: Name
    responsibility_area: OptionalName = None


class LogVolunteerService(MemberCommand):
    """记录志愿服务 / Log volunteer service hours."""

    operation = "log_volunteer_service"
    hours: Real = Field(examples=[3])
    activity: Name


class RegisterHouseholdContact(MemberCommand):
    """登记党员联系户 / Register a household the member keeps contact with."""

    operation = "register_household_contact"
    household: Name


class MakeReliefPairing(MemberCommand):
    """党员结对扶贫 / Record a poverty-relief pairing."""

    operation = "make_relief_pairing"
    beneficiary: Name


class RecordInServiceFeedback(MemberCommand):
    """在职党员社区表现反馈 / Record feedback on a dual member, returned to the work unit."""

    operation = "record_in_service_feedback"
    unit_name: Name
    rating: FeedbackRating
    returned_to_unit: bool = True


class TransferMemberOut(MemberCommand):
    """党员转出 / Record the member transferred out; nothing dated from that day on is recorded."""

    operation = "transfer_out"
    destination: Text
