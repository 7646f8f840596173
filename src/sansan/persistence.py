"""Settings → the eventsourcing library's persistence variables, and table creation.

This is the only place that knows the library's environment variable names.
"""

import fcntl
import hashlib
import sqlite3
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, wraps
from pathlib import Path
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar, cast
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    InternalError,
    JSONTranscoder,
    Mapper,
    OperationalError,
    StoredEvent,
    find_id_convertor,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import resolve_topic
from psycopg import Cursor, sql
from psycopg.rows import tuple_row
from psycopg_pool import PoolTimeout
from sqlalchemy import Column, MetaData, Table, Text, column, select, table
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql.elements import ClauseElement

from sansan.internal_ids import new_secret
from sansan.projections.sql import bound, compile_for
from sansan.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")
Rec = TypeVar("Rec", bound=PostgresApplicationRecorder)

SECRETS_TABLE = "sansan_service_secrets"
ID_SECRET = "id_secret"
# Any fixed 64-bit number; it names the lock that serialises table creation.
MIGRATION_LOCK_KEY = 0x5A45_5341_4E53_414E


class DatabaseUrlError(ValueError):
    pass


@dataclass(frozen=True)
class PostgresTarget:
    host: str
    port: int
    user: str
    password: str
    dbname: str
    schema: str

    def conninfo(self) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=self.dbname,
        )


def is_read_only_refusal(exc: BaseException) -> bool:
    """PostgreSQL refused a write in a read-only session (default_transaction_read_only,
    a hot standby). The library re-raises it as its own InternalError, psycopg's as cause.
    """
    return any(
        isinstance(e, psycopg.errors.ReadOnlySqlTransaction) for e in (exc, exc.__cause__)
    )


def _once_more_on_fresh_connections(
    method: Callable[Concatenate[Rec, P], R],
) -> Callable[Concatenate[Rec, P], R]:
    @wraps(method)
    def call(recorder: Rec, *args: P.args, **kwargs: P.kwargs) -> R:
        pool = recorder.datastore.pool
        try:
            return method(recorder, *args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            if isinstance(exc.__cause__, PoolTimeout):
                raise  # no connection to be had: the server is away, so say so now
            # A connection broke; after a server restart all of them have. Replace every
            # broken one (without the pool's growing pauses between them) and try again.
            pool.check()
        except InternalError as exc:
            if not is_read_only_refusal(exc):
                raise
            # A session keeps the read-only default it began with, even once the store is
            # writable again; new sessions see the store as it is now.
            pool.drain()
        return method(recorder, *args, **kwargs)

    return call


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory-lock key for a name. Advisory locks are per database, not per
    schema, so every lock that guards one store's work is keyed by a name that includes the
    schema: two stores in one database must never wait on (or lead for) each other."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _lock_inserts_without_table_privileges(recorder: PostgresApplicationRecorder) -> None:
    """Serialise event inserts with an advisory lock instead of ``LOCK TABLE``.

    The library locks the events table IN EXCLUSIVE MODE so that notification ids commit
    in the order they were issued; PostgreSQL grants that lock mode only to roles that
    may UPDATE, DELETE or TRUNCATE the table, which the service's role must not. Every
    insert goes through the library, so a transaction-scoped advisory lock, one per
    schema and table, serialises the same writers with no table privilege beyond INSERT.
    """
    key = advisory_key(f"{recorder.datastore.schema}.{recorder.events_table_name}")
    # One statement: the lock timeout set (for this transaction) before the lock is asked
    # for, left to right in one target list; the NOTIFY is sent at commit wherever it stands.
    recorder.lock_table_statements = [
        _rendered(
            sql.SQL(
                "SELECT set_config('lock_timeout', {0}, true), pg_advisory_xact_lock({1}),"
                " pg_notify({2}, '')"
            ).format(
                sql.Literal(f"{recorder.datastore.lock_timeout}s"),
                sql.Literal(key),
                sql.Literal(recorder.channel_name),
            )
        )
    ]


_library_insert_events = PostgresApplicationRecorder.insert_events.__wrapped__
_BEGIN = sql.SQL("BEGIN")
_COMMIT = sql.SQL("COMMIT")


def _rendered(statement: sql.Composable) -> sql.Composed:
    """A composed statement as one plain SQL string (identifiers quoted once, here)."""
    return sql.Composed([sql.SQL(statement.as_string())])


def _events_in_binary(statement: sql.Composed) -> sql.Composed:
    """The library's insert with its one ``%s`` (the array of the events' composite type) as
    ``%b``: sent in binary.

    With ``%s`` psycopg takes the list's text dumper, and a text list takes its items' text
    dumper whatever is registered for them: every event's state was hex-escaped inside a
    quoted composite inside a quoted array, in Python (``composite.py: _dump_text_sequence``),
    a fifth of a write's CPU over HTTP (docs/benchmarks.md, "Issue 17 item 4") and 0.36 s of
    CPU per 20,000 events against 0.055 s in binary (the import's batches). The rows stored
    are the same."""
    parts = [
        sql.SQL(part.as_string().replace("%s", "%b")) if isinstance(part, sql.SQL) else part
        for part in statement
    ]
    binary = sql.Composed(parts)
    assert binary.as_string().count("%b") == 1, "the library's insert statement changed"
    return binary


class PromptPostgresRecorder(PostgresApplicationRecorder):
    """The library's recorder, but prompt when the server is away.

    The library tries each call ten times on a connection failure. While the server is
    down every attempt waits out the connect timeout, so a request would hang for ten of
    them; here it fails after one, the API answers 503, and the client's retry with the
    same Idempotency-Key is safe whether or not the write got in. A connection broken by
    a server restart, or a session left read-only, fails fast: that gets one more try on
    fresh connections. Its inserts take an advisory lock instead of a table lock.
    """

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        _lock_inserts_without_table_privileges(self)
        # The library composes its insert transaction's statements from identifiers, which
        # psycopg renders again on every execute (and the NOTIFY is composed anew per insert);
        # rendered once here, the same text goes to the server.
        self.insert_events_statement = _rendered(
            _events_in_binary(self.insert_events_statement)
        )
        events = sql.SQL("{0}.{1}").format(
            sql.Identifier(datastore.schema), sql.Identifier(self.events_table_name)
        )
        self._topic_tail_statement = _rendered(
            sql.SQL(
                "SELECT h.head, e.notification_id, e.originator_id"
                " FROM (SELECT max(notification_id) AS head FROM {0}) AS h"
                " LEFT JOIN LATERAL (SELECT notification_id, originator_id FROM {0}"
                "  WHERE notification_id > %s AND notification_id <= h.head AND topic = %s"
                "  ORDER BY notification_id LIMIT %s) AS e ON true"
                " ORDER BY e.notification_id"
            ).format(events)
        )
        # The pool retries a failed connection with doubling pauses, so after a long outage
        # it would notice the server's return only as long after. Giving up after the time a
        # request waits lets the next request start a fresh attempt at once.
        datastore.pool.reconnect_timeout = datastore.pool.timeout

    @_once_more_on_fresh_connections
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert transaction in two round trips instead of five.

        The library's ``conn.transaction()`` inside ``conn.pipeline()`` waits on Syncs of
        its own after ``BEGIN``, around ``COMMIT`` and at the pipeline's end, each wait held
        under the insert lock that serialises every writer. Here ``BEGIN``, the lock (with
        its timeout and the NOTIFY) and the insert go in one Sync; ``COMMIT`` goes with the
        pipeline's closing Sync, only once the ids are back: a writer killed before that,
        while it waits on the lock say, leaves nothing (tests/fault/test_killed_mid_request).
        """
        if not stored_events or any(v is not None for v in kwargs.values()):
            # Nothing to insert, or a process recorder's tracking: the library's way, once.
            return _library_insert_events(self, stored_events, **kwargs)
        rows = [
            self.construct_pg_stored_event(
                e.originator_id, e.originator_version, e.topic, e.state
            )
            for e in stored_events
        ]
        # A refusal (the lock's timeout, a version taken) raises at the first Sync; the pool's
        # connection context then rolls the failed transaction back.
        with self.datastore.get_connection() as conn, conn.pipeline() as pipeline:
            # one cursor for all four (it holds the last statement's rows); the ids as tuples,
            # not the pool's dicts: one built per event saved
            curs = conn.cursor(row_factory=tuple_row)
            curs.execute(_BEGIN)
            curs.execute(self.lock_table_statements[0], prepare=True)
            curs.execute(self.insert_events_statement, (rows,), prepare=True)
            pipeline.sync()
            ids = [row[0] for row in curs.fetchall()]
            curs.execute(_COMMIT)
        return ids

    @_once_more_on_fresh_connections
    def topic_tail(
        self, position: int, topic: str, limit: int
    ) -> tuple[int, list[tuple[int, UUID]]]:
        """The log's head and the first ``limit`` events of ``topic`` after ``position`` up to
        that head, in one statement (one snapshot), for the principal cache's revocation look
        (sansan/principals.py), which otherwise asks ``max_notification_id`` and then
        ``select_notifications``."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._topic_tail_statement, (position, topic, limit), prepare=True)
            rows = curs.fetchall()
        head = (rows[0]["head"] or 0) if rows else 0
        return head, [
            (row["notification_id"], row["originator_id"])
            for row in rows
            if row["notification_id"] is not None
        ]

    select_events = _once_more_on_fresh_connections(
        PostgresApplicationRecorder.select_events.__wrapped__
    )
    select_notifications = _once_more_on_fresh_connections(
        PostgresApplicationRecorder.select_notifications.__wrapped__
    )
    max_notification_id = _once_more_on_fresh_connections(
        PostgresApplicationRecorder.max_notification_id.__wrapped__
    )


def parse_postgres_url(url: str) -> PostgresTarget:
    parts = urlsplit(url)
    dbname = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not dbname:
        raise DatabaseUrlError(f"PostgreSQL URL needs a host and a database name: {url!r}")
    schema = parse_qs(parts.query).get("schema", ["public"])[0]
    return PostgresTarget(
        host=parts.hostname,
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname=dbname,
        schema=schema,
    )


def is_postgres(settings: Settings) -> bool:
    return settings.database_url.startswith(("postgresql://", "postgres://"))


def library_env(settings: Settings, *, create_tables: bool) -> dict[str, str]:
    env = {
        "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size or ""),
        "CREATE_TABLE": "y" if create_tables else "n",
    }
    url = settings.database_url
    if is_postgres(settings):
        pg = parse_postgres_url(url)
        env |= {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_HOST": pg.host,
            "POSTGRES_PORT": str(pg.port),
            "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password,
            "POSTGRES_DBNAME": pg.dbname,
            "POSTGRES_SCHEMA": pg.schema,
            "POSTGRES_LOCK_TIMEOUT": str(settings.postgres_lock_timeout_s),
            "POSTGRES_CONNECT_TIMEOUT": str(settings.postgres_connect_timeout_s),
            "APPLICATION_RECORDER_TOPIC": f"{__name__}:{PromptPostgresRecorder.__name__}",
            "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.postgres_max_overflow),
            # The library's DB functions give up its table lock, so readers could skip gaps.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        }
    elif url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path:
            raise DatabaseUrlError(f"SQLite URL needs a file path: {url!r}")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        env |= {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            # Writers queue on one file; give a burst time to drain before answering 503.
            "SQLITE_LOCK_TIMEOUT": "15",
        }
    else:
        raise DatabaseUrlError(
            f"SANSAN_DATABASE_URL must start with sqlite:/// or postgresql://, got {url!r}"
        )
    return env


@contextmanager
def migration_lock(settings: Settings) -> Iterator[None]:
    """Hold a lock that serialises table creation across processes.

    Several processes starting at once on PostgreSQL otherwise race in the library's
    CREATE TABLE IF NOT EXISTS ("tuple concurrently updated"); on a new SQLite file,
    in the library's switch to WAL, where two connections that both read the file
    deadlock and SQLite answers "database is locked" without waiting its timeout.
    """
    if not is_postgres(settings):
        with _sqlite_migration_lock(settings):
            yield
        return
    pg = parse_postgres_url(settings.database_url)
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(pg.schema))
            )
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


@contextmanager
def _sqlite_migration_lock(settings: Settings) -> Iterator[None]:
    """An exclusive lock on a file beside the database, held while tables are created.

    Not a lock on the database file itself: closing any descriptor of that file drops
    every POSIX lock this process holds on it, SQLite's own included.
    """
    path = settings.database_url.removeprefix("sqlite:///")
    if path in ("", ":memory:"):
        yield  # no file (library_env says what is wrong), or one process's own store
        return
    lock_file = Path(f"{path}-migrate.lock")
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def log_position(recorder: ApplicationRecorder, aggregate_id: UUID, version: int) -> int | None:
    """The log position (notification id) at which one stored event was recorded.

    The library has no query for this; it is needed to answer a replayed request
    exactly as the first time.
    """
    if isinstance(recorder, PostgresApplicationRecorder):
        query = sql.SQL(
            "SELECT notification_id FROM {}.{} WHERE originator_id = %s AND originator_version = %s"
        ).format(
            sql.Identifier(recorder.datastore.schema), sql.Identifier(recorder.events_table_name)
        )
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(query, (aggregate_id, version))
            found = curs.fetchone()  # the library's cursors return dict rows
        return None if found is None else int(found["notification_id"])
    if isinstance(recorder, SQLiteApplicationRecorder):
        events = table(
            recorder.events_table_name,
            column("rowid"), column("originator_id"), column("originator_version"),
        )  # fmt: skip
        statement = select(events.c.rowid).where(
            events.c.originator_id == aggregate_id.hex,
            events.c.originator_version == version,
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            _sqlite(cursor, statement)
            row = cursor.fetchone()
        return None if row is None else int(row[0])
    raise NotImplementedError(f"log positions are not kept by {type(recorder).__name__}")


class LogRow(NamedTuple):
    """A notification as the projection reads it: the library's ``Notification`` fields,
    and the aggregate's id as text (its read-model key)."""

    id: int
    originator_id: UUID | str
    originator_version: int
    topic: str
    state: bytes
    aggregate_id: str


def notifications_after(recorder: ApplicationRecorder, start: int, limit: int) -> list[LogRow]:
    """The log after ``start``, in order, at most ``limit``: the library's
    ``select_notifications``, and on PostgreSQL the same query read as tuples in binary (no
    hex text for each event's state, no dict or frozen dataclass per row, the id's text made
    by the server); the projection reads the whole log through it."""
    if isinstance(recorder, PostgresApplicationRecorder):
        return _postgres_notifications_after(recorder, start, limit)
    return [
        LogRow(n.id, n.originator_id, n.originator_version, n.topic, n.state,
               str(n.originator_id))
        for n in recorder.select_notifications(start, limit, inclusive_of_start=False)
    ]  # fmt: skip


@_once_more_on_fresh_connections
def _postgres_notifications_after(
    recorder: PostgresApplicationRecorder, start: int, limit: int
) -> list[LogRow]:
    query = sql.SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state,"
        " originator_id::text FROM {}.{}"
        " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    ).format(sql.Identifier(recorder.datastore.schema), sql.Identifier(recorder.events_table_name))
    with (
        recorder.datastore.get_connection() as conn,
        conn.cursor(row_factory=_log_row, binary=True) as curs,
    ):
        curs.execute(query, (start, limit), prepare=True)
        return curs.fetchall()


def _log_row(cursor: Cursor[Any]) -> Callable[[Sequence[Any]], LogRow]:
    return LogRow._make


def domain_events(mapper: Mapper[UUID], rows: Sequence[LogRow]) -> list[Any]:
    """The rows' events, as ``mapper.to_domain_event`` makes them one by one: with the
    library's JSON transcoder and neither cipher nor compressor, every state of the batch
    is parsed in one call of the transcoder's own decoder (its per-object hook makes the
    ids, days and times), and each event is made as the mapper makes it (upcast to its
    class's version, its ``__dict__`` the decoded state)."""
    transcoder = mapper.transcoder
    if mapper.cipher or mapper.compressor or type(transcoder) is not JSONTranscoder:
        return [mapper.to_domain_event(row) for row in rows]  # type: ignore[arg-type]
    if not rows:
        return []
    joined = b"[" + b",".join([row.state for row in rows]) + b"]"
    try:
        states: list[dict[str, Any]] = transcoder.decoder.decode(joined.decode("utf8"))
        if not isinstance(states, list) or len(states) != len(rows):
            raise ValueError("not one state per row")
    except ValueError:  # the mapper names the row it cannot read
        return [mapper.to_domain_event(row) for row in rows]  # type: ignore[arg-type]
    events = []
    for row, state in zip(rows, states, strict=True):
        id_type = cast(Hashable, type(row.originator_id))
        cls, convert, class_version = _event_class(row.topic, id_type)
        state["originator_id"] = convert(row.originator_id)
        state["originator_version"] = row.originator_version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        events.append(event)
    return events


@cache
def _event_class(topic: str, id_type: Hashable) -> tuple[Any, Callable[[Any], Any], int]:
    """A topic's event class, the convertor of its ids and its class version, found once per
    topic and id type (each was a look-up per event)."""
    cls = resolve_topic(topic)
    return cls, find_id_convertor(cls, id_type), getattr(cls, "class_version", 1)


def stored_events_of(recorder: ApplicationRecorder, aggregate_ids: list[UUID]) -> list[StoredEvent]:
    """Every stored event of the given aggregates, each aggregate's in order, in one query.

    The library reads one aggregate a query; an import about to run rows on many units the
    store holds reads them all at once instead.
    """
    if not aggregate_ids:
        return []
    if isinstance(recorder, PostgresApplicationRecorder):
        query = sql.SQL(
            "SELECT originator_id, originator_version, topic, state FROM {}.{}"
            " WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(
            sql.Identifier(recorder.datastore.schema), sql.Identifier(recorder.events_table_name)
        )
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(query, (aggregate_ids,))
            rows = curs.fetchall()  # the library's cursors return dict rows
        return [
            StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
            for r in rows
        ]
    if isinstance(recorder, SQLiteApplicationRecorder):
        events = table(
            recorder.events_table_name,
            column("originator_id"), column("originator_version"), column("topic"),
            column("state"),
        )  # fmt: skip
        statement = (
            select(events.c.originator_id, events.c.originator_version)
            .add_columns(events.c.topic, events.c.state)
            .where(events.c.originator_id.in_([i.hex for i in aggregate_ids]))
            .order_by(events.c.originator_id, events.c.originator_version)
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            _sqlite(cursor, statement)
            found = cursor.fetchall()
        return [StoredEvent(UUID(str(r[0])), int(r[1]), str(r[2]), bytes(r[3])) for r in found]
    raise NotImplementedError(f"stored events are not read from {type(recorder).__name__}")


def id_secret(settings: Settings, *, create_table: bool) -> bytes:
    """The key of internal ids: the setting, or else the one kept in the store.

    The first process to start on a store generates it; the insert is a no-op for
    every later one (even one racing it), and all read back the same row.
    """
    if settings.id_secret is not None:
        return settings.id_secret.get_secret_value().encode()
    if is_postgres(settings):
        return _postgres_secret(parse_postgres_url(settings.database_url), create_table).encode()
    path = settings.database_url.removeprefix("sqlite:///")
    if path == ":memory:":
        return new_secret().encode()  # a store that lives and dies with this one process
    return _sqlite_secret(path, create_table).encode()


def _postgres_secret(target: PostgresTarget, create_table: bool) -> str:
    table = sql.Identifier(target.schema, SECRETS_TABLE)
    select = sql.SQL("SELECT value FROM {} WHERE name = %s").format(table)
    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        if create_table:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, value text NOT NULL)"
                ).format(table)
            )
        row = conn.execute(select, (ID_SECRET,)).fetchone()
        if row is None:  # read first: a read-only store (a standby) still starts
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING"
                ).format(table),
                (ID_SECRET, new_secret()),
            )
            row = conn.execute(select, (ID_SECRET,)).fetchone()
    assert row is not None, "the secret was inserted or already there"
    return str(row[0])


_secrets = Table(
    SECRETS_TABLE,
    MetaData(),
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
)


def _sqlite(cursor: Any, statement: ClauseElement) -> Any:
    """Run a Core statement on a sqlite3 connection or cursor (the event store's own, or
    one of ours); what its ``execute`` answers."""
    compiled = compile_for(statement, "sqlite")
    return cursor.execute(compiled.string, bound(compiled))


def _sqlite_secret(path: str, create_table: bool) -> str:
    select_secret = select(_secrets.c.value).where(_secrets.c.name == ID_SECRET)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        if create_table:
            _sqlite(conn, CreateTable(_secrets, if_not_exists=True))
        row = _sqlite(conn, select_secret).fetchone()
        if row is None:
            new = {"name": ID_SECRET, "value": new_secret()}
            _sqlite(conn, sqlite_insert(_secrets).values(new).on_conflict_do_nothing())
            row = _sqlite(conn, select_secret).fetchone()
    finally:
        conn.close()
    return str(row[0])
