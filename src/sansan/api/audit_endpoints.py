"""The tamper-evident trail over HTTP: verification, checkpoints, exports, and the
auditors' two questions — who changed this unit, and what did this actor record."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sansan.api.deps import CurrentPrincipal, ServicesDep
from sansan.api.list_endpoints import (
    ERRORS,
    CaughtUp,
    PagedReads,
    PagePublic,
    as_page,
    county_wide,
    in_order,
    in_utc,
    out_of_range,
)
from sansan.api.personal_data import record_members_named, record_query_read, units_in_audit
from sansan.api.problems import ApiError
from sansan.audit.signing import SigningError
from sansan.audit.trail import CHECKPOINT_FORMAT, ExportFilter, kept_checkpoints
from sansan.audit.verify import Verdict

CHINA = timezone(timedelta(hours=8))
MAX_ITEMS = 500


class FailurePublic(BaseModel):
    position: int = Field(description="第一个出问题的日志位置 / first log position that fails")
    kind: str = Field(examples=["changed"], description="changed / missing / reordered / inserted")
    kind_zh: str = Field(examples=["内容被修改"])
    detail: str


class VerdictPublic(BaseModel):
    ok: bool
    count: int = Field(description="已校验的事件数 / events verified")
    head: str | None = Field(description="校验到的链头摘要 / chain head digest (hex)")
    head_position: int | None
    pending: int = Field(description="尚未入链的新事件 / events not chained yet")
    checkpoints_checked: int
    failure: FailurePublic | None
    sources: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, verdict: Verdict) -> "VerdictPublic":
        return cls.model_validate(verdict.as_dict())


class ChainPoint(BaseModel):
    seq: int
    position: int
    digest: str


class CheckpointPublic(ChainPoint):
    recorded_on: str = Field(examples=["2026-11-27"])  # text as signed, so the signature holds
    reason: str


# Unsigned, as a service without a signing key accepts it; a signed file adds both keys.
_KEPT_FILE: dict[str, Any] = {
    "format": CHECKPOINT_FORMAT,
    "exported_at": "2026-11-27T08:00:00+00:00",
    "head": {"seq": 1234, "position": 1240, "digest": "3f5a" * 16},
    "checkpoints": [
        {"seq": 1, "position": 1, "digest": "9c1e" * 16, "recorded_on": "2026-03-01",
         "reason": "first"},
    ],
}  # fmt: skip


class CheckpointFile(BaseModel):
    """检查点摘要文件：请离线保存 / the digest file to keep outside the database."""

    model_config = ConfigDict(json_schema_extra={"examples": [_KEPT_FILE]})

    format: str = Field(examples=[CHECKPOINT_FORMAT])
    exported_at: str = Field(examples=["2026-11-27T08:00:00+00:00"])
    head: ChainPoint | None
    checkpoints: list[CheckpointPublic]
    public_key: str | None = None
    signature: str | None = None


class ActorSummary(BaseModel):
    actor: str
    events: int
    first_recorded_at: str
    last_recorded_at: str


class TypeSummary(BaseModel):
    event_type: str
    events: int
    first_recorded_at: str
    last_recorded_at: str


class UnitChanges(BaseModel):
    unit_id: UUID
    date_from: date | None
    date_to: date | None
    actors: list[ActorSummary] = Field(description="谁改过它 / who changed it, most active first")
    changes: PagePublic
    personal_data_reads: list[dict[str, Any]] = Field(
        description="同期对该单位党员信息的查阅 / reads of its members' personal data"
    )


class ActorRecord(BaseModel):
    actor: str
    date_from: date | None
    date_to: date | None
    by_type: list[TypeSummary]
    events: PagePublic
    personal_data_reads: list[dict[str, Any]] = Field(
        description="该用户查阅党员个人信息的记录 / personal data this actor read"
    )


DateFrom = Annotated[date | None, Query(alias="from", description="起始日期（含，北京时间）")]
DateTo = Annotated[date | None, Query(alias="to", description="截止日期（含，北京时间）")]
ExportFrom = Annotated[AwareDatetime | None, Query(description="记录时间下限 / recorded from")]
ExportTo = Annotated[AwareDatetime | None, Query(description="记录时间上限 / recorded until")]
Actor = Annotated[str, Path(min_length=1, max_length=200, examples=["county:组织部"])]


def recorded_between(start: date | None, end: date | None) -> dict[str, datetime | None]:
    """Whole days in China time, as the UTC bounds the audit log stores."""
    in_order(start, end, "to")
    return {
        "recorded_from": None if start is None else _day_starts("from", start, 0),
        "recorded_to": None if end is None else
        _day_starts("to", end, 1) - timedelta(microseconds=1),
    }  # fmt: skip


def _day_starts(field: str, day: date, days_after: int) -> datetime:
    """The China midnight days_after the day, in UTC."""
    try:
        return datetime.combine(day + timedelta(days=days_after), time(), CHINA).astimezone(UTC)
    except OverflowError:
        raise out_of_range(field) from None


def add_audit_routes(routers: dict[str, APIRouter]) -> None:
    router = routers["audit"]

    @router.get("/audit/verify", response_model=VerdictPublic, responses=ERRORS,
                summary="校验审计哈希链 / recompute the hash chain over the whole log")  # fmt: skip
    def verify_chain(principal: CurrentPrincipal, services: ServicesDep) -> VerdictPublic:
        county_wide(principal)
        return VerdictPublic.of(services.audit.verify())

    @router.post("/audit/verify", response_model=VerdictPublic, responses=ERRORS | {422: {}},
                 summary="对照离线保存的检查点文件校验 / verify against a kept checkpoint file")  # fmt: skip
    def verify_against(
        principal: CurrentPrincipal, services: ServicesDep,
        kept: Annotated[CheckpointFile, Body()],
    ) -> VerdictPublic:  # fmt: skip
        county_wide(principal)
        document = kept.model_dump(mode="json", exclude_unset=True)
        try:  # a service that signs accepts only files it signed itself
            pinned, source = kept_checkpoints(document, _signing(services.audit.public_key))
        except SigningError as error:
            raise ApiError(
                422, "checkpoint_file_untrusted", "检查点文件的签名无效或不是本服务签发",
                f"the checkpoint file fails its signature check: {error}",
            ) from error  # fmt: skip
        verdict = services.audit.verify(pinned)
        return VerdictPublic.of(replace(verdict, sources=[*verdict.sources, source]))

    @router.get("/audit/checkpoints", response_model=CheckpointFile, responses=ERRORS,
                summary="导出签名的检查点摘要文件 / the signed checkpoint digest file")  # fmt: skip
    def checkpoints(principal: CurrentPrincipal, services: ServicesDep) -> Any:
        county_wide(principal)
        return _signing(services.audit.checkpoint_file)

    @router.get(
        "/audit/export", responses=ERRORS | {200: {"content": {"application/x-ndjson": {}}}},
        response_class=StreamingResponse,
        summary="导出可离线校验的历史（JSONL）/ history as JSONL with digests and the chain proof",
    )  # fmt: skip
    def export(
        principal: CurrentPrincipal, services: ServicesDep, request: Request, aggregate_id: UUID | None = None,
        recorded_from: ExportFrom = None, recorded_to: ExportTo = None,
    ) -> StreamingResponse:  # fmt: skip
        county_wide(principal)
        start, end = in_utc("recorded_from", recorded_from), in_utc("recorded_to", recorded_to)
        in_order(start, end, "recorded_to")
        chosen = ExportFilter(aggregate_id, start, end)
        lines = services.audit.export(chosen)
        first = _signing(lambda: next(lines))  # a missing key fails here, before the 200
        # any member's events may be in it; recorded once the export has fixed the chain head
        # it covers, before a line of it is sent
        record_query_read(services, principal, request)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return StreamingResponse(
            _chain_lines(first, lines), media_type="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="sansan-audit-{stamp}.jsonl"'},
        )  # fmt: skip

    @router.get("/audit/units/{unit_id}/changes", response_model=UnitChanges, responses=ERRORS,
                summary="谁在两个日期之间改过这个单位 / who changed this unit between two dates")  # fmt: skip
    def unit_changes(
        principal: CurrentPrincipal, services: ServicesDep, request: Request, _: CaughtUp,
        paged: PagedReads, unit_id: UUID,
        date_from: DateFrom = None, date_to: DateTo = None, cursor: str | None = Query(None, max_length=500),
    ) -> UnitChanges:  # fmt: skip
        county_wide(principal)
        between = recorded_between(date_from, date_to)
        filters = {"unit_id": unit_id, **between}
        reads = {"event_type": "PersonalDataRead", "data_contains": unit_id, **between}
        models = services.read_models
        answer = UnitChanges(
            unit_id=unit_id, date_from=date_from, date_to=date_to,
            actors=[ActorSummary(**row) for row in models.audit_counts(filters, "actor")],
            changes=as_page(lambda: paged.audit(filters, cursor, MAX_ITEMS)),
            personal_data_reads=_reads_of_unit(services, unit_id, reads),
        )  # fmt: skip
        # recorded once the answer is read, so the answer never shows its own reading
        record_members_named(services, principal, request, units_in_audit(answer.changes.items))
        return answer

    @router.get("/audit/actors", response_model=list[ActorSummary], responses=ERRORS,
                summary="记录过内容的全部用户 / every actor in the log, with counts")  # fmt: skip
    def actors(principal: CurrentPrincipal, services: ServicesDep, _: CaughtUp) -> list[ActorSummary]:
        county_wide(principal)
        return [ActorSummary(**row) for row in services.read_models.audit_counts({}, "actor")]

    @router.get("/audit/actors/{actor}", response_model=ActorRecord, responses=ERRORS,
                summary="某用户记录的全部内容 / everything an actor recorded")  # fmt: skip
    def actor_record(
        principal: CurrentPrincipal, services: ServicesDep, request: Request, _: CaughtUp,
        paged: PagedReads, actor: Actor,
        date_from: DateFrom = None, date_to: DateTo = None, cursor: str | None = Query(None, max_length=500),
    ) -> ActorRecord:  # fmt: skip
        county_wide(principal)
        filters = {"actor": actor, **recorded_between(date_from, date_to)}
        models = services.read_models
        recorded = {**filters, "event_type": None}
        reads = {**filters, "event_type": "PersonalDataRead"}
        answer = ActorRecord(
            actor=actor, date_from=date_from, date_to=date_to,
            by_type=[TypeSummary(**row) for row in models.audit_counts(recorded, "event_type")],
            events=as_page(lambda: paged.audit(recorded, cursor, MAX_ITEMS)),
            personal_data_reads=models.audit(reads, None, MAX_ITEMS).items,
        )  # fmt: skip
        record_members_named(services, principal, request, units_in_audit(answer.events.items))
        return answer


def _reads_of_unit(services: ServicesDep, unit_id: UUID, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """Reads of this member, or of members inside this community."""
    by_member = services.read_models.audit(filters, None, MAX_ITEMS).items
    inside = {**filters, "data_contains": None, "community_id": unit_id}
    by_community = services.read_models.audit(inside, None, MAX_ITEMS).items
    merged = {item["position"]: item for item in by_member + by_community}
    return [merged[p] for p in sorted(merged)]


def _signing(call: Any) -> Any:
    try:
        return call()
    except SigningError as error:
        raise ApiError(
            503, "signing_key_unavailable", "审计签名密钥不可用，请检查 SANSAN_AUDIT_SIGNING_KEY",
            f"the audit signing key cannot be used: {error}",
        ) from error  # fmt: skip


def _chain_lines(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
