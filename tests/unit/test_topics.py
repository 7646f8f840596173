import re

from eventsourcing.domain import Aggregate
from eventsourcing.utils import resolve_topic

from sansan.domain import AGGREGATE_TYPES, SYSTEM_TYPES
from sansan.domain.base import SansanAggregate


def event_classes(aggregate: type[SansanAggregate]) -> dict[str, type]:
    return {
        name: obj
        for name, obj in vars(aggregate).items()
        if isinstance(obj, type)
        and issubclass(obj, Aggregate.Event)
        and name not in ("Event", "Created")
    }


def test_every_aggregate_and_event_has_a_stable_explicit_topic() -> None:
    for aggregate in AGGREGATE_TYPES + SYSTEM_TYPES:
        assert f"sansan:{aggregate.__name__}" == aggregate.TOPIC
        assert resolve_topic(aggregate.TOPIC) is aggregate
        for name, event in event_classes(aggregate).items():
            assert f"sansan:{aggregate.__name__}.{name}" == event.TOPIC  # type: ignore[attr-defined]
            assert resolve_topic(event.TOPIC) is event  # type: ignore[attr-defined]


def test_event_names_are_unique_across_aggregates_so_the_audit_log_is_unambiguous() -> None:
    types = AGGREGATE_TYPES + SYSTEM_TYPES
    names = [name for aggregate in types for name in event_classes(aggregate)]
    assert len(names) == len(set(names))


def test_events_are_named_in_the_past_tense() -> None:
    past = re.compile(r"(ed|Held|Made|Left)(?=[A-Z]|$)")
    for aggregate in AGGREGATE_TYPES:
        for name in event_classes(aggregate):
            assert past.search(name), name


def test_every_event_carries_actor_occurred_on_note_and_evidence() -> None:
    for aggregate in AGGREGATE_TYPES:
        for event in event_classes(aggregate).values():
            fields = event.__dataclass_fields__  # type: ignore[attr-defined]
            assert {"actor", "occurred_on", "note", "evidence_ref", "timestamp"} <= set(fields)


def test_every_event_type_has_a_chinese_label_and_no_label_is_left_over() -> None:
    from sansan.domain.event_labels import EVENT_LABELS_ZH

    names = {name for aggregate in AGGREGATE_TYPES + SYSTEM_TYPES for name in event_classes(aggregate)}
    assert set(EVENT_LABELS_ZH) == names
    assert all(label.strip() for label in EVENT_LABELS_ZH.values())
