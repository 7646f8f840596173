"""One batch of the projection: the rows it writes and the rows it looks up, in memory
until the batch is flushed in one round trip per table and kind of statement.

Handlers are written against a ``Batch`` (``BatchHandler = (batch, event) -> None``):

- ``batch.insert(table, row)``: INSERT … ON CONFLICT (primary key) DO NOTHING; within the
  batch the first row of a key wins, as the database would have it.
- ``batch.append(table, row)``: a row no other batch writes, because its key is made of the
  event's log position (which moves with the batch, exactly once): no conflict check, no
  lookups, every column given; COPY on PostgreSQL (the audit log and the facts, about two
  rows per event, are most of what a catch-up or a rebuild writes).
- ``batch.update(table, key, **values)``: a keyed update. Folded into the row when that row
  is an insert of the same batch (a member registered and recategorised in one batch is one
  INSERT), else merged with the batch's other updates of the row.
- ``batch.increment(table, key, column, by)``: ``column = column + by`` on an existing row.
- ``batch.add(table, row)``: a counter upsert, ``ON CONFLICT (key) DO UPDATE SET n = t.n +
  excluded.n`` for every column of the row that is not the key; a batch sums its own first,
  so a key is written once per batch (the shape for running sums and counts). With
  ``drop_at=column``, a row the sum leaves at zero in that column is deleted after the
  upsert (one statement per table): a count whose rows at zero are never kept has the same
  rows however the log was cut into batches. ``batch.never_negative(table)`` says the column
  is a level that never goes below zero (not a dated change, which can): then only the rows
  whose sum the batch did not raise are looked at.
- ``batch.row(table, key)`` / ``batch.rows(table)``: a row (as a dict) or every row of a
  table, as the batch has it so far: read from the database once per batch — in bulk for the
  keys handed to ``batch.want`` before the batch is applied — then kept, with the batch's own
  writes applied to them. A row whose insert conflicted with one already stored shows the
  batch's version until a flush; handlers look up rows that are created once.
- A handler that must ask the database something the batch does not keep calls
  ``batch.flush()`` first (everything the batch wrote so far is then visible to
  ``batch.cursor``) and ``batch.forget(table)`` after writing ``table`` directly.
- ``batch.kept(name, make)``: a handler module's own state for the batch (made on first use),
  written through the batch by its ``write(batch)`` at the start of the next flush, then
  dropped: for state cheaper to keep decoded through the batch and encode once at the end.
- Plain ``(cursor, event)`` handlers still work: ``per_event(handler)`` makes one a batch
  handler that flushes, runs it on the cursor and forgets every row kept (slower: use it for
  rare events).

On PostgreSQL the inserts and counter upserts of a table are one statement whose one
parameter is the rows as JSON; on SQLite (in-process, no round trips) one ``executemany``.
A flush writes inserts first (tables in declaration order), then counter upserts, updates
and increments; within one handler call nothing depends on that order, since an update of
a row inserted in the same batch is folded into the insert. Everything runs in the
caller's transaction, so a batch is written entirely or not at all.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import Table, Text, any_, bindparam, cast, column, delete, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY, JSON

from sansan.projections.jsontext import json_text
from sansan.projections.sql import Prepared, upsert
from sansan.projections.store import Cursor

Row = dict[str, Any]
Key = tuple[Hashable, ...]
BatchHandler = Callable[["Batch", Any], None]
PlainHandler = Callable[[Cursor, Any], None]


class Kept(Protocol):
    """A handler module's state kept through a batch (``Batch.kept``)."""

    def write(self, batch: "Batch") -> None:
        """Hand the state's rows to the batch: called at the start of each flush."""


K = TypeVar("K", bound=Kept)
# How many keys one lookup query names (its one parameter stays a modest size).
LOOKUP_CHUNK = 1000


@cache
def key_columns(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.primary_key.columns)


def _key(key: Hashable | Key) -> Key:
    return key if isinstance(key, tuple) else (key,)


@cache
def _insert(dialect: str, table: Table) -> Prepared:
    return Prepared(
        upsert(dialect, table).on_conflict_do_nothing(index_elements=list(key_columns(table)))
    )


@cache
def _add(dialect: str, table: Table, counters: tuple[str, ...]) -> Prepared:
    statement = upsert(dialect, table)
    return Prepared(
        statement.on_conflict_do_update(
            index_elements=list(key_columns(table)),
            set_={name: table.c[name] + statement.excluded[name] for name in counters},
        )
    )


@cache
def _column_names(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


@cache
def _from_json(table: Table, counters: tuple[str, ...] | None) -> Prepared:
    """PostgreSQL: every row of a batch in one statement and one parameter, the rows as a JSON
    array (``INSERT … SELECT … FROM json_to_recordset(:rows) AS r(x text, …)``): the server
    plans and runs one statement instead of one per row, and the rows cost one ``json.dumps``.
    ``counters``: add those on conflict (else keep the stored row)."""
    rows = (
        func.json_to_recordset(cast(bindparam("rows", type_=Text), JSON))
        .table_valued(*(column(c.name, c.type) for c in table.columns))
        .render_derived(name="r", with_types=True)
    )
    names = [c.name for c in table.columns]
    statement = upsert("postgres", table).from_select(names, select(*(rows.c[n] for n in names)))
    keys = list(key_columns(table))
    if counters is None:
        return Prepared(statement.on_conflict_do_nothing(index_elements=keys))
    return Prepared(
        statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: table.c[name] + statement.excluded[name] for name in counters},
        )
    )


@cache
def _lookup(dialect: str, table: Table) -> Prepared:
    """The rows of ``table`` whose key is among ``:keys``, one parameter whatever their
    number: an array on PostgreSQL (``= ANY``), a JSON array on SQLite (``json_each``).
    Compiled once; an ``IN`` list would be compiled, sent and planned anew for every list
    (a parameter per key)."""
    (name,) = key_columns(table)
    key = table.c[name]
    if dialect == "postgres":
        return Prepared(select(table).where(key == any_(cast(bindparam("keys"), ARRAY(key.type)))))
    listed = func.json_each(bindparam("keys", type_=Text)).table_valued("value")
    return Prepared(select(table).where(key.in_(select(listed.c.value))))


@cache
def _drop_at_zero(table: Table, counter: str, from_json: bool) -> Prepared:
    """Delete the named rows whose ``counter`` is zero; on PostgreSQL the keys as one JSON
    parameter (as ``_from_json``), else one ``executemany`` row each."""
    keys = key_columns(table)
    if from_json:
        named = (
            func.json_to_recordset(cast(bindparam("rows", type_=Text), JSON))
            .table_valued(*(column(k, table.c[k].type) for k in keys))
            .render_derived(name="r", with_types=True)
        )
        match = [table.c[k] == named.c[k] for k in keys]
    else:
        match = [table.c[k] == bindparam(f"k_{k}") for k in keys]
    return Prepared(delete(table).where(*match, table.c[counter] == 0))


_ROWS_JSON = json_text(ensure_ascii=False, default=str)


def _json_rows(rows: list[Row]) -> dict[str, str]:
    return {"rows": _ROWS_JSON(rows)}


@cache
def _update(table: Table, columns: tuple[str, ...], increment: bool) -> Prepared:
    values = {
        name: (table.c[name] + bindparam(f"v_{name}")) if increment else bindparam(f"v_{name}")
        for name in columns
    }
    where = [table.c[name] == bindparam(f"k_{name}") for name in key_columns(table)]
    return Prepared(update(table).where(*where).values(values))


def _keyed(table: Table, key: Key, values: Row) -> Row:
    params = {f"k_{name}": part for name, part in zip(key_columns(table), key, strict=True)}
    return params | {f"v_{name}": value for name, value in values.items()}


class Batch:
    """The pending writes and the kept rows of one batch, in one transaction."""

    def __init__(self, cursor: Cursor) -> None:
        self.cursor = cursor
        self.t = cursor.t
        self._order = {table: i for i, table in enumerate(self.t.tables)}
        self._rank = lambda table: self._order.get(table, len(self._order))  # others' last
        self._inserts: dict[Table, dict[Key, Row]] = defaultdict(dict)
        self._adds: dict[Table, dict[Key, Row]] = defaultdict(dict)
        self._updates: dict[Table, dict[Key, Row]] = defaultdict(dict)
        self._increments: dict[Table, dict[Key, Row]] = defaultdict(dict)
        self._appends: dict[Table, list[Row]] = defaultdict(list)
        self._known: dict[Table, dict[Key, Row | None]] = defaultdict(dict)
        self._complete: set[Table] = set()
        self._wanted: dict[Table, set[Key]] = defaultdict(set)
        self._wanted_all: set[Table] = set()
        self._kept: dict[str, Kept] = {}
        self._drop_at: dict[Table, str] = {}
        self._never_negative: set[Table] = set()

    # -- writing ----------------------------------------------------------------------------

    def insert(self, table: Table, row: Row) -> None:
        key = tuple(row[name] for name in key_columns(table))
        pending = self._inserts[table]
        if key in pending:
            return
        pending[key] = row
        known = self._known[table]
        if known.get(key) is None:
            known[key] = row

    def append(self, table: Table, row: Row) -> None:
        self._appends[table].append(row)

    def update(self, table: Table, key: Hashable | Key, **values: Any) -> None:
        key = _key(key)
        row = self._inserts[table].get(key)
        if row is not None:
            row.update(values)
        else:
            self._updates[table].setdefault(key, {}).update(values)
            kept = self._known[table].get(key)
            if kept is not None:
                kept.update(values)

    def increment(self, table: Table, key: Hashable | Key, column: str, by: int = 1) -> None:
        key = _key(key)
        row = self._inserts[table].get(key)
        if row is not None:
            row[column] = (row.get(column) or 0) + by
            return
        pending = self._increments[table].setdefault(key, {})
        pending[column] = pending.get(column, 0) + by
        kept = self._known[table].get(key)
        if kept is not None:
            kept[column] = (kept.get(column) or 0) + by

    def add(self, table: Table, row: Row, drop_at: str | None = None) -> None:
        if drop_at is not None:
            self._drop_at[table] = drop_at
        names = key_columns(table)
        key = tuple([row[name] for name in names])
        pending = self._adds[table]
        summed = pending.get(key)
        if summed is None:
            pending[key] = dict(row)
            return
        for name, value in row.items():
            if name not in names:
                summed[name] = (summed.get(name) or 0) + (value or 0)

    def never_negative(self, table: Table) -> None:
        """The ``drop_at`` column of ``table`` is a level that never goes below zero (see
        ``_drop_zeros``)."""
        self._never_negative.add(table)

    def kept(self, name: str, make: Callable[[], K]) -> K:
        """The state kept under ``name`` until the next flush (``make()`` on first use)."""
        found = self._kept.get(name)
        if found is None:
            found = self._kept[name] = make()
        return found  # type: ignore[return-value]  # one ``make`` per name

    def flush(self, meanwhile: Callable[[], None] | None = None) -> None:
        """Write everything pending: one statement per table and kind of statement. The
        appended rows go first (a COPY cannot be pipelined), then every other statement is
        sent without waiting for the one before (PostgreSQL's pipeline mode: one round trip
        for all of them, not one each); an error still fails the transaction.
        ``meanwhile``: work of the caller's that needs neither this transaction nor its
        results, done on PostgreSQL once the statements are sent and before their results
        are waited for, so that the server runs them while this process works (the runner
        reads and decodes the next batch of the log). It must not raise."""
        kept, self._kept = self._kept, {}
        for state in kept.values():
            state.write(self)
        c, dialect = self.cursor, self.cursor.dialect
        for table in sorted(self._appends, key=self._rank):
            c.append_rows(table, self._appends[table])
        with c.pipeline():
            for table in sorted(self._inserts, key=self._rank):
                rows = list(self._inserts[table].values())
                every = _column_names(table)
                if dialect == "postgres":
                    c.execute(_from_json(table, None), _json_rows(rows))
                else:
                    c.executemany(
                        _insert(dialect, table), [{k: r.get(k) for k in every} for r in rows]
                    )
            for table in sorted(self._adds, key=self._rank):
                sent: list[dict[str, str]] = []  # each group's JSON rows, as sent
                for columns, group in _by_columns(self._adds[table].values()):
                    counters = tuple(k for k in columns if k not in key_columns(table))
                    if dialect == "postgres":
                        sent.append(_json_rows(group))
                        c.execute(_from_json(table, counters), sent[-1])
                    else:
                        c.executemany(_add(dialect, table, counters), group)
                counter = self._drop_at.get(table)
                if counter is not None:
                    self._drop_zeros(table, counter, sent)
            for pending, increment in ((self._updates, False), (self._increments, True)):
                for table in sorted(pending, key=self._rank):
                    groups: dict[tuple[str, ...], list[Row]] = defaultdict(list)
                    for key, values in pending[table].items():
                        groups[tuple(values)].append(_keyed(table, key, values))
                    for columns, rows in groups.items():
                        c.executemany(_update(table, columns, increment), rows)
            if meanwhile is not None and dialect == "postgres":
                meanwhile()
        for pending_of in (
            self._inserts, self._appends, self._adds, self._updates, self._increments
        ):  # fmt: skip
            pending_of.clear()

    def _drop_zeros(self, table: Table, counter: str, sent: list[dict[str, str]]) -> None:
        """Delete the rows of this batch's sums that are left at zero. A level that is never
        negative (``never_negative``) and never stored at zero is above zero after the batch
        raised it: then only the rows whose sum took some away (or none) can be at zero, and
        only they are named (none: no statement). In a catch-up most sums only add.
        ``sent``: on PostgreSQL the JSON rows the upserts were given; where every row of the
        batch is named (a dated table, whose sums can go either way), the delete is given the
        same texts (it reads only their key columns), not the keys encoded once more."""
        names = key_columns(table)
        if table not in self._never_negative and sent:
            for rows in sent:
                self.cursor.execute(_drop_at_zero(table, counter, True), rows)
            return
        lowered = list(self._adds[table].values())
        if table in self._never_negative:
            lowered = [r for r in lowered if (r.get(counter) or 0) <= 0]
        if not lowered:
            return
        if self.cursor.dialect == "postgres":
            keys = [{k: r[k] for k in names} for r in lowered]
            self.cursor.execute(_drop_at_zero(table, counter, True), _json_rows(keys))
        else:
            self.cursor.executemany(
                _drop_at_zero(table, counter, False),
                [{f"k_{k}": r[k] for k in names} for r in lowered],
            )

    # -- looking up -------------------------------------------------------------------------

    def want(self, table: Table, key: Hashable | Key | None) -> None:
        """A row the batch will look up: read with the others at ``load_wanted``."""
        if key is None or table in self._complete:
            return
        key = _key(key)
        if key not in self._known[table]:
            self._wanted[table].add(key)

    def want_all(self, table: Table) -> None:
        """Every row of a (small) table, as ``rows`` reads them: read at ``load_wanted``."""
        if table not in self._complete:
            self._wanted_all.add(table)

    def load_wanted(self) -> None:
        """Read the rows asked for with ``want`` and ``want_all``: one query per table (per
        1,000 keys), all of them sent at once (one round trip on PostgreSQL)."""
        wanted, self._wanted = self._wanted, defaultdict(set)
        whole, self._wanted_all = self._wanted_all, set()
        reads: list[tuple[Table, Any, Any]] = [
            (table, select(table), ()) for table in self.t.tables if table in whole
        ]
        for table, keys in wanted.items():
            if table not in whole:
                reads.extend(self._lookups(table, [k for k in keys if k not in self._known[table]]))
        found = self.cursor.results([(statement, params) for _, statement, params in reads])
        for (table, _, _), rows in zip(reads, found, strict=True):
            self._keep(table, rows)
        self._complete.update(whole)

    def row(self, table: Table, key: Hashable | Key) -> Row | None:
        key = _key(key)
        known = self._known[table]
        if key not in known and table not in self._complete:
            for _, statement, params in self._lookups(table, [key]):
                self._keep(table, self.cursor.execute(statement, params).fetchall())
        return known.get(key)

    def rows(self, table: Table) -> list[Row]:
        """Every row of a (small) table, read once per batch."""
        known = self._known[table]
        if table not in self._complete:
            self._keep(table, self.cursor.execute(select(table)).fetchall())
            self._complete.add(table)
        return [row for row in known.values() if row is not None]

    def forget(self, *tables: Table) -> None:
        """Drop the kept rows (of ``tables``, or all): the database was written directly."""
        for table in tables or tuple(self._known):
            self._known.pop(table, None)
            self._complete.discard(table)

    def _lookups(self, table: Table, keys: list[Key]) -> list[tuple[Table, Prepared, Any]]:
        """The queries that read the rows of ``keys`` (1,000 keys each); the keys are noted as
        looked up (a key no row has stays known as missing)."""
        key_columns(table)  # lookups are by single-column keys
        known, statement = self._known[table], _lookup(self.cursor.dialect, table)
        reads: list[tuple[Table, Prepared, Any]] = []
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = keys[start : start + LOOKUP_CHUNK]
            for key in chunk:
                known.setdefault(key, None)
            values = [k[0] for k in chunk]
            listed = values if self.cursor.dialect == "postgres" else json.dumps(values)
            reads.append((table, statement, {"keys": listed}))
        return reads

    def _keep(self, table: Table, found: Iterable[Any]) -> None:
        """Rows read from the database, kept unless the batch has its own version of them."""
        known, columns, names = self._known[table], _column_names(table), key_columns(table)
        for values in found:
            row = dict(zip(columns, values, strict=True))
            key = tuple(row[name] for name in names)
            if known.get(key) is None:
                known[key] = row


def _by_columns(rows: Iterable[Row]) -> list[tuple[tuple[str, ...], list[Row]]]:
    groups: dict[tuple[str, ...], list[Row]] = defaultdict(list)
    for row in rows:
        groups[tuple(row)].append(row)
    return list(groups.items())


def per_event(handler: PlainHandler) -> BatchHandler:
    """A plain ``(cursor, event)`` handler as a batch handler: it sees everything the batch
    wrote before it, and the batch forgets what it kept, since the handler may change it."""

    def run(batch: Batch, event: Any) -> None:
        batch.flush()
        handler(batch.cursor, event)
        batch.forget()

    run.__name__ = getattr(handler, "__name__", "per_event")
    return run
