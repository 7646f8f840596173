"""Importing a file: every row through the command models and the domain rules, in two
streamed passes over the file, so memory does not grow with its rows or events.

The first pass checks every row against a scratch view of the store (``Units``: the units
the store holds and those the file has created so far) and writes nothing; any problem and
the import stops there, having recorded nothing. The second pass runs the same rows again
and saves them in batches (``batch_rows`` rows a transaction), each batch with its rows'
mapping in the import's own record. Between batches the scratch keeps the units' state but
drops their events, so what is held is the units the file touches, never its events.

A row that names a unit not yet known is put aside and tried again once the rest has run,
so sheets and rows may come in any order.

Re-importing records nothing twice: a row that creates a unit is skipped when a unit of
that name (in that organization or community) exists, and its id is derived from that
natural key (uuid5); a row that records a fact is skipped when the unit already holds an
event with the same type, date and content. If the process stops between batches, the
import's record stays unfinished (no ``ImportFinished``); importing the same file again
resumes that record, finds the units the stopped run created by their derived ids, skips
what was written and writes the rest.
"""

import copy
import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from pydantic import ValidationError
from sqlalchemy import select

from sansan.access import AccessService, Principal
from sansan.application import RecordedEvent, SansanApplication
from sansan.commands import Command, CommandContext
from sansan.domain import Community, DomainError, ImportRecord, PartyOrganization
from sansan.domain.base import Provenance, SansanAggregate, import_source
from sansan.domain.errors import InvalidReferences
from sansan.imports.kinds import (
    COMMUNITY,
    EXAMPLE_NOTE,
    MEMBER,
    ORGANIZATION,
    TEAM_MEMBER,
    UNIT_ZH,
    WORKER,
    Column,
    ImportKind,
    derived_id,
)
from sansan.imports.reading import CellError, Sheet, file_sheets, find_sheet, is_blank, text_of
from sansan.imports.reading import to_value as cell_value
from sansan.internal_ids import InternalKey
from sansan.projections.store import ReadStore

# The template's own instructions and dropdown lists, and an error workbook's summary.
NOT_DATA = frozenset({"说明", "选项", "错误"})
# The domain's refusal of a fact a unit may hold once: when the store already holds it,
# the row is one imported before.
ONCE_ONLY = frozenset({"already_recorded"})
# The writing pass stopped after some batches: importing the same file again finishes it.
UNFINISHED = "import_unfinished"
_ZH_BY_TYPE = {
    "missing": "缺少必填项",
    "string_too_short": "不能为空",
    "string_too_long": "内容过长",
    "greater_than": "取值过小",
    "less_than": "取值过大",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多",
}


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 200_000
    batch_rows: int = 2000  # rows saved per transaction in the writing pass


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


@dataclass
class _Row:
    sheet: str
    number: int
    kind: ImportKind
    cells: dict[Column, Any]


class _Deferred(Exception):
    """A row names a unit not known yet: it is tried again when the rest has run."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class Units:
    """The scratch view: the store's units, with what the import has done to them so far.

    Quacks as the repository ``CommandContext`` loads from; each unit is loaded once and
    then changed in place, and only saved if the whole file passes.
    """

    def __init__(self, app: SansanApplication) -> None:
        self.app = app
        self.seen: dict[UUID, SansanAggregate] = {}

    def get(self, aggregate_id: UUID, version: int | None = None) -> SansanAggregate:
        unit = self.seen.get(aggregate_id)
        if unit is None:
            unit = self.app.repository.get(aggregate_id)
            self.seen[aggregate_id] = unit
        return unit

    def find(self, aggregate_id: UUID) -> SansanAggregate | None:
        try:
            return self.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def take(self, ids: set[UUID]) -> list[SansanAggregate]:
        """The units among ``ids`` with events not yet saved or dropped."""
        return [a for i in ids if (a := self.seen.get(i)) is not None and a.pending_events]


class Directory:
    """Units by the names people use: the read models for what the store held before the
    import, the import's own record for what it creates, the aggregates for the people
    inside a unit (team members, community workers)."""

    def __init__(self, store: ReadStore, units: Units) -> None:
        self.store, self.units = store, units
        self.added: dict[tuple[str, UUID | None, str], UUID] = {}
        self._named: dict[str, dict[str, list[UUID]]] = {}
        self._members: dict[UUID, dict[str, list[UUID]]] = {}

    def add(self, unit: str, name: str, within: UUID | None, unit_id: UUID) -> None:
        self.added[(unit, within, name)] = unit_id

    def find(self, unit: str, name: str, within: UUID | None) -> list[UUID]:
        mine = self.added.get((unit, within, name))
        if mine is not None:
            return [mine]
        if unit == ORGANIZATION:
            return self._by_name("organizations").get(name, [])
        if unit == COMMUNITY:
            return self._by_name("communities").get(name, [])
        if unit == MEMBER and within is not None:
            return self._members_of(within).get(name, [])
        container = self.units.find(within) if within is not None else None
        if unit == TEAM_MEMBER and isinstance(container, PartyOrganization):
            team = container.team.items()
            return [UUID(k) for k, v in team if v["person_name"] == name]
        if unit == WORKER and isinstance(container, Community):
            workers = vars(container).get("workers", {}).items()
            return [UUID(k) for k, v in workers if v["worker_name"] == name and not v["left_on"]]
        return []

    def _by_name(self, table: str) -> dict[str, list[UUID]]:
        """Every unit of a read-model table (``organizations`` or ``communities``) by name."""
        if table not in self._named:
            found: dict[str, list[UUID]] = {}
            with self.store.transaction() as c:
                units = getattr(c.t, table)
                for unit_id, name in c.execute(select(units.c.id, units.c.name)).fetchall():
                    found.setdefault(str(name), []).append(UUID(str(unit_id)))
            self._named[table] = found
        return self._named[table]

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
                found.setdefault(str(name), []).append(UUID(str(unit_id)))
            self._members[organization_id] = found
        return self._members[organization_id]


def _signature(event: SansanAggregate.Event) -> str:
    """What makes two events the same fact: type, date, note, evidence and content."""
    e = RecordedEvent.of(event)
    return json.dumps(
        [e.type, e.occurred_on, e.note, e.evidence_ref, e.data],
        sort_keys=True, default=str, ensure_ascii=False,
    )  # fmt: skip


class Importer:
    """One import of one file by one principal (or the command line's actor)."""

    def __init__(
        self, app: SansanApplication, store: ReadStore, *, actor: str,
        principal: Principal | None = None, limits: Limits | None = None,
        on_row: Callable[[], None] = lambda: None,
    ) -> None:  # fmt: skip
        self.app, self.store, self.actor, self.principal = app, store, actor, principal
        self.limits = limits or Limits()
        self.on_row = on_row
        self.access = AccessService(app)
        self.record: ImportRecord | None = None
        self.resuming = False
        self._begin_pass()

    def _begin_pass(self) -> None:
        self.units = Units(self.app)
        self.directory = Directory(self.store, self.units)
        self.created: set[UUID] = set()
        # the facts each unit holds, by date: a row is looked for among those of its date
        self.known: dict[UUID, dict[str, set[str]]] = {}
        self.dirty: set[UUID] = set()
        self.flush: Callable[[], None] = self._drop
        self.batch = 0  # rows run since the last flush
        self.mapping: list[tuple[str, int, UUID, int, int]] = []

    def run(self, data: bytes, file_name: str, *, dry_run: bool = False) -> ImportReport:
        if len(data) > self.limits.max_bytes:
            raise FileTooLarge(len(data), self.limits.max_bytes)
        report = ImportReport(file_name, hashlib.sha256(data).hexdigest(), dry_run)
        self.report = report
        record_id, self.record = self._record_to_finish(report.sha256)
        self.resuming = self.record is not None
        self._pass(data, file_name, self._drop)
        report.problems.sort(key=lambda p: (p.sheet, p.row))
        if report.problems or dry_run:
            return report
        recorded, skipped = dict(report.recorded), dict(report.skipped)
        if self.record is None:
            prov = self._prov()
            self.record = ImportRecord.begin(
                prov, record_id, file_name=file_name, sha256=report.sha256,
                recorded=recorded, skipped=skipped,
            )  # fmt: skip
        report.import_id = self.record.id
        self._begin_pass()
        report.rows, report.recorded, report.skipped = 0, Counter(), Counter()
        try:
            self._pass(data, file_name, self._write)
            if not report.problems:  # else the store changed under the writing pass
                self.record.finish(self._prov(), dict(report.recorded), dict(report.skipped))
                self._write()
                report.saved = True
                return report
        except IntegrityError:
            pass
        report.problems.append(Problem(
            report.file_name, 0, "", "", UNFINISHED,
            "导入期间数据有变动，导入未完成，可能已记录部分内容；"
            "请重新导入同一文件完成导入，已记录的不会重复记录",
            "another writer changed these units meanwhile; some batches may be recorded:"
            " import the same file again to finish",
        ))  # fmt: skip
        return report

    def _record_to_finish(self, sha256: str) -> tuple[UUID, ImportRecord | None]:
        """Where this import's record goes: an unfinished one of the same file, to resume,
        or else the first free place among those of the file."""
        for attempt in itertools.count():
            key = InternalKey("import", f"{sha256}|{attempt}")
            record_id, found = self.app.internal_record(ImportRecord, key)
            if found is None or not found.finished:
                return record_id, found
        raise AssertionError("unreachable")

    def _prov(self) -> Provenance:
        today = self.app.clock.today()
        return Provenance(actor=self.actor, occurred_on=today, today=today)

    def _pass(self, data: bytes, file_name: str, flush: Callable[[], None]) -> None:
        """Every row of the file, then the rows put aside; ``flush`` every batch."""
        report = self.report
        deferred: list[tuple[_Row, Problem]] = []
        self.flush, self.batch = flush, 0
        try:
            for name, rows in file_sheets(data, file_name):
                if name in NOT_DATA:
                    continue
                sheet = find_sheet(name, rows)
                if self._refused(sheet):
                    continue
                for number, cells in sheet.rows:
                    row = self._row_of(sheet, number, cells)
                    if row is None:
                        continue
                    report.rows += 1
                    if report.rows > self.limits.max_rows:
                        raise TooManyRows(self.limits.max_rows)
                    self.on_row()
                    try:
                        self._apply(row)
                    except _Deferred as wait:
                        deferred.append((row, wait.problem))
                        continue
                    self._ran()
                deferred = self._retry(deferred)
        except CellError as error:
            report.problems.append(Problem(file_name, 0, "", "", error.code, error.zh, error.en))
            return
        report.problems.extend(problem for _, problem in deferred)
        flush()

    def _ran(self) -> None:
        """A row has run (recorded, skipped or refused): a full batch is flushed."""
        self.batch += 1
        if self.batch >= self.limits.batch_rows:
            self.flush()
            self.batch = 0

    def _drop(self) -> None:
        """The checking pass keeps what the batch did to the units, not its events."""
        for unit in self.units.take(self.dirty):
            unit.collect_events()
        self.dirty.clear()

    def _write(self) -> None:
        """One transaction: the batch's events, and its rows' mapping in the record."""
        assert self.record is not None
        changed = self.units.take(self.dirty)
        if self.mapping:
            self.record.map_rows(self._prov(), self.mapping)
        self.report.events += sum(len(a.pending_events) for a in changed)
        if changed or self.record.pending_events:
            self.app.save(*changed, self.record)
        self.dirty.clear()
        self.mapping.clear()

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

    def _row_of(self, sheet: Sheet, number: int, cells: list[Any]) -> _Row | None:
        assert sheet.kind is not None
        chosen = {c: cells[i] for i, c in sheet.columns.items() if i < len(cells)}
        if all(is_blank(v) for v in chosen.values()):
            return None  # blank and trailing rows, and rows with notes beside the table only
        if any(c.field == "note" and text_of(v) == EXAMPLE_NOTE for c, v in chosen.items()):
            return None  # the template's example row, left in
        return _Row(sheet.name, number, sheet.kind, chosen)

    def _retry(self, deferred: list[tuple[_Row, Problem]]) -> list[tuple[_Row, Problem]]:
        """Rows that named a unit not known when they came, until no more of them can run;
        those left are returned. Run after every sheet, so a sheet naming units the next
        sheet creates (an organization's community) holds back only those rows, not every
        row below that names them, and the rows held back stay few."""
        while deferred:
            waiting: list[tuple[_Row, Problem]] = []
            for row, _ in deferred:
                try:
                    self._apply(row)
                except _Deferred as wait:
                    waiting.append((row, wait.problem))
                    continue
                self._ran()
            if len(waiting) == len(deferred):
                return waiting
            deferred = waiting
        return []

    def _problem(self, row: _Row, column: Column | None, code: str, zh: str, en: str) -> Problem:
        value = row.cells.get(column) if column is not None else None
        return Problem(
            row.sheet, row.number, column.header if column else "",
            "" if is_blank(value) else text_of(value), code, zh, en,
        )  # fmt: skip

    def _column(self, row: _Row, name: str) -> Column | None:
        columns = [c for c in row.kind.columns if c.field == name]
        named = [c for c in columns if c.type == "name"]
        return next(iter(named or columns), None)

    def _apply(self, row: _Row) -> None:
        kind, problems = row.kind, self.report.problems
        values: dict[str, Any] = {}
        names: dict[str, dict[str, str]] = {}
        found: list[Problem] = []
        for column, raw in row.cells.items():
            if is_blank(raw):
                continue
            if column.type in ("name", "within"):
                names.setdefault(column.field, {})[column.type] = text_of(raw)
                continue
            try:
                values[column.field] = cell_value(column, raw)
            except CellError as error:
                found.append(self._problem(row, column, error.code, error.zh, error.en))
        for column in kind.columns:
            if column.required and is_blank(row.cells.get(column)):
                found.append(self._problem(
                    row, column, "required", f"“{column.header}”为必填项", "required",
                ))  # fmt: skip
        if found:
            problems.extend(found)
            return
        # a unit inside another is found once the other is: refs naming a field come last
        for ref_field, ref in sorted(kind.refs.items(), key=lambda r: r[1].within is not None):
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
            name = str(values.get(kind.name_field, ""))
            within = values.get(kind.within_field) if kind.within_field else None
            unit_id = derived_id(kind.creates, name, within)
            if self._written_before(unit_id):  # found by the rows after it, as if just made
                self.directory.add(kind.creates, name, within, unit_id)
            if self.directory.find(kind.creates, name, within):
                self.report.skipped[kind.key] += 1
                return
            values[kind.id_field] = unit_id
        try:
            command = kind.command.model_validate(values)
        except ValidationError as error:
            for e in error.errors():
                where = str(e["loc"][0]) if e["loc"] else ""
                zh = _ZH_BY_TYPE.get(e["type"], "取值不符合要求")
                at = self._column(row, where)
                problems.append(self._problem(row, at, e["type"], zh, e["msg"]))
            return
        if not self._in_scope(row, kind, command):
            return
        self._execute(row, kind, command)

    def _resolve(
        self, row: _Row, ref_field: str, unit: str, name: str, within: UUID | None,
        part: str = "name",
    ) -> UUID:  # fmt: skip
        column = next(
            (c for c in row.kind.columns if c.field == ref_field and c.type == part), None
        )
        ids = self.directory.find(unit, name, within)
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
        return ids[0]

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

    def _written_before(self, unit_id: UUID) -> bool:
        """A unit the stopped run of this import created: the read models may not show it
        yet, the store does (only looked for when resuming: one read per row)."""
        if not self.resuming or unit_id in self.created:
            return False
        try:
            self.app.repository.get(unit_id)
        except AggregateNotFoundError:
            return False
        return True

    def _execute(self, row: _Row, kind: ImportKind, command: Command) -> None:
        target = command.target_id()
        before = self.units.find(target) if target is not None else None
        # copy on write: a unit is copied only when the row may turn out to repeat a fact it
        # holds (one of the same date), the one case where a command that ran is undone
        kept = None
        if before is not None and command.occurred_on.isoformat() in self._known(before.id):
            kept = copy.deepcopy(before)
        record = self.record  # none while checking: the row's events are not kept
        source = None if record is None else import_source(record.id, row.sheet, row.number)
        prov = self.app.provenance(self.actor, command, source)
        ctx = CommandContext(prov, self.units, {}, self.app.plans)  # type: ignore[arg-type]
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
            if error.code in ONCE_ONLY and self._stored_already(command):
                self.report.skipped[kind.key] += 1
                return
            column = self._column(row, str(error.params.get("field", "")))
            self.report.problems.append(
                self._problem(row, column, error.code, error.message_zh, error.message_en)
            )
            return
        primary = changed[0]
        if target is None:  # a new unit: nothing the store holds can equal it
            self.created.add(primary.id)
            new = primary.pending_events
        else:
            new = primary.pending_events[pending_before:]
            known = self._known(primary.id)
            signatures = [(e.occurred_on.isoformat(), _signature(e)) for e in new]  # type: ignore[attr-defined,arg-type]
            if kind.creates is None and all(s in known.get(d, ()) for d, s in signatures):
                assert kept is not None  # a fact of a date the unit holds none of is new
                self.units.seen[kept.id] = kept
                self.report.skipped[kind.key] += 1
                return
            for d, s in signatures:
                known.setdefault(d, set()).add(s)
        for unit in changed:
            self.units.seen[unit.id] = unit
            self.dirty.add(unit.id)
        if kind.creates is not None:
            name = str(getattr(command, kind.name_field))
            within = getattr(command, kind.within_field) if kind.within_field else None
            self.directory.add(kind.creates, name, within, getattr(command, kind.id_field))
        self.report.recorded[kind.key] += 1
        versions = [e.originator_version for e in new]
        self.mapping.append((row.sheet, row.number, primary.id, min(versions), max(versions)))

    def _stored_already(self, command: Command) -> bool:
        """A fact the domain takes once (a coordination body of a kind) that the store
        already holds: the file is being imported again. Refused by the store's own state,
        not only by an earlier row of this file, which would be a conflict to report."""
        target = command.target_id()
        if target is None or target in self.created:
            return False
        fresh: SansanAggregate = self.app.repository.get(target)
        units = Units(self.app)
        units.seen[target] = fresh
        try:
            command.run(CommandContext(self.app.provenance(self.actor, command), units, {}))  # type: ignore[arg-type]
        except DomainError as error:
            return error.code in ONCE_ONLY
        return False

    def _known(self, aggregate_id: UUID) -> dict[str, set[str]]:
        if aggregate_id not in self.known:
            stored = [] if aggregate_id in self.created else self.app.events.get(aggregate_id)
            by_date: dict[str, set[str]] = {}
            for e in stored:
                by_date.setdefault(e.occurred_on.isoformat(), set()).add(_signature(e))  # type: ignore[attr-defined,arg-type]
            self.known[aggregate_id] = by_date
        return self.known[aggregate_id]
