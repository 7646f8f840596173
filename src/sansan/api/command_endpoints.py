"""Builds one POST route per entry of the command table."""

import email.message
import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, create_model
from starlette.concurrency import run_in_threadpool

from sansan.access import Principal
from sansan.api.command_routes import COMMAND_ROUTES, REFUSED_BECAUSE, CommandRoute
from sansan.api.deps import Services, ServicesDep, Writer, confirm_writer
from sansan.api.problems import ApiError, Problem, etag, role_refused
from sansan.api.readable import actor_zh
from sansan.api.schemas import CommandResponse
from sansan.commands import Command
from sansan.commands import community as cc
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.commands.base import UnitLog
from sansan.commands.examples import example_of
from sansan.domain import Community, NotFoundError, PartyOrganization, SupervisionItem, errors
from sansan.domain.supervision import REVIEWS
from sansan.domain.vocabulary import ROLE_RANK, SiteArea

# Who a flag came from, as the flagged unit reads it.
LEVEL_ZH = {"county": "县委组织部", "street": "街道党工委"}

# The headers' length limits, which the fast path (fast_commands.py) checks as FastAPI does.
IDEMPOTENCY_KEY_MAX = 200
IF_MATCH_MAX = 40
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=IDEMPOTENCY_KEY_MAX,
        description="相同的键重试不会重复记录 / a retry with the same key records nothing",
    ),
]
# A version, bare or as the ETag the service sent ("3"); ASCII digits only, as str.isdigit
# would also pass "²", which int() refuses; or "*" (any current version). A weak tag (W/"3")
# is well formed but never matches (parse_if_match).
IF_MATCH_PATTERN = r'^(?:[0-9]+|"[0-9]+"|W/"[0-9]+"|\*)$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN, re.ASCII)
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match", max_length=IF_MATCH_MAX,
        description="期望的版本号，即读取时的 ETag / the version you last read (its ETag)",
        json_schema_extra={"pattern": IF_MATCH_PATTERN},
    ),
]  # fmt: skip

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}}
    for code in (400, 401, 403, 404, 409, 412, 413, 415, 422)
}


def body_model(route: CommandRoute) -> type[BaseModel]:
    """The request body: the command's fields, less the id that the path carries."""
    command = route.command
    if route.creates:  # the command itself, the id a client may choose included
        example = example_of(command).model_dump(mode="json", exclude_none=True)
        documented = ConfigDict(json_schema_extra={"examples": [example]})
        namespace = {"model_config": documented, "__doc__": command.__doc__}
        return type(command.__name__, (command,), namespace | {"__module__": command.__module__})
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in command.model_fields.items()
        if name != command.target
    }
    example = example_of(command).model_dump(mode="json", exclude={command.target})
    return create_model(
        f"{command.__name__}Body",
        __config__=ConfigDict(  # the command's own config: extra fields and NaN refused
            extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [example]}
        ),
        __doc__=command.__doc__,
        **fields,
    )


UNSUPPORTED_MEDIA_TYPE = ApiError(
    415, "unsupported_media_type",
    "请求体须为 JSON，请设置 Content-Type: application/json",
    "the body must be JSON: send it with Content-Type: application/json",
    headers={"Accept-Post": "application/json"},
)  # fmt: skip


async def json_content(request: Request) -> None:
    """A body not declared as JSON is refused as such (415), not validated as the wrong thing
    (a form sent by ``curl -d``, or a body with no Content-Type, answered 422 "应为 JSON 对象").
    JSON is what FastAPI reads as JSON: application/json or application/*+json."""
    message = email.message.Message()
    message["content-type"] = request.headers.get("content-type", "")
    subtype = message.get_content_subtype()
    is_json = subtype == "json" or subtype.endswith("+json")
    if message.get_content_maintype() != "application" or not is_json:
        raise UNSUPPORTED_MEDIA_TYPE


# After the token: a caller without one learns it needs one (401) before anything of the body.
JsonContent = Annotated[None, Depends(json_content)]


def parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if text == "*":  # RFC 9110 §13.1.1: any current version, so no version to check
        return None
    if not _IF_MATCH.fullmatch(text):
        raise ApiError(
            400,
            "invalid_if_match",
            'If-Match 应为版本号，例如 "3"',
            'If-Match must be a version like "3"',
        )
    if text.startswith("W/"):
        # If-Match compares strongly (RFC 9110 §13.1.1): a weak tag matches no version, so
        # the write is not done. This service sends strong tags only ("3").
        raise ApiError(
            412, "weak_if_match",
            f"If-Match 为弱校验标签 {text}，不与任何版本相符；"
            f'请使用读取时的 ETag，例如 "{text[3:-1]}"',
            f'If-Match {text} is a weak tag, which never matches (RFC 9110 strong comparison);'
            f' send the ETag as read, e.g. "{text[3:-1]}"',
        )  # fmt: skip
    return int(text.strip('"'))


def parse_idempotency_key(value: str | None) -> str | None:
    """The key without the spaces and tabs around it: HTTP does not count them as part of a
    header's value (RFC 9110 §5.5), and most servers strip them already; a key that is
    nothing but blanks would silently record without any protection, so it is refused."""
    if value is None:
        return None
    key = value.strip(" \t")
    if not key:
        raise ApiError(
            400, "invalid_idempotency_key", "Idempotency-Key 不能为空",
            "Idempotency-Key must not be empty",
        )  # fmt: skip
    return key


def request_hash(path: str, body: BaseModel) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"POST {path}\n{canonical}".encode()).hexdigest()


def authorize(
    route: CommandRoute, command: Command, principal: Principal, services: Services
) -> None:
    """Writes outside the principal's role are refused with 403; a unit outside its subtree
    answers 404 exactly as an unknown id does, so a write cannot probe what exists."""
    role_may(route, principal)
    if principal.scope_org_id is None:
        return
    unit_id = getattr(command, route.scope_field) if route.scope_field else None
    if unit_id is None:
        raise ApiError(
            403, "outside_scope", "该单位不在您的管辖范围内",
            "this unit is outside the organization your token is scoped to",
        )  # fmt: skip
    kind = route.scope_kind
    try:
        unit = services.app.get(unit_id, kind)
    except NotFoundError:
        unit = None
    if unit is None or not services.access.covers(principal, unit):
        raise errors.UNIT_NOT_FOUND(kind=kind.__name__, kind_zh=kind.LABEL_ZH, id=unit_id)
    reviewing = isinstance(unit, SupervisionItem) and route.command.operation in REVIEWS
    if reviewing and not unit.reviewable_by(principal.role.value):
        raise ApiError(
            403, "review_by_assigner",
            "该督办事项由上级交办，审核、延期审批和办结须由交办单位办理",
            "an item assigned from above is reviewed, extended and closed by whoever assigned it",
        )  # fmt: skip
    accepting = isinstance(unit, PartyOrganization) and route.command is oc.RectifyWeakTeam
    if accepting and not unit.weak_rectifiable_by(principal.role.value):
        # the street answers for its communities' teams: a flag the county raised is lifted
        # by the county, not by the level being judged (review #2 finding 30)
        by_zh = LEVEL_ZH.get(unit.weak_flagged_by or "", LEVEL_ZH["county"])
        raise ApiError(
            403, "review_by_assigner",
            f"该班子由{by_zh}列为软弱涣散，整顿完成须由{by_zh}（或上级）验收记录",
            "the team was flagged from above; the level that flagged it, or a higher one,"
            " records its rectification",
        )  # fmt: skip
    recorder_level_may(command, principal, services, unit)


def role_may(route: CommandRoute, principal: Principal) -> None:
    """403 unless the principal's role may run the route's command."""
    if principal.role not in route.roles:
        raise role_refused(principal.role, why=REFUSED_BECAUSE.get(route.command, ("", "")))


# What each correction names, as a refusal says it: the fact's kind, its label and what of
# it is corrected (Chinese, English).
_CORRECTED: dict[type[Command], tuple[type[Any], str, tuple[str, str]]] = {
    cc.CorrectFacilityArea: (
        Community.FacilityUpgraded, "办公用房和活动场所建设", ("面积", "area")
    ),
    cc.CorrectFundingAmount: (Community.FundingAllocated, "划拨社区办公经费", ("金额", "amount")),
}


def recorder_level_may(
    command: Command, principal: Principal, services: Services, unit: object
) -> None:
    """A recorded area or amount is corrected by the level that recorded it or a higher one
    (review 3 finding 5), and once a level has corrected it, by that level or a higher one
    (outside review of 30 November: the street re-corrected what the county had corrected):
    403 like any act the role may not take, naming who recorded or corrected the figure. A
    version that recorded no such fact is left to the command's own 422."""
    if not isinstance(command, (cc.CorrectFacilityArea, cc.CorrectFundingAmount)):
        return
    kind, label_zh, (what_zh, what) = _CORRECTED[type(command)]
    version = command.corrected_version
    log = UnitLog(services.app.events, command.community_id)
    fact = log.at(version)
    if not isinstance(fact, kind) or not isinstance(unit, Community):
        return
    # of that one area: an upgrade's other area is another figure, corrected apart
    field = None
    if isinstance(command, cc.CorrectFacilityArea):
        field = SiteArea(command.corrected_field).value
    latest = unit.latest_correction(log, version, field)
    by = fact if latest is None else max(fact, latest, key=_rank)
    if Community.correctable_by(principal.role.value, by):
        return
    level = by.actor.partition(":")[0]  # a level above the principal's: the county or a street
    level_zh = LEVEL_ZH.get(level, LEVEL_ZH["county"])
    done = "记录" if by is fact else f"更正（第{by.originator_version}版）"
    raise role_refused(
        principal.role,
        why=(
            f"第{version}版{label_zh}由{actor_zh(by.actor)}{done}，其{what_zh}须由{level_zh}或上级更正；"
            f"只能更正本级或下级记录的{what_zh}",
            f"version {version} ({kind.__name__}) was {'recorded' if by is fact else 'corrected'}"
            f" by the {level} level; its {what} is corrected by that level or a higher one,"
            " never by a level below",
        ),
    )


def _rank(event: Any) -> int:
    """The level of whoever recorded ``event``: the county above a street above the rest."""
    return ROLE_RANK.get(str(event.actor).partition(":")[0], 0)


def names_free(command: Command, services: Services) -> None:
    """A name another unit already holds is refused: imports and people find a unit by its
    name, so every later row naming it would be ambiguous. A member's name is its own within
    its organization; an organization's and a community's within the whole county (the
    county's lists, boards and imports name them without saying where). Names are compared
    folded (“铁西社区(新)” is “铁西社区（新）”) and the refusal names the one held. Read from
    the read model, so a registration not yet projected is not seen."""
    models = services.read_models
    if isinstance(command, mc.RegisterMember):
        taken = models.members_named(command.organization_id, command.name)
        rule = errors.MEMBER_NAME_TAKEN
    elif isinstance(command, oc.EstablishPartyOrganization):
        taken, rule = models.organizations_named(command.name), errors.ORGANIZATION_NAME_TAKEN
    elif isinstance(command, cc.RegisterCommunity):
        taken, rule = models.communities_named(command.name), errors.COMMUNITY_NAME_TAKEN
    else:
        return
    if taken and command.id not in [i for i, _ in taken]:  # the same id: the store's to answer
        existing, held = taken[0]
        raise rule(name=held, existing=existing)


class CommandWrite:
    """One command's write over HTTP: its body model, built once, and the write itself, which
    both its FastAPI route and the fast path for the happy path (fast_commands.py) run."""

    def __init__(self, route: CommandRoute) -> None:
        self.route = route
        self.body = body_model(route)
        self.status_code = status.HTTP_201_CREATED if route.creates else status.HTTP_200_OK
        self.endpoint = self._endpoint()

    def run(
        self, body: BaseModel, target: UUID | None, principal: Principal, services: Services,
        if_match: str | None, idempotency_key: str | None,
    ) -> Response:  # fmt: skip
        """The whole write, in one worker thread; answers with JSON serialized once by
        pydantic (FastAPI would validate the model again)."""
        route = self.route
        confirm_writer(services, principal)
        values = dict(body)
        path = route.path
        if target is not None:
            values[route.command.target] = target
            path = path.replace("{id}", str(target))
        command = route.command.model_validate(values)
        authorize(route, command, principal, services)
        result = services.app.execute(
            command,
            actor=principal.actor,
            token_no=principal.token_no,
            expected_version=parse_if_match(if_match),
            idempotency_key=parse_idempotency_key(idempotency_key),
            request_hash=request_hash(path, body),
            check=lambda c: names_free(c, services),
        )
        headers = {"ETag": etag(result.version)}
        if route.creates:
            headers["Location"] = f"/api/v1{route.path}/{result.aggregate_id}"
        answer = CommandResponse.of(result).model_dump_json().encode()
        return Response(answer, self.status_code, headers, media_type="application/json")

    def _endpoint(self) -> Callable[..., Awaitable[Response]]:
        """An ``async`` endpoint that hands the whole write to one worker thread."""
        Body, run, route = self.body, self.run, self.route

        async def role_checked(principal: Writer) -> Principal:
            # a dependency: solved before the body is validated, so a role that may not
            # write here gets 403 whatever it sent, not the body's field problems
            role_may(route, principal)
            return principal

        RouteWriter = Annotated[Principal, Depends(role_checked)]

        if self.route.creates:

            async def create(
                body: Body,  # type: ignore[valid-type]
                principal: RouteWriter, services: ServicesDep, _: JsonContent,
                if_match: IfMatch = None, idempotency_key: IdempotencyKey = None,
            ) -> Response:  # fmt: skip
                return await run_in_threadpool(
                    run, body, None, principal, services, if_match, idempotency_key
                )

            return create

        async def change(
            id: Annotated[UUID, Path(description="单位编号 / the unit's id")],
            body: Body,  # type: ignore[valid-type]
            principal: RouteWriter, services: ServicesDep, _: JsonContent,
            if_match: IfMatch = None, idempotency_key: IdempotencyKey = None,
        ) -> Response:  # fmt: skip
            return await run_in_threadpool(
                run, body, id, principal, services, if_match, idempotency_key
            )

        return change


@cache
def command_writes() -> tuple[CommandWrite, ...]:
    """One per command, built once per process like the routes (app.py: api_v1_routes)."""
    return tuple(CommandWrite(route) for route in COMMAND_ROUTES)


def add_command_routes(routers: dict[str, APIRouter]) -> None:
    """One POST route per command, on its resource's router."""
    for write in command_writes():
        route = write.route
        summary, _, description = (route.command.__doc__ or "").partition("\n")
        routers[route.tag].add_api_route(
            route.path,
            write.endpoint,
            methods=["POST"],
            response_model=CommandResponse,
            status_code=write.status_code,  # docs
            summary=summary.strip(),
            description=description.strip() + f"\n\n角色 / roles: {', '.join(sorted(route.roles))}",
            operation_id=route.operation_id(),
            responses=ERRORS,
        )
