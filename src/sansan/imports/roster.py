"""The templates filled from the service's own state: the organization tree, the communities
and the member roster of a scope, in the very columns the import reads, so an exported
roster imports back to the same state (into another store, or as a check of this one)."""

import io
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from openpyxl import load_workbook

from sansan.application import SansanApplication
from sansan.cells import cell_value, put
from sansan.domain import Community, Member, PartyOrganization
from sansan.imports.kinds import KIND_BY_KEY, Column, ImportKind
from sansan.imports.workbooks import template
from sansan.projections.queries import ReadModels

# The kinds whose rows the service can write back out: the units people name.
EXPORTABLE = ("organizations", "communities", "members")
PAGE = 500


def _cell(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.type == "choice":
        value = dict(column.choices).get(str(value), value)
    return cell_value(value)  # a name or number recorded before the commands refused it


class Roster:
    """Reads a scope's units (aggregates, found through the read models) into template rows."""

    def __init__(self, app: SansanApplication, read_models: ReadModels, scope: UUID | None):
        self.app, self.read_models, self.scope = app, read_models, scope
        self.names: dict[UUID, str] = {}
        self.members_read: list[UUID] = []
        self.communities_read: set[UUID] = set()

    def _name(self, unit_id: UUID | None) -> str | None:
        if unit_id is None:
            return None
        if unit_id not in self.names:
            self.names[unit_id] = self.app.get(unit_id).name
        return self.names[unit_id]

    def rows(self, kind: ImportKind) -> Iterator[dict[str, Any]]:
        """Each unit as the command that would create it: field → value, names for ids."""
        if kind.key == "organizations":
            for row in self.read_models.organizations(scope=self.scope):
                o = self.app.get(UUID(str(row["id"])), PartyOrganization)
                yield {
                    "name": o.name, "level": o.level, "parent_id": self._name(o.parent_id),
                    "community_id": self._name(o.community_id), "occurred_on": o.began_on,
                }  # fmt: skip
        elif kind.key == "communities":
            for community_id in self.read_models.community_ids(scope=self.scope):
                c = self.app.get(community_id, Community)
                yield {
                    "name": c.name, "street_committee_id": self._name(c.street_committee_id),
                    "origin": c.origin, "occurred_on": c.began_on,
                }  # fmt: skip
        elif kind.key == "members":
            yield from self._members()

    def _members(self) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self.read_models.members(
                scope=self.scope, organization_id=None, community_id=None, category=None,
                cursor=cursor, limit=PAGE,
            )  # fmt: skip
            for row in page.items:
                m = self.app.get(UUID(str(row["id"])), Member)
                if m.transferred_out_on is not None:
                    continue  # the roster is who belongs now
                self.members_read.append(m.id)
                self.communities_read.add(m.community_id)
                yield {
                    "name": m.name, "category": m.category,
                    "organization_id": self._name(m.organization_id),
                    "birth_year": m.birth_year, "birth_date": vars(m).get("birth_date"),
                    "workplace": m.workplace, "occurred_on": m.began_on,
                }  # fmt: skip
            cursor = page.next_cursor
            if not cursor:
                return

    def workbook(self, keys: list[str]) -> bytes:
        """The template of these kinds with the scope's units as its rows (no example row)."""
        kinds = [KIND_BY_KEY[k] for k in keys]
        book = load_workbook(io.BytesIO(template(kinds)))
        for kind in kinds:
            sheet = book[kind.sheet]
            sheet.delete_rows(2)
            for values in self.rows(kind):
                sheet.append([_cell(c, values.get(c.field)) for c in kind.columns])
                for index, column in enumerate(kind.columns, start=1):
                    cell = sheet.cell(row=sheet.max_row, column=index)
                    if column.type == "date":
                        cell.number_format = "yyyy-mm-dd"
                    else:  # a recorded name like =HYPERLINK(…) stays text, as in every export
                        put(cell, cell.value)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
