"""Notifications: the reminders and alerts addressed to the caller, and their acknowledgement."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from sansan.api.deps import CurrentPrincipal, ServicesDep
from sansan.api.list_endpoints import (
    ERRORS,
    CaughtUp,
    Cursor,
    Limit,
    PagedReads,
    as_page,
    county_wide,
)
from sansan.api.personal_data import record_members_named
from sansan.api.problems import ApiError, Problem, etag, role_refused
from sansan.domain import ADDRESSEE_OF_ROLE, Firing, FiringKind, errors
from sansan.domain.base import Provenance
from sansan.domain.firing import Addressee, may_acknowledge


class AddresseeAcknowledgement(BaseModel):
    addressee: Addressee
    acknowledged_by: str
    acknowledged_at: datetime


class NotificationPublic(BaseModel):
    id: UUID
    kind: FiringKind
    message_zh: str = Field(examples=["工作迟缓、措施不力：“社区办公经费”到期未完成。"])
    target_id: str | None = Field(None, examples=["funding"])
    unit_id: str | None = Field(None, description="所涉单位 / the unit it is about, if any")
    unit_name: str
    community_id: str | None = None
    community_name: str | None = None
    addressees: list[Addressee] = Field(examples=[["community_secretary", "street", "county"]])
    due_on: date
    late: bool = Field(description="晚于应发日期发出 / fired after the day it was due")
    recorded_at: datetime
    for_you: bool = Field(
        False,
        description="发给本角色、可由本角色签收（街道可查看所辖社区的全部提醒，只签收发给街道的）"
        " / addressed to the caller, who may acknowledge it",
    )
    acknowledged_by: str | None = Field(
        None,
        description="签收人（审计角色：全部收件方签收后列出全部签收人）/ who acknowledged",
    )
    acknowledged_at: datetime | None = Field(
        None, description="本收件方（审计角色：全部收件方）签收的时间 / when acknowledged"
    )
    acknowledgements: list[AddresseeAcknowledgement] | None = Field(
        None,
        description="审计角色：各收件方的签收人与时间 / auditors: who acknowledged when",
    )


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None = Field(description="下一页游标；为空表示没有更多 / null when no more")


class DeliveryPublic(BaseModel):
    id: str
    notification_id: UUID
    url: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str | None = Field(description="下一页游标；为空表示没有更多 / null when no more")


class AcknowledgementPublic(BaseModel):
    id: UUID
    version: int = Field(description="提醒的新版本号 / the notification's new version")
    position: int = Field(description="签收在事件日志中的位置 / log position of the write")


def add_notification_routes(routers: dict[str, APIRouter]) -> None:
    router = routers["notifications"]

    @router.get(
        "/notifications", responses=ERRORS, summary="我的提醒与预警 / reminders and alerts for me"
    )
    def list_notifications(
        principal: CurrentPrincipal,
        services: ServicesDep,
        request: Request,
        _: CaughtUp,
        reads: PagedReads,
        unacknowledged: Annotated[bool, Query(description="只看未签收的")] = False,
        kind: FiringKind | None = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> NotificationPage:
        page = as_page(
            lambda: reads.notifications(
                role=principal.role.value, scope=principal.scope_org_id,
                unacknowledged=unacknowledged, kind=kind.value if kind else None,
                cursor=cursor, limit=limit,
            )
        )  # fmt: skip
        addressee = ADDRESSEE_OF_ROLE.get(principal.role)
        for n in page.items:  # what the caller may sign: the page offers 签收 on these only
            n["for_you"] = addressee is not None and may_acknowledge(addressee, n["addressees"])
        if addressee is None:  # the auditor: who 签收 when
            acks = services.read_models.acknowledgements([str(n["id"]) for n in page.items])
            for n in page.items:
                n["acknowledgements"] = acks.get(str(n["id"]), [])
                if n["acknowledged_at"] is None:
                    # not yet acknowledged by every addressee: no "by" without a "when";
                    # who has, and when, is in ``acknowledgements``
                    n["acknowledged_by"] = None
        # an alert about a member names them and their standing
        record_members_named(services, principal, request, (n["unit_id"] for n in page.items))
        return NotificationPage.model_validate(page, from_attributes=True)

    @router.get(
        "/notifications/webhook-deliveries", responses=ERRORS,
        summary="推送投递情况 / webhook deliveries (failures visible to the county)",
    )  # fmt: skip
    def webhook_deliveries(
        principal: CurrentPrincipal, reads: PagedReads,
        failing: Annotated[bool, Query(description="只看尚未投递成功的")] = False,
        cursor: Cursor = None, limit: Limit = 50,
    ) -> DeliveryPage:  # fmt: skip
        county_wide(principal)
        page = as_page(
            lambda: reads.deliveries(
                failing_only=failing, cursor=cursor, limit=limit
            )
        )
        return DeliveryPage.model_validate(page, from_attributes=True)

    @router.post(
        "/notifications/{id}/acknowledgement", responses=ERRORS | {404: {"model": Problem}},
        summary="签收提醒（各收件方各自签收）/ acknowledge a reminder or alert for your own part",
    )  # fmt: skip
    def acknowledge(
        id: UUID,
        principal: CurrentPrincipal,
        services: ServicesDep,
        response: Response,
    ) -> AcknowledgementPublic:
        addressee = ADDRESSEE_OF_ROLE.get(principal.role)
        if addressee is None:  # an auditor reads every notification and answers for none
            raise role_refused(principal.role, "签收", "acknowledge notifications")
        firing = services.app.get(id, Firing)
        mine = services.read_models.notifications(
            role=principal.role.value, scope=principal.scope_org_id, unacknowledged=False,
            kind=None, cursor=None, limit=1, only_id=id,
        )  # fmt: skip
        if not mine.items:  # not addressed to this caller: as if it did not exist
            raise errors.UNIT_NOT_FOUND(kind="Firing", kind_zh=Firing.LABEL_ZH, id=id)
        if not may_acknowledge(addressee, mine.items[0]["addressees"]):
            # a street reads every notice about its communities, but signs only its own
            raise ApiError(
                403, "not_addressed",
                f"该提醒不是发给{addressee.label_zh}的，不能签收；只有收件方可以签收",
                f"this notification is not addressed to the {addressee.value};"
                " only its addressees acknowledge it",
            )  # fmt: skip
        today = services.app.clock.today()
        prov = Provenance(
            actor=principal.actor, occurred_on=today, today=today, token_no=principal.token_no
        )
        firing.acknowledge(prov, addressee=addressee.value)
        recordings = services.app.save(firing)
        response.headers["ETag"] = etag(firing.version)
        return AcknowledgementPublic(
            id=id, version=firing.version, position=recordings[-1].notification.id
        )
