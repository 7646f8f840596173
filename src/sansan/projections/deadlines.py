"""Deadlines, derived from the log: every target's due dates for each campaign (yearly ones
once a year), a latecomer's own due date (a community, member or cadre that appears after a
target's due date, or a new cadre's window since appointment), supervision items' deadlines
(moved by approved extensions) and inspection dates, each with the steps at which the
scheduler must act (reminders, the verdict the day after the due date)."""

import json
from collections.abc import Hashable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, and_, select, update

from sansan.domain import (
    Community,
    CreationCampaign,
    Firing,
    FiringKind,
    Member,
    PartyOrganization,
    SupervisionItem,
)
from sansan.plans import Plan, Target, pinned_plan
from sansan.projections.batch import Batch, BatchHandler, Row
from sansan.projections.schema import ReadModel
from sansan.projections.store import Cursor

SUPERVISION_STEPS = (7, -1)  # a yellow light a week before, red the day after the deadline
INSPECTION_STEPS = (7, 0)  # announcements: a week before and on the day itself
# A target's met/missed verdict comes the day after its due date (China day): the unit has
# the whole due day, and what it records that day counts as on time.
VERDICT_LEAD = -1
# Before projection version 12 the verdict fired on the due date itself; a firing recorded
# then is the verdict step's, so a rebuilt store does not judge the deadline a second time.
LEGACY_VERDICT_LEAD = 0
VERDICT_KINDS = frozenset(
    {FiringKind.DEADLINE_MET, FiringKind.DEADLINE_MISSED, FiringKind.ACCOUNTABILITY_ALERT}
)


def _add(
    b: Batch, deadline_id: str, kind: str, *, due_on: date, steps: tuple[int, ...], **row: Any
) -> None:
    b.insert(b.t.deadlines, {
        "id": deadline_id, "kind": kind, "campaign_id": row.get("campaign_id"),
        "plan_id": row.get("plan_id"), "target_id": row.get("target_id"),
        "subject_id": row.get("subject_id"), "due_on": due_on.isoformat(),
    })  # fmt: skip
    for lead in steps:
        fire_on = _shifted(due_on, -lead)
        if fire_on is None:  # past the calendar's end: a step that can never come
            continue
        b.insert(b.t.deadline_steps, {
            "deadline_id": deadline_id, "lead_days": lead,
            "fire_on": fire_on.isoformat(), "done": False,
        })  # fmt: skip


def _shifted(day: date, days: int) -> date | None:
    """``day`` moved by ``days``, or None beyond year 1 or 9999. The commands bound every
    deadline now, but a store may hold one recorded before (9999-12-31 once stopped every read
    model: its day-after step overflowed on each retry)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


@lru_cache(maxsize=32)
def _pinned(content: str, sha256: str) -> Plan:
    """A campaign's pinned plan, parsed once per content (plans are kept as JSON text)."""
    return pinned_plan(json.loads(content), sha256)


def campaign_launched(b: Batch, e: CreationCampaign.CampaignLaunched) -> None:
    """The targets of the plan the campaign carries (its pinned content, not today's file)."""
    if e.plan is None or e.plan_sha256 is None:
        return
    plan = pinned_plan(e.plan, e.plan_sha256)
    b.flush()  # the units recorded before the launch are looked for in the database
    _schedule_targets(b, str(e.originator_id), plan, e.launch_date, since=e.launch_date)


def plan_changed(b: Batch, e: CreationCampaign.PlanChanged) -> None:
    """The new plan's deadlines from the day of the change on (what fell due before stays as
    it fired); pending steps of deadlines the new plan no longer has are superseded."""
    campaign_id = str(e.originator_id)
    campaign = b.row(b.t.campaigns, campaign_id)
    if campaign is None:
        return
    plan = pinned_plan(e.plan, e.plan_sha256)
    b.flush()
    kept = _schedule_targets(
        b, campaign_id, plan, date.fromisoformat(str(campaign["launch_date"])), since=e.occurred_on
    )
    b.flush()  # the plan id below is set on the new deadlines too
    t, c = b.t, b.cursor
    ours = and_(t.deadlines.c.campaign_id == campaign_id, t.deadlines.c.kind == "target")
    existing = c.execute(select(t.deadlines.c.id).where(ours)).fetchall()
    gone = [deadline_id for (deadline_id,) in existing if deadline_id not in kept]
    if gone:
        c.execute(
            update(t.deadline_steps)
            .where(t.deadline_steps.c.deadline_id.in_(gone), t.deadline_steps.c.done.is_(False))
            .values(done=True)
        )
    c.execute(update(t.deadlines).where(ours).values(plan_id=e.plan_id))
    b.forget(t.deadlines, t.deadline_steps)


def _schedule_targets(
    b: Batch, campaign_id: str, plan: Plan, launch: date, since: date
) -> set[str]:
    """Every target deadline of the plan, with the steps that fall on or after ``since``;
    answers the deadlines' ids."""
    horizon = max((t.due.years or 0 for t in plan.targets), default=0)
    steps = (*plan.reminder_days, VERDICT_LEAD)
    scheduled: set[str] = set()
    for target in plan.targets:
        _units_already_there(b, campaign_id, plan, launch, target)
        if target.due.kind == "continuous":
            continue  # always due; it shows on the progress view, nothing to remind of
        years = (
            range(launch.year, launch.year + horizon + 1)
            if target.due.kind == "yearly"
            else [launch.year]
        )
        for year in years:
            due = target.due.due_on(launch, as_of=date(year, 12, 31))
            deadline_id = f"{campaign_id}:{target.id}:{due}"
            scheduled.add(deadline_id)
            _add(
                b,
                deadline_id,
                "target",
                due_on=due,
                steps=tuple(s for s in steps if due - timedelta(days=s) >= since),
                campaign_id=campaign_id,
                plan_id=plan.id,
                target_id=target.id,
            )
    return scheduled


def unit_deadline_id(campaign_id: str, target_id: str, unit_id: str, due_on: date) -> str:
    return f"{campaign_id}:{target_id}:unit:{unit_id}:{due_on}"


def unit_appeared(b: Batch, e: Any) -> None:
    """A unit that appears late gets its own deadline for each target that judges its kind of
    unit (once: the deadline's id is the campaign, target, unit and due date)."""
    if isinstance(e, PartyOrganization.TeamMemberJoined):
        scope, unit_id = "team_member", str(e.team_member_id)
    elif isinstance(e, Member.MemberRegistered):
        scope, unit_id = "member", str(e.originator_id)
    else:
        scope, unit_id = "community", str(e.originator_id)
    appeared: date = e.occurred_on
    for campaign in b.rows(b.t.campaigns):
        content, sha256 = campaign["plan_content"], campaign["plan_sha256"]
        if content is None or sha256 is None:
            continue
        plan = _pinned(str(content), str(sha256))
        launch = date.fromisoformat(str(campaign["launch_date"]))
        for target in plan.targets:
            if target.scope == scope:
                _unit_deadline(b, str(campaign["id"]), plan, launch, target, unit_id, appeared)


def _units_of_scope(t: ReadModel, scope: str, since: str) -> Any:
    """The units of a kind with the day each appeared after ``since`` (None: not a unit kind)."""
    if scope == "community":
        unit, day = t.communities.c.id, t.communities.c.began_on
    elif scope == "member":
        unit, day = t.members.c.id, t.members.c.registered_on
    elif scope == "team_member":
        unit, day = t.team_members.c.team_member_id, t.team_members.c.joined_on
    else:
        return None
    return select(unit, day).where(day > since)


def _unit_deadline(
    b: Batch, campaign_id: str, plan: Plan, launch: date, target: Target, unit_id: str,
    appeared: date,
) -> None:  # fmt: skip
    if target.due.kind == "yearly":
        return  # a yearly target judges a latecomer from the next year instead
    due = target.due.due_on(launch, appeared)
    own = target.unit_due_on(due, appeared)
    if own == due:
        return
    steps = tuple(s for s in (*plan.reminder_days, VERDICT_LEAD) if own - timedelta(days=s) >= appeared)
    _add(b, unit_deadline_id(campaign_id, target.id, unit_id, own), "target_unit", due_on=own,
         steps=steps, campaign_id=campaign_id, plan_id=plan.id, target_id=target.id,
         subject_id=unit_id)  # fmt: skip


def _units_already_there(
    b: Batch, campaign_id: str, plan: Plan, launch: date, target: Target
) -> None:
    """Units recorded before the campaign whose own due date is later than the target's (a
    cadre appointed shortly before the launch has a year of its own). The caller flushed."""
    if target.due.kind == "yearly":
        return
    due = target.due.due_on(launch, launch)
    since = due - timedelta(days=target.window.days or 0)
    statement = _units_of_scope(b.t, target.scope, since.isoformat())
    if statement is None:
        return
    for unit_id, on in b.cursor.execute(statement).fetchall():
        _unit_deadline(
            b, campaign_id, plan, launch, target, str(unit_id), date.fromisoformat(str(on))
        )


def _item_deadline(b: Batch, item_id: str, due_on: date, campaign_id: str | None) -> None:
    _add(b, f"item:{item_id}:{due_on}", "supervision", due_on=due_on, steps=SUPERVISION_STEPS,
         subject_id=item_id, campaign_id=campaign_id)  # fmt: skip


def item_assigned(b: Batch, e: SupervisionItem.SupervisionItemAssigned) -> None:
    _item_deadline(b, str(e.originator_id), e.due_on, _s(e.campaign_id))


def extension_approved(b: Batch, e: SupervisionItem.ExtensionApproved) -> None:
    """The old deadline's remaining steps are superseded; the new one takes over."""
    item_id = str(e.originator_id)
    b.flush()
    t = b.t
    b.cursor.execute(
        update(t.deadline_steps)
        .where(
            t.deadline_steps.c.deadline_id.in_(
                select(t.deadlines.c.id).where(
                    t.deadlines.c.subject_id == item_id, t.deadlines.c.kind == "supervision"
                )
            )
        )
        .values(done=True)
    )
    b.forget(t.deadline_steps)
    item = b.row(t.supervision_items, item_id)
    _item_deadline(b, item_id, e.new_due_on, item["campaign_id"] if item else None)


def inspection_scheduled(b: Batch, e: CreationCampaign.InspectionScheduled) -> None:
    _add(
        b,
        f"inspection:{e.inspection_id}",
        "inspection",
        due_on=e.scheduled_for,
        steps=INSPECTION_STEPS,
        campaign_id=str(e.originator_id),
        subject_id=str(e.inspection_id),
    )


def fired(b: Batch, e: Firing.Fired) -> None:
    """A step that fired is done, as the log says (so a rebuild knows it too), and its
    firing becomes a notification for its addressees."""
    lead = e.lead_days
    if lead == LEGACY_VERDICT_LEAD and e.kind in VERDICT_KINDS:
        lead = VERDICT_LEAD
    b.update(b.t.deadline_steps, (e.deadline_id, lead), done=True)
    b.insert(b.t.notifications, {
        "id": str(e.originator_id), "kind": e.kind, "message_zh": e.message_zh,
        "target_id": e.target_id, "unit_id": e.unit_id, "unit_name": e.unit_name,
        "community_id": _s(e.community_id) or community_of(b, e.unit_id),
        "addressees": ",".join(e.addressees), "due_on": e.due_on.isoformat(), "late": e.late,
        "recorded_at": e.timestamp.isoformat(),
    })  # fmt: skip


def acknowledged(b: Batch, e: Firing.Acknowledged) -> None:
    """The addressee's own acknowledgement; the notification as a whole once every addressee
    it names has acknowledged (who did is kept in order, whether addressed or not)."""
    notification, at, acks = str(e.originator_id), e.timestamp.isoformat(), b.t.notification_acks
    b.insert(acks, {"notification_id": notification, "addressee": e.addressee,
                    "acknowledged_by": e.actor, "acknowledged_at": at})  # fmt: skip
    notice = b.row(b.t.notifications, notification)
    if notice is None:
        return
    b.flush()  # who has acknowledged is asked of the database, this acknowledgement included
    done = {
        r[0] for r in b.cursor.execute(
            select(acks.c.addressee).where(acks.c.notification_id == notification)
        ).fetchall()
    }  # fmt: skip
    everyone = set(str(notice["addressees"]).split(",")) <= done
    b.update(b.t.notifications, notification,
             acknowledged_by=",".join(filter(None, [notice["acknowledged_by"], e.actor])),
             acknowledged_at=at if everyone else None)  # fmt: skip


class _CursorRows:
    """Rows by key straight from the database, for a caller outside a batch."""

    def __init__(self, cursor: Cursor) -> None:
        self.cursor, self.t = cursor, cursor.t

    def row(self, table: Table, key: Hashable) -> Row | None:
        (column,) = table.primary_key.columns
        found = self.cursor.execute(select(table).where(column == key)).fetchone()
        return None if found is None else dict(zip(table.columns.keys(), found, strict=True))


def _unit_tables(t: ReadModel) -> list[tuple[Table, str]]:
    """Where a failing unit may be found, and the column naming its community."""
    return [(t.communities, "id"), (t.members, "community_id"),
            (t.team_members, "community_id"), (t.community_workers, "community_id")]  # fmt: skip


def community_of(rows: Batch | _CursorRows, unit_id: str | None) -> str | None:
    """The community a failing unit belongs to: itself, its member's or cadre's, a rostered
    worker's (a street committee belongs to none)."""
    if not unit_id:
        return None
    if ":" in unit_id:  # a community worker before the roster, "community:name"
        return unit_id.split(":", 1)[0]
    for table, column in _unit_tables(rows.t):
        row = rows.row(table, unit_id)
        if row:
            return str(row[column]) if row[column] else None
    return None


def _community_of(c: Cursor, unit_id: str | None) -> str | None:
    return community_of(_CursorRows(c), unit_id)


def want_deadline_rows(b: Batch, e: Any) -> None:
    """The rows the deadlines will look up for an event (read with the batch's others)."""
    if (
        isinstance(e, Firing.Fired)
        and e.community_id is None
        and e.unit_id
        and ":" not in e.unit_id
    ):
        for table, _ in _unit_tables(b.t):
            b.want(table, e.unit_id)
    elif isinstance(e, Firing.Acknowledged):
        b.want(b.t.notifications, str(e.originator_id))
    elif isinstance(e, _UNITS_APPEARING):  # ``unit_appeared`` reads every campaign
        b.want_all(b.t.campaigns)


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


_UNITS_APPEARING = (
    Community.CommunityRegistered, Member.MemberRegistered, PartyOrganization.TeamMemberJoined
)

DEADLINE_HANDLERS: dict[type, BatchHandler] = {
    CreationCampaign.CampaignLaunched: campaign_launched,
    CreationCampaign.PlanChanged: plan_changed,
    Community.CommunityRegistered: unit_appeared,
    Member.MemberRegistered: unit_appeared,
    PartyOrganization.TeamMemberJoined: unit_appeared,
    SupervisionItem.SupervisionItemAssigned: item_assigned,
    SupervisionItem.ExtensionApproved: extension_approved,
    CreationCampaign.InspectionScheduled: inspection_scheduled,
    Firing.Fired: fired,
    Firing.Acknowledged: acknowledged,
}
