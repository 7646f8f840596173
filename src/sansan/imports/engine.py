"""Importing a file: every row through the command models and the domain rules, against a
scratch view of the store, and all of it saved in one transaction or nothing at all.

The scratch view (``Units``) answers the units the store holds and the ones the file has
created so far, so a member can be registered in an organization three sheets earlier
and nothing is written until the whole file has passed. A row that names a unit not yet
known is put aside and tried again once the rest has run, so sheets and rows may come in
any order.

Re-importing records nothing twice: a row that creates a unit is skipped when a unit of
that name (in that organization or community) exists, and its id is derived from that
natural key (uuid5); a row that records a fact is skipped when the unit already holds an
event with the same type, date and content.
"""

import copy
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from pydantic import ValidationError

from sansan.access import AccessService, Principal
from sansan.application import RecordedEvent, SansanApplication
from sansan.commands import Command, CommandContext
from sansan.domain import Community, DomainError, ImportRecord, PartyOrganization
from sansan.domain.base import Provenance, SansanAggregate
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
from sansan.projections.store import ReadStore

# The template's own instructions and dropdown lists, and an error workbook's summary.
NOT_DATA = frozenset({"说明", "选项", "错误"})
# The domain's refusal of a fact a unit may hold once: when the store already holds it,
# the row is one imported before.
ONCE_ONLY = frozenset({"already_recorded"})
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

    def changed(self) -> list[SansanAggregate]:
        return [a for a in self.seen.values() if a.pending_events]


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
            return self._by_name("rm_organizations").get(name, [])
        if unit == COMMUNITY:
            return self._by_name("rm_communities").get(name, [])
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
        if table not in self._named:
            found: dict[str, list[UUID]] = {}
            with self.store.transaction() as c:
                for unit_id, name in c.execute(f"SELECT id, name FROM {table}").fetchall():
                    found.setdefault(str(name), []).append(UUID(str(unit_id)))
            self._named[table] = found
        return self._named[table]

    def _members_of(self, organization_id: UUID) -> dict[str, list[UUID]]:
        if organization_id not in self._members:
            found: dict[str, list[UUID]] = {}
            with self.store.transaction() as c:
                rows = c.execute(
                    "SELECT id, name FROM rm_members WHERE organization_id = ?",
                    (str(organization_id),),
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
        self.app, self.actor, self.principal = app, actor, principal
        self.limits = limits or Limits()
        self.on_row = on_row
        self.units = Units(app)
        self.directory = Directory(store, self.units)
        self.access = AccessService(app)
        self.created: set[UUID] = set()
        self.known: dict[UUID, set[str]] = {}
        self.mapping: list[tuple[str, int, UUID, int, int]] = []

    def run(self, data: bytes, file_name: str, *, dry_run: bool = False) -> ImportReport:
        if len(data) > self.limits.max_bytes:
            raise FileTooLarge(len(data), self.limits.max_bytes)
        report = ImportReport(file_name, hashlib.sha256(data).hexdigest(), dry_run)
        self.report = report
        deferred: list[tuple[_Row, Problem]] = []
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
        except CellError as error:
            report.problems.append(Problem(file_name, 0, "", "", error.code, error.zh, error.en))
            return report
        self._retry(deferred)
        report.problems.sort(key=lambda p: (p.sheet, p.row))
        if not report.problems and not dry_run:
            self._save(report)
        return report

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

    def _retry(self, deferred: list[tuple[_Row, Problem]]) -> None:
        """Rows that named a unit the file creates later, until no more of them can run."""
        while deferred:
            waiting: list[tuple[_Row, Problem]] = []
            for row, _ in deferred:
                try:
                    self._apply(row)
                except _Deferred as wait:
                    waiting.append((row, wait.problem))
            if len(waiting) == len(deferred):
                self.report.problems.extend(problem for _, problem in waiting)
                return
            deferred = waiting

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
            if self.directory.find(kind.creates, name, within):
                self.report.skipped[kind.key] += 1
                return
            values[kind.id_field] = derived_id(kind.creates, name, within)
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
        principal, route = self.principal, kind.route
        if principal is None:
            return True
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
        before = self.units.seen.get(target) if target is not None else None
        kept = copy.deepcopy(before) if before is not None else None
        prov = self.app.provenance(self.actor, command)
        ctx = CommandContext(prov, self.units, {}, self.app.plans)  # type: ignore[arg-type]
        pending_before = len(before.pending_events) if before is not None else 0
        try:
            changed = command.run(ctx)
        except InvalidReferences as error:
            self._restore(target, kept)
            for ref_field, problem in error.problems:
                self.report.problems.append(self._problem(
                    row, self._column(row, ref_field.split(".")[0]), problem.code,
                    problem.message_zh, problem.message_en,
                ))  # fmt: skip
            return
        except DomainError as error:
            self._restore(target, kept)
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
            signatures = [_signature(e) for e in new]  # type: ignore[arg-type]
            if kind.creates is None and all(s in known for s in signatures):
                self._restore(target, kept)
                self.report.skipped[kind.key] += 1
                return
            known.update(signatures)
        for unit in changed:
            self.units.seen[unit.id] = unit
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

    def _restore(self, target: UUID | None, kept: SansanAggregate | None) -> None:
        if target is None:
            return
        if kept is None:
            self.units.seen.pop(target, None)
        else:
            self.units.seen[target] = kept

    def _known(self, aggregate_id: UUID) -> set[str]:
        if aggregate_id not in self.known:
            stored = [] if aggregate_id in self.created else self.app.events.get(aggregate_id)
            self.known[aggregate_id] = {_signature(e) for e in stored}  # type: ignore[arg-type]
        return self.known[aggregate_id]

    def _save(self, report: ImportReport) -> None:
        """Everything in one transaction, with the record of the import itself."""
        changed = self.units.changed()
        today = self.app.clock.today()
        record = ImportRecord.record(
            Provenance(actor=self.actor, occurred_on=today, today=today),
            file_name=report.file_name, sha256=report.sha256, recorded=dict(report.recorded),
            skipped=dict(report.skipped), rows=self.mapping,
        )  # fmt: skip
        report.events = sum(len(a.pending_events) for a in changed)
        try:
            self.app.save(*changed, record)
        except IntegrityError:
            report.problems.append(Problem(
                report.file_name, 0, "", "", "concurrent_write",
                "导入期间数据有变动（或刚导入的数据尚未就绪），未记录任何内容，请稍后重新导入",
                "another writer changed these units meanwhile; nothing was recorded",
            ))  # fmt: skip
            return
        report.saved, report.import_id = True, record.id
