"""The audit log, filtered as the list is, as a spreadsheet for people: CSV or XLSX."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response

from sansan.api.compliance_endpoints import XLSX
from sansan.api.deps import CurrentPrincipal, ServicesDep
from sansan.api.exports import table_csv, table_xlsx
from sansan.api.list_endpoints import ERRORS, AuditFilters, CaughtUp, county_wide
from sansan.api.personal_data import record_members_named, units_in_audit
from sansan.api.problems import ApiError, Problem
from sansan.api.readable import actor_zh, event_zh, ids_in, kind_zh
from sansan.domain.event_labels import EVENT_LABELS_ZH
from sansan.projections.queries import MAX_LIMIT, ReadModels

MAX_ROWS = 50_000
HEADERS = [
    "日志位置", "单位类型", "单位", "单位编号", "事件", "版本", "记录人", "令牌编号",
    "发生日期", "记录时间（北京时间）", "社区", "社区编号", "街道", "街道编号", "内容",
    "备注", "文号", "来源",
]  # fmt: skip
WIDTHS = [10, 18, 24, 38, 20, 6, 24, 10, 12, 22, 16, 38, 16, 38, 80, 30, 20, 30]
# An entry's evidence, each in a column of its own rather than in 内容.
EVIDENCE = ("note", "evidence_ref", "imported_from")
CHINA = timedelta(hours=8)
NAMED = ("aggregate_id", "community_id", "street_id")  # each id has its unit's name beside it


def china_time(recorded_at: object) -> str:
    """A stored UTC instant as the county reads it: Beijing time, "YYYY-MM-DD HH:MM"."""
    if recorded_at is None or recorded_at == "":
        return ""
    moment = (
        recorded_at
        if isinstance(recorded_at, datetime)
        else datetime.fromisoformat(str(recorded_at))
    )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment.astimezone(UTC) + CHINA).strftime("%Y-%m-%d %H:%M")


def _text(value: object) -> object:
    return "" if value is None else value


def _without(data: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in (data or {}).items() if k not in keys}


def _name(names: dict[str, str], value: object) -> str:
    return names.get(str(value), "") if value else ""


def audit_rows(
    read_models: ReadModels, filters: dict[str, Any]
) -> tuple[list[list[object]], list[object]]:
    """Every matching entry in log order, and the units they name; more than MAX_ROWS asks
    the caller to narrow."""
    table: list[list[object]] = []
    units: list[object] = []
    cursor = None
    while True:
        page = read_models.audit(filters, cursor, MAX_LIMIT)
        units.extend(units_in_audit(page.items))
        ids = {str(item[c]) for item in page.items for c in NAMED if item[c]}
        ids |= set().union(*(ids_in(item["data"]) for item in page.items)) if page.items else set()
        names = read_models.unit_names(ids)
        for item in page.items:
            # which of the actor's tokens recorded it: a column of its own, so two tokens
            # of the same label are told apart (none for the demo, the command line, the system)
            data = dict(item["data"])
            token = data.pop("token_no", "")
            table.append([
                item["position"], kind_zh(item["aggregate_type"]),
                _name(names, item["aggregate_id"]), _text(item["aggregate_id"]),
                EVENT_LABELS_ZH.get(item["event_type"], "其他事件"),
                item["version"], actor_zh(item["actor"]), token, _text(item["occurred_on"]),
                china_time(item["recorded_at"]),
                _name(names, item["community_id"]), _text(item["community_id"]),
                _name(names, item["street_id"]), _text(item["street_id"]),
                event_zh(item["event_type"], _without(data, EVIDENCE), names),
                *(_text(data.get(key)) for key in EVIDENCE),
            ])  # fmt: skip
        if len(table) > MAX_ROWS:
            raise ApiError(
                422, "export_too_large", f"超过{MAX_ROWS:,}条，请缩小筛选范围",
                f"more than {MAX_ROWS} entries; narrow the filters",
            )  # fmt: skip
        cursor = page.next_cursor
        if cursor is None:
            return table, units


def add_audit_spreadsheet_routes(routers: dict[str, APIRouter]) -> None:
    @routers["audit"].get(
        "/audit/spreadsheet",
        responses=ERRORS | {200: {"content": {"text/csv": {}, XLSX: {}}}, 422: {"model": Problem}},
        response_class=Response,
        summary="导出审计日志（CSV 或 XLSX）/ the filtered audit log as a spreadsheet",
    )
    def audit_spreadsheet(
        principal: CurrentPrincipal,
        services: ServicesDep,
        request: Request,
        _: CaughtUp,
        filters: Annotated[AuditFilters, Query()],
        format: Annotated[Literal["csv", "xlsx"], Query(description="csv 或 xlsx")] = "csv",
    ) -> Response:
        county_wide(principal)
        table, units = audit_rows(services.read_models, filters.as_dict())
        record_members_named(services, principal, request, units)
        name = quote(f"审计日志.{format}")
        if format == "csv":
            body, media = table_csv(HEADERS, table), "text/csv; charset=utf-8"
        else:
            # a filed copy says what it is and when it was taken; the CSV stays one header row
            # for whoever processes it further
            heading = f"审计日志（导出时间：{china_time(services.app.clock.now())}，北京时间）"
            body, media = table_xlsx("审计日志", HEADERS, table, WIDTHS, heading=heading), XLSX
        return Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
        )
