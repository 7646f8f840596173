"""A firing of the campaign's clock: a reminder, a deadline met or missed, an alert.

Its id is derived (by the service, keyed with its secret) from what fires: kind,
deadline, unit, due date and step, so the store itself refuses a second firing of the
same thing: with two schedulers, or after a crash between recording a firing and
marking its work done.
"""

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain import errors
from sansan.domain.base import Provenance, SansanAggregate, begin_state
from sansan.domain.vocabulary import _LABELS, Labelled

T = "sansan:Firing"


class FiringKind(Labelled):
    REMINDER = "reminder"
    DEADLINE_MET = "deadline_met"
    DEADLINE_MISSED = "deadline_missed"
    ACCOUNTABILITY_ALERT = "accountability_alert"
    SUPERVISION_WARNING = "supervision_warning"
    SUPERVISION_OVERDUE = "supervision_overdue"


_LABELS[FiringKind] = {
    "reminder": "到期提醒",
    "deadline_met": "按期达标",
    "deadline_missed": "逾期未达标",
    "accountability_alert": "问责预警",
    "supervision_warning": "督办黄灯",
    "supervision_overdue": "督办红灯",
}


class Firing(SansanAggregate):
    TOPIC = T
    LABEL_ZH = "提醒与预警"

    if TYPE_CHECKING:  # state set by the events' apply()
        kind: str
        due_on: date
        late: bool
        acknowledged_by: list[str]

    class Event(SansanAggregate.Event):
        pass

    class Fired(Event, Aggregate.Created):
        TOPIC = f"{T}.Fired"
        kind: str
        deadline_id: str
        campaign_id: UUID | None
        target_id: str | None
        unit_id: str | None
        unit_name: str
        community_id: UUID | None
        due_on: date
        lead_days: int
        late: bool
        addressees: list[str]
        message_zh: str

        def apply(self, f: Any) -> None:
            begin_state(f, self)
            f.kind, f.due_on, f.late = self.kind, self.due_on, self.late
            f.acknowledged_by = []

    Created = Fired

    class Acknowledged(Event):
        TOPIC = f"{T}.Acknowledged"

        def apply(self, f: Any) -> None:
            f.acknowledged_by.append(self.actor)

    def acknowledge(self, prov: Provenance) -> None:
        """Each addressee acknowledges once; the acknowledgement names who."""
        if prov.actor in self.acknowledged_by:
            raise errors.ALREADY_RECORDED(what="acknowledgement", what_zh="签收")
        self._record(self.Acknowledged, prov)

    @classmethod
    def fire(
        cls, prov: Provenance, *, id: UUID, deadline_id: str, kind: FiringKind,
        campaign_id: UUID | None, target_id: str | None, unit_id: str | None, unit_name: str,
        community_id: UUID | None,
        due_on: date, lead_days: int, addressees: list[str], message_zh: str,
    ) -> "Firing":  # fmt: skip
        """``prov.occurred_on`` is the day it was due to fire; later than that is marked late."""
        return cls._begin(
            cls.Fired, prov,
            id=id,
            kind=kind.value, deadline_id=deadline_id, campaign_id=campaign_id, target_id=target_id,
            unit_id=unit_id, unit_name=unit_name, community_id=community_id, due_on=due_on,
            lead_days=lead_days, late=prov.today > prov.occurred_on, addressees=addressees,
            message_zh=message_zh,
        )  # fmt: skip
