"""What a deadline step fires: reminders to units not yet compliant, the verdict the day
after the due date with an alert per failing unit, supervision items' yellow and red lights."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from uuid import UUID

from sqlalchemy import select

from sansan.application import SansanApplication
from sansan.domain import CreationCampaign, Firing, FiringKind, NotFoundError, SupervisionItem
from sansan.domain.base import Provenance
from sansan.domain.vocabulary import SupervisionStatus, quoted
from sansan.internal_ids import InternalKey, firing_key
from sansan.plans import Plan, Target, pinned_plan
from sansan.projections.compliance import Failing, TargetResult, evaluate
from sansan.projections.deadlines import _community_of
from sansan.projections.store import ReadStore

SCHEDULER_ACTOR = "system:scheduler"
# §五1: the community's Party secretary answers first; alerts go up to the street and county.
LOCAL = ["community_secretary"]
ESCALATED = ["community_secretary", "street", "county"]


@dataclass(frozen=True)
class Step:
    deadline_id: str
    kind: str
    campaign_id: str | None
    plan_id: str | None
    target_id: str | None
    subject_id: str | None
    due_on: date
    lead_days: int
    fire_on: date


@dataclass(frozen=True)
class FiringOrder:
    """A firing to record once: what it is about, and the firing itself once it has an id."""

    key: InternalKey
    make: Callable[[UUID], Firing]


def firings_for(
    step: Step, app: SansanApplication, store: ReadStore, today: date
) -> list[FiringOrder]:
    if _moot(step, store, today):
        return []
    prov = Provenance(actor=SCHEDULER_ACTOR, occurred_on=min(step.fire_on, today), today=today)
    match step.kind:
        case "target":
            return _target(step, app, store, prov, today)
        case "target_unit":
            return _target_unit(step, app, store, prov, today)
        case "supervision":
            return _supervision(step, app, prov)
        case "inspection":
            return _inspection(step, app, prov)
    return []


def _moot(step: Step, store: ReadStore, today: date) -> bool:
    """A warning that fires late (the service was down, or the item was entered late) and
    would tell nothing true: its due date has passed, so the verdict or red light speaks
    instead; or a nearer warning of the same deadline is due too, and that one speaks. The
    step is marked done all the same, so nothing fires twice."""
    if step.lead_days < 0 or step.fire_on >= today:
        return False
    left = (step.due_on - today).days
    if left < 0 or step.lead_days == 0:
        return left < 0
    with store.transaction() as cursor:
        s = cursor.t.deadline_steps.c
        nearer = select(s.lead_days).where(
            s.deadline_id == step.deadline_id, s.lead_days < step.lead_days, s.lead_days >= left,
            s.lead_days > 0,
        )  # fmt: skip
        return bool(cursor.execute(nearer.limit(1)).fetchall())


def _left(step: Step, prov: Provenance) -> int:
    """Days from the day it fires to the due date: the step's lead, unless it fires late."""
    return min(step.lead_days, (step.due_on - prov.today).days)


def _until(title_zh: str, step: Step, prov: Provenance, own: str = "") -> str:
    """How far the deadline is, as the day it fires sees it."""
    left = _left(step, prov)
    if left == 0:
        return f"{quoted(title_zh)}{own}期限 {step.due_on} 就在今天"
    return f"距{quoted(title_zh)}{own}期限 {step.due_on} 还有 {left} 天"


def _fire(step: Step, prov: Provenance, kind: FiringKind, **fields: object) -> FiringOrder:
    defaults: dict[str, object] = {
        "campaign_id": UUID(step.campaign_id) if step.campaign_id else None,
        "target_id": step.target_id, "unit_id": None, "unit_name": "", "community_id": None,
        "addressees": LOCAL,
    }  # fmt: skip
    values = defaults | fields
    unit_id = values["unit_id"]
    key = firing_key(
        step.deadline_id, kind.value, None if unit_id is None else str(unit_id), step.due_on,
        step.lead_days,
    )  # fmt: skip

    def make(firing_id: UUID) -> Firing:
        return Firing.fire(
            prov, id=firing_id, deadline_id=step.deadline_id, kind=kind, due_on=step.due_on,
            lead_days=step.lead_days, **values,  # type: ignore[arg-type]
        )  # fmt: skip

    return FiringOrder(key, make)


def _campaign_target(
    step: Step, app: SansanApplication
) -> tuple[CreationCampaign, Plan, Target] | None:
    """The step's campaign, the plan it carries now (pinned at launch or by its last change)
    and the step's target in it; None when a plan change dropped the target."""
    if step.campaign_id is None or step.target_id is None:
        return None
    campaign = app.get(UUID(step.campaign_id), CreationCampaign)
    if campaign.plan is None or campaign.plan_sha256 is None:
        return None
    plan = pinned_plan(campaign.plan, campaign.plan_sha256)
    target = next((t for t in plan.targets if t.id == step.target_id), None)
    return None if target is None else (campaign, plan, target)


def _target(
    step: Step, app: SansanApplication, store: ReadStore, prov: Provenance, today: date
) -> list[FiringOrder]:
    found = _campaign_target(step, app)
    if found is None:
        return []
    campaign, plan, target = found
    one = plan.model_copy(update={"targets": [target]})
    # A reminder looks at today (a unit that complied meanwhile is not reminded); the
    # verdict, which fires the day after, looks at the due date itself, by when things
    # happened, counting everything on record by the time it fires. A yearly target's
    # verdict is its year's, judged on what was on record by its 31 December.
    yearly = target.due.kind == "yearly"
    as_of = today if step.lead_days > 0 else step.due_on
    if yearly and step.lead_days <= 0:
        as_of = step.due_on + timedelta(days=1)
    [whole] = evaluate(store, one, launch=campaign.launch_date, as_of=as_of)
    result = _standing(whole, step.due_on) if yearly else whole
    if result is None or result.status in ("no_data", "not_applicable"):
        return []  # nothing to judge (its year is not shown, or no unit to judge)
    # Latecomers with a due date of their own answer at that date, not at the target's.
    late = [f for f in result.failing if f.due_on is not None and f.due_on > step.due_on]
    if late:
        result = _without_latecomers(result, late)
        if result is None:
            return []  # every unit answers at a date of its own
    county_wide = target.scope == "county"
    # a street committee's own target: no community secretary to tell, the street itself
    local, escalated = (["street"], ["street", "county"]) if target.scope == "street" else (LOCAL, ESCALATED)
    if step.lead_days > 0:
        if result.status == "green":
            return []
        if county_wide:
            return [_fire(step, prov, FiringKind.REMINDER, unit_name=campaign.county, addressees=["county"],
                          message_zh=f"{_until(target.title_zh, step, prov)}，当前 {result.measured_text}")]  # fmt: skip
        return [
            _fire(step, prov, FiringKind.REMINDER, unit_id=f.unit_id, unit_name=f.unit_name,
                  addressees=local, message_zh=f"{_until(target.title_zh, step, prov)}。{_who(f)}")
            for f in result.failing
        ]  # fmt: skip
    met = [
        _fire(step, prov, FiringKind.DEADLINE_MET, unit_id=unit_id, unit_name=name,
              addressees=local, message_zh=f"{name}：{quoted(target.title_zh)}按期完成")
        for unit_id, name in result.passing
    ]  # fmt: skip
    if result.status == "green":
        verdict = _fire(step, prov, FiringKind.DEADLINE_MET, unit_name=campaign.county, addressees=["county"],
                        message_zh=f"{quoted(target.title_zh)}按期达标：{result.measured_text}")  # fmt: skip
        return [verdict, *met]
    missed = _fire(step, prov, FiringKind.DEADLINE_MISSED, unit_name=campaign.county, addressees=["county"],
                   message_zh=f"{quoted(target.title_zh)}逾期未达标：{result.measured_text}")  # fmt: skip
    alerts = [
        _fire(step, prov, FiringKind.ACCOUNTABILITY_ALERT, unit_id=f.unit_id, unit_name=f.unit_name,
              addressees=escalated, message_zh=f"工作迟缓、措施不力：{quoted(target.title_zh)}到期未完成。{_who(f)}")
        for f in result.failing
    ]  # fmt: skip
    return [missed, *alerts, *met]


def _who(f: Failing) -> str:
    """Who falls short and why: cards of one community's cadres must not read alike."""
    return f"{f.unit_name}：{f.reason_zh}"


def _without_latecomers(result: TargetResult, late: list[Failing]) -> TargetResult | None:
    """The result over the units due by the target's date: the figure counts only them (a
    latecomer still short is neither a pass nor a failure yet), and says who answers later.
    None when no unit is due by then."""
    failing = [f for f in result.failing if f not in late]
    passed = len(result.passing)
    if passed + len(failing) == 0:
        return None
    first = min(f.due_on for f in late if f.due_on is not None)
    text = (
        f"{passed}/{passed + len(failing)}{result.counted_zh}"
        f"（另有{len(late)}{result.failing_zh}自身期限未到，最早于{first.isoformat()}到期，届时另行判定）"
    )
    status = result.status if failing else "green"
    return replace(result, status=status, failing=failing, measured_text=text)


def _standing(result: TargetResult, due_on: date) -> TargetResult | None:
    """A yearly target's result for the year that falls due on ``due_on``."""
    period = next((p for p in result.periods if p.end == due_on), None)
    if period is None:
        return None
    return replace(
        result, status=period.status, measured_text=period.measured_text,
        failing=period.failing, passing=period.passing,
    )  # fmt: skip


def _target_unit(
    step: Step, app: SansanApplication, store: ReadStore, prov: Provenance, today: date
) -> list[FiringOrder]:
    """A latecomer's own deadline: reminders while it falls short, then its verdict."""
    found = _campaign_target(step, app)
    if found is None or step.subject_id is None:
        return []
    campaign, plan, target = found
    with store.transaction() as cursor:
        community = _community_of(cursor, step.subject_id)
    as_of = today if step.lead_days > 0 else step.due_on
    [result] = evaluate(
        store, plan.model_copy(update={"targets": [target]}), launch=campaign.launch_date,
        as_of=as_of, communities=None if community is None else [UUID(community)],
    )  # fmt: skip
    short = next((f for f in result.failing if f.unit_id == step.subject_id), None)
    if step.lead_days > 0:
        if short is None:
            return []
        return [_fire(step, prov, FiringKind.REMINDER, unit_id=short.unit_id, unit_name=short.unit_name,
                      message_zh=f"{_until(target.title_zh, step, prov, '自身')}。{_who(short)}")]  # fmt: skip
    if short is not None:
        return [_fire(step, prov, FiringKind.ACCOUNTABILITY_ALERT, unit_id=short.unit_id,
                      unit_name=short.unit_name, addressees=ESCALATED,
                      message_zh=f"工作迟缓、措施不力：{quoted(target.title_zh)}自身期限 {step.due_on} 到期未完成。{_who(short)}")]  # fmt: skip
    return [
        _fire(step, prov, FiringKind.DEADLINE_MET, unit_id=unit_id, unit_name=name,
              message_zh=f"{name}：{quoted(target.title_zh)}按自身期限完成")
        for unit_id, name in result.passing if unit_id == step.subject_id
    ]  # fmt: skip


def _supervision(step: Step, app: SansanApplication, prov: Provenance) -> list[FiringOrder]:
    try:
        item = app.get(UUID(step.subject_id or ""), SupervisionItem)
    except (NotFoundError, ValueError):
        return []
    if (
        item.status in (SupervisionStatus.ACCEPTED, SupervisionStatus.CLOSED)
        or item.due_on != step.due_on
    ):
        return []  # done, or its deadline moved (the new one has steps of its own)
    overdue = step.lead_days < 0
    kind = FiringKind.SUPERVISION_OVERDUE if overdue else FiringKind.SUPERVISION_WARNING
    left = _left(step, prov)
    soon = {0: "今天到期", 1: "明天到期"}.get(left, f"{left} 天后到期")
    light = "红灯：已逾期" if overdue else f"黄灯：{soon}"
    return [
        _fire(step, prov, kind, unit_id=str(item.id), unit_name=item.title, community_id=item.community_id,
              addressees=ESCALATED if overdue else LOCAL, message_zh=f"督办事项{quoted(item.title)}{light}（期限：{item.due_on}）")
    ]  # fmt: skip


def _inspection(step: Step, app: SansanApplication, prov: Provenance) -> list[FiringOrder]:
    campaign = app.get(UUID(step.campaign_id or ""), CreationCampaign)
    inspection = campaign.inspections.get(step.subject_id or "")
    if inspection is None or inspection["conducted_on"] is not None:
        return []
    left = _left(step, prov)
    when = "今天" if left == 0 else f"{left} 天后"
    return [
        _fire(step, prov, FiringKind.REMINDER, unit_id=str(c), unit_name=inspection["subject"],
              community_id=c, message_zh=f"县委组织部将于{when}（{step.due_on}）督查检查：{inspection['subject']}")
        for c in inspection["community_ids"]
    ]  # fmt: skip
