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


def _stored_as_version_1(app: SansanApplication, event: Any, drop: tuple[str, ...]) -> StoredEvent:
    stored = app.mapper.to_stored_event(event)
    state = app.mapper.transcoder.decode(stored.state)
    assert state.pop("class_version") == 2
    for name in drop:
        del state[name]
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=app.mapper.transcoder.encode(state),
    )


def test_a_campaign_launched_before_plans_were_pinned_carries_the_plan_as_shipped_then() -> None:
    from sansan.commands import examples as t
    from sansan.domain import CreationCampaign
    from sansan.domain.legacy_plans import SANSAN_V1, SANSAN_V1_SHA256
    from sansan.plans import content_sha256, pinned_plan

    app = SansanApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, FixedClock(NOW), InternalIds(b"test")
    )
    launched = app.execute(t.tour()[0], actor="t").aggregate_id
    fresh = SansanApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, FixedClock(NOW), InternalIds(b"test")
    )
    [event] = app.events.get(launched)
    fresh.recorder.insert_events([_stored_as_version_1(app, event, ("plan", "plan_sha256"))])

    old = fresh.get(launched, CreationCampaign)
    # The plan as it stood when the campaign was launched, not today's shipped file (which
    # has since gained windows, grace days and targets); it still reads under today's schema.
    assert old.plan == SANSAN_V1
    assert old.plan_sha256 == SANSAN_V1_SHA256 == content_sha256(SANSAN_V1)
    assert pinned_plan(old.plan, old.plan_sha256).target("funding").threshold == 1.0
    assert old.plan_title_zh == "三三创建工程实施方案"
    [history] = fresh.history(launched)
    assert history.data["plan_sha256"] == old.plan_sha256


def test_a_campaign_snapshot_taken_before_plans_were_pinned_is_upcast_too() -> None:
    from eventsourcing.domain import Snapshot

    from sansan.commands import examples as t
    from sansan.domain import CreationCampaign
    from sansan.domain.legacy_plans import SANSAN_V1, SANSAN_V1_SHA256

    app = SansanApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, FixedClock(NOW), InternalIds(b"test")
    )
    launched = app.execute(t.tour()[0], actor="t").aggregate_id
    snapshot = Snapshot.take(app.get(launched, CreationCampaign))
    state = dict(snapshot.state)
    assert state.pop("class_version") == 2
    for name in ("plan", "plan_sha256", "plan_title_zh"):
        del state[name]
    old = Snapshot(
        originator_id=snapshot.originator_id, originator_version=snapshot.originator_version,
        timestamp=snapshot.timestamp, topic=snapshot.topic, state=state,
    )  # fmt: skip
    restored = old.mutate(None)
    assert isinstance(restored, CreationCampaign)
    assert (restored.plan, restored.plan_sha256) == (SANSAN_V1, SANSAN_V1_SHA256)
    assert restored.plan_title_zh == "三三创建工程实施方案"
