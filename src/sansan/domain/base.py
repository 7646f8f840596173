"""What every sansan aggregate and event shares: who recorded it, when it happened."""

import dataclasses
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain import errors, marks
from sansan.domain.event_labels import EVENT_LABELS_ZH
from sansan.domain.vocabulary import Labelled

E = TypeVar("E", bound=Labelled)

# Values that cannot change once made, shared by a copy rather than rebuilt: exact types
# only, so a subclass (which might add mutable state) is still deep-copied.
_IMMUTABLE: frozenset[type] = frozenset(
    {str, int, float, bool, bytes, type(None), UUID, date, datetime, Decimal}
)


@dataclass(frozen=True)
class Provenance:
    """Who recorded a fact, when it happened, and on what evidence.

    ``today`` is the recording day by the application's clock: the domain reads
    no clock, so it is handed in to check ``occurred_on``, and it is not stored
    (the library's own timestamp records when the event was recorded).
    """

    actor: str
    occurred_on: date
    today: date
    note: str | None = None
    evidence_ref: str | None = None
    # Where the fact came from when not typed in: an import's row (``import_source``).
    imported_from: dict[str, Any] | None = None
    # Which token recorded it (its number, the start of its id; never the secret): two
    # tokens given the same label record the same actor, and a supervisor must tell them apart.
    token_no: str | None = None

    def event_fields(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "occurred_on": self.occurred_on,
            "note": self.note,
            "evidence_ref": self.evidence_ref,
        }


class SansanAggregate(Aggregate):
    """Base of all campaign aggregates.

    Subclasses declare a stable ``TOPIC`` on themselves and on every event, so
    stored history never depends on module paths.
    """

    LABEL_ZH = "单位"

    if TYPE_CHECKING:  # set by each creation event's apply()
        began_on: date

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """A deep copy, as ``copy.deepcopy`` makes it, that shares the immutable values.

        The library's repository deep-copies the cached aggregate for every command, so a
        command that fails after changing it leaves the cache as it was. ``deepcopy`` rebuilds
        every UUID, date and datetime through ``__reduce_ex__`` as well, which was most of
        that copy's CPU; everything else (lists, dicts, anything not known to be immutable)
        is still copied through ``deepcopy``, with the same memo, so shared parts stay shared
        within the copy."""
        copied = object.__new__(type(self))
        memo[id(self)] = copied
        copied.__dict__.update(
            (name, value if type(value) in _IMMUTABLE else deepcopy(value, memo))
            for name, value in self.__dict__.items()
        )
        return copied

    class Event(Aggregate.Event):
        actor: str
        occurred_on: date
        note: str | None
        evidence_ref: str | None

        # Not a dataclass field: set on the event when its provenance has a source (an
        # imported row), stored with it, and None for every other event, including all
        # those stored before it existed (no upcast: the stored shape only gains a key).
        imported_from: ClassVar[dict[str, Any] | None] = None
        # Likewise the number of the token that recorded it (Provenance.token_no).
        token_no: ClassVar[str | None] = None

        # A fact of this kind recorded twice on one day with the same content is a double
        # entry (a double submit, or a community and its integration both sending it): the
        # second is refused as duplicate_fact. Kinds where an identical repeat is normal
        # (volunteer hours: two sessions of one activity a day) leave it False.
        ONCE_A_DAY = False  # not annotated: no field, and no label wanted

        def apply(self, aggregate: Any) -> None:
            """Events that only record a fact change no state."""

        def mutate(self, aggregate: Any) -> Any:
            mutated = super().mutate(aggregate)
            if self.ONCE_A_DAY:  # live and on replay alike, so the marks are the log's
                content = {
                    f.name: getattr(self, f.name)
                    for f in dataclasses.fields(self)
                    if f.name not in _NOT_CONTENT
                }
                fact = _fact_mark(type(self).__name__, self.occurred_on, content)
                state = vars(mutated)
                state[FACTS_INDEX] = marks.added(
                    state.get(FACTS_INDEX, ""), fact, self.originator_version
                )
            return mutated

    @classmethod
    def _begin(
        cls,
        event_class: type[Aggregate.Created],
        prov: Provenance,
        id: UUID | None = None,
        **fields: Any,
    ) -> Self:
        check_not_future(prov)
        aggregate = cls._create(event_class, id=id, **prov.event_fields(), **fields)
        _stamp(aggregate, prov)
        return aggregate

    def _check_date(self, prov: Provenance) -> None:
        """An event's date: not in the future, not before the unit began."""
        check_not_future(prov)
        if prov.occurred_on < self.began_on:
            raise errors.OCCURRED_BEFORE_START(occurred_on=prov.occurred_on, began_on=self.began_on)

    def _record(self, event_class: type[Aggregate.Event], prov: Provenance, **fields: Any) -> None:
        self._check_date(prov)
        if getattr(event_class, "ONCE_A_DAY", False):
            self._check_once(event_class.__name__, prov.occurred_on, fields)
        self.trigger_event(event_class, **prov.event_fields(), **fields)
        _stamp(self, prov)

    def _check_once(self, kind: str, day: date, content: dict[str, Any]) -> None:
        """Refuse the fact if the unit's latest facts (sansan.domain.marks) hold one of the
        same kind, day and content."""
        same = marks.version_of(vars(self).get(FACTS_INDEX, ""), _fact_mark(kind, day, content))
        if same is not None:
            label = EVENT_LABELS_ZH.get(kind, kind)
            raise errors.DUPLICATE_FACT(
                what_zh=f"{day}的“{label}”（内容相同）", what=f"the {kind} of {day}", version=same
            )


# The marks of a unit's latest facts that are taken once a day (sansan.domain.marks: bounded,
# so that the unit's load, snapshot and copy do not grow with its history). Private (not in
# the API's state).
FACTS_INDEX = "_fact_marks"
# An event's fields that are not the fact's content: the library's and the provenance's.
_NOT_CONTENT = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "actor",
     "occurred_on", "note", "evidence_ref"}
)  # fmt: skip


def _plain(value: Any) -> Any:
    # 10000 and 10000.00 yuan are one amount; ids and dates as their text
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _fact_mark(kind: str, day: date, content: dict[str, Any]) -> str:
    return marks.mark(kind, day.isoformat(), content, default=_plain)


def _stamp(aggregate: SansanAggregate, prov: Provenance) -> None:
    """The source and the token go on the event just made (the last pending one)."""
    if prov.imported_from is not None:
        object.__setattr__(aggregate.pending_events[-1], "imported_from", prov.imported_from)
    if prov.token_no is not None:
        object.__setattr__(aggregate.pending_events[-1], "token_no", prov.token_no)


def import_source(import_id: UUID, sheet: str, row: int) -> dict[str, Any]:
    return {"import_id": str(import_id), "sheet": sheet, "row": row}


def source_zh(source: dict[str, Any] | None) -> str | None:
    """来源：导入 党员 表第12行 — how the audit trail says where an event came from."""
    if not source:
        return None
    record = str(source["import_id"])[:8]
    return f"导入 {source['sheet']} 表第{source['row']}行（导入记录 {record}）"


def tally(totals: dict[str, Any], key: object, amount: Any) -> None:
    """Add to a running total; keys are strings so state survives JSON snapshots."""
    totals[str(key)] = totals.get(str(key), 0) + amount


def added_state(aggregate: SansanAggregate, name: str, factory: Callable[[], Any]) -> Any:
    """State a later version added: a snapshot taken before it lacks the attribute."""
    return vars(aggregate).setdefault(name, factory())


def begin_state(aggregate: SansanAggregate, event: SansanAggregate.Event) -> None:
    """Creation events call this so replay restores what ``_begin`` set live."""
    aggregate.began_on = event.occurred_on


def all_of(*checks: Callable[[], Any]) -> list[Any]:
    """Independent checks of one command, each run; what they return, or every refusal
    among them in one error (a form marks all its wrong fields at once, not one a try)."""
    found: list[errors.DomainError] = []
    results = []
    for check in checks:
        try:
            results.append(check())
        except errors.DomainErrors as several:
            found += several.errors
        except errors.DomainError as error:
            found.append(error)
    if len(found) == 1:
        raise found[0]
    if found:
        raise errors.DomainErrors(found)
    return results


# No fact of the campaign's network is older than the People's Republic: its street working
# committees, communities and their Party organizations all date from after it (the county
# gives no earlier founding day), and a year-1 date is a typing slip, not a record.
EARLIEST_DAY = date(1949, 10, 1)


def check_not_future(prov: Provenance) -> None:
    """A fact's day: not later than today, not before ``EARLIEST_DAY``."""
    if prov.occurred_on > prov.today:
        raise errors.OCCURRED_IN_FUTURE(occurred_on=prov.occurred_on, today=prov.today)
    if prov.occurred_on < EARLIEST_DAY:
        raise errors.OCCURRED_TOO_EARLY(occurred_on=prov.occurred_on, earliest=EARLIEST_DAY)


def not_before(prov: Provenance, *containers: "SansanAggregate | None") -> None:
    """A unit begins no earlier than the units it belongs to (its parent organization, its
    community, its street committee): refused on occurred_on, naming the first it precedes."""
    for unit in containers:
        if unit is not None and prov.occurred_on < unit.began_on:
            raise errors.OCCURRED_BEFORE_PARENT(
                occurred_on=prov.occurred_on, began_on=unit.began_on, kind_zh=unit.LABEL_ZH,
                kind=type(unit).__name__, name=getattr(unit, "name", unit.id),
            )  # fmt: skip


def choice(field: str, value: str, vocabulary: type[E]) -> E:
    try:
        return vocabulary(value)
    except ValueError:
        allowed = ", ".join(v.value for v in vocabulary)
        raise errors.NOT_IN_VOCABULARY(field=field, value=value, allowed=allowed) from None


def positive(field: str, value: float | Decimal) -> None:
    if value <= 0:
        raise errors.NOT_POSITIVE(field=field)


def figure(value: float) -> str:
    """A measured figure as people read it: thousands separated, at most two decimals, never
    an exponent ("1e-07" or "1.23457e+06" from ``:g``)."""
    return f"{round(value, 2):,.2f}".rstrip("0").rstrip(".")


def in_range(field: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise errors.OUT_OF_RANGE(field=field, low=low, high=high, value=value)


def text(field: str, value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise errors.EMPTY_TEXT(field=field)
    return stripped


OLDEST_BIRTH_YEAR = 1920
ADULT_AGE = 18  # Party members and cadres are adults


def birth_year_fits(birth_year: int, prov: Provenance, field: str = "birth_year") -> None:
    in_range(field, birth_year, OLDEST_BIRTH_YEAR, prov.today.year - ADULT_AGE)


def birth_fits(birth_year: int | None, birth_date: date | None, prov: Provenance) -> int:
    """A birth year, a full birth date or both (consistent); returns the birth year.

    The date may not be after the recording day; either way the person is an adult born
    after ``OLDEST_BIRTH_YEAR``.
    """
    if birth_date is None:
        if birth_year is None:
            raise errors.NOTHING_TO_RECORD(what="birth_year or birth_date")
        birth_year_fits(birth_year, prov)
        return birth_year

    def date_fits() -> None:
        if birth_date > prov.today:
            raise errors.BIRTH_DATE_IN_FUTURE(birth_date=birth_date, today=prov.today)
        birth_year_fits(birth_date.year, prov, "birth_date")

    def year_fits() -> None:
        if birth_year is not None:
            birth_year_fits(birth_year, prov)

    all_of(date_fits, year_fits)
    if birth_year is not None and birth_year != birth_date.year:  # two dates each fine alone
        raise errors.BIRTH_YEAR_MISMATCH(birth_year=birth_year, birth_date=birth_date)
    return birth_date.year


def calendar_year_fits(year: int, occurred_on: date, *, ahead: bool = False) -> None:
    """Money and assessments for a year are recorded in that year or the next. Money may also
    be ``ahead``: next year's budget is allocated in the last weeks of this one (review 2,
    finding 11); it is dated the day it was allocated and counts for the year it is for."""
    fits = (occurred_on.year, occurred_on.year - 1) + ((occurred_on.year + 1,) if ahead else ())
    if year not in fits:
        raise errors.YEAR_OUT_OF_RANGE(year=year, occurred_on=occurred_on)
