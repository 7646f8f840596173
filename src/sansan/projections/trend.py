"""Progress over time for the dashboard's charts: standardized sites, the five-goods share and
training days per member, at each month's end from the launch to a day.

Each point reuses the compliance rules as of that day, so a chart and the progress view
can never disagree about the same date.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, select

from sansan.plans.schema import Plan, Target
from sansan.projections.compliance import Context, _members, _sites, five_goods_share
from sansan.projections.store import ReadStore

MAX_POINTS = 60


@dataclass(frozen=True)
class TrendPoint:
    """None where the campaign's plan has no target of that rule."""

    on: date
    standard_sites: int | None
    five_goods_share: float | None
    training_days_per_member: float


def month_ends(launch: date, until: date) -> list[date]:
    """The last day of every month from the launch's to ``until``'s, ending at ``until``
    (at most MAX_POINTS, the latest ones)."""
    days = [until]
    while len(days) < MAX_POINTS and (days[-1].year, days[-1].month) > (launch.year, launch.month):
        days.append(days[-1].replace(day=1) - timedelta(days=1))  # counting back never overflows
    return days[::-1]


def target_of(plan: Plan, rule: str) -> Target | None:
    """The plan's first target of a rule; another county's plan may have none."""
    return next((t for t in plan.targets if t.rule == rule), None)


def _training_days_per_member(ctx: Context) -> float:
    """Days of training this calendar year (from its window's start), summed over the members
    the year's training target judges, per member: the chart and the target divide by the
    same members (one registered in the grace days before 31 December counts from the next
    year, as the target judges it)."""
    m, f = _members(ctx), ctx.facts()
    on = and_(
        f.c.subject_id == m.c.id, f.c.fact == "member_training", f.c.occurred_on <= ctx.day,
        f.c.occurred_on >= (ctx.since or date(ctx.as_of.year, 1, 1)).isoformat(),
    )  # fmt: skip
    members, days = ctx.rows(
        select(func.count(m.c.id.distinct()), func.coalesce(func.sum(f.c.num), 0))
        .select_from(m.outerjoin(f, on))
    )[0]
    return float(days) / int(members) if members else 0.0


def _training_context(
    cursor: Any, day: date, launch: date, ids: list[str] | None, plan: Plan
) -> Context:
    """The day's context as the member-training target judges its running year."""
    target = target_of(plan, "member_training_days")
    _, year = (None, None) if target is None else target.periods(launch, day, plan.ends_on(launch))
    if target is None or year is None:  # no such target, or the campaign has ended
        return Context(cursor, day, launch, ids)
    grace = target.grace_days
    return Context(
        cursor, day, launch, ids, since=target.counts_from(launch, year),
        registered_by=None if grace is None else year.end - timedelta(days=grace),
    )  # fmt: skip


def trend(
    store: ReadStore, plan: Plan, *, launch: date, until: date, communities: list[UUID] | None
) -> list[TrendPoint]:
    sites, goods = target_of(plan, "standard_sites_count"), target_of(plan, "five_goods_share")
    ids = None if communities is None else [str(c) for c in communities]
    points = []
    with store.transaction() as cursor:
        for day in month_ends(launch, max(until, launch)):
            ctx = Context(cursor, day, launch, ids)
            trained = _training_context(cursor, day, launch, ids, plan)
            points.append(
                TrendPoint(
                    on=day,
                    standard_sites=None
                    if sites is None
                    else sum(1 for *_, reason in _sites(ctx, sites) if reason is None),
                    five_goods_share=None if goods is None else five_goods_share(ctx, goods).value,
                    training_days_per_member=round(_training_days_per_member(trained), 2),
                )
            )
    return points
