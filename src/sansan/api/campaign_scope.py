"""What of a campaign a scoped token (street, community, client) reads.

A campaign belongs to the whole county and every unit works to it, so every principal reads
it. Its events are of two sorts:

- the county's announcements to every unit: the launch and the plan it is measured against,
  the model and pilot communities (the plan itself names them), publicity and experience-
  exchange meetings (they exist to spread the models' experience to the other communities);
- the county's judgements of units: inspections (scheduled and conducted, with findings),
  commendations and accountabilities. These are county business (DOMAIN.md: "nobody sees
  above or beside their own subtree"): a scoped token sees one only when every unit it judges
  lies inside its subtree. A judgement whose unit is not given by id (a person named in words)
  cannot be placed, so only county-wide readers see it.

An event type not listed here is shown to county-wide readers only: a new kind of event stays
hidden from scoped tokens until someone decides it is an announcement.
"""

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sansan.access import Principal
from sansan.application import RecordedEvent
from sansan.bootstrap import Services
from sansan.domain import CreationCampaign, errors

C = CreationCampaign
ANNOUNCEMENTS = frozenset(
    e.__name__
    for e in (
        C.CampaignLaunched, C.PlanChanged, C.ModelCommunityDesignated, C.PilotCommunityDesignated,
        C.PublicityReported, C.ExperienceExchangeMeetingHeld,
    )
)  # fmt: skip
# a judgement of one unit, given by ``unit_id`` (None when named only in words)
JUDGEMENTS_OF_ONE = frozenset(e.__name__ for e in (C.CommendationAwarded, C.AccountabilityImposed))


class CampaignScope:
    """Which of a campaign's judgements a principal may read; units are looked up once."""

    def __init__(self, principal: Principal, services: Services) -> None:
        self.principal, self.services = principal, services
        self._covered: dict[str, bool] = {}

    @property
    def county_wide(self) -> bool:
        return self.principal.scope_org_id is None

    def covers(self, unit_ids: Iterable[object]) -> bool:
        """True when there is at least one unit and every one lies inside the subtree."""
        ids = [str(u) for u in unit_ids if u]
        return bool(ids) and all(self._covers(u) for u in ids)

    def _covers(self, unit_id: str) -> bool:
        if unit_id not in self._covered:
            try:
                unit = self.services.app.get(UUID(unit_id))
            except (errors.NotFoundError, ValueError):
                self._covered[unit_id] = False  # unknown: it cannot be placed in the subtree
            else:
                self._covered[unit_id] = self.services.access.covers(self.principal, unit)
        return self._covered[unit_id]

    def events(self, history: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        """The events the principal may read, in order."""
        if self.county_wide:
            return list(history)
        inspected = {
            str(e.data["inspection_id"]): e.data.get("community_ids") or []
            for e in history
            if e.type == C.InspectionScheduled.__name__
        }
        return [e for e in history if self._may_read(e, inspected)]

    def _may_read(self, event: RecordedEvent, inspected: dict[str, list[Any]]) -> bool:
        if event.type in ANNOUNCEMENTS:
            return True
        if event.type in JUDGEMENTS_OF_ONE:
            return self.covers([event.data.get("unit_id")])
        if event.type in (C.InspectionScheduled.__name__, C.InspectionConducted.__name__):
            return self.covers(inspected.get(str(event.data.get("inspection_id")), []))
        return False

    def state(self, state: dict[str, Any]) -> dict[str, Any]:
        """A campaign's state as the principal may read it: the inspections (subjects,
        communities, ratings) only of its own communities."""
        if self.county_wide or not isinstance(state.get("inspections"), dict):
            return state
        inspections = {
            k: v for k, v in state["inspections"].items() if self.covers(v.get("community_ids", []))
        }
        return {**state, "inspections": inspections}


def units_judged(events: Iterable[RecordedEvent]) -> list[object]:
    """The units the shown judgements name (members among them are personal data)."""
    return [e.data.get("unit_id") for e in events if e.type in JUDGEMENTS_OF_ONE]
