"""The read-model database: the same database as the event log, one code path for both kinds.

SQL is written with ``?`` placeholders and ``rm_`` table names. A cursor turns the
placeholders into ``%s`` on PostgreSQL, and the table names into those of one
*generation* of the read models: a rebuild fills generation N+1 beside the live
generation N, then one row (``sansan_projection_meta``) switches readers and the
runner over, atomically.
"""

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from psycopg.errors import ReadOnlySqlTransaction
from psycopg_pool import ConnectionPool

from sansan.persistence import is_postgres, parse_postgres_url
from sansan.settings import Settings

META = "sansan_projection_meta"
_TABLE_PREFIX = re.compile(r"\brm_")


def prefix_of(generation: int) -> str:
    return "rm_" if generation == 1 else f"rm{generation}_"


class Cursor(Protocol):
    generation: int

    @property
    def description(self) -> Any: ...

    def execute(self, statement: str, params: Sequence[Any] = ()) -> "Cursor": ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class GenerationCursor:
    """Runs read-model SQL against one generation's tables."""

    def __init__(self, cursor: Any, generation: int, *, pyformat: bool) -> None:
        self._cursor, self.generation, self._pyformat = cursor, generation, pyformat
        self._prefix = prefix_of(generation)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> "GenerationCursor":
        if self._prefix != "rm_":
            statement = _TABLE_PREFIX.sub(self._prefix, statement)
        if self._pyformat:
            statement = statement.replace("%", "%%").replace("?", "%s")
        self._cursor.execute(statement, params)
        return self

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())


class ReadStore(Protocol):
    dialect: str

    def transaction(
        self, *, lock: bool = False, generation: int | None = None, pointer: bool = True
    ) -> Any:
        """A cursor in one transaction, on the live generation unless one is named.

        ``lock`` takes the write lock at once and holds the generation pointer, so
        no switch can happen under the transaction; ``pointer=False`` leaves the
        pointer alone (for creating it).
        """
        ...

    def close(self) -> None: ...


def _live_generation(raw: Any, *, lock: bool, pyformat: bool) -> int:
    suffix = " FOR UPDATE" if lock and pyformat else ""
    raw.execute(f"SELECT generation FROM {META} WHERE id = 1{suffix}")
    row = raw.fetchone()
    return 1 if row is None else int(row[0])


def _chosen(
    raw: Any, lock: bool, generation: int | None, *, pyformat: bool, pointer: bool = True
) -> int:
    """The generation to work on; a locking transaction always holds the pointer row."""
    if not pointer:
        return generation or 1
    if lock or generation is None:
        live = _live_generation(raw, lock=lock, pyformat=pyformat)
        return live if generation is None else generation
    return generation


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

    @contextmanager
    def transaction(
        self, *, lock: bool = False, generation: int | None = None, pointer: bool = True
    ) -> Iterator[GenerationCursor]:
        try:
            with self.pool.connection() as conn, conn.transaction(), conn.cursor() as raw:
                chosen = _chosen(raw, lock, generation, pyformat=True, pointer=pointer)
                yield GenerationCursor(raw, chosen, pyformat=True)
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
        self, *, lock: bool = False, generation: int | None = None, pointer: bool = True
    ) -> Iterator[GenerationCursor]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
            try:
                raw = conn.cursor()
                live = (
                    _live_generation(raw, lock=lock, pyformat=False)
                    if generation is None
                    else generation
                )
                yield GenerationCursor(raw, live, pyformat=False)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()

    def close(self) -> None:
        """Connections are per transaction; nothing stays open."""


def open_read_store(settings: Settings) -> ReadStore:
    if is_postgres(settings):
        return PostgresReadStore(settings)
    return SQLiteReadStore(settings.database_url.removeprefix("sqlite:///"))
