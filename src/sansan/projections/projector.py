"""Applies events to the read-model tables through a ``Batch`` (see ``batch`` for the handler
interface). Every write is an insert that keeps the first row, a keyed update or a counter
upsert; the runner applies each event exactly once, its batch in one transaction.

Another module contributes handlers by appending a ``{event class: handler}`` dict to
``EXTRA_HANDLERS`` (they run after the tables' and the deadlines' handlers of the same event,
so they can look up the rows those wrote), and asks for the rows it will look up by appending
to ``PREPARERS`` a ``(batch, event) -> None`` that calls ``batch.want``. Batch handlers append
rows (``insert``, ``add`` for running counts) rather than read; a plain ``(cursor, event)``
handler goes in wrapped by ``batch.per_event``."""

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Table

from sansan.domain import (
    Community,
    CreationCampaign,
    Member,
    PartyOrganization,
    PersonalDataAccess,
    SupervisionItem,
)
from sansan.domain.base import SansanAggregate, source_zh
from sansan.projections.batch import Batch, BatchHandler
from sansan.projections.deadlines import DEADLINE_HANDLERS, want_deadline_rows
from sansan.projections.facts import record_facts
from sansan.projections.jsontext import json_text
from sansan.projections.schema import ReadModel

_BASE = {"originator_id", "originator_version", "timestamp", "originator_topic"}
_PROVENANCE = {"actor", "occurred_on", "note", "evidence_ref"}

# Each aggregate's own table (its rows carry the aggregate's version).
TABLE_OF: dict[type[SansanAggregate], Callable[[ReadModel], Table]] = {
    Community: lambda t: t.communities,
    PartyOrganization: lambda t: t.organizations,
    Member: lambda t: t.members,
    CreationCampaign: lambda t: t.campaigns,
    SupervisionItem: lambda t: t.supervision_items,
}

# An event as the runner hands it over: (position, event, its aggregate's type, its
# aggregate's id as text: made once per event, since a UUID's text costs a Python call).
Applied = tuple[int, Any, type[SansanAggregate], str]


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def organization_established(b: Batch, e: PartyOrganization.OrganizationEstablished) -> None:
    parent_path = "/"
    if e.parent_id is not None:
        parent = b.row(b.t.organizations, str(e.parent_id))
        parent_path = parent["path"] if parent else f"/{e.parent_id}/"
    b.insert(b.t.organizations, {
        "id": str(e.originator_id), "name": e.name, "level": e.level,
        "parent_id": _s(e.parent_id), "community_id": _s(e.community_id),
        "path": f"{parent_path}{e.originator_id}/", "established_on": e.occurred_on.isoformat(),
        "version": 1,
    })  # fmt: skip


def community_registered(b: Batch, e: Community.CommunityRegistered) -> None:
    street = b.row(b.t.organizations, str(e.street_committee_id))
    b.insert(b.t.communities, {
        "id": str(e.originator_id), "name": e.name,
        "street_committee_id": str(e.street_committee_id),
        "street_name": street["name"] if street else None, "origin": e.origin,
        "began_on": e.occurred_on.isoformat(), "version": 1,
    })  # fmt: skip


def _json(content: dict[str, Any] | None) -> str | None:
    """A pinned plan's content as kept beside its campaign (read back by the deadlines)."""
    return None if content is None else json.dumps(content, ensure_ascii=False)


def _set(table: Callable[[ReadModel], Table], **columns: Callable[[Any], Any]) -> BatchHandler:
    def handler(b: Batch, e: Any) -> None:
        b.update(table(b.t), str(e.originator_id), **{k: get(e) for k, get in columns.items()})

    return handler


def member_registered(b: Batch, e: Member.MemberRegistered) -> None:
    b.insert(b.t.members, {
        "id": str(e.originator_id), "name": e.name, "category": e.category,
        "organization_id": str(e.organization_id), "community_id": str(e.community_id),
        "registered_on": e.occurred_on.isoformat(), "version": 1,
    })  # fmt: skip


def campaign_launched(b: Batch, e: CreationCampaign.CampaignLaunched) -> None:
    b.insert(b.t.campaigns, {
        "id": str(e.originator_id), "name": e.name, "plan_id": e.plan_id, "county": e.county,
        "launch_date": e.launch_date.isoformat(), "version": 1, "plan_sha256": e.plan_sha256,
        "plan_content": _json(e.plan),
    })  # fmt: skip


def item_assigned(b: Batch, e: SupervisionItem.SupervisionItemAssigned) -> None:
    b.insert(b.t.supervision_items, {
        "id": str(e.originator_id), "title": e.title, "campaign_id": _s(e.campaign_id),
        "assignee_org_id": str(e.assignee_org_id), "community_id": _s(e.community_id),
        "due_on": e.due_on.isoformat(), "status": "assigned", "urge_count": 0, "version": 1,
        "status_on": e.occurred_on.isoformat(), "assigned_by_role": e.actor.partition(":")[0],
    })  # fmt: skip


def item_urged(b: Batch, e: Any) -> None:
    b.increment(b.t.supervision_items, str(e.originator_id), "urge_count")


def team_member_joined(b: Batch, e: PartyOrganization.TeamMemberJoined) -> None:
    org = b.row(b.t.organizations, str(e.originator_id))
    b.insert(b.t.team_members, {
        "team_member_id": str(e.team_member_id), "org_id": str(e.originator_id),
        "community_id": org["community_id"] if org else None, "person_name": e.person_name,
        "birth_year": e.birth_year,
        "birth_date": e.birth_date.isoformat() if e.birth_date else None,
        "education": e.education, "party_affairs_worker": e.party_affairs_worker,
        "newly_appointed": e.newly_appointed, "joined_on": e.occurred_on.isoformat(),
    })  # fmt: skip


def team_member_left(b: Batch, e: PartyOrganization.TeamMemberLeft) -> None:
    b.update(b.t.team_members, str(e.team_member_id), left_on=e.occurred_on.isoformat())


def facility_upgraded(b: Batch, e: Community.FacilityUpgraded) -> None:
    # As the state has it: an upgrade of one area leaves the other as it was (it was set to
    # NULL in the list of communities while the state kept it).
    areas = {f: v for f in ("office_area_m2", "venue_area_m2") if (v := getattr(e, f)) is not None}
    if areas:
        b.update(b.t.communities, str(e.originator_id), **areas)


def area_corrected(b: Batch, e: Community.FacilityAreaCorrected) -> None:
    # The community's present area, when the corrected upgrade is the one that set it.
    if e.is_current:
        b.update(b.t.communities, str(e.originator_id), **{e.corrected_field: e.to_value})


def worker_joined(b: Batch, e: Community.CommunityWorkerJoined) -> None:
    b.insert(b.t.community_workers, {
        "worker_id": str(e.worker_id), "community_id": str(e.originator_id),
        "worker_name": e.worker_name, "role": e.role, "joined_on": e.occurred_on.isoformat(),
    })  # fmt: skip


def worker_left(b: Batch, e: Community.CommunityWorkerLeft) -> None:
    b.update(b.t.community_workers, str(e.worker_id), left_on=e.occurred_on.isoformat())


_communities, _members = TABLE_OF[Community], TABLE_OF[Member]
_campaigns, _items = TABLE_OF[CreationCampaign], TABLE_OF[SupervisionItem]

HANDLERS: dict[type, BatchHandler] = {
    Community.CommunityWorkerJoined: worker_joined,
    Community.CommunityWorkerLeft: worker_left,
    PartyOrganization.TeamMemberJoined: team_member_joined,
    PartyOrganization.TeamMemberLeft: team_member_left,
    PartyOrganization.OrganizationEstablished: organization_established,
    Community.CommunityRegistered: community_registered,
    Community.ModelTypeDesignated: _set(_communities, model_type=lambda e: e.model_type),
    Community.GeneralBranchAttached: _set(
        _communities, general_branch_id=lambda e: str(e.organization_id)
    ),
    Community.FacilityUpgraded: facility_upgraded,
    Community.FacilityAreaCorrected: area_corrected,
    Member.MemberRegistered: member_registered,
    Member.MemberCategoryChanged: _set(_members, category=lambda e: e.category),
    Member.MemberTransferredOut: _set(
        _members, transferred_out_on=lambda e: e.occurred_on.isoformat()
    ),
    CreationCampaign.CampaignLaunched: campaign_launched,
    CreationCampaign.PlanChanged: _set(
        _campaigns,
        plan_id=lambda e: e.plan_id,
        plan_sha256=lambda e: e.plan_sha256,
        plan_content=lambda e: _json(e.plan),
    ),
    SupervisionItem.SupervisionItemAssigned: item_assigned,
    SupervisionItem.StatusChanged: _set(
        _items, status=lambda e: e.status, status_on=lambda e: e.occurred_on.isoformat()
    ),
    SupervisionItem.ExtensionApproved: _set(_items, due_on=lambda e: e.new_due_on.isoformat()),
    SupervisionItem.SupervisionItemUrged: item_urged,
}
# Handlers other modules contribute (the standings), run after the tables' and deadlines'.
EXTRA_HANDLERS: list[dict[type, BatchHandler]] = []
# What they will look up: each names rows with ``batch.want`` before the batch is applied.
PREPARERS: list[Callable[[Batch, Any], None]] = [want_deadline_rows]


def _find_handlers(kind: type) -> Iterator[BatchHandler]:
    """The table rows an event touches, then the deadlines it sets or moves."""
    for table in (HANDLERS, DEADLINE_HANDLERS, *EXTRA_HANDLERS):
        for cls in kind.__mro__:
            if cls in table:
                yield table[cls]
                break


# The handlers of each event class, found once (walking the class's MRO through every
# table cost more than some handlers): made again when another list of contributed
# handlers is in place (a test swaps one in) or one more was contributed.
_HANDLERS_OF: dict[type, tuple[BatchHandler, ...]] = {}
_MADE_FROM: list[Any] = [None, 0]  # the ``EXTRA_HANDLERS`` list they were found in, its length


def _handlers_for(event: Any) -> tuple[BatchHandler, ...]:
    if _MADE_FROM[0] is not EXTRA_HANDLERS or _MADE_FROM[1] != len(EXTRA_HANDLERS):
        _HANDLERS_OF.clear()
        _MADE_FROM[:] = [EXTRA_HANDLERS, len(EXTRA_HANDLERS)]
    kind = type(event)
    found = _HANDLERS_OF.get(kind)
    if found is None:
        found = _HANDLERS_OF[kind] = tuple(_find_handlers(kind))
    return found


# The rows an event names that the batch will look up (if its class has the field).
_LOOKUPS = (("parent_id", "organizations"), ("street_committee_id", "organizations"),
            ("community_id", "communities"))  # fmt: skip
_LOOKUPS_OF: dict[type, tuple[tuple[str, str], ...]] = {}


def _lookups_of(kind: type) -> tuple[tuple[str, str], ...]:
    found = _LOOKUPS_OF.get(kind)
    if found is None:
        dataclass = dataclasses.is_dataclass(kind)
        fields = {f.name for f in dataclasses.fields(kind)} if dataclass else None
        found = _LOOKUPS_OF[kind] = tuple(
            (name, table) for name, table in _LOOKUPS
            if fields is None or name in fields or hasattr(kind, name)
        )  # fmt: skip
    return found


def prepare(b: Batch, events: Iterable[Applied]) -> None:
    """Read, in a few queries, the rows the batch's events will look up."""
    t = b.t
    events = list(events)
    for _, e, kind, aggregate_id in events:
        if kind in TABLE_OF:
            b.want(TABLE_OF[kind](t), aggregate_id)
        if kind is Member:  # its place in the board's counts (``counts``)
            b.want(t.member_standings, aggregate_id)
        for name, table in _lookups_of(type(e)):
            b.want(getattr(t, table), _s(getattr(e, name, None)))
        for preparer in PREPARERS:
            preparer(b, e)
    b.load_wanted()
    # The communities of the units found: the audit log files each event under its street.
    for _, _, kind, aggregate_id in events:
        if kind in (PartyOrganization, Member, SupervisionItem):
            row = b.row(TABLE_OF[kind](t), aggregate_id)  # read just above
            if row is not None:
                b.want(t.communities, row["community_id"])
    b.load_wanted()


def apply_event(
    b: Batch, event: Any, position: int, aggregate_type: type[SansanAggregate],
    aggregate_id: str,
) -> None:  # fmt: skip
    for handler in _handlers_for(event):
        handler(b, event)
    occurred, recorded = event.occurred_on.isoformat(), event.timestamp.isoformat()
    record_facts(b, event, position, aggregate_id, occurred, recorded)
    own = TABLE_OF.get(aggregate_type)
    if own is not None:
        b.update(own(b.t), aggregate_id, version=event.originator_version)
    _audit(b, event, position, aggregate_type, aggregate_id, occurred, recorded)


# The audit row's data: the event's own fields as sorted JSON, values that JSON has no type
# for (ids, days) as their text. One encoder for every event (json.dumps builds one per call).
_DATA_JSON = json_text(default=str, ensure_ascii=False, sort_keys=True)


def _audit(
    b: Batch, event: Any, position: int, aggregate_type: type[SansanAggregate],
    aggregate_id: str, occurred: str, recorded: str,
) -> None:  # fmt: skip
    community_id, street_id = _placement(b, event, aggregate_type, aggregate_id)
    data = {name: getattr(event, name) for name in _data_fields(type(event))}
    for evidence in ("note", "evidence_ref"):  # last: the evidence behind the entry
        if getattr(event, evidence, None):
            data[evidence] = getattr(event, evidence)
    imported = source_zh(event.imported_from)
    if imported is not None:  # first: the audit page shows only an entry's first fields
        data = {"imported_from": imported, **data}
    if event.token_no is not None:  # beside who recorded it: which of its tokens
        data = {"token_no": event.token_no, **data}
    b.append(b.t.audit, {
        "position": position, "aggregate_id": aggregate_id,
        "aggregate_type": aggregate_type.__name__, "event_type": type(event).__name__,
        "version": event.originator_version, "actor": event.actor,
        "occurred_on": occurred, "recorded_at": recorded,
        "community_id": community_id, "street_id": street_id, "data": _DATA_JSON(data),
    })  # fmt: skip
    if aggregate_type is PersonalDataAccess:
        _place_read(b, event, position)


def _place_read(b: Batch, event: Any, position: int) -> None:
    """Every community whose members the read names, with its street: as the read listed
    them, or for a read recorded before it did (version 1), by its members' communities."""
    listed = event.community_ids
    if listed is None:
        listed = {event.community_id} - {None}
        for member_id in event.member_ids:
            member = b.row(b.t.members, str(member_id)) or b.row(b.t.team_members, str(member_id))
            if member is not None and member["community_id"] is not None:
                listed.add(member["community_id"])
    for community_id in sorted({str(c) for c in listed}):
        b.append(b.t.audit_places, {
            "position": position, "community_id": community_id,
            "street_id": _street_of(b, community_id),
        })  # fmt: skip


_FIELDS: dict[type, tuple[str, ...]] = {}


def _data_fields(kind: type) -> tuple[str, ...]:
    """An event's own fields, as the audit log shows them (not its identity or provenance)."""
    found = _FIELDS.get(kind)
    if found is None:
        names = (f.name for f in dataclasses.fields(kind))
        found = _FIELDS[kind] = tuple(n for n in names if n not in _BASE | _PROVENANCE)
    return found


def _street_of(b: Batch, community_id: str) -> str | None:
    community = b.row(b.t.communities, community_id)
    return community["street_committee_id"] if community else None


def _placement(
    b: Batch, event: Any, kind: type[SansanAggregate], aggregate_id: str
) -> tuple[str | None, str | None]:
    """The community and street an event belongs to, for filtering the audit log."""
    if kind is Community:
        return aggregate_id, _street_of(b, aggregate_id)
    if kind is PersonalDataAccess:
        community_id = _s(event.community_id)
        return (None, None) if community_id is None else (community_id, _street_of(b, community_id))
    if kind is CreationCampaign or kind not in TABLE_OF:
        return None, None
    unit = b.row(TABLE_OF[kind](b.t), aggregate_id)
    if unit is None:
        return None, None
    if unit["community_id"] is None:
        if kind is PartyOrganization:  # a street committee or a street-level organization
            return None, str(unit["path"]).strip("/").split("/")[0]
        return None, None
    return unit["community_id"], _street_of(b, unit["community_id"])
