"""Where every unit stands against every target of a plan, as of any day.

Each rule is one or two SQL aggregates over the dated read models (counted in the
database, never per member in Python); only the handful of per-community rows that
come back are compared with the plan's numbers here.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Literal, cast
from uuid import UUID

from sqlalchemy import CTE, Select, Table, and_, case, exists, func, or_, select, true
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause, ScalarSelect, Subquery

from sansan.domain.base import figure
from sansan.domain.vocabulary import CARDS_FOR_CATEGORY, COLLEGE_OR_TECHNICAL, zh_date
from sansan.plans.schema import Period, Plan, Target
from sansan.projections.facts import recorded_at
from sansan.projections.schema import ReadModel, projection_meta
from sansan.projections.store import ReadStore
from sansan.projections.tables import PROJECTION_VERSION

Status = Literal["green", "yellow", "red", "not_due", "no_data", "not_applicable"]
STATUSES: tuple[Status, ...] = ("green", "yellow", "red", "not_due", "no_data", "not_applicable")
STATUS_ZH: dict[str, str] = {
    "green": "已达标",
    "yellow": "临近期限未达标",
    "red": "逾期未达标",
    "not_due": "未到期",
    "no_data": "无数据",
    "not_applicable": "不适用",
}
Empty = Literal["no_data", "not_applicable"]
# What a rule over no unit at all answers, by rule: a designation the county has not made
# means the target does not apply; otherwise it applies but there is nothing to judge yet.
EMPTY_MEANS: dict[str, Empty] = {
    "pilot_community": "not_applicable",
    "named_model_community": "not_applicable",
    "designated_type_items": "not_applicable",
}
# The unit each rule measures in, and how the dashboard and exports say it.
UNIT_OF_RULE: dict[str, str] = {
    "team_share_under_age": "share", "team_share_educated": "share", "five_goods_share": "share",
    "brand_share": "share", "standard_sites_count": "count",
}  # fmt: skip
UNIT_ZH = {"share": "占比", "count": "个", "yuan": "元", "days": "天", "m2": "平方米"}
PEOPLE, COMMUNITIES, STREETS = "人", "个社区", "个街道"
# What each rule counts (its measured figure) and what its failing list names: people are
# counted as people, communities as communities (a cadre share is measured over people but
# lists the communities that fall short).
COUNTED_ZH: dict[str, tuple[str, str]] = {
    "team_share_under_age": (PEOPLE, COMMUNITIES), "team_share_educated": (PEOPLE, COMMUNITIES),
    "team_trained_once": (PEOPLE, PEOPLE), "new_team_party_school": (PEOPLE, PEOPLE),
    "member_cards": (PEOPLE, PEOPLE), "member_training_days": (PEOPLE, PEOPLE),
    "worker_insurance": (PEOPLE, PEOPLE),
    "street_five_goods": (STREETS, STREETS), "street_working_systems": (STREETS, STREETS),
}  # fmt: skip


def counted_zh(rule: str) -> tuple[str, str]:
    """(the measured population's word, the failing units' word) of a rule."""
    return COUNTED_ZH.get(rule, (COMMUNITIES, COMMUNITIES))


# What a figure nobody recorded reads as: never a recorded zero ("办公用房0㎡"), which a
# reader takes for a measured one (review 3, finding 14).
NOT_RECORDED = "未记录"
# The facts a correction changes, and the events that correct them (their audit rows' type).
CORRECTED_FACTS = ("office_area", "venue_area", "funding")
CORRECTION_EVENTS = ("FacilityAreaCorrected", "FundingAmountCorrected")
# The corrected facts each rule reads, for the rules a county-wide target may have: a
# narrower caller's county figure rests on corrections in communities it cannot see.
CORRECTED_FACTS_OF_RULE = {"standard_sites_count": ("office_area", "venue_area")}


@dataclass(frozen=True)
class Correction:
    """A correction of a recorded figure that a report counts: it is read as a late fact,
    from the corrected record's own day (``occurred_on``), so a past day's report changes
    once it is recorded; every figure resting on it says so (``mark``)."""

    position: int
    community_id: str
    community_name: str
    fact: str  # office_area, venue_area or funding
    item: str | None  # funding: the year it is for
    occurred_on: date  # the corrected record's day
    recorded_on: date  # the China day the correction was recorded
    event_type: str
    actor: str
    data: dict[str, Any]

    @property
    def mark(self) -> str:
        return _marked("", self.recorded_on)


def corrections_statement(
    t: ReadModel, f: FromClause, by: str, community_ids: list[str] | None
) -> Select[Any]:
    """The corrections among the facts ``f`` counted by the day ``by`` (of the communities
    ``community_ids``, or all), each with its audit row (who, why, from what to what)."""
    a, c = t.audit, t.communities
    return (
        select(f.c.position, f.c.community_id, c.c.name, f.c.fact, f.c.item, f.c.occurred_on,
               f.c.recorded_on, a.c.event_type, a.c.actor, a.c.data)
        .select_from(f.join(a, a.c.position == f.c.position)
                     .join(c, c.c.id == f.c.community_id))
        .where(_corrections_by(t, f, by),
               true() if community_ids is None else f.c.community_id.in_(community_ids))
        .order_by(f.c.position)
    )  # fmt: skip


def _corrections_by(t: ReadModel, f: FromClause, by: str) -> ColumnElement[bool]:
    """Rows of ``f`` that are corrections (their audit row says so) of records of ``by`` or
    before: joined to the audit table on the position."""
    a = t.audit
    return and_(
        f.c.fact.in_(CORRECTED_FACTS), f.c.occurred_on <= by,
        a.c.position == f.c.position, a.c.event_type.in_(CORRECTION_EVENTS),
    )  # fmt: skip


def _correction(row: tuple[Any, ...]) -> Correction:
    position, community, name, fact, item, occurred, recorded, event_type, actor, data = row
    return Correction(
        int(position), str(community), str(name), str(fact), item, date.fromisoformat(occurred),
        date.fromisoformat(recorded), str(event_type), str(actor), json.loads(data),
    )  # fmt: skip


def corrections_applied(
    store: ReadStore, as_of: date, communities: list[UUID] | None = None
) -> list[Correction]:
    """Every correction a report on ``as_of`` counts among ``communities`` (or the county's):
    those of records of that day or before, however late they were recorded. A signed
    copy lists them, so two copies of one day's report printed before and after a
    correction can be reconciled (review 3, finding 8)."""
    ids = None if communities is None else [str(UUID(str(c))) for c in communities]
    with store.transaction() as cursor:
        t = cast(ReadModel, cursor.t)
        statement = corrections_statement(t, t.facts, as_of.isoformat(), ids)
        return [_correction(tuple(r)) for r in cursor.execute(statement).fetchall()]


def _marked(text: str, corrected_on: date | None) -> str:
    """A figure and, when it rests on a correction, the China day that was recorded."""
    return text if corrected_on is None else f"{text}（{zh_date(corrected_on)}更正）"


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(str(text))


def yuan(value: float, corrected: date | None = None) -> str:
    """Money as recorded: whole yuan plain, fen shown (9,999.60元 is not "10,000元", which
    would read as the standard it fails); a sum resting on a correction says when it was
    corrected ("79,960元（2026年11月30日更正）")."""
    cents = round(value * 100)
    text = f"{cents // 100:,}元" if cents % 100 == 0 else f"{cents / 100:,.2f}元"
    return _marked(text, corrected)


def area(value: float, corrected: date | None = None) -> str:
    """An area as recorded, marked as ``yuan`` is when it rests on a correction."""
    return _marked(f"{figure(value)}㎡", corrected)


@dataclass(frozen=True)
class Failing:
    unit_id: str
    unit_name: str  # as people read it: a person with their community, "李磊（铁西社区）"
    reason_zh: str
    # A latecomer's own due date and status, when they differ from the target's.
    due_on: date | None = None
    status: str | None = None
    # An ended year missed: the unit as counted now (money allocated or facts recorded since),
    # "现已补足" or "现仍未补足：…"; the reason stays the verdict's.
    now_zh: str | None = None


@dataclass(frozen=True)
class Page:
    """Which of a target's failing units an answer lists: ``limit`` of them from ``offset``,
    in the list's own order; the answer's totals count them all."""

    offset: int = 0
    limit: int = 100

    def cut(self, units: list[Failing]) -> list[Failing]:
        return units[self.offset : self.offset + self.limit]


def person(name: str, community: str) -> str:
    """A member, cadre or worker as the county reads them: two people may share a name."""
    return f"{name}（{community}）"


@dataclass
class Measure:
    value: float
    text: str
    met: bool
    failing: list[Failing] = field(default_factory=list)
    passing: list[tuple[str, str]] = field(default_factory=list)  # (id, name) of units that comply
    units: int | None = None  # how many units were judged (None: a count, not per unit)
    judged: list[tuple[str, str, str | None]] | None = None  # each()'s units, to re-judge
    empty: Empty | None = None
    hits: int | None = None  # how many units comply (a count rule: None)
    percent: bool = False  # read as a percentage first ("52%（11/21人）")
    note: str = ""  # said after the figure
    amount: "Amount | None" = None  # a single community's own figure, when one is judged
    # Set by a rule that counted its failing units in SQL and listed one page of them
    # (``failing``): how many fail in all, and when the earliest of them appeared.
    failing_total: int | None = None
    first_failing_appeared: date | None = None
    # When each unit of that page appeared (read with the page, so the latecomers among
    # them need no statement of their own).
    appeared: dict[str, date] | None = None


@dataclass(frozen=True)
class Amount:
    """One community's own figure against the standard, in yuan or square metres; ``value``
    and ``need`` are None when it is more than one number (two areas)."""

    text: str
    need_text: str
    value: float | None = None
    need: float | None = None
    unit: str = "share"


@dataclass(frozen=True)
class PeriodResult:
    """One year of a yearly target: the ended year's verdict or the running year's tally."""

    kind: Literal["ended", "running"]
    label_zh: str
    start: date
    end: date
    status: str
    status_zh: str
    measured: float
    measured_text: str
    made_good_on: date | None
    failing: list[Failing]
    passing: list[tuple[str, str]] = field(default_factory=list)
    threshold_text: str = ""
    unit: str = "share"
    amount: float | None = None  # one community's own amount (yuan), when it is one figure
    threshold_amount: float | None = None
    failing_total: int = 0  # how many fail in all (``failing`` may be one page of them)
    # An ended year missed: the figure counted now (what was allocated or recorded for the
    # year since its verdict), beside ``measured_text``, the figure at the verdict.
    now_text: str | None = None
    now_amount: float | None = None
    line_zh: str = ""  # the period as an official reads it (``period_line``)


@dataclass(frozen=True)
class TargetResult:
    id: str
    clause: str
    title_zh: str
    status: str
    status_zh: str
    measured: float
    measured_text: str
    threshold: float
    due_on: date
    responsible_role: str
    failing: list[Failing]
    passing: list[tuple[str, str]] = field(default_factory=list)
    applicable: bool = True
    period_start: date | None = None
    period_end: date | None = None
    unit: str = "share"
    periods: list[PeriodResult] = field(default_factory=list)
    threshold_text: str = ""  # the standard as the page shows it: "100%", "10,000元"
    counted_zh: str = COMMUNITIES  # what the measured figure counts: 人, 个社区, 个街道
    failing_zh: str = COMMUNITIES  # what the failing list names
    # A county-wide target in a narrower caller's answer: measured over the whole county,
    # shown as the county's, never as the caller's own light.
    county_wide: bool = False
    # A street's target in a community's answer: its street's figure and light, shown as the
    # street's, never as the community's own (nor counted in its summary).
    street_wide: bool = False
    failing_total: int = 0  # how many fail in all (``failing`` may be one page of them)

    @property
    def unit_zh(self) -> str:
        return UNIT_ZH[self.unit]

    @property
    def failing_count_zh(self) -> str:
        """How many fall short, counted as what they are: "3人", "2个社区"."""
        return f"{self.failing_total}{self.failing_zh}"


@dataclass(frozen=True)
class CorrectionsElsewhere:
    """Corrections outside a narrower caller's communities that a county-wide figure in its
    report rests on: counted, not listed (the caller sees nothing beside its subtree), so a
    reader reconciling two signed copies knows why the county's figure moved."""

    corrections: int
    communities: int
    facts: tuple[str, ...]  # which figures they corrected (office_area, venue_area, funding)
    targets_zh: tuple[str, ...]  # the county-wide targets whose figure reads them
    # read by the county (a street's report it printed): it has the details in its own report
    county_reader: bool = False


def corrections_elsewhere(
    store: ReadStore, plan: Plan, results: list[TargetResult], as_of: date,
    communities: list[UUID] | None,
) -> CorrectionsElsewhere | None:  # fmt: skip
    """What the county-wide figures of ``results`` rest on outside ``communities``, or None
    (the whole county's caller, no such figure, or no such correction)."""
    if communities is None:
        return None
    rules = {t.id: t.rule for t in plan.targets}
    wide = [r for r in results if r.county_wide and rules.get(r.id) in CORRECTED_FACTS_OF_RULE]
    if not wide:
        return None
    facts = sorted({f for r in wide for f in CORRECTED_FACTS_OF_RULE[rules[r.id]]})
    ids = [str(UUID(str(c))) for c in communities]
    with store.transaction() as cursor:
        t = cast(ReadModel, cursor.t)
        f, a = t.facts, t.audit
        statement = (
            select(f.c.community_id, f.c.fact)
            .select_from(f.join(a, a.c.position == f.c.position))
            .where(_corrections_by(t, f, as_of.isoformat()), f.c.fact.in_(facts),
                   f.c.community_id.not_in(ids))
        )  # fmt: skip
        found = [(str(c), str(fact)) for c, fact in cursor.execute(statement).fetchall()]
    if not found:
        return None
    return CorrectionsElsewhere(
        len(found), len({c for c, _ in found}),
        tuple(sorted({fact for _, fact in found})), tuple(r.title_zh for r in wide),
    )  # fmt: skip


def status_of(met: bool, as_of: date, due_on: date, warning_from: date) -> str:
    if met:
        return "green"
    if as_of > due_on:
        return "red"
    return "yellow" if as_of >= warning_from else "not_due"


@cache
def _alias(table: Table, name: str) -> FromClause:
    """A table under another name, built once (an alias sets up a proxy per column)."""
    return table.alias(name)


# Per community: its name by id, and (distinct items, rows, distinct items in the judged year)
# of each fact it has by id and fact.
Counted = tuple[dict[str, str], dict[tuple[str, str], tuple[int, int, int]]]

# The statements a board sends, kept across evaluations by what they are built from
# (``Context.read``): built again, each would compose its expression and SQLAlchemy its
# cache key (which a statement memoizes on itself), ≈ 25 statements per board. Cleared when
# full: a few dozen shapes per day asked.
_KEPT: dict[tuple[Any, ...], Any] = {}
_MAX_KEPT = 2000


def _kept(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    found = _KEPT.get(key)
    if found is None:
        if len(_KEPT) >= _MAX_KEPT:
            _KEPT.clear()
        found = _KEPT[key] = build()
    return found


@dataclass
class Context:
    cursor: Any
    as_of: date
    launch: date
    community_ids: list[str] | None  # a scorecard, or a scoped caller, sees only these
    year: int | None = None  # the year a yearly rule judges (default: as_of's)
    since: date | None = None  # the first day whose facts count (the target's window)
    until: date | None = None  # facts carrying their own year count if they occurred by this
    # Only facts recorded by this moment (the scheduler's verdict; UTC text) count, and those
    # recorded later by the end of the China day ``late_by`` (made good late).
    recorded_by: str | None = None
    late_by: date | None = None
    # Members registered after this day are judged from the next year (a yearly period's
    # grace days), so their rules leave them out in SQL.
    registered_by: date | None = None
    # One page of failing people, counted in SQL (the rules over members); None: all of them.
    page: Page | None = None
    # The generation read was built by this projector, so it holds the member standings (a
    # generation left by an older one, read while its rebuild runs, has them empty).
    standings: bool = True
    # What one evaluation has read already, by what and for which day, scope and cut-off
    # (``once``): shared by the contexts of one evaluation, so that rules asking the same
    # (the counts of facts, the areas, the organizations) read it once.
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    @property
    def from_standings(self) -> bool:
        """The member rules read the standings: the generation has them, and everything
        counts (a verdict counts only the facts on record at its moment, which the
        standings do not keep apart)."""
        return self.standings and self.recorded_by is None

    @property
    def t(self) -> ReadModel:
        """The tables of the generation the cursor reads."""
        return cast(ReadModel, self.cursor.t)

    def only(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        """The caller's communities, or every one (an empty list admits none)."""
        return true() if self.community_ids is None else column.in_(self.community_ids)

    @property
    def day(self) -> str:
        return self.as_of.isoformat()

    @property
    def one_community(self) -> bool:
        """A single community is judged (its scorecard): amounts read as its own."""
        return self.community_ids is not None and len(self.community_ids) == 1

    @property
    def judged_year(self) -> int:
        return self.year if self.year is not None else self.as_of.year

    @property
    def counted_until(self) -> str:
        return (self.until or self.as_of).isoformat()

    def facts(self, name: str = "f") -> FromClause:
        """rm_facts under ``name``; for a verdict, only what was on record (every rule reads
        its facts through here)."""
        f = self.t.facts
        if self.recorded_by is None:
            return _alias(f, name)
        on_record = or_(f.c.recorded_at.is_(None), f.c.recorded_at <= self.recorded_by)
        if self.late_by is not None:
            on_record = or_(on_record, f.c.recorded_on <= self.late_by.isoformat())
        return select(f).where(on_record).subquery(name)

    def in_window(self, f: FromClause) -> ColumnElement[bool]:
        """Facts from the target's window on (all of them without one)."""
        return true() if self.since is None else f.c.occurred_on >= self.since.isoformat()

    def rows(self, statement: Executable) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.cursor.execute(statement).fetchall()]

    def read(self, site: str, build: Callable[[], Executable], *also: Any) -> list[tuple[Any, ...]]:
        """The rows of ``build()``'s statement, the statement kept for the next evaluation
        with the same context. ``site`` names the statement and ``also`` is everything
        else it is built from (a target's numbers); the context's own fields are in the
        key whether the statement reads them or not."""
        return self.rows(_kept((site, *self.shape, *also), build))

    @property
    def shape(self) -> tuple[Any, ...]:
        """Everything of the context a statement may be built from."""
        ids = None if self.community_ids is None else tuple(self.community_ids)
        return (
            self.cursor.generation, self.as_of, self.launch, ids, self.year, self.since,
            self.until, self.recorded_by, self.late_by, self.registered_by, self.page,
            self.from_standings,
        )  # fmt: skip

    def communities(self) -> Subquery:
        """The communities that exist on the day (and the one of a scorecard), as ``c``."""
        c = self.t.communities
        return (
            select(c.c.id, c.c.name, c.c.street_committee_id)
            .where(c.c.began_on <= self.day, self.only(c.c.id))
            .subquery("c")
        )

    def once(self, what: str, read: Callable[[], Any], *also: Any) -> Any:
        """``read()``, read once per evaluation for this day, scope and recording cut-off
        (and ``also``): only for a read that depends on nothing else of the context (not
        on its window, year, grace day or page)."""
        ids = None if self.community_ids is None else tuple(self.community_ids)
        key = (what, self.as_of, ids, self.recorded_by, self.late_by, *also)
        if key not in self.memo:
            self.memo[key] = read()
        return self.memo[key]

    def counts(
        self, fact: str, *, this_year: bool = False, distinct: bool = True
    ) -> dict[str, tuple[str, int]]:
        """Per community: (name, how many [distinct] items of ``fact`` by the day [from the
        first day of the judged year])."""
        names, found = self.counts_by_fact()
        column = 2 if this_year else 0 if distinct else 1
        return {i: (n, found[i, fact][column] if (i, fact) in found else 0)
                for i, n in names.items()}  # fmt: skip

    def community_names(self) -> dict[str, str]:
        """The communities in sight on the day, by id (read with the counts)."""
        return self.counts_by_fact()[0]

    def counts_by_fact(self) -> Counted:
        """Every fact in ``COUNTED``, counted per community, read once per evaluation."""
        return cast(Counted, self.once("counts", self._fact_counts, self.judged_year))

    def _fact_counts(self) -> Counted:
        """Every community's counts of every fact in ``COUNTED``, in one grouped statement:
        (names by id, (distinct items, rows, distinct items this year) by id and fact)."""
        def statement() -> Select[Any]:
            c, f = self.communities(), self.facts()
            on = and_(f.c.community_id == c.c.id, f.c.fact.in_(COUNTED), f.c.occurred_on <= self.day)
            this_year = case((f.c.occurred_on >= f"{self.judged_year}-01-01", f.c.item))
            return (
                select(c.c.id, c.c.name, f.c.fact, func.count(f.c.item.distinct()),
                       func.count(f.c.position), func.count(this_year.distinct()))
                .select_from(c.outerjoin(f, on))
                .group_by(c.c.id, c.c.name, f.c.fact)
                .order_by(c.c.id)
            )  # fmt: skip

        rows = self.read("fact counts", statement)
        names = {i: n for i, n, *_ in rows}
        found = {(i, fact): (int(k), int(n), int(y)) for i, _, fact, k, n, y in rows if fact}
        return names, found

    def latest(
        self, fact: str, column: str, matches: Callable[[FromClause], ColumnElement[bool]]
    ) -> ScalarSelect[Any]:
        """The ``column`` of the latest ``fact`` by the day among those ``matches`` picks
        (a correlated probe: one per outer row)."""
        f = self.facts()
        return (
            select(f.c[column])
            .where(matches(f), f.c.fact == fact, f.c.occurred_on <= self.day)
            .order_by(f.c.occurred_on.desc(), f.c.position.desc())
            .limit(1)
            .scalar_subquery()
        )


def each(units: list[tuple[str, str, str | None]], *, empty: Empty | None = None) -> Measure:
    """Every unit must comply: (id, name, reason if it fails). No unit at all is not a pass:
    it answers ``empty`` (or the rule's default, no data / not applicable)."""
    units = list({u[0]: u for u in units}.values())  # a unit is judged (and listed) once
    failing = [Failing(i, n, reason) for i, n, reason in units if reason]
    total = len(units)
    ok = total - len(failing)
    share = ok / total if total else 0.0
    passing = [(i, n) for i, n, reason in units if not reason]
    return Measure(
        share, f"{ok}/{total}", bool(total) and not failing, failing, passing, units=total,
        judged=list(units), empty=empty, hits=ok,
    )


def share(
    hits: int, total: int, threshold: float, strictly: bool, failing: list[Failing]
) -> Measure:
    value = hits / total if total else 0.0
    met = total > 0 and (value > threshold if strictly else value >= threshold)
    return Measure(
        value, f"{value:.0%}（{hits}/{total}）", met, failing, units=total, hits=hits, percent=True
    )


# -- the rules ---------------------------------------------------------------------------


def general_branch_exists(ctx: Context, t: Target) -> Measure:
    return each([(i, n, None if k else "尚未建立社区党总支")
                 for i, n, k in _organizations(ctx, "general_branch")])


# The levels of organization the rules count per community (``_organizations``).
COUNTED_LEVELS = ("general_branch", "two_new")


def _organizations(ctx: Context, level: str) -> list[tuple[Any, ...]]:
    """Per community in sight: (id, name, how many organizations of ``level`` by the day)."""
    names, found = ctx.once("organizations", lambda: _organizations_read(ctx))
    return [(i, n, found.get((i, level), 0)) for i, n in names.items()]


def _organizations_read(ctx: Context) -> tuple[dict[str, str], dict[tuple[str, str], int]]:
    """Every community's organizations of each level in ``COUNTED_LEVELS``, in one grouped
    statement: (names by id, how many by id and level)."""

    def statement() -> Select[Any]:
        c, o = ctx.communities(), _alias(ctx.t.organizations, "o")
        on = and_(o.c.community_id == c.c.id, o.c.level.in_(COUNTED_LEVELS),
                  o.c.established_on <= ctx.day)  # fmt: skip
        return (
            select(c.c.id, c.c.name, o.c.level, func.count(o.c.id))
            .select_from(c.outerjoin(o, on))
            .group_by(c.c.id, c.c.name, o.c.level)
            .order_by(c.c.id)
        )

    rows = ctx.read("organizations", statement)
    return {i: n for i, n, *_ in rows}, {(i, lv): int(k) for i, _, lv, k in rows if lv}


def _cadres(ctx: Context) -> Subquery:
    """The general branches' committee members on the day, with their community (``cid``)."""
    tm, o = ctx.t.team_members, _alias(ctx.t.organizations, "o")
    return (
        select(tm, o.c.community_id.label("cid"))
        .select_from(tm.join(o, o.c.id == tm.c.org_id))
        .where(
            o.c.level == "general_branch", tm.c.joined_on <= ctx.day,
            or_(tm.c.left_on.is_(None), tm.c.left_on > ctx.day), ctx.only(o.c.community_id),
        )
        .subquery("t")
    )


def _per_community_cadres(
    ctx: Context,
    shape: tuple[Any, ...],
    hit: Callable[[Subquery], ColumnElement[bool]],
    *more: Callable[[Subquery], ColumnElement[Any]],
) -> list[tuple[Any, ...]]:
    """Per community: (id, name, cadres, hits, *more), ``more`` aggregated over ``t``;
    ``shape`` names what ``hit`` and ``more`` are built from."""

    def statement() -> Select[Any]:
        cadres, c = _cadres(ctx), _alias(ctx.t.communities, "c")
        return (
            select(
                c.c.id, c.c.name, func.count(cadres.c.team_member_id),
                func.sum(case((hit(cadres), 1), else_=0)), *(m(cadres) for m in more),
            )
            .select_from(cadres.join(c, c.c.id == cadres.c.cid))
            .group_by(c.c.id, c.c.name)
        )

    return ctx.read("cadres", statement, *shape)


def _cadre_share(
    ctx: Context, t: Target, hit: Callable[[Subquery], ColumnElement[bool]], what_zh: str
) -> Measure:
    rows = _per_community_cadres(ctx, (what_zh,), hit)
    strictly = bool(t.params.get("strictly_above"))
    failing = [
        Failing(i, n, f"{what_zh}占比{(h or 0) / k:.0%}")
        for i, n, k, h in rows
        if k and not share(h or 0, k, t.threshold, strictly, []).met
    ]
    return share(
        sum(r[3] or 0 for r in rows), sum(r[2] for r in rows), t.threshold, strictly, failing
    )


def on_scorecard(target: Target) -> bool:
    """A scorecard shows the targets a community answers for itself."""
    return target.scope not in ("county", "street")


def _years_before(day: date, years: int) -> date:
    if day.year - years < date.min.year:  # a day asked in the first centuries: no one is older
        return date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def team_share_under_age(ctx: Context, t: Target) -> Measure:
    """“45岁以下” includes 45 (以下 includes the number): a cadre counts until the day
    before the 46th birthday. From the full birth date when recorded, else by the year
    (the age reached in the year asked), and the answer says how many were so counted."""
    age = int(t.params["age"])
    cutoff = _years_before(ctx.as_of, age + 1).isoformat()  # born after it: not yet age + 1

    def hit(x: Subquery) -> ColumnElement[bool]:
        return or_(
            and_(x.c.birth_date.is_not(None), x.c.birth_date > cutoff),
            # the age reached in the year asked is at most ``age``
            and_(x.c.birth_date.is_(None), x.c.birth_year >= ctx.as_of.year - age),
        )

    def by_year_only(x: Subquery) -> ColumnElement[Any]:
        return func.sum(case((x.c.birth_date.is_(None), 1), else_=0))

    rows = _per_community_cadres(ctx, ("under age", age), hit, by_year_only)
    strictly = bool(t.params.get("strictly_above"))

    def by_year(k: int) -> str:
        return f"（其中{k}人仅有出生年份，按年计算）" if k else ""

    failing = [
        Failing(i, n, f"{age}岁以下占比{(h or 0) / k:.0%}{by_year(int(y or 0))}")
        for i, n, k, h, y in rows
        if k and not share(h or 0, k, t.threshold, strictly, []).met
    ]
    measure = share(
        sum(r[3] or 0 for r in rows), sum(r[2] for r in rows), t.threshold, strictly, failing
    )
    measure.note = by_year(sum(int(r[4] or 0) for r in rows))
    return measure


def team_share_educated(ctx: Context, t: Target) -> Measure:
    levels = [e.value for e in COLLEGE_OR_TECHNICAL]
    return _cadre_share(ctx, t, lambda x: x.c.education.in_(levels), "大中专以上")


def _team_training(ctx: Context, t: Target, *, newly_only: bool) -> Measure:
    low = float(t.params.get("min_days", 0))

    def statement() -> Select[Any]:
        cadres, c, f = _cadres(ctx), _alias(ctx.t.communities, "c"), ctx.facts()
        # The window: from the launch (team training), since the appointment (new cadres).
        on = and_(
            f.c.subject_id == cadres.c.team_member_id, f.c.fact == "team_training",
            f.c.occurred_on <= ctx.day, ctx.in_window(f),
        )
        if newly_only:
            on = and_(on, f.c.item == "party_school")
        if t.window.kind == "since_appointment":
            on = and_(on, f.c.occurred_on >= cadres.c.joined_on)
        statement = (
            select(cadres.c.team_member_id, cadres.c.person_name, c.c.name, func.max(f.c.num))
            .select_from(cadres.join(c, c.c.id == cadres.c.cid).outerjoin(f, on))
            .group_by(cadres.c.team_member_id, cadres.c.person_name, c.c.name)
        )
        return statement.where(cadres.c.newly_appointed) if newly_only else statement

    where_zh = "县委党校" if newly_only else "集中"
    return each([
        (i, person(n, c), None if (d or 0) >= low else f"未参加{where_zh}培训（单期不少于{low:g}天）")
        for i, n, c, d in ctx.read("team training", statement, newly_only, t.window.kind)
    ])


def team_trained_once(ctx: Context, t: Target) -> Measure:
    return _team_training(ctx, t, newly_only=False)


def new_team_party_school(ctx: Context, t: Target) -> Measure:
    return _team_training(ctx, t, newly_only=True)


def working_systems(ctx: Context, t: Target) -> Measure:
    need = int(t.params["count"])
    return each([
        (i, n, None if k >= need else f"已建立{k}/{need}项工作制度")
        for i, (n, k) in ctx.counts("working_system").items()
    ])


def _members(ctx: Context, name: str = "m") -> Subquery:
    """The members registered and not transferred out on the day, with their community's
    name (``community_name``)."""
    m, c = ctx.t.members, _alias(ctx.t.communities, "c")
    return (
        select(
            m.c.id, m.c.name, m.c.community_id,
            func.coalesce(c.c.name, "").label("community_name"), m.c.registered_on,
        )
        .select_from(m.outerjoin(c, c.c.id == m.c.community_id))
        .where(
            m.c.registered_on <= _last_registered(ctx),
            or_(m.c.transferred_out_on.is_(None), m.c.transferred_out_on > ctx.day),
            ctx.only(m.c.community_id),
        )
        .subquery(name)
    )


def _last_registered(ctx: Context) -> str:
    """The last registration day of the members a rule judges on the day."""
    return min(ctx.registered_by or ctx.as_of, ctx.as_of).isoformat()


def _members_by_category(ctx: Context) -> CTE:
    """A CTE ``m``: the members of ``_members`` with their category as of the day.

    From the standings, the latest category row by the day per member (one pass over a narrow
    table); without them, a probe into the facts per member. Materialized so that the category
    is worked out once per member: left inline, the planner repeats it wherever the category
    is used (about five index probes per member).
    """
    members = _members(ctx, "members")
    if ctx.from_standings:
        c = ctx.t.member_categories
        ranked = (
            select(c.c.member_id, c.c.category, func.row_number().over(
                partition_by=c.c.member_id, order_by=(c.c.occurred_on.desc(), c.c.position.desc()),
            ).label("n"))
            .where(c.c.occurred_on <= ctx.day)
            .subquery("ranked")
        )  # fmt: skip
        latest = select(ranked.c.member_id, ranked.c.category).where(ranked.c.n == 1).subquery()
        category: ColumnElement[Any] = latest.c.category
        source: FromClause = members.outerjoin(latest, latest.c.member_id == members.c.id)
    else:
        category = ctx.latest("member_category", "item", lambda f: f.c.subject_id == members.c.id)
        source = members
    return (
        select(
            members.c.id, members.c.name, members.c.community_name, members.c.registered_on,
            category.label("category"),
        )
        .select_from(source)
        .cte("m")
        .prefix_with("MATERIALIZED")
    )


def _fits(category: ColumnElement[Any], card: ColumnElement[Any]) -> ColumnElement[bool]:
    """A card that counts for the category."""
    return or_(*(
        and_(category == cat.value, card.in_([c.value for c in cards]))
        for cat, cards in CARDS_FOR_CATEGORY.items()
    ))


def _needed(category: ColumnElement[Any]) -> ColumnElement[Any]:
    """The cards a category needs (NULL for another category: never failing, as in SQL)."""
    return case({cat.value: len(cards) for cat, cards in CARDS_FOR_CATEGORY.items()},
                value=category)  # fmt: skip


def member_cards(ctx: Context, t: Target) -> Measure:
    if _counted(ctx, ctx.t.member_categories, ctx.t.member_cards):
        return _cards_counted(ctx)
    if _dated(ctx):
        return _cards_dated(ctx)
    m = _members_by_category(ctx)
    needed = _needed(m.c.category)
    if ctx.from_standings:
        # The fitting cards of every member in one join over the standings, grouped by member
        # and card and then by member (two hash aggregates: a count of distinct cards sorts).
        mc = ctx.t.member_cards
        cards = (
            select(mc.c.member_id)
            .select_from(m.join(mc, mc.c.member_id == m.c.id))
            .where(mc.c.occurred_on <= ctx.day, _fits(m.c.category, mc.c.card))
            .group_by(mc.c.member_id, mc.c.card)
            .subquery("cards")
        )
        k = (
            select(cards.c.member_id, func.count().label("k"))
            .group_by(cards.c.member_id)
            .subquery("k")
        )
        people = (
            select(m.c.id, m.c.name, m.c.community_name, m.c.registered_on,
                   needed.label("need"), func.coalesce(k.c.k, 0).label("k"))
            .select_from(m.outerjoin(k, k.c.member_id == m.c.id))
        )  # fmt: skip
    else:
        f = ctx.facts()
        fitting = (
            select(func.count(f.c.item.distinct()))
            .where(f.c.subject_id == m.c.id, f.c.fact == "card", f.c.occurred_on <= ctx.day,
                   _fits(m.c.category, f.c.item))
            .scalar_subquery()
        )  # fmt: skip
        # One probe per member for its fitting cards.
        people = select(m.c.id, m.c.name, m.c.community_name, m.c.registered_on,
                        needed.label("need"), fitting.label("k"))  # fmt: skip
    return _people(ctx, people, _cards_fail, _cards_reason)


def _cards_fail(u: FromClause) -> ColumnElement[bool]:
    return u.c.k < u.c.need


def _cards_reason(need: int, k: int) -> str | None:
    return None if k >= need else f"已发{k}/{need}张适用的卡"


def _cards_counted(ctx: Context) -> Measure:
    """The cards rule from the board's counts (``_counted`` said they answer the day): the
    totals per community, the page from each member's own row."""
    h, s = ctx.t.community_cards, ctx.t.member_standings

    def totals() -> tuple[Select[Any], ColumnElement[bool], Joins]:
        return (
            select(func.sum(h.c.members),
                   func.sum(case((h.c.cards < _needed(h.c.category), h.c.members), else_=0)))
            .where(ctx.only(h.c.community_id)),
            s.c.fitting < _needed(s.c.category), (),
        )  # fmt: skip

    def people() -> Select[Any]:
        m = _members(ctx)
        return select(
            m.c.id, m.c.name, m.c.community_name, m.c.registered_on,
            _needed(s.c.category).label("need"), s.c.fitting.label("k"),
        ).select_from(m.join(s, s.c.member_id == m.c.id))

    total, failing_total, late, late_failing = _with_not_judged(ctx, ("cards",), totals)
    return _counted_people(
        ctx, ("cards",), people, _cards_fail, _cards_reason, total - late,
        failing_total - late_failing,
    )  # fmt: skip


def _cards_dated(ctx: Context) -> Measure:
    """The cards rule on a past day from the dated counts (``_dated`` said they answer it):
    the totals are the sums of the rows up to the day; the page walks the members by id,
    each member's category and fitting cards on the day probed by its keys."""
    h = ctx.t.community_cards_on
    total, failing_total = ctx.read(
        "cards dated totals",
        lambda: select(func.sum(h.c.members),
                       func.sum(case((h.c.cards < _needed(h.c.category), h.c.members), else_=0)))
        .where(h.c.occurred_on <= ctx.day, ctx.only(h.c.community_id)),
    )[0]  # fmt: skip

    def people() -> Select[Any]:
        m, cat, mc = _members(ctx), ctx.t.member_categories, ctx.t.member_cards
        category = (
            select(cat.c.category)
            .where(cat.c.member_id == m.c.id, cat.c.occurred_on <= ctx.day)
            .order_by(cat.c.occurred_on.desc(), cat.c.position.desc())
            .limit(1)
            .scalar_subquery()
        )
        on_day = select(m, category.label("category")).subquery("d")
        k = (
            select(func.count(mc.c.card.distinct()))
            .where(mc.c.member_id == on_day.c.id, mc.c.occurred_on <= ctx.day,
                   _fits(on_day.c.category, mc.c.card))
            .scalar_subquery()
        )  # fmt: skip
        return select(
            on_day.c.id, on_day.c.name, on_day.c.community_name, on_day.c.registered_on,
            _needed(on_day.c.category).label("need"), k.label("k"),
        )

    return _counted_people(
        ctx, ("cards dated",), people, _cards_fail, _cards_reason, int(total or 0),
        int(failing_total or 0),
    )  # fmt: skip


def _dated(ctx: Context) -> bool:
    """Whether the dated counts (``projections.counts``) answer the day: a page is asked of
    the standings and nobody registered between the rule's last registration day and the day
    (the counts hold them; a yearly period judges them from the next year)."""
    if not ctx.from_standings or ctx.page is None:
        return False
    m = ctx.t.members
    late = select(m.c.id).where(
        m.c.registered_on > _last_registered(ctx), m.c.registered_on <= ctx.day
    )
    return not ctx.rows(select(exists(late)))[0][0]


def _counted(ctx: Context, *dated: Table) -> bool:
    """Whether the board's counts (``projections.counts``) answer the day: a page is asked
    of the standings, and nothing they hold is dated after the day (nobody transferred out
    after it, no row of ``dated`` after it), but for the members registered after the rule's
    last registration day (``_not_judged`` takes them out). Else the rule counts member by
    member (a past day)."""
    if not ctx.from_standings or ctx.page is None:
        return False
    latest = _latest_dated(ctx)
    return not any(
        on is not None and on > ctx.day
        for on in (latest["transfers"], *(latest[d.name] for d in dated))
    )


def _latest_dated(ctx: Context) -> dict[str, str | None]:
    """The latest day of what the counts hold (a transfer out, ``transfers``; a row of each
    dated table, by its name), read once per evaluation whatever the day asked.

    Maxima, not ``EXISTS (… > day)``: a maximum walks its index from the end whatever the
    plan, while the existence test under PostgreSQL's generic plan for a prepared statement
    (psycopg prepares a statement run five times) scans every row of the three tables
    (50–90 ms a board at 100,000 members)."""
    key = ("latest dated",)
    if key not in ctx.memo:
        t = ctx.t
        dated = (t.member_categories, t.member_cards)
        found = ctx.rows(_kept(("latest dated", ctx.cursor.generation), lambda: select(
            select(func.max(t.members.c.transferred_out_on)).scalar_subquery(),
            *(select(func.max(d.c.occurred_on)).scalar_subquery() for d in dated),
        )))[0]  # fmt: skip
        names = ("transfers", *(d.name for d in dated))
        ctx.memo[key] = {n: None if on is None else str(on) for n, on in zip(names, found, strict=True)}
    return cast(dict[str, str | None], ctx.memo[key])


# Tables outer-joined to the standings, each with its condition.
Joins = tuple[tuple[FromClause, ColumnElement[bool]], ...]


def _with_not_judged(
    ctx: Context,
    shape: tuple[Any, ...],
    parts: Callable[[], tuple[Select[Any], ColumnElement[bool], Joins]],
) -> tuple[int, int, int, int]:
    """The counts' two totals (``parts``' statement: one row), and beside them in the same
    statement (one round trip, not two) how many of the members the counts hold the rule
    does not judge on the day, and how many of those fail (``parts``' condition over the
    standings and its joins): registered after its last registration day (within a yearly
    period's grace days before the year's end, or later than the day), read member by
    member, few. ``shape`` names what ``parts`` are built from."""

    def statement() -> Select[Any]:
        totals, fails, joins = parts()
        m, s = ctx.t.members, ctx.t.member_standings
        source = m.join(s, s.c.member_id == m.c.id)
        for table, on in joins:
            source = source.outerjoin(table, on)
        late = (
            select(func.count().label("n"), func.sum(case((fails, 1), else_=0)).label("failing"))
            .select_from(source)
            .where(m.c.registered_on > _last_registered(ctx), s.c.counted,
                   ctx.only(m.c.community_id))
            .subquery("late")
        )  # fmt: skip
        counted = totals.subquery("totals")
        return select(*counted.c, late.c.n, late.c.failing).select_from(
            counted.join(late, true())
        )

    row = ctx.read("not judged", statement, *shape)[0]
    total, failing, n, late_failing = (int(x or 0) for x in row)
    return total, failing, n, late_failing


def member_training_days(ctx: Context, t: Target) -> Measure:
    need, year = float(t.params["min_days"]), ctx.judged_year
    if _counted(ctx) and _whole_year(ctx, year):
        return _training_counted(ctx, need, year)
    if _from_year_start(ctx, year) and _dated(ctx):
        return _training_dated(ctx, need, year)
    m, d = _members(ctx), _training_days(ctx, year)
    people = (
        select(m.c.id, m.c.name, m.c.community_name, m.c.registered_on,
               func.coalesce(d.c.days, 0).label("days"))
        .select_from(m.outerjoin(d, d.c.member_id == m.c.id))
    )  # fmt: skip
    return _people(ctx, people, lambda u: u.c.days < need, _training_reason(need, year))


def _training_reason(need: float, year: int) -> Callable[[float], str | None]:
    return lambda d: None if d >= need else f"{year}年培训{d:g}/{need:g}天"


def _training_counted(ctx: Context, need: float, year: int) -> Measure:
    """The training rule from the board's counts (every training of the year counts on the
    day): the members are the cards' counts' (each counted member is in one of their rows),
    those who pass the year's rows at ``need`` days or more; the page from the year's row of
    each member."""
    cards, years = ctx.t.community_cards, ctx.t.community_training
    y, s = ctx.t.member_training_years, ctx.t.member_standings

    def totals() -> tuple[Select[Any], ColumnElement[bool], Joins]:
        total = select(func.sum(cards.c.members)).where(ctx.only(cards.c.community_id))
        passing = select(func.sum(years.c.members)).where(
            years.c.year == year, years.c.days >= need, ctx.only(years.c.community_id)
        )
        return (
            select(total.scalar_subquery(), passing.scalar_subquery()),
            func.coalesce(y.c.days, 0) < need,
            ((y, and_(y.c.member_id == s.c.member_id, y.c.year == year)),),
        )

    def people() -> Select[Any]:
        m = _members(ctx)
        return select(
            m.c.id, m.c.name, m.c.community_name, m.c.registered_on,
            func.coalesce(y.c.days, 0).label("days"),
        ).select_from(m.outerjoin(y, and_(y.c.member_id == m.c.id, y.c.year == year)))

    shape = ("training", need, year)
    total_i, passing_n, late, late_failing = _with_not_judged(ctx, shape, totals)
    failing = total_i - passing_n
    return _counted_people(
        ctx, shape, people, lambda u: u.c.days < need, _training_reason(need, year),
        total_i - late, failing - late_failing,
    )


def _training_dated(ctx: Context, need: float, year: int) -> Measure:
    """The training rule on a past day from the dated counts: the members are the cards'
    dated counts' up to the day, those who pass the year's rows up to it at ``need`` days or
    more; the page sums each member's day rows of the year up to the day."""
    cards, years = ctx.t.community_cards_on, ctx.t.community_training_on

    def totals() -> Select[Any]:
        total = select(func.sum(cards.c.members)).where(
            cards.c.occurred_on <= ctx.day, ctx.only(cards.c.community_id)
        )
        passing = select(func.sum(years.c.members)).where(
            years.c.year == year, years.c.occurred_on <= ctx.day, years.c.days >= need,
            ctx.only(years.c.community_id),
        )  # fmt: skip
        return select(total.scalar_subquery(), passing.scalar_subquery())

    def people() -> Select[Any]:
        m, by_day = _members(ctx), ctx.t.member_training_days
        days = (
            select(func.coalesce(func.sum(by_day.c.days), 0))
            .where(by_day.c.member_id == m.c.id, by_day.c.occurred_on >= f"{year}-01-01",
                   by_day.c.occurred_on <= ctx.day)
            .scalar_subquery()
        )  # fmt: skip
        return select(m.c.id, m.c.name, m.c.community_name, m.c.registered_on, days.label("days"))

    shape = ("training dated", need, year)
    total_n, passing_n = ctx.read("training dated totals", totals, *shape)[0]
    total_i = int(total_n or 0)
    return _counted_people(
        ctx, shape, people, lambda u: u.c.days < need, _training_reason(need, year),
        total_i, total_i - int(passing_n or 0),
    )


def _from_year_start(ctx: Context, year: int) -> bool:
    """Whether the rule counts the year's trainings from its first day to the day asked:
    the window starts by the year's first day, or no training lies before its start."""
    start = (ctx.since or date(year, 1, 1)).isoformat()
    first, last = f"{year}-01-01", f"{year}-12-31"
    if not (first <= start and ctx.day <= last):
        return False
    if first == start:
        return True
    earliest, _ = _training_bounds(ctx, year)
    return earliest is None or earliest >= start  # none in [first, start)


def _whole_year(ctx: Context, year: int) -> bool:
    """Whether every training of ``year`` on record counts on the day: the window starts
    by the year's first day, and none lies between the year's first day and the window's
    start or after the day in the year (today; a past day with nothing recorded later)."""
    start = (ctx.since or date(year, 1, 1)).isoformat()
    first, last = f"{year}-01-01", f"{year}-12-31"
    if not (first <= start and ctx.day <= last):
        return False
    earliest, latest = _training_bounds(ctx, year)
    # none in [first, start), none in (day, last]
    return (earliest is None or earliest >= start) and (latest is None or latest <= ctx.day)


def _training_bounds(ctx: Context, year: int) -> tuple[str | None, str | None]:
    """The first training day on record from ``year``'s first day on and the last one up
    to its last day, read once per evaluation and year whatever the day asked: whether any
    training lies in a range of the year follows from them.

    A minimum and a maximum, not ``EXISTS`` over the ranges: each walks its index from one
    end whatever the plan, while a range test under PostgreSQL's generic plan for a
    prepared statement (psycopg prepares a statement run five times) may scan the table."""
    key = ("training bounds", year)
    if key not in ctx.memo:
        d = ctx.t.member_training_days.c.occurred_on
        ctx.memo[key] = ctx.rows(_kept(("training bounds", ctx.cursor.generation, year), lambda: select(
            select(func.min(d)).where(d >= f"{year}-01-01").scalar_subquery(),
            select(func.max(d)).where(d <= f"{year}-12-31").scalar_subquery(),
        )))[0]  # fmt: skip
    earliest, latest = ctx.memo[key]
    return (None if earliest is None else str(earliest), None if latest is None else str(latest))


def _training_days(ctx: Context, year: int) -> Subquery:
    """Per member (``member_id``, ``days``): the training days from the window's start (the
    year's first day without one) to the day. From the maintained standings: the year's
    sum when every training of the year lies in that range (today, or a past day with
    nothing later), else the sum of the days' rows in it; without them, the facts'."""
    start = (ctx.since or date(year, 1, 1)).isoformat()
    if not ctx.from_standings:
        f = ctx.facts()
        return (
            select(f.c.subject_id.label("member_id"), func.sum(f.c.num).label("days"))
            .where(f.c.fact == "member_training", f.c.occurred_on >= start,
                   f.c.occurred_on <= ctx.day)
            .group_by(f.c.subject_id)
            .subquery("d")
        )  # fmt: skip
    by_day, by_year = ctx.t.member_training_days, ctx.t.member_training_years
    if _whole_year(ctx, year):
        return (
            select(by_year.c.member_id, by_year.c.days).where(by_year.c.year == year).subquery("d")
        )
    return (
        select(by_day.c.member_id, func.sum(by_day.c.days).label("days"))
        .where(by_day.c.occurred_on >= start, by_day.c.occurred_on <= ctx.day)
        .group_by(by_day.c.member_id)
        .subquery("d")
    )


def _people(
    ctx: Context,
    people: Select[Any],
    fails: Callable[[CTE], ColumnElement[bool]],
    reason: Callable[..., str | None],
) -> Measure:
    """Every member must comply. ``people`` gives (id, name, community name, registered on,
    *figures) per member, ``reason`` the words for a member's figures (None: complies) and
    ``fails`` the same verdict in SQL. For a page, the database counts the members and those
    who fail and returns only the page's failing members (by id), so that a province's
    hundred thousand members never come back to be cut here."""
    if ctx.page is None:
        return each([(i, person(n, c), reason(*figures))
                     for i, n, c, _, *figures in ctx.rows(people.order_by(people.selected_columns.id))])  # fmt: skip
    # Materialized so that each member's figures (a correlated probe, a sum) are worked out
    # once: inlined, the planner repeats them in every expression of the window below.
    u = people.cte("u").prefix_with("MATERIALIZED")
    failed = fails(u)
    w = select(
        u, failed.label("fails"), func.count().over().label("total"),
        func.sum(case((failed, 1), else_=0)).over().label("failing_total"),
        func.min(case((failed, u.c.registered_on))).over().label("first"),
        func.row_number().over(partition_by=failed, order_by=u.c.id).label("rank"),
    ).subquery("w")
    first, last = ctx.page.offset, ctx.page.offset + ctx.page.limit
    # The page's failing members, and one more row (any member's first) that carries the totals
    # when the page is empty.
    rows = ctx.rows(
        select(w).where(or_(and_(w.c.fails, w.c.rank > first, w.c.rank <= last), w.c.rank == 1))
        .order_by(w.c.fails.desc(), w.c.rank)
    )  # fmt: skip
    if not rows:
        return each([])
    *_, total, failing_total, first_on, _ = rows[0]
    shown = [row for row in rows if row[-5] and first < row[-1] <= last]  # fails, rank
    page = [
        Failing(i, person(n, c), cast(str, reason(*figures)))
        for i, n, c, _, *figures, _, _, _, _, _ in shown
    ]
    ok = int(total) - int(failing_total or 0)
    return Measure(
        ok / total, f"{ok}/{total}", not failing_total, page, units=int(total), hits=ok,
        failing_total=int(failing_total or 0),
        first_failing_appeared=date.fromisoformat(str(first_on)) if first_on else None,
        appeared={row[0]: date.fromisoformat(str(row[3])) for row in shown},
    )


def _counted_people(
    ctx: Context,
    shape: tuple[Any, ...],
    people: Callable[[], Select[Any]],
    fails: Callable[[FromClause], ColumnElement[bool]],
    reason: Callable[..., str | None],
    total: int,
    failing_total: int,
) -> Measure:
    """``_people``'s page, with the totals counted already (from the board's counts): the
    page's failing members are the first by id (an index walk that stops after the page),
    the earliest-registered failing member the first by registration day. ``shape`` names
    what ``people`` and ``fails`` are built from."""
    assert ctx.page is not None
    if not total:
        return each([])
    first_on = None
    page: list[Failing] = []
    appeared: dict[str, date] = {}
    if failing_total:
        # One statement, not two: the earliest registration day among the failing (one
        # row), and beside it the page's failing members (none: one row of NULLs beside it).
        def statement() -> Select[Any]:
            assert ctx.page is not None
            u = people().subquery("u")
            earliest = select(u.c.registered_on).where(fails(u)).order_by(u.c.registered_on)
            e = select(earliest.limit(1).scalar_subquery().label("first")).subquery("e")
            shown = (
                select(u).where(fails(u)).order_by(u.c.id)
                .offset(ctx.page.offset).limit(ctx.page.limit)
                .subquery("p")
            )  # fmt: skip
            return (
                select(e.c.first, shown)
                .select_from(e.outerjoin(shown, true()))
                .order_by(shown.c.id)
            )

        rows = ctx.read("counted page", statement, *shape)
        first_on = date.fromisoformat(str(rows[0][0])) if rows[0][0] is not None else None
        for _, i, n, c, on, *figures in rows:
            if i is not None:
                page.append(Failing(i, person(n, c), cast(str, reason(*figures))))
                appeared[i] = date.fromisoformat(str(on))
    ok = total - failing_total
    return Measure(
        ok / total, f"{ok}/{total}", not failing_total, page, units=total, hits=ok,
        failing_total=failing_total, first_failing_appeared=first_on, appeared=appeared,
    )  # fmt: skip


def coordination_bodies_met(ctx: Context, t: Target) -> Measure:
    need = int(t.params["bodies"])
    bodies, met = (
        ctx.counts("coordination_body"),
        ctx.counts("coordination_meeting", this_year=True),
    )
    return each([
        (i, n, None if k >= need and met[i][1] >= need else f"协调机构{k}/{need}，本年召开会议的{met[i][1]}/{need}")
        for i, (n, k) in bodies.items()
    ])


def _probes(ctx: Context) -> list[tuple[Any, ...]]:
    """Per community in sight on the day: (id, name, latest office area, latest venue area,
    service stations, its street's service centers, latest designation), probed per
    community in one statement read once per evaluation (three rules ask: the sites, the
    service network and the designated types; one round trip, not three)."""

    def statement() -> Select[Any]:
        c, f, s = ctx.communities(), ctx.facts("f"), ctx.facts("s")
        stations = (
            select(func.count())
            .select_from(f)
            .where(f.c.community_id == c.c.id, f.c.fact == "service_station",
                   f.c.occurred_on <= ctx.day)
            .scalar_subquery()
        )  # fmt: skip
        centers = (
            select(func.count())
            .select_from(s)
            .where(s.c.subject_id == c.c.street_committee_id,
                   s.c.fact == "street_service_center", s.c.occurred_on <= ctx.day)
            .scalar_subquery()
        )  # fmt: skip
        designation = ctx.latest("designation", "item", lambda f: f.c.community_id == c.c.id)
        return select(
            c.c.id, c.c.name, _latest_num(ctx, c, "office_area"),
            _latest_num(ctx, c, "venue_area"), stations, centers, designation,
            _corrected_on(ctx, c, "office_area"), _corrected_on(ctx, c, "venue_area"),
        )  # fmt: skip

    return cast(
        list[tuple[Any, ...]],
        ctx.once("probes", lambda: ctx.read("community probes", statement)),
    )


def service_network(ctx: Context, t: Target) -> Measure:
    rows = [(i, n, stations, centers) for i, n, _, _, stations, centers, *_ in _probes(ctx)]

    def reason(station: int, center: int) -> str | None:
        missing = [w for w, ok in (("社区服务站", station), ("街道服务中心", center)) if not ok]
        return "尚未建立" + "、".join(missing) if missing else None

    return each([(i, n, reason(s, c)) for i, n, s, c in rows])


def _latest_num(ctx: Context, c: Subquery, fact: str, column: str = "num") -> ScalarSelect[Any]:
    """A community ``c``'s latest recorded figure of ``fact`` by the day (or its position)."""
    return ctx.latest(fact, column, lambda f: f.c.community_id == c.c.id)


def _corrected_on(ctx: Context, c: Subquery, fact: str) -> ScalarSelect[Any]:
    """The China day the correction was recorded that community ``c``'s latest ``fact`` by
    the day is, if it is one (NULL otherwise): in the statement that reads the figure, not
    a round trip of its own."""
    k, a = ctx.facts("k"), ctx.t.audit
    # One level deep, so that it correlates with ``c``: nested one level further (the latest
    # fact's position, then its audit row), ``c`` was not correlated but joined, every
    # community read the county's latest area fact, and a correction of one marked all.
    return (
        select(case((a.c.event_type.in_(CORRECTION_EVENTS), k.c.recorded_on)))
        .select_from(k.join(a, a.c.position == k.c.position))
        .where(k.c.community_id == c.c.id, k.c.fact == fact, k.c.occurred_on <= ctx.day)
        .order_by(k.c.occurred_on.desc(), k.c.position.desc())
        .limit(1)
        .scalar_subquery()
    )


Site = tuple[float | None, date | None]  # an area (None: never recorded), the day corrected


def _area_rows(ctx: Context) -> list[tuple[str, str, Site, Site]]:
    """Per community: (id, name, its office area, its venue area), each the latest recorded
    by the day and the correction it rests on, if it does."""
    return [
        (i, n, (office, _day(at_office)), (venue, _day(at_venue)))
        for i, n, office, venue, _, _, _, at_office, at_venue in _probes(ctx)
    ]


def site_zh(what: str, site: Site) -> str:
    """One area of a site as the board says it: "办公用房79.96㎡（2026年11月30日更正）", or
    "办公用房未记录面积" when nothing was recorded."""
    value, corrected = site
    return f"{what}{NOT_RECORDED}面积" if value is None else f"{what}{area(value, corrected)}"


def sites_zh(office: Site, venue: Site) -> str:
    """A community's two areas, or "未记录阵地面积" when neither was ever recorded."""
    if office[0] is None and venue[0] is None:
        return f"{NOT_RECORDED}阵地面积"
    return f"{site_zh('办公用房', office)}，{site_zh('活动场所', venue)}"


def _sites(ctx: Context, t: Target) -> list[tuple[str, str, str | None]]:
    """Per community: (id, name, what its site lacks, None if standard), judged once per
    evaluation and standard (three rules judge the sites)."""
    office, venue = float(t.params["office_m2"]), float(t.params["venue_m2"])
    return cast(
        list[tuple[str, str, str | None]],
        ctx.once("sites", lambda: _sites_judged(ctx, office, venue), office, venue),
    )


def _sites_judged(ctx: Context, office: float, venue: float) -> list[tuple[str, str, str | None]]:
    units: list[tuple[str, str, str | None]] = []
    for i, n, o, v in _area_rows(ctx):
        if o[0] is None and v[0] is None:  # not a site of 0㎡: one nobody has recorded
            units.append((i, n, sites_zh(o, v)))
            continue
        short = [
            site_zh(w, site) + ("" if site[0] is None else f"，不足{area(need)}")
            for w, site, need in (("办公用房", o, office), ("活动场所", v, venue))
            if site[0] is None or site[0] < need
        ]
        units.append((i, n, "；".join(short) or None))
    return units


def standard_sites_count(ctx: Context, t: Target) -> Measure:
    units = _sites(ctx, t)
    done = sum(1 for _, _, reason in units if reason is None)
    failing = [Failing(i, n, r) for i, n, r in units if r]
    met = done >= t.threshold
    return Measure(done, f"{done}{COMMUNITIES}", met, [] if met else failing)


def standard_site_each(ctx: Context, t: Target) -> Measure:
    measure = each(_sites(ctx, t))
    if ctx.one_community:  # its own areas against the standard's, in square metres
        nothing: Site = (None, None)
        (_, _, office, venue), = _area_rows(ctx) or [("", "", nothing, nothing)]
        measure.amount = Amount(
            sites_zh(office, venue),
            f"办公用房{area(t.params['office_m2'])}，活动场所{area(t.params['venue_m2'])}",
        )
    return measure


def funding_each(ctx: Context, t: Target) -> Measure:
    need, year = float(t.params["min_yuan"]), ctx.judged_year
    # Funding carries its own year: money allocated in January for the year before counts for
    # that year (made good late, once its 31 December has passed).

    def statement() -> Select[Any]:
        c, f = ctx.communities(), ctx.facts()
        on = and_(f.c.community_id == c.c.id, f.c.fact == "funding", f.c.item == str(year),
                  f.c.occurred_on <= ctx.counted_until)  # fmt: skip
        # The year's sum rests on a correction of its money counted, if any: when the
        # latest was recorded (in this statement, not a round trip of its own).
        k, a = ctx.facts("k"), ctx.t.audit
        corrected = (
            select(func.max(k.c.recorded_on))
            .select_from(k.join(a, a.c.position == k.c.position))
            .where(k.c.community_id == c.c.id, k.c.fact == "funding", k.c.item == str(year),
                   k.c.occurred_on <= ctx.counted_until,
                   a.c.event_type == "FundingAmountCorrected")
            .scalar_subquery()
        )  # fmt: skip
        return (
            select(c.c.id, c.c.name, func.coalesce(func.sum(f.c.num), 0),
                   func.count(f.c.position), corrected)
            .select_from(c.outerjoin(f, on))
            .group_by(c.c.id, c.c.name)
        )  # fmt: skip

    rows = ctx.read("funding", statement)
    corrected = {i: _day(on) for i, _, _, _, on in rows}
    unrecorded = f"{NOT_RECORDED}{year}年经费"  # no allocation at all: not "0元"

    def short(i: str, y: float, allocations: int) -> str:
        if not allocations:
            return unrecorded
        return f"{year}年经费{yuan(y, corrected.get(i))}，不足{yuan(need)}"

    measure = each([(i, n, None if y >= need else short(i, y, k)) for i, n, y, k, _ in rows])
    if ctx.one_community and rows:  # its own money against the standard, in yuan
        i, _, have, allocations, _ = rows[0]
        if allocations:
            measure.amount = Amount(yuan(float(have), corrected.get(i)), yuan(need), float(have),
                                    need, "yuan")  # fmt: skip
        else:  # no amount to show, not an amount of 0
            measure.amount = Amount(unrecorded, yuan(need), None, need, "yuan")
    return measure


def worker_insurance(ctx: Context, t: Target) -> Measure:
    """Every worker on the community's roster on the day has the three insurances."""
    need = int(t.params["count"])

    def statement() -> Select[Any]:
        w, c = _alias(ctx.t.community_workers, "w"), ctx.communities()
        insured = ctx.latest(
            "worker_insurance", "num",
            lambda f: and_(f.c.community_id == w.c.community_id, f.c.item == w.c.worker_id),
        )  # fmt: skip
        return (
            select(w.c.worker_id, w.c.worker_name, c.c.name, insured)
            .select_from(w.join(c, c.c.id == w.c.community_id))
            .where(w.c.joined_on <= ctx.day, or_(w.c.left_on.is_(None), w.c.left_on > ctx.day))
            .order_by(c.c.name, w.c.joined_on, w.c.worker_id)
        )

    rows = ctx.read("insurance", statement)

    def reason(k: float | None) -> str | None:
        if k is None:
            return "尚未登记“三险”"
        return None if k >= need else f"已落实{k:g}/{need}险"

    return each([(i, person(n, c), reason(k)) for i, n, c, k in rows])


# The facts ``_items`` counts, and every fact a rule counts per community (``Context.counts``
# reads them all in one statement).
ITEMS = ("model_service", "working_system", "coordination_body", "identity_item",
         "culture_facility", "troupe", "festival", "service_post", "city_recommended", "brand",
         "civility_rating")  # fmt: skip
COUNTED = (*ITEMS, "coordination_meeting")


def _items(ctx: Context) -> dict[str, dict[str, int]]:
    """Per community, how many of each countable item it has by the day (worked out once
    per evaluation: the pilot's and the designated types' rules both ask)."""
    return cast(dict[str, dict[str, int]], ctx.once("items", lambda: _items_counted(ctx)))


def _items_counted(ctx: Context) -> dict[str, dict[str, int]]:
    names, counted = ctx.counts_by_fact()
    found: dict[str, dict[str, int]] = {i: {} for i in names}
    for (i, fact), (distinct, rows, _) in counted.items():
        if fact in ITEMS:  # a service post is counted each time it is recorded
            found[i][fact] = rows if fact == "service_post" else distinct
    for cid, _, k in _organizations(ctx, "two_new"):
        found.setdefault(cid, {})["two_new_organizations"] = int(k)
    return found


def pilot_community(ctx: Context, t: Target) -> Measure:
    """The designated pilot (§四(三)1), within a year: a standard site, its model services,
    recommended to the city, and its own recognised feature and brand. Only the pilot is
    judged; with none designated (or out of sight) there is nothing to judge."""

    def statement() -> Select[Any]:
        f = ctx.facts()
        return (
            select(f.c.community_id)
            .where(f.c.fact == "pilot", f.c.occurred_on <= ctx.day)
            .order_by(f.c.occurred_on.desc(), f.c.position.desc())
            .limit(1)
        )

    pilot = ctx.read("pilot", statement)
    sites = {i: (n, r) for i, n, r in _sites(ctx, t)}
    if not pilot or pilot[0][0] not in sites:
        return each([])
    pid = pilot[0][0]
    name, site_reason = sites[pid]
    found = _items(ctx)[pid]
    need = int(t.params["min_services"])
    gaps = [site_reason] if site_reason else []
    if found.get("model_service", 0) < need:
        gaps.append(f"服务项目{found.get('model_service', 0)}/{need}")
    if not found.get("city_recommended"):
        gaps.append("尚未向市委组织部推荐")
    if not found.get("brand"):
        gaps.append("尚无认定的特色和品牌")
    return each([(pid, name, "；".join(gaps) or None)])


LABEL_ZH = {"services": "服务项目", "systems": "工作制度", "service_posts": "设岗定责",
            "coordination_bodies": "协调机构", "two_new_organizations": "两新组织党组织",
            "identity_items": "社区标识", "facilities": "文化阵地", "troupes": "文体队伍",
            "festivals": "文化节", "civility_ratings": "文明评选"}  # fmt: skip
FACT_OF = {"services": "model_service", "systems": "working_system", "service_posts": "service_post",
           "coordination_bodies": "coordination_body", "two_new_organizations": "two_new_organizations",
           "identity_items": "identity_item", "facilities": "culture_facility", "troupes": "troupe",
           "festivals": "festival", "civility_ratings": "civility_rating"}  # fmt: skip


def designated_type_items(ctx: Context, t: Target) -> Measure:
    designated = [(i, n, designation) for i, n, _, _, _, _, designation, *_ in _probes(ctx)]
    items = _items(ctx)
    units = []
    for i, n, model_type in designated:
        if model_type is None:
            continue
        needs: dict[str, int] = t.params[model_type]
        gaps = [f"{LABEL_ZH[k]}{items[i].get(FACT_OF[k], 0)}/{need}" for k, need in needs.items()
                if items[i].get(FACT_OF[k], 0) < need]  # fmt: skip
        units.append((i, n, "；".join(gaps) or None))
    return each(units)


def _community_share(ctx: Context, t: Target, hits: dict[str, bool], reason_zh: str) -> Measure:
    names = ctx.community_names()
    failing = [Failing(i, names[i], reason_zh) for i in names if not hits.get(i)]
    return share(len(names) - len(failing), len(names), t.threshold, False, failing)


def five_goods_share(ctx: Context, t: Target) -> Measure:

    def statement() -> Select[Any]:
        f, g = ctx.facts("f"), ctx.facts("g")
        latest_year = (
            select(func.max(g.c.item))
            .where(g.c.fact == "five_goods", g.c.community_id == f.c.community_id,
                   g.c.occurred_on <= ctx.day)
            .scalar_subquery()
        )  # fmt: skip
        return select(f.c.community_id, f.c.num).where(
            f.c.fact == "five_goods", f.c.occurred_on <= ctx.day, f.c.item == latest_year
        )

    rows = ctx.read("five goods", statement)
    return _community_share(
        ctx, t, {i: bool(p) for i, p in rows}, "最近一次评定未达到“五个好”或尚未评定"
    )


def brand_share(ctx: Context, t: Target) -> Measure:
    hits = {i: k > 0 for i, (_, k) in ctx.counts("brand").items()}
    return _community_share(ctx, t, hits, "尚无认定的特色和品牌")


def _streets(ctx: Context) -> Subquery:
    """The street working committees that exist on the day (those of the communities in
    sight, for a scorecard or a scoped caller), as ``s``."""
    o = _alias(ctx.t.organizations, "o")
    statement = select(o.c.id, o.c.name).where(
        o.c.level == "street_committee", o.c.established_on <= ctx.day
    )
    if ctx.community_ids is not None:
        c = _alias(ctx.t.communities, "c")
        statement = statement.where(
            o.c.id.in_(select(c.c.street_committee_id).where(ctx.only(c.c.id)))
        )
    return statement.subquery("s")


def street_five_goods(ctx: Context, t: Target) -> Measure:
    """Each street working committee's latest yearly assessment reached “五个好” (§二)."""

    def statement() -> Select[Any]:
        s, f = _streets(ctx), ctx.facts()
        on = and_(f.c.subject_id == s.c.id, f.c.fact == "street_five_goods",
                  f.c.occurred_on <= ctx.day)  # fmt: skip
        return (
            select(s.c.id, s.c.name, f.c.item, f.c.num)
            .select_from(s.outerjoin(f, on))
            .order_by(s.c.name, s.c.id, f.c.item, f.c.position)
        )

    rows = ctx.read("street five goods", statement)
    latest: dict[str, tuple[str, str | None, float | None]] = {}
    for i, n, year, passed in rows:  # ordered by year: the last one stays
        latest[i] = (n, year, passed)

    def reason(year: str | None, passed: float | None) -> str | None:
        if year is None:
            return "尚未评定“五个好”"
        return None if passed else f"{year}年度评定未达到“五个好”"

    return each([(i, n, reason(y, p)) for i, (n, y, p) in latest.items()])


def street_working_systems(ctx: Context, t: Target) -> Measure:
    """Each street working committee has its working systems (§二(三) 工作制度健全)."""
    need = int(t.params["count"])

    def statement() -> Select[Any]:
        s, f = _streets(ctx), ctx.facts()
        on = and_(f.c.subject_id == s.c.id, f.c.fact == "street_working_system",
                  f.c.occurred_on <= ctx.day)  # fmt: skip
        return (
            select(s.c.id, s.c.name, func.count(f.c.item.distinct()))
            .select_from(s.outerjoin(f, on))
            .group_by(s.c.id, s.c.name)
            .order_by(s.c.name, s.c.id)
        )

    rows = ctx.read("street systems", statement)
    return each([
        (i, n, None if k >= need else f"已建立{k}/{need}项工作制度") for i, n, k in rows
    ])


RULES: dict[str, Callable[[Context, Target], Measure]] = {
    name: fn for name, fn in globals().items()
    if callable(fn) and name in Target.model_fields["rule"].annotation.__args__  # type: ignore[union-attr]
}  # fmt: skip
# Campaigns launched before the pilot was a designation carry a plan naming the pilot by its
# community's name; they are judged by the designation too (a name matched nothing reliably).
RULES["named_model_community"] = pilot_community


def describe(target: Target, measure: Measure) -> Measure:
    """The measured figure in words, counted as what it counts: "18/21人", "52%（11/21人）",
    "2个社区", or one community's own amount ("8,000元")."""
    counted, _ = counted_zh(target.rule)
    if measure.amount is not None:
        measure.text = measure.amount.text
    elif target.rule == "standard_sites_count":
        measure.text = f"{measure.value:g}{counted}"
    elif measure.hits is not None and measure.units is not None:
        tally = f"{measure.hits}/{measure.units}{counted}"
        measure.text = f"{measure.value:.0%}（{tally}）" if measure.percent else tally
    measure.text += measure.note
    return measure


def threshold_zh(target: Target, measure: Measure) -> str:
    """The standard as the page shows it: "100%", "超过50%", "2个社区", "10,000元"."""
    if measure.amount is not None:
        return measure.amount.need_text
    match target.rule:
        case "standard_sites_count":
            return f"{target.threshold:g}{COMMUNITIES}"
        case "funding_each":
            return f"每个社区{yuan(float(target.params['min_yuan']))}"
        case "standard_site_each":
            return (
                f"每个社区办公用房{area(float(target.params['office_m2']))}，"
                f"活动场所{area(float(target.params['venue_m2']))}"
            )
    percent = f"{target.threshold:.0%}"
    return f"超过{percent}" if target.params.get("strictly_above") else percent


def amount_fields(target: Target, measure: Measure) -> dict[str, Any]:
    """What a result reads from its measure: the figure (one community's own amount when
    it is a single number), its unit and the standard as the page shows it."""
    amount, text = measure.amount, threshold_zh(target, measure)
    if amount is None or amount.need is None:
        return {"measured": measure.value, "unit": UNIT_OF_RULE.get(target.rule, "share"),
                "threshold": target.threshold, "threshold_text": text}  # fmt: skip
    # Nothing recorded: measured as nothing in its unit; its text says it was not recorded.
    measured = 0.0 if amount.value is None else amount.value
    return {"measured": measured, "unit": amount.unit, "threshold": amount.need,
            "threshold_text": text}  # fmt: skip


RANK = {"not_due": 1, "yellow": 2, "red": 3}
NONE = Page(0, 0)
# When each kind of unit a target judges appeared: a community began, a member registered,
# a cadre joined (county-wide shares and workers have no latecomers).
APPEARED: dict[str, Callable[[ReadModel], tuple[ColumnElement[Any], ColumnElement[Any]]]] = {
    "community": lambda t: (t.communities.c.id, t.communities.c.began_on),
    "member": lambda t: (t.members.c.id, t.members.c.registered_on),
    "team_member": lambda t: (t.team_members.c.team_member_id, t.team_members.c.joined_on),
}


def _appeared_after(
    cursor: Any, target: Target, day: date, memo: dict[tuple[Any, ...], Any]
) -> dict[str, date]:
    """The units of the target's kind that appeared after ``day``, with the day each did.

    Communities and cadres are a few thousand: all of them are read once per evaluation
    (``memo``) and every target's day picks from them; members are read per day, only those
    who appeared after it."""
    columns = APPEARED.get(target.scope)
    if columns is None:
        return {}
    unit, appeared = columns(cursor.t)
    after = day.isoformat()
    key = ("appeared", target.scope, after if target.scope == "member" else None)
    if key not in memo:

        def statement() -> Select[Any]:
            everyone = select(unit, appeared)
            return everyone.where(appeared > after) if target.scope == "member" else everyone

        kept = _kept((*key, cursor.generation), statement)
        memo[key] = [(str(i), str(on)) for i, on in cursor.execute(kept).fetchall()]
    return {i: date.fromisoformat(on) for i, on in memo[key] if on > after}


def _verdict_recorded_at(cursor: Any, target: Target, due_on: date) -> str | None:
    """When the scheduler recorded its verdict on the target for this due date (None: not yet)."""
    n = cursor.t.notifications
    row = cursor.execute(_kept(
        ("verdict", cursor.generation, target.id, due_on),
        lambda: select(func.min(n.c.recorded_at)).where(
            n.c.target_id == target.id, n.c.due_on == due_on.isoformat(), n.c.unit_id.is_(None),
            n.c.kind.in_(["deadline_met", "deadline_missed"]),
        ),
    )).fetchone()  # fmt: skip
    return None if row is None or row[0] is None else recorded_at(datetime.fromisoformat(str(row[0])))


def _empty(target: Target, measure: Measure) -> Empty | None:
    """No unit to judge: the target answers not applicable or no data, never green."""
    if measure.units != 0:
        return None
    return measure.empty or EMPTY_MEANS.get(target.rule, "no_data")


def _judge(
    target: Target, measure: Measure, as_of: date, due_on: date, appeared: dict[str, date]
) -> tuple[str, list[Failing], date]:
    """The target's status, its failing units (each latecomer with its own due date) and the
    due date the status answers to: the target's, or once that has passed with only
    latecomers falling short, the earliest of their own (never "not due" by a past date)."""
    empty = _empty(target, measure)
    if empty is not None:
        return empty, [], due_on
    if measure.met:
        return "green", measure.failing, due_on
    if measure.judged is None and measure.failing_total is None:  # over the whole county
        status = status_of(False, as_of, due_on, target.warning_starts(due_on))
        return status, measure.failing, due_on
    worst, failing, owns = "not_due", [], []
    # Most units appeared before the target's day: their own due date and status are worked
    # out once per day of appearance, not once per unit.
    judged: dict[date | None, tuple[date, str]] = {}
    for f in measure.failing:
        on = appeared.get(f.unit_id)
        if on not in judged:
            own = target.unit_due_on(due_on, on)
            judged[on] = own, status_of(False, as_of, own, target.warning_starts(own))
        own, status = judged[on]
        failing.append(f if own == due_on else replace(f, due_on=own, status=status))
        owns.append(own)
    for _, status in judged.values():
        worst = max(worst, status, key=RANK.__getitem__)
    if measure.failing_total is not None:  # one page listed: the earliest own due date is the
        # worst light (a later appearance never brings a unit's due date forward)
        own = target.unit_due_on(due_on, measure.first_failing_appeared)
        worst = status_of(False, as_of, own, target.warning_starts(own))
        owns = [own]
    shown = min(owns) if owns and as_of > due_on else due_on
    return worst, failing, shown


@dataclass
class _Judge:
    """Runs one target's rule over a scope, for a day, a year and a recording cut-off."""

    cursor: Any
    launch: date
    ids: list[str] | None
    target: Target
    page: Page | None = None
    standings: bool = True
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)  # the evaluation's (``Context``)

    def measure(
        self, as_of: date, period: Period | None = None, *, until: date | None = None,
        recorded_by: str | None = None, late_by: date | None = None, page: Page | None = None,
    ) -> Measure:  # fmt: skip
        grace = self.target.grace_days
        ctx = Context(
            self.cursor, as_of, self.launch, self.ids, year=period.year if period else None,
            since=self.target.counts_from(self.launch, period), until=until,
            recorded_by=recorded_by, late_by=late_by, page=page or self.page,
            standings=self.standings, memo=self.memo,
            registered_by=(
                period.end - timedelta(days=grace)
                if period and grace is not None and self.target.scope == "member" else None
            ),
        )
        measure = describe(self.target, RULES[self.target.rule](ctx, self.target))
        if period is None or self.target.grace_days is None or measure.judged is None:
            return measure
        # Units that appeared within the grace days before the year's end are judged from
        # the next year.
        late = _appeared_after(
            self.cursor, self.target, period.end - timedelta(days=self.target.grace_days),
            self.memo,
        )
        out = {u for u, on in late.items() if not self.target.judged_in(period, on)}
        if not out or not any(u[0] in out for u in measure.judged):
            return measure
        kept = [u for u in measure.judged if u[0] not in out]
        return describe(self.target, each(kept, empty=measure.empty))

    def made_good_on(
        self, period: Period, as_of: date, verdict_at: str | None, met_now: bool
    ) -> date | None:
        """The first day after the year's end on which, counting what was on record by then
        (money for the year allocated later, trainings of the year recorded after the
        verdict), the year's target was met (``met_now``: met counting all on record by
        ``as_of``, as ``now`` counts)."""
        def met_by(day: date) -> bool:  # counted, none of the failing listed
            return self.measure(
                period.end, period, until=day, recorded_by=verdict_at, late_by=day, page=NONE
            ).met

        if not met_now:
            return None
        f, later = self.cursor.t.facts, verdict_at or "9999"
        rows = self.cursor.execute(
            select(f.c.occurred_on, case((f.c.recorded_at > later, f.c.recorded_on)))
            .distinct()
            .where(or_(f.c.occurred_on > period.end.isoformat(), f.c.recorded_at > later))
        ).fetchall()
        after = period.end + timedelta(days=1)
        days = sorted(
            {max(after, date.fromisoformat(str(d))) for row in rows for d in row if d is not None}
            & {after + timedelta(days=k) for k in range((as_of - period.end).days)}
        )
        if not days:
            return as_of
        low, high = 0, len(days) - 1  # met by as_of, so by its last candidate day at the latest
        while low < high:
            middle = (low + high) // 2
            day = days[middle]
            if met_by(day):
                high = middle
            else:
                low = middle + 1
        return days[low]

    def now(self, period: Period, as_of: date, verdict_at: str | None) -> Measure:
        """An ended year as counted by ``as_of``: what was allocated or recorded for it since
        (as ``made_good_on`` counts). Units are listed only by the rules that list them all
        (a rule paged in SQL counts here, and its units keep the verdict's reason alone)."""
        return self.measure(
            period.end, period, until=as_of, recorded_by=verdict_at, late_by=as_of, page=NONE
        )

    def period(self, period: Period, as_of: date) -> PeriodResult:
        now: Measure | None = None
        if as_of > period.end:  # ended: the verdict by its 31 December, as the scheduler gave it
            verdict_at = _verdict_recorded_at(self.cursor, self.target, period.end)
            measure = self.measure(period.end, period, until=period.end, recorded_by=verdict_at)
            status: str = _empty(self.target, measure) or ("green" if measure.met else "red")
            if status == "red":
                now = self.now(period, as_of, verdict_at)
            good = self.made_good_on(period, as_of, verdict_at, now.met) if now else None
        else:  # running: the tally so far
            measure = self.measure(as_of, period)
            warn = self.target.warning_starts(period.end)
            status = _empty(self.target, measure) or status_of(measure.met, as_of, period.end, warn)
            good = None
        failing = measure.failing
        if now is not None and self.target.rule not in PAGED_IN_SQL:
            failing = _as_now(failing, now)
        figures = amount_fields(self.target, measure)
        kind: Literal["ended", "running"] = "ended" if as_of > period.end else "running"
        return PeriodResult(
            kind=kind, label_zh=period.label_zh,
            start=period.start, end=period.end, status=status,
            status_zh=STATUS_ZH[status], measured=figures["measured"], measured_text=measure.text,
            made_good_on=good, failing=failing, passing=measure.passing,
            failing_total=_failing_total(measure),
            threshold_text=figures["threshold_text"], unit=figures["unit"],
            amount=measure.amount.value if measure.amount else None,
            threshold_amount=measure.amount.need if measure.amount else None,
            now_text=now.text if now else None,
            now_amount=now.amount.value if now and now.amount else None,
            line_zh=period_line(period.label_zh, kind, STATUS_ZH[status], measure, now, good),
        )


def _as_now(failing: list[Failing], now: Measure) -> list[Failing]:
    """The verdict's failing units, each as it stands now: made good, or still short (and by
    what, counted now)."""
    still = {f.unit_id: f.reason_zh for f in now.failing}
    return [
        replace(f, now_zh=f"现仍未补足：{still[f.unit_id]}" if f.unit_id in still else "现已补足")
        for f in failing
    ]


def period_line(
    label: str, kind: str, status_zh: str, measure: Measure, now: Measure | None,
    made_good_on: date | None,
) -> str:  # fmt: skip
    """A yearly target's period as a signing official reads it. An ended year missed gives the
    figure at its verdict and the one on record now: "2026年度到位0元（年末未达标）；
    2027年1月5日补足，现累计到位50,000元" (one community's money), "2026年度年末达标1/2个社区
    （未达标）；至今仍未补足，现达标1/2个社区" (a count)."""
    if now is None:
        when = "已结束" if kind == "ended" else "本年度"
        return f"{label}（{when}）：{status_zh}，{measure.text}"
    money = measure.amount is not None and measure.amount.unit == "yuan"
    if money:  # no money recorded is said so, not "到位0元"
        none_then = measure.text.startswith(NOT_RECORDED)
        then = f"{label}度{'未记录经费' if none_then else f'到位{measure.text}'}（年末未达标）"
    else:
        then = f"{label}度年末达标{measure.text}（未达标）"
    none_now = money and now.text.startswith(NOT_RECORDED)
    held = "仍未记录经费" if none_now else f"累计到位{now.text}" if money else f"达标{now.text}"
    if made_good_on is not None:
        return f"{then}；{zh_date(made_good_on)}{'补足' if money else '全部补足'}，现{held}"
    short = f"，仍不足{now.amount.need_text}" if money and now.amount and not none_now else ""
    return f"{then}；至今仍未补足，现{held}{short}"


def _failing_total(measure: Measure) -> int:
    return len(measure.failing) if measure.failing_total is None else measure.failing_total


def _result(target: Target, **fields: Any) -> TargetResult:
    counted, failing = counted_zh(target.rule)
    return TargetResult(
        id=target.id, clause=target.clause, title_zh=target.title_zh,
        responsible_role=target.responsible_role, counted_zh=counted, failing_zh=failing,
        **fields,
    )


def _only_in_sight(result: TargetResult, ids: list[str]) -> TargetResult:
    """A county-wide target as a narrower caller sees it: the county's figure and light, its
    failing and passing lists cut to the caller's own communities."""
    def seen(units: list[Failing]) -> dict[str, Any]:
        shown = [f for f in units if f.unit_id in ids]
        return {"failing": shown, "failing_total": len(shown)}

    return replace(
        result, county_wide=True, **seen(result.failing),
        passing=[p for p in result.passing if p[0] in ids],
        periods=[replace(p, **seen(p.failing), passing=[x for x in p.passing if x[0] in ids])
                 for p in result.periods],
    )


# The rules that count their failing units in SQL and list one page (the rules over members,
# a hundred thousand of them in a province); the others judge a few thousand units at most,
# whose failing lists are cut to the page once judged.
PAGED_IN_SQL = frozenset({"member_cards", "member_training_days"})


def _cut(result: TargetResult, page: Page) -> TargetResult:
    """A result listing one page of its failing units (and of each period's)."""
    return replace(
        result, failing=page.cut(result.failing),
        periods=[replace(p, failing=page.cut(p.failing)) for p in result.periods],
    )


# A day the board's counts do not answer (a past day) sorts and hashes a row per member:
# at 100,000 members PostgreSQL's default 4 MB spills those to disk.
WORK_MEM = "64MB"


def _version(dialect: str) -> Select[Any]:
    version = (
        select(projection_meta.c.projection_version)
        .where(projection_meta.c.id == 1)
        .scalar_subquery()
    )
    if dialect == "postgres":
        return select(version, func.set_config("work_mem", WORK_MEM, True))
    return select(version)


def _has_standings(cursor: Any) -> bool:
    """Whether the generation the cursor reads was built by this projector: one left by an
    older projector (read while the new one is rebuilt beside it) has the standings' tables
    empty, made at start. On PostgreSQL the same statement sets ``work_mem`` for the
    evaluation's transaction only (one round trip, not two)."""
    row = cursor.execute(_kept(("standings", cursor.dialect), lambda: _version(cursor.dialect))).fetchone()
    return row is None or row[0] is None or int(row[0]) == PROJECTION_VERSION


def evaluate(
    store: ReadStore,
    plan: Plan,
    *,
    launch: date,
    as_of: date,
    communities: list[UUID] | None = None,
    scorecard: bool = False,
    community_view: bool = False,
    page: Page | None = None,
    only: str | None = None,
) -> list[TargetResult]:
    """Every target's status on ``as_of``, over all communities or only ``communities``.

    A yearly target answers two periods, the last ended year's verdict and the running
    year's tally; its light is red while the ended year stands missed (not made good), else
    the running year's. A target with no unit to judge is no_data or not_applicable; a
    scorecard, and any caller narrower than the county, leaves out the targets that do not
    apply to its communities; a narrower caller reads a county-wide target as the county's
    (``county_wide``: the county's figure and light, its own communities in the failing list);
    a community's view (``community_view``) reads a street's target as its street's
    (``street_wide``). With a ``page``, each failing list (the target's and each period's)
    holds that page of its units and ``failing_total`` counts them all; ``only`` evaluates
    that one target.
    """
    results = []
    ends = plan.ends_on(launch)
    # Values interpolated into the SQL are dates, UUIDs and the plan's own numbers, never
    # request text: the ids arrive as UUIDs and are written back out from them.
    ids = None if communities is None else [str(UUID(str(c))) for c in communities]
    memo: dict[tuple[Any, ...], Any] = {}  # what the targets' rules share (``Context.once``)
    with store.transaction() as cursor:
        standings = _has_standings(cursor)
        for target in plan.targets:
            if only is not None and target.id != only:
                continue
            if scorecard and not on_scorecard(target):
                continue
            # A county-wide target is measured over the county's population whoever asks: a
            # community's or a street's share of it is not a figure the plan sets.
            county_wide = ids is not None and target.scope == "county"
            judge = _Judge(
                cursor, launch, None if county_wide else ids, target, page, standings, memo
            )
            ended, running = target.periods(launch, as_of, ends)
            if ended or running:
                result = _yearly(judge, target, as_of, ended, running)
            else:
                result = _once(judge, target, launch, as_of)
            if ids is not None and not county_wide and result.status == "not_applicable":
                continue  # not shown to a community (or street) it does not apply to
            if county_wide and ids is not None:
                result = _only_in_sight(result, ids)
            elif community_view and target.scope == "street":
                result = replace(result, street_wide=True)
            if page is not None and target.rule not in PAGED_IN_SQL:
                result = _cut(result, page)
            results.append(result)
    return results


def _once(judge: _Judge, target: Target, launch: date, as_of: date) -> TargetResult:
    measure = judge.measure(as_of)
    due_on = target.due.due_on(launch, as_of)
    lead = target.window.days if target.window.kind == "since_appointment" else 0
    after = due_on - timedelta(days=lead or 0)
    appeared: dict[str, date] = {}
    if measure.failing and (measure.judged is not None or measure.failing_total is not None):
        appeared = (
            _appeared_after(judge.cursor, target, after, judge.memo)
            if measure.appeared is None
            else {i: on for i, on in measure.appeared.items() if on > after}  # read with the page
        )
    status, failing, shown_due = _judge(target, measure, as_of, due_on, appeared)
    return _result(
        target, status=status, status_zh=STATUS_ZH[status], **amount_fields(target, measure),
        measured_text=measure.text, due_on=shown_due, failing=failing, passing=measure.passing,
        failing_total=_failing_total(measure), applicable=status != "not_applicable",
        period_start=target.counts_from(launch),
        period_end=due_on,
    )


def _yearly(
    judge: _Judge, target: Target, as_of: date, ended: Period | None, running: Period | None
) -> TargetResult:
    periods = [judge.period(p, as_of) for p in (ended, running) if p is not None]
    last = periods[0] if ended else None
    # The light: red while the ended year stands missed; otherwise the running year's.
    shown = last if last and (last.status == "red" and last.made_good_on is None) else periods[-1]
    if running is None and last is not None:
        shown = last
    status = shown.status
    return _result(
        target, status=status, status_zh=STATUS_ZH[status], measured=shown.measured,
        unit=shown.unit, threshold_text=shown.threshold_text,
        threshold=target.threshold if shown.threshold_amount is None else shown.threshold_amount,
        measured_text=shown.measured_text, due_on=shown.end, failing=shown.failing,
        failing_total=shown.failing_total, passing=shown.passing, applicable=status != "not_applicable",
        period_start=shown.start, period_end=shown.end, periods=periods,
    )
