"""Importing a file: every row through the command models and the domain rules, once, in
a streamed pass over the file, so memory does not grow with its rows, events or units.

The checking pass runs every row against a scratch view of the store (``Units``: the units
the store holds and those the file has created so far) and saves nothing: each batch's
events and row mapping go to a scratch file (``scratch.Scratch``). Any problem and the
import stops there, having recorded nothing. Otherwise the writing pass saves the batches
as they were handed over, ``batch_rows`` rows a transaction, each with its rows' mapping in
the import's own record; it reads neither the file nor the store.

A row that names a unit not yet known is put aside and tried again once the rest has run,
so sheets and rows may come in any order.

Re-importing records nothing twice: a row that creates a unit is skipped when a unit of
that name (in that organization or community) exists, and its id is derived from that
natural key (uuid5); a row that records a fact is skipped when the unit already holds an
event with the same type, date and content. If the process stops between batches, the
import's record stays unfinished (no ``ImportFinished``); importing the same file again
resumes that record: the units the stopped run created are read from the record's row
mapping in one go, and what was written is skipped, the rest written.
"""

import copy
import dataclasses
import hashlib
import itertools
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.persistence import IntegrityError
from pydantic import ValidationError
from sqlalchemy import select

from sansan.access import AccessService, Principal
from sansan.application import SansanApplication
from sansan.commands import Command, CommandContext
from sansan.commands.base import PATTERN_SAID
from sansan.domain import Community, DomainError, ImportRecord, NotFoundError, PartyOrganization
from sansan.domain.base import Provenance, SansanAggregate, import_source
from sansan.domain.errors import DUPLICATE_FACT, InvalidReferences, plain_figure
from sansan.domain.names import folded_name, normal_name
from sansan.imports.kinds import (
    COMMUNITY,
    EXAMPLE_NOTE,
    KINDS,
    MEMBER,
    ORGANIZATION,
    TEAM_MEMBER,
    UNIT_ZH,
    WORKER,
    Column,
    ImportKind,
    Ref,
    derived_id,
)
from sansan.imports.reading import (
    CellError,
    Sheet,
    converter,
    file_sheets,
    find_sheet,
    is_blank,
    rows_at_most,
    text_of,
)
from sansan.imports.scratch import (
    KEEP_UNITS,
    Encoder,
    Held,
    InForce,
    Mapped,
    Scratch,
    Signature,
    Units,
)  # fmt: skip
from sansan.internal_ids import InternalKey
from sansan.persistence import stored_events_of
from sansan.projections.queries import community_in, under
from sansan.projections.store import ReadStore

# The template's own instructions and dropdown lists, and an error workbook's summary.
NOT_DATA = frozenset({"说明", "选项", "错误"})
# The domain's refusal of a fact a unit may hold once: when the store already holds it,
# the row is one imported before.
ONCE_ONLY = frozenset({"already_recorded"})
# Units that are aggregates of their own (the others live inside one: team members, workers).
AGGREGATE_UNITS = frozenset({ORGANIZATION, COMMUNITY, MEMBER})
# The writing pass stopped after some batches: importing the same file again finishes it.
UNFINISHED = "import_unfinished"
# Another import of the same file wrote its record meanwhile (both resume one record).
CONCURRENT = "import_concurrent"
# Where a unit's name is unique, in words: the natural key of a row that registers one.
_INSIDE_ZH = {MEMBER: "同一党组织内", TEAM_MEMBER: "同一党组织内", WORKER: "同一社区内"}
# Names found among the units the import made, kept to be found again (then forgotten).
RECENT_NAMES = 4096
_ZH_BY_TYPE = {
    "missing": "缺少必填项",
    "string_too_short": "不能为空",
    "string_too_long": "内容过长",
    "greater_than": "取值过小",
    "less_than": "取值过大",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多",
    "finite_number": "应为数字",
}


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 200_000
    batch_rows: int = 2000  # rows saved per transaction in the writing pass
    keep_units: int = KEEP_UNITS  # units kept in memory between rows read ahead; the rest spilled
    read_ahead: int = 500  # rows read before they run: the units they name read in one query


class FileTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes, more than {limit}")
        self.size, self.limit = size, limit


class TooManyRows(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} rows")
        self.limit = limit


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    column: str
    value: str
    code: str
    message_zh: str
    message_en: str


@dataclass
class ImportReport:
    file_name: str
    sha256: str
    dry_run: bool
    rows: int = 0
    recorded: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    saved: bool = False
    import_id: UUID | None = None
    events: int = 0


@dataclass(frozen=True)
class _Shape:
    """What every row of a kind is read with, worked out once."""

    required: list[Column]
    refs: list[tuple[str, Ref]]  # a unit inside another is found once the other is: last
    note: Column | None  # the column the template's example row says it is one in
    # the units of their own a row names, by the columns with their names: (unit, the name's
    # column, the column naming the organization it is in, if any)
    named: list[tuple[str, Column, Column | None]]


def _shape(kind: ImportKind) -> _Shape:
    def column(ref_field: str, part: str) -> Column | None:
        return next((c for c in kind.columns if c.field == ref_field and c.type == part), None)

    named = []
    for ref_field, ref in kind.refs.items():
        name = column(ref_field, "name")
        if ref.unit in AGGREGATE_UNITS and ref.within is None and name is not None:
            named.append((ref.unit, name, column(ref_field, "within")))
    return _Shape(
        [c for c in kind.columns if c.required],
        sorted(kind.refs.items(), key=lambda r: r[1].within is not None),
        next((c for c in kind.columns if c.field == "note"), None),
        named,
    )


_SHAPES = {k.key: _shape(k) for k in KINDS}


@dataclass
class _Row:
    sheet: str
    number: int
    kind: ImportKind
    cells: dict[Column, Any]  # as read: what a problem quotes
    # converted once when read (a row put aside runs again without converting again): the
    # command's values by field, the names of the units it names by field and part, and
    # the cells that could not be converted
    values: dict[str, Any]
    names: dict[str, dict[str, str]]
    errors: list[tuple[Column, CellError]]


# A sheet's columns as its rows are read: (cell index, column, how its cell becomes the
# command's value; None for a unit's name and its container's, kept as text)
_Plan = list[tuple[int, Column, Callable[[Any], Any] | None]]


def _plan(sheet: Sheet) -> _Plan:
    """Worked out once per sheet, so a cell costs its conversion and no dispatch on type."""
    return [
        (i, c, None if c.type in ("name", "within") else converter(c))
        for i, c in sorted(sheet.columns.items())
    ]


def _filled(sheet: Sheet, plan: _Plan, cells: list[Any]) -> dict[Column, Any] | None:
    """The row's filled-in cells by column; None for a row that is no data (blank, trailing,
    notes beside the table only, the template's example row). Read without converting, so
    the row-count pass costs a scan, not a check."""
    assert sheet.kind is not None
    last = len(cells)
    chosen: dict[Column, Any] = {}
    for i, column, _ in plan:
        if i >= last:
            break
        value = cells[i]
        if not is_blank(value):
            chosen[column] = value
    if not chosen:
        return None
    note = _SHAPES[sheet.kind.key].note
    if note is not None and note in chosen and text_of(chosen[note]) == EXAMPLE_NOTE:
        return None
    return chosen


class _Deferred(Exception):
    """A row names a unit not known yet: it is tried again when the rest has run."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class Directory:
    """Units by the names people use: the read models for what the store held before the
    import, the ids derived from their names for what the import creates, the aggregates
    for the people inside a unit (team members, community workers).

    Only the units inside ``scope`` (a token's organization) are found: one outside it
    answers exactly as a name nobody bears, else an upload would tell a community who
    is a member elsewhere. The people inside a unit are found through it, so in it."""

    def __init__(self, store: ReadStore, units: Units, scope: UUID | None = None) -> None:
        self.store, self.units, self.scope = store, units, scope
        self._named: dict[str, dict[str, list[UUID]]] = {}
        self._members: dict[UUID, dict[str, list[UUID]]] = {}
        # names recently found among the units the import made (made stays made): a row
        # names its unit and the units around it, each two or three times (read ahead, run)
        self._recent: dict[tuple[str, str, UUID | None], list[UUID]] = {}

    def find(self, unit: str, name: str, within: UUID | None) -> list[UUID]:
        # spaced as commands store names (an id derived from it); stored names are compared
        # folded, as the API compares them for uniqueness (domain/names.py), so one stored
        # before (“张三　”) is found as 张三 and a row's “(二)” finds the stored “（二）”
        name = normal_name(name)
        key_name = folded_name(name)
        if unit in AGGREGATE_UNITS:
            key = (unit, name, within)
            recent = self._recent.get(key)
            if recent is not None:
                return recent
            # one the import created has the id derived from its name: no list of the
            # names it created is kept, so memory does not follow the file's units
            mine = derived_id(unit, name, within)
            if self.units.made(mine):
                if len(self._recent) >= RECENT_NAMES:
                    self._recent.clear()
                found = self._recent[key] = [mine]
                return found
        if unit == ORGANIZATION:
            return self._by_name("organizations").get(key_name, [])
        if unit == COMMUNITY:
            return self._by_name("communities").get(key_name, [])
        if unit == MEMBER and within is not None:
            return self._members_of(within).get(key_name, [])
        container = self.units.find(within) if within is not None else None
        if unit == TEAM_MEMBER and isinstance(container, PartyOrganization):
            team = container.team.items()
            return [UUID(k) for k, v in team if folded_name(v["person_name"]) == key_name]
        if unit == WORKER and isinstance(container, Community):
            workers = vars(container).get("workers", {}).items()
            return [
                UUID(k) for k, v in workers
                if folded_name(v["worker_name"]) == key_name and not v["left_on"]
            ]  # fmt: skip
        return []

    def held_outside(self, unit: str, name: str) -> bool:
        """Whether an organization or community outside the scope holds ``name``: names are
        unique county-wide, so a row may not create a second one, though it cannot be told
        which unit holds it (the scope's own are found by ``find``)."""
        if self.scope is None or unit not in (ORGANIZATION, COMMUNITY):
            return False
        table = "organizations" if unit == ORGANIZATION else "communities"
        return bool(self._by_name(table, county=True).get(folded_name(name)))

    def _by_name(self, table: str, county: bool = False) -> dict[str, list[UUID]]:
        """Every unit of a read-model table (``organizations`` or ``communities``) by name,
        in the scope (or the whole county)."""
        key = f"{table}|county" if county else table
        if key not in self._named:
            found: dict[str, list[UUID]] = {}
            scope = None if county else self.scope
            with self.store.transaction() as c:
                units = getattr(c.t, table)
                inside = (
                    under(units.c.path, scope)
                    if table == "organizations"
                    else community_in(units, scope)
                )
                query = select(units.c.id, units.c.name).where(*inside)
                for unit_id, name in c.execute(query).fetchall():
                    found.setdefault(folded_name(str(name)), []).append(UUID(str(unit_id)))
            self._named[key] = found
        return self._named[key]

    def _members_of(self, organization_id: UUID) -> dict[str, list[UUID]]:
        if organization_id not in self._members:
            found: dict[str, list[UUID]] = {}
            with self.store.transaction() as c:
                members = c.t.members
                rows = c.execute(
                    select(members.c.id, members.c.name).where(
                        members.c.organization_id == str(organization_id)
                    )
                ).fetchall()
            for unit_id, name in rows:
                found.setdefault(folded_name(str(name)), []).append(UUID(str(unit_id)))
            self._members[organization_id] = found
        return self._members[organization_id]


# An event's fields that are not the fact it records: the library's, and who recorded it
# from where (``imported_from`` is no field, but it is in the event's ``vars``).
_NOT_THE_FACT = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}
)
_FACT_FIELDS: dict[type, tuple[str, ...]] = {}
# A registering row's cells that are not the unit's: the registration's own note and
# evidence, which the unit does not keep and a second import may word otherwise.
_NOT_COMPARED = frozenset({"note", "evidence_ref"})


def _plain(value: Any) -> Hashable:
    """A value as two facts are compared: text, numbers and None as they are; anything
    else (a date, an id, a decimal) as its text; lists and mappings as tuples."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dict):
        return tuple(sorted((str(k), _plain(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    return str(value)


def _signature(event: SansanAggregate.Event) -> Signature:
    """What makes two events the same fact: type, date, note, evidence and content. A
    tuple of the event's fields (chosen once per event class), not a JSON dump of them,
    which cost an import more than the command it checked."""
    kind = type(event)
    names = _FACT_FIELDS.get(kind)
    if names is None:
        fields = dataclasses.fields(event)
        names = _FACT_FIELDS[kind] = tuple(f.name for f in fields if f.name not in _NOT_THE_FACT)
    return (kind.__name__, *(_plain(getattr(event, name)) for name in names))


@dataclass(frozen=True)
class _Figured:
    """A fact whose figure can be corrected later (an allocation's amount, an upgrade's
    areas): its natural key is the unit, the type, the date and ``key`` (never the
    figures), so a row is matched to the recorded fact whatever figure either holds."""

    event: str
    key: tuple[str, ...]
    figures: tuple[str, ...]
    unit_zh: str  # how a figure is written: 元 (two decimals) or ㎡
    what_zh: str
    key_zh: str  # the key's columns, as the template's instructions name them


_FIGURED = {
    "allocate_funding": _Figured(
        "FundingAllocated", ("year", "source"), ("amount_yuan",), "元", "经费",
        "社区名称、发生日期、年度、经费来源",
    ),
    "upgrade_facility": _Figured(
        "FacilityUpgraded", (), ("office_area_m2", "venue_area_m2"), "㎡", "办公用房和活动场所建设",
        "社区名称、发生日期",
    ),
}
_FIGURED_BY_EVENT = {f.event: f for f in _FIGURED.values()}
_CORRECTIONS = {"FundingAmountCorrected", "FacilityAreaCorrected"}


def _fact_key(figured: _Figured, day: str, source: Any) -> Signature:
    return (figured.event, day, *(_plain(getattr(source, k)) for k in figured.key))


def _facts_of(
    events: Iterator[Any] | list[Any],
) -> tuple[dict[str, set[Signature]], dict[Signature, list[InForce]]]:
    """A unit's facts by date (their signatures) and its figured facts by natural key, with
    their corrections applied, from one pass over the events the import reads anyway."""
    known: dict[str, set[Signature]] = {}
    in_force: dict[Signature, list[InForce]] = {}
    by_version: dict[int, InForce] = {}
    for e in events:
        day = e.occurred_on.isoformat()
        known.setdefault(day, set()).add(_signature(e))
        name = type(e).__name__
        if (figured := _FIGURED_BY_EVENT.get(name)) is not None:
            fact = InForce(e.originator_version, {f: getattr(e, f) for f in figured.figures})
            in_force.setdefault(_fact_key(figured, day, e), []).append(fact)
            by_version[fact.version] = fact
        elif name in _CORRECTIONS and (corrected := by_version.get(e.corrected_version)):
            corrected.figures[getattr(e, "corrected_field", "amount_yuan")] = e.to_value
            corrected.correction = e.correction
    return known, in_force


def _same_figure(a: Any, b: Any) -> bool:
    """Two figures as amounts (12000 and 12000.00 alike; a float area by its text)."""
    return a is not None and b is not None and Decimal(str(a)) == Decimal(str(b))


def _figure_zh(figured: _Figured, value: Any) -> str:
    if figured.unit_zh == "元":
        return f"{Decimal(str(value)):,.2f}元"
    return plain_figure(float(value), "㎡", "m²")[0]  # as typed: 85.0000000001 is not 85


class Importer:
    """One import of one file by one principal (or the command line's actor)."""

    def __init__(
        self, app: SansanApplication, store: ReadStore, *, actor: str,
        principal: Principal | None = None, limits: Limits | None = None,
        on_row: Callable[[], None] = lambda: None,
    ) -> None:  # fmt: skip
        self.app, self.store, self.actor, self.principal = app, store, actor, principal
        self._token_no = principal.token_no if principal is not None else None
        self.limits = limits or Limits()
        self.on_row = on_row
        self.access = AccessService(app)
        self.encoder = Encoder(app.mapper)
        self.record: ImportRecord | None = None
        self.record_id: UUID | None = None
        self.dirty: set[UUID] = set()
        self.batch = 0  # rows run since the last batch was handed over
        self.mapping: list[Mapped] = []

    def run(self, data: bytes, file_name: str, *, dry_run: bool = False) -> ImportReport:
        if len(data) > self.limits.max_bytes:
            raise FileTooLarge(len(data), self.limits.max_bytes)
        self._count_rows(data, file_name)
        report = ImportReport(file_name, hashlib.sha256(data).hexdigest(), dry_run)
        self.report = report
        self.record_id, self.record = self._record_to_finish(report.sha256)
        self.scratch = Scratch()
        try:
            self.units = Units(self.app, self.scratch, self.limits.keep_units)
            scope = self.principal.scope_org_id if self.principal is not None else None
            self.directory = Directory(self.store, self.units, scope)
            if self.record is not None:
                self.scratch.written_before(self._created_by(self.record))
            self.keep_batches = not dry_run
            self._check(data, file_name)
            report.problems.sort(key=lambda p: (p.sheet, p.row))
            if report.problems or dry_run:
                return report
            self._write_all()
            return report
        finally:
            self.scratch.close()

    def _record_to_finish(self, sha256: str) -> tuple[UUID, ImportRecord | None]:
        """Where this import's record goes: an unfinished one of the same file, to resume,
        or else the first free place among those of the file."""
        for attempt in itertools.count():
            key = InternalKey("import", f"{sha256}|{attempt}")
            record_id, found = self.app.internal_record(ImportRecord, key)
            if found is None or not found.finished:
                return record_id, found
        raise AssertionError("unreachable")

    def _created_by(self, record: ImportRecord) -> Iterator[UUID]:
        """The units a stopped run of this import created: its rows' mapping says so (a
        row whose events begin at version 1), read with the record in one query instead
        of asking the store for every row's unit."""
        for event in self.app.events.get(record.id):
            if isinstance(event, ImportRecord.ImportRowsMapped):
                yield from (UUID(unit_id) for _, _, unit_id, first, _ in event.rows if first == 1)

    def _prov(self) -> Provenance:
        today = self.app.clock.today()
        return Provenance(actor=self.actor, occurred_on=today, today=today, token_no=self._token_no)

    def _count_rows(self, data: bytes, file_name: str) -> None:
        """A first pass that only reads the cells: a file over the row limit (a small XLSX
        can hold hundreds of thousands of rows) is refused in seconds, before minutes of
        validating rows it would refuse anyway. Counts the rows the check would run, unless
        the file cannot hold that many: a rough count, which reads no cell, says so first."""
        at_most = rows_at_most(data, past=self.limits.max_rows)
        if at_most is not None and at_most <= self.limits.max_rows:
            return
        rows = 0
        try:
            for name, sheet_rows in file_sheets(data, file_name):
                if name in NOT_DATA:
                    continue
                sheet = find_sheet(name, sheet_rows)
                if sheet.kind is None or sheet.missing:
                    continue
                plan = _plan(sheet)
                for _, cells in sheet.rows:
                    rows += _filled(sheet, plan, cells) is not None
                    if rows > self.limits.max_rows:
                        raise TooManyRows(self.limits.max_rows)
        except CellError:
            return  # reported by the check itself, with the rest of the file's problems

    def _check(self, data: bytes, file_name: str) -> None:
        """Every row of the file, then the rows put aside; each batch handed over."""
        report = self.report
        deferred: list[tuple[_Row, Problem]] = []
        try:
            for name, rows in file_sheets(data, file_name):
                if name in NOT_DATA:
                    continue
                sheet = find_sheet(name, rows)
                if self._refused(sheet):
                    continue
                ahead: list[_Row] = []
                plan = _plan(sheet)
                for number, cells in sheet.rows:
                    row = self._row_of(sheet, plan, number, cells)
                    if row is None:
                        continue
                    ahead.append(row)
                    if len(ahead) >= self.limits.read_ahead:
                        deferred += self._run(ahead)
                        ahead = []
                deferred += self._run(ahead)
                deferred = self._retry(deferred)
        except CellError as error:
            report.problems.append(Problem(file_name, 0, "", "", error.code, error.zh, error.en))
            return
        report.problems.extend(problem for _, problem in deferred)
        if report.rows == 0 and not report.problems:  # recording an import of nothing is noise
            report.problems.append(Problem(
                file_name, 0, "", "", "no_rows", "文件中没有可导入的数据行（示例行不会导入）",
                "the file has no rows to import (the template's example rows are not imported)",
            ))  # fmt: skip
            return
        self._hand_over()

    def _run(self, rows: list[_Row]) -> list[tuple[_Row, Problem]]:
        """Rows read ahead, once the units they name are read; those put aside returned."""
        self._preload(rows)
        deferred: list[tuple[_Row, Problem]] = []
        for row in rows:
            self.report.rows += 1
            if self.report.rows > self.limits.max_rows:
                raise TooManyRows(self.limits.max_rows)
            self.on_row()
            if (waits := self._try(row)) is not None:
                deferred.append((row, waits))
        # only now: the units read ahead for these rows stayed until they ran
        self.units.trim()
        return deferred

    def _preload(self, rows: list[_Row]) -> None:
        """The units the store holds that ``rows`` name, with the facts they hold, read in
        one query instead of one or two a row (a file of monthly records names a unit on
        every row). A name not found, or found twice, is left to the row to report."""
        wanted: dict[UUID, None] = {}
        for row in rows:
            for unit, name_column, within_column in _SHAPES[row.kind.key].named:
                name = row.cells.get(name_column)
                if name is None:
                    continue
                within = None
                if within_column is not None:
                    organization = row.cells.get(within_column)
                    found = [] if organization is None else self.directory.find(
                        ORGANIZATION, text_of(organization), None
                    )  # fmt: skip
                    if len(found) != 1:
                        continue
                    within = found[0]
                ids = self.directory.find(unit, text_of(name), within)
                if len(ids) == 1 and not self.units.holds(ids[0]):
                    wanted[ids[0]] = None
        if not wanted:
            return
        by_unit: dict[UUID, list[Any]] = {}
        for stored in stored_events_of(self.app.recorder, list(wanted)):
            event = self.app.mapper.to_domain_event(stored)
            by_unit.setdefault(event.originator_id, []).append(event)
        for unit_id, events in by_unit.items():
            known, in_force = _facts_of(events)
            aggregate: SansanAggregate | None = project_aggregate(None, events)
            assert aggregate is not None  # it has events
            self.units.hold(unit_id, Held(
                aggregate, created=False, changed=False, known=known, in_force=in_force
            ))  # fmt: skip

    def _try(self, row: _Row) -> Problem | None:
        """Runs the row; the problem it waits on if it names a unit not known yet."""
        try:
            self._apply(row)
        except _Deferred as wait:
            return wait.problem
        self._ran()
        return None

    def _ran(self) -> None:
        """A row has run (recorded, skipped or refused): a full batch is handed over."""
        self.batch += 1
        if self.batch >= self.limits.batch_rows:
            self._hand_over()
            self.batch = 0

    def _hand_over(self) -> None:
        """The batch's events and rows' mapping go to the scratch file for the writing
        pass (unless the file is already known to fail, or only checked); the units let go
        of their events."""
        events = [e for unit in self.units.take(self.dirty) for e in unit.collect_events()]
        if self.keep_batches and not self.report.problems and (events or self.mapping):
            self.scratch.add_batch([self.encoder.encode(e) for e in events], self.mapping)
        self.dirty.clear()
        self.mapping = []

    def _write_all(self) -> None:
        """The batches the checking pass handed over, one transaction each, then the
        record's end."""
        report = self.report
        recorded, skipped = dict(report.recorded), dict(report.skipped)
        assert self.record_id is not None
        if self.record is None:
            self.record = ImportRecord.begin(
                self._prov(), self.record_id, file_name=report.file_name,
                sha256=report.sha256, recorded=recorded, skipped=skipped,
            )  # fmt: skip
        record = self.record
        report.import_id = record.id
        stored = record.version - len(record.pending_events)  # the record's version in the store
        try:
            for encoded, mapped in self.scratch.read_batches():
                # stamped now: the library's timestamp says when an event was recorded
                now = SansanAggregate.Event.create_timestamp()
                events = self.encoder.stamped(encoded, now)
                if mapped:
                    record.map_rows(self._prov(), mapped)
                self.app.save_encoded(events, record)
                stored = record.version
                report.events += len(events)
            record.finish(self._prov(), recorded, skipped)
            self.app.save(record)
            report.saved = True
            return
        except IntegrityError:
            pass
        if self._record_version(record.id) != stored:
            report.problems.append(self._same_file_elsewhere(record.id))
            return
        report.problems.append(Problem(
            report.file_name, 0, "", "", UNFINISHED,
            "导入期间数据有变动，导入未完成，可能已记录部分内容；"
            "请重新导入同一文件完成导入，已记录的不会重复记录",
            "another writer changed these units meanwhile; some batches may be recorded:"
            " import the same file again to finish",
        ))  # fmt: skip

    def _record_version(self, record_id: UUID) -> int:
        """The stored version of the import's record (0: none stored)."""
        try:
            return self.app.get(record_id, ImportRecord).version
        except NotFoundError:
            return 0

    def _same_file_elsewhere(self, record_id: UUID) -> Problem:
        """Another import of the same file wrote the record this one writes: it finished,
        or it is still running (or stopped), so say which, and what this one recorded."""
        report = self.report
        ours = (
            f"本次先记录的 {report.events} 个事件已计入其中" if report.events
            else "本次未记录任何内容"
        )  # fmt: skip
        if self.app.get(record_id, ImportRecord).finished:
            zh = f"同一文件的另一次导入已经完成，{ours}，无需再导入"
            en = "another import of the same file has finished it; no need to import it again"
        else:
            zh = (f"同一文件的另一次导入正在进行，{ours}；请稍后查看导入记录，"
                  "若其中途停止，再导入同一文件即可完成，已记录的不会重复记录")  # fmt: skip
            en = ("another import of the same file is running; if it stops, import the same"
                  " file again to finish")  # fmt: skip
        return Problem(report.file_name, 0, "", "", CONCURRENT, zh, en)

    def _refused(self, sheet: Sheet) -> bool:
        problems = self.report.problems
        if sheet.kind is None:
            problems.append(Problem(
                sheet.name, 0, "", "", "unknown_sheet",
                "无法识别该工作表：表头与任何导入模板都不符，请使用导入模板",
                "the sheet's headers match no import template",
            ))  # fmt: skip
            return True
        for column in sheet.missing:
            problems.append(Problem(
                sheet.name, sheet.header_row, column.header, "", "missing_column",
                f"缺少必填列“{column.header}”", f"the required column {column.header} is missing",
            ))  # fmt: skip
        return bool(sheet.missing)

    def _row_of(self, sheet: Sheet, plan: _Plan, number: int, cells: list[Any]) -> _Row | None:
        """The row's cells that are filled in, by column (a blank cell is a missing one),
        and what they convert to."""
        assert sheet.kind is not None
        chosen = _filled(sheet, plan, cells)
        if chosen is None:
            return None
        last = len(cells)
        values: dict[str, Any] = {}
        names: dict[str, dict[str, str]] = {}
        errors: list[tuple[Column, CellError]] = []
        for i, column, convert in plan:
            if i >= last:
                break
            if column not in chosen:
                continue
            raw = chosen[column]
            if convert is None:
                names.setdefault(column.field, {})[column.type] = text_of(raw)
                continue
            try:
                values[column.field] = convert(raw)
            except CellError as error:
                errors.append((column, error))
        return _Row(sheet.name, number, sheet.kind, chosen, values, names, errors)

    def _retry(self, deferred: list[tuple[_Row, Problem]]) -> list[tuple[_Row, Problem]]:
        """Rows that named a unit not known when they came, until no more of them can run;
        those left are returned. Run after every sheet, so a sheet naming units the next
        sheet creates (an organization's community) holds back only those rows, not every
        row below that names them, and the rows held back stay few."""
        while deferred:
            waiting = [(row, waits) for row, _ in deferred if (waits := self._try(row)) is not None]
            if len(waiting) == len(deferred):
                return waiting
            deferred = waiting
        return []

    def _problem(
        self, row: _Row, at: Column | list[Column] | None, code: str, zh: str, en: str
    ) -> Problem:
        """A problem of the row, at the column(s) it is about (a rule may concern two, as a
        birth year and a birth date that disagree), with what they hold."""
        columns = [] if at is None else [at] if isinstance(at, Column) else list(dict.fromkeys(at))
        values = [row.cells.get(c) for c in columns]
        return Problem(
            row.sheet, row.number, "、".join(c.header for c in columns),
            "、".join(text_of(v) for v in values if not is_blank(v)), code, zh, en,
        )  # fmt: skip

    def _column(self, row: _Row, name: str) -> Column | None:
        columns = [c for c in row.kind.columns if c.field == name]
        named = [c for c in columns if c.type == "name"]
        return next(iter(named or columns), None)

    def _apply(self, row: _Row) -> None:
        kind, problems = row.kind, self.report.problems
        values, names = dict(row.values), row.names  # the row's own stay as read, to run again
        shape = _SHAPES[kind.key]
        found = [self._problem(row, c, e.code, e.zh, e.en) for c, e in row.errors]
        for column in shape.required:
            if column not in row.cells:
                found.append(self._problem(
                    row, column, "required", f"“{column.header}”为必填项", "required",
                ))  # fmt: skip
        if found:
            problems.extend(found)
            return
        # a unit inside another is found once the other is: refs naming a field come last
        for ref_field, ref in shape.refs:
            given = names.get(ref_field)
            if not given:
                continue
            within: UUID | None = None
            if ref.within is not None:
                within = values.get(ref.within)
            elif ref.within_header is not None:
                org = given["within"]
                within = self._resolve(row, ref_field, ORGANIZATION, org, None, "within")
            values[ref_field] = self._resolve(row, ref_field, ref.unit, given["name"], within)
        if kind.creates is not None:
            name = normal_name(str(values.get(kind.name_field, "")))
            within = values.get(kind.within_field) if kind.within_field else None
            if (problem := self._registered_twice(row, kind, name, within)) is not None:
                problems.append(problem)
                return
            existing = self.directory.find(kind.creates, name, within)
            if len(existing) > 1:  # which of them the row means, no one can tell
                problems.append(self._problem(
                    row, self._column(row, kind.name_field), "ambiguous_existing",
                    f"{_INSIDE_ZH.get(kind.creates, '')}已有 {len(existing)} 个名为“{name}”的"
                    f"{UNIT_ZH[kind.creates]}，无法确定本行是哪一个，未导入",
                    f"{len(existing)} stored units are called {name}: which one this row is"
                    " cannot be told",
                ))  # fmt: skip
                return
            if existing and self.scratch.written(existing[0]):  # by a stopped run of this file
                self.report.skipped[kind.key] += 1
                return
            if existing:  # the store holds it: a file registering it is imported again
                values[kind.id_field] = existing[0]
                again = self._command(row, kind, values)
                if again is None:
                    return
                differing = self._differences(row, kind, again, existing[0], within)
                if differing:  # skipped, it would leave the record unlike the file unsaid
                    problems.extend(differing)
                    return
                self.report.skipped[kind.key] += 1
                return
            if self.directory.held_outside(kind.creates, name):
                unit_zh = UNIT_ZH[kind.creates]
                problems.append(self._problem(
                    row, self._column(row, kind.name_field), f"{kind.creates}_name_taken",
                    f"全县已有名为“{name}”的{unit_zh}（不在您的管辖范围内）；{unit_zh}名称须在"
                    "全县唯一，请在名称中写明所属社区或街道加以区分",
                    f"another {kind.creates} in the county is called {name}; names are unique",
                ))  # fmt: skip
                return
            values[kind.id_field] = derived_id(kind.creates, name, within)
        command = self._command(row, kind, values)
        if command is None or not self._in_scope(row, kind, command):
            return
        self._execute(row, kind, command)

    def _command(self, row: _Row, kind: ImportKind, values: dict[str, Any]) -> Command | None:
        """The row's command, or None with the problems of its values reported."""
        try:
            return kind.command.model_validate(values)
        except ValidationError as error:
            for e in error.errors():
                where = str(e["loc"][0]) if e["loc"] else ""
                zh, en = _ZH_BY_TYPE.get(e["type"], "取值不符合要求"), e["msg"]
                if e["type"] == "string_pattern_mismatch":  # said as what it refuses
                    pattern = str((e.get("ctx") or {}).get("pattern"))
                    zh, en = PATTERN_SAID.get(pattern, (zh, en))
                at = self._column(row, where)
                self.report.problems.append(self._problem(row, at, e["type"], zh, en))
            return None

    def _differences(
        self, row: _Row, kind: ImportKind, command: Command, unit_id: UUID, within: UUID | None
    ) -> list[Problem]:
        """A row registering a unit the store holds, cell by cell against what is recorded:
        one problem for each filled-in cell that says otherwise (a blank cell says nothing).
        An import never changes a recorded unit (that is a change's own command), so a
        corrected roster imported again must not read as done."""
        recorded = self._recorded(kind, unit_id, within)
        keys = {kind.id_field, kind.name_field, kind.within_field, *_NOT_COMPARED}
        found = []
        for column, cell in row.cells.items():
            if column.field in keys or column.type == "within" or column.field not in recorded:
                continue
            theirs = recorded[column.field]
            if _plain(getattr(command, column.field)) == _plain(theirs):
                continue
            mine, held = text_of(cell), self._shown(kind, column, theirs)
            name = getattr(command, kind.name_field)
            found.append(self._problem(
                row, column, "differs_from_record",
                f"与已登记的{UNIT_ZH[kind.creates or '']}“{name}”不一致：表中为“{mine}”，"
                f"已登记为“{held}”。导入不会更改已登记的内容，请改为已登记的值后再导入；"
                "确需更改的，请另行记录变更",
                f"{name} is recorded with {column.header} {held}, the file says {mine}; an"
                " import does not change a recorded unit",
            ))  # fmt: skip
        return found

    def _recorded(self, kind: ImportKind, unit_id: UUID, within: UUID | None) -> dict[str, Any]:
        """A recorded unit's values by the fields of the command that registers it: the
        unit's own (an organization, a community, a member) or its entry in the unit it
        lives in (a team member, a worker), with its first day as the row's date."""
        if kind.creates in AGGREGATE_UNITS:
            unit = self.units.get(unit_id)
            return {**vars(unit), "occurred_on": unit.began_on}
        container = self.units.get(within) if within is not None else None
        entries = vars(container).get("team" if kind.creates == TEAM_MEMBER else "workers", {})
        entry = entries.get(str(unit_id), {})
        return {**entry, "occurred_on": entry.get("joined_on")}

    def _shown(self, kind: ImportKind, column: Column, value: Any) -> str:
        """A recorded value as the template's cell says it: a unit by its name, a choice by
        its label."""
        if value is None:
            return "（空）"
        if column.field in kind.refs:
            unit = self.units.find(value)
            return str(vars(unit).get("name", value) if unit is not None else value)
        if column.type == "choice":
            return str(dict(column.choices).get(str(value), value))
        if column.type == "boolean":
            return "是" if value else "否"
        return str(value)

    def _registered_twice(
        self, row: _Row, kind: ImportKind, name: str, within: UUID | None
    ) -> Problem | None:
        """A row registering a unit an earlier row of the file registers (the same natural
        key: name, and the organization or community it is in) is a problem of the file,
        not a unit "already there": skipping it would lose the row without a word."""
        assert kind.creates is not None
        sheet, number = self.scratch.first_row(
            derived_id(kind.creates, name, within), row.sheet, row.number
        )
        if (sheet, number) == (row.sheet, row.number):
            return None
        where = f"第{number}行" if sheet == row.sheet else f"“{sheet}”表第{number}行"
        inside = _INSIDE_ZH.get(kind.creates, "")
        return self._problem(
            row, self._column(row, kind.name_field), "duplicate_in_file",
            f"与{where}重复：{inside}名为“{name}”的{UNIT_ZH[kind.creates]}在文件中出现两次，"
            "只能登记一次，请删除或更正其中一行",
            f"row {number} of {sheet} registers the same {kind.creates} ({name}) already",
        )  # fmt: skip

    def _resolve(
        self, row: _Row, ref_field: str, unit: str, name: str, within: UUID | None,
        part: str = "name",
    ) -> UUID:  # fmt: skip
        ids = self.directory.find(unit, name, within)
        if len(ids) == 1:
            return ids[0]
        column = next(
            (c for c in row.kind.columns if c.field == ref_field and c.type == part), None
        )
        if len(ids) > 1:
            raise _Deferred(self._problem(
                row, column, "ambiguous_reference",
                f"有 {len(ids)} 个{UNIT_ZH[unit]}名为“{name}”，无法确定是哪一个",
                f"{len(ids)} units are called {name}",
            ))  # fmt: skip
        if not ids:
            raise _Deferred(self._problem(
                row, column, "unknown_reference", f"没有名为“{name}”的{UNIT_ZH[unit]}",
                f"no {unit} is called {name}",
            ))  # fmt: skip
        raise AssertionError("unreachable")

    def _in_scope(self, row: _Row, kind: ImportKind, command: Command) -> bool:
        """The same role and subtree rules as the command's own route."""
        principal = self.principal
        if principal is None:
            return True
        route = kind.route
        column = self._column(row, route.scope_field or "")
        if principal.role not in route.roles:
            self.report.problems.append(self._problem(
                row, None, "role_not_allowed",
                f"“{principal.role.label_zh}”角色不能导入“{kind.sheet}”",
                f"the {principal.role.value} role may not import {kind.key}",
            ))  # fmt: skip
            return False
        if principal.scope_org_id is None:
            return True
        unit_id = getattr(command, route.scope_field) if route.scope_field else None
        unit = self.units.find(unit_id) if unit_id is not None else None

        def organization(org_id: UUID) -> PartyOrganization:
            found = self.units.get(org_id)
            assert isinstance(found, PartyOrganization)
            return found

        inside = unit is not None and principal.scope_org_id in self.access.chain(
            unit, organization
        )
        if not inside:
            self.report.problems.append(self._problem(
                row, column, "outside_scope", "该单位不在您的管辖范围内，不能导入",
                "this unit is outside the organization your token is scoped to",
            ))  # fmt: skip
        return inside

    def _execute(self, row: _Row, kind: ImportKind, command: Command) -> None:
        target = command.target_id()
        before = self.units.find(target) if target is not None else None
        # copy on write: a unit is copied only when the row may turn out to repeat a fact it
        # holds (one of the same date), the one case where a command that ran is undone
        kept = None
        if before is not None and kind.creates is None:
            differing = self._against_record(row, command, before.id)
            if differing:  # skipped, it would leave the record unlike the file unsaid
                self.report.problems.extend(differing)
                return
            if differing is not None:  # the fact in force: recorded already
                self.report.skipped[kind.key] += 1
                return
        if before is not None and command.occurred_on.isoformat() in self._known(before.id):
            kept = _copy_to_undo(before)
        assert self.record_id is not None
        source = import_source(self.record_id, row.sheet, row.number)
        prov = self.app.provenance(self.actor, command, source, token_no=self._token_no)
        ctx = CommandContext(prov, self.units, {}, self.app.plans)
        pending_before = len(before.pending_events) if before is not None else 0
        try:
            changed = command.run(ctx)
        except InvalidReferences as error:
            for ref_field, problem in error.problems:
                self.report.problems.append(self._problem(
                    row, self._column(row, ref_field.split(".")[0]), problem.code,
                    problem.message_zh, problem.message_en,
                ))  # fmt: skip
            return
        except DomainError as error:
            if error.code == DUPLICATE_FACT.code:  # held already: by the store, or an earlier row
                self.report.skipped[kind.key] += 1
                return
            if error.code in ONCE_ONLY and self._stored_already(command):
                self.report.skipped[kind.key] += 1
                return
            columns = [c for f in error.fields if (c := self._column(row, f)) is not None]
            self.report.problems.append(
                self._problem(row, columns, error.code, error.message_zh, error.message_en)
            )
            return
        primary = changed[0]
        if target is None:  # a new unit: nothing the store holds can equal it
            new = primary.pending_events
        else:
            new = primary.pending_events[pending_before:]
            known = self._known(primary.id)
            signatures = [(e.occurred_on.isoformat(), _signature(e)) for e in new]  # type: ignore[attr-defined,arg-type]
            if kind.creates is None and all(s in known.get(d, ()) for d, s in signatures):
                assert kept is not None  # a fact of a date the unit holds none of is new
                del kept.pending_events[pending_before:]  # the row's, off the list it shares
                self.units.restore(kept)
                self.report.skipped[kind.key] += 1
                return
            for d, s in signatures:
                known.setdefault(d, set()).add(s)
            self._hold_figured(row, command, primary.id, new[0].originator_version)
        for unit in changed:
            self.units.put(unit)
            self.dirty.add(unit.id)
        self.report.recorded[kind.key] += 1
        versions = [e.originator_version for e in new]
        self.mapping.append((row.sheet, row.number, primary.id, min(versions), max(versions)))

    def _stored_already(self, command: Command) -> bool:
        """A fact the domain takes once (a coordination body of a kind) that the store
        already holds: the file is being imported again. Refused by the store's own state,
        not only by an earlier row of this file, which would be a conflict to report."""
        target = command.target_id()
        if target is None or self.units.created(target):
            return False
        stored = _Stored(self.app, self.app.repository.get(target))
        try:
            command.run(CommandContext(self.app.provenance(self.actor, command), stored, {}))
        except DomainError as error:
            return error.code in ONCE_ONLY
        return False

    def _known(self, aggregate_id: UUID) -> dict[str, set[Signature]]:
        """The facts a unit holds, by date: a row is looked for among those of its date."""
        held = self.units.held_of(aggregate_id)
        if held.known is None:
            stored = [] if held.created else self.app.events.get(aggregate_id)
            held.known, held.in_force = _facts_of(list(stored))
        return held.known

    def _hold_figured(self, row: _Row, command: Command, unit_id: UUID, version: int) -> None:
        """A figured fact this row records, under its natural key: a later row of the file
        with the same key is compared with it as with a recorded one, so two rows of one
        allocation with different amounts are not both recorded."""
        figured = _FIGURED.get(getattr(command, "operation", ""))
        if figured is None:
            return
        figures = {f: getattr(command, f) for f in figured.figures}
        in_force = self.units.held_of(unit_id).in_force
        assert in_force is not None  # built with ``known``, which the row's run read
        key = _fact_key(figured, command.occurred_on.isoformat(), command)
        in_force.setdefault(key, []).append(InForce(version, figures, row=(row.sheet, row.number)))

    def _against_record(self, row: _Row, command: Command, unit_id: UUID) -> list[Problem] | None:
        """A figured fact (an allocation, an upgrade) the unit holds under the row's natural
        key, compared by the figures in force (corrections applied): None if it holds none
        (the row is new), no problem if the row's filled-in figures are those (recorded
        already), else one problem per figure that differs. Compared by the original
        figure, a corrected allocation imported again with its corrected amount would be
        recorded a second time, and the original row would pass as recorded."""
        figured = _FIGURED.get(getattr(command, "operation", ""))
        if figured is None:
            return None
        self._known(unit_id)
        in_force = self.units.held_of(unit_id).in_force or {}
        facts = in_force.get(_fact_key(figured, command.occurred_on.isoformat(), command))
        if not facts:
            return None
        given = {f: v for f in figured.figures if (v := getattr(command, f)) is not None}
        for fact in facts:
            if all(_same_figure(v, fact.figures[f]) for f, v in given.items()):
                return []
        fact = facts[-1]
        found = []
        for f, v in given.items():
            held = fact.figures[f]
            if _same_figure(v, held):
                continue
            shown = "（空）" if held is None else _figure_zh(figured, held)
            if fact.row is not None:
                mine = _figure_zh(figured, v)
                found.append(self._in_file_twice(row, f, figured, fact.row, mine, shown))
                continue
            corrected = "" if fact.correction is None else f"（已更正：{fact.correction}）"
            found.append(self._problem(
                row, self._column(row, f), "differs_from_record",
                f"与第{fact.version}版已记录的{command.occurred_on}的{figured.what_zh}不一致："
                f"表中为{_figure_zh(figured, v)}，记录为{shown}{corrected}。导入不会更改已记录的"
                "内容，请改为记录中的值后再导入；确需更改的，请另行更正",
                f"version {fact.version} records {f} {held} for that day (corrections"
                f" applied); the file says {v}; an import does not change a recorded fact",
            ))  # fmt: skip
        return found

    def _in_file_twice(
        self, row: _Row, field: str, figured: _Figured, earlier: tuple[str, int], mine: str,
        theirs: str,
    ) -> Problem:  # fmt: skip
        """A row of a fact an earlier row of the file records (the same natural key) with
        another figure: which is right is the county's to say, so neither is guessed."""
        sheet, number = earlier
        where = f"第{number}行" if sheet == row.sheet else f"“{sheet}”表第{number}行"
        return self._problem(
            row, self._column(row, field), "duplicate_in_file",
            f"与{where}是同一{figured.what_zh}记录（{figured.key_zh}相同）而数字不同：{where}为"
            f"{theirs}，本行为{mine}。同一事实只能记录一次，请删除或更正其中一行",
            f"row {number} of {sheet} records the same {figured.event} (the same natural key)"
            f" with {field} {theirs}; this row says {mine}",
        )  # fmt: skip


class _Stored:
    """The store as the repository a command loads from, with one unit given (changed in
    place by the command, so read once)."""

    def __init__(self, app: SansanApplication, unit: SansanAggregate) -> None:
        self.app, self.unit = app, unit

    def get(self, aggregate_id: UUID, version: int | None = None) -> SansanAggregate:
        if aggregate_id == self.unit.id:
            return self.unit
        found: SansanAggregate = self.app.repository.get(aggregate_id)
        return found


def _copy_to_undo(unit: SansanAggregate) -> SansanAggregate:
    """The unit to go back to if the row turns out to repeat a fact: its state copied, its
    pending events not. Those are frozen and a row only appends to them, so the copy shares
    their list, and going back cuts the row's events off it. Copied, they made each row cost
    the events of every row before it on the same unit (up to a batch's: 2,000 trainings of
    one member took minutes to check)."""
    pending = unit.pending_events
    shared: dict[int, Any] = {id(pending): pending}
    kept: SansanAggregate = copy.deepcopy(unit, shared)
    return kept
