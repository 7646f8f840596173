"""The read-model database: the same database as the event log, one code path for both kinds.

SQL is written with ``?`` placeholders; the PostgreSQL side turns them into ``%s``.
"""

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from psycopg_pool import ConnectionPool

from sansan.persistence import is_postgres, parse_postgres_url
from sansan.settings import Settings


class Cursor(Protocol):
    @property
    def description(self) -> Any: ...

    def execute(self, statement: str, params: Sequence[Any] = ()) -> "Cursor": ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class ReadStore(Protocol):
    dialect: str

    def transaction(self, *, lock: bool = False) -> Any:
        """A cursor in one transaction; ``lock`` takes the write lock at once."""
        ...

    def close(self) -> None: ...


class _PgCursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> "_PgCursor":
        self._cursor.execute(statement.replace("?", "%s"), params)
        return self

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())


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
        )

    @contextmanager
    def transaction(self, *, lock: bool = False) -> Iterator[Cursor]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            yield _PgCursor(cursor)

    def close(self) -> None:
        self.pool.close()


class SQLiteReadStore:
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path

    @contextmanager
    def transaction(self, *, lock: bool = False) -> Iterator[Cursor]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
            try:
                yield conn.cursor()
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
