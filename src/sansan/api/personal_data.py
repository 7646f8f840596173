"""Recording reads of members' personal data by the reports, lists and audit views that name
members beside other units: one ``PersonalDataRead`` per request, naming the members shown
(or, for an export, the query), with the endpoint and query as its purpose."""

from collections.abc import Iterable
from typing import Any

from fastapi import Request

from sansan.access import Principal
from sansan.bootstrap import Services


def purpose_of(request: Request) -> str:
    """The endpoint and the query that was read, e.g. ``GET /api/v1/audit?actor=…``."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.method} {request.url.path}{query}"


def record_members_named(
    services: Services, principal: Principal, request: Request, unit_ids: Iterable[object]
) -> None:
    """Record a read of whichever of these units are members or leadership-team members;
    nothing if none is."""
    candidates = {str(u) for u in unit_ids if u}
    members = services.read_models.people_among(candidates) if candidates else {}
    communities = {c for c in members.values() if c is not None}
    services.access.record_personal_data_read(
        principal, sorted(members, key=str), communities, purpose_of(request)
    )


def record_query_read(services: Services, principal: Principal, request: Request) -> None:
    """Record that an answer which may name any member was read, by its query."""
    services.access.record_personal_data_read(
        principal, [], set(), purpose_of(request), whole_query=True
    )


def units_in_audit(items: Iterable[dict[str, Any]]) -> Iterable[object]:
    """The units an audit entry names: the aggregate it is about, a firing's unit, and the
    leadership-team member an organization's event is about."""
    for item in items:
        yield item["aggregate_id"]
        data = item.get("data")
        if isinstance(data, dict):
            yield data.get("unit_id")
            yield data.get("team_member_id")
