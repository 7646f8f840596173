"""Commands on a supervision item (督办事项)."""

from datetime import date
from typing import ClassVar
from uuid import UUID

from sansan.commands.base import (
    Command,
    CommandContext,
    Creation,
    MaybeEmptyText,
    Name,
    OptionalText,
    Text,
)
from sansan.domain import CreationCampaign, PartyOrganization, SupervisionItem
from sansan.domain.base import SansanAggregate


class AssignSupervisionItem(Creation):
    """交办督办事项 / Assign a supervision item to an organization, with a deadline."""

    aggregate = SupervisionItem
    title: Name
    description: MaybeEmptyText = ""
    campaign_id: UUID | None = None
    assignee_org_id: UUID
    due_on: date

    def run(self, ctx: CommandContext) -> list[SansanAggregate]:
        if self.campaign_id is not None:
            ctx.load(CreationCampaign, self.campaign_id)
        assignee = ctx.load(PartyOrganization, self.assignee_org_id)
        return [
            SupervisionItem.assign(
                ctx.prov,
                id=self.id,
                title=self.title,
                description=self.description,
                campaign_id=self.campaign_id,
                assignee=assignee,
                due_on=self.due_on,
            )
        ]


class SupervisionCommand(Command):
    aggregate: ClassVar[type[SansanAggregate]] = SupervisionItem
    target = "item_id"
    item_id: UUID


class AcknowledgeSupervisionItem(SupervisionCommand):
    """签收 / Acknowledge receipt of the item."""

    operation = "acknowledge"


class StartSupervisionItem(SupervisionCommand):
    """开始办理 / Start handling the item."""

    operation = "start"


class RequestExtension(SupervisionCommand):
    """申请延期 / Request a later deadline."""

    operation = "request_extension"
    requested_due_on: date
    reason: Text


class ApproveExtension(SupervisionCommand):
    """批准延期 / Approve the pending extension; the deadline moves."""

    operation = "approve_extension"


class RefuseExtension(SupervisionCommand):
    """不予延期 / Refuse the pending extension."""

    operation = "refuse_extension"
    reason: Text


class ReportSupervisionItem(SupervisionCommand):
    """反馈办理结果 / Report what was done."""

    operation = "report"
    summary: Text


class AcceptSupervisionItem(SupervisionCommand):
    """审核通过 / Review the report and accept it."""

    operation = "accept"
    comment: OptionalText


class ReturnSupervisionItem(SupervisionCommand):
    """审核退回 / Review the report and return it for rework."""

    operation = "return_for_rework"
    reason: Text


class CloseSupervisionItem(SupervisionCommand):
    """办结 / Close an accepted item."""

    operation = "close"


class UrgeSupervisionItem(SupervisionCommand):
    """催办 / Urge the assignee; each reminder is counted."""

    operation = "urge"
    message: Text
