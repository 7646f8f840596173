"""Lists over the read models: communities, members, the organization tree, the audit log.

A read may pass ``after=<position>`` (the position a write returned) to wait, briefly,
until the read models include that write; past the wait it gets 503 and Retry-After.
"""

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, Field

from sansan.access import Principal
from sansan.api.deps import CurrentPrincipal, Services, ServicesDep
from sansan.api.personal_data import purpose_of, record_members_named, units_in_audit
from sansan.api.problems import ApiError, Problem, label_zh
from sansan.domain.vocabulary import MemberCategory, ModelType, Role, SupervisionStatus
from sansan.projections.cursors import BadCursor, CursorMismatch
from sansan.projections.queries import MAX_LIMIT, Page, ReadModels

READ_YOUR_WRITES_WAIT_S = 2.0

Cursor = Annotated[str | None, Query(max_length=500, description="上一页返回的 next_cursor")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
After = Annotated[
    int | None,
    Query(ge=0, description="等待读模型包含该日志位置 / wait until this position is visible"),
]
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": Problem} for code in (400, 403, 503)}


class PagePublic(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None = Field(description="下一页游标；为空表示没有更多 / null when no more")


class AuditFilters(BaseModel):
    """Filters of the audit log; both time axes, either bound optional."""

    model_config = {"extra": "ignore"}  # the query also carries cursor, limit and after

    aggregate_id: UUID | None = None
    unit_id: UUID | None = Field(None, description="该单位及其下一切 / a unit and all inside it")
    aggregate_type: str | None = Field(None, max_length=60, examples=["Member"])
    event_type: str | None = Field(None, max_length=60, examples=["TrainingCompleted"])
    actor: str | None = Field(None, max_length=200)
    community_id: UUID | None = None
    street_id: UUID | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None
    recorded_from: AwareDatetime | None = None
    recorded_to: AwareDatetime | None = None
    kind: Literal["changes", "reads"] | None = Field(
        None, description="changes 仅数据变更 / reads 仅个人信息查阅；为空为全部 / both when empty"
    )

    def as_dict(self) -> dict[str, Any]:
        in_order(self.occurred_from, self.occurred_to, "occurred_to")
        in_order(self.recorded_from, self.recorded_to, "recorded_to")
        values = self.model_dump()
        for bound in ("recorded_from", "recorded_to"):  # stored as UTC ISO text
            values[bound] = in_utc(bound, values[bound])
        return values


def in_order(start: date | datetime | None, end: date | datetime | None, end_field: str) -> None:
    """A range whose end comes before its start is refused: answered, it would say that
    nothing happened in it."""
    if start is not None and end is not None and end < start:
        raise RequestValidationError([{
            "type": "range_reversed", "loc": ("query", end_field), "input": str(end),
            "msg": f"{end_field} ({end}) is before the start of the range ({start})",
        }])  # fmt: skip


def out_of_range(field: str) -> ApiError:
    return ApiError(
        422, "date_out_of_range",
        f"{label_zh(field)}超出可表示的日期范围，"
        "请输入公元 1 年至 9999 年之间的日期",
        f"{field} is out of the representable range (years 1 to 9999)",
    )  # fmt: skip


def in_utc(field: str, moment: datetime | None) -> datetime | None:
    """The moment in UTC, as the log stores it; a problem naming the field where UTC
    cannot hold it (0001-01-01T00:00+14:00 falls in year 0)."""
    try:
        return None if moment is None else moment.astimezone(UTC)
    except OverflowError:
        raise out_of_range(field) from None


class OrgNode(BaseModel):
    id: UUID
    name: str
    level: str
    community_id: UUID | None
    version: int
    children: list["OrgNode"] = Field(default_factory=list)


def caught_up(services: ServicesDep, after: After = None) -> None:
    if after is None:
        return
    if after > (services.app.recorder.max_notification_id() or 0):
        raise ApiError(
            400, "position_unknown", f"日志中还没有位置 {after}",
            f"the log has no position {after}; pass a position a write returned",
        )  # fmt: skip
    if not services.projections.wait_for(after, READ_YOUR_WRITES_WAIT_S):
        raise ApiError(
            503, "read_model_behind", "读模型尚未更新到该位置，请稍后重试",
            f"the read models have not reached position {after} yet; retry shortly",
            headers={"Retry-After": "1"},
        )  # fmt: skip


CaughtUp = Annotated[None, Depends(caught_up)]


# What a page's position does not change: the next page may ask for more or fewer rows, and
# wait for another write, and still follow on.
NOT_BINDING = frozenset({"cursor", "limit", "after"})


def cursor_binding(request: Request, principal: Principal) -> str:
    """What a page cursor is minted for: this endpoint (its path, ids included), the query's
    filters and the token that asked."""
    query = sorted((k, v) for k, v in request.query_params.multi_items() if k not in NOT_BINDING)
    return json.dumps([request.url.path, query, str(principal.token_id)], ensure_ascii=False)


def paged_reads(
    request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> ReadModels:
    """The read models, their cursors bound to this request's list, filters and token."""
    return services.read_models.bound_to(cursor_binding(request, principal))


PagedReads = Annotated[ReadModels, Depends(paged_reads)]


def as_page(call: Any) -> PagePublic:
    try:
        page: Page = call()
    except CursorMismatch:
        raise ApiError(
            400, "bad_cursor", "分页游标与当前查询条件不符，请从第一页重新查询",
            "the cursor was made for another list, filter or token: start again from the"
            " first page",
        ) from None  # fmt: skip
    except BadCursor:
        raise ApiError(400, "bad_cursor", "分页游标无效", "the cursor is not valid") from None
    return PagePublic(items=page.items, next_cursor=page.next_cursor)


def county_wide(principal: Principal) -> None:
    if principal.scope_org_id is not None or principal.role not in (Role.COUNTY, Role.AUDITOR):
        raise ApiError(
            403, "audit_not_allowed", "只有县委组织部和审计、纪检可以查阅审计日志",
            "only county supervisors and auditors read the audit log",
        )  # fmt: skip


def add_list_routes(routers: dict[str, APIRouter]) -> None:
    """Lists over the read models, each on its resource's router."""

    @routers["communities"].get("/communities", responses=ERRORS, summary="社区列表 / communities")
    def list_communities(
        principal: CurrentPrincipal, reads: PagedReads, _: CaughtUp,
        street_id: UUID | None = None, model_type: ModelType | None = None,
        cursor: Cursor = None, limit: Limit = 50,
    ) -> PagePublic:  # fmt: skip
        return as_page(lambda: reads.communities(
            scope=principal.scope_org_id, street_id=street_id,
            model_type=model_type.value if model_type else None, cursor=cursor, limit=limit,
        ))  # fmt: skip

    @routers["members"].get(
        "/members", responses=ERRORS, summary="党员列表（查阅会被记录）/ members (reads are logged)"
    )
    def list_members(
        principal: CurrentPrincipal, services: ServicesDep, request: Request, _: CaughtUp,
        reads: PagedReads, organization_id: UUID | None = None, community_id: UUID | None = None,
        category: MemberCategory | None = None, cursor: Cursor = None, limit: Limit = 50,
    ) -> PagePublic:  # fmt: skip
        page = as_page(
            lambda: reads.members(
                scope=principal.scope_org_id,
                organization_id=organization_id,
                community_id=community_id,
                category=category.value if category else None,
                cursor=cursor,
                limit=limit,
            )
        )
        _log_member_list(services, principal, page, purpose_of(request))
        return page

    @routers["campaigns"].get("/campaigns", responses=ERRORS, summary="创建工程列表 / campaigns")
    def list_campaigns(
        principal: CurrentPrincipal, reads: PagedReads, _: CaughtUp,
        cursor: Cursor = None, limit: Limit = 50,
    ) -> PagePublic:  # fmt: skip
        return as_page(lambda: reads.campaigns(cursor=cursor, limit=limit))

    @routers["supervision-items"].get(
        "/supervision-items", responses=ERRORS, summary="督办事项列表 / supervision items"
    )
    def list_supervision_items(
        principal: CurrentPrincipal, services: ServicesDep, reads: PagedReads, _: CaughtUp,
        status: SupervisionStatus | None = None, campaign_id: UUID | None = None,
        cursor: Cursor = None, limit: Limit = 50,
    ) -> PagePublic:  # fmt: skip
        return as_page(
            lambda: reads.supervision_items(
                scope=principal.scope_org_id, status=status.value if status else None,
                campaign_id=campaign_id, cursor=cursor, limit=limit,
                today=services.app.clock.today(),
            )
        )  # fmt: skip

    @routers["organizations"].get(
        "/organizations/tree", responses=ERRORS, summary="组织树 / the organization tree"
    )
    def organization_tree(
        principal: CurrentPrincipal, services: ServicesDep, _: CaughtUp
    ) -> list[OrgNode]:
        return build_tree(services.read_models.organizations(scope=principal.scope_org_id))

    @routers["audit"].get(
        "/audit", responses=ERRORS, summary="审计日志 / the audit log of every change"
    )
    def audit_log(
        principal: CurrentPrincipal,
        services: ServicesDep,
        request: Request,
        _: CaughtUp,
        reads: PagedReads,
        filters: Annotated[AuditFilters, Query()],
        cursor: Cursor = None,
        limit: Limit = 100,
        order: Annotated[
            Literal["newest", "oldest"],
            Query(description="newest 最新在前（默认）/ oldest 按日志顺序；游标只用于同一顺序"),
        ] = "newest",
    ) -> PagePublic:
        county_wide(principal)
        chosen, newest = filters.as_dict(), order == "newest"
        page = as_page(lambda: reads.audit(chosen, cursor, limit, newest_first=newest))
        record_members_named(services, principal, request, units_in_audit(page.items))
        name_units(services, page.items)
        return page

    @routers["audit"].get(
        "/audit/personal-data-reads", responses=ERRORS,
        summary="个人信息查阅记录 / who read which member's personal data, and when",
    )  # fmt: skip
    def personal_data_reads(
        principal: CurrentPrincipal, reads: PagedReads, _: CaughtUp,
        member_id: UUID | None = None, actor: str | None = Query(None, max_length=200),
        cursor: Cursor = None, limit: Limit = 100,
    ) -> PagePublic:  # fmt: skip
        county_wide(principal)
        filters = {"event_type": "PersonalDataRead", "actor": actor, "data_contains": member_id}
        return as_page(lambda: reads.audit(filters, cursor, limit))


UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _ids_in(value: Any) -> Iterator[str]:
    """The ids a value holds, or names inside its text (a read's query, say)."""
    if isinstance(value, str):
        yield from UUID_TEXT.findall(value)
    elif isinstance(value, list):
        for v in value:
            yield from _ids_in(v)


def name_units(services: Services, items: list[dict[str, Any]]) -> None:
    """Give each audit entry the names of its unit and of the units its data refers to
    (``unit_name``, ``names``: id → name), so that people read names, not ids."""
    wanted = {str(i["aggregate_id"]) for i in items}
    for item in items:
        for value in item["data"].values():
            wanted.update(_ids_in(value))
    names = services.read_models.unit_names(wanted)
    for item in items:
        item["unit_name"] = names.get(str(item["aggregate_id"]))
        refs = {i for v in item["data"].values() for i in _ids_in(v)}
        item["names"] = {i: names[i] for i in sorted(refs) if i in names}


def _log_member_list(
    services: Services, principal: Principal, page: PagePublic, purpose: str
) -> None:
    ids = [UUID(str(item["id"])) for item in page.items]
    communities = {UUID(str(item["community_id"])) for item in page.items}
    services.access.record_personal_data_read(principal, ids, communities, purpose)


def build_tree(rows: list[dict[str, Any]]) -> list[OrgNode]:
    nodes = {
        row["id"]: OrgNode(
            **{k: row[k] for k in ("id", "name", "level", "community_id", "version")}
        )
        for row in rows
    }
    roots: list[OrgNode] = []
    for row in rows:  # rows come in path order, so parents precede children
        parent = nodes.get(row["parent_id"]) if row["parent_id"] else None
        (parent.children if parent else roots).append(nodes[row["id"]])
    return roots
