"""The eventsourcing Application: runs commands, and reads history and past states."""

import dataclasses
import logging
from collections.abc import Callable, Iterator, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Recording,
    Repository,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, StoredEvent, Transcoding
from eventsourcing.utils import strtobool

from sansan.clock import CHINA_OFFSET, Clock
from sansan.commands import Command, CommandContext
from sansan.domain import AGGREGATE_TYPES, IdempotencyRecord, errors
from sansan.domain.base import Provenance, SansanAggregate
from sansan.internal_ids import InternalIdClash, InternalIds, InternalKey, idempotency_record_key
from sansan.persistence import log_position
from sansan.plans import PlanRegistry

log = logging.getLogger(__name__)
R = TypeVar("R", bound=SansanAggregate)

# Every N events an aggregate is snapshotted, so loading it replays at most N-1
# events whatever its history; the cache makes repeated loads cheaper still.
SNAPSHOT_INTERVAL = 50
# A record may meet a racing twin (or a clash) once per candidate id, and no more.
CANDIDATE_ROUNDS = 8

_BASE_EVENT_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
)
_PROVENANCE_FIELDS = frozenset({"actor", "occurred_on", "note", "evidence_ref"})


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used for a different request."""


class ConcurrencyConflict(Exception):
    """Another writer saved the aggregate first; nothing of this command was recorded."""

    def __init__(self, aggregate_id: UUID, current_version: int | None) -> None:
        super().__init__(f"concurrent write on {aggregate_id} (now at {current_version})")
        self.aggregate_id, self.current_version = aggregate_id, current_version


class IdTaken(Exception):
    """A creation named an id (a client may choose one) that a unit already has: no retry
    can succeed, unlike a concurrent write."""

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(f"the id {aggregate_id} is taken")
        self.aggregate_id = aggregate_id


@dataclass(frozen=True)
class RecordedEvent:
    """One event as an auditor reads it."""

    type: str
    topic: str
    aggregate_id: UUID
    version: int
    occurred_on: date
    recorded_at: datetime
    actor: str
    note: str | None
    evidence_ref: str | None
    data: dict[str, Any]
    imported_from: dict[str, Any] | None = None  # the imported row it came from

    @classmethod
    def of(cls, event: SansanAggregate.Event) -> "RecordedEvent":
        values = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
        return cls(
            type=type(event).__name__,
            topic=type(event).TOPIC,  # type: ignore[attr-defined]
            aggregate_id=event.originator_id,
            version=event.originator_version,
            occurred_on=event.occurred_on,
            recorded_at=event.timestamp,
            actor=event.actor,
            note=event.note,
            evidence_ref=event.evidence_ref,
            imported_from=event.imported_from,
            data={
                k: v for k, v in values.items() if k not in _BASE_EVENT_FIELDS | _PROVENANCE_FIELDS
            },
        )


# An aggregate another process wrote after this one cached it is loaded from the store (the
# library's fast-forward) for its next CONTENDED_LOADS commands: where processes write one
# aggregate in turn, a lean run would meet a conflict nearly every time, and each costs a
# failed insert and a second run (docs/benchmarks.md, "lean-write4").
CONTENDED_LOADS = 16
CONTENDED_MAX = 10_000


class SansanRepository(Repository[UUID]):
    """The library's repository (reads fast-forward a cached aggregate from the store, as
    before), plus the cache as it is for a command's lean load.

    A command used to pay a store round trip on every load of a cached aggregate (the
    fast-forward ``select_events``: 13 % of a write's CPU, docs/benchmarks.md "lean-write3").
    The cache is now kept up to date by this process's own saves (``keep``), so a command may
    run on it as it is; what another process wrote since shows up as a version conflict when
    the command saves (or as a stale version when it is checked), and the command is run once
    more on aggregates loaded from the store (``SansanApplication.execute``).

    Every look at or change of a cached aggregate holds the library's per-aggregate
    fast-forward lock, which its reads hold while they fast-forward the cached object in
    place, so a copy is never taken of a half-applied event (private to the library, pinned
    in constraints.txt).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Loads left before a contended aggregate is taken as cached again. A heuristic only:
        # threads may race on a count, which at worst costs one load from the store too many.
        self.contended: dict[UUID, int] = {}

    def cached_copy(self, aggregate_id: UUID) -> Any:
        """A copy of the cached aggregate as it is, without asking the store; None if not
        cached. A copy, as the library's ``get`` gives: a command that fails after changing
        it leaves the cache untouched."""
        if self.cache is None:
            return None
        lock = self._use_fastforward_lock(aggregate_id)
        try:
            with lock:
                try:
                    cached = self.cache.get(aggregate_id)
                except KeyError:
                    return None
                return deepcopy(cached)
        finally:
            self._disuse_fastforward_lock(aggregate_id)

    def keep(self, aggregate: Aggregate) -> None:
        """Cache an aggregate just saved (the caller's, not used after), unless the cache
        already holds a later version of it (another thread saved after this one)."""
        if self.cache is None:
            return
        lock = self._use_fastforward_lock(aggregate.id)
        try:
            with lock:
                try:
                    cached = self.cache.get(aggregate.id)
                except KeyError:
                    cached = None
                if cached is None or cached.version < aggregate.version:
                    self.cache.put(aggregate.id, aggregate)
        finally:
            self._disuse_fastforward_lock(aggregate.id)

    def contend(self, aggregate_id: UUID) -> None:
        """Another process wrote the aggregate after this one cached it: load it from the
        store for its next CONTENDED_LOADS commands here."""
        if len(self.contended) >= CONTENDED_MAX:  # a bound, not a policy: start afresh
            self.contended.clear()
        self.contended[aggregate_id] = CONTENDED_LOADS

    def lean(self, aggregate_id: UUID) -> bool:
        """Whether a command may take the aggregate as cached (not contended lately)."""
        left = self.contended.get(aggregate_id)
        if left is None:
            return True
        if left <= 1:
            self.contended.pop(aggregate_id, None)
        else:
            self.contended[aggregate_id] = left - 1
        return False


class _Loads:
    """A command's loads. Lean: a cached aggregate as it is (noting its version, to be
    checked against the store if it matters); anything not cached, or not lean, through the
    library's ``get``, from the store."""

    def __init__(self, repository: SansanRepository, lean: bool) -> None:
        self.repository, self.lean = repository, lean
        self.cached: dict[UUID, int] = {}  # id: version, of each aggregate taken as cached

    def get(self, aggregate_id: UUID) -> Any:
        if self.lean and self.repository.lean(aggregate_id):
            aggregate = self.repository.cached_copy(aggregate_id)
            if aggregate is not None:
                self.cached[aggregate_id] = aggregate.version
                return aggregate
        return self.repository.get(aggregate_id)


@dataclass(frozen=True)
class _Run:
    """One command as ``execute`` runs it (twice at most)."""

    command: Command
    prov: Provenance
    expected: dict[UUID, int]
    remembered: InternalKey | None
    record_id: UUID | None
    request_hash: str


class _Stale(Exception):
    """A lean run met a cached aggregate another process had changed: run it again, in full."""


@dataclass(frozen=True)
class CommandResult:
    aggregate_id: UUID
    version: int
    position: int
    events: list[RecordedEvent]


class SansanApplication(Application):
    name = "sansan"
    snapshotting_intervals = dict.fromkeys(AGGREGATE_TYPES, SNAPSHOT_INTERVAL)

    def __init__(
        self, env: dict[str, str], clock: Clock, ids: InternalIds,
        plans: PlanRegistry | None = None,
    ) -> None:  # fmt: skip
        super().__init__(env)
        self.clock, self.ids = clock, ids
        # The plans a campaign may be launched under or changed to (bootstrap builds it from
        # settings; without one, the shipped plans alone).
        self.plans = plans or PlanRegistry.load()
        self.lean_reruns = 0  # commands run again after a lean run met a stale cache
        # Called with the write's last log position after every save (wakes projections).
        self.on_saved: list[Callable[[int], None]] = []

    repository: SansanRepository

    def construct_repository(self) -> SansanRepository:
        # The library's construct_repository, building this subclass.
        env, maxsize = self.env, self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return SansanRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(maxsize) if maxsize else None,
            fastforward=strtobool(env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")),
            deepcopy_from_cache=strtobool(env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        recordings = super().save(*objs, **kwargs)
        if recordings:
            for listener in self.on_saved:
                listener(recordings[-1].notification.id)
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """The library's snapshots every ``SNAPSHOT_INTERVAL`` events, taken of the aggregate
        just saved when it is at the snapshot's version. The library's ``take_snapshot`` reads
        that version back from the store (the last snapshot and up to 49 events, two round
        trips and a replay): 5 % of the server's CPU under figure d (docs/benchmarks.md,
        lean-write6). The aggregate saved is that replay's result: the same events applied
        by the same code (tests/unit/test_replay_property.py holds live and replayed states
        equal), and no other thread sees it before ``execute`` caches it after this save."""
        if self.snapshots is None:
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            if aggregate is None:
                continue
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval is None or event.originator_version % interval:
                continue
            snapshot_class = getattr(type(aggregate), "Snapshot", None)
            if (
                isinstance(aggregate, SansanAggregate)
                and snapshot_class is not None
                and aggregate.version == event.originator_version
                and not aggregate.pending_events
            ):
                self.snapshots.put([snapshot_class.take(aggregate)])
            else:  # an earlier version than the object's: the store's, as the library reads it
                self.take_snapshot(event.originator_id, version=event.originator_version)

    def save_encoded(self, encoded: Sequence[StoredEvent], *aggregates: SansanAggregate) -> None:
        """Events encoded beforehand (an import's checked batch), with the aggregates'
        pending events, in one transaction. ``save`` would take each event through the
        library's collection (a ``Protocol`` isinstance check per event) and encoding again,
        which cost an import more CPU than inserting them."""
        events = [e for aggregate in aggregates for e in aggregate.collect_events()]
        stored = [*encoded, *map(self.mapper.to_stored_event, events)]
        positions = self.recorder.insert_events(stored)
        if self.repository.cache and not self.repository.fastforward:
            for aggregate in aggregates:
                self.repository.cache.put(aggregate.id, aggregate)
        if positions:
            for listener in self.on_saved:
                listener(max(positions))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def execute(
        self,
        command: Command,
        *,
        actor: str,
        token_no: str | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
        request_hash: str = "",
        check: Callable[[Command], None] | None = None,
    ) -> CommandResult:
        """Run one command as ``actor``; record all its events atomically, or nothing.

        With an idempotency key, the first completed request is remembered in the same
        save as its events; a retry gets that request's result and records nothing.
        ``check`` (the caller's, against what it reads beside the log) runs on a command
        that is not such a retry, before it runs.
        """
        remembered = idempotency_record_key(actor, idempotency_key) if idempotency_key else None
        record_id = None
        if remembered is not None:
            record_id, earlier = self.internal_record(IdempotencyRecord, remembered)
            if earlier is not None:
                return self._replay(earlier, request_hash)
        if check is not None:
            check(command)
        prov = self.provenance(actor, command, token_no=token_no)
        target = command.target_id()
        expected = {target: expected_version} if target and expected_version is not None else {}
        # Lean first: the cached aggregates as they are. Not when the client names the version
        # it expects: a cache behind the store would refuse it with a 409 the store would not.
        lean = not expected and self.repository.cache is not None
        run = _Run(command, prov, expected, remembered, record_id, request_hash)
        try:
            return self._run(run, lean=lean)
        except _Stale:
            self.lean_reruns += 1
            return self._run(run, lean=False)  # once, each aggregate loaded from the store

    def _run(self, run: "_Run", *, lean: bool) -> CommandResult:
        loads = _Loads(self.repository, lean)
        try:
            aggregates = run.command.run(CommandContext(
                run.prov, loads, run.expected, self.plans, events=self.events
            ))
        except errors.DomainError:
            # A concurrent request with the same key may have recorded between the look above
            # and the load: its events can break a rule for this one (an identical training
            # is a duplicate_fact), and the retry is owed that request's answer, not a refusal.
            twin = self._twin(run.remembered)
            if twin is not None:
                return self._replay(twin, run.request_hash)
            # Cached state another process has changed since may refuse what the store allows.
            self._check_fresh(loads, list(loads.cached))
            raise
        primary = aggregates[0]
        saving = {a.id for a in aggregates if a.pending_events}
        # The save's version check covers what the command writes; what it only read must be
        # as fresh as a load from the store would have made it.
        self._check_fresh(loads, [i for i in loads.cached if i not in saving])
        written = [(a.id, e.originator_version) for a in aggregates for e in a.pending_events]
        if run.record_id is not None:
            aggregates.append(
                IdempotencyRecord.complete(
                    run.prov, id=run.record_id, request_hash=run.request_hash,
                    aggregate_id=primary.id, result_version=primary.version, written=written,
                )
            )  # fmt: skip
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            twin = self._twin(run.remembered)
            if twin is not None:  # a concurrent request with the same key got there first
                return self._replay(twin, run.request_hash)
            if saving & loads.cached.keys():  # maybe another process wrote after the cache
                for aggregate_id in saving & loads.cached.keys():
                    self.repository.contend(aggregate_id)
                raise _Stale from None
            current = self._current_version(primary.id)
            if current is not None and getattr(run.command, "id", None) == primary.id:
                raise IdTaken(primary.id) from None
            raise ConcurrencyConflict(primary.id, current) from None
        for aggregate in aggregates:  # the next command on them starts from here
            self.repository.keep(aggregate)
        return CommandResult(
            aggregate_id=primary.id,
            version=primary.version,
            position=max(r.notification.id for r in recordings),
            events=[
                RecordedEvent.of(r.domain_event)  # type: ignore[arg-type]
                for r in recordings
                if not isinstance(r.domain_event, IdempotencyRecord.Event)
            ],
        )

    def _check_fresh(self, loads: _Loads, ids: list[UUID]) -> None:
        """Raise _Stale (dropping them from the cache) if the store holds events of any of
        ``ids`` after the versions the lean loads took from the cache."""
        stale = [
            i for i in ids
            if self.recorder.select_events(i, gt=loads.cached[i], limit=1)
        ]  # fmt: skip
        for aggregate_id in stale:
            self.repository.contend(aggregate_id)
        if stale:
            raise _Stale

    def provenance(
        self, actor: str, command: Command, imported_from: dict[str, Any] | None = None,
        *, token_no: str | None = None,
    ) -> Provenance:  # fmt: skip
        return Provenance(
            actor=actor,
            occurred_on=command.occurred_on,
            today=self.clock.today(),
            note=command.note,
            evidence_ref=command.evidence_ref,
            imported_from=imported_from,
            token_no=token_no,
        )

    def internal_record(self, kind: type[R], key: InternalKey) -> tuple[UUID, R | None]:
        """Where the service keeps its ``kind`` record of ``key``, and the record if made.

        A record made before ids were keyed is found under its old id. Anything else
        found under a keyed id is a clash: it is logged, and the next candidate is used.
        """
        if key.legacy_id is not None:
            old = self._get(key.legacy_id, None)
            if isinstance(old, kind):
                return key.legacy_id, old
        for candidate in self.ids.candidates(key):
            found = self._get(candidate, None)
            if found is None or isinstance(found, kind):
                return candidate, found
            log.error(
                "internal id clash: %s %s holds a %s, not a %s; using the next candidate",
                key.purpose, candidate, type(found).__name__, kind.__name__,
            )  # fmt: skip
        raise InternalIdClash(key.purpose, key.natural_key)

    def record_once(self, kind: type[R], key: InternalKey, make: Callable[[UUID], R]) -> bool:
        """Save the record ``make`` builds for ``key`` unless one was made already.

        Two processes may race to it: the store refuses the second, which then finds
        the first one's record (or a clash, and moves on to the next candidate).
        """
        for _ in range(CANDIDATE_ROUNDS):
            record_id, found = self.internal_record(kind, key)
            if found is not None:
                return False
            try:
                self.save(make(record_id))
                return True
            except IntegrityError:
                continue
        raise InternalIdClash(key.purpose, key.natural_key)

    def _twin(self, remembered: InternalKey | None) -> IdempotencyRecord | None:
        """The record a request with the same idempotency key left, if one has by now."""
        if remembered is None:
            return None
        return self.internal_record(IdempotencyRecord, remembered)[1]

    def _replay(self, record: IdempotencyRecord, request_hash: str) -> CommandResult:
        if record.request_hash != request_hash:
            raise IdempotencyKeyReused(record.id)
        events = [
            RecordedEvent.of(next(self._events(UUID(aggregate_id), version)))
            for aggregate_id, version in record.written
        ]
        position = log_position(self.recorder, record.id, 1)
        assert position is not None, "an idempotency record found was recorded"
        return CommandResult(record.aggregate_id, record.result_version, position, events)

    def get(self, aggregate_id: UUID, kind: type[SansanAggregate] = SansanAggregate) -> Any:
        """The aggregate as it is now."""
        return self._checked(self._get(aggregate_id, None), aggregate_id, kind)

    def history(self, aggregate_id: UUID) -> list[RecordedEvent]:
        """Every event of the aggregate, oldest first, from the log itself."""
        events = [RecordedEvent.of(e) for e in self._events(aggregate_id)]
        if not events:
            raise _not_found(SansanAggregate, aggregate_id)
        return events

    def state_at(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
        kind: type[SansanAggregate] = SansanAggregate,
    ) -> Any:
        """The aggregate as it was at a version, or as recorded at a moment (one of them)."""
        if version is not None and as_of is not None:
            raise errors.VERSION_WITH_AS_OF()
        if as_of is not None:
            if as_of.tzinfo is None:
                raise ValueError("as_of must carry a timezone")
            events = list(self._events(aggregate_id))
            recorded = [e.originator_version for e in events if e.timestamp <= as_of]
            if not recorded:
                if events:
                    raise _not_yet_recorded(kind, aggregate_id, events[0].timestamp)
                raise _not_found(kind, aggregate_id)
            return self._checked(self._get(aggregate_id, recorded[-1]), aggregate_id, kind)
        if version is not None and version < 1:
            raise _not_found(kind, aggregate_id)
        shown = self._checked(self._get(aggregate_id, version), aggregate_id, kind)
        if version is not None and shown.version < version:  # the store gives its last one
            raise errors.VERSION_NOT_FOUND(
                kind=kind.__name__, kind_zh=kind.LABEL_ZH, version=version, current=shown.version
            )
        return shown

    def _events(
        self, aggregate_id: UUID, only_version: int | None = None
    ) -> Iterator[SansanAggregate.Event]:
        if only_version is None:
            return self.events.get(aggregate_id)  # type: ignore[return-value]
        return self.events.get(aggregate_id, gt=only_version - 1, lte=only_version)  # type: ignore[return-value]

    def _get(self, aggregate_id: UUID, version: int | None) -> Aggregate | None:
        try:
            return self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None

    @staticmethod
    def _checked(
        aggregate: Aggregate | None, aggregate_id: UUID, kind: type[SansanAggregate]
    ) -> SansanAggregate:
        if not isinstance(aggregate, kind):
            raise _not_found(kind, aggregate_id)
        return aggregate

    def _current_version(self, aggregate_id: UUID) -> int | None:
        aggregate = self._get(aggregate_id, None)
        return aggregate.version if aggregate else None


def _not_found(kind: type[SansanAggregate], aggregate_id: UUID) -> errors.DomainError:
    return errors.UNIT_NOT_FOUND(kind=kind.__name__, kind_zh=kind.LABEL_ZH, id=aggregate_id)


def _not_yet_recorded(
    kind: type[SansanAggregate], aggregate_id: UUID, first: datetime
) -> errors.DomainError:
    """An existing unit asked for before its first record: not "not found", but not yet."""
    china = first.astimezone(timezone(CHINA_OFFSET)).strftime("%Y-%m-%d %H:%M")
    return errors.NOT_YET_RECORDED(
        kind=kind.__name__, kind_zh=kind.LABEL_ZH, id=aggregate_id, first_zh=china,
        first=first.isoformat(),
    )  # fmt: skip
