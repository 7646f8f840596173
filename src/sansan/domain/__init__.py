"""The campaign's aggregates, their events and rules. Pure: no I/O, no clock, no framework
beyond ``eventsourcing.domain``."""

from sansan.domain.access import AccessToken, IdempotencyRecord, PersonalDataAccess
from sansan.domain.audit import AuditCheckpoint
from sansan.domain.campaign import CreationCampaign
from sansan.domain.community import Community
from sansan.domain.errors import DomainError, NotFoundError
from sansan.domain.firing import ADDRESSEE_OF_ROLE, Addressee, Firing, FiringKind
from sansan.domain.imports import ImportRecord
from sansan.domain.member import Member
from sansan.domain.organization import PartyOrganization
from sansan.domain.supervision import SupervisionItem

AGGREGATE_TYPES = (Community, PartyOrganization, Member, CreationCampaign, SupervisionItem)
SYSTEM_TYPES = (
    AccessToken,
    PersonalDataAccess,
    IdempotencyRecord,
    Firing,
    AuditCheckpoint,
    ImportRecord,
)

__all__ = [
    "ADDRESSEE_OF_ROLE",
    "AGGREGATE_TYPES",
    "SYSTEM_TYPES",
    "AccessToken",
    "Addressee",
    "AuditCheckpoint",
    "Community",
    "CreationCampaign",
    "DomainError",
    "Firing",
    "FiringKind",
    "IdempotencyRecord",
    "ImportRecord",
    "Member",
    "NotFoundError",
    "PartyOrganization",
    "PersonalDataAccess",
    "SupervisionItem",
]
