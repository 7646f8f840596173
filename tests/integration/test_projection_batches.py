"""A batch of the projection is written entirely or not at all, and once: its rows, its
counters and the tracking position move in one transaction. Handlers write through the
batch; a plain per-event handler still works beside them."""

import json
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, delete, func, insert, select
from sqlalchemy.schema import CreateTable

from sansan.application import SansanApplication
from sansan.bootstrap import Services, build_services
from sansan.commands import community as co
from sansan.commands import examples
from sansan.domain import Member
from sansan.projections import projector
from sansan.projections.batch import Batch, per_event
from sansan.projections.rebuild import rebuild
from sansan.projections.runner import ProjectionRunner
from sansan.projections.sql import Prepared
from sansan.projections.store import Cursor, GenerationCursor, ReadStore
from sansan.settings import Settings
from tests.integration.test_projections import dump


@pytest.fixture
def services(app: SansanApplication, settings: Settings) -> Iterator[Services]:
    for command in examples.tour():
        app.execute(command, actor="t")
    built = build_services(settings, application=app)
    yield built
    built.store.close()


def test_a_batch_that_fails_half_way_leaves_nothing_and_its_retry_applies_it_once(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, store = services.projections, services.store
    head = services.app.recorder.max_notification_id()
    runner.batch_size = head  # the whole tour (an urge, counted up, too) in one batch
    before = dump(store)
    writes: list[object] = []
    real_execute, real_executemany = GenerationCursor.execute, GenerationCursor.executemany

    def failing(statement: Any) -> None:
        """The batch's writes are prepared statements: the fourth fails."""
        if isinstance(statement, Prepared):
            if len(writes) == 3:
                raise RuntimeError("the store fails half-way through the batch")
            writes.append(statement)

    def execute(self: GenerationCursor, statement: Any, params: Any = ()) -> GenerationCursor:
        failing(statement)
        return real_execute(self, statement, params)

    def executemany(self: GenerationCursor, statement: Any, rows: Any) -> None:
        failing(statement)
        real_executemany(self, statement, rows)

    monkeypatch.setattr(GenerationCursor, "execute", execute)
    monkeypatch.setattr(GenerationCursor, "executemany", executemany)
    with pytest.raises(RuntimeError, match="half-way"):
        runner.run_once()
    assert len(writes) == 3, "rows were written before the failure"
    assert runner.position() == 0
    assert dump(store) == before  # nothing of the batch remains

    monkeypatch.undo()
    assert runner.catch_up() == head
    assert runner.position() == head
    with store.transaction() as cursor:
        audit = cursor.t.audit
        counted = cursor.execute(
            select(func.count(), func.count(audit.c.position.distinct()))
        ).fetchone()
    assert counted[0] == counted[1] == head  # the tour's events are all the project's own
    once = dump(store)
    rebuild(services.app, store)  # counters (urges, acknowledgements) would differ if doubled
    assert dump(store) == once


COUNTS = Table(
    "rm_test_counts",
    MetaData(),
    Column("unit", Text, primary_key=True),
    Column("n", Integer, nullable=False),
    Column("hours", Integer, nullable=False),
)


def _counts(cursor: Cursor) -> dict[str, tuple[int, int]]:
    found = cursor.execute(select(COUNTS.c.unit, COUNTS.c.n, COUNTS.c.hours)).fetchall()
    return {unit: (n, hours) for unit, n, hours in found}


def test_counter_upserts_sum_within_a_batch_and_onto_what_is_stored(services: Services) -> None:
    store = services.store
    with store.transaction(lock=True) as cursor:
        cursor.execute(CreateTable(COUNTS, if_not_exists=True))
    with store.transaction(lock=True) as cursor:
        batch = Batch(cursor)
        batch.add(COUNTS, {"unit": "a", "n": 1, "hours": 2})
        batch.add(COUNTS, {"unit": "a", "n": 1, "hours": 3})
        batch.add(COUNTS, {"unit": "b", "n": 1, "hours": 0})
        batch.flush()
        assert _counts(cursor) == {"a": (2, 5), "b": (1, 0)}
    with store.transaction(lock=True) as cursor:
        batch = Batch(cursor)
        batch.add(COUNTS, {"unit": "a", "n": -1, "hours": 10})
        batch.flush()
        assert _counts(cursor) == {"a": (1, 15), "b": (1, 0)}


def test_a_plain_handler_sees_the_batch_so_far_and_the_batch_rereads_what_it_wrote(
    services: Services,
) -> None:
    services.projections.catch_up()
    store = services.store
    seen: list[str | None] = []

    def rename_members(cursor: Cursor, _: object) -> None:  # an old-style (cursor, event) handler
        members = cursor.t.members
        name = cursor.execute(select(members.c.name).where(members.c.id == "new")).fetchone()
        seen.append(name[0] if name else None)
        cursor.execute(members.update().values(name="改名"))

    with store.transaction(lock=True) as cursor:
        batch = Batch(cursor)
        some = batch.rows(cursor.t.members)[0]
        batch.insert(cursor.t.members, {**some, "id": "new", "name": "新成员"})
        per_event(rename_members)(batch, object())
        assert seen == ["新成员"]
        assert batch.row(cursor.t.members, "new")["name"] == "改名"
        assert batch.row(cursor.t.members, some["id"])["name"] == "改名"


def test_a_contributed_handler_keeps_running_counts_across_batches(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The standings' way in: a handler adding to counters, batch after batch."""
    store = services.store
    with store.transaction(lock=True) as cursor:
        cursor.execute(CreateTable(COUNTS, if_not_exists=True))

    def count_member(b: Batch, e: Member.MemberRegistered) -> None:
        b.add(COUNTS, {"unit": str(e.community_id), "n": 1, "hours": 0})

    monkeypatch.setattr(projector, "EXTRA_HANDLERS", [{Member.MemberRegistered: count_member}])
    services.projections.batch_size = 1  # every event a batch of its own
    services.projections.catch_up()
    with store.transaction() as cursor:
        members = cursor.t.members
        by_community = cursor.execute(
            select(members.c.community_id, func.count()).group_by(members.c.community_id)
        ).fetchall()
        assert {unit: n for unit, (n, _) in _counts(cursor).items()} == dict(by_community)
    assert max(n for _, n in by_community) >= 2  # one community's count, over two batches


def _audit_counts(store: ReadStore) -> tuple[int, int]:
    with store.transaction() as cursor:
        audit = cursor.t.audit
        found = cursor.execute(
            select(func.count(), func.count(audit.c.position.distinct()))
        ).fetchone()
    return int(found[0]), int(found[1])


def test_appended_rows_that_fail_half_way_through_leave_nothing_and_the_retry_applies_them_once(
    services: Services,
) -> None:
    """The audit and fact rows are appended (COPY on PostgreSQL) with no conflict check: a
    row already at a position the batch writes fails the whole batch, position included."""
    runner, store = services.projections, services.store
    head = services.app.recorder.max_notification_id()
    runner.batch_size = head
    planted = {
        "position": head, "aggregate_id": "x", "aggregate_type": "x", "event_type": "x",
        "version": 1, "actor": "x", "occurred_on": "x", "recorded_at": "x", "data": "{}",
    }  # fmt: skip
    with store.transaction(lock=True) as cursor:  # the last event's row, written ahead
        cursor.execute(insert(cursor.t.audit).values(planted))
    before = dump(store)
    with pytest.raises((psycopg.errors.UniqueViolation, sqlite3.IntegrityError)):
        runner.run_once()  # the batch's rows before the planted one went out first
    assert runner.position() == 0
    assert dump(store) == before

    with store.transaction(lock=True) as cursor:
        cursor.execute(delete(cursor.t.audit))
    assert runner.catch_up() == head
    assert _audit_counts(store) == (head, head)
    once = dump(store)
    rebuild(services.app, store)
    assert dump(store) == once


def test_a_runner_overtaken_by_another_applies_what_is_left_and_nothing_twice(
    services: Services,
) -> None:
    """A runner reads the log from where its own last batch ended; when another runner has
    gone further meanwhile, it goes on from there."""
    app, store = services.app, services.store
    first, second = (ProjectionRunner(app, store, batch_size=3) for _ in range(2))
    assert first.run_once() == 3
    second.catch_up()  # the log's head: what first read last is behind the position now
    for n in range(5):
        app.execute(
            co.RegisterCommunity(
                occurred_on=examples.D, name=f"新社区{n}", street_committee_id=examples.STREET
            ),
            actor="t",
        )
    head = app.recorder.max_notification_id()
    assert first.run_once() > 0, "the overtaken runner found nothing to do"
    first.catch_up()
    assert first.position() == second.position() == head
    assert _audit_counts(store) == (head, head)
    once = dump(store)
    rebuild(app, store)
    assert dump(store) == once


def test_a_statement_the_server_refuses_inside_the_pipelined_flush_fails_the_whole_batch(
    services: Services,
) -> None:
    """The flush sends its statements without waiting for each one's result (PostgreSQL's
    pipeline mode): a refusal still comes back, and the transaction keeps nothing."""
    runner, store = services.projections, services.store
    runner.catch_up()
    before, position = dump(store), runner.position()

    def write_a_batch_with_a_nameless_member() -> None:
        with store.transaction(lock=True) as cursor:
            batch = Batch(cursor)
            some = batch.rows(cursor.t.members)[0]
            batch.update(cursor.t.tracking, "read_models", position=position + 1)
            batch.insert(cursor.t.members, {**some, "id": "new"})
            batch.insert(cursor.t.members, {**some, "id": "nameless", "name": None})
            batch.flush()

    with pytest.raises((psycopg.errors.NotNullViolation, sqlite3.IntegrityError)):
        write_a_batch_with_a_nameless_member()
    assert runner.position() == position
    assert dump(store) == before


def test_a_batch_looks_up_any_number_of_keys_with_one_statement_and_one_parameter(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows a batch wants are read with a statement compiled once, the keys in one
    parameter (an array, or JSON on SQLite), not an IN list of a parameter per key that is
    compiled, sent and planned anew for every batch."""
    runner, store = services.projections, services.store
    runner.catch_up()
    with store.transaction() as cursor:
        members = sorted(row["id"] for row in Batch(cursor).rows(cursor.t.members))
    assert len(members) >= 2
    lookups: list[tuple[Any, Any]] = []
    real_execute = GenerationCursor.execute

    def execute(self: GenerationCursor, statement: Any, params: Any = ()) -> GenerationCursor:
        lookups.append((statement, params))
        return real_execute(self, statement, params)

    found: list[list[str | None]] = []
    for keys in (members[:1], [*members, "no-such-member"]):
        with store.transaction() as cursor:
            batch = Batch(cursor)
            for key in keys:
                batch.want(cursor.t.members, key)
            monkeypatch.setattr(GenerationCursor, "execute", execute)
            batch.load_wanted()
            monkeypatch.undo()
            rows = [batch.row(cursor.t.members, key) for key in keys]
            found.append([None if row is None else row["id"] for row in rows])
    assert found == [members[:1], [*members, None]]
    assert len(lookups) == 2
    (first, first_params), (second, second_params) = lookups
    assert first is second  # one statement, compiled once
    assert list(first_params) == list(second_params) == ["keys"]


@pytest.mark.parametrize("never_negative", [True, False])
def test_rows_left_at_zero_are_deleted_and_a_level_s_raised_rows_are_not_looked_at(
    services: Services, monkeypatch: pytest.MonkeyPatch, never_negative: bool
) -> None:
    """``drop_at``: a row a batch's sum leaves at zero is deleted, whether the sum lowered it
    (a level: a member left its bucket) or raised it (a dated change: -1 stored, +1 now).
    Of a level that is never negative (``Batch.never_negative``) only the rows the batch lowered
    are named in the delete, and a batch that only raises sends none."""
    store = services.store
    with store.transaction(lock=True) as cursor:
        cursor.execute(CreateTable(COUNTS, if_not_exists=True))
        batch = Batch(cursor)
        for unit, n in (("a", 1), ("b", 2), ("c", -1 if not never_negative else 1)):
            batch.add(COUNTS, {"unit": unit, "n": n, "hours": 0}, drop_at="n")
        batch.flush()
    named: list[list[str]] = []
    real_execute, real_executemany = GenerationCursor.execute, GenerationCursor.executemany

    def deletes(statement: Any) -> bool:
        return isinstance(statement, Prepared) and "DELETE" in str(statement.statement)

    def execute(self: GenerationCursor, statement: Any, params: Any = ()) -> GenerationCursor:
        if deletes(statement):  # PostgreSQL: the keys as one JSON parameter
            named.append(sorted(row["unit"] for row in json.loads(params["rows"])))
        return real_execute(self, statement, params)

    def executemany(self: GenerationCursor, statement: Any, rows: Any) -> None:
        if deletes(statement):  # SQLite: a row of parameters each
            named.append(sorted(row["k_unit"] for row in rows))
        return real_executemany(self, statement, rows)

    monkeypatch.setattr(GenerationCursor, "execute", execute)
    monkeypatch.setattr(GenerationCursor, "executemany", executemany)

    def apply(changes: dict[str, int]) -> dict[str, tuple[int, int]]:
        with store.transaction(lock=True) as cursor:
            batch = Batch(cursor)
            if never_negative:
                batch.never_negative(COUNTS)
            for unit, n in changes.items():
                batch.add(COUNTS, {"unit": unit, "n": n, "hours": 0}, drop_at="n")
            batch.flush()
            return _counts(cursor)

    raised = apply({"a": 1, "b": 3})
    assert raised["a"] == (2, 0)
    assert raised["b"] == (5, 0)
    after = apply({"a": -2, "b": 1, "c": 1})
    assert "a" not in after  # lowered to zero
    assert after["b"] == (6, 0)
    if never_negative:
        assert after["c"] == (2, 0)
        assert named == [["a"]]  # the first batch named none, the second only the lowered row
    else:
        assert "c" not in after  # a dated change, -1 stored, +1 now: at zero, deleted
        assert named == [["a", "b"], ["a", "b", "c"]]


class _Sent:
    """What reaches the PostgreSQL driver: statements run outside pipeline mode (each a
    round trip of its own) and pipelines (one round trip for everything sent in them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.alone = self.pipelined = self.pipelines = 0
        real_execute, real_pipeline = psycopg.Cursor.execute, psycopg.Connection.pipeline

        def execute(cursor: psycopg.Cursor[Any], *args: Any, **kwargs: Any) -> Any:
            if cursor.connection._pipeline is None:
                self.alone += 1
            else:
                self.pipelined += 1
            return real_execute(cursor, *args, **kwargs)

        def pipeline(conn: psycopg.Connection[Any]) -> Any:
            self.pipelines += 1
            return real_pipeline(conn)

        monkeypatch.setattr(psycopg.Cursor, "execute", execute)
        monkeypatch.setattr(psycopg.Connection, "pipeline", pipeline)


def test_a_batch_s_look_ups_in_several_tables_go_out_together_and_find_what_reads_one_by_one_find(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``load_wanted`` reads the keys of every table asked for, and every row of a table
    asked for whole, in one round trip on PostgreSQL (a pipeline), not one per table; what it
    finds is what reading row by row finds, and the rows are then kept (no further query)."""
    runner, store = services.projections, services.store
    runner.catch_up()
    with store.transaction() as cursor:
        t, first = cursor.t, Batch(cursor)
        members = sorted(row["id"] for row in first.rows(t.members))[:3]
        organizations = sorted(row["id"] for row in first.rows(t.organizations))[:2]
        communities = [row["id"] for row in first.rows(t.communities)]
        campaigns = sorted(first.rows(t.campaigns), key=lambda row: row["id"])
    assert members
    assert organizations
    assert communities
    assert campaigns
    wanted = {
        t.members: [*members, "no-such-member"],
        t.organizations: organizations,
        t.communities: [*communities, "no-such-community"],
    }
    with store.transaction() as cursor:
        one_by_one = Batch(cursor)
        expected = {
            table: [one_by_one.row(table, k) for k in keys] for table, keys in wanted.items()
        }
    assert expected[t.members][-1] is None
    assert expected[t.members][0] is not None
    with store.transaction() as cursor:
        batch = Batch(cursor)
        for table, keys in wanted.items():
            for key in keys:
                batch.want(table, key)
        batch.want_all(t.campaigns)
        sent = _Sent(monkeypatch)
        batch.load_wanted()
        after_load = (sent.alone, sent.pipelined, sent.pipelines)
        found = {table: [batch.row(table, k) for k in keys] for table, keys in wanted.items()}
        kept_campaigns = sorted(batch.rows(t.campaigns), key=lambda row: row["id"])
        monkeypatch.undo()
        assert (sent.alone, sent.pipelined, sent.pipelines) == after_load  # nothing read again
    assert found == expected
    assert kept_campaigns == campaigns
    if store.dialect == "postgres":
        assert after_load == (0, 4, 1)  # members, organizations, communities, campaigns


def test_a_catch_up_takes_one_connection_for_all_its_batches_and_other_threads_their_own(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within ``holding`` a thread's transactions run on one connection, taken from the pool
    and checked once; ``catch_up`` holds one for all its batches. Other threads meanwhile
    take their own."""
    runner, store = services.projections, services.store
    runner.batch_size = 5
    taken: list[int] = []
    if store.dialect == "postgres":
        pool = store.pool  # type: ignore[attr-defined]
        real_getconn = pool.getconn

        def getconn(*args: Any, **kwargs: Any) -> Any:
            taken.append(1)
            return real_getconn(*args, **kwargs)

        monkeypatch.setattr(pool, "getconn", getconn)
    applied = runner.catch_up()
    assert applied > 3 * runner.batch_size  # several batches
    assert runner.position() == services.app.recorder.max_notification_id()
    if store.dialect == "postgres":
        assert len(taken) == 2  # catch_up's, then position()'s own

    def backend(cursor: Cursor) -> Any:
        return cursor.execute(select(func.pg_backend_pid())).fetchone()[0]

    if store.dialect != "postgres":
        with store.holding():  # nothing to hold: a connection per transaction, as ever
            assert runner.position() == services.app.recorder.max_notification_id()
        return
    others: list[Any] = []
    with store.holding():
        with store.transaction() as cursor:
            held = backend(cursor)
        with store.transaction(lock=True) as cursor:
            assert backend(cursor) == held
            thread = threading.Thread(target=lambda: others.append(_in_own(store, backend)))
            thread.start()
            thread.join()
    assert len(others) == 1
    assert others[0] != held


def _in_own(store: ReadStore, read: Any) -> Any:
    with store.transaction() as cursor:
        return read(cursor)


@pytest.mark.parametrize("durable", [True, False])
def test_a_transaction_begins_and_reads_its_generation_in_one_round_trip(
    services: Services, monkeypatch: pytest.MonkeyPatch, durable: bool
) -> None:
    """On PostgreSQL, BEGIN, the rebuild's setting and the read (and lock) of the generation
    pointer go out in one pipeline, not a round trip each; the transaction then goes on outside
    pipeline mode (a COPY runs in it) and commits, or rolls back on an error."""
    store = services.store
    services.projections.catch_up()
    with store.holding():  # the pool's check of the connection is not the transaction's
        with store.transaction() as cursor:
            live = cursor.generation
        sent = _Sent(monkeypatch) if store.dialect == "postgres" else None
        with store.transaction(lock=True, durable=durable) as cursor:
            begun = None if sent is None else (sent.alone, sent.pipelined, sent.pipelines)
            assert cursor.generation == live
            row = {"unit": "a", "n": 1, "hours": 0}
            cursor.execute(CreateTable(COUNTS, if_not_exists=True))
            cursor.append_rows(COUNTS, [row])
    monkeypatch.undo()
    if begun is not None:
        assert begun == (0, 1 if durable else 2, 1)
    with store.transaction() as cursor:
        assert cursor.generation == live
        assert _counts(cursor) == {"a": (1, 0)}

    def failing_batch() -> None:
        with store.transaction(lock=True) as cursor:
            cursor.append_rows(COUNTS, [{**row, "unit": "b"}])
            raise RuntimeError("the batch fails after its rows are sent")

    with pytest.raises(RuntimeError):
        failing_batch()
    with store.transaction() as cursor:
        assert _counts(cursor) == {"a": (1, 0)}


def _flushing(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether a batch is being flushed now (``[True]``), as a flag the test reads."""
    now = [False]
    real_flush = Batch.flush

    def flush(self: Batch, *args: Any, **kwargs: Any) -> None:
        now[0] = True
        try:
            real_flush(self, *args, **kwargs)
        finally:
            now[0] = False

    monkeypatch.setattr(Batch, "flush", flush)
    return now


def test_the_next_batch_s_log_is_read_while_the_server_writes_the_batch_before(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a catch-up reads and decodes the log that follows a batch once that
    batch's statements are sent, before their results are waited for: the server writes
    while this process reads. Every event is still applied once. On SQLite the log is never
    read while a batch holds the read store's lock (see ``run_once``)."""
    runner, store = services.projections, services.store
    runner.batch_size = 5
    flushing = _flushing(monkeypatch)
    reads: list[bool] = []
    real_read = runner.read

    def read(position: int) -> Any:
        reads.append(flushing[0])
        return real_read(position)

    monkeypatch.setattr(runner, "read", read)
    head = services.app.recorder.max_notification_id()
    applied = runner.catch_up()
    assert applied == head
    batches = -(-head // runner.batch_size)
    if store.dialect == "postgres":
        # the first batch's log read before it; each later one's during the batch before
        assert reads.count(True) >= batches - 1
        assert reads.count(False) <= 3  # the first, and the empty ends of the catch-up
    else:
        assert not any(reads)
    assert runner.position() == head
    assert _audit_counts(store) == (head, head)  # every event once


def test_a_read_ahead_that_fails_is_read_again_by_the_next_batch(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log read during a batch's flush is not the batch's: if it fails, the batch
    commits all the same, and the next batch reads the log itself."""
    runner, store = services.projections, services.store
    runner.batch_size = 5
    flushing = _flushing(monkeypatch)
    real_read = runner.read
    failed: list[int] = []

    def read(position: int) -> Any:
        if flushing[0] and len(failed) < 3:
            failed.append(position)
            raise psycopg.OperationalError("the event store went away for a moment")
        return real_read(position)

    monkeypatch.setattr(runner, "read", read)
    head = services.app.recorder.max_notification_id()
    assert runner.catch_up() == head
    if store.dialect == "postgres":
        assert len(failed) == 3
    assert runner.position() == head
    assert _audit_counts(store) == (head, head)


def test_an_event_s_handlers_are_found_again_when_other_handlers_are_contributed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The handlers of an event class are kept once found; a list of contributed handlers
    put in their place (or one more contributed) is seen by the next event."""
    event = object.__new__(Member.MemberRegistered)
    found = projector._handlers_for(event)
    assert found == projector._handlers_for(event)

    def count_member(b: Batch, e: Member.MemberRegistered) -> None:
        pass

    monkeypatch.setattr(projector, "EXTRA_HANDLERS", [])
    assert projector._handlers_for(event) == found
    projector.EXTRA_HANDLERS.append({Member.MemberRegistered: count_member})
    assert projector._handlers_for(event) == (*found, count_member)
    monkeypatch.setattr(projector, "EXTRA_HANDLERS", [{Member.MemberRegistered: count_member}])
    assert projector._handlers_for(event) == (*found, count_member)
    monkeypatch.undo()
    assert projector._handlers_for(event) == found
