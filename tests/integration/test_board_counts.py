"""The board's per-community counts of the member rules (``projections.counts``), on both
stores: after each kind of change — a training recorded late for a past day, a second
training on a day, a transfer out, a category change (and one dated before the current),
a registration after the grace day, trainings either side of a year's end, a rebuild — the
counts equal what the per-member tables give, and the board read from them (a page with its
totals) equals the full per-member answer cut to the page; a day the counts cannot answer is
counted member by member, with the same answer."""

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import func, select

from sansan.application import SansanApplication
from sansan.bootstrap import Services
from sansan.clock import FixedClock
from sansan.commands import Command
from sansan.commands import member as mc
from sansan.plans import Plan
from sansan.projections import compliance
from sansan.projections import counts as counts_module
from sansan.projections.batch import Batch
from sansan.projections.compliance import Page, evaluate
from sansan.projections.counts import FITTING
from sansan.projections.rebuild import rebuild
from tests.integration.test_compliance_pages import LAUNCH, A, cut, i, plan, unpassed
from tests.integration.test_compliance_pages import services as services

MEMBER_RULES = ("cards", "member-training")
# Which counts answered: today's (a rule's id), or the dated ones for a past day ("… on").
READERS = (("cards", "_cards_counted"), ("member-training", "_training_counted"),
           ("cards on", "_cards_dated"), ("member-training on", "_training_dated"))  # fmt: skip


def counts(services: Services) -> tuple[Counter[Any], Counter[Any]]:
    """The counts as the projector kept them (rows at zero left out)."""
    with services.store.transaction() as cursor:
        t = cursor.t
        cards = cursor.execute(select(t.community_cards)).fetchall()
        years = cursor.execute(select(t.community_training)).fetchall()
    return (
        Counter({(c, cat, int(k)): int(n) for c, cat, k, n in cards if n}),
        Counter({(c, int(y), float(d)): int(n) for c, y, d, n in years if n}),
    )


def recounted(services: Services) -> tuple[Counter[Any], Counter[Any]]:
    """The same counts worked out member by member from the dated per-member tables: each
    member not transferred out, its latest category (by day, then log position), its cards
    that fit it, its training days per year."""
    with services.store.transaction() as cursor:
        t = cursor.t
        members = cursor.execute(
            select(t.members.c.id, t.members.c.community_id)
            .where(t.members.c.transferred_out_on.is_(None))
        ).fetchall()  # fmt: skip
        categories = cursor.execute(select(t.member_categories)).fetchall()
        held = cursor.execute(select(t.member_cards.c.member_id, t.member_cards.c.card)).fetchall()
        years = cursor.execute(select(t.member_training_years)).fetchall()
    latest = {m: c for m, _, _, c in sorted(categories, key=lambda r: (r[1], int(r[2])))}
    cards: dict[str, set[str]] = {}
    for member, card in held:
        cards.setdefault(member, set()).add(card)
    by_cards, by_days = Counter[Any](), Counter[Any]()
    for member, community in members:
        category = latest[member]
        by_cards[(community, category, len(cards.get(member, set()) & FITTING[category]))] += 1
        for m, year, days in years:
            if m == member:
                by_days[(community, int(year), float(days))] += 1
    return by_cards, by_days


def board_agrees(
    services: Services, monkeypatch: pytest.MonkeyPatch, as_of: date, judged: Plan | None = None
) -> set[str]:  # fmt: skip
    """The member rules' pages equal their full answers cut, in every scope; the rules the
    counts answered (the others counted member by member)."""
    answered: set[str] = set()

    def spy(rule: str, read: Callable[..., Any]) -> Callable[..., Any]:
        def spied(*args: Any) -> Any:
            answered.add(rule)
            return read(*args)

        return spied

    for rule, name in READERS:
        monkeypatch.setattr(compliance, name, spy(rule, getattr(compliance, name)))
    for scope in ({}, {"communities": [A]}, {"communities": [A], "scorecard": True}):
        for target in MEMBER_RULES:
            full = answer(services, as_of, judged, only=target, **scope)
            for page in (Page(0, 100), Page(0, 1), Page(1, 2), Page(0, 0)):
                paged = answer(services, as_of, judged, page=page, only=target, **scope)
                assert [unpassed(r) for r in paged] == [cut(r, page) for r in full], (
                    as_of, scope, target, page,
                )  # fmt: skip
    monkeypatch.undo()
    return answered


def answer(
    services: Services, as_of: date, judged: Plan | None, **how: Any
) -> list[dict[str, Any]]:  # fmt: skip
    found = evaluate(services.store, judged or plan(), launch=LAUNCH, as_of=as_of, **how)
    return [dataclasses.asdict(r) for r in found]


def training(member: str, on: date, days: float, topic: str = "党课") -> Command:
    return mc.RecordTraining(
        member_id=i(member), occurred_on=on, days=days, method="lecture", topic=topic
    )


NOW = date(2028, 2, 2)  # after everything the scenarios record but the grace one
BOTH = set(MEMBER_RULES)
ON = {"cards on", "member-training on"}
SCENARIOS: dict[str, tuple[list[tuple[date, Command]], dict[date, set[str]]]] = {
    # (recorded on, command); the days asked, and the rules the counts answer on each
    "a training recorded late for a past day": (
        [(NOW, training("m2", date(2028, 1, 20), 2)),
         (NOW, training("m2", date(2028, 1, 10), 3)),  # earlier than the one above
         (NOW, training("m6", date(2027, 3, 1), 6))],  # in the ended year
        {NOW: BOTH, date(2027, 6, 1): BOTH,
         date(2028, 1, 15): BOTH | {"member-training on"}},  # 2027 today's, 2028 dated
    ),
    "a second training on the same day": (
        # two trainings of that day (the same one twice is refused as a duplicate fact; the
        # scenarios also run together, beside the late one above of 党课)
        [(NOW, training("m2", date(2028, 1, 10), 3, "党史")),
         (NOW, training("m2", date(2028, 1, 10), 3, "党章"))],
        {NOW: BOTH},
    ),
    "a transfer out": (
        [(NOW, training("m1", date(2028, 1, 5), 6)),
         (NOW, mc.TransferMemberOut(member_id=i("m1"), occurred_on=date(2028, 1, 15),
                                    destination="外县"))],
        {NOW: BOTH | {"member-training on"},  # 2027 with m1 in it: dated
         date(2028, 1, 14): ON, date(2028, 1, 15): BOTH | {"member-training on"}},
    ),
    "a category change, and one dated before the current category": (
        [(NOW, mc.ChangeMemberCategory(member_id=i("m2"), occurred_on=date(2028, 1, 12),
                                       category="dual")),
         (NOW, mc.IssueCard(member_id=i("m2"), occurred_on=date(2028, 1, 13),
                            card="in_service_feedback")),
         # m4 is participating from 1 April 2026: a change dated 20 March 2026 is not its latest
         (NOW, mc.ChangeMemberCategory(member_id=i("m4"), occurred_on=date(2026, 3, 20),
                                       category="direct"))],
        {NOW: BOTH, date(2028, 1, 12): {"cards on", "member-training"}, date(2026, 3, 25): ON},
    ),
    "a registration after the grace day": (
        # 2 October 2028 is the last day of 2028's registrations judged in 2028 (90 days' grace)
        [(date(2028, 12, 20), mc.RegisterMember(
            id=i("newbie"), occurred_on=date(2028, 12, 10), name="newbie", category="direct",
            organization_id=i(f"nb{A}"))),
         (date(2028, 12, 20), training("newbie", date(2028, 12, 11), 1)),
         (date(2028, 12, 20), training("m2", date(2028, 12, 11), 6))],
        {date(2028, 12, 20): BOTH},
    ),
    "trainings either side of a year's end": (
        [(NOW, training("m3", date(2027, 12, 31), 6)), (NOW, training("m3", date(2028, 1, 1), 1)),
         (NOW, training("m4", date(2028, 1, 1), 6))],
        {NOW: BOTH, date(2028, 1, 1): BOTH, date(2027, 12, 31): BOTH,
         date(2027, 12, 30): BOTH | {"member-training on"}},
    ),
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=list(SCENARIOS))
def test_the_counts_equal_the_per_member_answers(
    app: SansanApplication, services: Services, clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch, scenario: str,
) -> None:  # fmt: skip
    commands, days = SCENARIOS[scenario]
    for recorded_on, command in commands:
        clock.set(datetime.combine(recorded_on, time(4), tzinfo=UTC))
        app.execute(command, actor="test")
    services.projections.catch_up()
    assert counts(services) == recounted(services)
    for day, answered in days.items():
        assert board_agrees(services, monkeypatch, day) == answered, day


def test_a_rebuild_keeps_the_counts_the_catch_up_kept(
    app: SansanApplication, services: Services, clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for commands, _ in SCENARIOS.values():
        for recorded_on, command in commands:
            clock.set(datetime.combine(recorded_on, time(4), tzinfo=UTC))
            app.execute(command, actor="test")
    services.projections.catch_up()
    caught_up = counts(services)
    assert caught_up == recounted(services)
    rebuild(app, services.store, batch_size=3)
    assert counts(services) == caught_up
    assert board_agrees(services, monkeypatch, date(2028, 12, 20)) == BOTH | {"member-training on"}


def test_members_registered_after_a_yearly_rule_s_grace_day_are_taken_out_of_the_counts(
    app: SansanApplication, services: Services, clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # the shipped cards target falls due once; made yearly, a member registered on 10
    # December 2028 (after 2 October, 90 days before the year's end) is judged from 2029:
    # the counts hold it, the board must not
    commands, days = SCENARIOS["a registration after the grace day"]
    for recorded_on, command in commands:
        clock.set(datetime.combine(recorded_on, time(4), tzinfo=UTC))
        app.execute(command, actor="test")
    services.projections.catch_up()
    shipped = plan()
    yearly = shipped.model_copy(update={"targets": [
        t.model_copy(update={"due": t.due.model_copy(update={"kind": "yearly"})})
        if t.id == "cards" else t
        for t in shipped.targets
    ]})  # fmt: skip
    [day] = days
    # 2028 from today's counts, less newbie; the ended 2027 from the dated ones
    assert board_agrees(services, monkeypatch, day, yearly) == BOTH | {"cards on"}
    [cards] = answer(services, day, yearly, only="cards", page=Page(0, 100))
    assert str(i("newbie")) not in [f["unit_id"] for f in cards["failing"]]


def test_the_board_s_transaction_on_postgresql_gives_its_sorts_room_in_memory(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a day the counts do not answer sorts and hashes a row per member: PostgreSQL's default
    # 4 MB spills them to disk at 100,000 members; set for evaluate's transaction only
    seen: list[tuple[str, str | None]] = []
    has_standings = compliance._has_standings

    def spy(cursor: Any) -> bool:  # the setting the rules run with (set in the same statement)
        found = has_standings(cursor)
        setting = None
        if cursor.dialect == "postgres":
            setting = cursor.execute(select(func.current_setting("work_mem"))).fetchone()[0]
        seen.append((cursor.dialect, setting))
        return found

    monkeypatch.setattr(compliance, "_has_standings", spy)
    evaluate(services.store, plan(), launch=LAUNCH, as_of=NOW, page=Page(0, 1), only="cards")
    [(dialect, setting)] = seen
    assert setting == (compliance.WORK_MEM if dialect == "postgres" else None)
    with services.store.transaction() as cursor:  # the next transaction has the default back
        if cursor.dialect == "postgres":
            default = cursor.execute(select(func.current_setting("work_mem"))).fetchone()[0]
            assert default != compliance.WORK_MEM


COUNT_TABLES = ("community_cards", "community_training", "community_cards_on",
                "community_training_on")  # fmt: skip
# m2 (direct, one fitting card) trains twice on one day (into the 3-day bucket and out to the
# 6-day one) and is dual for two days (into dual's buckets and out again): one batch.
IN_AND_OUT = [
    # two trainings of one day (the same one twice is refused as a duplicate fact)
    training("m2", date(2028, 1, 10), 3, "党史"), training("m2", date(2028, 1, 10), 3, "党章"),
    mc.ChangeMemberCategory(member_id=i("m2"), occurred_on=date(2028, 1, 12), category="dual"),
    mc.ChangeMemberCategory(member_id=i("m2"), occurred_on=date(2028, 1, 14), category="direct"),
]  # fmt: skip


def test_a_member_moved_into_a_bucket_and_out_in_one_batch_writes_nothing_there(
    app: SansanApplication, services: Services, clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    written: list[tuple[str, dict[str, Any]]] = []
    add = Batch.add

    def spy(b: Batch, table: Any, row: dict[str, Any], drop_at: str | None = None) -> None:
        written.append((table.name, row))
        add(b, table, row, drop_at)

    clock.set(datetime.combine(NOW, time(4), tzinfo=UTC))
    for command in IN_AND_OUT:
        app.execute(command, actor="test")
    monkeypatch.setattr(Batch, "add", spy)
    assert services.projections.run_once() == len(IN_AND_OUT)  # one batch
    monkeypatch.undo()
    counted = [(name, row) for name, row in written if name.endswith(COUNT_TABLES)]
    assert counted
    assert all(row["members"] for _, row in counted)
    # today's: in and out of dual's bucket, of the 3-day one (the dated counts keep the days
    # m2 was dual, 12 and 14 January)
    today = [(name, row) for name, row in counted if not name.endswith("_on")]
    assert not [row for _, row in today if row.get("category") == "dual"]
    assert not [row for _, row in today if row.get("days") == 3]
    with services.store.transaction() as cursor:  # and no bucket is kept at zero
        for name in COUNT_TABLES:
            table = getattr(cursor.t, name)
            assert cursor.execute(select(table).where(table.c.members == 0)).fetchall() == []
    assert counts(services) == recounted(services)
    assert board_agrees(services, monkeypatch, NOW) == BOTH
    # m2 dual that day: the dated counts answer it, as a recount member by member would
    assert board_agrees(services, monkeypatch, date(2028, 1, 13)) == {"cards on", "member-training"}


def test_a_flush_within_a_batch_writes_the_members_touched_so_far_once(
    app: SansanApplication, services: Services, clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # a handler may flush half way through a batch (a campaign's launch does): the members
    # kept decoded are written then, and read back for the batch's later events
    trained = counts_module.training

    def training_then_flush(b: Batch, *args: Any) -> None:
        trained(b, *args)
        b.flush()

    monkeypatch.setattr(counts_module, "training", training_then_flush)
    clock.set(datetime.combine(NOW, time(4), tzinfo=UTC))
    for command in IN_AND_OUT:
        app.execute(command, actor="test")
    assert services.projections.run_once() == len(IN_AND_OUT)
    monkeypatch.undo()
    assert counts(services) == recounted(services)
    assert board_agrees(services, monkeypatch, NOW) == BOTH
    assert board_agrees(services, monkeypatch, date(2028, 1, 13)) == {"cards on", "member-training"}
