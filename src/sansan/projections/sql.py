"""Compiling read-model statements for the store they run on.

SQLAlchemy Core composes the statements; the store's own connections (psycopg 3, sqlite3)
run them with the bound parameters the compiler lists. Statements run per event or per row
are wrapped in ``Prepared`` once, so they compile once per dialect, not per call.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite import Insert as SQLiteInsert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.ddl import ExecutableDDLElement
from sqlalchemy.sql.elements import ClauseElement

_postgres = postgresql.psycopg.dialect()
# SQLAlchemy learns this from the server on connecting, which a compile-only dialect never
# does; every supported server has standard_conforming_strings on (the default since 9.1),
# so a backslash in a literal (LIKE ... ESCAPE '\') is one character.
_postgres._backslash_escapes = False

DIALECTS: dict[str, Dialect] = {
    "postgres": _postgres,
    # sqlite3 takes a mapping of named parameters, as psycopg does: one way to pass values.
    "sqlite": sqlite.pysqlite.dialect(paramstyle="named"),
}

Upsert = PostgresInsert | SQLiteInsert


def compile_for(
    statement: ClauseElement, dialect: str, column_keys: Sequence[str] = ()
) -> Compiled:
    if not isinstance(statement, Executable) or isinstance(statement, ExecutableDDLElement):
        return statement.compile(dialect=DIALECTS[dialect])
    return statement.compile(
        dialect=DIALECTS[dialect],
        column_keys=list(column_keys) or None,
        # IN lists become one bound parameter per value, visible to both drivers.
        compile_kwargs={"render_postcompile": True},
    )


class Prepared:
    """A statement compiled once per dialect (and per set of inserted columns)."""

    def __init__(self, statement: Executable) -> None:
        if not isinstance(statement, ClauseElement):
            raise TypeError(f"not a statement: {statement!r}")
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], Compiled] = {}

    def compiled(self, dialect: str, column_keys: Sequence[str] = ()) -> Compiled:
        key = (dialect, tuple(column_keys))
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = compile_for(self.statement, dialect, column_keys)
        return found


# Reads compiled once per shape: a statement built anew with other values (a day, a list of
# ids) has the same cache key as before, and its values are taken from the key.
_SHAPES: dict[tuple[str, Any], Compiled] = {}
_MAX_SHAPES = 1000


def compiled_read(statement: Select[Any], dialect: str) -> tuple[str, dict[str, Any]]:
    """A SELECT's SQL and values, compiled once per dialect and shape (IN lists expanded per
    call, as the engine's own cache does)."""
    key = statement._generate_cache_key()  # the key Connection.execute caches by
    if key is None:  # not cacheable: compiled afresh
        compiled = compile_for(statement, dialect)
        return compiled.string, bound(compiled)
    found = _SHAPES.get((dialect, key.key))
    if found is None:
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        found = _SHAPES[dialect, key.key] = statement.compile(
            dialect=DIALECTS[dialect], cache_key=key
        )
    params = found.construct_params(extracted_parameters=key.bindparams)
    expanded = found.construct_expanded_state(params)  # type: ignore[attr-defined]
    return expanded.statement, dict(expanded.parameters)


def bound(compiled: Compiled, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The statement's own bound values, overridden by ``params`` (for ``bindparam``s)."""
    values = compiled.construct_params(dict(params) if params else None)
    return dict(values) if values else {}  # DDL has none


def upsert(dialect: str, table: Table) -> Upsert:
    """An INSERT that can say ON CONFLICT, in the dialect's own construct."""
    if dialect == "postgres":
        return postgresql.insert(table)
    return sqlite.insert(table)
