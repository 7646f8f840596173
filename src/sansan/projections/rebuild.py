"""Rebuild the read models without downtime: a new generation of tables is filled from
position 0 beside the live one, which keeps answering and keeps following the log; the
last batches and the switch happen in one transaction that holds the generation pointer,
so no reader or runner ever sees a half-built generation. The new generation is filled in
large batches and gets its secondary indexes once filled, before the switch."""

from collections.abc import Callable

from sqlalchemy import update

from sansan.application import SansanApplication
from sansan.projections.runner import ProjectionRunner
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
    builder = ProjectionRunner(app, store, batch_size=batch_size, generation=new)
    app.on_saved.remove(builder.wake)
    while True:
        applied = builder.run_once()
        on_progress(applied)
        head = app.recorder.max_notification_id() or 0
        if applied == 0 or head - builder.position() <= batch_size:
            break
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


def is_outdated(store: ReadStore) -> bool:
    return read_meta(store)[1] != PROJECTION_VERSION
