"""Deadlines, derived from the log: every target's due dates for each campaign (yearly ones
once a year), a latecomer's own due date (a community, member or cadre that appears after a
target's due date, or a new cadre's window since appointment), supervision items' deadlines
(moved by approved extensions) and inspection dates, each with the steps at which the
scheduler must act (reminders, the due date)."""

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sansan.domain import (
    Community,
    CreationCampaign,
    Firing,
    Member,
    PartyOrganization,
    SupervisionItem,
)
from sansan.plans import Plan, Target, pinned_plan
from sansan.projections.store import Cursor

SUPERVISION_STEPS = (7, -1)  # a yellow light a week before, red the day after the deadline
INSPECTION_STEPS = (7, 0)


def _add(
    c: Cursor, deadline_id: str, kind: str, *, due_on: date, steps: tuple[int, ...], **row: Any
) -> None:
    c.execute(
        "INSERT INTO rm_deadlines (id, kind, campaign_id, plan_id, target_id, subject_id, due_on)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (
            deadline_id,
            kind,
            row.get("campaign_id"),
            row.get("plan_id"),
            row.get("target_id"),
            row.get("subject_id"),
            due_on.isoformat(),
        ),
    )
    for lead in steps:
        c.execute(
            "INSERT INTO rm_deadline_steps (deadline_id, lead_days, fire_on, done)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (deadline_id, lead_days) DO NOTHING",
            (deadline_id, lead, (due_on - timedelta(days=lead)).isoformat(), False),
        )


def campaign_launched(c: Cursor, e: CreationCampaign.CampaignLaunched) -> None:
    """The targets of the plan the campaign carries (its pinned content, not today's file)."""
    if e.plan is None or e.plan_sha256 is None:
        return
    plan = pinned_plan(e.plan, e.plan_sha256)
    _schedule_targets(c, str(e.originator_id), plan, e.launch_date, since=e.launch_date)


def plan_changed(c: Cursor, e: CreationCampaign.PlanChanged) -> None:
    """The new plan's deadlines from the day of the change on (what fell due before stays as
    it fired); pending steps of deadlines the new plan no longer has are superseded."""
    campaign_id = str(e.originator_id)
    row = c.execute("SELECT launch_date FROM rm_campaigns WHERE id = ?", (campaign_id,)).fetchone()
    if row is None:
        return
    plan = pinned_plan(e.plan, e.plan_sha256)
    kept = _schedule_targets(
        c, campaign_id, plan, date.fromisoformat(str(row[0])), since=e.occurred_on
    )
    existing = c.execute(
        "SELECT id FROM rm_deadlines WHERE campaign_id = ? AND kind = 'target'", (campaign_id,)
    ).fetchall()
    for (deadline_id,) in existing:
        if deadline_id not in kept:
            c.execute(
                "UPDATE rm_deadline_steps SET done = ? WHERE deadline_id = ? AND done = ?",
                (True, deadline_id, False),
            )
    c.execute(
        "UPDATE rm_deadlines SET plan_id = ? WHERE campaign_id = ? AND kind = 'target'",
        (e.plan_id, campaign_id),
    )


def _schedule_targets(
    c: Cursor, campaign_id: str, plan: Plan, launch: date, since: date
) -> set[str]:
    """Every target deadline of the plan, with the steps that fall on or after ``since``;
    answers the deadlines' ids."""
    horizon = max((t.due.years or 0 for t in plan.targets), default=0)
    steps = (*plan.reminder_days, 0)
    scheduled: set[str] = set()
    for target in plan.targets:
        _units_already_there(c, campaign_id, plan, launch, target)
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
                c,
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


def unit_appeared(c: Cursor, e: Any) -> None:
    """A unit that appears late gets its own deadline for each target that judges its kind of
    unit (once: the deadline's id is the campaign, target, unit and due date)."""
    if isinstance(e, PartyOrganization.TeamMemberJoined):
        scope, unit_id = "team_member", str(e.team_member_id)
    elif isinstance(e, Member.MemberRegistered):
        scope, unit_id = "member", str(e.originator_id)
    else:
        scope, unit_id = "community", str(e.originator_id)
    appeared: date = e.occurred_on
    campaigns = c.execute(
        "SELECT id, launch_date, plan_content, plan_sha256 FROM rm_campaigns"
    ).fetchall()
    for campaign_id, launch_on, content, sha256 in campaigns:
        if content is None or sha256 is None:
            continue
        plan = pinned_plan(json.loads(content), str(sha256))
        launch = date.fromisoformat(str(launch_on))
        for target in plan.targets:
            if target.scope == scope:
                _unit_deadline(c, str(campaign_id), plan, launch, target, unit_id, appeared)


# The units of each kind with the day each appeared, for a campaign launched after them.
UNITS_OF_SCOPE = {
    "community": "SELECT id, began_on FROM rm_communities WHERE began_on > ?",
    "member": "SELECT id, registered_on FROM rm_members WHERE registered_on > ?",
    "team_member": "SELECT team_member_id, joined_on FROM rm_team_members WHERE joined_on > ?",
}


def _unit_deadline(
    c: Cursor, campaign_id: str, plan: Plan, launch: date, target: Target, unit_id: str,
    appeared: date,
) -> None:  # fmt: skip
    if target.due.kind == "yearly":
        return  # a yearly target judges a latecomer from the next year instead
    due = target.due.due_on(launch, appeared)
    own = target.unit_due_on(due, appeared)
    if own == due:
        return
    steps = tuple(s for s in (*plan.reminder_days, 0) if own - timedelta(days=s) >= appeared)
    _add(c, unit_deadline_id(campaign_id, target.id, unit_id, own), "target_unit", due_on=own,
         steps=steps, campaign_id=campaign_id, plan_id=plan.id, target_id=target.id,
         subject_id=unit_id)  # fmt: skip


def _units_already_there(
    c: Cursor, campaign_id: str, plan: Plan, launch: date, target: Target
) -> None:
    """Units recorded before the campaign whose own due date is later than the target's (a
    cadre appointed shortly before the launch has a year of its own)."""
    statement = UNITS_OF_SCOPE.get(target.scope)
    if statement is None or target.due.kind == "yearly":
        return
    due = target.due.due_on(launch, launch)
    since = due - timedelta(days=target.window.days or 0)
    for unit_id, on in c.execute(statement, (since.isoformat(),)).fetchall():
        _unit_deadline(c, campaign_id, plan, launch, target, str(unit_id), date.fromisoformat(str(on)))


def _item_deadline(c: Cursor, item_id: str, due_on: date, campaign_id: str | None) -> None:
    _add(c, f"item:{item_id}:{due_on}", "supervision", due_on=due_on, steps=SUPERVISION_STEPS,
         subject_id=item_id, campaign_id=campaign_id)  # fmt: skip


def item_assigned(c: Cursor, e: SupervisionItem.SupervisionItemAssigned) -> None:
    _item_deadline(c, str(e.originator_id), e.due_on, _s(e.campaign_id))


def extension_approved(c: Cursor, e: SupervisionItem.ExtensionApproved) -> None:
    """The old deadline's remaining steps are superseded; the new one takes over."""
    item_id = str(e.originator_id)
    c.execute(
        "UPDATE rm_deadline_steps SET done = ? WHERE deadline_id IN (SELECT id FROM rm_deadlines"
        " WHERE subject_id = ? AND kind = 'supervision')",
        (True, item_id),
    )
    row = c.execute(
        "SELECT campaign_id FROM rm_supervision_items WHERE id = ?", (item_id,)
    ).fetchone()
    _item_deadline(c, item_id, e.new_due_on, row[0] if row else None)


def inspection_scheduled(c: Cursor, e: CreationCampaign.InspectionScheduled) -> None:
    _add(
        c,
        f"inspection:{e.inspection_id}",
        "inspection",
        due_on=e.scheduled_for,
        steps=INSPECTION_STEPS,
        campaign_id=str(e.originator_id),
        subject_id=str(e.inspection_id),
    )


def fired(c: Cursor, e: Firing.Fired) -> None:
    """A step that fired is done, as the log says (so a rebuild knows it too), and its
    firing becomes a notification for its addressees."""
    c.execute(
        "UPDATE rm_deadline_steps SET done = ? WHERE deadline_id = ? AND lead_days = ?",
        (True, e.deadline_id, e.lead_days),
    )
    c.execute(
        "INSERT INTO rm_notifications (id, kind, message_zh, target_id, unit_id, unit_name,"
        " community_id, addressees, due_on, late, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO NOTHING",
        (str(e.originator_id), e.kind, e.message_zh, e.target_id, e.unit_id, e.unit_name,
         _s(e.community_id) or _community_of(c, e.unit_id), ",".join(e.addressees), e.due_on.isoformat(),
         e.late, e.timestamp.isoformat()),
    )  # fmt: skip


def acknowledged(c: Cursor, e: Firing.Acknowledged) -> None:
    """The addressee's own acknowledgement; the notification as a whole once every addressee
    it names has acknowledged (who did is kept in order, whether addressed or not)."""
    notification, at = str(e.originator_id), e.timestamp.isoformat()
    c.execute(
        "INSERT INTO rm_notification_acks (notification_id, addressee, acknowledged_by,"
        " acknowledged_at) VALUES (?, ?, ?, ?) ON CONFLICT (notification_id, addressee) DO NOTHING",
        (notification, e.addressee, e.actor, at),
    )
    row = c.execute(
        "SELECT acknowledged_by, addressees FROM rm_notifications WHERE id = ?", (notification,)
    ).fetchone()
    if row is None:
        return
    done = {
        r[0] for r in c.execute(
            "SELECT addressee FROM rm_notification_acks WHERE notification_id = ?", (notification,)
        ).fetchall()
    }  # fmt: skip
    everyone = set(str(row[1]).split(",")) <= done
    c.execute(
        "UPDATE rm_notifications SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ?",
        (",".join(filter(None, [row[0], e.actor])), at if everyone else None, notification),
    )


def _community_of(c: Cursor, unit_id: str | None) -> str | None:
    """The community a failing unit belongs to: itself, its member's or cadre's, a rostered
    worker's (a street committee belongs to none)."""
    if not unit_id:
        return None
    if ":" in unit_id:  # a community worker before the roster, "community:name"
        return unit_id.split(":", 1)[0]
    for statement in (
        "SELECT id FROM rm_communities WHERE id = ?",
        "SELECT community_id FROM rm_members WHERE id = ?",
        "SELECT community_id FROM rm_team_members WHERE team_member_id = ?",
        "SELECT community_id FROM rm_community_workers WHERE worker_id = ?",
    ):
        row = c.execute(statement, (unit_id,)).fetchone()
        if row:
            return str(row[0]) if row[0] else None
    return None


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


DEADLINE_HANDLERS: dict[type, Callable[[Cursor, Any], None]] = {
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
