"""Pulls the event log in position order into the read-model tables, exactly once.

Each batch is applied in one read-store transaction that also moves the tracking
position, so a crash loses nothing and repeats nothing. The log is read and decoded before
that transaction; the batch's events then write through one ``Batch`` (rows kept in memory,
looked up in a few queries, written in one round trip per table). The runner is woken by
the application after each save (in-process) and by LISTEN/NOTIFY on PostgreSQL
(other processes' writes); a slow poll covers anything missed.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from eventsourcing.utils import resolve_topic
from psycopg import sql
from sqlalchemy import select

from sansan.application import SansanApplication
from sansan.domain.base import SansanAggregate
from sansan.persistence import (
    domain_events,
    is_postgres,
    notifications_after,
    parse_postgres_url,
)
from sansan.projections.batch import Batch
from sansan.projections.projector import Applied, apply_event, prepare
from sansan.projections.store import Cursor, ReadStore
from sansan.projections.tables import PROJECTION_NAME
from sansan.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Read:
    """Notifications read from the log (their positions) and the project's events among them
    (other aggregates' notifications are passed over, but the position still moves past)."""

    positions: list[int]
    events: list[Applied]

    @property
    def last(self) -> int:
        return self.positions[-1]

    @property
    def count(self) -> int:
        return len(self.positions)

    def after(self, position: int) -> "Read | None":
        kept = [p for p in self.positions if p > position]
        if not kept:
            return None
        return Read(kept, [applied for applied in self.events if applied[0] > position])


@dataclass(frozen=True)
class Stall:
    """The background loop has failed on every try since ``since`` (monotonic seconds),
    without moving the position: an event it cannot project, or a store it cannot write."""

    since: float
    position: int  # the last position projected: the event after it cannot be


# Failing this long at one position is no passing blip: /readyz says the read models stopped.
STALLED_AFTER = 30.0


class ProjectionRunner:
    def __init__(
        self,
        app: SansanApplication,
        store: ReadStore,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        listen: Settings | None = None,
        generation: int | None = None,
        followers: Sequence[Callable[[], int]] = (),
        durable: bool = True,
    ) -> None:
        self.app, self.store = app, store
        # False: batches commit without waiting for the disk (see ReadStore.transaction);
        # for a rebuild's new generation, which is built again from scratch if lost.
        self.durable = durable
        # Other followers of the log (the audit chain) that ride on this runner's wake-ups.
        self.followers = list(followers)
        self.generation = generation  # None: whichever generation is live
        self.batch_size, self.poll_interval = batch_size, poll_interval
        self._listen = listen if listen is not None and is_postgres(listen) else None
        self._wake = threading.Event()
        # Set while LISTEN is in place; with the count of NOTIFYs received, it shows a
        # wake-up came from another process's write rather than from the slow poll.
        self.listening = threading.Event()
        self.notifications_received = 0
        # Set while the background loop waits with no wake-up pending (under _wake_lock,
        # which every wake-up takes too), so a test can tell what woke it next.
        self.idle = threading.Event()
        self._wake_lock = threading.Lock()
        self._stop = threading.Event()
        self._advanced = threading.Condition()
        self._threads: list[threading.Thread] = []
        # Where this runner's last committed batch left the position (None: ask the store),
        # and where the last batch applied, committed or not, left it.
        self._ended_at: int | None = None
        self._left_at = 0
        self._failing: Stall | None = None
        self._attempted_from = 0  # the position the last batch tried to move on from
        # The log after where the batch being written will leave the position, read and
        # decoded while the server ran that batch's statements (``Batch.flush``'s
        # ``meanwhile``); used by the next ``run_once`` if it starts there.
        self._next: tuple[int, Read] | None = None
        self._reading_next = False  # whether the batch being applied reads the next (apply_read)
        app.on_saved.append(self.wake)

    def position(self) -> int:
        with self.store.transaction(generation=self.generation) as cursor:
            return _position(cursor)

    def run_once(self) -> int:
        """Apply the next batch; returns how many events it applied.

        The log is read before the read store's write lock is taken. On SQLite, reading it
        under that lock could wait in the library's connection queue behind a request that
        waits for the event store's writer, whose insert waits for our lock: every write
        then stalls until the pool times out (5 s) and answers 503.

        It is read from where this runner's last batch ended, without asking the store (a
        transaction of its own, several round trips a batch); ``apply_batch`` checks the
        position under the lock anyway, and reads again from there when another runner has
        moved it. Only when that leaves nothing to do is the position asked for."""
        hinted = self._ended_at
        start = self._attempted_from = self.position() if hinted is None else hinted
        kept, self._next = self._next, None
        ahead = kept[1] if kept is not None and kept[0] == start else self.read(start)
        applied = 0 if ahead is None else self.apply_read(start, ahead, read_next=True)
        if applied == 0 and hinted is not None:
            self._ended_at = None
            return self.run_once()
        return applied

    def apply_read(self, start: int, ahead: Read, *, read_next: bool = False) -> int:
        """Apply notifications read after ``start`` (those still ahead of the position), in
        a transaction of their own. ``read_next``: read the log that follows while the
        server writes this batch (kept for the next ``run_once``)."""
        self._ended_at = None  # known again once this batch is committed
        with self.store.transaction(
            lock=True, generation=self.generation, durable=self.durable
        ) as cursor:
            self._reading_next = read_next
            try:
                applied = self.apply_batch(cursor, read_ahead=(start, ahead))
            finally:
                self._reading_next = False
        self._ended_at = self._left_at
        if applied:
            with self._advanced:
                self._advanced.notify_all()
        return applied

    def apply_batch(self, cursor: Cursor, read_ahead: tuple[int, Read] | None = None) -> int:
        """Within the caller's transaction: the next batch, and the tracking position with it;
        returns how many notifications it moved past.
        ``read_ahead`` is the log as read (and decoded) after a position outside the lock;
        another runner may have advanced since, so only what follows the position read here
        is applied."""
        position = self._left_at = _position(cursor)
        if read_ahead is not None and read_ahead[0] <= position:
            ahead: Read | None = read_ahead[1].after(position)
        else:
            ahead = self.read(position)
        if ahead is None:
            return 0
        self._left_at = ahead.last
        batch = Batch(cursor)
        prepare(batch, ahead.events)
        for at, event, aggregate_type, aggregate_id in ahead.events:
            apply_event(batch, event, at, aggregate_type, aggregate_id)
        batch.update(batch.t.tracking, PROJECTION_NAME, position=ahead.last,
                     updated_at=datetime.now(UTC).isoformat())  # fmt: skip
        batch.flush(meanwhile=self._reader(ahead.last) if self._reading_next else None)
        return ahead.count

    def _reader(self, position: int) -> Callable[[], None]:
        """Reads the log after ``position`` into ``_next``. Outside the batch's transaction
        (the event store's own connection), so the batch is exactly as without it; if its
        transaction fails, ``run_once`` starts from the position asked anew and the read is
        dropped. A read that fails is dropped too (the next ``run_once`` reads again); an
        empty one is not kept (events may be saved before the next batch)."""

        def read_next() -> None:
            try:
                ahead = self.read(position)
            except Exception:  # read again by the next batch, which reports it
                log.debug("reading the log ahead failed; read again", exc_info=True)
                return
            if ahead is not None:
                self._next = (position, ahead)

        return read_next

    def read(self, position: int) -> Read | None:
        """The next notifications after ``position``, decoded (None: there are none)."""
        rows = notifications_after(self.app.recorder, position, self.batch_size)
        if not rows:
            return None
        events: list[Applied] = []
        for row, event in zip(rows, domain_events(self.app.mapper, rows), strict=True):
            aggregate_type = _aggregate_type(row.topic, getattr(event, "originator_topic", None))
            if aggregate_type is not None:
                events.append((row.id, event, aggregate_type, row.aggregate_id))
        return Read([row.id for row in rows], events)

    def catch_up(self) -> int:
        """Apply batches until the log is projected; their transactions run on one connection
        of the read store, held throughout (see ``ReadStore.holding``)."""
        applied = 0
        with self.store.holding():
            while (batch := self.run_once()) > 0:
                applied += batch
        return applied

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the read models include ``position``; False if the time runs out.

        It only waits (the runner of this process, or of another, does the work), so a
        read is never held longer than ``timeout`` by someone else's lock.
        """
        deadline = time.monotonic() + timeout
        self.wake()
        while self.position() < position:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._advanced:
                self._advanced.wait(min(remaining, 0.05))
        return True

    def wake(self, *_: object) -> None:
        with self._wake_lock:
            self._wake.set()
            self.idle.clear()

    # -- running in the background ---------------------------------------------------------

    def start(self) -> None:
        if any(thread.is_alive() for thread in self._threads):
            return  # one runner per process is enough
        self._stop.clear()
        self._threads = [threading.Thread(target=self._loop, name="projections", daemon=True)]
        if self._listen is not None:
            self._threads.append(
                threading.Thread(target=self._listen_loop, name="projections-listen", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout=10)

    def lag(self) -> tuple[int, int, float]:
        """(log head, projected position, seconds the oldest unprojected event has waited)."""
        head = self.app.recorder.max_notification_id() or 0
        position = self.position()
        if position >= head:
            return head, position, 0.0
        oldest = self.app.recorder.select_notifications(position, 1, inclusive_of_start=False)
        waited = 0.0
        if oldest:
            recorded: datetime = getattr(self.app.mapper.to_domain_event(oldest[0]), "timestamp")  # noqa: B009
            waited = max((datetime.now(UTC) - recorded).total_seconds(), 0.0)
        return head, position, waited

    def _loop(self) -> None:
        while not self._stop.is_set():
            projected = self._project()
            # The followers (the audit chain) read the log, not the read models: a batch the
            # projection cannot apply must not leave every later write unchained.
            if self._follow() and projected:
                self.wake()  # a follower has more to do: come straight back
            if not projected:
                self._stop.wait(self.poll_interval)
            with self._wake_lock:
                if not self._wake.is_set():
                    self.idle.set()
            self._wake.wait(self.poll_interval)
            self.idle.clear()
            self._wake.clear()

    def _project(self) -> bool:
        try:
            self.catch_up()
        except Exception:  # keep projecting after a transient store failure
            log.exception("projection batch failed; retrying")
            self._failed()
            return False
        self._failing = None
        return True

    def _follow(self) -> bool:
        """One step of each follower; whether any has more to do."""
        more = False
        for follow in self.followers:
            try:
                more = follow() > 0 or more
            except Exception:  # the next wake-up tries again
                log.exception("a follower of the log failed; retrying")
        return more

    def _failed(self) -> None:
        at = self._attempted_from
        if self._failing is None or self._failing.position != at:
            self._failing = Stall(time.monotonic(), at)

    def stalled(self) -> Stall | None:
        """The failure the loop has been stuck on for ``STALLED_AFTER`` seconds, if any."""
        failing = self._failing
        if failing is not None and time.monotonic() - failing.since >= STALLED_AFTER:
            return failing
        return None

    def _listen_loop(self) -> None:
        assert self._listen is not None
        target = parse_postgres_url(self._listen.database_url)
        channel = self.app.recorder.channel_name  # type: ignore[attr-defined]
        while not self._stop.is_set():
            try:
                with psycopg.connect(target.conninfo(), autocommit=True) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self.wake()  # anything written while not listening gets picked up
                    self.listening.set()
                    while not self._stop.is_set():
                        # returns at each notification or after a second, to notice a stop
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.notifications_received += 1
                            self.wake()
            except psycopg.Error:
                self.listening.clear()
                self._stop.wait(self.poll_interval)
        self.listening.clear()


_AGGREGATE_TYPES: dict[tuple[str, str | None], type[SansanAggregate] | None] = {}


def _aggregate_type(topic: str, originator_topic: str | None) -> type[SansanAggregate] | None:
    """The project's aggregate an event's topic (or, for a created event, its
    ``originator_topic``) names; None for another aggregate's events. Kept per topic."""
    key = (topic, originator_topic)
    if key not in _AGGREGATE_TYPES:
        found = resolve_topic(
            topic.rsplit(".", 1)[0] if originator_topic is None else originator_topic
        )
        _AGGREGATE_TYPES[key] = (
            found if isinstance(found, type) and issubclass(found, SansanAggregate) else None
        )
    return _AGGREGATE_TYPES[key]


def _position(cursor: Cursor) -> int:
    tracking = cursor.t.tracking
    row = cursor.execute(
        select(tracking.c.position).where(tracking.c.name == PROJECTION_NAME)
    ).fetchone()
    return int(row[0])
