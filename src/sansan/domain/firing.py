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
from sansan.domain.base import Provenance, SansanAggregate, begin_state, choice
from sansan.domain.vocabulary import _LABELS, Labelled, Role

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


class Addressee(Labelled):
    """Who a firing is addressed to; each acknowledges (签收) for itself."""

    COUNTY = "county"
    STREET = "street"
    COMMUNITY_SECRETARY = "community_secretary"
    # Receipts recorded from review 2 (finding 6) to review 3 (finding 7), when a client's
    # receipt was its own; a client now signs the secretary's 签收 (ADDRESSEE_OF_ROLE).
    CLIENT = "client"


_LABELS[Addressee] = {
    "county": "县委组织部",
    "street": "街道党工委",
    "community_secretary": "社区党组织书记",
    "client": "对接系统",
}
# The addressee a role acknowledges as; an auditor reads everything and answers for nothing.
# A client (对接系统) signs for its community's secretary: one 签收 per addressee, whichever
# of the two tokens records it first; the receipt's actor says which one did (review 3
# finding 7: a secretary's 签收 and then its client's recorded two receipts for one addressee).
ADDRESSEE_OF_ROLE = {
    Role.COUNTY: Addressee.COUNTY,
    Role.STREET: Addressee.STREET,
    Role.COMMUNITY: Addressee.COMMUNITY_SECRETARY,
    Role.CLIENT: Addressee.COMMUNITY_SECRETARY,
}
# The addressee a firing names for a receipt recorded under another's name (a client's own,
# as recorded between reviews 2 and 3): that receipt is the secretary's 签收.
RECEIVES_FOR = {Addressee.CLIENT: Addressee.COMMUNITY_SECRETARY}
_SIGNS_AS = {k.value: v.value for k, v in RECEIVES_FOR.items()}
# How acknowledgements recorded before they named their addressee (version 1) are read:
# as they were when recorded, when a client's 签收 stood for the secretary's.
_V1_ADDRESSEE_OF_ROLE = {**ADDRESSEE_OF_ROLE, Role.CLIENT: Addressee.COMMUNITY_SECRETARY}


def addressee_of_actor(actor: str) -> str:
    """The addressee a version-1 acknowledgement's actor ("role:label") acknowledged as;
    the role itself if none."""
    role = actor.split(":", 1)[0]
    try:
        return _V1_ADDRESSEE_OF_ROLE[Role(role)].value
    except (ValueError, KeyError):
        return role


def may_acknowledge(addressee: Addressee, addressees: list[str]) -> bool:
    """Whether this addressee may acknowledge a firing addressed to ``addressees``: only
    one it is addressed to (a client: one addressed to its community's secretary)."""
    return RECEIVES_FOR.get(addressee, addressee).value in addressees


class Firing(SansanAggregate):
    TOPIC = T
    LABEL_ZH = "提醒与预警"

    if TYPE_CHECKING:  # state set by the events' apply()
        kind: str
        due_on: date
        late: bool
        acknowledged_by: list[str]
        acknowledged_addressees: list[str]

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
            f.acknowledged_by, f.acknowledged_addressees = [], []

    Created = Fired

    class Acknowledged(Event):
        """Version 2 names the addressee who acknowledged, so one addressee's 签收 is its own."""

        TOPIC = f"{T}.Acknowledged"
        class_version = 2
        addressee: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["addressee"] = addressee_of_actor(state["actor"])

        def apply(self, f: Any) -> None:
            f.acknowledged_by.append(self.actor)
            f.acknowledged_addressees.append(self.addressee)

    def acknowledge(self, prov: Provenance, *, addressee: str) -> None:
        """Each addressee acknowledges once, for itself alone; the acknowledgement names who.
        A client's own receipt recorded before review 3 is its secretary's 签收."""
        value = choice("addressee", addressee, Addressee)
        value = RECEIVES_FOR.get(value, value)
        signed = {_SIGNS_AS.get(a, a) for a in self.acknowledged_addressees}
        if value.value in signed:
            raise errors.ALREADY_RECORDED(what="acknowledgement", what_zh="签收")
        self._record(self.Acknowledged, prov, addressee=value.value)

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
