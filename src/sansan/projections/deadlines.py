"""Deadlines, derived from the log: every target's due dates for each campaign (yearly ones
once a year), supervision items' deadlines (moved by approved extensions) and inspection
dates, each with the steps at which the scheduler must act (reminders, the due date)."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sansan.domain import CreationCampaign, Firing, SupervisionItem
from sansan.plans import get_plan
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
    plan = get_plan(e.plan_id)
    if plan is None:
        return
    launch = e.launch_date
    horizon = max((t.due.years or 0 for t in plan.targets), default=0)
    steps = (*plan.reminder_days, 0)
    for target in plan.targets:
        if target.due.kind == "continuous":
            continue  # always due; it shows on the progress view, nothing to remind of
        years = (
            range(launch.year, launch.year + horizon + 1)
            if target.due.kind == "yearly"
            else [launch.year]
        )
        for year in years:
            due = target.due.due_on(launch, as_of=date(year, 12, 31))
            _add(
                c,
                f"{e.originator_id}:{target.id}:{due}",
                "target",
                due_on=due,
                steps=tuple(s for s in steps if due - timedelta(days=s) >= launch),
                campaign_id=str(e.originator_id),
                plan_id=e.plan_id,
                target_id=target.id,
            )


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
    SupervisionItem.SupervisionItemAssigned: item_assigned,
    SupervisionItem.ExtensionApproved: extension_approved,
    CreationCampaign.InspectionScheduled: inspection_scheduled,
    Firing.Fired: fired,
    Firing.Acknowledged: acknowledged,
}
