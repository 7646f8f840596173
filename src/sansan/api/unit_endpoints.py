"""Reads of one unit: its state now, at a version, as recorded at a moment, and its history.

These read the event log itself, not a projection, so an auditor sees the primary record.
Units outside the caller's subtree answer 404, exactly as unknown ones do.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import AwareDatetime

from sansan.access import Principal
from sansan.api.campaign_scope import CampaignScope, units_judged
from sansan.api.deps import CurrentPrincipal, Services, ServicesDep
from sansan.api.personal_data import purpose_of, record_members_named
from sansan.api.problems import Problem, etag
from sansan.api.schemas import EventPublic, ItemStanding, UnitState
from sansan.clock import CHINA_OFFSET
from sansan.domain import (
    Community,
    CreationCampaign,
    Member,
    PartyOrganization,
    SupervisionItem,
    errors,
)
from sansan.domain.base import SansanAggregate
from sansan.domain.supervision import Standing, standing

RESOURCES: dict[str, type[SansanAggregate]] = {
    "communities": Community,
    "organizations": PartyOrganization,
    "members": Member,
    "campaigns": CreationCampaign,
    "supervision-items": SupervisionItem,
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "content": {"application/problem+json": {}}}
}

UnitId = Annotated[UUID, Path(description="单位编号 / the unit's id")]
# No unit reaches two billion events; the bound keeps the number inside both stores' integers.
MAX_VERSION = 2**31 - 1
Version = Annotated[
    int | None,
    Query(ge=1, le=MAX_VERSION, description="该版本时的状态 / state at this version"),
]
AsOf = Annotated[
    AwareDatetime | None,
    Query(description="截至该记录时间的状态（ISO 8601，带时区）/ state as recorded at this moment"),
]


def unit_state(aggregate: SansanAggregate, today: date | None = None) -> UnitState:
    """``today`` (the China day) gives a supervision item its light, as the list shows it."""
    shown = None
    if isinstance(aggregate, SupervisionItem) and today is not None:
        shown = ItemStanding(**item_standing(aggregate, today).as_dict())
    return UnitState(
        id=aggregate.id,
        kind=type(aggregate).__name__,
        version=aggregate.version,
        created_at=aggregate.created_on,
        modified_at=aggregate.modified_on,
        state={k: v for k, v in vars(aggregate).items() if not k.startswith("_")},
        standing=shown,
    )


def item_standing(item: SupervisionItem, today: date) -> Standing:
    # Once accepted or closed nothing but a status change can follow, so the last step's day
    # is the day it was finished (a snapshot from before steps kept their day: its start).
    last = vars(item).get("last_step_on", item.began_on)
    return standing(item.status, item.due_on, last, today)


def _china_day(moment: datetime) -> date:
    """The China day of a moment; one at the calendar's edge (9999-12-31T23:59-14:00) that
    UTC+8 cannot hold is the calendar's last or first day."""
    try:
        return (moment.astimezone(UTC) + CHINA_OFFSET).date()
    except OverflowError:
        return date.max if moment.year > 1 else date.min


def visible(aggregate: SansanAggregate, principal: Principal, services: Services) -> None:
    if not services.access.covers(principal, aggregate):
        kind = type(aggregate)
        raise errors.UNIT_NOT_FOUND(kind=kind.__name__, kind_zh=kind.LABEL_ZH, id=aggregate.id)


def _team_of(aggregate: SansanAggregate) -> list[UUID]:
    """The leadership team an organization's state shows, those who left included (none for
    any other unit)."""
    team: dict[str, Any] = getattr(aggregate, "team", None) or {}
    former: dict[str, Any] = getattr(aggregate, "former_team", None) or {}
    return [UUID(k) for k in {**team, **former}] if isinstance(aggregate, PartyOrganization) else []


def _workers_of(aggregate: SansanAggregate) -> list[UUID]:
    """The community workers a community's state shows (none for any other unit)."""
    workers: dict[str, Any] = getattr(aggregate, "workers", None) or {}
    return [UUID(k) for k in workers] if isinstance(aggregate, Community) else []


def _read_endpoints(
    kind: type[SansanAggregate],
) -> tuple[Callable[..., UnitState], Callable[..., list[EventPublic]]]:
    def read_personal_data(
        aggregate: SansanAggregate, principal: Principal, services: Services, purpose: str,
        people_ids: Sequence[UUID] = (),
    ) -> None:  # fmt: skip
        """A member's state or history is personal data; so is an organization's leadership
        team (names, birth dates, education) and a community's workers (names, roles, dates,
        insurances): they are recorded as read, by their ids."""
        if isinstance(aggregate, Member):
            services.access.record_personal_data_read(
                principal, [aggregate.id], {aggregate.community_id}, purpose
            )
        elif isinstance(aggregate, PartyOrganization) and people_ids:
            community = {aggregate.community_id} if aggregate.community_id else set()
            services.access.record_personal_data_read(
                principal, list(people_ids), community, f"{purpose}（班子成员）"
            )
        elif isinstance(aggregate, Community) and people_ids:
            services.access.record_personal_data_read(
                principal, list(people_ids), {aggregate.id}, f"{purpose}（社区工作人员）"
            )

    def get_state(
        id: UnitId, principal: CurrentPrincipal, services: ServicesDep, response: Response,
        request: Request, version: Version = None, as_of: AsOf = None,
    ) -> UnitState:  # fmt: skip
        current = services.app.get(id, kind)
        visible(current, principal, services)
        shown = current
        if version is not None or as_of is not None:
            shown = services.app.state_at(id, version=version, as_of=as_of, kind=kind)
        people = [*_team_of(shown), *_team_of(current), *_workers_of(shown), *_workers_of(current)]
        people = list(dict.fromkeys(people))
        read_personal_data(current, principal, services, purpose_of(request), people)
        response.headers["ETag"] = etag(shown.version)
        # a past state's light is the one it had that (China) day
        today = services.app.clock.today() if as_of is None else _china_day(as_of)
        state = unit_state(shown, today)
        if isinstance(shown, CreationCampaign):  # its inspections of others are county business
            state.state = CampaignScope(principal, services).state(state.state)
        return state

    def get_history(
        id: UnitId, principal: CurrentPrincipal, services: ServicesDep, request: Request
    ) -> list[EventPublic]:
        current = services.app.get(id, kind)
        visible(current, principal, services)
        history = services.app.history(id)
        if isinstance(current, CreationCampaign):
            # a scoped token reads the county's judgements of its own units only; a judgement
            # of a member (commendation, accountability) is a read of that member
            shown = CampaignScope(principal, services).events(history)
            record_members_named(services, principal, request, units_judged(shown))
            return [EventPublic.of(e) for e in shown]
        person_key = "worker_id" if kind is Community else "team_member_id"
        named = (e.data.get(person_key) for e in history)
        people = list(dict.fromkeys(UUID(str(p)) for p in named if p))
        read_personal_data(current, principal, services, purpose_of(request), people)
        return EventPublic.history(history)

    return get_state, get_history


def add_unit_routes(routers: dict[str, APIRouter]) -> None:
    """Each resource's state and history routes, on its own router."""
    for resource, kind in RESOURCES.items():
        get_state, get_history = _read_endpoints(kind)
        router = routers[resource]
        router.add_api_route(
            f"/{resource}/{{id}}", get_state, methods=["GET"], response_model=UnitState,
            summary=f"{kind.LABEL_ZH}的当前或历史状态 / a {kind.__name__}, now or in the past",
            operation_id=f"get{kind.__name__}", responses=NOT_FOUND,
        )  # fmt: skip
        router.add_api_route(
            f"/{resource}/{{id}}/history", get_history, methods=["GET"],
            response_model=list[EventPublic],
            summary=f"{kind.LABEL_ZH}的全部变更记录 / every event of a {kind.__name__}",
            operation_id=f"get{kind.__name__}History", responses=NOT_FOUND,
        )  # fmt: skip
