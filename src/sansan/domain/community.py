"""A community (社区): its sites, money, coordination bodies, systems, culture and assessments."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain import errors, marks
from sansan.domain.base import (
    Provenance,
    SansanAggregate,
    added_state,
    begin_state,
    calendar_year_fits,
    choice,
    figure,
    in_range,
    not_before,
    positive,
    tally,
    text,
)
from sansan.domain.event_labels import EVENT_LABELS_ZH
from sansan.domain.vocabulary import (
    ROLE_RANK,
    CivilityRatingKind,
    CoordinationBodyKind,
    CultureFacilityKind,
    CultureIdentityItem,
    FiveGoodsItem,
    InsuranceKind,
    ModelType,
    OrgLevel,
    OriginKind,
    ServiceKind,
    SiteArea,
    TroupeKind,
    VolunteerOrgKind,
    WorkingSystemKind,
    zh_date,
)

if TYPE_CHECKING:
    from sansan.domain.organization import PartyOrganization

T = "sansan:Community"
# One allocation of a community's office funding above this is a typo, not a budget: the plan
# asks 10,000 yuan a year, and a whole county's yearly party budget is of this order.
FUNDING_CEILING_YUAN = 10_000_000
# Marks (sansan.domain.marks) of the facts corrected: the fact's version → its latest
# correction's version. Bounded; a snapshot taken before corrections existed has none, which
# is what it should have. Private (not in the API's state).
CORRECTIONS_INDEX = "_correction_marks"


class CommunityLog(Protocol):
    """The community's own recorded events, read by version: what a correction names (the
    application hands it in; the domain reads no store)."""

    def at(self, version: int) -> Any:
        """The event of that version, or None."""

    def after(self, version: int) -> Iterable[Any]:
        """The events after that version, oldest first."""

    def before(self, version: int) -> Iterable[Any]:
        """The events before that version, oldest first."""


# The events that correct a recorded figure, by name; and what ``is_current`` says of one as
# the history reads it (review 3 finding 10).
CORRECTIONS = frozenset({"FacilityAreaCorrected", "FundingAmountCorrected"})


def superseded_corrections(corrections: Iterable[tuple[int, int, str]]) -> set[int]:
    """The versions of the corrections that a later correction of the same figure replaced,
    from (correction's version, corrected fact's version, corrected figure) in any order: each
    figure of a recorded fact has one correction in force, its latest. (An area correction's
    own ``is_current`` says whether its upgrade set the area at the time it was recorded: it
    stays true when the correction is itself corrected.)"""
    latest: dict[tuple[int, str], int] = {}
    superseded: set[int] = set()
    for version, corrected, figure_ in sorted(corrections):
        earlier = latest.get((corrected, figure_))
        if earlier is not None:
            superseded.add(earlier)
        latest[corrected, figure_] = version
    return superseded


def _correction_mark(version: int) -> str:
    return marks.mark("corrected", version)


def _note_correction(c: "Community", event: Any) -> None:
    state = vars(c)
    state[CORRECTIONS_INDEX] = marks.added(
        state.get(CORRECTIONS_INDEX, ""), _correction_mark(event.corrected_version),
        event.originator_version,
    )  # fmt: skip


class Community(SansanAggregate):
    TOPIC = T
    LABEL_ZH = "社区"

    if (
        TYPE_CHECKING
    ):  # state set by the events' apply(); annotations here would become __init__ params
        name: str
        street_committee_id: UUID
        origin: str
        model_type: str | None
        general_branch_id: UUID | None
        office_area_m2: float | None
        venue_area_m2: float | None
        funding_by_year: dict[str, Decimal]
        service_station: str | None
        coordination_bodies: dict[str, date]
        meetings_by_year: dict[str, dict[str, int]]
        working_systems: list[str]
        resident_units: list[str]
        brand: str | None
        culture_identity: dict[str, str]
        culture_facilities: list[str]
        troupes: dict[str, str]
        festivals_by_year: dict[str, int]
        model_services: list[str]
        civility_ratings: list[str]
        insured_workers: dict[str, list[str]]
        workers: dict[str, dict[str, Any]]
        volunteer_organizations: dict[str, str]
        five_goods: dict[str, dict[str, Any]]
        creation_plan: str | None
        recommended_to_city: bool

    class Event(SansanAggregate.Event):
        pass

    class CommunityRegistered(Event, Aggregate.Created):
        TOPIC = f"{T}.CommunityRegistered"
        name: str
        street_committee_id: UUID
        origin: str

        def apply(self, c: "Community") -> None:
            begin_state(c, self)
            c.name, c.street_committee_id, c.origin = (
                self.name,
                self.street_committee_id,
                self.origin,
            )
            c.model_type = c.general_branch_id = c.service_station = None
            c.office_area_m2 = c.venue_area_m2 = None
            c.brand = c.creation_plan = None
            c.funding_by_year, c.coordination_bodies, c.meetings_by_year = {}, {}, {}
            c.working_systems, c.resident_units, c.culture_facilities = [], [], []
            c.culture_identity, c.troupes, c.festivals_by_year = {}, {}, {}
            c.model_services, c.civility_ratings = [], []
            c.insured_workers, c.five_goods = {}, {}
            c.workers, c.volunteer_organizations = {}, {}
            c.recommended_to_city = False

    Created = CommunityRegistered

    class ModelTypeDesignated(Event):
        TOPIC = f"{T}.ModelTypeDesignated"
        model_type: str
        campaign_id: UUID

        def apply(self, c: "Community") -> None:
            c.model_type = self.model_type

    class GeneralBranchAttached(Event):
        TOPIC = f"{T}.GeneralBranchAttached"
        organization_id: UUID

        def apply(self, c: "Community") -> None:
            c.general_branch_id = self.organization_id

    class FacilityUpgraded(Event):
        TOPIC = f"{T}.FacilityUpgraded"
        ONCE_A_DAY = True
        office_area_m2: float | None
        venue_area_m2: float | None

        def apply(self, c: "Community") -> None:
            if self.office_area_m2 is not None:
                c.office_area_m2 = self.office_area_m2
            if self.venue_area_m2 is not None:
                c.venue_area_m2 = self.venue_area_m2

    class FundingAllocated(Event):
        TOPIC = f"{T}.FundingAllocated"
        ONCE_A_DAY = True
        year: int
        amount_yuan: Decimal
        source: str | None

        def apply(self, c: "Community") -> None:
            tally(c.funding_by_year, self.year, self.amount_yuan)

    class FacilityAreaCorrected(Event):
        """A recorded upgrade's area was mistyped; this is the figure it should have said.
        ``corrected_on`` is that upgrade's day (the corrected figure holds from it, as a late
        fact would); ``is_current``: that upgrade set the community's present area."""

        TOPIC = f"{T}.FacilityAreaCorrected"
        correction: str  # 第5版（…办公用房和活动场所建设）办公用房面积由1000㎡改为100㎡，原因：…
        corrected_version: int
        corrected_field: str
        from_value: float
        to_value: float
        corrected_on: date
        is_current: bool
        correction_reason: str

        def apply(self, c: "Community") -> None:
            if self.is_current:
                setattr(c, self.corrected_field, self.to_value)
            _note_correction(c, self)

    class FundingAmountCorrected(Event):
        """A recorded allocation's amount was mistyped; this is the amount it should have said
        (for its own year, from its own day)."""

        TOPIC = f"{T}.FundingAmountCorrected"
        correction: str
        corrected_version: int
        year: int
        from_value: Decimal
        to_value: Decimal
        corrected_on: date
        correction_reason: str

        def apply(self, c: "Community") -> None:
            tally(c.funding_by_year, self.year, self.to_value - self.from_value)
            _note_correction(c, self)

    class ServiceStationEstablished(Event):
        TOPIC = f"{T}.ServiceStationEstablished"
        station_name: str

        def apply(self, c: "Community") -> None:
            c.service_station = self.station_name

    class CoordinationBodyEstablished(Event):
        TOPIC = f"{T}.CoordinationBodyEstablished"
        kind: str

        def apply(self, c: "Community") -> None:
            c.coordination_bodies[self.kind] = self.occurred_on

    class CoordinationMeetingHeld(Event):
        TOPIC = f"{T}.CoordinationMeetingHeld"
        ONCE_A_DAY = True
        kind: str
        topic: str

        def apply(self, c: "Community") -> None:
            tally(c.meetings_by_year.setdefault(str(self.occurred_on.year), {}), self.kind, 1)

    class WorkingSystemAdopted(Event):
        TOPIC = f"{T}.WorkingSystemAdopted"
        kind: str
        title: str

        def apply(self, c: "Community") -> None:
            c.working_systems.append(self.kind)

    class ResidentUnitJoined(Event):
        TOPIC = f"{T}.ResidentUnitJoined"
        unit_name: str

        def apply(self, c: "Community") -> None:
            c.resident_units.append(self.unit_name)

    class FeatureBrandRecognized(Event):
        TOPIC = f"{T}.FeatureBrandRecognized"
        brand: str
        recognized_by: str

        def apply(self, c: "Community") -> None:
            c.brand = self.brand

    class CultureIdentityItemAdopted(Event):
        TOPIC = f"{T}.CultureIdentityItemAdopted"
        item: str
        content: str

        def apply(self, c: "Community") -> None:
            c.culture_identity[self.item] = self.content

    class CultureFacilityOpened(Event):
        TOPIC = f"{T}.CultureFacilityOpened"
        kind: str
        area_m2: float | None

        def apply(self, c: "Community") -> None:
            if self.kind not in c.culture_facilities:
                c.culture_facilities.append(self.kind)

    class TroupeFormed(Event):
        TOPIC = f"{T}.TroupeFormed"
        kind: str
        troupe_name: str

        def apply(self, c: "Community") -> None:
            c.troupes[self.troupe_name] = self.kind

    class CultureFestivalHeld(Event):
        TOPIC = f"{T}.CultureFestivalHeld"
        ONCE_A_DAY = True
        title: str

        def apply(self, c: "Community") -> None:
            tally(c.festivals_by_year, self.occurred_on.year, 1)

    class ModelServiceLaunched(Event):
        TOPIC = f"{T}.ModelServiceLaunched"
        ONCE_A_DAY = True
        kind: str
        description: str

        def apply(self, c: "Community") -> None:
            c.model_services.append(self.kind)

    class CivilityRatingHeld(Event):
        TOPIC = f"{T}.CivilityRatingHeld"
        ONCE_A_DAY = True
        kind: str
        winners: int

        def apply(self, c: "Community") -> None:
            if self.kind not in c.civility_ratings:
                c.civility_ratings.append(self.kind)

    class CommunityWorkerJoined(Event):
        """A community worker (社区工作人员) on the roster from ``occurred_on``."""

        TOPIC = f"{T}.CommunityWorkerJoined"
        worker_id: UUID
        worker_name: str
        role: str

        def apply(self, c: "Community") -> None:
            added_state(c, "workers", dict)[str(self.worker_id)] = {
                "worker_name": self.worker_name,
                "role": self.role,
                "joined_on": self.occurred_on,
                "left_on": None,
            }

    class CommunityWorkerLeft(Event):
        TOPIC = f"{T}.CommunityWorkerLeft"
        worker_id: UUID
        reason: str

        def apply(self, c: "Community") -> None:
            added_state(c, "workers", dict)[str(self.worker_id)]["left_on"] = self.occurred_on

    class WorkerInsuranceRecorded(Event):
        """Version 2 names the rostered worker; version 1 knew the worker by name only."""

        TOPIC = f"{T}.WorkerInsuranceRecorded"
        ONCE_A_DAY = True
        class_version = 2
        worker_id: UUID | None
        worker_name: str
        insurances: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["worker_id"] = None

        def apply(self, c: "Community") -> None:
            key = str(self.worker_id) if self.worker_id else self.worker_name
            c.insured_workers[key] = list(self.insurances)

    class VolunteerOrganizationFormed(Event):
        """社区志愿者组织 / 党员志愿者服务队 formed in the community."""

        TOPIC = f"{T}.VolunteerOrganizationFormed"
        kind: str
        organization_name: str

        def apply(self, c: "Community") -> None:
            added_state(c, "volunteer_organizations", dict)[self.organization_name] = self.kind

    class ResidentCodeAdopted(Event):
        """§四(三)3: 制定完善居民道德行为规范."""

        TOPIC = f"{T}.ResidentCodeAdopted"
        ONCE_A_DAY = True
        title: str

        def apply(self, c: "Community") -> None:
            vars(c)["resident_code"] = self.title

    class SatisfactionSurveyed(Event):
        """§二(六): how satisfied residents and resident units are with the Party organizations."""

        TOPIC = f"{T}.SatisfactionSurveyed"
        ONCE_A_DAY = True
        respondents: int
        satisfied: int

        def apply(self, c: "Community") -> None:
            pass

    class FiveGoodsAssessed(Event):
        TOPIC = f"{T}.FiveGoodsAssessed"
        year: int
        items: dict[str, bool]
        scores: dict[str, float] | None
        passed: bool

        def apply(self, c: "Community") -> None:
            c.five_goods[str(self.year)] = {
                "items": dict(self.items),
                "scores": dict(self.scores) if self.scores else None,
                "passed": self.passed,
            }

    class CreationPlanDrafted(Event):
        TOPIC = f"{T}.CreationPlanDrafted"
        ONCE_A_DAY = True
        title: str

        def apply(self, c: "Community") -> None:
            c.creation_plan = self.title

    class CityModelRecommended(Event):
        TOPIC = f"{T}.CityModelRecommended"
        reason: str

        def apply(self, c: "Community") -> None:
            c.recommended_to_city = True

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        prov: Provenance,
        *,
        name: str,
        street_committee: "PartyOrganization",
        origin: str,
        id: UUID | None = None,
    ) -> "Community":
        if street_committee.level != OrgLevel.STREET_COMMITTEE:
            raise errors.NOT_A_STREET_COMMITTEE()
        not_before(prov, street_committee)
        return cls._begin(
            cls.CommunityRegistered,
            prov,
            id=id,
            name=text("name", name),
            street_committee_id=street_committee.id,
            origin=choice("origin", origin, OriginKind).value,
        )

    def designate_model_type(self, prov: Provenance, *, model_type: str, campaign_id: UUID) -> None:
        value = choice("model_type", model_type, ModelType).value
        if self.model_type == value:
            raise errors.ALREADY_RECORDED(what="model type", what_zh="示范类型")
        self._record(self.ModelTypeDesignated, prov, model_type=value, campaign_id=campaign_id)

    def attach_general_branch(self, prov: Provenance, *, organization_id: UUID) -> None:
        if self.general_branch_id is not None:
            raise errors.GENERAL_BRANCH_EXISTS()
        self._record(self.GeneralBranchAttached, prov, organization_id=organization_id)

    def upgrade_facility(
        self, prov: Provenance, *, office_area_m2: float | None, venue_area_m2: float | None
    ) -> None:
        if office_area_m2 is None and venue_area_m2 is None:
            raise errors.NOTHING_TO_RECORD(what="facility upgrade")
        for field, value in (("office_area_m2", office_area_m2), ("venue_area_m2", venue_area_m2)):
            if value is not None:
                _plausible_area(field, value)
                self._not_smaller(field, value)
        self._record(
            self.FacilityUpgraded, prov, office_area_m2=office_area_m2, venue_area_m2=venue_area_m2
        )

    def _not_smaller(self, field: str, value: float) -> None:
        # An upgrade (提档升级) never shrinks a site: a lower figure is a typo (10 for 100)
        # that would silently drop a standardized community from its target. A mistyped
        # figure is corrected by CorrectFacilityArea, with its reason, not by a lower upgrade.
        current: float | None = getattr(self, field)
        if current is not None and value < current:
            raise errors.AREA_DECREASE(field=field, current=figure(current), value=figure(value))

    def allocate_funding(
        self, prov: Provenance, *, year: int, amount_yuan: Decimal, source: str | None
    ) -> None:
        _plausible_amount(amount_yuan)
        calendar_year_fits(year, prov.occurred_on, ahead=True)
        if year < self.began_on.year:  # a year the community never had
            raise errors.YEAR_BEFORE_START(year=year, began_on=self.began_on)
        self._record(self.FundingAllocated, prov, year=year, amount_yuan=amount_yuan, source=source)

    @staticmethod
    def correctable_by(role: str, fact: Any) -> bool:
        """Whether a principal of ``role`` may correct the area ``fact`` (an upgrade)
        recorded: the level that recorded it or a higher one. A community (and its client
        token, which signs for it) corrects what it recorded itself, never what its street or
        the county recorded: that figure is what the community's own target is judged on."""
        recorded_by = str(fact.actor).partition(":")[0]
        return ROLE_RANK.get(role, 0) >= ROLE_RANK.get(recorded_by, 0)

    def correction_of(self, version: int) -> int | None:
        """The version of the latest correction of the fact recorded at ``version``."""
        found = vars(self).get(CORRECTIONS_INDEX, "")
        return marks.version_of(found, _correction_mark(version), latest=True)

    def _corrected(
        self, prov: Provenance, log: CommunityLog, version: int, kind: type[Event], reason: str
    ) -> tuple[Any, Any, str]:
        """The fact a correction names (of ``kind``), its latest correction (or None), and
        the reason; refused if the version recorded no such fact, or the correction is dated
        before it."""
        fact = log.at(version)
        if fact is None and version > self.version:
            raise errors.NO_SUCH_VERSION(version=version, latest=self.version)
        corrections = (self.FacilityAreaCorrected, self.FundingAmountCorrected)
        if isinstance(fact, corrections) and isinstance(log.at(fact.corrected_version), kind):
            # a correction is itself corrected by correcting the record it corrected
            raise errors.CORRECTION_OF_CORRECTION(
                version=version, original=fact.corrected_version
            )
        if not isinstance(fact, kind):
            what_zh = EVENT_LABELS_ZH[kind.__name__]
            raise errors.NOT_CORRECTABLE(version=version, what_zh=what_zh, what=kind.__name__)
        if prov.occurred_on < fact.occurred_on:
            raise errors.DATE_BEFORE(
                field="occurred_on", value=prov.occurred_on, bound=fact.occurred_on
            )
        last = self.correction_of(version)
        return fact, (None if last is None else log.at(last)), text("reason", reason)

    def correct_facility_area(
        self, prov: Provenance, *, log: CommunityLog, corrected_version: int,
        corrected_field: str, area_m2: float, reason: str,
    ) -> None:  # fmt: skip
        """Correct the area an upgrade recorded (a typo). The site's figures never fall from
        one upgrade to the next, so the corrected figure may not exceed what the next later
        upgrade of that area recorded, nor fall below what the one before it recorded (either
        upgrade would become a decrease: correct that one first)."""
        field = choice("corrected_field", corrected_field, SiteArea).value
        fact, _, why = self._corrected(prov, log, corrected_version, self.FacilityUpgraded, reason)
        last = self._area_correction(log, corrected_version, field)
        said = SiteArea(field).label_zh
        if getattr(fact, field) is None:
            raise errors.CORRECTION_FIELD_NOT_RECORDED(
                version=corrected_version, what=field, what_zh=said
            )
        _plausible_area("area_m2", area_m2)
        current = float(getattr(fact, field) if last is None else last.to_value)
        if area_m2 == current:
            raise errors.CORRECTION_SAME_VALUE(
                version=corrected_version, current=f"{figure(current)}㎡", at=("area_m2",),
                what=field, what_zh=said,
            )  # fmt: skip
        later = self._next_area(log, corrected_version, field)
        if later is not None and area_m2 > later[1]:
            raise errors.CORRECTION_ABOVE_LATER(
                later_version=later[0], later=f"{figure(later[1])}", version=corrected_version,
                value=f"{figure(area_m2)}", what=field, what_zh=said,
            )  # fmt: skip
        earlier = self._previous_area(log, corrected_version, field)
        if earlier is not None and area_m2 < earlier[1]:
            raise errors.CORRECTION_BELOW_EARLIER(
                earlier_version=earlier[0], earlier=f"{figure(earlier[1])}",
                version=corrected_version, value=f"{figure(area_m2)}", what=field, what_zh=said,
            )  # fmt: skip
        self._record(
            self.FacilityAreaCorrected, prov,
            correction=_correction_zh(
                corrected_version, fact, f"{said}由{figure(current)}㎡改为{figure(area_m2)}㎡", why
            ),
            corrected_version=corrected_version, corrected_field=field, from_value=current,
            to_value=float(area_m2), corrected_on=fact.occurred_on, is_current=later is None,
            correction_reason=why,
        )  # fmt: skip

    def _next_area(self, log: CommunityLog, version: int, field: str) -> tuple[int, float] | None:
        """The next upgrade after ``version`` that recorded ``field``: its version and its
        figure (as corrected), or None if ``version`` set the present figure."""
        for event in log.after(version):
            if isinstance(event, self.FacilityUpgraded) and getattr(event, field) is not None:
                return self._as_corrected(log, event, field)
        return None

    def latest_correction(self, log: CommunityLog, version: int, field: str | None = None) -> Any:
        """The latest correction of the fact recorded at ``version`` (of one of an upgrade's
        areas, with ``field``), or None: who made it decides who may correct it again."""
        if field is not None:
            return self._area_correction(log, version, field)
        latest = self.correction_of(version)
        return None if latest is None else log.at(latest)

    def _previous_area(
        self, log: CommunityLog, version: int, field: str
    ) -> tuple[int, float] | None:
        """The last upgrade before ``version`` that recorded ``field``: its version and its
        figure (as corrected), or None if ``version`` recorded the first."""
        found = None
        for event in log.before(version):
            if isinstance(event, self.FacilityUpgraded) and getattr(event, field) is not None:
                found = event
        return None if found is None else self._as_corrected(log, found, field)

    def _as_corrected(self, log: CommunityLog, upgrade: Any, field: str) -> tuple[int, float]:
        """An upgrade's version and its figure of ``field`` as its latest correction has it."""
        last = self._area_correction(log, upgrade.originator_version, field)
        return upgrade.originator_version, float(
            getattr(upgrade, field) if last is None else last.to_value
        )

    def _area_correction(self, log: CommunityLog, version: int, field: str) -> Any:
        """The latest correction of one area (office or venue) the upgrade at ``version``
        recorded, or None: the index keeps a fact's latest correction of either area, and an
        upgrade's two areas are corrected each from its own figure."""
        if self.correction_of(version) is None:  # never corrected: no need to read on
            return None
        found = None
        for event in log.after(version):
            if (
                isinstance(event, self.FacilityAreaCorrected)
                and event.corrected_version == version
                and event.corrected_field == field
            ):
                found = event
        return found

    def correct_funding_amount(
        self, prov: Provenance, *, log: CommunityLog, corrected_version: int,
        amount_yuan: Decimal, reason: str,
    ) -> None:  # fmt: skip
        """Correct the amount an allocation recorded (a typo), for the allocation's year."""
        fact, last, why = self._corrected(
            prov, log, corrected_version, self.FundingAllocated, reason
        )
        _plausible_amount(amount_yuan)
        current = Decimal(fact.amount_yuan if last is None else last.to_value)
        if amount_yuan == current:
            raise errors.CORRECTION_SAME_VALUE(
                version=corrected_version, what="amount_yuan", what_zh="经费金额",
                current=f"{current:,.2f}元", at=("amount_yuan",),
            )  # fmt: skip
        change = f"{fact.year}年度社区办公经费由{current:,.2f}元改为{amount_yuan:,.2f}元"
        self._record(
            self.FundingAmountCorrected, prov,
            correction=_correction_zh(corrected_version, fact, change, why),
            corrected_version=corrected_version, year=fact.year, from_value=current,
            to_value=amount_yuan, corrected_on=fact.occurred_on, correction_reason=why,
        )  # fmt: skip

    def establish_service_station(self, prov: Provenance, *, station_name: str) -> None:
        if self.service_station is not None:
            raise errors.ALREADY_RECORDED(what="service station", what_zh="社区服务站")
        self._record(
            self.ServiceStationEstablished, prov, station_name=text("station_name", station_name)
        )

    def establish_coordination_body(self, prov: Provenance, *, kind: str) -> None:
        value = choice("kind", kind, CoordinationBodyKind)
        if value in self.coordination_bodies:
            raise errors.ALREADY_RECORDED(what=value.value, what_zh=value.label_zh, at=("kind",))
        self._record(self.CoordinationBodyEstablished, prov, kind=value.value)

    def hold_coordination_meeting(self, prov: Provenance, *, kind: str, topic: str) -> None:
        value = choice("kind", kind, CoordinationBodyKind)
        established_on = self.coordination_bodies.get(value)
        if established_on is None:
            raise errors.COORDINATION_BODY_MISSING(kind=value.value, kind_zh=value.label_zh)
        if prov.occurred_on < established_on:
            raise errors.DATE_BEFORE(
                field="occurred_on", value=prov.occurred_on, bound=established_on
            )
        self._record(
            self.CoordinationMeetingHeld, prov, kind=value.value, topic=text("topic", topic)
        )

    def adopt_working_system(self, prov: Provenance, *, kind: str, title: str) -> None:
        value = choice("kind", kind, WorkingSystemKind)
        if value in self.working_systems:
            raise errors.ALREADY_RECORDED(what=value.value, what_zh=value.label_zh, at=("kind",))
        self._record(self.WorkingSystemAdopted, prov, kind=value.value, title=text("title", title))

    def join_resident_unit(self, prov: Provenance, *, unit_name: str) -> None:
        name = text("unit_name", unit_name)
        if name in self.resident_units:
            raise errors.ALREADY_RECORDED(what=f"resident unit {name}", what_zh=f"驻区单位{name}")
        self._record(self.ResidentUnitJoined, prov, unit_name=name)

    def recognize_brand(self, prov: Provenance, *, brand: str, recognized_by: str) -> None:
        self._record(
            self.FeatureBrandRecognized,
            prov,
            brand=text("brand", brand),
            recognized_by=text("recognized_by", recognized_by),
        )

    def adopt_culture_identity_item(self, prov: Provenance, *, item: str, content: str) -> None:
        value = choice("item", item, CultureIdentityItem)
        self._record(
            self.CultureIdentityItemAdopted,
            prov,
            item=value.value,
            content=text("content", content),
        )

    def open_culture_facility(self, prov: Provenance, *, kind: str, area_m2: float | None) -> None:
        value = choice("kind", kind, CultureFacilityKind)
        if area_m2 is not None:
            positive("area_m2", area_m2)
        self._record(self.CultureFacilityOpened, prov, kind=value.value, area_m2=area_m2)

    def form_troupe(self, prov: Provenance, *, kind: str, troupe_name: str) -> None:
        value = choice("kind", kind, TroupeKind)
        name = text("troupe_name", troupe_name)
        if name in self.troupes:
            raise errors.ALREADY_RECORDED(what=f"troupe {name}", what_zh=f"文体队伍{name}")
        self._record(self.TroupeFormed, prov, kind=value.value, troupe_name=name)

    def hold_culture_festival(self, prov: Provenance, *, title: str) -> None:
        self._record(self.CultureFestivalHeld, prov, title=text("title", title))

    def launch_model_service(self, prov: Provenance, *, kind: str, description: str) -> None:
        value = choice("kind", kind, ServiceKind)
        if value in self.model_services:
            raise errors.ALREADY_RECORDED(what=value.value, what_zh=value.label_zh, at=("kind",))
        self._record(
            self.ModelServiceLaunched,
            prov,
            kind=value.value,
            description=text("description", description),
        )

    def hold_civility_rating(self, prov: Provenance, *, kind: str, winners: int) -> None:
        value = choice("kind", kind, CivilityRatingKind)
        positive("winners", winners)
        self._record(self.CivilityRatingHeld, prov, kind=value.value, winners=winners)

    def add_worker(self, prov: Provenance, *, worker_id: UUID, worker_name: str, role: str) -> None:
        if str(worker_id) in added_state(self, "workers", dict):
            raise errors.WORKER_EXISTS(worker_id=worker_id)
        self._record(
            self.CommunityWorkerJoined,
            prov,
            worker_id=worker_id,
            worker_name=text("worker_name", worker_name),
            role=text("role", role),
        )

    def remove_worker(self, prov: Provenance, *, worker_id: UUID, reason: str) -> None:
        worker = self._worker(worker_id)
        if prov.occurred_on < worker["joined_on"]:
            raise errors.DATE_BEFORE(
                field="occurred_on", value=prov.occurred_on, bound=worker["joined_on"]
            )
        self._record(
            self.CommunityWorkerLeft, prov, worker_id=worker_id, reason=text("reason", reason)
        )

    def record_worker_insurance(
        self, prov: Provenance, *, worker_id: UUID, insurances: list[str]
    ) -> None:
        if not insurances:
            raise errors.NOTHING_TO_RECORD(what="insurances")
        worker = self._worker(worker_id, prov.occurred_on)
        kinds = sorted({choice("insurances", i, InsuranceKind).value for i in insurances})
        self._record(
            self.WorkerInsuranceRecorded,
            prov,
            worker_id=worker_id,
            worker_name=worker["worker_name"],
            insurances=kinds,
        )

    def _worker(self, worker_id: UUID, on: date | None = None) -> dict[str, Any]:
        """A worker who is on the roster (joined and not left); or, for a fact dated ``on``,
        who was on it that day: one who has left since may have it entered late."""
        worker = added_state(self, "workers", dict).get(str(worker_id))
        left = None if worker is None else worker["left_on"]
        if worker is None or (left is not None and (on is None or on >= left)):
            raise errors.WORKER_UNKNOWN(worker_id=worker_id)
        if on is not None and on < worker["joined_on"]:
            raise errors.DATE_BEFORE(field="occurred_on", value=on, bound=worker["joined_on"])
        return worker

    def form_volunteer_organization(
        self, prov: Provenance, *, kind: str, organization_name: str
    ) -> None:
        value = choice("kind", kind, VolunteerOrgKind)
        name = text("organization_name", organization_name)
        if name in added_state(self, "volunteer_organizations", dict):
            raise errors.ALREADY_RECORDED(what=f"volunteer organization {name}", what_zh=name)
        self._record(
            self.VolunteerOrganizationFormed, prov, kind=value.value, organization_name=name
        )

    def adopt_resident_code(self, prov: Provenance, *, title: str) -> None:
        self._record(self.ResidentCodeAdopted, prov, title=text("title", title))

    def survey_satisfaction(self, prov: Provenance, *, respondents: int, satisfied: int) -> None:
        positive("respondents", respondents)
        in_range("satisfied", satisfied, 0, respondents)
        self._record(self.SatisfactionSurveyed, prov, respondents=respondents, satisfied=satisfied)

    def assess_five_goods(
        self,
        prov: Provenance,
        *,
        year: int,
        items: dict[str, bool],
        scores: dict[str, float] | None,
    ) -> None:
        calendar_year_fits(year, prov.occurred_on)
        if str(year) in self.five_goods:
            raise errors.ALREADY_RECORDED(
                what=f"five-goods assessment {year}", what_zh=f"{year}年度五个好评定"
            )
        checked = {choice("items", k, FiveGoodsItem).value: bool(v) for k, v in items.items()}
        missing = [i.value for i in FiveGoodsItem if i.value not in checked]
        if missing:
            raise errors.NOTHING_TO_RECORD(what=f"five-goods items {', '.join(missing)}")
        for key, score in (scores or {}).items():
            item = choice("scores", key, FiveGoodsItem)
            if not 0 <= score <= 100:
                raise errors.SCORE_OUT_OF_RANGE(item=item.value, item_zh=item.label_zh, value=score)
        self._record(
            self.FiveGoodsAssessed,
            prov,
            year=year,
            items=checked,
            scores=dict(scores) if scores else None,
            passed=all(checked.values()),
        )

    def draft_creation_plan(self, prov: Provenance, *, title: str) -> None:
        self._record(self.CreationPlanDrafted, prov, title=text("title", title))

    def recommend_to_city(self, prov: Provenance, *, reason: str) -> None:
        if self.recommended_to_city:
            raise errors.ALREADY_RECORDED(what="city recommendation", what_zh="向市委组织部推荐")
        self._record(self.CityModelRecommended, prov, reason=text("reason", reason))


def _plausible_area(field: str, value: float) -> None:
    # Below 1 m² or past hundredths is a typo (a figure in km², a stray exponent), and such a
    # figure would read as "1e-07㎡" on the signed sheets.
    if not 1 <= value <= 100_000 or abs(value * 100 - round(value * 100)) > 1e-6:
        shown_zh, shown = errors.plain_figure(value, "平方米", "m²")
        raise errors.AREA_IMPLAUSIBLE(value=shown, value_zh=shown_zh, at=(field,))


def _plausible_amount(amount_yuan: Decimal) -> None:
    positive("amount_yuan", amount_yuan)
    if amount_yuan > FUNDING_CEILING_YUAN:  # yuan typed as fen, or a stray digit or three
        raise errors.AMOUNT_IMPLAUSIBLE(
            amount=f"{amount_yuan:,.2f}", ceiling=f"{FUNDING_CEILING_YUAN:,}"
        )


def _correction_zh(version: int, fact: Any, change: str, reason: str) -> str:
    """第5版（2026年4月1日办公用房和活动场所建设）办公用房面积由1000㎡改为100㎡，原因：…: what the
    timeline and the audit say after “更正：”."""
    label = EVENT_LABELS_ZH[type(fact).__name__]
    return f"第{version}版（{zh_date(fact.occurred_on)}{label}）{change}，原因：{reason}"
