"""Reads over the read-model tables: filters, the caller's subtree, keyset pagination.

Every statement is a SQLAlchemy Core expression over the tables of the transaction's own
generation (``cursor.t``), so a rebuild's switch never splits a read; values are bound.
"""

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Table,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)

from sansan.domain import ADDRESSEE_OF_ROLE
from sansan.domain.access import PersonalDataAccess
from sansan.domain.names import folded_name
from sansan.domain.supervision import WARNING_DAYS, standing
from sansan.domain.vocabulary import Role
from sansan.projections.cursors import BadCursor, Cursors
from sansan.projections.schema import ReadModel
from sansan.projections.store import ReadStore

MAX_LIMIT = 200


# A page read newest first marks its cursor, so that a cursor is never read in the other order.
NEWEST_FIRST = "desc"


def decode_cursor(
    cursors: Cursors, cursor: str | None, size: int, newest_first: bool = False
) -> list[Any] | None:
    if not cursor:
        return None
    key = cursors.open(cursor)
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


Clause = ColumnElement[bool]
# A page's statement on one generation's tables, and the columns it is ordered by (each
# named in the result as it is in its table).
Paged = tuple[Select[Any], list[ColumnElement[Any]]]


def community_in(communities: Table, scope: UUID | None) -> list[Clause]:
    """Communities a scope covers: its street's, or its own general branch's."""
    if scope is None:
        return []
    c = communities.c
    return [or_(c.street_committee_id == str(scope), c.general_branch_id == str(scope))]


def under(path: ColumnElement[str], scope: UUID | None) -> list[Clause]:
    """Rows whose organization lies in the scope's subtree (materialized path)."""
    return [] if scope is None else [path.like(f"%/{scope}/%")]


def equal(column: ColumnElement[Any], value: Any) -> list[Clause]:
    return [] if value is None else [column == str(value)]


def containing(text: str) -> str:
    """A LIKE pattern (escaped by a backslash) for what holds ``text`` as it is."""
    return "%" + "".join("\\" + ch if ch in "\\%_" else ch for ch in text) + "%"


MEMBER_BATCH = 500  # ids bound per statement, well under either store's parameter limit


def _named(rows: Sequence[Row[Any]], name: str) -> list[tuple[UUID, str]]:
    """The (id, name) rows whose name reads as ``name`` once both are folded (full- and
    half-width forms, case and spaces aside: “张三(二)” is “张三（二）”), so that a name
    stored before names were normalised (“张三　”) still counts as the name it shows."""
    wanted = folded_name(name)
    return [(UUID(str(i)), str(n)) for i, n in rows if folded_name(str(n)) == wanted]


class ReadModels:
    def __init__(self, store: ReadStore, cursors: Cursors) -> None:
        self.store = store
        self.cursors = cursors

    def bound_to(self, binding: str) -> "ReadModels":
        """The same read models, whose page cursors open only for ``binding`` (what a list
        and its filters were asked by whom) and are sealed for it."""
        bound = copy.copy(self)
        bound.cursors = self.cursors.bound(binding)
        return bound

    def _page(
        self, paged: Callable[[ReadModel], Paged], cursor: str | None, limit: int,
        newest_first: bool = False,
    ) -> Page:  # fmt: skip
        with self.store.transaction() as c:
            # composed on the transaction's own generation: a rebuild may switch it meanwhile
            statement, order = paged(c.t)
            key = decode_cursor(self.cursors, cursor, len(order), newest_first)
            if key is not None:  # keyset: rows strictly after the cursor in the sort order
                row, after = tuple_(*order), tuple_(*(literal(k) for k in key))
                statement = statement.where(row < after if newest_first else row > after)
            by = [column.desc() for column in order] if newest_first else order
            rows = c.execute(statement.order_by(*by).limit(limit + 1)).fetchall()
            names = [d[0] for d in c.description]
        items = [dict(zip(names, row, strict=True)) for row in rows[:limit]]
        more = len(rows) > limit
        if not more:
            return Page(items, None)
        key = [items[-1][column.name] for column in order]
        return Page(items, self.cursors.seal([NEWEST_FIRST, *key] if newest_first else key))

    def communities(
        self, *, scope: UUID | None, street_id: UUID | None, model_type: str | None,
        cursor: str | None, limit: int,
    ) -> Page:  # fmt: skip
        def paged(t: ReadModel) -> Paged:
            c = t.communities.c
            statement = select(
                c.id, c.name, c.street_committee_id, c.street_name, c.origin, c.model_type,
                c.general_branch_id, c.office_area_m2, c.venue_area_m2, c.began_on, c.version,
            ).where(
                *community_in(t.communities, scope), *equal(c.street_committee_id, street_id),
                *equal(c.model_type, model_type),
            )  # fmt: skip
            return statement, [c.name, c.id]

        return self._page(paged, cursor, limit)

    def members(
        self, *, scope: UUID | None, organization_id: UUID | None, community_id: UUID | None,
        category: str | None, cursor: str | None, limit: int,
    ) -> Page:  # fmt: skip
        def paged(t: ReadModel) -> Paged:
            m, o = t.members.c, t.organizations.c
            statement = (
                select(
                    m.id, m.name, m.category, m.organization_id,
                    o.name.label("organization_name"), m.community_id, m.transferred_out_on,
                    m.version,
                )
                .join_from(t.members, t.organizations, o.id == m.organization_id)
                .where(
                    *under(o.path, scope), *equal(m.organization_id, organization_id),
                    *equal(m.community_id, community_id), *equal(m.category, category),
                )
            )  # fmt: skip
            return statement, [m.name, m.id]

        return self._page(paged, cursor, limit)

    def members_named(self, organization_id: UUID, name: str) -> list[tuple[UUID, str]]:
        """The members of an organization called ``name`` (transferred out or not): the
        import's natural key for a member."""
        with self.store.transaction() as c:
            m = c.t.members.c
            rows = c.execute(
                select(m.id, m.name).where(m.organization_id == str(organization_id))
            ).fetchall()
        return _named(rows, name)

    def organizations_named(self, name: str) -> list[tuple[UUID, str]]:
        """The organizations of the whole county called ``name``: how people and imports
        refer to a unit, so a name is held by one at a time (none is ever dissolved)."""
        with self.store.transaction() as c:
            o = c.t.organizations.c
            return _named(c.execute(select(o.id, o.name)).fetchall(), name)

    def communities_named(self, name: str) -> list[tuple[UUID, str]]:
        """The communities of the whole county called ``name`` (as organizations_named)."""
        with self.store.transaction() as c:
            u = c.t.communities.c
            return _named(c.execute(select(u.id, u.name)).fetchall(), name)

    def people_among(self, ids: set[str]) -> dict[UUID, UUID | None]:
        """Which of these unit ids are people whose data is personal — members and
        leadership-team members (a failing list names both) — each with its community."""
        found: dict[UUID, UUID | None] = {}
        chosen = sorted(ids)
        with self.store.transaction() as c:
            m, tm = c.t.members.c, c.t.team_members.c
            for start in range(0, len(chosen), MEMBER_BATCH):
                batch = chosen[start : start + MEMBER_BATCH]
                people = union_all(
                    select(m.id, m.community_id).where(m.id.in_(batch)),
                    select(tm.team_member_id, tm.community_id).where(tm.team_member_id.in_(batch)),
                )
                rows = c.execute(people).fetchall()
                found |= {UUID(str(r[0])): UUID(str(r[1])) if r[1] else None for r in rows}
        return found

    def unit_names(self, ids: set[str]) -> dict[str, str]:
        """What people call each of these units: a member by name with its community, a team
        member or a community worker with its organization or community, an organization,
        community, campaign by name, a supervision item by title; an id that names none of
        them is left out."""
        found: dict[str, str] = {}
        chosen = sorted(ids)
        with self.store.transaction() as c:
            for start in range(0, len(chosen), MEMBER_BATCH):
                batch = chosen[start : start + MEMBER_BATCH]
                for statement in _unit_name_lookups(c.t, batch):
                    rows = c.execute(statement).fetchall()
                    found |= {str(r[0]): str(r[1]) for r in rows if str(r[0]) not in found}
        return found

    def search_units(self, text: str, *, scope: UUID | None, limit: int) -> list[dict[str, Any]]:
        """Streets, communities, party organizations and members whose name holds the text, in
        the scope: names that begin with it first, then the shorter; each with where it is
        (a member's community, a community's street, an organization's community)."""
        pattern = containing(text)
        found: list[dict[str, Any]] = []
        with self.store.transaction() as c:
            for statement, name in _unit_searches(c.t, scope):
                matching = statement.where(name.like(pattern, escape="\\"))
                rows = c.execute(matching.order_by(func.length(name), name).limit(limit))
                found.extend(
                    {"id": str(r[0]), "name": r[1], "kind": r[2], "level": r[3], "within": r[4]}
                    for r in rows.fetchall()
                )
        kinds = ("street", "community", "organization", "member")
        found.sort(key=lambda u: (not u["name"].startswith(text), kinds.index(u["kind"]),
                                  len(u["name"]), u["name"]))  # fmt: skip
        return found[:limit]

    def campaigns(self, *, cursor: str | None, limit: int) -> Page:
        def paged(t: ReadModel) -> Paged:
            c = t.campaigns.c
            statement = select(c.id, c.name, c.plan_id, c.county, c.launch_date, c.version)
            return statement, [c.launch_date, c.id]

        return self._page(paged, cursor, limit)

    def supervision_items(
        self, *, scope: UUID | None, status: str | None, campaign_id: UUID | None,
        cursor: str | None, limit: int, today: date, warning_days: int = WARNING_DAYS,
    ) -> Page:  # fmt: skip
        def paged(t: ReadModel) -> Paged:
            s, o = t.supervision_items.c, t.organizations.c
            statement = (
                select(
                    s.id, s.title, s.campaign_id, s.assignee_org_id,
                    o.name.label("assignee_name"), s.community_id, s.due_on, s.status,
                    s.status_on, s.assigned_by_role, s.urge_count, s.version,
                )
                .join_from(t.supervision_items, t.organizations, o.id == s.assignee_org_id)
                .where(
                    *under(o.path, scope), *equal(s.status, status),
                    *equal(s.campaign_id, campaign_id),
                )
            )  # fmt: skip
            return statement, [s.due_on, s.id]

        page = self._page(paged, cursor, limit)
        for item in page.items:
            # 黄灯/红灯 and days overdue by the same function as the item's case file
            on = date.fromisoformat(item["status_on"]) if item["status_on"] else None
            due = date.fromisoformat(item["due_on"])
            item |= standing(item["status"], due, on, today, warning_days).as_dict()
        return page

    def organizations(self, *, scope: UUID | None) -> list[dict[str, Any]]:
        with self.store.transaction() as c:
            o = c.t.organizations.c
            statement = (
                select(o.id, o.name, o.level, o.parent_id, o.community_id, o.path, o.version)
                .where(*under(o.path, scope))
                .order_by(o.path)
            )
            rows = c.execute(statement).fetchall()
            names = [d[0] for d in c.description]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def audit(
        self, filters: dict[str, Any], cursor: str | None, limit: int, newest_first: bool = False
    ) -> Page:
        def paged(t: ReadModel) -> Paged:
            a = t.audit.c
            statement = select(
                a.position, a.aggregate_id, a.aggregate_type, a.event_type, a.version, a.actor,
                a.occurred_on, a.recorded_at, a.community_id, a.street_id, a.data,
            ).where(*_audit_where(t, filters))  # fmt: skip
            return statement, [a.position]

        page = self._page(paged, cursor, limit, newest_first=newest_first)
        for item in page.items:
            item["data"] = json.loads(item["data"])
        return page

    def audit_counts(self, filters: dict[str, Any], by: str) -> list[dict[str, Any]]:
        """How many events match, grouped by one column, with the first and last recorded."""
        if by not in AUDIT_GROUPS:
            raise ValueError(f"cannot group the audit log by {by!r}")
        with self.store.transaction() as c:
            a = c.t.audit.c
            key, events = a[by], func.count()
            statement = (
                select(key, events, func.min(a.recorded_at), func.max(a.recorded_at))
                .where(*_audit_where(c.t, filters))
                .group_by(key)
                .order_by(events.desc(), key)
            )
            rows = c.execute(statement).fetchall()
        return [
            {by: key, "events": int(n), "first_recorded_at": first, "last_recorded_at": last}
            for key, n, first, last in rows
        ]

    def community_ids(self, *, scope: UUID | None) -> list[UUID]:
        """Every community the scope covers (all of them for a county-wide scope)."""
        with self.store.transaction() as c:
            communities = c.t.communities
            statement = select(communities.c.id).where(*community_in(communities, scope))
            rows = c.execute(statement).fetchall()
        return [UUID(str(r[0])) for r in rows]

    def is_street_committee(self, org_id: UUID) -> bool:
        """Whether an organization is a street's working committee (some community's street)."""
        with self.store.transaction() as c:
            street = c.t.communities.c.street_committee_id
            row = c.execute(select(street).where(street == str(org_id)).limit(1)).fetchone()
        return row is not None

    def latest_campaign(self) -> UUID | None:
        with self.store.transaction() as c:
            k = c.t.campaigns.c
            row = c.execute(select(k.id).order_by(k.launch_date.desc(), k.id).limit(1)).fetchone()
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
        addressee = ADDRESSEE_OF_ROLE.get(Role(role))

        def paged(t: ReadModel) -> Paged:
            n, c, a = t.notifications.c, t.communities.c, t.notification_acks.c
            joined = t.notifications.outerjoin(t.communities, c.id == n.community_id)
            acknowledged = n  # everyone's acknowledgement, or else the caller's own
            if addressee is not None:
                joined = joined.outerjoin(
                    t.notification_acks,
                    and_(a.notification_id == n.id, a.addressee == addressee.value),
                )
                acknowledged = a
            where: list[Clause] = []
            if role == "county":
                where.append(n.addressees.like("%county%"))
            elif role == "street":
                # about its communities, or about the street committee itself (its own targets)
                where.append(or_(c.street_committee_id == str(scope), n.unit_id == str(scope)))
            elif role in ("community", "client"):
                where += [
                    c.general_branch_id == str(scope),
                    n.addressees.like("%community_secretary%"),
                ]
            if unacknowledged:
                where.append(acknowledged.acknowledged_at.is_(None))
            statement = (
                select(
                    n.id, n.kind, n.message_zh, n.target_id, n.unit_id, n.unit_name,
                    n.community_id, c.name.label("community_name"), n.addressees, n.due_on,
                    n.late, n.recorded_at, acknowledged.acknowledged_by,
                    acknowledged.acknowledged_at,
                )
                .select_from(joined)
                .where(*where, *equal(n.kind, kind), *equal(n.id, only_id))
            )  # fmt: skip
            return statement, [n.recorded_at, n.id]

        page = self._page(paged, cursor, limit)
        for item in page.items:  # the same JSON types on both stores (SQLite answers 1 for true)
            item["late"] = bool(item["late"])
            item["addressees"] = [a for a in str(item["addressees"] or "").split(",") if a]
        return page

    def acknowledgements(self, notification_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Each addressee's own acknowledgement (签收) of these notifications: who and when,
        in the order they came."""
        found: dict[str, list[dict[str, Any]]] = {}
        with self.store.transaction() as c:
            a = c.t.notification_acks.c
            for start in range(0, len(notification_ids), MEMBER_BATCH):
                batch = notification_ids[start : start + MEMBER_BATCH]
                rows = c.execute(
                    select(a.notification_id, a.addressee, a.acknowledged_by, a.acknowledged_at)
                    .where(a.notification_id.in_(batch))
                    .order_by(a.acknowledged_at, a.addressee)
                ).fetchall()
                for notification, addressee, by, at in rows:
                    found.setdefault(str(notification), []).append(
                        {"addressee": addressee, "acknowledged_by": by, "acknowledged_at": at}
                    )
        return found

    def deliveries(self, *, failing_only: bool, cursor: str | None, limit: int) -> Page:
        def paged(t: ReadModel) -> Paged:
            d = t.deliveries.c
            failing = [d.delivered_at.is_(None), d.attempts > 0] if failing_only else []
            statement = select(
                d.id, d.notification_id, d.url, d.attempts, d.next_attempt_at, d.delivered_at,
                d.last_error,
            ).where(*failing)  # fmt: skip
            return statement, [d.next_attempt_at, d.id]

        return self._page(paged, cursor, limit)


def _unit_name_lookups(t: ReadModel, ids: list[str]) -> list[Select[Any]]:
    """Each kind of unit's (id, what people call it) among ``ids``."""
    m, o, c = t.members.c, t.organizations.c, t.communities.c
    member = (
        select(m.id, m.name + "（" + func.coalesce(c.name, o.name) + "）")
        .join_from(t.members, t.organizations, o.id == m.organization_id)
        .outerjoin(t.communities, c.id == m.community_id)
        .where(m.id.in_(ids))
    )
    named = [
        select(table.c.id, table.c[column]).where(table.c.id.in_(ids))
        for table, column in (
            (t.communities, "name"), (t.organizations, "name"), (t.campaigns, "name"),
            (t.supervision_items, "title"),
        )
    ]  # fmt: skip
    # people inside a unit, who have ids of their own in its events (the trainings of a team
    # member, a worker's insurance): named with their organization or community, as a member is
    tm, w = t.team_members.c, t.community_workers.c
    team_member = (
        select(tm.team_member_id, tm.person_name + "（" + o.name + "）")
        .join_from(t.team_members, t.organizations, o.id == tm.org_id)
        .where(tm.team_member_id.in_(ids))
    )
    worker = (
        select(w.worker_id, w.worker_name + "（" + c.name + "）")
        .join_from(t.community_workers, t.communities, c.id == w.community_id)
        .where(w.worker_id.in_(ids))
    )
    return [member, *named, team_member, worker]


def _unit_searches(
    t: ReadModel, scope: UUID | None
) -> list[tuple[Select[Any], ColumnElement[str]]]:
    """Per kind of unit: (id, name, kind, level, where it is) in the scope, and the name."""
    m, o, c = t.members.c, t.organizations.c, t.communities.c
    is_street = case((o.level == "street_committee", "street"), else_="organization")
    organizations = (
        select(o.id, o.name, is_street, o.level, c.name)
        .join_from(t.organizations, t.communities, c.id == o.community_id, isouter=True)
        .where(*under(o.path, scope))
    )
    communities = select(c.id, c.name, literal("community"), null(), c.street_name).where(
        *community_in(t.communities, scope)
    )
    members = (
        select(m.id, m.name, literal("member"), null(), func.coalesce(c.name, o.name))
        .join_from(t.members, t.organizations, o.id == m.organization_id)
        .outerjoin(t.communities, c.id == m.community_id)
        .where(*under(o.path, scope))
    )
    return [(organizations, o.name), (communities, c.name), (members, m.name)]


PERSONAL_DATA_READ = PersonalDataAccess.PersonalDataRead.__name__
AUDIT_GROUPS = ("actor", "event_type", "aggregate_type", "aggregate_id")


def _audit_where(t: ReadModel, filters: dict[str, Any]) -> list[Clause]:
    a, places = t.audit.c, t.audit_places.c
    where = [clause for column in AUDIT_GROUPS for clause in equal(a[column], filters.get(column))]
    for place in ("community_id", "street_id"):
        # an event placed there, or a read naming members of that community or street
        value = filters.get(place)
        if value is not None:
            named = select(places.position).where(places[place] == str(value))
            where.append(or_(a[place] == str(value), a.position.in_(named)))
    unit = filters.get("unit_id")
    if unit is not None:  # the unit itself, or anything inside it when it is a community
        where.append(or_(a.aggregate_id == str(unit), a.community_id == str(unit)))
    for column, bound in ((a.occurred_on, "occurred"), (a.recorded_at, "recorded")):
        if filters.get(f"{bound}_from") is not None:
            where.append(column >= filters[f"{bound}_from"].isoformat())
        if filters.get(f"{bound}_to") is not None:
            where.append(column <= filters[f"{bound}_to"].isoformat())
    kind = filters.get("kind")  # a change of the record, or a read of members' personal data
    if kind == "reads":
        where.append(a.event_type == PERSONAL_DATA_READ)
    elif kind == "changes":
        where.append(a.event_type != PERSONAL_DATA_READ)
    if filters.get("data_contains"):
        where.append(a.data.like(f"%{filters['data_contains']}%"))
    return where
