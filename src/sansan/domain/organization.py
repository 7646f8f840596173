"""A Party organization (党组织) anywhere in the four-level network, with its leadership team."""

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain import errors
from sansan.domain.base import (
    Provenance,
    SansanAggregate,
    added_state,
    begin_state,
    birth_fits,
    calendar_year_fits,
    choice,
    not_before,
    text,
)
from sansan.domain.community import Community
from sansan.domain.vocabulary import (
    ROLE_RANK,
    DevelopmentStage,
    Education,
    FiveGoodsItem,
    OrgLevel,
    WorkingSystemKind,
)

T = "sansan:PartyOrganization"

# §四(一)1: street committee → general branch → neighborhood branch → building group;
# the other kinds of organization inside a community hang under its general branch,
# regional joint organizations under the street or the community.
PARENT_LEVELS: dict[OrgLevel, frozenset[OrgLevel]] = {
    OrgLevel.STREET_COMMITTEE: frozenset(),
    OrgLevel.GENERAL_BRANCH: frozenset({OrgLevel.STREET_COMMITTEE}),
    OrgLevel.NEIGHBORHOOD_BRANCH: frozenset({OrgLevel.GENERAL_BRANCH}),
    OrgLevel.BUILDING_GROUP: frozenset({OrgLevel.NEIGHBORHOOD_BRANCH}),
    OrgLevel.TWO_NEW: frozenset({OrgLevel.GENERAL_BRANCH}),
    OrgLevel.RESIDENT_UNIT: frozenset({OrgLevel.GENERAL_BRANCH}),
    OrgLevel.REGIONAL_JOINT: frozenset({OrgLevel.STREET_COMMITTEE, OrgLevel.GENERAL_BRANCH}),
}

TRAINING_DAYS = (0.5, 30.0)
PARTY_SCHOOL_DAYS = (2.0, 5.0)


class PartyOrganization(SansanAggregate):
    TOPIC = T
    LABEL_ZH = "党组织"

    if TYPE_CHECKING:  # state set by the events' apply()
        name: str
        level: str
        parent_id: UUID | None
        community_id: UUID | None
        secretary: dict[str, Any] | None
        team: dict[str, dict[str, Any]]
        weak_since: str | None
        weak_flagged_by: str | None
        street_service_center: str | None

    class Event(SansanAggregate.Event):
        pass

    class OrganizationEstablished(Event, Aggregate.Created):
        TOPIC = f"{T}.OrganizationEstablished"
        name: str
        level: str
        parent_id: UUID | None
        community_id: UUID | None

        def apply(self, o: "PartyOrganization") -> None:
            begin_state(o, self)
            o.name, o.level = self.name, self.level
            o.parent_id, o.community_id = self.parent_id, self.community_id
            o.secretary = o.weak_since = o.weak_flagged_by = o.street_service_center = None
            o.team = {}

    Created = OrganizationEstablished

    class SecretaryAppointed(Event):
        TOPIC = f"{T}.SecretaryAppointed"
        ONCE_A_DAY = True
        person_name: str
        also_director: bool
        member_id: UUID | None

        def apply(self, o: "PartyOrganization") -> None:
            o.secretary = {
                "person_name": self.person_name,
                "also_director": self.also_director,
                "member_id": self.member_id,
                "since": self.occurred_on,
            }

    class TeamMemberJoined(Event):
        """Version 2 may carry the full birth date; version 1 knew the birth year only."""

        TOPIC = f"{T}.TeamMemberJoined"
        class_version = 2
        team_member_id: UUID
        person_name: str
        birth_year: int
        birth_date: date | None
        education: str
        party_affairs_worker: bool
        cross_appointed: bool
        newly_appointed: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["birth_date"] = None

        def apply(self, o: "PartyOrganization") -> None:
            o.team[str(self.team_member_id)] = {
                "person_name": self.person_name,
                "birth_year": self.birth_year,
                "birth_date": self.birth_date,
                "education": self.education,
                "party_affairs_worker": self.party_affairs_worker,
                "cross_appointed": self.cross_appointed,
                "newly_appointed": self.newly_appointed,
                "joined_on": self.occurred_on,
                "training_days": 0.0,
                "party_school_days": 0.0,
            }

    class TeamMemberLeft(Event):
        TOPIC = f"{T}.TeamMemberLeft"
        team_member_id: UUID
        reason: str

        def apply(self, o: "PartyOrganization") -> None:
            # Kept apart with the day they left (as a community's workers are): what they did
            # while on the team may still be entered late (review-open-b 36 for members).
            person = o.team.pop(str(self.team_member_id))
            added_state(o, "former_team", dict)[str(self.team_member_id)] = {
                **person,
                "left_on": self.occurred_on,
            }

    class TeamTrainingCompleted(Event):
        TOPIC = f"{T}.TeamTrainingCompleted"
        ONCE_A_DAY = True
        team_member_id: UUID
        days: float
        at_county_party_school: bool

        def apply(self, o: "PartyOrganization") -> None:
            key = str(self.team_member_id)  # on the team, or one who left since (entered late)
            person = o.team[key] if key in o.team else vars(o)["former_team"][key]
            person["training_days"] += self.days
            if self.at_county_party_school:
                person["party_school_days"] += self.days

    class WeakTeamFlagged(Event):
        TOPIC = f"{T}.WeakTeamFlagged"
        reason: str

        def apply(self, o: "PartyOrganization") -> None:
            o.weak_since = self.occurred_on.isoformat()
            # the level that flagged it (the actor's role), which alone or a higher one may
            # accept the rectification, as with a supervision item's review
            o.weak_flagged_by = self.actor.partition(":")[0]

    class WeakTeamRectified(Event):
        TOPIC = f"{T}.WeakTeamRectified"
        measures: str

        def apply(self, o: "PartyOrganization") -> None:
            o.weak_since = o.weak_flagged_by = None

    class StreetServiceCenterEstablished(Event):
        TOPIC = f"{T}.StreetServiceCenterEstablished"
        center_name: str

        def apply(self, o: "PartyOrganization") -> None:
            o.street_service_center = self.center_name

    class StreetFiveGoodsAssessed(Event):
        """The yearly “五个好” assessment of a street working committee (§二)."""

        TOPIC = f"{T}.StreetFiveGoodsAssessed"
        year: int
        items: dict[str, bool]
        passed: bool

        def apply(self, o: "PartyOrganization") -> None:
            added_state(o, "five_goods", dict)[str(self.year)] = self.passed

    class StreetWorkingSystemAdopted(Event):
        """A working system of a street working committee (§二(三) 工作制度健全)."""

        TOPIC = f"{T}.StreetWorkingSystemAdopted"
        kind: str
        title: str

        def apply(self, o: "PartyOrganization") -> None:
            added_state(o, "working_systems", list).append(self.kind)

    class StreetCreationPlanDrafted(Event):
        """A street's own creation plan (§五2 街道社区党组织……制定……具体创建规划)."""

        TOPIC = f"{T}.StreetCreationPlanDrafted"
        ONCE_A_DAY = True
        title: str

        def apply(self, o: "PartyOrganization") -> None:
            vars(o)["creation_plan"] = self.title

    class MemberDevelopmentRecorded(Event):
        """A step in recruiting a new Party member (发展党员, §四(一)3)."""

        TOPIC = f"{T}.MemberDevelopmentRecorded"
        ONCE_A_DAY = True
        person_name: str
        stage: str

        def apply(self, o: "PartyOrganization") -> None:
            pass

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def establish(
        cls,
        prov: Provenance,
        *,
        name: str,
        level: str,
        parent: "PartyOrganization | None",
        community: Community | None,
        id: UUID | None = None,
    ) -> "PartyOrganization":
        lvl = choice("level", level, OrgLevel)
        _check_parent(lvl, parent)
        community_id = _community_of(lvl, parent, community)
        not_before(prov, parent, community)
        return cls._begin(
            cls.OrganizationEstablished,
            prov,
            id=id,
            name=text("name", name),
            level=lvl.value,
            parent_id=parent.id if parent else None,
            community_id=community_id,
        )

    def appoint_secretary(
        self, prov: Provenance, *, person_name: str, also_director: bool, member_id: UUID | None
    ) -> None:
        self._record(
            self.SecretaryAppointed,
            prov,
            person_name=text("person_name", person_name),
            also_director=also_director,
            member_id=member_id,
        )

    def add_team_member(
        self,
        prov: Provenance,
        *,
        team_member_id: UUID,
        person_name: str,
        birth_year: int | None,
        education: str,
        party_affairs_worker: bool,
        cross_appointed: bool,
        newly_appointed: bool,
        birth_date: date | None = None,
    ) -> None:
        if str(team_member_id) in self.team:
            raise errors.TEAM_MEMBER_EXISTS(team_member_id=team_member_id)
        year = birth_fits(birth_year, birth_date, prov)
        self._record(
            self.TeamMemberJoined,
            prov,
            team_member_id=team_member_id,
            person_name=text("person_name", person_name),
            birth_year=year,
            birth_date=birth_date,
            education=choice("education", education, Education).value,
            party_affairs_worker=party_affairs_worker,
            cross_appointed=cross_appointed,
            newly_appointed=newly_appointed,
        )

    def remove_team_member(self, prov: Provenance, *, team_member_id: UUID, reason: str) -> None:
        self._team_member(team_member_id)
        self._record(
            self.TeamMemberLeft, prov, team_member_id=team_member_id, reason=text("reason", reason)
        )

    def complete_team_training(
        self, prov: Provenance, *, team_member_id: UUID, days: float, at_county_party_school: bool
    ) -> None:
        person = self._team_member(team_member_id, prov.occurred_on)
        low, high = TRAINING_DAYS
        if not low <= days <= high:
            raise errors.TRAINING_DAYS_OUT_OF_RANGE(low=low, high=high, value=days)
        if at_county_party_school and person["newly_appointed"]:
            low, high = PARTY_SCHOOL_DAYS
            if not low <= days <= high:
                raise errors.PARTY_SCHOOL_DAYS_OUT_OF_RANGE(low=low, high=high, value=days)
        if prov.occurred_on < person["joined_on"]:
            raise errors.DATE_BEFORE(
                field="occurred_on", value=prov.occurred_on, bound=person["joined_on"]
            )
        self._record(
            self.TeamTrainingCompleted,
            prov,
            team_member_id=team_member_id,
            days=float(days),
            at_county_party_school=at_county_party_school,
        )

    def flag_weak_team(self, prov: Provenance, *, reason: str) -> None:
        if self.weak_since is not None:
            raise errors.WEAK_TEAM_ALREADY_FLAGGED()
        self._record(self.WeakTeamFlagged, prov, reason=text("reason", reason))

    def weak_rectifiable_by(self, role: str) -> bool:
        """Whether a principal of ``role`` may record the flagged team as rectified: the
        level that flagged it or a higher one. A snapshot from before flags remembered their
        level reads as the county's, the strictest reading."""
        flagged_by = vars(self).get("weak_flagged_by") or "county"
        return ROLE_RANK.get(role, 0) >= ROLE_RANK.get(flagged_by, ROLE_RANK["county"])

    def rectify_weak_team(self, prov: Provenance, *, measures: str) -> None:
        if self.weak_since is None:
            raise errors.WEAK_TEAM_NOT_FLAGGED()
        self._record(self.WeakTeamRectified, prov, measures=text("measures", measures))

    def establish_street_service_center(self, prov: Provenance, *, center_name: str) -> None:
        if self.level != OrgLevel.STREET_COMMITTEE:
            raise errors.STREET_LEVEL_ONLY()
        if self.street_service_center is not None:
            raise errors.ALREADY_RECORDED(what="street service center", what_zh="街道服务中心")
        self._record(
            self.StreetServiceCenterEstablished, prov, center_name=text("center_name", center_name)
        )

    def assess_street_five_goods(
        self, prov: Provenance, *, year: int, items: dict[str, bool]
    ) -> None:
        self._street_only()
        calendar_year_fits(year, prov.occurred_on)
        if str(year) in added_state(self, "five_goods", dict):
            raise errors.ALREADY_RECORDED(
                what=f"five-goods assessment {year}", what_zh=f"{year}年度五个好评定"
            )
        checked = {choice("items", k, FiveGoodsItem).value: bool(v) for k, v in items.items()}
        missing = [i.value for i in FiveGoodsItem if i.value not in checked]
        if missing:
            raise errors.NOTHING_TO_RECORD(what=f"five-goods items {', '.join(missing)}")
        self._record(
            self.StreetFiveGoodsAssessed,
            prov,
            year=year,
            items=checked,
            passed=all(checked.values()),
        )

    def adopt_street_working_system(self, prov: Provenance, *, kind: str, title: str) -> None:
        self._street_only()
        value = choice("kind", kind, WorkingSystemKind)
        if value in added_state(self, "working_systems", list):
            raise errors.ALREADY_RECORDED(what=value.value, what_zh=value.label_zh)
        self._record(
            self.StreetWorkingSystemAdopted, prov, kind=value.value, title=text("title", title)
        )

    def draft_street_creation_plan(self, prov: Provenance, *, title: str) -> None:
        self._street_only()
        self._record(self.StreetCreationPlanDrafted, prov, title=text("title", title))

    def record_member_development(self, prov: Provenance, *, person_name: str, stage: str) -> None:
        self._record(
            self.MemberDevelopmentRecorded,
            prov,
            person_name=text("person_name", person_name),
            stage=choice("stage", stage, DevelopmentStage).value,
        )

    def _street_only(self) -> None:
        if self.level != OrgLevel.STREET_COMMITTEE:
            raise errors.STREET_LEVEL_ONLY()

    def _team_member(self, team_member_id: UUID, on: date | None = None) -> dict[str, Any]:
        """A member of the team; or, for a fact dated ``on``, one who was on it that day: a
        member who has left since may have it entered late (a state from a snapshot taken
        before departures were kept knows only the present team)."""
        key = str(team_member_id)
        former = vars(self).get("former_team", {}).get(key)  # a read adds no state
        if key in self.team:
            return self.team[key]
        if on is not None and former is not None and on < former["left_on"]:
            return former
        raise errors.TEAM_MEMBER_UNKNOWN(team_member_id=team_member_id)


def _check_parent(level: OrgLevel, parent: PartyOrganization | None) -> None:
    expected = PARENT_LEVELS[level]
    actual = OrgLevel(parent.level) if parent else None
    if (actual is None and not expected) or actual in expected:
        return
    raise errors.PARENT_LEVEL_INVALID(
        level=level.value,
        level_zh=level.label_zh,
        expected=" or ".join(sorted(e.value for e in expected)) or "nothing",
        expected_zh="或".join(sorted(e.label_zh for e in expected)) or "无上级",
        actual=actual.value if actual else "nothing",
        actual_zh=actual.label_zh if actual else "无上级",
    )


def _community_of(
    level: OrgLevel, parent: PartyOrganization | None, community: Community | None
) -> UUID | None:
    """A general branch founds its community's tree; everything below inherits it."""
    if level == OrgLevel.GENERAL_BRANCH:
        assert parent is not None  # _check_parent saw to it
        if community is None:
            raise errors.NOTHING_TO_RECORD(what="community_id for a general branch")
        if community.street_committee_id != parent.id:
            raise errors.COMMUNITY_STREET_MISMATCH()
        if community.general_branch_id is not None:
            raise errors.GENERAL_BRANCH_EXISTS()
        return community.id
    if parent is None:
        return None
    if community is not None and community.id != parent.community_id:
        raise errors.PARENT_IN_OTHER_COMMUNITY()
    return parent.community_id
