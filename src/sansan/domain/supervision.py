"""A supervision item (督办事项) and the only paths it may take.

assigned → acknowledged → in progress → reported → reviewed (accepted → closed, or
returned → in progress / reported again); an extension may be requested once handling has
started (办理, DOMAIN.md §五: 交办 → 签收 → 办理 → 延期申请), and is approved (moving the
deadline) or refused. 催办 presses the assignee: it stops once the assignee has reported.
"""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain import errors
from sansan.domain.base import Provenance, SansanAggregate, begin_state, not_before, text
from sansan.domain.organization import PartyOrganization
from sansan.domain.vocabulary import ROLE_RANK, zh_date
from sansan.domain.vocabulary import SupervisionStatus as S

T = "sansan:SupervisionItem"

# Handling has started: the assignee works on the item (again, once returned).
HANDLING = frozenset({S.IN_PROGRESS, S.RETURNED})
# The assignee's turn: an urging counts against it, so none once it has reported and the item
# waits for the reviewer (a 催办 then was counted in 催办次数 against the wrong side).
ASSIGNEES_TURN = HANDLING | {S.ASSIGNED, S.ACKNOWLEDGED}

# action → (statuses it may start from, status it leads to, Chinese verb, English participle)
TRANSITIONS: dict[str, tuple[frozenset[S], S | None, str, str]] = {
    "acknowledge": (frozenset({S.ASSIGNED}), S.ACKNOWLEDGED, "签收", "acknowledged"),
    "start": (frozenset({S.ACKNOWLEDGED, S.RETURNED}), S.IN_PROGRESS, "开始办理", "started"),
    "request_extension": (HANDLING, None, "申请延期", "extended"),
    "report": (frozenset({S.IN_PROGRESS, S.RETURNED}), S.REPORTED, "反馈办理结果", "reported"),
    "accept": (frozenset({S.REPORTED}), S.ACCEPTED, "审核通过", "accepted"),
    "return": (frozenset({S.REPORTED}), S.RETURNED, "退回", "returned"),
    "close": (frozenset({S.ACCEPTED}), S.CLOSED, "办结", "closed"),
    "urge": (ASSIGNEES_TURN, None, "催办", "urged"),
}

# What the refusal adds where the status alone does not say why (review 2, findings 14, 32).
HINTS: dict[tuple[str, S], tuple[str, str]] = {
    ("request_extension", S.ASSIGNED): ("：请先签收并开始办理，办理中方可申请延期",
                                        "; acknowledge and start handling first"),
    ("request_extension", S.ACKNOWLEDGED): ("：请先开始办理，办理中方可申请延期",
                                            "; start handling first"),
    ("urge", S.REPORTED): ("：承办单位已反馈办理结果，正待审核，催办只针对承办单位",
                           "; the assignee has reported and the item awaits review"),
}  # fmt: skip

# A supervision item is short work within a three-year campaign: a deadline further off is a
# typing slip (9999-12-31 once stalled every read model), so it is refused at the command.
# Three calendar years, as the refusal says (not 3 × 366 days, which ran two days past).
LONGEST_DEADLINE_YEARS = 3
# The review steps belong to the level that assigned the item (or above): a street may not
# accept, close or extend what the county assigned it to watch over.
REVIEWS = frozenset(
    {"approve_extension", "refuse_extension", "accept", "return_for_rework", "close"}
)
RANK = ROLE_RANK
# The reviewing side as the case file names it (who reviews an item a role assigned).
REVIEWER_ZH = {"county": "县委组织部（县级）", "street": "交办的街道党工委"}
# A yellow light this many days before the deadline (the scheduler's first step, too).
WARNING_DAYS = 7
FINISHED = frozenset({S.ACCEPTED.value, S.CLOSED.value})


class SupervisionItem(SansanAggregate):
    """Version 2 remembers the role that assigned it (``assigned_by_role``): a snapshot taken
    before did not, and is read as the county's, the strictest reading."""

    TOPIC = T
    LABEL_ZH = "督办事项"
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["assigned_by_role"] = "county"

    if TYPE_CHECKING:  # state set by the events' apply()
        title: str
        description: str
        campaign_id: UUID | None
        assignee_org_id: UUID
        community_id: UUID | None
        due_on: date
        status: str
        pending_extension: dict[str, Any] | None
        extensions_granted: int
        urge_count: int
        last_step_on: date
        assigned_by_role: str

    class Event(SansanAggregate.Event):
        def mutate(self, aggregate: Any) -> Any:
            """Every step remembers its day: the next may not be dated before it."""
            item = super().mutate(aggregate)
            assert item is not None
            item.last_step_on = self.occurred_on
            return item

    class SupervisionItemAssigned(Event, Aggregate.Created):
        TOPIC = f"{T}.SupervisionItemAssigned"
        title: str
        description: str
        campaign_id: UUID | None
        assignee_org_id: UUID
        community_id: UUID | None
        due_on: date

        def apply(self, s: "SupervisionItem") -> None:
            begin_state(s, self)
            s.title, s.description, s.due_on = self.title, self.description, self.due_on
            s.campaign_id, s.assignee_org_id = self.campaign_id, self.assignee_org_id
            s.community_id = self.community_id
            s.assigned_by_role = self.actor.partition(":")[0]
            s.status = S.ASSIGNED.value
            s.pending_extension = None
            s.extensions_granted = s.urge_count = 0

    Created = SupervisionItemAssigned

    class StatusChanged(Event):
        """Base of the plain moves along the graph; each names the status it leads to."""

        TOPIC = f"{T}.StatusChanged"
        status: str

        def apply(self, s: "SupervisionItem") -> None:
            s.status = self.status

    class SupervisionItemAcknowledged(StatusChanged):
        TOPIC = f"{T}.SupervisionItemAcknowledged"

    class HandlingStarted(StatusChanged):
        TOPIC = f"{T}.HandlingStarted"

    class HandlingReported(StatusChanged):
        TOPIC = f"{T}.HandlingReported"
        summary: str

    class ReportAccepted(StatusChanged):
        TOPIC = f"{T}.ReportAccepted"
        comment: str | None

    class ReportReturned(StatusChanged):
        TOPIC = f"{T}.ReportReturned"
        reason: str

    class SupervisionItemClosed(StatusChanged):
        TOPIC = f"{T}.SupervisionItemClosed"

    class ExtensionRequested(Event):
        TOPIC = f"{T}.ExtensionRequested"
        requested_due_on: date
        reason: str

        def apply(self, s: "SupervisionItem") -> None:
            s.pending_extension = {"requested_due_on": self.requested_due_on, "reason": self.reason}

    class ExtensionApproved(Event):
        TOPIC = f"{T}.ExtensionApproved"
        new_due_on: date

        def apply(self, s: "SupervisionItem") -> None:
            s.due_on = self.new_due_on
            s.pending_extension = None
            s.extensions_granted += 1

    class ExtensionRefused(Event):
        TOPIC = f"{T}.ExtensionRefused"
        reason: str

        def apply(self, s: "SupervisionItem") -> None:
            s.pending_extension = None

    class SupervisionItemUrged(Event):
        TOPIC = f"{T}.SupervisionItemUrged"
        message: str

        def apply(self, s: "SupervisionItem") -> None:
            s.urge_count += 1

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def assign(
        cls,
        prov: Provenance,
        *,
        title: str,
        description: str,
        campaign_id: UUID | None,
        assignee: PartyOrganization,
        due_on: date,
        id: UUID | None = None,
    ) -> "SupervisionItem":
        if due_on < prov.occurred_on:
            raise errors.DATE_BEFORE(field="due_on", value=due_on, bound=prov.occurred_on)
        _within_reach("due_on", due_on, prov.occurred_on)
        not_before(prov, assignee)
        _not_passed("due_on", due_on, prov)
        return cls._begin(
            cls.SupervisionItemAssigned,
            prov,
            id=id,
            title=text("title", title),
            description=description.strip(),
            campaign_id=campaign_id,
            assignee_org_id=assignee.id,
            community_id=assignee.community_id,
            due_on=due_on,
        )

    def acknowledge(self, prov: Provenance) -> None:
        self._move("acknowledge", self.SupervisionItemAcknowledged, prov)

    def start(self, prov: Provenance) -> None:
        self._move("start", self.HandlingStarted, prov)

    def report(self, prov: Provenance, *, summary: str) -> None:
        self._move("report", self.HandlingReported, prov, summary=text("summary", summary))

    def accept(self, prov: Provenance, *, comment: str | None) -> None:
        self._move("accept", self.ReportAccepted, prov, comment=comment)

    def return_for_rework(self, prov: Provenance, *, reason: str) -> None:
        self._move("return", self.ReportReturned, prov, reason=text("reason", reason))

    def close(self, prov: Provenance) -> None:
        self._move("close", self.SupervisionItemClosed, prov)

    def request_extension(self, prov: Provenance, *, requested_due_on: date, reason: str) -> None:
        self._check("request_extension")
        if self.pending_extension is not None:
            raise errors.EXTENSION_PENDING()
        if requested_due_on <= self.due_on:
            raise errors.EXTENSION_NOT_LATER(requested=requested_due_on, due_on=self.due_on)
        _not_passed("requested_due_on", requested_due_on, prov)
        _within_reach("requested_due_on", requested_due_on, self.began_on)
        self._record(
            self.ExtensionRequested,
            prov,
            requested_due_on=requested_due_on,
            reason=text("reason", reason),
        )

    def approve_extension(self, prov: Provenance) -> None:
        pending = self._pending()
        requested = date.fromisoformat(str(pending["requested_due_on"]))
        if requested < prov.today and _fresh(prov):  # asked in time, approved after it passed
            raise errors.EXTENSION_PASSED(
                requested=requested, requested_zh=zh_date(requested), today=prov.today,
                today_zh=zh_date(prov.today),
            )  # fmt: skip
        self._record(self.ExtensionApproved, prov, new_due_on=requested)

    def refuse_extension(self, prov: Provenance, *, reason: str) -> None:
        self._pending()
        self._record(self.ExtensionRefused, prov, reason=text("reason", reason))

    def urge(self, prov: Provenance, *, message: str) -> None:
        self._check("urge")
        self._record(self.SupervisionItemUrged, prov, message=text("message", message))

    def reviewable_by(self, role: str) -> bool:
        """Whether a principal of ``role`` may take a review step (operations in ``REVIEWS``)."""
        return RANK.get(role, 0) >= RANK.get(self.assigned_by_role, RANK["county"])

    def _record(self, event_class: type[Aggregate.Event], prov: Provenance, **fields: Any) -> None:
        # A snapshot taken before steps remembered their day lacks it: the item's start
        # bounds the next step then.
        previous = vars(self).get("last_step_on", self.began_on)
        if prov.occurred_on < previous:
            raise errors.STEP_BEFORE_PREVIOUS(occurred_on=prov.occurred_on, previous=previous)
        super()._record(event_class, prov, **fields)

    def _pending(self) -> dict[str, Any]:
        if self.pending_extension is None:
            raise errors.NO_EXTENSION_PENDING()
        return self.pending_extension

    def _check(self, action: str) -> S | None:
        allowed_from, leads_to, verb_zh, verb_en = TRANSITIONS[action]
        status = S(self.status)
        if status not in allowed_from:
            hint_zh, hint_en = HINTS.get((action, status), ("", ""))
            raise errors.TRANSITION_NOT_ALLOWED(
                status=status.value,
                status_zh=status.label_zh,
                action=verb_en,
                action_zh=verb_zh,
                hint_zh=hint_zh,
                hint_en=hint_en,
            )
        return leads_to

    def _move(
        self, action: str, event_class: type[StatusChanged], prov: Provenance, **fields: Any
    ) -> None:
        leads_to = self._check(action)
        assert leads_to is not None
        self._record(event_class, prov, status=leads_to.value, **fields)


def latest_deadline(assigned_on: date) -> date:
    """The last day a deadline may fall on: the same day three calendar years on (the China
    day it was assigned); from 29 February, the last day of February (no such day then)."""
    year = assigned_on.year + LONGEST_DEADLINE_YEARS
    try:
        return assigned_on.replace(year=year)
    except ValueError:  # 29 February in a year that has none
        return date(year, 2, 28)


# A step dated further back than this is history typed in from paper, not a fresh act.
FRESH_DAYS = 7


def _fresh(prov: Provenance) -> bool:
    return (prov.today - prov.occurred_on).days <= FRESH_DAYS


def _not_passed(field: str, due_on: date, prov: Provenance) -> None:
    """A deadline set now (assigned, or asked for by an extension) is not before today's China
    date: an item assigned already overdue turned red and alerted the community, the street and
    the county at once (review 3 finding 9). A step dated more than FRESH_DAYS back is history
    entered late, judged on its own day (its deadline not before it, checked elsewhere): old
    records keep their dates, and an item they show overdue is overdue."""
    today = prov.today
    if due_on < today and _fresh(prov):
        raise errors.DEADLINE_PASSED(
            field=field, value=due_on, value_zh=zh_date(due_on), today=today,
            today_zh=zh_date(today),
        )  # fmt: skip


def _within_reach(field: str, due_on: date, assigned_on: date) -> None:
    latest = latest_deadline(assigned_on)
    if due_on > latest:
        raise errors.DEADLINE_TOO_FAR(
            field=field, value=due_on, assigned_on=assigned_on, latest=latest
        )


@dataclass(frozen=True)
class Standing:
    """An item's light and days overdue on a given China day: the list and the case file
    both show this, so they cannot disagree."""

    light: str  # red, yellow, green; none once accepted or closed
    light_zh: str
    days_overdue: int | None  # the day after the deadline is 1; None once finished
    days_left: int | None  # 0 on the deadline itself; None once overdue or finished
    finished_on: date | None  # the day it was accepted (or closed)
    on_time: bool | None  # finished on or before its deadline
    standing_zh: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "light": self.light, "light_zh": self.light_zh, "days_overdue": self.days_overdue,
            "days_left": self.days_left,
            "finished_on": self.finished_on.isoformat() if self.finished_on else None,
            "on_time": self.on_time, "standing_zh": self.standing_zh,
        }  # fmt: skip


def standing(
    status: str, due_on: date, status_on: date | None, today: date,
    warning_days: int = WARNING_DAYS,
) -> Standing:  # fmt: skip
    """``today`` is the county's (China) day; ``status_on`` the day of the last status change,
    which for an accepted or closed item is the day it was finished."""
    if status in FINISHED:
        finished = status_on or due_on
        late = (finished - due_on).days
        verb = "办结" if status == S.CLOSED.value else "审核通过，待办结"
        verdict = "按期" if late <= 0 else f"未按期，超过期限{late}天"
        said = f"已于{zh_date(finished)}{verb}（{verdict}；期限{zh_date(due_on)}）"
        return Standing("none", "已完成", None, None, finished, late <= 0, said)
    left = (due_on - today).days
    if left < 0:
        return Standing("red", "红灯", -left, None, None, None, f"红灯：已逾期{-left}天")
    when = "今天到期" if left == 0 else f"还有{left}天到期"
    if left <= warning_days:
        return Standing("yellow", "黄灯", 0, left, None, None, f"黄灯：{when}")
    return Standing("green", "正常", 0, left, None, None, f"正常：{when}")
