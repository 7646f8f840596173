"""Where every unit stands against every target of a plan, as of any day.

Each rule is one or two SQL aggregates over the dated read models (counted in the
database, never per member in Python); only the handful of per-community rows that
come back are compared with the plan's numbers here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from sansan.domain.vocabulary import CARDS_FOR_CATEGORY, COLLEGE_OR_TECHNICAL
from sansan.plans.schema import Plan, Target
from sansan.projections.store import ReadStore

STATUS_ZH = {
    "green": "已达标",
    "yellow": "临近期限未达标",
    "red": "逾期未达标",
    "not_due": "未到期",
}


@dataclass(frozen=True)
class Failing:
    unit_id: str
    unit_name: str
    reason_zh: str


@dataclass
class Measure:
    value: float
    text: str
    met: bool
    failing: list[Failing] = field(default_factory=list)
    passing: list[tuple[str, str]] = field(default_factory=list)  # (id, name) of units that comply


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


def status_of(met: bool, as_of: date, due_on: date, warning_from: date) -> str:
    if met:
        return "green"
    if as_of > due_on:
        return "red"
    return "yellow" if as_of >= warning_from else "not_due"


@dataclass
class Context:
    cursor: Any
    as_of: date
    launch: date
    community_ids: list[str] | None  # a scorecard, or a scoped caller, sees only these

    def only(self, column: str) -> str:
        if self.community_ids is None:
            return ""
        listed = ", ".join(f"'{c}'" for c in self.community_ids) or "NULL"
        return f" AND {column} IN ({listed})"

    @property
    def day(self) -> str:
        return self.as_of.isoformat()

    def rows(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.cursor.execute(statement, params).fetchall()]

    def communities(self) -> str:
        """SQL for the communities that exist on the day (and the one of a scorecard)."""
        return f"SELECT c.id, c.name, c.street_committee_id FROM rm_communities c WHERE c.began_on <= '{self.day}'{self.only('c.id')}"

    def counts(
        self, fact: str, *, year: int | None = None, distinct: bool = True
    ) -> dict[str, tuple[str, int]]:
        """Per community: (name, how many [distinct] items of ``fact`` by the day)."""
        counted = "COUNT(DISTINCT f.item)" if distinct else "COUNT(f.position)"
        since = f" AND f.occurred_on >= '{year}-01-01'" if year else ""
        rows = self.rows(
            f"SELECT c.id, c.name, {counted} FROM ({self.communities()}) c"
            " LEFT JOIN rm_facts f ON f.community_id = c.id AND f.fact = ? AND f.occurred_on <= ?"
            f"{since} GROUP BY c.id, c.name",
            (fact, self.day),
        )
        return {r[0]: (r[1], int(r[2])) for r in rows}


def each(units: list[tuple[str, str, str | None]]) -> Measure:
    """Every unit must comply: (id, name, reason if it fails)."""
    failing = [Failing(i, n, reason) for i, n, reason in units if reason]
    total = len(units)
    ok = total - len(failing)
    share = ok / total if total else 1.0
    passing = [(i, n) for i, n, reason in units if not reason]
    return Measure(share, f"{ok}/{total}", not failing, failing, passing)


def share(
    hits: int, total: int, threshold: float, strictly: bool, failing: list[Failing]
) -> Measure:
    value = hits / total if total else 0.0
    met = total > 0 and (value > threshold if strictly else value >= threshold)
    return Measure(value, f"{value:.0%}({hits}/{total})", met, failing)


# -- the rules ---------------------------------------------------------------------------


def general_branch_exists(ctx: Context, t: Target) -> Measure:
    rows = ctx.rows(
        f"SELECT c.id, c.name, COUNT(o.id) FROM ({ctx.communities()}) c LEFT JOIN rm_organizations o"
        " ON o.community_id = c.id AND o.level = 'general_branch' AND o.established_on <= ?"
        " GROUP BY c.id, c.name",
        (ctx.day,),
    )
    return each([(i, n, None if k else "尚未建立社区党总支") for i, n, k in rows])


def _cadres(ctx: Context) -> str:
    only = ctx.only("o.community_id")
    return (
        "SELECT t.*, o.community_id AS cid FROM rm_team_members t JOIN rm_organizations o"
        f" ON o.id = t.org_id WHERE o.level = 'general_branch' AND t.joined_on <= '{ctx.day}'"
        f" AND (t.left_on IS NULL OR t.left_on > '{ctx.day}'){only}"
    )


def _cadre_share(ctx: Context, t: Target, hit: str, what_zh: str) -> Measure:
    rows = ctx.rows(
        f"SELECT c.id, c.name, COUNT(t.team_member_id), SUM(CASE WHEN {hit} THEN 1 ELSE 0 END)"
        f" FROM ({_cadres(ctx)}) t JOIN rm_communities c ON c.id = t.cid GROUP BY c.id, c.name"
    )
    strictly = bool(t.params.get("strictly_above"))
    failing = [
        Failing(i, n, f"{what_zh}占比 {(h or 0) / k:.0%}")
        for i, n, k, h in rows
        if k and not share(h or 0, k, t.threshold, strictly, []).met
    ]
    return share(
        sum(r[3] or 0 for r in rows), sum(r[2] for r in rows), t.threshold, strictly, failing
    )


def _years_before(day: date, years: int) -> date:
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
    hit = (
        f"((t.birth_date IS NOT NULL AND t.birth_date > '{cutoff}') OR"
        f" (t.birth_date IS NULL AND {ctx.as_of.year} - t.birth_year <= {age}))"
    )
    rows = ctx.rows(
        f"SELECT c.id, c.name, COUNT(t.team_member_id), SUM(CASE WHEN {hit} THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN t.birth_date IS NULL THEN 1 ELSE 0 END)"
        f" FROM ({_cadres(ctx)}) t JOIN rm_communities c ON c.id = t.cid GROUP BY c.id, c.name"
    )
    strictly = bool(t.params.get("strictly_above"))

    def by_year(k: int) -> str:
        return f"（其中{k}人仅有出生年份，按年计算）" if k else ""

    failing = [
        Failing(i, n, f"{age}岁以下占比 {(h or 0) / k:.0%}{by_year(int(y or 0))}")
        for i, n, k, h, y in rows
        if k and not share(h or 0, k, t.threshold, strictly, []).met
    ]
    measure = share(
        sum(r[3] or 0 for r in rows), sum(r[2] for r in rows), t.threshold, strictly, failing
    )
    measure.text += by_year(sum(int(r[4] or 0) for r in rows))
    return measure


def team_share_educated(ctx: Context, t: Target) -> Measure:
    levels = ", ".join(f"'{e.value}'" for e in COLLEGE_OR_TECHNICAL)
    return _cadre_share(ctx, t, f"t.education IN ({levels})", "大中专以上")


def _team_training(ctx: Context, t: Target, *, newly_only: bool) -> Measure:
    school = " AND f.item = 'party_school'" if newly_only else ""
    who = " AND t.newly_appointed" if newly_only else ""
    low = float(t.params.get("min_days", 0))
    rows = ctx.rows(
        f"SELECT t.team_member_id, t.person_name, c.name, MAX(f.num) FROM ({_cadres(ctx)}) t"
        " JOIN rm_communities c ON c.id = t.cid LEFT JOIN rm_facts f ON f.subject_id = t.team_member_id"
        f" AND f.fact = 'team_training' AND f.occurred_on <= ?{school}"
        f" WHERE 1 = 1{who} GROUP BY t.team_member_id, t.person_name, c.name",
        (ctx.day,),
    )
    where_zh = "县委党校" if newly_only else "集中"
    return each([
        (i, f"{c}·{n}", None if (d or 0) >= low else f"未参加{where_zh}培训(单期不少于{low:g}天)")
        for i, n, c, d in rows
    ])  # fmt: skip


def team_trained_once(ctx: Context, t: Target) -> Measure:
    return _team_training(ctx, t, newly_only=False)


def new_team_party_school(ctx: Context, t: Target) -> Measure:
    return _team_training(ctx, t, newly_only=True)


def working_systems(ctx: Context, t: Target) -> Measure:
    need = int(t.params["count"])
    return each([
        (i, n, None if k >= need else f"已建立 {k}/{need} 项工作制度")
        for i, (n, k) in ctx.counts("working_system").items()
    ])  # fmt: skip


def _members(ctx: Context) -> str:
    only = ctx.only("m.community_id")
    return (
        "SELECT m.id, m.name, m.community_id FROM rm_members m"
        f" WHERE m.registered_on <= '{ctx.day}'"
        f" AND (m.transferred_out_on IS NULL OR m.transferred_out_on > '{ctx.day}'){only}"
    )


def _members_by_category(ctx: Context) -> str:
    """A CTE ``m``: the members of ``_members`` with their category as of the day.

    Materialized so that the latest-fact lookup runs once per member: left inline, the
    planner repeats it wherever the category is used (about five index probes per member).
    """
    return (
        "WITH m AS MATERIALIZED (SELECT m.id, m.name, (SELECT f.item FROM rm_facts f"
        " WHERE f.subject_id = m.id AND f.fact = 'member_category'"
        f" AND f.occurred_on <= '{ctx.day}' ORDER BY f.occurred_on DESC, f.position DESC LIMIT 1)"
        f" AS category FROM ({_members(ctx)}) m)"
    )


def member_cards(ctx: Context, t: Target) -> Measure:
    fits = " OR ".join(
        f"(m.category = '{cat.value}' AND f.item IN ({', '.join(repr(c.value) for c in cards)}))"
        for cat, cards in CARDS_FOR_CATEGORY.items()
    )
    needed = " ".join(
        f"WHEN '{cat.value}' THEN {len(cards)}" for cat, cards in CARDS_FOR_CATEGORY.items()
    )
    # One probe per member for its fitting cards; ORDER BY keeps the member-id order that
    # grouping by member gave before, so the failing list reads the same.
    rows = ctx.rows(
        f"{_members_by_category(ctx)} SELECT m.id, m.name, CASE m.category {needed} END,"
        " (SELECT COUNT(DISTINCT f.item) FROM rm_facts f WHERE f.subject_id = m.id"
        f" AND f.fact = 'card' AND f.occurred_on <= ? AND ({fits})) FROM m ORDER BY m.id",
        (ctx.day,),
    )
    return each(
        [(i, n, None if k >= need else f"已发 {k}/{need} 张适用的卡") for i, n, need, k in rows]
    )


def member_training_days(ctx: Context, t: Target) -> Measure:
    need = float(t.params["min_days"])
    rows = ctx.rows(
        f"SELECT m.id, m.name, COALESCE(SUM(f.num), 0) FROM ({_members(ctx)}) m LEFT JOIN rm_facts f"
        " ON f.subject_id = m.id AND f.fact = 'member_training' AND f.occurred_on <= ?"
        " AND f.occurred_on >= ? GROUP BY m.id, m.name",
        (ctx.day, f"{ctx.as_of.year}-01-01"),
    )
    return each(
        [
            (i, n, None if d >= need else f"{ctx.as_of.year}年培训 {d:g}/{need:g} 天")
            for i, n, d in rows
        ]
    )


def coordination_bodies_met(ctx: Context, t: Target) -> Measure:
    need = int(t.params["bodies"])
    bodies, met = (
        ctx.counts("coordination_body"),
        ctx.counts("coordination_meeting", year=ctx.as_of.year),
    )
    return each([
        (i, n, None if k >= need and met[i][1] >= need else f"协调机构 {k}/{need},本年召开会议的 {met[i][1]}/{need}")
        for i, (n, k) in bodies.items()
    ])  # fmt: skip


def service_network(ctx: Context, t: Target) -> Measure:
    rows = ctx.rows(
        f"SELECT c.id, c.name, (SELECT COUNT(*) FROM rm_facts f WHERE f.community_id = c.id"
        f" AND f.fact = 'service_station' AND f.occurred_on <= '{ctx.day}'),"
        " (SELECT COUNT(*) FROM rm_facts s WHERE s.subject_id = c.street_committee_id"
        f" AND s.fact = 'street_service_center' AND s.occurred_on <= '{ctx.day}')"
        f" FROM ({ctx.communities()}) c"
    )

    def reason(station: int, center: int) -> str | None:
        missing = [w for w, ok in (("社区服务站", station), ("街道服务中心", center)) if not ok]
        return "尚未建立" + "、".join(missing) if missing else None

    return each([(i, n, reason(s, c)) for i, n, s, c in rows])


def _sites(ctx: Context, t: Target) -> list[tuple[str, str, str | None]]:
    def latest(fact: str) -> str:
        return (
            f"(SELECT f.num FROM rm_facts f WHERE f.community_id = c.id AND f.fact = '{fact}'"
            f" AND f.occurred_on <= '{ctx.day}' ORDER BY f.occurred_on DESC, f.position DESC LIMIT 1)"
        )

    office, venue = float(t.params["office_m2"]), float(t.params["venue_m2"])
    rows = ctx.rows(
        f"SELECT c.id, c.name, {latest('office_area')}, {latest('venue_area')} FROM ({ctx.communities()}) c"
    )
    units = []
    for i, n, o, v in rows:
        short = [
            f"{w} {a or 0:g}㎡ < {need:g}㎡"
            for w, a, need in (("办公用房", o, office), ("活动场所", v, venue))
            if (a or 0) < need
        ]
        units.append((i, n, ";".join(short) or None))
    return units


def standard_sites_count(ctx: Context, t: Target) -> Measure:
    units = _sites(ctx, t)
    done = sum(1 for _, _, reason in units if reason is None)
    failing = [Failing(i, n, r) for i, n, r in units if r]
    met = done >= t.threshold
    return Measure(done, f"{done} 个标准化社区", met, [] if met else failing)


def standard_site_each(ctx: Context, t: Target) -> Measure:
    return each(_sites(ctx, t))


def funding_each(ctx: Context, t: Target) -> Measure:
    need, year = float(t.params["min_yuan"]), ctx.as_of.year
    rows = ctx.rows(
        f"SELECT c.id, c.name, COALESCE(SUM(f.num), 0) FROM ({ctx.communities()}) c LEFT JOIN rm_facts f"
        " ON f.community_id = c.id AND f.fact = 'funding' AND f.item = ? AND f.occurred_on <= ?"
        " GROUP BY c.id, c.name",
        (str(year), ctx.day),
    )
    return each(
        [(i, n, None if y >= need else f"{year}年经费 {y:,.0f}/{need:,.0f} 元") for i, n, y in rows]
    )


def worker_insurance(ctx: Context, t: Target) -> Measure:
    """Every worker on the community's roster on the day has the three insurances."""
    need = int(t.params["count"])
    rows = ctx.rows(
        f"SELECT w.worker_id, w.worker_name, c.name, (SELECT f.num FROM rm_facts f"
        " WHERE f.fact = 'worker_insurance' AND f.community_id = w.community_id"
        f" AND f.item = w.worker_id AND f.occurred_on <= '{ctx.day}'"
        " ORDER BY f.occurred_on DESC, f.position DESC LIMIT 1)"
        f" FROM rm_community_workers w JOIN ({ctx.communities()}) c ON c.id = w.community_id"
        f" WHERE w.joined_on <= '{ctx.day}' AND (w.left_on IS NULL OR w.left_on > '{ctx.day}')"
        " ORDER BY c.name, w.joined_on, w.worker_id"
    )

    def reason(k: float | None) -> str | None:
        if k is None:
            return "尚未登记“三险”"
        return None if k >= need else f"已落实 {k:g}/{need} 险"

    return each([(i, f"{c}·{n}", reason(k)) for i, n, c, k in rows])


def _items(ctx: Context) -> dict[str, dict[str, int]]:
    """Per community, how many of each countable item it has by the day."""
    found: dict[str, dict[str, int]] = {}
    for fact in ("model_service", "working_system", "coordination_body", "identity_item",
                 "culture_facility", "troupe", "festival", "service_post", "city_recommended",
                 "brand", "civility_rating"):  # fmt: skip
        for cid, (_, k) in ctx.counts(fact, distinct=fact != "service_post").items():
            found.setdefault(cid, {})[fact] = k
    rows = ctx.rows(
        f"SELECT c.id, COUNT(o.id) FROM ({ctx.communities()}) c LEFT JOIN rm_organizations o"
        " ON o.community_id = c.id AND o.level = 'two_new' AND o.established_on <= ? GROUP BY c.id",
        (ctx.day,),
    )
    for cid, k in rows:
        found.setdefault(cid, {})["two_new_organizations"] = int(k)
    return found


def pilot_community(ctx: Context, t: Target) -> Measure:
    """The designated pilot (§四(三)1), within a year: a standard site, its model services,
    recommended to the city, and its own recognised feature and brand. Only the pilot is
    judged; with none designated (or out of sight) there is nothing to judge."""
    pilot = ctx.rows(
        "SELECT f.community_id FROM rm_facts f WHERE f.fact = 'pilot' AND f.occurred_on <= ?"
        " ORDER BY f.occurred_on DESC, f.position DESC LIMIT 1",
        (ctx.day,),
    )
    sites = {i: (n, r) for i, n, r in _sites(ctx, t)}
    if not pilot or pilot[0][0] not in sites:
        return each([])
    pid = pilot[0][0]
    name, site_reason = sites[pid]
    found = _items(ctx)[pid]
    need = int(t.params["min_services"])
    gaps = [site_reason] if site_reason else []
    if found.get("model_service", 0) < need:
        gaps.append(f"服务项目 {found.get('model_service', 0)}/{need}")
    if not found.get("city_recommended"):
        gaps.append("尚未向市委组织部推荐")
    if not found.get("brand"):
        gaps.append("尚无认定的特色和品牌")
    return each([(pid, name, ";".join(gaps) or None)])


LABEL_ZH = {"services": "服务项目", "systems": "工作制度", "service_posts": "设岗定责",
            "coordination_bodies": "协调机构", "two_new_organizations": "两新组织党组织",
            "identity_items": "社区标识", "facilities": "文化阵地", "troupes": "文体队伍",
            "festivals": "文化节", "civility_ratings": "文明评选"}  # fmt: skip
FACT_OF = {"services": "model_service", "systems": "working_system", "service_posts": "service_post",
           "coordination_bodies": "coordination_body", "two_new_organizations": "two_new_organizations",
           "identity_items": "identity_item", "facilities": "culture_facility", "troupes": "troupe",
           "festivals": "festival", "civility_ratings": "civility_rating"}  # fmt: skip


def designated_type_items(ctx: Context, t: Target) -> Measure:
    designated = ctx.rows(
        f"SELECT c.id, c.name, (SELECT f.item FROM rm_facts f WHERE f.community_id = c.id"
        f" AND f.fact = 'designation' AND f.occurred_on <= '{ctx.day}'"
        f" ORDER BY f.occurred_on DESC, f.position DESC LIMIT 1) FROM ({ctx.communities()}) c"
    )
    items = _items(ctx)
    units = []
    for i, n, model_type in designated:
        if model_type is None:
            continue
        needs: dict[str, int] = t.params[model_type]
        gaps = [f"{LABEL_ZH[k]} {items[i].get(FACT_OF[k], 0)}/{need}" for k, need in needs.items()
                if items[i].get(FACT_OF[k], 0) < need]  # fmt: skip
        units.append((i, n, ";".join(gaps) or None))
    return each(units)


def _community_share(ctx: Context, t: Target, hits: dict[str, bool], reason_zh: str) -> Measure:
    names = {i: n for i, n, _ in ctx.rows(ctx.communities())}
    failing = [Failing(i, names[i], reason_zh) for i in names if not hits.get(i)]
    return share(len(names) - len(failing), len(names), t.threshold, False, failing)


def five_goods_share(ctx: Context, t: Target) -> Measure:
    rows = ctx.rows(
        "SELECT f.community_id, f.num FROM rm_facts f WHERE f.fact = 'five_goods' AND f.occurred_on <= ?"
        " AND f.item = (SELECT MAX(g.item) FROM rm_facts g WHERE g.fact = 'five_goods'"
        " AND g.community_id = f.community_id AND g.occurred_on <= ?)",
        (ctx.day, ctx.day),
    )
    return _community_share(
        ctx, t, {i: bool(p) for i, p in rows}, "最近一次评定未达到“五个好”或尚未评定"
    )


def brand_share(ctx: Context, t: Target) -> Measure:
    hits = {i: k > 0 for i, (_, k) in ctx.counts("brand").items()}
    return _community_share(ctx, t, hits, "尚无认定的特色和品牌")


def _streets(ctx: Context) -> str:
    """SQL for the street working committees that exist on the day (those of the
    communities in sight, for a scorecard or a scoped caller)."""
    only = ""
    if ctx.community_ids is not None:
        only = (
            " AND o.id IN (SELECT c.street_committee_id FROM rm_communities c"
            f" WHERE 1 = 1{ctx.only('c.id')})"
        )
    return (
        "SELECT o.id, o.name FROM rm_organizations o WHERE o.level = 'street_committee'"
        f" AND o.established_on <= '{ctx.day}'{only}"
    )


def street_five_goods(ctx: Context, t: Target) -> Measure:
    """Each street working committee's latest yearly assessment reached “五个好” (§二)."""
    rows = ctx.rows(
        f"SELECT s.id, s.name, f.item, f.num FROM ({_streets(ctx)}) s LEFT JOIN rm_facts f"
        " ON f.subject_id = s.id AND f.fact = 'street_five_goods' AND f.occurred_on <= ?"
        " ORDER BY s.name, s.id, f.item, f.position",
        (ctx.day,),
    )
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
    rows = ctx.rows(
        f"SELECT s.id, s.name, COUNT(DISTINCT f.item) FROM ({_streets(ctx)}) s LEFT JOIN rm_facts f"
        " ON f.subject_id = s.id AND f.fact = 'street_working_system' AND f.occurred_on <= ?"
        " GROUP BY s.id, s.name ORDER BY s.name, s.id",
        (ctx.day,),
    )
    return each([
        (i, n, None if k >= need else f"已建立 {k}/{need} 项工作制度") for i, n, k in rows
    ])  # fmt: skip


RULES: dict[str, Callable[[Context, Target], Measure]] = {
    name: fn for name, fn in globals().items()
    if callable(fn) and name in Target.model_fields["rule"].annotation.__args__  # type: ignore[union-attr]
}  # fmt: skip


def evaluate(
    store: ReadStore,
    plan: Plan,
    *,
    launch: date,
    as_of: date,
    communities: list[UUID] | None = None,
    scorecard: bool = False,
) -> list[TargetResult]:
    """Every target's status on ``as_of``, over all communities or only ``communities``."""
    results = []
    # Values interpolated into the SQL are dates, UUIDs and the plan's own numbers, never
    # request text: the ids arrive as UUIDs and are written back out from them.
    ids = None if communities is None else [str(UUID(str(c))) for c in communities]
    with store.transaction() as cursor:
        ctx = Context(cursor, as_of, launch, ids)
        for target in plan.targets:
            if scorecard and target.scope in ("county", "street"):
                continue  # a scorecard shows the targets a community answers for itself
            measure = RULES[target.rule](ctx, target)
            due_on = target.due.due_on(launch, as_of)
            status = status_of(measure.met, as_of, due_on, target.warning_starts(due_on))
            results.append(
                TargetResult(
                    id=target.id, clause=target.clause, title_zh=target.title_zh, status=status,
                    status_zh=STATUS_ZH[status], measured=measure.value, measured_text=measure.text,
                    threshold=target.threshold, due_on=due_on,
                    responsible_role=target.responsible_role, failing=measure.failing,
                    passing=measure.passing,
                )
            )  # fmt: skip
    return results
