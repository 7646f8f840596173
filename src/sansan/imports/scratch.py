"""What an import keeps while it runs, with memory bounded whatever the file's size.

The checking pass is the only one that runs the rows through the commands and the domain:
it hands the writing pass each batch's events and row mapping through a scratch file, so
the writing pass only saves them. The units the rows touch are kept in memory while they
are recent (``KEEP_UNITS``); older ones changed by the file go to the scratch file and come
back from it, the others are read from the store again when a row needs them.

The scratch is a private SQLite database on disk (deleted when closed); its statements are
constants with bound parameters. The batches in it are events already encoded, as the store
keeps them, with a placeholder for the time they are recorded (``Encoder``): the writing
pass puts the time in and inserts them, without the library's per-event work.
"""

import copyreg
import io
import pickle
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent

from sansan.application import SansanApplication
from sansan.domain.base import SansanAggregate

# Units kept in memory between the rows read ahead; while those run, more may be held (at
# most the units they touch), and the oldest are let go of when they have run. A member
# held costs ~2 KB with its facts' signatures: figure k at full size (100,000 members and
# their trainings) peaks at 358 MB keeping them all, 171 MB keeping 10,000; that is the
# bound whatever the file's size. Spilling them (pickled into SQLite, read back by the
# trainings) cost a fifth of the CPU (30,000 members: 0.206 against 0.161 ms a row).
KEEP_UNITS = 100_000
# [sheet, row, unit id, first version, last version] of a recorded row (ImportRowsMapped)
Mapped = tuple[str, int, UUID, int, int]
# An event as the store keeps it, not yet stamped: (originator id's bytes, version, topic, state)
Encoded = tuple[bytes, int, str, bytes]
# What makes two events the same fact (``engine._signature``)
Signature = tuple[Any, ...]
# The time an event is recorded, until it is: no event of the campaign's is of year 1.
UNSTAMPED = datetime(1, 1, 1, tzinfo=UTC)

_SCHEMA = (
    "CREATE TABLE unit (id BLOB PRIMARY KEY, held BLOB NOT NULL)",
    "CREATE TABLE written (id BLOB PRIMARY KEY)",
    "CREATE TABLE batch (n INTEGER PRIMARY KEY, data BLOB NOT NULL)",
    # the first row of the file that named each unit it registers (by its natural key)
    "CREATE TABLE first_row (id BLOB PRIMARY KEY, sheet TEXT NOT NULL, row INTEGER NOT NULL)",
)


@dataclass(slots=True)
class Held:
    unit: SansanAggregate
    created: bool  # made by this file: nothing the store holds can equal its facts
    changed: bool  # changed by this file: its state is only here, never read from the store
    known: dict[str, set[Signature]] | None = None  # its facts' signatures by date, once asked
    # its figured facts (an allocation, an upgrade) by natural key, with the figures in
    # force (corrections applied); built with ``known``, from the same events
    in_force: dict[Signature, list["InForce"]] | None = None


@dataclass
class InForce:
    """A recorded fact's figures as they stand after its corrections, and the latest
    correction's wording (None if never corrected); or a fact an earlier row of the file
    records, and that row."""

    version: int
    figures: dict[str, Any]
    correction: str | None = None
    row: tuple[str, int] | None = None  # the file's sheet and row, when this file records it


def _uuid(data: bytes) -> UUID:
    return UUID(bytes=data)


def _dumps(value: object) -> bytes:
    """Pickled, with each UUID as its 16 bytes (pickle's own way goes through the UUID's
    ``__getstate__``, a third of the time it takes to hand a batch over)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(value)
    return out.getvalue()


def _utc() -> timezone:
    return UTC


# UUIDs as their bytes; the timestamps' UTC by name, not rebuilt from a timedelta each time
_DISPATCH = {
    **copyreg.dispatch_table,
    UUID: lambda u: (_uuid, (u.bytes,)),
    timezone: lambda tz: (_utc, ()) if tz is UTC else tz.__reduce__(),
}


def _dumps_held(held: Held) -> bytes:
    """A unit let go of, as its class and attributes: what pickle would keep of it, less
    the slotted ``Held``'s own ``__getstate__`` and the generic object protocol."""
    unit = held.unit
    return _dumps((type(unit), vars(unit), held.created, held.changed, held.known, held.in_force))


def _loads_held(data: bytes) -> Held:
    kind, state, created, changed, known, in_force = pickle.loads(data)
    unit = kind.__new__(kind)
    unit.__dict__.update(state)
    return Held(unit, created, changed, known, in_force)


# Which units were let go of to the scratch file, roughly: a bit per hash of ids (a unit's
# id is random or a uuid5 hash, so its low bits spread evenly). A unit whose bit is unset is
# not there, so most lookups (of units never let go of, or not made yet) ask SQLite nothing;
# a set bit is checked there. A fixed 512 KB whatever the file's size: with 100,000 units
# let go of, 2.4 % of the others are looked for in vain.
_FILTER_BITS = 1 << 22


def _bit(unit_id: UUID) -> tuple[int, int]:
    at = unit_id.int & (_FILTER_BITS - 1)
    return at >> 3, 1 << (at & 7)


def _quoted(moment: datetime) -> bytes:
    """A timestamp as the library's transcoder writes it in an event's state."""
    return b'"' + moment.isoformat().encode() + b'"'


class Encoder:
    """Events encoded when their rows are checked, and stamped when they are written.

    The library's timestamp says when an event was recorded: the writing pass's time, not
    the checking pass's. So the checking pass encodes each event with ``UNSTAMPED`` (the
    first thing in its state) and the writing pass replaces that one quoted string, which
    no text in a state can equal (a quote inside a JSON string is escaped), then compresses
    or encrypts the state if the store is set to.
    """

    def __init__(self, mapper: Mapper[UUID]) -> None:
        self.mapper = mapper
        self.plain = Mapper[UUID](transcoder=mapper.transcoder)
        self.placeholder = _quoted(UNSTAMPED)
        probe = self.plain.transcoder.encode({"timestamp": UNSTAMPED})
        assert self.placeholder in probe, "the transcoder writes timestamps another way"

    def encode(self, event: DomainEventProtocol[UUID]) -> Encoded:
        object.__setattr__(event, "timestamp", UNSTAMPED)  # events are frozen dataclasses
        stored = self.plain.to_stored_event(event)
        return event.originator_id.bytes, stored.originator_version, stored.topic, stored.state

    def stamped(self, encoded: Sequence[Encoded], moment: datetime) -> list[StoredEvent]:
        stamp, compressor, cipher = _quoted(moment), self.mapper.compressor, self.mapper.cipher
        events = []
        for originator, version, topic, state in encoded:
            state = state.replace(self.placeholder, stamp, 1)
            if compressor is not None:
                state = compressor.compress(state)
            if cipher is not None:
                state = cipher.encrypt(state)
            events.append(StoredEvent(UUID(bytes=originator), version, topic, state))
        return events


class Scratch:
    def __init__(self) -> None:
        # "" is a private temporary database on disk: pages beyond its small cache are
        # written out, so the file's size does not become the process's memory
        self.db = sqlite3.connect("")
        for statement in _SCHEMA:
            self.db.execute(statement)
        self.batches = 0
        self.let_go = bytearray(_FILTER_BITS // 8)
        # nothing is asked of a table still empty (most lookups, in most files)
        self.any_written = False

    def close(self) -> None:
        self.db.close()

    def _maybe_has(self, unit_id: UUID) -> bool:
        byte, bit = _bit(unit_id)
        return bool(self.let_go[byte] & bit)

    def put_unit(self, unit_id: UUID, held: Held) -> None:
        byte, bit = _bit(unit_id)
        self.let_go[byte] |= bit
        data = _dumps_held(held)
        self.db.execute(
            "INSERT OR REPLACE INTO unit (id, held) VALUES (?, ?)", (unit_id.bytes, data)
        )

    def unit(self, unit_id: UUID) -> Held | None:
        if not self._maybe_has(unit_id):
            return None
        row = self.db.execute("SELECT held FROM unit WHERE id = ?", (unit_id.bytes,)).fetchone()
        if row is None:
            return None
        return _loads_held(row[0])

    def has(self, unit_id: UUID) -> bool:
        if not self._maybe_has(unit_id):
            return False
        key = (unit_id.bytes,)
        return self.db.execute("SELECT 1 FROM unit WHERE id = ?", key).fetchone() is not None

    def written(self, unit_id: UUID) -> bool:
        """Made by a stopped run of the same import."""
        if not self.any_written:
            return False
        key = (unit_id.bytes,)
        return self.db.execute("SELECT 1 FROM written WHERE id = ?", key).fetchone() is not None

    def written_before(self, unit_ids: Iterable[UUID]) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO written (id) VALUES (?)", ((i.bytes,) for i in unit_ids)
        )
        self.any_written = self.db.execute("SELECT 1 FROM written LIMIT 1").fetchone() is not None

    def first_row(self, unit_id: UUID, sheet: str, row: int) -> tuple[str, int]:
        """The first row of the file that registers this unit: this one, unless an earlier
        row did. Kept here, not in memory, like the units: a roster may have many rows."""
        self.db.execute(
            "INSERT OR IGNORE INTO first_row (id, sheet, row) VALUES (?, ?, ?)",
            (unit_id.bytes, sheet, row),
        )
        found = self.db.execute(
            "SELECT sheet, row FROM first_row WHERE id = ?", (unit_id.bytes,)
        ).fetchone()
        return str(found[0]), int(found[1])

    def add_batch(self, events: list[Encoded], mapped: list[Mapped]) -> None:
        data = _dumps((events, mapped))
        self.db.execute("INSERT INTO batch (n, data) VALUES (?, ?)", (self.batches, data))
        self.batches += 1

    def read_batches(self) -> Iterator[tuple[list[Encoded], list[Mapped]]]:
        """The batches in the order they were added, one in memory at a time."""
        for n in range(self.batches):
            row = self.db.execute("SELECT data FROM batch WHERE n = ?", (n,)).fetchone()
            events, mapped = pickle.loads(row[0])
            yield events, mapped


class Units:
    """The scratch view: the store's units, with what the import has done to them so far.

    Quacks as the repository ``CommandContext`` loads from; each unit is loaded once and
    then changed in place, and only saved if the whole file passes.
    """

    def __init__(self, app: SansanApplication, scratch: Scratch, keep: int = KEEP_UNITS) -> None:
        self.app, self.scratch, self.keep = app, scratch, keep
        self.held: OrderedDict[UUID, Held] = OrderedDict()  # the most recently used last

    def get(self, aggregate_id: UUID, version: int | None = None) -> SansanAggregate:
        return self.held_of(aggregate_id).unit

    def find(self, aggregate_id: UUID) -> SansanAggregate | None:
        try:
            return self.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def held_of(self, aggregate_id: UUID) -> Held:
        held = self.held.get(aggregate_id)
        if held is not None:
            self.held.move_to_end(aggregate_id)
            return held
        held = self.scratch.unit(aggregate_id)
        if held is None:
            unit: Any = self.app.repository.get(aggregate_id)
            held = Held(unit, created=False, changed=False)
        self.held[aggregate_id] = held
        return held

    def holds(self, aggregate_id: UUID) -> bool:
        """Known to the import already (in memory or let go of to the scratch file)."""
        return aggregate_id in self.held or self.scratch.has(aggregate_id)

    def hold(self, aggregate_id: UUID, held: Held) -> None:
        """A unit read from the store ahead of the rows that need it."""
        self.held[aggregate_id] = held

    def put(self, unit: SansanAggregate) -> None:
        """A unit a row changed (or created: one not held yet is new)."""
        held = self.held.get(unit.id)
        if held is None:
            self.held[unit.id] = Held(unit, created=True, changed=True)
        else:
            held.unit, held.changed = unit, True

    def restore(self, unit: SansanAggregate) -> None:
        """A unit as it was before a row that turned out to repeat a fact it holds."""
        self.held[unit.id].unit = unit

    def created(self, aggregate_id: UUID) -> bool:
        """Made by this run: nothing the store holds can equal its facts."""
        held = self.held.get(aggregate_id)
        if held is None:
            # let go of: read back now, as the row that names it runs on it next (one
            # query, not one to ask and another to read)
            held = self.scratch.unit(aggregate_id)
            if held is None:
                return False
            self.held[aggregate_id] = held
        return held.created

    def made(self, aggregate_id: UUID) -> bool:
        """Made by this import: by this run, or by a stopped run of it (the read models may
        not show that one's yet)."""
        return self.created(aggregate_id) or self.scratch.written(aggregate_id)

    def take(self, ids: set[UUID]) -> list[SansanAggregate]:
        """The units among ``ids`` with events not yet handed over."""
        found = (self.held.get(i) for i in ids)
        return [h.unit for h in found if h is not None and h.unit.pending_events]

    def trim(self) -> None:
        """The oldest units beyond ``keep`` leave memory; those the file changed go to the
        scratch file. Units with events not yet handed over stay (as the most recent)."""
        staying: list[tuple[UUID, Held]] = []
        while len(self.held) > self.keep:
            unit_id, held = self.held.popitem(last=False)
            if held.unit.pending_events:
                staying.append((unit_id, held))
            elif held.changed:
                self.scratch.put_unit(unit_id, held)
        self.held.update(staying)
