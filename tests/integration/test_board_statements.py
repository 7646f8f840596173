"""How many statements one board (``evaluate`` with a page) sends, on both stores: a round
trip each, so the count is the board's latency floor on a loaded server. It must not grow
with the members or communities judged, and stays within a bound that a rule reading its
facts one statement per fact, or per target, would break (the counts of facts, the sites'
areas and the organizations are read once per evaluation and shared by the rules)."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from sansan.application import SansanApplication
from sansan.bootstrap import Services
from sansan.clock import FixedClock
from sansan.commands import Command
from sansan.commands import community as co
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.projections import compliance as compliance_module
from sansan.projections import store as store_module
from sansan.projections.compliance import Page, evaluate
from tests.integration.test_compliance_pages import CARDS, LAUNCH, STREET, A, i, plan
from tests.integration.test_compliance_pages import services as services

RECORDED = date(2028, 2, 1)  # the pages world's last recording day, and today
PAST = date(2027, 6, 1)
# Every target of the shipped plan with its page, on a day with an ended year and a running
# one: 34 statements on this world (47 while the member rules read their totals, the members
# they leave out, their page, its earliest failing member and the page's latecomers one
# statement each, and the sites, the service network and the designations probed the
# communities apart; 78 before the rules shared their reads: one statement per fact counted,
# per rule asking). A statement more is a round trip more on every board.
BOUND = 34


def more_members(key: str, community: Any, organization: Any, n: int) -> Iterator[Command]:
    for k in range(n):
        member = i(f"{key}{k}")
        yield mc.RegisterMember(
            id=member, occurred_on=date(2027, 3, 1), name=f"{key}{k}", category="direct",
            organization_id=organization,
        )  # fmt: skip
        for card in CARDS["direct"][: k % 4]:
            yield mc.IssueCard(member_id=member, occurred_on=date(2027, 4, 1), card=card)
        if k % 7:
            yield mc.RecordTraining(
                member_id=member, occurred_on=date(2027, 5, 1), days=k % 7, method="lecture",
                topic="党课",
            )  # fmt: skip


def grown() -> Iterator[Command]:
    """Twenty more members in community A, and a new community with twenty of its own."""
    yield from more_members("grownA", A, i("nb" + str(A)), 20)
    new = i("C")
    yield co.RegisterCommunity(
        id=new, occurred_on=date(2027, 2, 1), name="丙社区", street_committee_id=STREET
    )
    yield oc.EstablishPartyOrganization(
        id=i("gbC"), occurred_on=date(2027, 2, 1), name="丙社区党总支", level="general_branch",
        parent_id=STREET, community_id=new,
    )  # fmt: skip
    yield oc.EstablishPartyOrganization(
        id=i("nbC"), occurred_on=date(2027, 2, 1), name="丙社区支部",
        level="neighborhood_branch", parent_id=i("gbC"),
    )  # fmt: skip
    yield from more_members("grownC", new, i("nbC"), 20)


def statements(services: Services, monkeypatch: pytest.MonkeyPatch, as_of: date) -> int:
    """The statements one board on ``as_of`` sends (all targets, the first 20 failing)."""
    sent: list[Any] = []
    execute = store_module.GenerationCursor.execute

    def counted(self: Any, statement: Any, params: Any = ()) -> Any:
        sent.append(statement)
        return execute(self, statement, params)

    monkeypatch.setattr(store_module.GenerationCursor, "execute", counted)
    evaluate(services.store, plan(), launch=LAUNCH, as_of=as_of, page=Page(0, 20))
    monkeypatch.undo()
    return len(sent)


def test_the_board_sends_a_bounded_number_of_statements_whatever_the_members(
    app: SansanApplication, services: Services, clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    before = {day: statements(services, monkeypatch, day) for day in (RECORDED, PAST)}
    clock.set(datetime.combine(RECORDED, time(5), tzinfo=UTC))
    for command in grown():
        app.execute(command, actor="test")
    services.projections.catch_up()
    after = {day: statements(services, monkeypatch, day) for day in (RECORDED, PAST)}
    assert after == before, (before, after)
    assert max(after.values()) <= BOUND, after


def sent_statements(services: Services, monkeypatch: pytest.MonkeyPatch, as_of: date) -> list[Any]:
    """The statement objects one board on ``as_of`` sends."""
    sent: list[Any] = []
    execute = store_module.GenerationCursor.execute

    def kept(self: Any, statement: Any, params: Any = ()) -> Any:
        sent.append(statement)
        return execute(self, statement, params)

    monkeypatch.setattr(store_module.GenerationCursor, "execute", kept)
    evaluate(services.store, plan(), launch=LAUNCH, as_of=as_of, page=Page(0, 20))
    monkeypatch.undo()
    return sent


def test_a_board_asked_again_sends_the_statements_the_first_one_built(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement is built (its expression composed, its cache key worked out) once per
    shape and day, not once per board: asked again, the board sends the very statements
    the first one built (≈ 25 expressions and cache keys a board less in Python)."""
    # The kept statements are the process's, cleared when 2,000 are kept: an xdist worker that
    # ran other boards before this test could reach that mid-board (CI, 30 November morning).
    compliance_module._KEPT.clear()
    first = sent_statements(services, monkeypatch, RECORDED)
    again = sent_statements(services, monkeypatch, RECORDED)
    built = {id(s) for s in first}
    assert len(again) == len(first)
    assert [str(s)[:80] for s in again if id(s) not in built] == []
