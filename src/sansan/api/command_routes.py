"""The command table's HTTP side: path, allowed roles and scope check for every command.

One entry per command drives its route, its OpenAPI entry and the generic tests;
nothing here is written per endpoint by hand.
"""

from dataclasses import dataclass, field
from typing import Any

from sansan.commands import Command
from sansan.commands import campaign as cc
from sansan.commands import community as co
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.commands import supervision as sc
from sansan.domain import PartyOrganization
from sansan.domain.base import SansanAggregate
from sansan.domain.vocabulary import Role

COUNTY = frozenset({Role.COUNTY})
SUPERVISORS = frozenset({Role.COUNTY, Role.STREET})
WRITERS = frozenset({Role.COUNTY, Role.STREET, Role.COMMUNITY, Role.CLIENT})

TARGET = "__target__"


@dataclass(frozen=True)
class CommandRoute:
    command: type[Command]
    path: str
    roles: frozenset[Role] = WRITERS
    # The field naming the unit whose subtree must hold the principal's scope;
    # None means only county-wide principals may run it.
    scope: str | None = TARGET
    resource: str = field(default="")

    @property
    def creates(self) -> bool:
        return not self.command.target

    @property
    def scope_field(self) -> str | None:
        return self.command.target if self.scope == TARGET else self.scope

    @property
    def scope_kind(self) -> type[SansanAggregate]:
        """What the scope field names: the command's own unit, or else the organization
        a new unit is created under."""
        return self.command.aggregate if self.scope == TARGET else PartyOrganization

    @property
    def tag(self) -> str:
        return self.path.strip("/").split("/")[0]

    def operation_id(self) -> str:
        name = self.command.__name__
        return name[0].lower() + name[1:]


def _routes() -> list[CommandRoute]:
    c, o, m = "/communities/{id}", "/organizations/{id}", "/members/{id}"
    k, s = "/campaigns/{id}", "/supervision-items/{id}"
    table: list[tuple[Any, ...]] = [
        (co.RegisterCommunity, "/communities", SUPERVISORS, "street_committee_id"),
        (co.UpgradeFacility, f"{c}/facility-upgrades"),
        (co.AllocateFunding, f"{c}/funding-allocations", SUPERVISORS),
        (co.CorrectFacilityArea, f"{c}/facility-area-corrections"),
        (co.CorrectFundingAmount, f"{c}/funding-corrections", SUPERVISORS),
        (co.EstablishServiceStation, f"{c}/service-station"),
        (co.EstablishCoordinationBody, f"{c}/coordination-bodies"),
        (co.HoldCoordinationMeeting, f"{c}/coordination-meetings"),
        (co.AdoptWorkingSystem, f"{c}/working-systems"),
        (co.JoinResidentUnit, f"{c}/resident-units"),
        (co.RecognizeFeatureBrand, f"{c}/brand-recognitions", SUPERVISORS),
        (co.AdoptCultureIdentityItem, f"{c}/culture-identity-items"),
        (co.OpenCultureFacility, f"{c}/culture-facilities"),
        (co.FormTroupe, f"{c}/troupes"),
        (co.HoldCultureFestival, f"{c}/culture-festivals"),
        (co.LaunchModelService, f"{c}/model-services"),
        (co.HoldCivilityRating, f"{c}/civility-ratings"),
        (co.AddCommunityWorker, f"{c}/workers"),
        (co.RemoveCommunityWorker, f"{c}/worker-departures"),
        (co.RecordWorkerInsurance, f"{c}/worker-insurances"),
        (co.FormVolunteerOrganization, f"{c}/volunteer-organizations"),
        (co.SurveySatisfaction, f"{c}/satisfaction-surveys"),
        (co.AdoptResidentCode, f"{c}/resident-codes"),
        (co.AssessFiveGoods, f"{c}/five-goods-assessments", SUPERVISORS),
        (co.DraftCreationPlan, f"{c}/creation-plans"),
        (co.RecommendToCity, f"{c}/city-recommendations", COUNTY),
        (oc.EstablishPartyOrganization, "/organizations", WRITERS, "parent_id"),
        (oc.AppointSecretary, f"{o}/secretary-appointments"),
        (oc.AddTeamMember, f"{o}/team-members"),
        (oc.RemoveTeamMember, f"{o}/team-member-departures"),
        (oc.CompleteTeamTraining, f"{o}/team-trainings"),
        (oc.FlagWeakTeam, f"{o}/weak-team-flags", SUPERVISORS),
        (oc.RectifyWeakTeam, f"{o}/weak-team-rectifications", SUPERVISORS),
        (oc.EstablishStreetServiceCenter, f"{o}/street-service-centers", SUPERVISORS),
        (oc.AssessStreetFiveGoods, f"{o}/street-five-goods-assessments", COUNTY),
        (oc.AdoptStreetWorkingSystem, f"{o}/street-working-systems", SUPERVISORS),
        (oc.DraftStreetCreationPlan, f"{o}/street-creation-plans", SUPERVISORS),
        (oc.RecordMemberDevelopment, f"{o}/member-developments"),
        (mc.RegisterMember, "/members", WRITERS, "organization_id"),
        (mc.ChangeMemberCategory, f"{m}/category-changes"),
        (mc.IssueCard, f"{m}/cards"),
        (mc.RecordTraining, f"{m}/trainings"),
        (mc.AssignServicePost, f"{m}/service-posts"),
        (mc.LogVolunteerService, f"{m}/volunteer-services"),
        (mc.RegisterHouseholdContact, f"{m}/household-contacts"),
        (mc.MakeReliefPairing, f"{m}/relief-pairings"),
        (mc.RecordInServiceFeedback, f"{m}/in-service-feedback"),
        (mc.TransferMemberOut, f"{m}/transfers-out"),
        (cc.LaunchCampaign, "/campaigns", COUNTY, None),
        (cc.ChangeCampaignPlan, f"{k}/plan", COUNTY),
        (cc.DesignateModelCommunity, f"{k}/model-communities", COUNTY),
        (cc.DesignatePilotCommunity, f"{k}/pilot-community", COUNTY),
        (cc.ReportPublicity, f"{k}/publicity-reports", COUNTY),
        (cc.ScheduleInspection, f"{k}/inspections", COUNTY),
        (cc.ConductInspection, f"{k}/inspection-reports", COUNTY),
        (cc.Commend, f"{k}/commendations", COUNTY),
        (cc.HoldAccountable, f"{k}/accountabilities", COUNTY),
        (cc.HoldExchangeMeeting, f"{k}/exchange-meetings", COUNTY),
        (sc.AssignSupervisionItem, "/supervision-items", SUPERVISORS, "assignee_org_id"),
        (sc.AcknowledgeSupervisionItem, f"{s}/acknowledgement"),
        (sc.StartSupervisionItem, f"{s}/start"),
        (sc.RequestExtension, f"{s}/extension-requests"),
        (sc.ApproveExtension, f"{s}/extension-approvals", SUPERVISORS),
        (sc.RefuseExtension, f"{s}/extension-refusals", SUPERVISORS),
        (sc.ReportSupervisionItem, f"{s}/reports"),
        (sc.AcceptSupervisionItem, f"{s}/acceptance", SUPERVISORS),
        (sc.ReturnSupervisionItem, f"{s}/returns", SUPERVISORS),
        (sc.CloseSupervisionItem, f"{s}/closure", SUPERVISORS),
        (sc.UrgeSupervisionItem, f"{s}/urgings", SUPERVISORS),
    ]
    return [CommandRoute(*row) for row in table]


COMMAND_ROUTES: list[CommandRoute] = _routes()

# Why a role may not record a command, where "your role may not" alone would puzzle the
# caller: the act is another level's, and the unit it is about is the party judged by it.
REFUSED_BECAUSE: dict[type[Command], tuple[str, str]] = {
    co.AllocateFunding: (
        "社区办公经费由县、街道划拨，划拨记录须由县委组织部或街道党工委填报，社区不能为本社区记录",
        "funding is allocated by the county or the street, which record it; a community"
        " (or its client) may not record its own funding",
    ),
    co.CorrectFundingAmount: (
        "社区办公经费由县、街道划拨，划拨金额的更正也须由县委组织部或街道党工委填报，社区不能为本社区更正",
        "funding is allocated by the county or the street, which correct its amounts; a"
        " community (or its client) may not correct its own funding",
    ),
}
