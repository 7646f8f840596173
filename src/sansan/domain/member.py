"""A Party member (党员) managed in one category, with cards, training and service."""

import json
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain import errors, marks
from sansan.domain.base import (
    Provenance,
    SansanAggregate,
    all_of,
    begin_state,
    birth_fits,
    check_not_future,
    choice,
    not_before,
    positive,
    tally,
    text,
)
from sansan.domain.organization import TRAINING_DAYS, PartyOrganization
from sansan.domain.vocabulary import (
    CARDS_FOR_CATEGORY,
    CardKind,
    FeedbackRating,
    MemberCategory,
    OrgLevel,
    TrainingMethod,
)

T = "sansan:Member"
MAX_VOLUNTEER_HOURS_PER_ENTRY = 24.0


# A member's latest trainings as bounded marks (sansan.domain.marks), to refuse one entered
# twice. Private (not in the API's state).
TRAININGS_INDEX = "_training_marks"
# What snapshots taken before the marks hold instead: {day: {"[days, method, topic]": version}}.
LEGACY_TRAININGS_INDEX = "_trainings_on"


def _training_mark(day: date, days: float, method: str, topic: str) -> str:
    return marks.mark(day.isoformat(), days, method, topic)


def _training_marks(m: "Member") -> str:
    """The member's marks, with those of a snapshot from before them folded in."""
    held: str = vars(m).get(TRAININGS_INDEX, "")
    legacy: dict[str, dict[str, int]] = vars(m).get(LEGACY_TRAININGS_INDEX, {})
    for day, facts in legacy.items():
        for key, version in facts.items():
            days, method, topic = json.loads(key)
            held = marks.added(
                held, _training_mark(date.fromisoformat(day), days, method, topic), version
            )
    return held


class Member(SansanAggregate):
    TOPIC = T
    LABEL_ZH = "党员"

    if TYPE_CHECKING:  # state set by the events' apply()
        name: str
        category: str
        organization_id: UUID
        community_id: UUID
        birth_year: int | None
        birth_date: date | None
        workplace: str | None
        cards: list[str]
        training_days_by_year: dict[str, float]
        service_posts: list[str]
        volunteer_hours_by_year: dict[str, float]
        household_contacts: int
        relief_pairings: int
        feedback_count: int
        transferred_out_on: date | None

    class Event(SansanAggregate.Event):
        pass

    class MemberRegistered(Event, Aggregate.Created):
        """Version 2 may carry the full birth date; version 1 knew the birth year at most."""

        TOPIC = f"{T}.MemberRegistered"
        class_version = 2
        name: str
        category: str
        organization_id: UUID
        community_id: UUID
        birth_year: int | None
        birth_date: date | None
        workplace: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["birth_date"] = None

        def apply(self, m: "Member") -> None:
            begin_state(m, self)
            m.name, m.category, m.birth_year, m.workplace = (
                self.name,
                self.category,
                self.birth_year,
                self.workplace,
            )
            m.organization_id, m.community_id = self.organization_id, self.community_id
            m.birth_date = self.birth_date
            m.cards, m.service_posts = [], []
            m.training_days_by_year, m.volunteer_hours_by_year = {}, {}
            m.household_contacts = m.relief_pairings = m.feedback_count = 0
            m.transferred_out_on = None

    Created = MemberRegistered

    class MemberCategoryChanged(Event):
        TOPIC = f"{T}.MemberCategoryChanged"
        category: str
        workplace: str | None

        def apply(self, m: "Member") -> None:
            m.category, m.workplace = self.category, self.workplace

    class CardIssued(Event):
        TOPIC = f"{T}.CardIssued"
        card: str
        card_no: str | None

        def apply(self, m: "Member") -> None:
            m.cards.append(self.card)

    class TrainingCompleted(Event):
        TOPIC = f"{T}.TrainingCompleted"
        days: float
        method: str
        topic: str

        def apply(self, m: "Member") -> None:
            tally(m.training_days_by_year, self.occurred_on.year, self.days)
            mark = _training_mark(self.occurred_on, self.days, self.method, self.topic)
            m.__dict__[TRAININGS_INDEX] = marks.added(
                _training_marks(m), mark, self.originator_version
            )
            m.__dict__.pop(LEGACY_TRAININGS_INDEX, None)

    class ServicePostAssigned(Event):
        TOPIC = f"{T}.ServicePostAssigned"
        ONCE_A_DAY = True
        post: str
        responsibility_area: str | None

        def apply(self, m: "Member") -> None:
            m.service_posts.append(self.post)

    class VolunteerServiceLogged(Event):
        TOPIC = f"{T}.VolunteerServiceLogged"
        hours: float
        activity: str

        def apply(self, m: "Member") -> None:
            tally(m.volunteer_hours_by_year, self.occurred_on.year, self.hours)

    class HouseholdContactRegistered(Event):
        TOPIC = f"{T}.HouseholdContactRegistered"
        ONCE_A_DAY = True
        household: str

        def apply(self, m: "Member") -> None:
            m.household_contacts += 1

    class ReliefPairingMade(Event):
        TOPIC = f"{T}.ReliefPairingMade"
        ONCE_A_DAY = True
        beneficiary: str

        def apply(self, m: "Member") -> None:
            m.relief_pairings += 1

    class InServiceFeedbackRecorded(Event):
        TOPIC = f"{T}.InServiceFeedbackRecorded"
        ONCE_A_DAY = True
        unit_name: str
        rating: str
        returned_to_unit: bool

        def apply(self, m: "Member") -> None:
            m.feedback_count += 1

    class MemberTransferredOut(Event):
        TOPIC = f"{T}.MemberTransferredOut"
        destination: str

        def apply(self, m: "Member") -> None:
            m.transferred_out_on = self.occurred_on

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        prov: Provenance,
        *,
        name: str,
        category: str,
        organization: PartyOrganization,
        birth_year: int | None,
        workplace: str | None,
        id: UUID | None = None,
        birth_date: date | None = None,
    ) -> "Member":
        if organization.community_id is None or organization.level == OrgLevel.STREET_COMMITTEE:
            raise errors.ORGANIZATION_OUTSIDE_COMMUNITY()
        def day_fits() -> None:
            check_not_future(prov)
            not_before(prov, organization)

        _, birth_year, name, kind = all_of(
            day_fits,
            lambda: birth_year if birth_year is None and birth_date is None
            else birth_fits(birth_year, birth_date, prov),
            lambda: text("name", name),
            lambda: choice("category", category, MemberCategory),
        )  # fmt: skip
        return cls._begin(
            cls.MemberRegistered,
            prov,
            id=id,
            name=name,
            category=kind.value,
            organization_id=organization.id,
            community_id=organization.community_id,
            birth_year=birth_year,
            birth_date=birth_date,
            workplace=workplace,
        )

    def _record(
        self, event_class: type[Aggregate.Event], prov: Provenance, **fields: object
    ) -> None:
        # What happened while the member was here may be entered late: only a fact dated on
        # or after the day they left (or a second transfer-out) is refused.
        gone = self.transferred_out_on
        if gone is not None and event_class is self.MemberTransferredOut:
            raise errors.MEMBER_TRANSFERRED_OUT(transferred_out_on=gone, at=())
        if gone is not None and prov.occurred_on >= gone:
            raise errors.MEMBER_TRANSFERRED_OUT(transferred_out_on=gone)
        super()._record(event_class, prov, **fields)

    def change_category(self, prov: Provenance, *, category: str, workplace: str | None) -> None:
        value = choice("category", category, MemberCategory)
        if value == self.category:
            raise errors.CATEGORY_UNCHANGED(category=value.value, category_zh=value.label_zh)
        self._record(self.MemberCategoryChanged, prov, category=value.value, workplace=workplace)

    def issue_card(self, prov: Provenance, *, card: str, card_no: str | None) -> None:
        kind = choice("card", card, CardKind)
        category = MemberCategory(self.category)
        if kind not in CARDS_FOR_CATEGORY[category]:
            raise errors.CARD_NOT_FOR_CATEGORY(
                card=kind.value,
                card_zh=kind.label_zh,
                category=category.value,
                category_zh=category.label_zh,
            )
        if kind in self.cards:
            raise errors.CARD_ALREADY_ISSUED(card=kind.value, card_zh=kind.label_zh)
        self._record(self.CardIssued, prov, card=kind.value, card_no=card_no)

    def complete_training(self, prov: Provenance, *, days: float, method: str, topic: str) -> None:
        low, high = TRAINING_DAYS

        def days_fit() -> None:
            if not low <= days <= high:
                raise errors.TRAINING_DAYS_OUT_OF_RANGE(low=low, high=high, value=days)

        _, _, kind, topic = all_of(
            lambda: self._check_date(prov),
            days_fit,
            lambda: choice("method", method, TrainingMethod),
            lambda: text("topic", topic),
        )
        fact = (float(days), kind.value, topic)
        # The same training entered twice (a double submit, or the community and its
        # integration both) would count its days twice toward the yearly six. Checked
        # against the latest ~256 trainings (marks.KEPT); a member from a snapshot taken
        # before any index was kept has none: what it held is not checked.
        same = marks.version_of(_training_marks(self), _training_mark(prov.occurred_on, *fact))
        if same is not None:
            day, (length, how, about) = prov.occurred_on, fact
            how_zh = TrainingMethod(how).label_zh
            raise errors.DUPLICATE_FACT(
                what_zh=f"{day}的培训（{length:g} 天，{how_zh}，主题“{about}”）",
                what=f"the training of {day} ({length:g} days, {how}, {about!r})",
                version=same,
            )  # fmt: skip
        self._record(self.TrainingCompleted, prov, days=fact[0], method=fact[1], topic=fact[2])

    def assign_service_post(
        self, prov: Provenance, *, post: str, responsibility_area: str | None
    ) -> None:
        self._record(
            self.ServicePostAssigned,
            prov,
            post=text("post", post),
            responsibility_area=responsibility_area,
        )

    def log_volunteer_service(self, prov: Provenance, *, hours: float, activity: str) -> None:
        positive("hours", hours)
        if hours > MAX_VOLUNTEER_HOURS_PER_ENTRY:
            raise errors.OUT_OF_RANGE(
                field="hours", low=0, high=MAX_VOLUNTEER_HOURS_PER_ENTRY, value=hours
            )
        self._record(
            self.VolunteerServiceLogged,
            prov,
            hours=float(hours),
            activity=text("activity", activity),
        )

    def register_household_contact(self, prov: Provenance, *, household: str) -> None:
        self._record(self.HouseholdContactRegistered, prov, household=text("household", household))

    def make_relief_pairing(self, prov: Provenance, *, beneficiary: str) -> None:
        self._record(self.ReliefPairingMade, prov, beneficiary=text("beneficiary", beneficiary))

    def record_in_service_feedback(
        self, prov: Provenance, *, unit_name: str, rating: str, returned_to_unit: bool
    ) -> None:
        if self.category != MemberCategory.DUAL:
            raise errors.FEEDBACK_ONLY_FOR_DUAL()
        self._record(
            self.InServiceFeedbackRecorded,
            prov,
            unit_name=text("unit_name", unit_name),
            rating=choice("rating", rating, FeedbackRating).value,
            returned_to_unit=returned_to_unit,
        )

    def transfer_out(self, prov: Provenance, *, destination: str) -> None:
        self._record(self.MemberTransferredOut, prov, destination=text("destination", destination))
