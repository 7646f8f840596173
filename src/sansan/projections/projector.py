"""Applies one event to the read-model tables. Every statement is an upsert or keyed update,
so applying an event is idempotent; the runner still applies each exactly once."""

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

from sansan.domain import (
    Community,
    CreationCampaign,
    Member,
    PartyOrganization,
    PersonalDataAccess,
    SupervisionItem,
)
from sansan.domain.base import SansanAggregate, source_zh
from sansan.projections.deadlines import DEADLINE_HANDLERS
from sansan.projections.facts import record_facts
from sansan.projections.store import Cursor

Handler = Callable[[Cursor, Any], None]
_BASE = {"originator_id", "originator_version", "timestamp", "originator_topic"}
_PROVENANCE = {"actor", "occurred_on", "note", "evidence_ref"}

TABLE_OF: dict[type[SansanAggregate], str] = {
    Community: "rm_communities",
    PartyOrganization: "rm_organizations",
    Member: "rm_members",
    CreationCampaign: "rm_campaigns",
    SupervisionItem: "rm_supervision_items",
}


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def organization_established(c: Cursor, e: PartyOrganization.OrganizationEstablished) -> None:
    parent_path = "/"
    if e.parent_id is not None:
        row = c.execute(
            "SELECT path FROM rm_organizations WHERE id = ?", (str(e.parent_id),)
        ).fetchone()
        parent_path = row[0] if row else f"/{e.parent_id}/"
    c.execute(
        "INSERT INTO rm_organizations (id, name, level, parent_id, community_id, path,"
        " established_on, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (id) DO NOTHING",
        (str(e.originator_id), e.name, e.level, _s(e.parent_id), _s(e.community_id),
         f"{parent_path}{e.originator_id}/", e.occurred_on.isoformat()),
    )  # fmt: skip


def community_registered(c: Cursor, e: Community.CommunityRegistered) -> None:
    street = c.execute(
        "SELECT name FROM rm_organizations WHERE id = ?", (str(e.street_committee_id),)
    ).fetchone()
    c.execute(
        "INSERT INTO rm_communities (id, name, street_committee_id, street_name, origin, began_on,"
        " version) VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (id) DO NOTHING",
        (str(e.originator_id), e.name, str(e.street_committee_id), street[0] if street else None,
         e.origin, e.occurred_on.isoformat()),
    )  # fmt: skip


def _json(content: dict[str, Any] | None) -> str | None:
    """A pinned plan's content as kept beside its campaign (read back by the deadlines)."""
    return None if content is None else json.dumps(content, ensure_ascii=False)


def _set(table: str, **columns: Callable[[Any], Any]) -> Handler:
    assignments = ", ".join(f"{name} = ?" for name in columns)

    def handler(c: Cursor, e: Any) -> None:
        values = [get(e) for get in columns.values()]
        c.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", (*values, str(e.originator_id)))

    return handler


def member_registered(c: Cursor, e: Member.MemberRegistered) -> None:
    c.execute(
        "INSERT INTO rm_members (id, name, category, organization_id, community_id,"
        " registered_on, version) VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (id) DO NOTHING",
        (
            str(e.originator_id),
            e.name,
            e.category,
            str(e.organization_id),
            str(e.community_id),
            e.occurred_on.isoformat(),
        ),
    )


def campaign_launched(c: Cursor, e: CreationCampaign.CampaignLaunched) -> None:
    c.execute(
        "INSERT INTO rm_campaigns (id, name, plan_id, county, launch_date, version, plan_sha256,"
        " plan_content) VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (id) DO NOTHING",
        (str(e.originator_id), e.name, e.plan_id, e.county, e.launch_date.isoformat(),
         e.plan_sha256, _json(e.plan)),
    )  # fmt: skip


def item_assigned(c: Cursor, e: SupervisionItem.SupervisionItemAssigned) -> None:
    c.execute(
        "INSERT INTO rm_supervision_items (id, title, campaign_id, assignee_org_id, community_id,"
        " due_on, status, urge_count, version) VALUES (?, ?, ?, ?, ?, ?, 'assigned', 0, 1)"
        " ON CONFLICT (id) DO NOTHING",
        (str(e.originator_id), e.title, _s(e.campaign_id), str(e.assignee_org_id),
         _s(e.community_id), e.due_on.isoformat()),
    )  # fmt: skip


def item_urged(c: Cursor, e: Any) -> None:
    c.execute(
        "UPDATE rm_supervision_items SET urge_count = urge_count + 1 WHERE id = ?",
        (str(e.originator_id),),
    )


def team_member_joined(c: Cursor, e: PartyOrganization.TeamMemberJoined) -> None:
    org = c.execute(
        "SELECT community_id FROM rm_organizations WHERE id = ?", (str(e.originator_id),)
    ).fetchone()
    c.execute(
        "INSERT INTO rm_team_members (team_member_id, org_id, community_id, person_name,"
        " birth_year, birth_date, education, party_affairs_worker, newly_appointed, joined_on)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (team_member_id) DO NOTHING",
        (str(e.team_member_id), str(e.originator_id), org[0] if org else None, e.person_name,
         e.birth_year, e.birth_date.isoformat() if e.birth_date else None, e.education,
         e.party_affairs_worker, e.newly_appointed, e.occurred_on.isoformat()),
    )  # fmt: skip


def team_member_left(c: Cursor, e: PartyOrganization.TeamMemberLeft) -> None:
    c.execute(
        "UPDATE rm_team_members SET left_on = ? WHERE team_member_id = ?",
        (e.occurred_on.isoformat(), str(e.team_member_id)),
    )


def worker_joined(c: Cursor, e: Community.CommunityWorkerJoined) -> None:
    c.execute(
        "INSERT INTO rm_community_workers (worker_id, community_id, worker_name, role, joined_on)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (worker_id) DO NOTHING",
        (str(e.worker_id), str(e.originator_id), e.worker_name, e.role, e.occurred_on.isoformat()),
    )


def worker_left(c: Cursor, e: Community.CommunityWorkerLeft) -> None:
    c.execute(
        "UPDATE rm_community_workers SET left_on = ? WHERE worker_id = ?",
        (e.occurred_on.isoformat(), str(e.worker_id)),
    )


HANDLERS: dict[type, Handler] = {
    Community.CommunityWorkerJoined: worker_joined,
    Community.CommunityWorkerLeft: worker_left,
    PartyOrganization.TeamMemberJoined: team_member_joined,
    PartyOrganization.TeamMemberLeft: team_member_left,
    PartyOrganization.OrganizationEstablished: organization_established,
    Community.CommunityRegistered: community_registered,
    Community.ModelTypeDesignated: _set("rm_communities", model_type=lambda e: e.model_type),
    Community.GeneralBranchAttached: _set(
        "rm_communities", general_branch_id=lambda e: str(e.organization_id)
    ),
    Community.FacilityUpgraded: _set(
        "rm_communities",
        office_area_m2=lambda e: e.office_area_m2,
        venue_area_m2=lambda e: e.venue_area_m2,
    ),
    Member.MemberRegistered: member_registered,
    Member.MemberCategoryChanged: _set("rm_members", category=lambda e: e.category),
    Member.MemberTransferredOut: _set(
        "rm_members", transferred_out_on=lambda e: e.occurred_on.isoformat()
    ),
    CreationCampaign.CampaignLaunched: campaign_launched,
    CreationCampaign.PlanChanged: _set(
        "rm_campaigns", plan_id=lambda e: e.plan_id, plan_sha256=lambda e: e.plan_sha256,
        plan_content=lambda e: _json(e.plan),
    ),
    SupervisionItem.SupervisionItemAssigned: item_assigned,
    SupervisionItem.StatusChanged: _set("rm_supervision_items", status=lambda e: e.status),
    SupervisionItem.ExtensionApproved: _set(
        "rm_supervision_items", due_on=lambda e: e.new_due_on.isoformat()
    ),
    SupervisionItem.SupervisionItemUrged: item_urged,
}


def _handlers_for(event: Any) -> Iterator[Handler]:
    """The table rows an event touches, then the deadlines it sets or moves."""
    for table in (HANDLERS, DEADLINE_HANDLERS):
        for cls in type(event).__mro__:
            if cls in table:
                yield table[cls]
                break


def apply_event(
    c: Cursor, event: Any, position: int, aggregate_type: type[SansanAggregate]
) -> None:
    for handler in _handlers_for(event):
        handler(c, event)
    record_facts(c, event, position)
    table = TABLE_OF.get(aggregate_type)
    if table is not None:
        c.execute(
            f"UPDATE {table} SET version = ? WHERE id = ?",
            (event.originator_version, str(event.originator_id)),
        )
    _audit(c, event, position, aggregate_type)


def _audit(c: Cursor, event: Any, position: int, aggregate_type: type[SansanAggregate]) -> None:
    community_id, street_id = _placement(c, event, aggregate_type)
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    data = {k: v for k, v in fields.items() if k not in _BASE | _PROVENANCE}
    imported = source_zh(event.imported_from)
    if imported is not None:  # first: the audit page shows only an entry's first fields
        data = {"imported_from": imported, **data}
    c.execute(
        "INSERT INTO rm_audit (position, aggregate_id, aggregate_type, event_type, version, actor,"
        " occurred_on, recorded_at, community_id, street_id, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (position) DO NOTHING",
        (position, str(event.originator_id), aggregate_type.__name__, type(event).__name__,
         event.originator_version, event.actor, event.occurred_on.isoformat(),
         event.timestamp.isoformat(), community_id, street_id,
         json.dumps(data, default=str, ensure_ascii=False, sort_keys=True)),
    )  # fmt: skip


def _placement(c: Cursor, event: Any, kind: type[SansanAggregate]) -> tuple[str | None, str | None]:
    """The community and street an event belongs to, for filtering the audit log.

    One query per event (the unit's row joined to its community's): this runs for every
    event the projection applies, so a second round trip would cost a fifth of its speed.
    """
    aggregate_id = str(event.originator_id)
    street = "(SELECT street_committee_id FROM rm_communities c WHERE c.id = {})"
    if kind is Community:
        row = c.execute(
            "SELECT id, street_committee_id FROM rm_communities WHERE id = ?", (aggregate_id,)
        ).fetchone()
    elif kind is PartyOrganization:
        row = c.execute(
            f"SELECT community_id, {street.format('o.community_id')}, path"
            " FROM rm_organizations o WHERE id = ?",
            (aggregate_id,),
        ).fetchone()
        if row and row[0] is None:  # a street committee or a street-level organization
            return None, row[2].strip("/").split("/")[0]
    elif kind in (Member, SupervisionItem):
        table = TABLE_OF[kind]
        row = c.execute(
            f"SELECT community_id, {street.format('u.community_id')} FROM {table} u WHERE id = ?",
            (aggregate_id,),
        ).fetchone()
    elif kind is PersonalDataAccess:
        community_id = _s(event.community_id)
        if community_id is None:
            return None, None
        row = c.execute(
            "SELECT id, street_committee_id FROM rm_communities WHERE id = ?", (community_id,)
        ).fetchone()
        return community_id, row[1] if row else None
    else:
        return None, None
    if row is None or row[0] is None:
        return (aggregate_id, None) if kind is Community else (None, None)
    return row[0], row[1]
