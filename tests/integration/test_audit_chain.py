"""The audit chain catches every kind of tampering with the stored log, on both backends:
a flipped byte, a deleted row, two swapped rows, a forged row, and — against a checkpoint
exported earlier — a consistent rewrite of both the log and the chain."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
from sqlalchemy import select

from sansan.audit.chain import CHAIN_COLUMNS, audit_chain
from sansan.audit.trail import pinned_checkpoints
from sansan.audit.verify import FailureKind
from sansan.bootstrap import Services, build_services
from sansan.clock import FixedClock
from sansan.commands import examples as t
from sansan.persistence import is_postgres, parse_postgres_url
from sansan.settings import Settings

ACTOR = "county:test"


@contextmanager
def raw(services: Services) -> Iterator[Any]:
    """A connection straight to the database, as an intruder with the owner's rights has,
    with the append-only triggers switched off the way such an intruder would."""
    settings = services.settings
    if is_postgres(settings):
        target = parse_postgres_url(settings.database_url)
        with psycopg.connect(target.conninfo(), autocommit=True) as conn:
            conn.execute(f"SET search_path = {target.schema}")
            conn.execute("SET session_replication_role = replica")  # triggers off
            yield conn
        return
    import sqlite3

    conn = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    for name in names:
        conn.execute(f"DROP TRIGGER {name}")
    try:
        yield _QmarkConnection(conn)
    finally:
        conn.close()


class _QmarkConnection:
    """SQLite with the same %s placeholders as psycopg, so each tamper is written once."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(statement.replace("%s", "?"), params)


def events_table(services: Services) -> tuple[str, str]:
    """(table, position column) of the log."""
    name = services.app.recorder.events_table_name  # type: ignore[attr-defined]
    return name, "notification_id" if is_postgres(services.settings) else "rowid"


def test_an_honest_log_verifies_with_its_head_and_count(services: Services) -> None:
    verdict = services.audit.verify()
    head = services.audit.chain.head()
    assert head is not None
    assert verdict.ok
    assert verdict.failure is None
    assert verdict.count == head.seq == services.app.recorder.max_notification_id()
    assert verdict.head == head.digest
    assert verdict.pending == 0
    # the follower's first checkpoint went into the log and was itself checked
    assert verdict.checkpoints_checked >= 1


def test_events_not_yet_chained_are_pending_not_failures(services: Services) -> None:
    services.app.execute(t.tour()[12], actor=ACTOR)
    verdict = services.audit.verify()
    assert verdict.ok
    assert verdict.pending >= 1


def test_one_flipped_byte_in_a_stored_event_is_reported_as_changed(services: Services) -> None:
    table, pos = events_table(services)
    with raw(services) as conn:
        state = bytes(conn.execute(f"SELECT state FROM {table} WHERE {pos} = 5").fetchone()[0])
        flipped = state.replace(b"2026", b"2025", 1)
        assert flipped != state
        conn.execute(f"UPDATE {table} SET state = %s WHERE {pos} = 5", (flipped,))
    verdict = services.audit.verify()
    assert not verdict.ok
    assert verdict.failure is not None
    assert (verdict.failure.position, verdict.failure.kind) == (5, FailureKind.CHANGED)
    assert verdict.count == 4  # everything before it still verifies


def test_a_deleted_row_is_reported_as_missing(services: Services) -> None:
    table, pos = events_table(services)
    with raw(services) as conn:
        conn.execute(f"DELETE FROM {table} WHERE {pos} = 7")
    failure = services.audit.verify().failure
    assert failure is not None
    assert (failure.position, failure.kind) == (7, FailureKind.MISSING)


def test_two_swapped_rows_are_reported_as_reordered(services: Services) -> None:
    table, pos = events_table(services)
    with raw(services) as conn:
        conn.execute(f"UPDATE {table} SET {pos} = -1 WHERE {pos} = 3")
        conn.execute(f"UPDATE {table} SET {pos} = 3 WHERE {pos} = 4")
        conn.execute(f"UPDATE {table} SET {pos} = 4 WHERE {pos} = -1")
    failure = services.audit.verify().failure
    assert failure is not None
    assert (failure.position, failure.kind) == (3, FailureKind.REORDERED)


def forge_row(conn: Any, table: str, pos: str, position: int, services: Services) -> None:
    """A plausible event for a real aggregate, written straight into the log."""
    original = services.app.recorder.select_notifications(1, 1)[0]
    columns = f"{pos}, originator_id, originator_version, topic, state"
    originator = original.originator_id if is_postgres(services.settings) else original.originator_id.hex
    conn.execute(
        f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)",
        (position, originator, 999, original.topic, original.state),
    )


def test_a_forged_row_backdated_before_the_first_event_is_reported_as_inserted(
    services: Services,
) -> None:
    table, pos = events_table(services)
    with raw(services) as conn:
        forge_row(conn, table, pos, 0, services)
    failure = services.audit.verify().failure
    assert failure is not None
    assert (failure.position, failure.kind) == (0, FailureKind.INSERTED)


def test_a_forged_row_in_place_of_a_deleted_one_is_reported_as_inserted(
    services: Services,
) -> None:
    table, pos = events_table(services)
    with raw(services) as conn:
        conn.execute(f"DELETE FROM {table} WHERE {pos} = 6")
        forge_row(conn, table, pos, 6, services)
    failure = services.audit.verify().failure
    assert failure is not None
    assert (failure.position, failure.kind) == (6, FailureKind.INSERTED)


def test_a_deleted_chain_row_is_reported_as_missing_where_the_log_holds_its_event(
    services: Services,
) -> None:
    with raw(services) as conn:
        conn.execute("DELETE FROM audit_chain WHERE seq = 2")
    failure = services.audit.verify().failure
    assert failure is not None
    assert (failure.position, failure.kind) == (2, FailureKind.MISSING)


def test_the_chains_copies_of_topic_and_recording_time_are_checked_too(services: Services) -> None:
    """Exports select by the chain's recorded_at and print its topic: a forged copy must not
    hide an event from a date-filtered export while the chain still verifies."""
    with raw(services) as conn:
        original = conn.execute("SELECT recorded_at FROM audit_chain WHERE seq = 3").fetchone()[0]
        conn.execute("UPDATE audit_chain SET recorded_at = '2020-01-01T00:00:00+00:00' WHERE seq = 3")
    failure = services.audit.verify().failure
    assert failure is not None
    assert (failure.position, failure.kind) == (3, FailureKind.CHANGED)
    with raw(services) as conn:
        conn.execute("UPDATE audit_chain SET recorded_at = %s WHERE seq = 3", (original,))
        conn.execute("UPDATE audit_chain SET topic = 'sansan:Member.CardIssued' WHERE seq = 5")
    failure = services.audit.verify().failure
    assert failure is not None
    assert (failure.position, failure.kind) == (5, FailureKind.CHANGED)


def test_a_write_between_reading_the_log_and_the_chain_is_pending_not_missing(
    services: Services,
) -> None:
    recorder = services.app.recorder
    read = recorder.select_notifications
    raced = []

    def log_then_a_write_lands(*args: Any, **kwargs: Any) -> Any:
        batch = read(*args, **kwargs)
        if not batch and not raced:  # the log read is over; the chain is read next
            raced.append(services.app.execute(t.tour()[12], actor=ACTOR))
            services.audit.chain.extend()
        return batch

    recorder.select_notifications = log_then_a_write_lands  # type: ignore[method-assign]
    try:
        verdict = services.audit.verify()
    finally:
        recorder.select_notifications = read  # type: ignore[method-assign]
    assert raced
    assert verdict.ok, verdict.failure
    assert services.audit.verify().ok


def rewrite_consistently(services: Services) -> None:
    """Change event 5, then rebuild the chain and its checkpoints from the changed log —
    what an intruder who knows the design would do. Nothing inside the database betrays it."""
    table, pos = events_table(services)
    with raw(services) as conn:
        state = bytes(conn.execute(f"SELECT state FROM {table} WHERE {pos} = 5").fetchone()[0])
        conn.execute(f"UPDATE {table} SET state = %s WHERE {pos} = 5", (state.replace(b"2026", b"2025", 1),))
        checkpoint_topic = "sansan:AuditCheckpoint.CheckpointRecorded"
        conn.execute(f"DELETE FROM {table} WHERE topic = %s", (checkpoint_topic,))
        conn.execute("DELETE FROM audit_chain")
        conn.execute("DELETE FROM audit_checkpoints")
    services.audit.chain.extend(batch=10_000)


def test_a_consistent_rewrite_passes_inside_the_database_but_not_against_an_exported_checkpoint(
    services: Services,
) -> None:
    exported = services.audit.checkpoint_file()
    rewrite_consistently(services)
    assert services.audit.verify().ok  # the database alone cannot tell
    verdict = services.audit.verify(pinned_checkpoints(exported))
    assert not verdict.ok
    assert verdict.failure is not None
    assert verdict.failure.kind == FailureKind.CHANGED
    assert "exported at" in verdict.failure.detail


def test_the_chain_follower_chains_every_event_once_with_two_followers(
    services: Services, settings: Settings, clock: FixedClock
) -> None:
    other = build_services(settings, clock)
    try:
        for command in t.tour()[12:30]:
            services.app.execute(command, actor=ACTOR)
        for _ in range(3):
            other.audit.chain.extend(batch=3)
            services.audit.chain.extend(batch=4)
        other.audit.chain.catch_up()
        services.audit.chain.catch_up()
    finally:
        other.close()
    with services.store.transaction(generation=1, pointer=False) as c:
        rows = c.execute(select(*CHAIN_COLUMNS).order_by(audit_chain.c.seq)).fetchall()
    positions = [row[1] for row in rows]
    assert len(positions) == len(set(positions)) == services.app.recorder.max_notification_id()
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    assert services.audit.verify().ok


def test_checkpoints_are_recorded_daily_and_every_n_events(
    settings: Settings, clock: FixedClock
) -> None:
    built = build_services(settings.model_copy(update={"audit_checkpoint_every": 5}), clock)
    try:
        for command in t.tour()[:4]:
            built.app.execute(command, actor=ACTOR)
        built.audit.chain.catch_up()
        assert [c.reason for c in built.audit.chain.checkpoints()] == ["first"]
        built.audit.chain.catch_up()  # nothing new: no new checkpoint
        assert len(built.audit.chain.checkpoints()) == 1
        for command in t.tour()[4:10]:
            built.app.execute(command, actor=ACTOR)
        built.audit.chain.catch_up()
        assert [c.reason for c in built.audit.chain.checkpoints()] == ["first", "every_5"]
        clock.advance(timedelta(days=1))
        built.audit.chain.catch_up()  # a new day but nothing new since the checkpoint itself
        assert len(built.audit.chain.checkpoints()) == 2
        built.app.execute(t.tour()[10], actor=ACTOR)
        built.audit.chain.catch_up()
        checkpoints = built.audit.chain.checkpoints()
        assert [c.reason for c in checkpoints] == ["first", "every_5", "daily"]
        assert checkpoints[-1].recorded_on == clock.today()
        assert built.audit.verify().checkpoints_checked == 3
    finally:
        built.close()
