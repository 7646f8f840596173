"""Rebuild the read models without downtime: a new generation of tables is filled from
position 0 beside the live one, which keeps answering and keeps following the log; the
last batches and the switch happen in one transaction that holds the generation pointer,
so no reader or runner ever sees a half-built generation. The new generation is filled in
large batches and gets its secondary indexes once filled, before the switch."""

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator

from sqlalchemy import update

from sansan.application import SansanApplication
from sansan.projections.runner import ProjectionRunner, Read
from sansan.projections.schema import projection_meta
from sansan.projections.store import ReadStore
from sansan.projections.tables import (
    PROJECTION_VERSION,
    create_indexes,
    create_tables,
    drop_tables,
    read_meta,
)


def rebuild(
    app: SansanApplication,
    store: ReadStore,
    *,
    batch_size: int = 10_000,
    on_progress: Callable[[int], None] = lambda _: None,
) -> int:
    """Build the next generation, switch to it, drop the old one; returns the new generation."""
    live, _ = read_meta(store)
    new = live + 1
    drop_tables(store, new)  # leftovers of a rebuild that died half-way
    create_tables(store, new, indexes=False)
    # The new generation is not read until the switch, and a rebuild that dies (or whose
    # server does) starts again from an empty generation: its batches need not wait for
    # the disk at commit. The switch below does.
    builder = ProjectionRunner(app, store, batch_size=batch_size, generation=new, durable=False)
    app.on_saved.remove(builder.wake)
    with store.holding():  # one connection for the fill's batches
        for start, ahead in _read_ahead(builder, app):
            on_progress(builder.apply_read(start, ahead))
    create_indexes(store, new)
    with store.transaction(lock=True, generation=new) as cursor:  # holds the pointer row
        while (applied := builder.apply_batch(cursor)) > 0:
            on_progress(applied)
        cursor.execute(
            update(projection_meta)
            .where(projection_meta.c.id == 1)
            .values(generation=new, projection_version=PROJECTION_VERSION)
        )
    drop_tables(store, live)
    return new


def _read_ahead(builder: ProjectionRunner, app: SansanApplication) -> Iterator[tuple[int, Read]]:
    """The log in batches from the start until a batch's length from its head, read and decoded
    by a thread of its own while the batch before is written (the one CPU-bound step beside
    the database's work); at most two batches wait, so memory stays bounded."""
    ready: queue.Queue[tuple[int, Read] | None] = queue.Queue(maxsize=2)
    stop = threading.Event()
    failed: list[BaseException] = []

    start = builder.position()

    def reader() -> None:  # the event store only: the read store is the builder's
        position = start
        try:
            while not stop.is_set():
                head = app.recorder.max_notification_id() or 0
                ahead = builder.read(position) if head - position > builder.batch_size else None
                if ahead is None:
                    break
                ready.put((position, ahead))
                position = ahead.last
        except BaseException as error:  # handed to the rebuild's own thread
            failed.append(error)
        finally:
            ready.put(None)

    thread = threading.Thread(target=reader, name="rebuild-reader", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not None:
            yield item
        if failed:
            raise failed[0]
    finally:
        stop.set()
        while thread.is_alive():  # let a reader blocked on a full queue see the stop
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.1)
        thread.join()


def is_outdated(store: ReadStore) -> bool:
    return read_meta(store)[1] != PROJECTION_VERSION
