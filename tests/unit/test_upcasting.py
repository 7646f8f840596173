"""How a future schema change is made: bump ``class_version`` and add an upcaster.

The test stores an event as the old code wrote it (class_version 1, no ``unit``
field) and reads it back through today's class (class_version 2).
"""

from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from sansan.application import SansanApplication
from sansan.clock import FixedClock
from sansan.domain.base import SansanAggregate, begin_state
from sansan.internal_ids import InternalIds
from tests.support import NOW, prov

T = "test:Gauge"


class Gauge(SansanAggregate):
    TOPIC = T

    class Event(SansanAggregate.Event):
        pass

    class GaugeInstalled(Event, Aggregate.Created):
        TOPIC = f"{T}.GaugeInstalled"

        def apply(self, g: Any) -> None:
            begin_state(g, self)
            g.readings = []

    Created = GaugeInstalled

    class GaugeRead(Event):
        """Version 2 added ``unit``; everything recorded before was in square metres."""

        TOPIC = f"{T}.GaugeRead"
        class_version = 2
        value: float
        unit: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["unit"] = "m2"

        def apply(self, g: Any) -> None:
            g.readings.append((self.value, self.unit))


def test_an_event_stored_at_version_1_is_read_through_the_upcaster() -> None:
    app = SansanApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, FixedClock(NOW), InternalIds(b"test")
    )
    gauge = Gauge._begin(Gauge.GaugeInstalled, prov())
    gauge._record(Gauge.GaugeRead, prov(date(2026, 4, 1)), value=80.0, unit="m2")
    app.save(gauge)

    written_by_old_code = _as_version_1(app, gauge.id, version=3, value=95.0)
    app.recorder.insert_events([written_by_old_code])

    history = app.history(gauge.id)
    assert [(e.version, e.data) for e in history[1:]] == [
        (2, {"value": 80.0, "unit": "m2"}),
        (3, {"value": 95.0, "unit": "m2"}),
    ]
    assert app.get(gauge.id).readings == [(80.0, "m2"), (95.0, "m2")]


def _as_version_1(app: SansanApplication, gauge_id: Any, version: int, value: float) -> StoredEvent:
    """The bytes the class_version-1 code would have stored: no ``unit``, no class_version."""
    current = app.get(gauge_id)
    current._record(Gauge.GaugeRead, prov(date(2026, 5, 1)), value=value, unit="ignored")
    new_event = current.collect_events()[0]
    stored = app.mapper.to_stored_event(new_event)
    state = app.mapper.transcoder.decode(stored.state)
    assert state.pop("class_version") == 2
    del state["unit"]
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=version,
        topic=stored.topic,
        state=app.mapper.transcoder.encode(state),
    )
