"""Reads over the read-model tables: filters, the caller's subtree, keyset pagination."""

import base64
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sansan.domain import ADDRESSEE_OF_ROLE
from sansan.domain.access import PersonalDataAccess
from sansan.domain.vocabulary import Role
from sansan.projections.store import ReadStore

MAX_LIMIT = 200


class BadCursor(ValueError):
    pass


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


# A page read newest first marks its cursor, so that a cursor is never read in the other order.
NEWEST_FIRST = "desc"


def decode_cursor(cursor: str | None, size: int, newest_first: bool = False) -> list[Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        raise BadCursor(cursor) from None
    if not isinstance(key, list) or len(key) != size + newest_first:
        raise BadCursor(cursor)
    if newest_first:
        if key[0] != NEWEST_FIRST:
            raise BadCursor(cursor)
        return key[1:]
    return key


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


class Where:
    """Collects WHERE clauses and their parameters."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def community_in(self, scope: UUID | None) -> None:
        """Communities a scope covers: its street's, or its own general branch's."""
        if scope is not None:
            self.add("(street_committee_id = ? OR general_branch_id = ?)", str(scope), str(scope))

    def under(self, path_column: str, scope: UUID | None) -> None:
        """Rows whose organization lies in the scope's subtree (materialized path)."""
        if scope is not None:
            self.add(f"{path_column} LIKE ?", f"%/{scope}/%")

    def equal(self, column: str, value: Any) -> None:
        if value is not None:
            self.add(f"{column} = ?", str(value))

    def sql(self) -> str:
        return (" WHERE " + " AND ".join(self.clauses)) if self.clauses else ""


MEMBER_BATCH = 500  # ids bound per statement, well under either store's parameter limit


class ReadModels:
    def __init__(self, store: ReadStore) -> None:
        self.store = store

    def _page(
        self, select: str, where: Where, order: list[str], cursor: str | None, limit: int,
        select_params: tuple[Any, ...] = (), newest_first: bool = False,
    ) -> Page:  # fmt: skip
        key = decode_cursor(cursor, len(order), newest_first)
        if key is not None:  # keyset: rows strictly after the cursor in the sort order
            columns, marks = ", ".join(order), ", ".join("?" * len(order))
            where.add(f"({columns}) {'<' if newest_first else '>'} ({marks})", *key)
        direction = " DESC" if newest_first else ""
        statement = (
            f"{select}{where.sql()} ORDER BY {', '.join(c + direction for c in order)} LIMIT ?"
        )
        with self.store.transaction() as c:
            rows = c.execute(statement, (*select_params, *where.params, limit + 1)).fetchall()
            names = [d[0] for d in c.description]
        items = [dict(zip(names, row, strict=True)) for row in rows[:limit]]
        more = len(rows) > limit
        if not more:
            return Page(items, None)
        key = [items[-1][col.split(".")[-1]] for col in order]
        return Page(items, encode_cursor([NEWEST_FIRST, *key] if newest_first else key))

    def communities(
        self, *, scope: UUID | None, street_id: UUID | None, model_type: str | None,
        cursor: str | None, limit: int,
    ) -> Page:  # fmt: skip
        where = Where()
        where.community_in(scope)
        where.equal("street_committee_id", street_id)
        where.equal("model_type", model_type)
        select = (
            "SELECT id, name, street_committee_id, street_name, origin, model_type,"
            " general_branch_id, office_area_m2, venue_area_m2, began_on, version"
            " FROM rm_communities"
        )
        return self._page(select, where, ["name", "id"], cursor, limit)

    def members(
        self, *, scope: UUID | None, organization_id: UUID | None, community_id: UUID | None,
        category: str | None, cursor: str | None, limit: int,
    ) -> Page:  # fmt: skip
        where = Where()
        where.under("o.path", scope)
        where.equal("m.organization_id", organization_id)
        where.equal("m.community_id", community_id)
        where.equal("m.category", category)
        select = (
            "SELECT m.id AS id, m.name AS name, m.category AS category,"
            " m.organization_id AS organization_id, o.name AS organization_name,"
            " m.community_id AS community_id, m.transferred_out_on AS transferred_out_on,"
            " m.version AS version"
            " FROM rm_members m JOIN rm_organizations o ON o.id = m.organization_id"
        )
        return self._page(select, where, ["m.name", "m.id"], cursor, limit)

    def members_among(self, ids: set[str]) -> dict[UUID, UUID | None]:
        """Which of these unit ids are members, each with its community (any other id is not)."""
        found: dict[UUID, UUID | None] = {}
        chosen = sorted(ids)
        with self.store.transaction() as c:
            for start in range(0, len(chosen), MEMBER_BATCH):
                batch = chosen[start : start + MEMBER_BATCH]
                marks = ", ".join("?" * len(batch))
                rows = c.execute(
                    f"SELECT id, community_id FROM rm_members WHERE id IN ({marks})", batch
                ).fetchall()
                found |= {UUID(str(r[0])): UUID(str(r[1])) if r[1] else None for r in rows}
        return found

    def unit_names(self, ids: set[str]) -> dict[str, str]:
        """What people call each of these units: a member by name with its community, an
        organization, community, campaign by name, a supervision item by title; an id that
        names none of them is left out."""
        lookups = (
            "SELECT m.id, m.name || '（' || COALESCE(c.name, o.name) || '）' FROM rm_members m"
            " JOIN rm_organizations o ON o.id = m.organization_id"
            " LEFT JOIN rm_communities c ON c.id = m.community_id WHERE m.id IN ({})",
            "SELECT id, name FROM rm_communities WHERE id IN ({})",
            "SELECT id, name FROM rm_organizations WHERE id IN ({})",
            "SELECT id, name FROM rm_campaigns WHERE id IN ({})",
            "SELECT id, title FROM rm_supervision_items WHERE id IN ({})",
        )
        found: dict[str, str] = {}
        chosen = sorted(ids)
        with self.store.transaction() as c:
            for start in range(0, len(chosen), MEMBER_BATCH):
                batch = chosen[start : start + MEMBER_BATCH]
                marks = ", ".join("?" * len(batch))
                for statement in lookups:
                    rows = c.execute(statement.format(marks), batch).fetchall()
                    found |= {str(r[0]): str(r[1]) for r in rows if str(r[0]) not in found}
        return found

    def search_units(self, text: str, *, scope: UUID | None, limit: int) -> list[dict[str, Any]]:
        """Streets, communities, party organizations and members whose name holds the text, in
        the scope: names that begin with it first, then the shorter; each with where it is
        (a member's community, a community's street, an organization's community)."""
        pattern = "%" + "".join("\\" + ch if ch in "\\%_" else ch for ch in text) + "%"
        orgs, communities, members = Where(), Where(), Where()
        orgs.under("o.path", scope)
        communities.community_in(scope)
        members.under("o.path", scope)
        searches = (  # (select, the name column, the scope)
            ("SELECT o.id, o.name, CASE WHEN o.level = 'street_committee' THEN 'street'"
             " ELSE 'organization' END, o.level, c.name FROM rm_organizations o"
             " LEFT JOIN rm_communities c ON c.id = o.community_id", "o.name", orgs),
            ("SELECT id, name, 'community', NULL, street_name FROM rm_communities", "name",
             communities),
            ("SELECT m.id, m.name, 'member', NULL, COALESCE(c.name, o.name) FROM rm_members m"
             " JOIN rm_organizations o ON o.id = m.organization_id"
             " LEFT JOIN rm_communities c ON c.id = m.community_id", "m.name", members),
        )  # fmt: skip
        found: list[dict[str, Any]] = []
        with self.store.transaction() as c:
            for select, column, where in searches:
                where.add(f"{column} LIKE ? ESCAPE '\\'", pattern)
                statement = f"{select}{where.sql()} ORDER BY LENGTH({column}), {column} LIMIT ?"
                found.extend(
                    {"id": str(r[0]), "name": r[1], "kind": r[2], "level": r[3], "within": r[4]}
                    for r in c.execute(statement, (*where.params, limit)).fetchall()
                )
        kinds = ("street", "community", "organization", "member")
        found.sort(key=lambda u: (not u["name"].startswith(text), kinds.index(u["kind"]),
                                  len(u["name"]), u["name"]))  # fmt: skip
        return found[:limit]

    def campaigns(self, *, cursor: str | None, limit: int) -> Page:
        select = "SELECT id, name, plan_id, county, launch_date, version FROM rm_campaigns"
        return self._page(select, Where(), ["launch_date", "id"], cursor, limit)

    def supervision_items(
        self, *, scope: UUID | None, status: str | None, campaign_id: UUID | None,
        cursor: str | None, limit: int, today: date, warning_days: int = 7,
    ) -> Page:  # fmt: skip
        where = Where()
        where.under("o.path", scope)
        where.equal("s.status", status)
        where.equal("s.campaign_id", campaign_id)
        select = (
            "SELECT s.id AS id, s.title AS title, s.campaign_id AS campaign_id,"
            " s.assignee_org_id AS assignee_org_id, o.name AS assignee_name,"
            " s.community_id AS community_id, s.due_on AS due_on, s.status AS status,"
            " s.urge_count AS urge_count, s.version AS version,"
            # 黄灯/红灯: yellow within the warning window, red once overdue, none when done
            " CASE WHEN s.status IN ('accepted', 'closed') THEN 'none'"
            f" WHEN s.due_on < '{today.isoformat()}' THEN 'red'"
            f" WHEN s.due_on <= '{today + timedelta(days=warning_days)}' THEN 'yellow'"
            " ELSE 'green' END AS light"
            " FROM rm_supervision_items s JOIN rm_organizations o ON o.id = s.assignee_org_id"
        )
        return self._page(select, where, ["s.due_on", "s.id"], cursor, limit)

    def organizations(self, *, scope: UUID | None) -> list[dict[str, Any]]:
        where = Where()
        where.under("path", scope)
        statement = (
            "SELECT id, name, level, parent_id, community_id, path, version FROM rm_organizations"
            f"{where.sql()} ORDER BY path"
        )
        with self.store.transaction() as c:
            rows = c.execute(statement, where.params).fetchall()
            names = [d[0] for d in c.description]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def audit(
        self, filters: dict[str, Any], cursor: str | None, limit: int, newest_first: bool = False
    ) -> Page:
        select = (
            "SELECT position, aggregate_id, aggregate_type, event_type, version, actor,"
            " occurred_on, recorded_at, community_id, street_id, data FROM rm_audit"
        )
        page = self._page(
            select, _audit_where(filters), ["position"], cursor, limit, newest_first=newest_first
        )
        for item in page.items:
            item["data"] = json.loads(item["data"])
        return page

    def audit_counts(self, filters: dict[str, Any], by: str) -> list[dict[str, Any]]:
        """How many events match, grouped by one column, with the first and last recorded."""
        if by not in AUDIT_GROUPS:
            raise ValueError(f"cannot group the audit log by {by!r}")
        where = _audit_where(filters)
        statement = (
            f"SELECT {by}, COUNT(*), MIN(recorded_at), MAX(recorded_at) FROM rm_audit"
            f"{where.sql()} GROUP BY {by} ORDER BY COUNT(*) DESC, {by}"
        )
        with self.store.transaction() as c:
            rows = c.execute(statement, where.params).fetchall()
        return [
            {by: key, "events": int(n), "first_recorded_at": first, "last_recorded_at": last}
            for key, n, first, last in rows
        ]

    def community_ids(self, *, scope: UUID | None) -> list[UUID]:
        """Every community the scope covers (all of them for a county-wide scope)."""
        where = Where()
        where.community_in(scope)
        with self.store.transaction() as c:
            rows = c.execute(f"SELECT id FROM rm_communities{where.sql()}", where.params).fetchall()
        return [UUID(str(r[0])) for r in rows]

    def is_street_committee(self, org_id: UUID) -> bool:
        """Whether an organization is a street's working committee (some community's street)."""
        with self.store.transaction() as c:
            row = c.execute(
                "SELECT 1 FROM rm_communities WHERE street_committee_id = ? LIMIT 1", (str(org_id),)
            ).fetchone()
        return row is not None

    def latest_campaign(self) -> UUID | None:
        with self.store.transaction() as c:
            row = c.execute(
                "SELECT id FROM rm_campaigns ORDER BY launch_date DESC, id LIMIT 1"
            ).fetchone()
        return None if row is None else UUID(str(row[0]))

    def notifications(
        self, *, role: str, scope: UUID | None, unacknowledged: bool, kind: str | None,
        cursor: str | None, limit: int, only_id: UUID | None = None,
    ) -> Page:  # fmt: skip
        """What the caller's role and subtree are addressed: the county gets what is addressed
        to the county, a street everything about its communities, a community what is
        addressed to its secretary; auditors read everything.

        Each addressee sees its own acknowledgement (签收): one addressee's does not hide the
        notification from the others. An auditor sees who acknowledged, and a notification is
        acknowledged for it once every addressee has."""
        where = Where()
        if role == "county":
            where.add("n.addressees LIKE ?", "%county%")
        elif role == "street":
            # about its communities, or about the street committee itself (its own targets)
            where.add("(c.street_committee_id = ? OR n.unit_id = ?)", str(scope), str(scope))
        elif role in ("community", "client"):
            where.add(
                "c.general_branch_id = ? AND n.addressees LIKE ?",
                str(scope),
                "%community_secretary%",
            )
        addressee = ADDRESSEE_OF_ROLE.get(Role(role))
        acknowledged = "a" if addressee else "n"  # the caller's own acknowledgement, or everyone's
        if unacknowledged:
            where.add(f"{acknowledged}.acknowledged_at IS NULL")
        where.equal("n.kind", kind)
        where.equal("n.id", only_id)
        select = (
            "SELECT n.id AS id, n.kind AS kind, n.message_zh AS message_zh,"
            " n.target_id AS target_id, n.unit_id AS unit_id, n.unit_name AS unit_name,"
            " n.community_id AS community_id,"
            " c.name AS community_name, n.addressees AS addressees, n.due_on AS due_on,"
            f" n.late AS late, n.recorded_at AS recorded_at,"
            f" {acknowledged}.acknowledged_by AS acknowledged_by,"
            f" {acknowledged}.acknowledged_at AS acknowledged_at"
            " FROM rm_notifications n LEFT JOIN rm_communities c ON c.id = n.community_id"
            " LEFT JOIN rm_notification_acks a ON a.notification_id = n.id AND a.addressee = ?"
        )
        params = (addressee.value if addressee else None,)
        page = self._page(select, where, ["n.recorded_at", "n.id"], cursor, limit, params)
        for item in page.items:  # the same JSON types on both stores (SQLite answers 1 for true)
            item["late"] = bool(item["late"])
            item["addressees"] = [a for a in str(item["addressees"] or "").split(",") if a]
        return page

    def deliveries(self, *, failing_only: bool, cursor: str | None, limit: int) -> Page:
        where = Where()
        if failing_only:
            where.add("delivered_at IS NULL AND attempts > 0")
        select = (
            "SELECT id, notification_id, url, attempts, next_attempt_at, delivered_at, last_error"
            " FROM rm_deliveries"
        )
        return self._page(select, where, ["next_attempt_at", "id"], cursor, limit)


PERSONAL_DATA_READ = PersonalDataAccess.PersonalDataRead.__name__
AUDIT_GROUPS = ("actor", "event_type", "aggregate_type", "aggregate_id")


def _audit_where(filters: dict[str, Any]) -> Where:
    where = Where()
    for column in (*AUDIT_GROUPS, "community_id", "street_id"):
        where.equal(column, filters.get(column))
    unit = filters.get("unit_id")
    if unit is not None:  # the unit itself, or anything inside it when it is a community
        where.add("(aggregate_id = ? OR community_id = ?)", str(unit), str(unit))
    for column, bound in (("occurred_on", "occurred"), ("recorded_at", "recorded")):
        if filters.get(f"{bound}_from") is not None:
            where.add(f"{column} >= ?", filters[f"{bound}_from"].isoformat())
        if filters.get(f"{bound}_to") is not None:
            where.add(f"{column} <= ?", filters[f"{bound}_to"].isoformat())
    kind = filters.get("kind")  # a change of the record, or a read of members' personal data
    if kind == "reads":
        where.add("event_type = ?", PERSONAL_DATA_READ)
    elif kind == "changes":
        where.add("event_type <> ?", PERSONAL_DATA_READ)
    if filters.get("data_contains"):
        where.add("data LIKE ?", f"%{filters['data_contains']}%")
    return where
