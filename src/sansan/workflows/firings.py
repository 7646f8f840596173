"""What a deadline step fires: reminders to units not yet compliant, the verdict at the due
date with an alert per failing unit, supervision items' yellow and red lights."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sansan.application import SansanApplication
from sansan.domain import CreationCampaign, Firing, FiringKind, NotFoundError, SupervisionItem
from sansan.domain.base import Provenance
from sansan.domain.vocabulary import SupervisionStatus
from sansan.internal_ids import InternalKey, firing_key
from sansan.plans import get_plan
from sansan.projections.compliance import evaluate
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
    prov = Provenance(actor=SCHEDULER_ACTOR, occurred_on=min(step.fire_on, today), today=today)
    match step.kind:
        case "target":
            return _target(step, app, store, prov, today)
        case "supervision":
            return _supervision(step, app, prov)
        case "inspection":
            return _inspection(step, app, prov)
    return []


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


def _target(
    step: Step, app: SansanApplication, store: ReadStore, prov: Provenance, today: date
) -> list[FiringOrder]:
    plan = get_plan(step.plan_id or "")
    if plan is None or step.campaign_id is None or step.target_id is None:
        return []
    campaign = app.get(UUID(step.campaign_id), CreationCampaign)
    target = plan.target(step.target_id)
    one = plan.model_copy(update={"targets": [target]})
    # A reminder looks at today (a unit that complied meanwhile is not reminded); the
    # verdict looks at the due date itself, by when things happened.
    as_of = today if step.lead_days > 0 else step.due_on
    [result] = evaluate(store, one, launch=campaign.launch_date, as_of=as_of)
    county_wide = target.scope == "county"
    # a street committee's own target: no community secretary to tell, the street itself
    local, escalated = (["street"], ["street", "county"]) if target.scope == "street" else (LOCAL, ESCALATED)
    if step.lead_days > 0:
        if result.status == "green":
            return []
        if county_wide:
            return [_fire(step, prov, FiringKind.REMINDER, unit_name=campaign.county, addressees=["county"],
                          message_zh=f"距“{target.title_zh}”期限 {step.due_on} 还有 {step.lead_days} 天,当前 {result.measured_text}")]  # fmt: skip
        return [
            _fire(step, prov, FiringKind.REMINDER, unit_id=f.unit_id, unit_name=f.unit_name,
                  addressees=local, message_zh=f"距“{target.title_zh}”期限 {step.due_on} 还有 {step.lead_days} 天:{f.reason_zh}")
            for f in result.failing
        ]  # fmt: skip
    met = [
        _fire(step, prov, FiringKind.DEADLINE_MET, unit_id=unit_id, unit_name=name,
              addressees=local, message_zh=f"“{target.title_zh}”按期完成")
        for unit_id, name in result.passing
    ]  # fmt: skip
    if result.status == "green":
        verdict = _fire(step, prov, FiringKind.DEADLINE_MET, unit_name=campaign.county, addressees=["county"],
                        message_zh=f"“{target.title_zh}”按期达标:{result.measured_text}")  # fmt: skip
        return [verdict, *met]
    missed = _fire(step, prov, FiringKind.DEADLINE_MISSED, unit_name=campaign.county, addressees=["county"],
                   message_zh=f"“{target.title_zh}”逾期未达标:{result.measured_text}")  # fmt: skip
    alerts = [
        _fire(step, prov, FiringKind.ACCOUNTABILITY_ALERT, unit_id=f.unit_id, unit_name=f.unit_name,
              addressees=escalated, message_zh=f"工作迟缓、措施不力:“{target.title_zh}”到期未完成。{f.reason_zh}")
        for f in result.failing
    ]  # fmt: skip
    return [missed, *alerts, *met]


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
    light = "红灯:已逾期" if overdue else f"黄灯:{step.lead_days} 天后到期"
    return [
        _fire(step, prov, kind, unit_id=str(item.id), unit_name=item.title, community_id=item.community_id,
              addressees=ESCALATED if overdue else LOCAL, message_zh=f"督办事项“{item.title}”{light}(期限 {item.due_on})")
    ]  # fmt: skip


def _inspection(step: Step, app: SansanApplication, prov: Provenance) -> list[FiringOrder]:
    campaign = app.get(UUID(step.campaign_id or ""), CreationCampaign)
    inspection = campaign.inspections.get(step.subject_id or "")
    if inspection is None or inspection["conducted_on"] is not None:
        return []
    when = "今天" if step.lead_days == 0 else f"{step.lead_days} 天后"
    return [
        _fire(step, prov, FiringKind.REMINDER, unit_id=str(c), unit_name=inspection["subject"],
              community_id=c, message_zh=f"县委组织部将于{when}({step.due_on})督查检查:{inspection['subject']}")
        for c in inspection["community_ids"]
    ]  # fmt: skip
