"""The county's creation campaign (创建工程): launch, model communities, inspections, outcomes."""

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain import errors
from sansan.domain.base import (
    Provenance,
    SansanAggregate,
    begin_state,
    choice,
    text,
)
from sansan.domain.vocabulary import AccountabilityReason, InspectionRating, ModelType, UnitKind

T = "sansan:CreationCampaign"


class CreationCampaign(SansanAggregate):
    TOPIC = T
    LABEL_ZH = "创建工程"

    if TYPE_CHECKING:  # state set by the events' apply()
        name: str
        plan_id: str
        county: str
        launch_date: date
        designations: dict[str, str]
        inspections: dict[str, dict[str, Any]]
        commendations: int
        accountabilities: int
        exchange_meetings: int
        pilot_community_id: UUID | None

    class Event(SansanAggregate.Event):
        pass

    class CampaignLaunched(Event, Aggregate.Created):
        TOPIC = f"{T}.CampaignLaunched"
        name: str
        plan_id: str
        county: str
        launch_date: date

        def apply(self, c: "CreationCampaign") -> None:
            begin_state(c, self)
            c.name, c.plan_id, c.county, c.launch_date = (
                self.name,
                self.plan_id,
                self.county,
                self.launch_date,
            )
            c.designations, c.inspections = {}, {}
            c.commendations = c.accountabilities = c.exchange_meetings = 0
            c.pilot_community_id = None

    Created = CampaignLaunched

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
        unit_kind: str
        unit_id: UUID | None
        unit_name: str
        reason: str

        def apply(self, c: "CreationCampaign") -> None:
            c.commendations += 1

    class AccountabilityImposed(Event):
        TOPIC = f"{T}.AccountabilityImposed"
        unit_kind: str
        unit_id: UUID | None
        unit_name: str
        reason: str
        detail: str

        def apply(self, c: "CreationCampaign") -> None:
            c.accountabilities += 1

    class ExperienceExchangeMeetingHeld(Event):
        TOPIC = f"{T}.ExperienceExchangeMeetingHeld"
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
        county: str,
        id: UUID | None = None,
    ) -> "CreationCampaign":
        return cls._begin(
            cls.CampaignLaunched,
            prov,
            id=id,
            name=text("name", name),
            plan_id=text("plan_id", plan_id),
            county=text("county", county),
            launch_date=prov.occurred_on,
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
