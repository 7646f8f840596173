"""A campaign's progress against its plan, and one community's scorecard; JSON, CSV or XLSX."""

from dataclasses import replace
from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from sansan.access import Principal
from sansan.api.deps import CurrentPrincipal, ServicesDep
from sansan.api.exports import report_title, to_csv, to_xlsx
from sansan.api.personal_data import record_members_named
from sansan.api.problems import ApiError, FieldProblem, Problem
from sansan.api.unit_endpoints import visible
from sansan.bootstrap import Services
from sansan.domain import Community, CreationCampaign, PartyOrganization, errors
from sansan.domain.vocabulary import OrgLevel, zh_date
from sansan.plans import Plan, pinned_plan
from sansan.projections.compliance import (
    STATUSES,
    Correction,
    CorrectionsElsewhere,
    Page,
    PeriodResult,
    TargetResult,
    corrections_applied,
    corrections_elsewhere,
    evaluate,
    on_scorecard,
)

Format = Literal["json", "csv", "xlsx"]
AsOf = Annotated[
    date | None, Query(description="评估日期（按发生日期），默认今天 / defaults to today")
]
FormatQuery = Annotated[Format, Query(description="json、csv 或 xlsx")]
StreetQuery = Annotated[
    UUID | None, Query(description="只看该街道党工委所辖社区 / only this street's communities")
]
# A JSON answer lists a page of each target's failing units (a spreadsheet lists them all).
FAILING_PAGE, FAILING_PAGE_MAX = 100, 1000
FailingLimit = Annotated[
    int,
    Query(
        ge=0, le=FAILING_PAGE_MAX,
        description="JSON 中每个目标列出的未达标单位数（其余按 failing_total 计数，用 …/failing 翻页；"
        "CSV、XLSX 总是完整）/ failing units listed per target in JSON (failing_total counts them "
        "all; page on with …/failing; CSV and XLSX list every one)",
    ),
]  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/csv": {}, XLSX: {}}},
    404: {"model": Problem},
    422: {"model": Problem},
}


StatusName = Literal["green", "yellow", "red", "not_due", "no_data", "not_applicable"]
UnitName = Literal["share", "count", "yuan", "days", "m2"]


class FailingPublic(BaseModel):
    unit_id: str
    unit_name: str
    reason_zh: str
    due_on: date | None = Field(
        None, description="该单位自己的截止日期（新设、新任、新登记的单位） / its own due date, when it differs"
    )
    status: StatusName | None = Field(
        None, description="该单位自己的状态（与目标不同时） / its own status, when it differs"
    )
    now_zh: str | None = Field(
        None, examples=["现已补足", "现仍未补足：2026年经费5,000元，不足10,000元"],
        description="已结束年度未达标：该单位现在的情况（reason_zh 是年末结论时的）"
        " / an ended year missed: the unit as counted now (reason_zh is the verdict's)",
    )  # fmt: skip


class PeriodPublic(BaseModel):
    """One year of a yearly target: the last ended year's verdict, or the running year's tally."""

    kind: Literal["ended", "running"] = Field(
        description="ended：上一个已结束年度的结论；running：本年度进度 / the ended year or the running one"
    )
    label_zh: str = Field(examples=["2026年"])
    start: date
    end: date
    status: StatusName
    status_zh: str
    measured: float
    measured_text: str = Field(examples=["2/3个社区", "8,000元"])
    threshold_text: str = Field("", examples=["100%", "10,000元"])
    made_good_on: date | None = Field(
        None, description="逾期后补足的日期（期限时的结论不变） / made good late on this day"
    )
    now_text: str | None = Field(
        None, examples=["50,000元", "3/3个社区"],
        description="已结束年度未达标：现在计得的数字（measured_text 是年末结论时的）"
        " / an ended year missed: the figure on record now (measured_text is the verdict's)",
    )  # fmt: skip
    line_zh: str = Field(
        "", examples=["2026年度到位0元（年末未达标）；2027年1月5日补足，现累计到位50,000元"],
        description="该年度的一句话说明 / the period as an official reads it",
    )  # fmt: skip
    failing: list[FailingPublic] = Field(
        description="未达标单位的第一页 / the first page of the failing units"
    )
    failing_total: int = Field(description="未达标单位总数 / how many fail in all")


class TargetStatus(BaseModel):
    id: str = Field(examples=["standard-sites-first"])
    clause: str
    title_zh: str
    status: StatusName
    status_zh: str
    applicable: bool = Field(description="目标是否适用 / whether the target applies at all")
    period_start: date | None = Field(
        None, description="所评估期间的起点（无则不限） / first day counted, if any"
    )
    period_end: date = Field(description="所评估期间的截止日期 / the due date judged")
    measured: float
    measured_text: str = Field(
        examples=["2个社区", "18/21人", "52%（11/21人）", "8,000元"],
        description="实测值，按页面的写法 / the measured figure as the page reads it",
    )
    unit: UnitName = Field(description="实测值的单位 / what measured is counted in")
    unit_zh: str
    threshold: float
    threshold_text: str = Field(
        examples=["100%", "10,000元", "2个社区"],
        description="标准，按页面的写法 / the standard as the page reads it",
    )
    counted_zh: str = Field(
        examples=["人", "个社区"], description="实测值所数的对象 / what the figure counts"
    )
    failing_zh: str = Field(
        examples=["人", "个社区", "个街道"],
        description="未达标名单所列的对象 / what the failing list names",
    )
    failing_count_zh: str = Field(examples=["3人"], description="未达标数 / how many fall short")
    county_wide: bool = Field(
        False,
        description="全县目标：按全县计算，不是调用方自己的目标（不计入 summary）"
        " / the county's target, measured over the county, not counted in summary",
    )
    street_wide: bool = Field(
        False,
        description="所在街道的目标：社区看到的是街道的数字，不是社区自己的目标（不计入 summary）"
        " / in a community's view, its street's target: not counted in summary",
    )
    due_on: date
    responsible_role: str
    failing: list[FailingPublic] = Field(
        description="未达标单位的第一页（failing_limit 个）/ the first page of the failing units"
    )
    failing_total: int = Field(
        description="未达标单位总数（翻页见 …/progress/{target_id}/failing）"
        " / how many fail in all (page on with …/progress/{target_id}/failing)"
    )
    periods: list[PeriodPublic] = Field(
        description="年度目标：上一个已结束年度的结论与本年度进度 / a yearly target's ended and running year"
    )


class Summary(BaseModel):
    """How many of the caller's own targets stand at each status (no data and not applicable
    are not green; a county-wide target in a narrower caller's answer is not counted)."""

    green: int
    yellow: int
    red: int
    not_due: int
    no_data: int
    not_applicable: int


class Progress(BaseModel):
    campaign_id: UUID
    plan_id: str
    plan_sha256: str = Field(description="所执行方案内容的 SHA-256 / of the pinned plan content")
    plan_title_zh: str = Field(examples=["三三创建工程实施方案"])
    launch_date: date
    as_of: date
    community_id: UUID | None = None
    summary: Summary
    targets: list[TargetStatus]


class FailingPage(BaseModel):
    """One page of one target's failing units (or of one of its years')."""

    target_id: str
    as_of: date
    period: Literal["ended", "running"] | None = Field(
        None, description="年度目标的哪一年（无则为目标本身的名单） / which year, if asked"
    )
    offset: int
    limit: int
    total: int = Field(description="未达标单位总数 / how many fail in all")
    failing: list[FailingPublic]


def scoped_communities(
    services: Services, principal: Principal, street_id: UUID | None
) -> list[UUID] | None:
    """The communities the caller sees (None: all), narrowed to one street if asked."""
    if street_id is not None:
        _street_within_reach(services, principal, _street_committee(services, street_id))
    if principal.scope_org_id is None and street_id is None:
        return None
    seen = services.read_models.community_ids(scope=principal.scope_org_id)
    if street_id is None:
        return seen
    in_street = set(services.read_models.community_ids(scope=street_id))
    return [c for c in seen if c in in_street]


def _progress_scope_name(
    services: Services, principal: Principal, street_id: UUID | None
) -> str | None:
    """Whose figures a progress export holds, for its title and file name (None: the
    county's): a street's sheet, printed and signed, must not read as the county's report
    (review #2 finding 20). The narrowest wins: a community token's board is its community's
    even when it names its street."""
    scope = principal.scope_org_id
    scope_org = services.app.get(scope, PartyOrganization) if scope is not None else None
    if scope_org is not None and scope_org.community_id is not None:
        return services.app.get(scope_org.community_id, Community).name
    if street_id is not None:
        return _street_committee(services, street_id).name
    return scope_org.name if scope_org is not None else None


def _street_committee(services: Services, street_id: UUID) -> PartyOrganization:
    """A street asked for must be one: a mistyped id answered every light 无数据."""
    org = services.app.get(street_id, PartyOrganization)  # unknown, or not an organization: 404
    if org.level != OrgLevel.STREET_COMMITTEE:
        raise _no_such_street(street_id)
    return org


def _street_within_reach(
    services: Services, principal: Principal, street: PartyOrganization
) -> None:
    """Another street's answer is a 404, exactly as an unknown street's: an empty board read
    as "nobody falls short", and a 403 would tell that the street exists. Within reach: the
    street is inside the caller's scope, or holds it (a branch asking for its own street)."""
    scope = principal.scope_org_id
    if scope is None or services.access.covers(principal, street):
        return
    if street.id in services.access.chain(services.app.get(scope, PartyOrganization)):
        return
    raise _no_such_street(street.id)


def _no_such_street(street_id: UUID) -> Exception:
    return errors.UNIT_NOT_FOUND(kind="street committee", kind_zh="街道党工委", id=street_id)


def community_view(services: Services, principal: Principal) -> bool:
    """Whether the caller sees one community's answer (its scope a general branch, not a
    street committee): a street's targets are then its street's, not its own."""
    scope = principal.scope_org_id
    return scope is not None and not services.read_models.is_street_committee(scope)


def campaign_and_plan(services: Services, campaign_id: UUID) -> tuple[CreationCampaign, Plan]:
    """The campaign and the plan it carries (pinned at launch or by its last change), never
    a plan file as it is today."""
    campaign = services.app.get(campaign_id, CreationCampaign)
    if campaign.plan is None or campaign.plan_sha256 is None:
        raise ApiError(
            422, "plan_unknown", f"未找到计划 {campaign.plan_id}", f"no plan {campaign.plan_id}"
        )
    return campaign, pinned_plan(campaign.plan, campaign.plan_sha256)


def failing_units(results: list[TargetResult]) -> list[str]:
    """The units a report names as falling short; members among them are personal data."""
    return list(
        dict.fromkeys(
            f.unit_id for r in results for f in (*r.failing, *(x for p in r.periods for x in p.failing))
        )
    )


def _answer(
    results: list[TargetResult], fmt: Format, filename: str, heading: str,
    corrections: list[Correction], elsewhere: CorrectionsElsewhere | None = None,
) -> Response:  # fmt: skip
    """A report as a spreadsheet (CSV or XLSX), every failing unit listed, and every
    correction it applied (those beyond the caller's communities counted)."""
    name = quote(filename)
    if fmt == "csv":
        body = to_csv(results, heading, corrections, elsewhere)
        media = "text/csv; charset=utf-8"
        name += ".csv"
    else:
        body, media = to_xlsx(results, filename, heading, corrections, elsewhere), XLSX
        name += ".xlsx"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


def _progress(
    campaign: CreationCampaign, as_of: date, results: list[TargetResult], community: UUID | None
) -> Progress:
    # A county-wide (or, for a community, a street's) target is not the caller's own light.
    own = [r for r in results if not (r.county_wide or r.street_wide)]
    summary = Summary(**{s: sum(1 for r in own if r.status == s) for s in STATUSES})
    targets = [
        TargetStatus.model_validate(
            {
                **{f: getattr(r, f) for f in TargetStatus.model_fields
                   if f not in ("failing", "periods")},
                "failing": [vars(f) for f in r.failing],
                "periods": [
                    {f: getattr(p, f) for f in PeriodPublic.model_fields if f != "failing"}
                    | {"failing": [vars(f) for f in p.failing]}
                    for p in r.periods
                ],
            }
        )
        for r in results
    ]
    return Progress(
        campaign_id=campaign.id, plan_id=campaign.plan_id, plan_sha256=campaign.plan_sha256,
        plan_title_zh=campaign.plan_title_zh, launch_date=campaign.launch_date,
        as_of=as_of, community_id=community, summary=summary,
        targets=targets,
    )  # fmt: skip


PERIOD_ZH = {"ended": "已结束的年度", "running": "进行中的年度"}
PeriodName = Literal["ended", "running"]
PeriodQuery = Annotated[
    PeriodName | None,
    Query(description="年度目标的哪一年：ended 上一个已结束年度，running 本年度；"
          "不填为目标本身的名单 / a yearly target's ended or running year; "
          "none: the target's own list"),
]  # fmt: skip
# Bounded far beyond any list (a province has about a million members), so that no value a
# client sends overflows the store's integers.
OFFSET_MAX = 100_000_000
OffsetQuery = Annotated[
    int, Query(ge=0, le=OFFSET_MAX, description="跳过的单位数 / units skipped")
]
LimitQuery = Annotated[
    int, Query(ge=1, le=FAILING_PAGE_MAX, description="本页单位数 / units on the page")
]


def _known(plan: Plan, target_id: str) -> str:
    if all(t.id != target_id for t in plan.targets):
        raise ApiError(
            404, "target_not_found", f"计划中没有目标 {target_id}",
            f"the plan has no target {target_id}",
        )  # fmt: skip
    return target_id


def _on_scorecard(plan: Plan, target_id: str) -> str:
    """A target a community's scorecard shows; the county's and streets' own are not on it
    (an empty page would read as "nobody falls short")."""
    target = next(t for t in plan.targets if t.id == _known(plan, target_id))
    if not on_scorecard(target):
        raise ApiError(
            404, "target_not_on_scorecard",
            f"社区记分卡不含目标 {target_id}：该目标按街道或全县计算，请在创建工程进度中查看",
            f"a community's scorecard does not show target {target_id}: it is measured over a"
            " street or the county; see the campaign's progress",
        )  # fmt: skip
    return target_id


def _scorecard_of(
    services: Services, principal: Principal, id: UUID, campaign_id: UUID | None
) -> tuple[Community, CreationCampaign, Plan]:
    """The community the caller may see, and the campaign (asked for, or the latest)."""
    community = services.app.get(id, Community)
    visible(community, principal, services)
    chosen = campaign_id or services.read_models.latest_campaign()
    if chosen is None:
        raise errors.UNIT_NOT_FOUND(kind="CreationCampaign", kind_zh="创建工程", id="-")
    return (community, *campaign_and_plan(services, chosen))


def _failing_page(
    services: Services, principal: Principal, request: Request, found: list[TargetResult],
    target_id: str, day: date, period: PeriodName | None, page: Page,
) -> FailingPage:
    """One page of the target's failing units (or of one of its years'), from its result
    evaluated for that page; none for a target that does not apply to the caller."""
    listed: TargetResult | PeriodResult | None = found[0] if found else None
    if listed is not None and period is not None:
        kinds = {p.kind: p for p in found[0].periods}
        if period not in kinds:
            raise ApiError(
                422, "no_such_period", f"该目标在 {day} 没有{PERIOD_ZH[period]}",
                f"the target has no {period} year on {day}",
            )  # fmt: skip
        listed = kinds[period]
    failing = listed.failing if listed else []
    record_members_named(services, principal, request, [f.unit_id for f in failing])
    return FailingPage(
        target_id=target_id, as_of=day, period=period, offset=page.offset, limit=page.limit,
        total=listed.failing_total if listed else 0,
        failing=[FailingPublic.model_validate(vars(f)) for f in failing],
    )  # fmt: skip


def judged_day(services: Services, campaign: CreationCampaign, as_of: date | None) -> date:
    """The day a board is judged on: today (China) unless asked. A day before the launch or
    after today has no board to show: answered, it looked as real as any other (review
    finding 25)."""
    today = services.app.clock.today()
    if as_of is None:
        return today
    if as_of < campaign.launch_date:
        launch = campaign.launch_date
        raise _as_of_refused(
            "as_of_before_launch",
            f"评估日期{zh_date(as_of)}早于创建工程的启动日{zh_date(launch)}，"
            f"请选择{zh_date(launch)}或之后的日期",
            f"as_of {as_of} is before the campaign's launch on {launch}; choose {launch} or later",
        )  # fmt: skip
    if as_of > today:
        raise _as_of_refused(
            "as_of_in_future",
            f"评估日期{zh_date(as_of)}晚于今天（北京时间{zh_date(today)}），"
            "不能评估尚未到来的日子",
            f"as_of {as_of} is after today in China ({today}); a day to come cannot be judged",
        )  # fmt: skip
    return as_of


def scorecard_day(
    services: Services, community: Community, campaign: CreationCampaign, as_of: date | None
) -> date:
    """The day a community's scorecard is judged on: as a board's, and not before the
    community was registered. Answered, such a day was an 11-row card of 无数据 0/0 that a
    secretary might sign (review 2, finding 19)."""
    day = judged_day(services, campaign, as_of)
    registered = community.began_on
    if day < registered:
        raise _as_of_refused(
            "as_of_before_registration",
            f"评估日期{zh_date(day)}时{community.name}尚未登记："
            f"该社区于{zh_date(registered)}登记，请选择{zh_date(registered)}或之后的日期",
            f"as_of {day} is before {community.name} was registered on {registered};"
            f" choose {registered} or later",
        )  # fmt: skip
    return day


def _as_of_refused(code: str, zh: str, en: str) -> ApiError:
    field = FieldProblem(field="as_of", label_zh="评估日期", type=code, message_zh=zh, message_en=en)
    return ApiError(422, code, zh, en, errors=[field])


def _campaign_progress(
    services: Services, principal: Principal, campaign: CreationCampaign, plan: Plan, day: date,
    street_id: UUID | None, page: Page | None, only: str | None = None,
) -> list[TargetResult]:
    """The campaign's targets as the caller sees them (its communities, or one street's)."""
    return evaluate(
        services.store, plan, launch=campaign.launch_date, as_of=day,
        communities=scoped_communities(services, principal, street_id),
        community_view=community_view(services, principal), page=page, only=only,
    )  # fmt: skip


def add_compliance_routes(routers: dict[str, APIRouter]) -> None:
    @routers["campaigns"].get(
        "/campaigns/{id}/progress", response_model=Progress, responses=RESPONSES,
        summary="创建工程进度：各项目标的红黄绿灯 / progress against every target of the plan",
    )  # fmt: skip
    def progress(
        id: UUID, principal: CurrentPrincipal, services: ServicesDep, request: Request,
        as_of: AsOf = None, format: FormatQuery = "json", street_id: StreetQuery = None,
        failing_limit: FailingLimit = FAILING_PAGE,
    ) -> Progress | Response:  # fmt: skip
        campaign, plan = campaign_and_plan(services, id)
        day = judged_day(services, campaign, as_of)
        page = Page(0, failing_limit) if format == "json" else None
        results = _campaign_progress(services, principal, campaign, plan, day, street_id, page)
        record_members_named(services, principal, request, failing_units(results))
        if format == "json":
            return _progress(campaign, day, results, None)
        whose = _progress_scope_name(services, principal, street_id)
        scope = scoped_communities(services, principal, street_id)
        elsewhere = corrections_elsewhere(services.store, plan, results, day, scope)
        if elsewhere is not None and principal.scope_org_id is None:
            elsewhere = replace(elsewhere, county_reader=True)
        return _answer(
            results, format, f"{whose}-创建工程进度-{day}" if whose else f"创建工程进度-{day}",
            report_title(campaign.name, f"{whose}·创建工程进度" if whose else "创建工程进度", day),
            corrections_applied(services.store, day, scope), elsewhere,
        )  # fmt: skip

    @routers["campaigns"].get(
        "/campaigns/{id}/progress/{target_id}/failing", response_model=FailingPage,
        responses={404: {"model": Problem}, 422: {"model": Problem}},
        summary="某项目标的未达标单位（分页）/ one page of a target's failing units",
    )  # fmt: skip
    def failing_page(
        id: UUID, target_id: str, principal: CurrentPrincipal, services: ServicesDep,
        request: Request, as_of: AsOf = None, street_id: StreetQuery = None,
        period: PeriodQuery = None, offset: OffsetQuery = 0, limit: LimitQuery = FAILING_PAGE,
    ) -> FailingPage:  # fmt: skip
        campaign, plan = campaign_and_plan(services, id)
        day = judged_day(services, campaign, as_of)
        page = Page(offset, limit)
        found = _campaign_progress(
            services, principal, campaign, plan, day, street_id, page, _known(plan, target_id)
        )
        return _failing_page(services, principal, request, found, target_id, day, period, page)

    @routers["communities"].get(
        "/communities/{id}/scorecard/{target_id}/failing", response_model=FailingPage,
        responses={404: {"model": Problem}, 422: {"model": Problem}},
        summary="社区记分卡某项目标的未达标单位（分页）/ one page of a scorecard target's failing units",
    )  # fmt: skip
    def scorecard_failing_page(
        id: UUID, target_id: str, principal: CurrentPrincipal, services: ServicesDep,
        request: Request, as_of: AsOf = None, campaign_id: UUID | None = None,
        period: PeriodQuery = None, offset: OffsetQuery = 0, limit: LimitQuery = FAILING_PAGE,
    ) -> FailingPage:  # fmt: skip
        community, campaign, plan = _scorecard_of(services, principal, id, campaign_id)
        day = scorecard_day(services, community, campaign, as_of)
        page = Page(offset, limit)
        found = evaluate(
            services.store, plan, launch=campaign.launch_date, as_of=day,
            communities=[community.id], scorecard=True, page=page,
            only=_on_scorecard(plan, target_id),
        )  # fmt: skip
        return _failing_page(services, principal, request, found, target_id, day, period, page)

    @routers["communities"].get(
        "/communities/{id}/scorecard", response_model=Progress, responses=RESPONSES,
        summary="社区记分卡 / one community against the targets it answers for",
    )  # fmt: skip
    def scorecard(
        id: UUID, principal: CurrentPrincipal, services: ServicesDep, request: Request,
        as_of: AsOf = None, campaign_id: UUID | None = None, format: FormatQuery = "json",
        failing_limit: FailingLimit = FAILING_PAGE,
    ) -> Progress | Response:  # fmt: skip
        community, campaign, plan = _scorecard_of(services, principal, id, campaign_id)
        day = scorecard_day(services, community, campaign, as_of)
        results = evaluate(
            services.store, plan, launch=campaign.launch_date, as_of=day,
            communities=[community.id], scorecard=True,
            page=Page(0, failing_limit) if format == "json" else None,
        )  # fmt: skip
        record_members_named(services, principal, request, failing_units(results))
        if format == "json":
            return _progress(campaign, day, results, community.id)
        return _answer(
            results,
            format,
            f"{community.name}记分卡-{day}",
            report_title(campaign.name, f"{community.name}记分卡", day),
            corrections_applied(services.store, day, [community.id]),
        )
