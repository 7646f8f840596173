"""Events → dated facts (rm_facts): what the compliance engine counts, as of any day."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sansan.clock import CHINA_OFFSET
from sansan.domain import Community, CreationCampaign, Member, PartyOrganization
from sansan.projections import counts
from sansan.projections.batch import Batch

# (fact, item, number) rows an event contributes; the subject is the event's aggregate
# unless noted, the community is found from it.
Fact = tuple[str, str | None, float | None]

COMMUNITY_FACTS: dict[type, Callable[[Any], list[Fact]]] = {
    Community.WorkingSystemAdopted: lambda e: [("working_system", e.kind, None)],
    Community.CoordinationBodyEstablished: lambda e: [("coordination_body", e.kind, None)],
    Community.CoordinationMeetingHeld: lambda e: [("coordination_meeting", e.kind, None)],
    Community.ServiceStationEstablished: lambda e: [("service_station", e.station_name, None)],
    Community.FeatureBrandRecognized: lambda e: [("brand", e.brand, None)],
    Community.CultureIdentityItemAdopted: lambda e: [("identity_item", e.item, None)],
    Community.CultureFacilityOpened: lambda e: [("culture_facility", e.kind, None)],
    Community.TroupeFormed: lambda e: [("troupe", e.troupe_name, None)],
    Community.CultureFestivalHeld: lambda e: [("festival", e.title, None)],
    Community.ModelServiceLaunched: lambda e: [("model_service", e.kind, None)],
    Community.CivilityRatingHeld: lambda e: [("civility_rating", e.kind, None)],
    Community.CityModelRecommended: lambda e: [("city_recommended", "city", None)],
    Community.ModelTypeDesignated: lambda e: [("designation", e.model_type, None)],
    Community.FacilityUpgraded: lambda e: [
        (fact, None, value)
        for fact, value in (("office_area", e.office_area_m2), ("venue_area", e.venue_area_m2))
        if value is not None
    ],
    Community.FundingAllocated: lambda e: [("funding", str(e.year), float(e.amount_yuan))],
    # A correction holds from the corrected fact's own day (CORRECTED_ON): a later figure of
    # the same day (this row's later position wins, ``Context.latest``), or the difference it
    # makes to the year's sum of money.
    Community.FacilityAreaCorrected: lambda e: [
        (e.corrected_field.removesuffix("_m2"), None, float(e.to_value))
    ],
    Community.FundingAmountCorrected: lambda e: [
        ("funding", str(e.year), float(e.to_value - e.from_value))
    ],
    # Rostered workers by id; insurance recorded before the roster (by name only) keeps
    # its name as the item and matches no rostered worker.
    Community.WorkerInsuranceRecorded: lambda e: [
        ("worker_insurance", str(e.worker_id or e.worker_name), float(len(e.insurances)))
    ],
    Community.VolunteerOrganizationFormed: lambda e: [
        ("volunteer_organization", e.organization_name, None)
    ],
    Community.SatisfactionSurveyed: lambda e: [
        ("satisfaction", str(e.respondents), e.satisfied / e.respondents)
    ],
    Community.FiveGoodsAssessed: lambda e: [("five_goods", str(e.year), 1.0 if e.passed else 0.0)],
}
# Events whose facts are dated by a day they name, not their own ``occurred_on``: a correction
# changes the corrected fact from that fact's day, as a late fact counts from its own day (the
# board's ``as_of`` is the day in the world); a verdict given before the correction was
# recorded still counts what was on record then (``recorded_at``).
CORRECTED_ON: dict[type, Callable[[Any], date]] = {
    Community.FacilityAreaCorrected: lambda e: e.corrected_on,
    Community.FundingAmountCorrected: lambda e: e.corrected_on,
}
# Facts about a street working committee: the subject is the committee, no community.
STREET_FACTS: dict[type, Callable[[Any], list[Fact]]] = {
    PartyOrganization.StreetServiceCenterEstablished: lambda e: [
        ("street_service_center", e.center_name, None)
    ],
    PartyOrganization.StreetFiveGoodsAssessed: lambda e: [
        ("street_five_goods", str(e.year), 1.0 if e.passed else 0.0)
    ],
    PartyOrganization.StreetWorkingSystemAdopted: lambda e: [
        ("street_working_system", e.kind, None)
    ],
}
MEMBER_FACTS: dict[type, Callable[[Any], list[Fact]]] = {
    Member.MemberRegistered: lambda e: [("member_category", e.category, None)],
    Member.MemberCategoryChanged: lambda e: [("member_category", e.category, None)],
    Member.CardIssued: lambda e: [("card", e.card, None)],
    Member.TrainingCompleted: lambda e: [("member_training", e.method, e.days)],
    Member.ServicePostAssigned: lambda e: [("service_post", e.post, None)],
}


def recorded_at(moment: datetime, iso: str | None = None) -> str:
    """A recording time as text that sorts as time does (UTC, always with microseconds).
    ``iso``: the moment's ``isoformat()`` if already made (the audit row's), which is that
    very text when the moment is in UTC and has microseconds, as the library's are."""
    if iso is not None and moment.tzinfo is UTC and moment.microsecond:
        return iso
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def record_facts(
    b: Batch, event: Any, position: int, aggregate_id: str, occurred: str, recorded: str
) -> None:
    """``occurred``, ``recorded``: the event's ``occurred_on`` and ``timestamp`` as
    ``isoformat()`` gives them (made once per event, for the audit row too)."""
    kind = type(event)
    subject, community, facts = aggregate_id, None, []
    if kind in COMMUNITY_FACTS:
        community, facts = subject, COMMUNITY_FACTS[kind](event)
    elif kind in MEMBER_FACTS:
        member = b.row(b.t.members, subject)
        community, facts = (member["community_id"] if member else None), MEMBER_FACTS[kind](event)
    elif kind is PartyOrganization.TeamTrainingCompleted:
        org = b.row(b.t.organizations, subject)
        subject, community = str(event.team_member_id), (org["community_id"] if org else None)
        school = "party_school" if event.at_county_party_school else "regular"
        facts = [("team_training", school, event.days)]
    elif kind in STREET_FACTS:
        facts = STREET_FACTS[kind](event)
    elif kind is CreationCampaign.PilotCommunityDesignated:
        # Subject: the campaign; the community is the pilot it designates.
        community, facts = str(event.community_id), [("pilot", None, None)]
    # When the library recorded the event (and its China day): a year's verdict counts only
    # what was on record when the scheduler gave it; what came later is made good late.
    if kind in CORRECTED_ON:
        occurred = CORRECTED_ON[kind](event).isoformat()
    if facts:
        recorded_on = (event.timestamp + CHINA_OFFSET).date().isoformat()
        at = recorded_at(event.timestamp, recorded)
    for seq, (fact, item, number) in enumerate(facts):
        b.append(b.t.facts, {
            "position": position, "seq": seq, "subject_id": subject, "community_id": community,
            "fact": fact, "item": item, "num": number, "occurred_on": occurred,
            "recorded_on": recorded_on, "recorded_at": at,
        })  # fmt: skip
        if kind in MEMBER_FACTS:
            _stand(b, subject, fact, item, number, position, event.occurred_on, occurred)
    if kind is Member.MemberTransferredOut:
        counts.transferred_out(b, subject, occurred)


def _stand(
    b: Batch, member: str, fact: str, item: str | None, number: float | None, position: int,
    day: date, on: str,
) -> None:  # fmt: skip
    """The member rules' standings, from the same fact rows the rules would otherwise read
    (a verdict still reads the facts: it counts only what was on record at its moment).
    ``on``: ``day`` as text."""
    if fact == "member_training":  # counter upserts: a late training adds to its day and year
        b.add(b.t.member_training_days, {"member_id": member, "occurred_on": on, "days": number})
        b.add(b.t.member_training_years, {"member_id": member, "year": day.year, "days": number})
        counts.training(b, member, on, float(number or 0))
    elif fact == "member_category":
        b.insert(b.t.member_categories, {
            "member_id": member, "occurred_on": on, "position": position, "category": item,
        })  # fmt: skip
        counts.category(b, member, str(item), on, position)
    elif fact == "card":
        b.insert(b.t.member_cards, {"member_id": member, "card": item, "occurred_on": on})
        counts.card(b, member, str(item), on)
