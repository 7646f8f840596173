"""Notifications: the reminders and alerts addressed to the caller, and their acknowledgement."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from sansan.api.deps import CurrentPrincipal, ServicesDep
from sansan.api.list_endpoints import (
    ERRORS,
    CaughtUp,
    Cursor,
    Limit,
    PagePublic,
    as_page,
    county_wide,
)
from sansan.api.personal_data import record_members_named
from sansan.api.problems import ApiError, Problem, etag
from sansan.domain import ADDRESSEE_OF_ROLE, Firing, FiringKind, errors
from sansan.domain.base import Provenance


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
        unacknowledged: Annotated[bool, Query(description="只看未签收的")] = False,
        kind: FiringKind | None = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> PagePublic:
        page = as_page(
            lambda: services.read_models.notifications(
                role=principal.role.value, scope=principal.scope_org_id,
                unacknowledged=unacknowledged, kind=kind.value if kind else None,
                cursor=cursor, limit=limit,
            )
        )  # fmt: skip
        # an alert about a member names them and their standing
        record_members_named(services, principal, request, (n["unit_id"] for n in page.items))
        return page

    @router.get(
        "/notifications/webhook-deliveries", responses=ERRORS,
        summary="推送投递情况 / webhook deliveries (failures visible to the county)",
    )  # fmt: skip
    def webhook_deliveries(
        principal: CurrentPrincipal, services: ServicesDep,
        failing: Annotated[bool, Query(description="只看尚未投递成功的")] = False,
        cursor: Cursor = None, limit: Limit = 50,
    ) -> PagePublic:  # fmt: skip
        county_wide(principal)
        return as_page(
            lambda: services.read_models.deliveries(
                failing_only=failing, cursor=cursor, limit=limit
            )
        )

    @router.post(
        "/notifications/{id}/acknowledgement", responses=ERRORS | {404: {"model": Problem}},
        summary="签收提醒(各收件方各自签收)/ acknowledge a reminder or alert for your own part",
    )  # fmt: skip
    def acknowledge(
        id: UUID,
        principal: CurrentPrincipal,
        services: ServicesDep,
        response: Response,
    ) -> dict[str, object]:
        addressee = ADDRESSEE_OF_ROLE.get(principal.role)
        if addressee is None:  # an auditor reads every notification and answers for none
            raise ApiError(
                403, "role_not_allowed", f"“{principal.role.label_zh}”角色不能执行此操作",
                f"the {principal.role.value} role may not acknowledge notifications",
            )  # fmt: skip
        firing = services.app.get(id, Firing)
        mine = services.read_models.notifications(
            role=principal.role.value, scope=principal.scope_org_id, unacknowledged=False,
            kind=None, cursor=None, limit=1, only_id=id,
        )  # fmt: skip
        if not mine.items:  # not addressed to this caller: as if it did not exist
            raise errors.UNIT_NOT_FOUND(kind="Firing", kind_zh=Firing.LABEL_ZH, id=id)
        today = services.app.clock.today()
        prov = Provenance(actor=principal.actor, occurred_on=today, today=today)
        firing.acknowledge(prov, addressee=addressee.value)
        recordings = services.app.save(firing)
        response.headers["ETag"] = etag(firing.version)
        return {"id": id, "version": firing.version, "position": recordings[-1].notification.id}
