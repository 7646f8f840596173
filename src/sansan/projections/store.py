"""The read-model database: the same database as the event log, one code path for both kinds.

Statements are SQLAlchemy Core expressions over one *generation*'s tables
(``cursor.t``, from ``schema.read_model``), compiled for the store's dialect and run with
bound parameters on the store's own connections (psycopg 3 or sqlite3), so errors,
pooling and read-only handling stay those of the drivers. A rebuild fills generation
N+1 beside the live generation N, then one row (``sansan_projection_meta``) switches
readers and the runner over, atomically.
"""

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from functools import cache
from operator import itemgetter
from typing import Any, Protocol

from psycopg import Transaction, sql
from psycopg.errors import ReadOnlySqlTransaction
from psycopg_pool import ConnectionPool
from sqlalchemy import Select, Table, insert, select
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.elements import ClauseElement

from sansan.persistence import is_postgres, parse_postgres_url
from sansan.projections.schema import META, ReadModel, prefix_of, projection_meta, read_model
from sansan.projections.sql import Prepared, Upsert, bound, compile_for, compiled_read, upsert
from sansan.settings import Settings

__all__ = ["META", "Cursor", "GenerationCursor", "ReadStore", "open_read_store", "prefix_of"]

Statement = Executable | Prepared


class Cursor(Protocol):
    generation: int
    dialect: str

    @property
    def t(self) -> ReadModel: ...

    @property
    def description(self) -> Any: ...

    def execute(self, statement: Statement, params: Any = ()) -> "Cursor": ...
    def executemany(
        self, statement: Executable | Prepared, rows: Sequence[Mapping[str, Any]]
    ) -> None: ...
    def upsert(self, table: Table) -> Upsert: ...
    def append_rows(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def pipeline(self) -> AbstractContextManager[Any]: ...
    def results(self, statements: Sequence[tuple[Statement, Any]]) -> list[list[Any]]: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class GenerationCursor:
    """Runs read-model statements against one generation's tables."""

    def __init__(self, cursor: Any, generation: int, *, pyformat: bool) -> None:
        self._cursor, self.generation = cursor, generation
        self.dialect = "postgres" if pyformat else "sqlite"

    @property
    def t(self) -> ReadModel:
        """This generation's tables."""
        return read_model(self.generation)

    def execute(self, statement: Statement, params: Any = ()) -> "GenerationCursor":
        self._cursor.execute(*self._sql(statement, params))
        return self

    def results(self, statements: Sequence[tuple[Statement, Any]]) -> list[list[Any]]:
        """The rows of each of several reads, ``(statement, params)``, that do not depend on
        each other: on PostgreSQL all sent at once and answered in one round trip (a cursor
        each, in pipeline mode), not one round trip each; SQLite runs them one by one."""
        if self.dialect == "sqlite" or len(statements) < 2:
            return [self.execute(s, p).fetchall() for s, p in statements]
        conn = self._cursor.connection
        cursors = [conn.cursor() for _ in statements]
        try:
            with conn.pipeline() as pipeline:
                for cursor, (statement, params) in zip(cursors, statements, strict=True):
                    cursor.execute(*self._sql(statement, params))
                pipeline.sync()
            return [list(cursor.fetchall()) for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()

    def _sql(self, statement: Statement, params: Any) -> tuple[str, dict[str, Any]]:
        if isinstance(statement, Select) and not params:
            return compiled_read(statement, self.dialect)
        compiled = self._compiled(statement)
        return compiled.string, bound(compiled, params or None)

    def executemany(
        self, statement: Executable | Prepared, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """One statement for many rows: one round trip per batch on both drivers."""
        if not rows:
            return
        compiled = self._compiled(statement, column_keys=list(rows[0]))
        self._cursor.executemany(compiled.string, [bound(compiled, row) for row in rows])

    def upsert(self, table: Table) -> Upsert:
        return upsert(self.dialect, table)

    def pipeline(self) -> AbstractContextManager[Any]:
        """Statements run inside are sent without waiting for each other's results (on
        PostgreSQL; SQLite runs in-process, with no round trips to save). Nothing inside
        may read a result."""
        if self.dialect == "sqlite":
            return nullcontext()
        return self._cursor.connection.pipeline()

    def append_rows(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """New rows, every column given, with no conflict check: on PostgreSQL one COPY (the
        server parses no statement per row and plans nothing), on SQLite one ``executemany``.
        A row whose key is already stored fails the statement, and so the transaction."""
        if not rows:
            return
        if self.dialect == "sqlite":
            self.executemany(_plain_insert(table), rows)
            return
        values = itemgetter(*(c.name for c in table.columns))
        with self._cursor.copy(_copy(table)) as copy:
            for row in rows:
                copy.write_row(values(row))

    def _compiled(
        self, statement: Executable | Prepared, column_keys: Sequence[str] = ()
    ) -> Compiled:
        if isinstance(statement, Prepared):
            return statement.compiled(self.dialect, column_keys)
        if not isinstance(statement, ClauseElement):
            raise TypeError(f"not a statement: {statement!r}")
        return compile_for(statement, self.dialect, column_keys)

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())


@cache
def _plain_insert(table: Table) -> Prepared:
    return Prepared(insert(table))


@cache
def _copy(table: Table) -> sql.Composed:
    """COPY into a read-model table (found on the store's search path), every column."""
    columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
    return sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name), columns)


class ReadStore(Protocol):
    dialect: str

    def transaction(
        self,
        *,
        lock: bool = False,
        generation: int | None = None,
        pointer: bool = True,
        durable: bool = True,
    ) -> Any:
        """A cursor in one transaction, on the live generation unless one is named.

        ``lock`` takes the write lock at once and holds the generation pointer, so
        no switch can happen under the transaction; ``pointer=False`` leaves the
        pointer alone (for creating it). ``durable=False``: the commit does not wait for
        its log to reach the disk (PostgreSQL's ``synchronous_commit = off`` for this
        transaction alone): a server crash may lose it whole, never half of it. Only for
        work that is redone from scratch when lost (a rebuild's new generation); SQLite
        commits as it always does.
        """
        ...

    def holding(self) -> AbstractContextManager[None]:
        """Within it, this thread's transactions run on one connection, taken (and checked)
        once, not taken from the pool and checked for each."""
        ...

    def close(self) -> None: ...


def _ask_live_generation(raw: Any, *, lock: bool, pyformat: bool) -> None:
    """Send the read of the live generation (held with FOR UPDATE when ``lock``, on
    PostgreSQL); its row is fetched by ``_live_generation``."""
    statement = select(projection_meta.c.generation).where(projection_meta.c.id == 1)
    if lock and pyformat:
        statement = statement.with_for_update()
    compiled = compile_for(statement, "postgres" if pyformat else "sqlite")
    raw.execute(compiled.string, bound(compiled))


def _live_generation(raw: Any) -> int:
    row = raw.fetchone()
    return 1 if row is None else int(row[0])


def _asks_generation(lock: bool, generation: int | None, pointer: bool) -> bool:
    """Whether the transaction reads the pointer (a locking one always holds it)."""
    return pointer and (lock or generation is None)


def _chosen(raw: Any, generation: int | None, asked: bool) -> int:
    """The generation to work on: the one named, else the live one (read if ``asked``)."""
    if not asked:
        return generation or 1
    live = _live_generation(raw)
    return live if generation is None else generation


class PostgresReadStore:
    dialect = "postgres"

    def __init__(self, settings: Settings) -> None:
        target = parse_postgres_url(settings.database_url)
        self.schema = target.schema
        self.pool = ConnectionPool(
            target.conninfo(),
            min_size=1,
            max_size=settings.postgres_pool_size,
            kwargs={"options": f"-c search_path={target.schema}"},
            open=True,
            timeout=settings.postgres_connect_timeout_s,
            reconnect_timeout=settings.postgres_connect_timeout_s,  # see PromptPostgresRecorder
            # A connection broken by a server restart is replaced, not handed to a request.
            check=ConnectionPool.check_connection,
        )
        self._held = threading.local()  # the connection this thread holds (``holding``)

    @contextmanager
    def holding(self) -> Iterator[None]:
        """This thread's transactions on one connection until the block ends: a runner
        catching up holds it across its batches, so each batch does not take one from the
        pool and check it with a round trip of its own. A connection that breaks fails the
        transaction on it, which ends the block (the pool then discards it)."""
        if getattr(self._held, "conn", None) is not None:
            yield  # already held further up
            return
        with self.pool.connection() as conn:
            self._held.conn = conn
            try:
                yield
            finally:
                self._held.conn = None

    def _connection(self) -> AbstractContextManager[Any]:
        held = getattr(self._held, "conn", None)
        return self.pool.connection() if held is None else nullcontext(held)

    @contextmanager
    def transaction(
        self,
        *,
        lock: bool = False,
        generation: int | None = None,
        pointer: bool = True,
        durable: bool = True,
    ) -> Iterator[GenerationCursor]:
        asked = _asks_generation(lock, generation, pointer)
        try:
            with self._connection() as conn, ExitStack() as open_:
                # BEGIN, the setting and the pointer's read go out together: one round trip
                # (the pipeline's end) instead of one each; the row is fetched after it. The
                # transaction goes on outside pipeline mode (``conn.transaction()`` would keep
                # it in, where COPY cannot run), and commits as ever.
                with conn.pipeline():
                    open_.enter_context(Transaction(conn))
                    raw = open_.enter_context(conn.cursor())
                    if not durable:
                        raw.execute("SET LOCAL synchronous_commit TO OFF")
                    if asked:
                        _ask_live_generation(raw, lock=lock, pyformat=True)
                yield GenerationCursor(raw, _chosen(raw, generation, asked), pyformat=True)
        except ReadOnlySqlTransaction:
            # The session keeps the read-only default it began with; new ones see the
            # store as it is now, so the next try can write once the store is writable.
            self.pool.drain()
            raise

    def close(self) -> None:
        self.pool.close()


class SQLiteReadStore:
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path

    @contextmanager
    def transaction(
        self,
        *,
        lock: bool = False,
        generation: int | None = None,
        pointer: bool = True,
        durable: bool = True,  # ignored: SQLite commits as its connection is set to
    ) -> Iterator[GenerationCursor]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
            try:
                raw = conn.cursor()
                asked = generation is None
                if asked:
                    _ask_live_generation(raw, lock=lock, pyformat=False)
                live = _chosen(raw, generation, asked)
                yield GenerationCursor(raw, live, pyformat=False)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()

    def holding(self) -> AbstractContextManager[None]:
        """Connections are per transaction (opening one costs no round trip)."""
        return nullcontext()

    def close(self) -> None:
        """Connections are per transaction; nothing stays open."""


def open_read_store(settings: Settings) -> ReadStore:
    if is_postgres(settings):
        return PostgresReadStore(settings)
    return SQLiteReadStore(settings.database_url.removeprefix("sqlite:///"))
