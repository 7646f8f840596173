"""RFC 9457 problem details for every error, in Chinese and English, field by field."""

import logging
import re
import sqlite3
from collections.abc import Mapping
from datetime import date
from http import HTTPStatus
from typing import Any

import psycopg
import psycopg_pool
from annotated_types import Ge, Le
from eventsourcing import persistence
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from sansan.application import ConcurrencyConflict, IdempotencyKeyReused, IdTaken
from sansan.commands import VersionMismatch
from sansan.commands.base import PATTERN_SAID
from sansan.domain import DomainError, NotFoundError
from sansan.domain.errors import DomainErrors, InvalidReferences, plain_figure
from sansan.domain.event_labels import FIELD_LABELS_ZH
from sansan.domain.vocabulary import Labelled, Role
from sansan.internal_ids import InternalIdClash
from sansan.persistence import is_read_only_refusal

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

# Failures of the store itself (down, locked, pool exhausted): the request did not happen
# and may be retried. Programming errors stay 500.
STORE_UNAVAILABLE: tuple[type[Exception], ...] = (
    persistence.OperationalError,
    persistence.InterfaceError,
    persistence.ConnectionPoolClosedError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
)


class FieldProblem(BaseModel):
    field: str = Field(examples=["days"])
    label_zh: str = Field(
        "", examples=["培训天数"], description="字段的中文名称 / the field's Chinese label"
    )
    type: str = Field(examples=["less_than_equal"])
    message_zh: str = Field(examples=["取值超出允许范围"])
    message_en: str = Field(examples=["Input should be less than or equal to 30"])


class Problem(BaseModel):
    type: str = Field(
        "about:blank", examples=["https://sansan.example/problems/training_days_out_of_range"]
    )
    title: str = Field(examples=["Unprocessable Content"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["training days must be between 0.5 and 30, got 31"])
    instance: str | None = Field(None, examples=["/api/v1/members/…/trainings"])
    code: str = Field(examples=["training_days_out_of_range"])
    message_zh: str = Field(examples=["培训天数须在 0.5 至 30 天之间，实际为 31"])
    message_en: str = Field(examples=["training days must be between 0.5 and 30, got 31"])
    errors: list[FieldProblem] = Field(default_factory=list)
    current_version: int | None = None


class ApiError(Exception):
    """An error raised by the HTTP layer itself (auth, headers)."""

    def __init__(
        self, status: int, code: str, zh: str, en: str, headers: dict[str, str] | None = None,
        errors: list[FieldProblem] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(en)
        self.status, self.code, self.zh, self.en, self.headers = status, code, zh, en, headers
        self.errors = errors


def role_refused(
    role: Role, doing_zh: str = "执行此操作", doing_en: str = "do this",
    why: tuple[str, str] = ("", ""),
) -> ApiError:
    """403 for a role that may not do what it asked. An auditor is told it reads only: the
    reason another level gives (say, a community's) would not be its own."""
    if role is Role.AUDITOR:
        did_zh = "填报" if doing_zh == "执行此操作" else doing_zh
        return ApiError(
            403, "role_not_allowed", f"{role.label_zh}只读，不能{did_zh}",
            "the auditor role reads only; it records nothing" if doing_en == "do this"
            else f"the auditor role reads only; it may not {doing_en}",
        )  # fmt: skip
    why_zh, why_en = why
    return ApiError(
        403, "role_not_allowed",
        f"“{role.label_zh}”角色不能{doing_zh}" + (f"：{why_zh}" if why_zh else ""),
        f"the {role.value} role may not {doing_en}" + (f": {why_en}" if why_en else ""),
    )  # fmt: skip


def problem(
    request: Request,
    status: int,
    code: str,
    zh: str,
    en: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = Problem(
        type=f"https://sansan.example/problems/{code}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=en,
        instance=request.url.path,
        code=code,
        message_zh=zh,
        message_en=en,
        errors=errors or [],
        **extra,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


# Chinese wording for pydantic's error types; anything else falls back to a general phrase.
_ZH_BY_TYPE = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许出现该字段",
    "string_too_short": "不能为空或长度不足",
    "string_too_long": "长度超过上限",
    "placeholder_id": "全 0 或全 f 的 UUID 不能作为编号，请换用其他编号",
    "too_long": "项目数量超过上限",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "int_parsing": "必须是整数",
    "int_from_float": "必须是整数",
    "float_parsing": "必须是数字",
    "number_not_boolean": "必须是数字，不能是 true 或 false",
    "decimal_parsing": "必须是数字",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多",
    "bool_parsing": "必须是 true 或 false",
    "date_parsing": "日期格式无效，应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式无效，应为 YYYY-MM-DD",
    # "20261120" (or the number 20261120) is read as a Unix timestamp in 1970
    "date_from_datetime_inexact": "日期格式应为 2026-11-20（年-月-日，用短横线分隔）",
    "datetime_parsing": "时间格式无效，应为 ISO 8601",
    "datetime_from_date_parsing": "时间格式无效，应为 ISO 8601",
    "timezone_aware": "时间必须带时区",
    "uuid_parsing": "编号格式无效",
    "uuid_type": "编号格式无效",
    "json_invalid": "JSON 格式错误",
    "json_type": "JSON 格式错误",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为 JSON 数组",
    "string_type": "应为文本",
    "greater_than": "取值过小",
    "greater_than_equal": "取值过小",
    "less_than": "取值过大",
    "less_than_equal": "取值过大",
    "finite_number": "必须是有限数字",
    "unknown_plan": "没有该编号的创建方案",
    "reserved_id": "版本 8 的 UUID 留作服务内部记录，请换用其他编号",
    "string_pattern_mismatch": "格式不符合要求",
    "range_reversed": "截止日期早于起始日期",
}




# A query parameter's Chinese name, where the events' field labels have none (the 审计
# page's words for its filters): a Chinese message never names a field in English.
_QUERY_LABELS_ZH = {
    "format": "格式", "limit": "条数", "offset": "起始位置", "as_of": "评估日期",
    "cursor": "翻页位置", "body": "请求内容", "failing_limit": "未达标单位条数", "period": "年度",
    "actor": "记录人", "after": "日志位置", "aggregate_id": "对象编号",
    "aggregate_type": "对象类型", "event_type": "事件类型", "failing": "只看投递失败的",
    "filled": "填入现有数据", "from": "起始日期", "to": "截止日期",
    "occurred_from": "发生日期起", "occurred_to": "发生日期止", "order": "排序",
    "q": "搜索文字", "recorded_from": "记录时间起", "recorded_to": "记录时间止",
    "street_id": "街道", "unacknowledged": "只看未签收的", "version": "版本",
}  # fmt: skip


def label_zh(field: str) -> str:
    """A field as the forms label it ("community_ids.2" is “示范社区”第 3 项), else its name."""
    name, *rest = field.split(".")
    label = FIELD_LABELS_ZH.get(name) or _QUERY_LABELS_ZH.get(name, name)
    return label + "".join(f"第 {int(p) + 1} 项" if p.isdigit() else f"·{p}" for p in rest)


# The query parameters' fixed choices (Literal, not a vocabulary) as the pages say them.
_CHOICES_ZH = {
    "newest": "最新在前", "oldest": "最早在前", "changes": "仅数据变更",
    "reads": "仅个人信息查阅", "ended": "已结束的年度", "running": "进行中的年度",
    "json": "JSON", "csv": "CSV", "xlsx": "Excel（xlsx）",
}  # fmt: skip


def _choices_zh(expected: str) -> str:
    """Allowed values as people read them: a vocabulary's Chinese labels, else the values."""
    values = re.findall(r"'([^']*)'", expected)
    for vocabulary in Labelled.__subclasses__():
        if values and {v.value for v in vocabulary} == set(values):
            return "、".join(vocabulary(v).label_zh for v in values)
    return "、".join(_CHOICES_ZH.get(v, v) for v in values)


_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_DATE_ERRORS = ("date_parsing", "date_from_datetime_parsing", "date_type")


def _no_such_day(value: Any) -> tuple[str, str] | None:
    """A date written right that the calendar does not have (2026-02-29), said as such, not
    as a wrong format."""
    found = _DAY.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        return None
    year, month, day = (int(part) for part in found.groups())
    try:
        date(year, month, day)
    except ValueError:
        if not 1 <= month <= 12:
            return f"月份须在1至12之间，实际为{month}", f"a month is 1 to 12, got {month}"
        return f"{year}年没有{month}月{day}日", f"{value} is no day of the calendar"
    return None


Bounds = tuple[Any, Any]  # (ge, le) of a parameter, each None where it has none


def _bounds_of(request: Request | None, field: str) -> Bounds:
    """A query or path parameter's declared bounds: a refusal states the whole range."""
    route = request.scope.get("route") if request is not None else None
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None, None
    pending = [dependant]
    while pending:  # the endpoint's own parameters, and its dependencies'
        current = pending.pop()
        pending.extend(current.dependencies)
        for param in (*current.query_params, *current.path_params):
            if param.alias == field:
                metadata = param.field_info.metadata
                ge = next((m.ge for m in metadata if isinstance(m, Ge)), None)
                le = next((m.le for m in metadata if isinstance(m, Le)), None)
                return ge, le
    return None, None


def _range_zh(kind: str, ctx: Mapping[str, Any], bounds: Bounds) -> str | None:
    low, high = bounds
    if low is not None and high is not None:
        return f"须在{low}至{high}之间"
    said = {"greater_than": "须大于{gt}", "greater_than_equal": "须不小于{ge}",
            "less_than": "须小于{lt}", "less_than_equal": "须不大于{le}"}.get(kind)  # fmt: skip
    try:
        return said.format(**ctx) if said else None
    except KeyError:
        return None


RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _message(error: Mapping[str, Any], bounds: Bounds = (None, None)) -> tuple[str, str]:
    """The Chinese message for a validation error, and the English one (pydantic's own,
    unless a better one is known)."""
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    english = str(error.get("msg", "Invalid value"))
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_SAID:
        return PATTERN_SAID[ctx["pattern"]]
    if kind in _DATE_ERRORS and (unknown := _no_such_day(error.get("input"))):
        return unknown
    if kind in RANGE_ERRORS and (said := _range_zh(kind, ctx, bounds)):
        given = error.get("input")
        if isinstance(given, float):  # never 1e+308
            given = plain_figure(given, "", "")[0]
        low, high = bounds
        if low is not None and high is not None:
            english = f"must be between {low} and {high}, got {given}"
        return f"{said}，实际为{given}", english
    said = _ZH_BY_TYPE.get(kind, "取值无效")
    choices = _choices_zh(str(ctx.get("expected", ""))) if kind in ("enum", "literal_error") else ""
    return (f"{said}，可选：{choices}" if choices else said), english


def _http_zh(status: int, headers: Mapping[str, str] | None) -> str:
    """The Chinese of Starlette's own refusals (no route, a method it does not take)."""
    if status == 404:
        return "未找到该接口"
    if status == 405:
        allowed = (headers or {}).get("Allow", "")
        return f"不支持该请求方法（允许：{allowed}）" if allowed else "不支持该请求方法"
    return f"请求失败（HTTP {status}）"


# FastAPI's answer to a body it could not even decode (bytes that are not UTF-8): a JSON
# syntax error is a RequestValidationError with a place, this one has no more than its text.
_BODY_UNPARSED = "There was an error parsing the body"
_UNREADABLE_ZH = "请求内容不是有效的 UTF-8 JSON，请以 UTF-8 编码发送 JSON"
_UNREADABLE_EN = "the request body is not valid UTF-8 JSON"


def _field_problems(
    exc: RequestValidationError, request: Request | None = None
) -> list[FieldProblem]:
    problems = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":  # its place is a character offset, no field
            at = error.get("loc", ("body", 0))[-1]
            where = f"（第 {at + 1} 个字符附近）" if isinstance(at, int) else ""
            problems.append(FieldProblem(
                field="body", type="json_invalid", message_zh=f"请求体不是有效的 JSON{where}",
                message_en=f"{error.get('msg', 'JSON decode error')} at character {at}",
            ))  # fmt: skip
            continue
        location = [str(part) for part in error.get("loc", ())]
        parameter = bool(location) and location[0] in ("query", "path")
        if location and location[0] in ("body", "query", "path", "header"):
            location = location[1:] or location
        field = ".".join(location) or "body"
        bounds = _bounds_of(request, field) if parameter else (None, None)
        message_zh, message_en = _message(error, bounds)
        problems.append(
            FieldProblem(
                field=field,
                label_zh=label_zh(field),
                type=error.get("type", "value_error"),
                message_zh=message_zh,
                message_en=message_en,
            )
        )
    return problems


def _rule_problems(exc: DomainError) -> list[FieldProblem]:
    """The fields a refused command's rules are about, one entry each (none for a rule about
    the unit as a whole)."""
    return [
        FieldProblem(
            field=e.field, label_zh=label_zh(e.field), type=e.code,
            message_zh=e.message_zh, message_en=e.message_en,
        )
        for e in (exc.errors if isinstance(exc, DomainErrors) else [exc])
        if e.field is not None
    ]  # fmt: skip


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = _field_problems(exc, request)
        names = "、".join(dict.fromkeys(f"“{f.label_zh}”" for f in fields))
        english = ", ".join(f.field for f in fields)
        return problem(
            request, 422, "invalid_request",
            f"请求内容有误：{names}", f"the request has invalid fields: {english}", errors=fields,
        )  # fmt: skip

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return problem(request, 404, exc.code, exc.message_zh, exc.message_en)

    @app.exception_handler(InvalidReferences)
    async def unknown_references(request: Request, exc: InvalidReferences) -> JSONResponse:
        fields = [
            FieldProblem(
                field=name, label_zh=label_zh(name), type=e.code,
                message_zh=e.message_zh, message_en=e.message_en,
            )
            for name, e in exc.problems
        ]
        return problem(request, 422, exc.code, exc.message_zh, exc.message_en, errors=fields)

    @app.exception_handler(DomainError)
    async def rule_broken(request: Request, exc: DomainError) -> JSONResponse:
        return problem(
            request, 422, exc.code, exc.message_zh, exc.message_en, errors=_rule_problems(exc)
        )

    @app.exception_handler(VersionMismatch)
    async def stale(request: Request, exc: VersionMismatch) -> JSONResponse:
        return problem(
            request, 412, "version_mismatch",
            f"数据已被修改：当前版本为 {exc.current}，请求基于版本 {exc.expected}",
            f"the unit is at version {exc.current}, not {exc.expected}",
            current_version=exc.current, headers={"ETag": etag(exc.current)},
        )  # fmt: skip

    @app.exception_handler(ConcurrencyConflict)
    async def conflict(request: Request, exc: ConcurrencyConflict) -> JSONResponse:
        return problem(
            request, 409, "concurrent_write",
            "另一请求刚刚修改了该单位，本次未记录任何内容，请重试",
            "another request changed this unit first; nothing was recorded, retry",
            current_version=exc.current_version,
        )  # fmt: skip

    @app.exception_handler(IdempotencyKeyReused)
    async def key_reused(request: Request, exc: IdempotencyKeyReused) -> JSONResponse:
        return problem(
            request, 422, "idempotency_key_reused",
            "该 Idempotency-Key 已用于另一个不同的请求",
            "this Idempotency-Key was already used for a different request",
        )  # fmt: skip

    @app.exception_handler(IdTaken)
    async def id_taken(request: Request, exc: IdTaken) -> JSONResponse:
        return problem(
            request, 409, "id_taken",
            f"编号 {exc.aggregate_id} 已被另一单位使用，本次未记录任何内容；"
            "请换用其他编号，或不填编号由服务生成",
            f"the id {exc.aggregate_id} is taken by another unit; nothing was recorded; choose"
            " another id or leave it out",
        )  # fmt: skip

    @app.exception_handler(InternalIdClash)
    async def internal_id_clash(request: Request, exc: InternalIdClash) -> JSONResponse:
        # Logged as each candidate was passed over; with a secret key it does not happen.
        return problem(
            request, 409, "internal_id_clash",
            "服务内部记录的编号与已有单位冲突，本次未记录任何内容，已记入日志",
            "the id of the service's own record is taken by another unit; nothing was"
            " recorded, and the clash was logged",
        )  # fmt: skip

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem(
            request, exc.status, exc.code, exc.zh, exc.en, headers=exc.headers, errors=exc.errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _BODY_UNPARSED:
            return problem(
                request, 400, "unreadable_body", _UNREADABLE_ZH, _UNREADABLE_EN,
                errors=[FieldProblem(
                    field="body", label_zh=label_zh("body"), type="unreadable_body",
                    message_zh=_UNREADABLE_ZH, message_en=_UNREADABLE_EN,
                )],
            )  # fmt: skip
        phrase = HTTPStatus(exc.status_code).phrase
        headers = getattr(exc, "headers", None)
        return problem(
            request, exc.status_code, phrase.lower().replace(" ", "_"),
            _http_zh(exc.status_code, headers), str(exc.detail), headers=headers,
        )  # fmt: skip

    for transient in STORE_UNAVAILABLE:

        @app.exception_handler(transient)
        async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
            log.warning("store unavailable on %s: %s", request.url.path, exc)
            return problem(
                request, 503, "store_unavailable",
                "数据库暂时不可用，请稍后用相同的 Idempotency-Key 重试（不会重复记录）",
                "the store is unavailable right now; retry shortly with the same Idempotency-Key"
                " (a command is recorded at most once)",
                headers={"Retry-After": "2"},
            )  # fmt: skip

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s", request.url.path, exc_info=exc)
        return problem(
            request, 500, "internal_error", "服务器内部错误，未记录任何内容",
            "internal error; nothing was recorded",
        )  # fmt: skip

    @app.exception_handler(persistence.InternalError)
    @app.exception_handler(psycopg.errors.ReadOnlySqlTransaction)
    async def store_failed(request: Request, exc: Exception) -> JSONResponse:
        if not is_read_only_refusal(exc):
            return await unexpected(request, exc)
        log.warning("store is read-only on %s: %s", request.url.path, exc)
        return problem(
            request, 503, "store_read_only",
            "数据库当前处于只读状态（如维护中），本次未记录任何内容，请稍后重试",
            "the store is read-only (e.g. for maintenance); nothing was recorded, retry later",
            headers={"Retry-After": "30"},
        )  # fmt: skip


def etag(version: int) -> str:
    return f'"{version}"'
