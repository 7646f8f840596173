"""Test helpers: fixed time, provenance, and a small world built with the pure domain."""

import os
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from sansan.domain import Community, Member, PartyOrganization
from sansan.domain.base import Provenance
from sansan.domain.errors import DomainError

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
LAUNCH = date(2026, 3, 1)
ACTOR = "test:county-admin"


@cache
def china_today() -> date:
    """The China day (UTC+8) on the real clock, moved under SANSAN_TEST_NOW, for tests whose
    servers run on that clock; taken once per run, so a request built twice is the same
    request, and it is never later than the day a server started afterwards sees."""
    return (datetime.now(UTC) + timedelta(hours=8)).date()


def child_pythonpath() -> str:
    """This process's import path for a child Python, after what PYTHONPATH already carries
    (under SANSAN_TEST_NOW, the sitecustomize that moves the child's clock with ours)."""
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return os.pathsep.join([*inherited, *sys.path])


def prov(occurred_on: date = LAUNCH, actor: str = ACTOR) -> Provenance:
    return Provenance(actor=actor, occurred_on=occurred_on, today=TODAY)


@dataclass
class World:
    street: PartyOrganization
    community: Community
    general_branch: PartyOrganization
    branch: PartyOrganization
    member: Member


def world(category: str = "direct") -> World:
    street = PartyOrganization.establish(
        prov(), name="城关街道党工委", level="street_committee", parent=None, community=None
    )
    community = Community.register(
        prov(), name="铁西社区", street_committee=street, origin="existing"
    )
    general = PartyOrganization.establish(
        prov(), name="铁西社区党总支", level="general_branch", parent=street, community=community
    )
    community.attach_general_branch(prov(), organization_id=general.id)
    branch = PartyOrganization.establish(
        prov(), name="第一小区党支部", level="neighborhood_branch", parent=general, community=None
    )
    member = Member.register(
        prov(), name="王伟", category=category, organization=branch, birth_year=1980, workplace=None
    )
    return World(street, community, general, branch, member)


def rejects(code: str) -> Any:
    """Expect a DomainError with this stable code; usage: ``with rejects("x"): ...``."""
    return pytest.raises(DomainError, match=rf"^{code}: ")


def unchanged(aggregate: object) -> int:
    """The number of events waiting to be saved; a rejected command adds none."""
    return len(aggregate._pending_events)  # type: ignore[attr-defined]
