"""The county's creation campaign (创建工程): launch, model communities, inspections, outcomes."""

from copy import deepcopy
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain import errors
from sansan.domain.base import Provenance, SansanAggregate, begin_state, choice, text
from sansan.domain.legacy_plans import LEGACY_PLANS
from sansan.domain.vocabulary import AccountabilityReason, InspectionRating, ModelType, UnitKind

T = "sansan:CreationCampaign"


def _legacy_plan(state: dict[str, Any]) -> None:
    """Before plans were pinned a campaign only named its plan: it carries the shipped plan of
    that id as it stood then (no other plan could be launched under)."""
    content, sha256 = LEGACY_PLANS.get(state["plan_id"], (None, None))
    state["plan"], state["plan_sha256"] = deepcopy(content), sha256  # never the module's own


class CreationCampaign(SansanAggregate):
    """Version 2 carries the content of its plan (``plan``) and that content's SHA-256: the
    campaign is measured and scheduled against what it was launched (or changed) under, never
    against a file as it is today."""

    TOPIC = T
    LABEL_ZH = "创建工程"
    class_version = 2

    if TYPE_CHECKING:  # state set by the events' apply()
        name: str
        plan_id: str
        plan: dict[str, Any] | None
        plan_sha256: str | None
        plan_title_zh: str
        county: str
        launch_date: date
        designations: dict[str, str]
        inspections: dict[str, dict[str, Any]]
        commendations: int
        accountabilities: int
        exchange_meetings: int
        pilot_community_id: UUID | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:  # a snapshot taken before pinning
        _legacy_plan(state)
        state["plan_title_zh"] = (state["plan"] or {}).get("title_zh", "")

    class Event(SansanAggregate.Event):
        pass

    class CampaignLaunched(Event, Aggregate.Created):
        """Version 2 added ``plan`` (the plan's content) and ``plan_sha256``."""

        TOPIC = f"{T}.CampaignLaunched"
        class_version = 2
        name: str
        plan_id: str
        county: str
        launch_date: date
        plan: dict[str, Any] | None
        plan_sha256: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _legacy_plan(state)

        def apply(self, c: "CreationCampaign") -> None:
            begin_state(c, self)
            c.name, c.plan_id, c.county, c.launch_date = (
                self.name,
                self.plan_id,
                self.county,
                self.launch_date,
            )
            c.plan, c.plan_sha256 = self.plan, self.plan_sha256
            c.plan_title_zh = (self.plan or {}).get("title_zh", "")
            c.designations, c.inspections = {}, {}
            c.commendations = c.accountabilities = c.exchange_meetings = 0
            c.pilot_community_id = None

    Created = CampaignLaunched

    class PlanChanged(Event):
        """The campaign goes on under another plan (or another content of the same id)."""

        TOPIC = f"{T}.PlanChanged"
        old_plan_id: str
        old_plan_sha256: str | None
        plan_id: str
        plan: dict[str, Any]
        plan_sha256: str
        reason: str

        def apply(self, c: "CreationCampaign") -> None:
            c.plan_id, c.plan, c.plan_sha256 = self.plan_id, self.plan, self.plan_sha256
            c.plan_title_zh = self.plan.get("title_zh", "")

    class ModelCommunityDesignated(Event):
        TOPIC = f"{T}.ModelCommunityDesignated"
        community_id: UUID
        model_type: str

        def apply(self, c: "CreationCampaign") -> None:
            c.designations[str(self.community_id)] = self.model_type

    class PilotCommunityDesignated(Event):
        """The community the county makes its pilot (§四(三)1: 铁西社区 in the shipped plan)."""

        TOPIC = f"{T}.PilotCommunityDesignated"
        community_id: UUID

        def apply(self, c: "CreationCampaign") -> None:
            c.pilot_community_id = self.community_id

    class PublicityReported(Event):
        """§五3: a model's experience reported in the news media (新闻媒体宣传报道)."""

        TOPIC = f"{T}.PublicityReported"
        ONCE_A_DAY = True
        outlet: str
        title: str
        community_ids: list[UUID]

        def apply(self, c: "CreationCampaign") -> None:
            pass

    class InspectionScheduled(Event):
        TOPIC = f"{T}.InspectionScheduled"
        inspection_id: UUID
        scheduled_for: date
        subject: str
        community_ids: list[UUID]

        def apply(self, c: "CreationCampaign") -> None:
            c.inspections[str(self.inspection_id)] = {
                "scheduled_for": self.scheduled_for,
                "subject": self.subject,
                "community_ids": list(self.community_ids),
                "conducted_on": None,
                "rating": None,
            }

    class InspectionConducted(Event):
        TOPIC = f"{T}.InspectionConducted"
        inspection_id: UUID
        findings: str
        rating: str

        def apply(self, c: "CreationCampaign") -> None:
            inspection = c.inspections[str(self.inspection_id)]
            inspection["conducted_on"] = self.occurred_on
            inspection["rating"] = self.rating

    class CommendationAwarded(Event):
        TOPIC = f"{T}.CommendationAwarded"
        ONCE_A_DAY = True
        unit_kind: str
        unit_id: UUID | None
        unit_name: str
        reason: str

        def apply(self, c: "CreationCampaign") -> None:
            c.commendations += 1

    class AccountabilityImposed(Event):
        TOPIC = f"{T}.AccountabilityImposed"
        ONCE_A_DAY = True
        unit_kind: str
        unit_id: UUID | None
        unit_name: str
        reason: str
        detail: str

        def apply(self, c: "CreationCampaign") -> None:
            c.accountabilities += 1

    class ExperienceExchangeMeetingHeld(Event):
        TOPIC = f"{T}.ExperienceExchangeMeetingHeld"
        ONCE_A_DAY = True
        title: str
        model_community_ids: list[UUID]

        def apply(self, c: "CreationCampaign") -> None:
            c.exchange_meetings += 1

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def launch(
        cls,
        prov: Provenance,
        *,
        name: str,
        plan_id: str,
        plan: dict[str, Any],
        plan_sha256: str,
        county: str,
        id: UUID | None = None,
    ) -> "CreationCampaign":
        """``plan`` is the plan's content, pinned: the campaign is measured against it."""
        _plan_matches(plan_id, plan)
        return cls._begin(
            cls.CampaignLaunched,
            prov,
            id=id,
            name=text("name", name),
            plan_id=text("plan_id", plan_id),
            county=text("county", county),
            launch_date=prov.occurred_on,
            plan=plan,
            plan_sha256=plan_sha256,
        )

    def change_plan(
        self, prov: Provenance, *, plan_id: str, plan: dict[str, Any], plan_sha256: str,
        reason: str,
    ) -> None:  # fmt: skip
        """Go on under another plan's content; the same content again is refused."""
        _plan_matches(plan_id, plan)
        if plan_sha256 == self.plan_sha256:
            raise errors.PLAN_UNCHANGED(plan_id=plan_id, sha256=plan_sha256[:12])
        self._record(
            self.PlanChanged,
            prov,
            old_plan_id=self.plan_id,
            old_plan_sha256=self.plan_sha256,
            plan_id=plan_id,
            plan=plan,
            plan_sha256=plan_sha256,
            reason=text("reason", reason),
        )

    def designate_model_community(
        self, prov: Provenance, *, community_id: UUID, model_type: str
    ) -> None:
        value = choice("model_type", model_type, ModelType).value
        if self.designations.get(str(community_id)) == value:
            raise errors.ALREADY_RECORDED(what="model community", what_zh="示范社区")
        self._record(
            self.ModelCommunityDesignated, prov, community_id=community_id, model_type=value
        )

    def designate_pilot_community(self, prov: Provenance, *, community_id: UUID) -> None:
        if vars(self).get("pilot_community_id") == community_id:  # older snapshots lack it
            raise errors.ALREADY_RECORDED(what="pilot community", what_zh="试点示范社区")
        self._record(self.PilotCommunityDesignated, prov, community_id=community_id)

    def report_publicity(
        self, prov: Provenance, *, outlet: str, title: str, community_ids: list[UUID]
    ) -> None:
        self._record(
            self.PublicityReported,
            prov,
            outlet=text("outlet", outlet),
            title=text("title", title),
            community_ids=list(community_ids),
        )

    def schedule_inspection(
        self,
        prov: Provenance,
        *,
        inspection_id: UUID,
        scheduled_for: date,
        subject: str,
        community_ids: list[UUID],
    ) -> None:
        if str(inspection_id) in self.inspections:
            raise errors.ALREADY_RECORDED(what=f"inspection {inspection_id}", what_zh="督查检查")
        if scheduled_for < prov.occurred_on:
            raise errors.DATE_BEFORE(
                field="scheduled_for", value=scheduled_for, bound=prov.occurred_on
            )
        self._record(
            self.InspectionScheduled,
            prov,
            inspection_id=inspection_id,
            scheduled_for=scheduled_for,
            subject=text("subject", subject),
            community_ids=list(community_ids),
        )

    def conduct_inspection(
        self, prov: Provenance, *, inspection_id: UUID, findings: str, rating: str
    ) -> None:
        inspection = self.inspections.get(str(inspection_id))
        if inspection is None:
            raise errors.INSPECTION_UNKNOWN(inspection_id=inspection_id)
        if inspection["conducted_on"] is not None:
            raise errors.INSPECTION_ALREADY_CONDUCTED(inspection_id=inspection_id)
        self._record(
            self.InspectionConducted,
            prov,
            inspection_id=inspection_id,
            findings=text("findings", findings),
            rating=choice("rating", rating, InspectionRating).value,
        )

    def commend(
        self, prov: Provenance, *, unit_kind: str, unit_id: UUID | None, unit_name: str, reason: str
    ) -> None:
        self._record(
            self.CommendationAwarded,
            prov,
            unit_kind=choice("unit_kind", unit_kind, UnitKind).value,
            unit_id=unit_id,
            unit_name=text("unit_name", unit_name),
            reason=text("reason", reason),
        )

    def hold_accountable(
        self,
        prov: Provenance,
        *,
        unit_kind: str,
        unit_id: UUID | None,
        unit_name: str,
        reason: str,
        detail: str,
    ) -> None:
        self._record(
            self.AccountabilityImposed,
            prov,
            unit_kind=choice("unit_kind", unit_kind, UnitKind).value,
            unit_id=unit_id,
            unit_name=text("unit_name", unit_name),
            reason=choice("reason", reason, AccountabilityReason).value,
            detail=text("detail", detail),
        )

    def hold_exchange_meeting(
        self, prov: Provenance, *, title: str, model_community_ids: list[UUID]
    ) -> None:
        self._record(
            self.ExperienceExchangeMeetingHeld,
            prov,
            title=text("title", title),
            model_community_ids=list(model_community_ids),
        )


def _plan_matches(plan_id: str, plan: dict[str, Any]) -> None:
    if plan.get("id") != plan_id:
        raise errors.PLAN_ID_MISMATCH(plan_id=plan_id, content_id=plan.get("id"))
