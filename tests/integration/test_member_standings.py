"""The member rules' maintained standings (training days per member by day and by year, the
category rows and card days per member), on both stores: what they hold for the pages test's
world, that the board's figures read from them move on the right days — a training recorded
late for a past day, a category corrected between two days asked, a member transferred out,
a second training on a day already counted — and that a rebuild writes the same standings
as the catch-up did."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, delete, select, update

from sansan.application import SansanApplication
from sansan.bootstrap import Services
from sansan.clock import FixedClock
from sansan.commands import community as co
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.projections.compliance import Failing, Page, evaluate
from sansan.projections.rebuild import rebuild
from sansan.projections.schema import projection_meta
from sansan.projections.tables import PROJECTION_VERSION
from tests.integration.test_compliance_pages import DAYS, LAUNCH, answer, i, plan
from tests.integration.test_compliance_pages import services as services


def rows(services: Services, table: str, member: str) -> list[tuple[Any, ...]]:
    """A member's rows of a standings table, without the member id."""
    with services.store.transaction() as cursor:
        t: Table = getattr(cursor.t, table)
        found = cursor.execute(select(t).where(t.c.member_id == str(i(member)))).fetchall()
    return sorted(tuple(r)[1:] for r in found)


def standings(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    tables = ("member_training_days", "member_training_years", "member_categories",
              "member_cards")  # fmt: skip
    with services.store.transaction() as cursor:
        return {
            name: sorted((tuple(r) for r in cursor.execute(select(getattr(cursor.t, name))).fetchall()),
                         key=repr)
            for name in tables
        }  # fmt: skip


def failing(services: Services, as_of: date, target: str) -> dict[str, Failing]:
    [result] = evaluate(
        services.store, plan(), launch=LAUNCH, as_of=as_of, page=Page(0, 100), only=target
    )
    return {f.unit_id: f for f in result.failing}


def test_a_training_recorded_late_adds_to_its_own_day_and_year(services: Services) -> None:
    # m5: one day on 1 June 2026, five more recorded in January 2027 for 1 November 2026
    assert rows(services, "member_training_days", "m5") == [("2026-06-01", 1.0), ("2026-11-01", 5.0)]
    assert rows(services, "member_training_years", "m5") == [(2026, 6.0)]
    # read from the day rows before 1 November, from the year's row after it
    assert failing(services, date(2026, 10, 31), "member-training")[str(i("m5"))].reason_zh == (
        "2026年培训1/6天"
    )
    assert str(i("m5")) not in failing(services, date(2026, 12, 31), "member-training")


def test_a_second_training_on_a_counted_day_adds_to_that_day(
    app: SansanApplication, services: Services, clock: FixedClock
) -> None:
    clock.set(datetime(2028, 2, 2, tzinfo=UTC))
    app.execute(
        mc.RecordTraining(member_id=i("m2"), occurred_on=date(2026, 6, 1), days=2.5,
                          method="video", topic="党课"),
        actor="test",
    )  # fmt: skip
    services.projections.catch_up()
    assert rows(services, "member_training_days", "m2") == [("2026-06-01", 4.5)]
    assert rows(services, "member_training_years", "m2") == [(2026, 4.5)]
    for day in (date(2026, 6, 1), date(2026, 12, 31)):  # from the day rows, from the year's
        assert failing(services, day, "member-training")[str(i("m2"))].reason_zh == (
            "2026年培训4.5/6天"
        )


def test_the_category_on_each_day_decides_which_cards_count(services: Services) -> None:
    # m3: registered direct on 10 March 2026, corrected to dual on 1 April; on 1 May given
    # two cards a dual member needs (community activity, in-service feedback), of which a
    # direct member's list holds one
    assert [(on, c) for on, _, c in rows(services, "member_categories", "m3")] == [
        ("2026-03-10", "direct"), ("2026-04-01", "dual")
    ]  # fmt: skip
    assert rows(services, "member_cards", "m3") == [
        ("community_activity", "2026-05-01"), ("in_service_feedback", "2026-05-01")
    ]  # fmt: skip
    m3 = str(i("m3"))
    assert failing(services, date(2026, 3, 31), "cards")[m3].reason_zh == "已发0/3张适用的卡"
    assert failing(services, date(2026, 4, 30), "cards")[m3].reason_zh == "已发0/4张适用的卡"
    assert failing(services, date(2026, 5, 1), "cards")[m3].reason_zh == "已发2/4张适用的卡"


def test_a_member_transferred_out_leaves_the_rules_from_that_day(services: Services) -> None:
    # m7 (dual, its four cards) passes and counts until it leaves on 1 December 2026
    [before] = evaluate(services.store, plan(), launch=LAUNCH, as_of=date(2026, 11, 30),
                        page=Page(0, 1), only="cards")  # fmt: skip
    [after] = evaluate(services.store, plan(), launch=LAUNCH, as_of=date(2026, 12, 1),
                       page=Page(0, 1), only="cards")  # fmt: skip
    assert (before.measured_text, after.measured_text) == ("2/7人", "1/6人")


def test_a_rebuild_writes_the_standings_the_catch_up_wrote(
    app: SansanApplication, services: Services
) -> None:
    caught_up = standings(services)
    assert caught_up["member_training_years"]
    assert caught_up["member_cards"]
    rebuild(app, services.store, batch_size=3)
    assert standings(services) == caught_up
    assert failing(services, date(2026, 10, 31), "member-training")[str(i("m5"))].reason_zh == (
        "2026年培训1/6天"
    )


def test_a_training_before_the_window_is_in_the_year_s_sum_but_does_not_count(
    app: SansanApplication, services: Services, clock: FixedClock
) -> None:
    # the campaign counts from its launch (1 March 2026): a member's February training is in
    # 2026's row of the standings, and the rule still counts only its two days of June
    early = i("early")
    clock.set(datetime(2028, 2, 2, tzinfo=UTC))
    # a member is dated no earlier than their organization (finding 31): one of a branch of a
    # street and community on record since January
    before = date(2026, 1, 1)
    street, community, general, branch = i("丙街道"), i("丙社区"), i("gb丙"), i("nb丙")
    for command in (
        oc.EstablishPartyOrganization(id=street, occurred_on=before, name="丙街道党工委",
                                      level="street_committee"),
        co.RegisterCommunity(id=community, occurred_on=before, name="丙社区",
                             street_committee_id=street),
        oc.EstablishPartyOrganization(id=general, occurred_on=before, name="丙社区党总支",
                                      level="general_branch", parent_id=street,
                                      community_id=community),
        oc.EstablishPartyOrganization(id=branch, occurred_on=before, name="丙社区支部",
                                      level="neighborhood_branch", parent_id=general),
    ):  # fmt: skip
        app.execute(command, actor="test")
    app.execute(mc.RegisterMember(id=early, occurred_on=date(2026, 1, 15), name="early",
                                  category="direct", organization_id=branch), actor="test")
    for day, days in ((date(2026, 2, 1), 3), (date(2026, 6, 1), 2)):
        app.execute(mc.RecordTraining(member_id=early, occurred_on=day, days=days,
                                      method="video", topic="党课"), actor="test")
    services.projections.catch_up()
    assert rows(services, "member_training_years", "early") == [(2026, 5.0)]
    for day in (date(2026, 6, 1), date(2026, 12, 31)):
        assert failing(services, day, "member-training")[str(early)].reason_zh == (
            "2026年培训2/6天"
        )


def test_a_generation_left_by_an_older_projector_is_judged_from_its_facts(
    services: Services,
) -> None:
    # While a changed projector rebuilds beside it, the live generation (built by the older
    # one) has the standings' tables empty, made at start: the board reads its facts, and
    # answers as the standings did.
    asked = [date(2026, 5, 1), date(2026, 10, 31), *DAYS]
    before = [answer(services, day) for day in asked]
    with services.store.transaction(lock=True) as cursor:
        for name in ("member_training_days", "member_training_years", "member_categories",
                     "member_cards"):  # fmt: skip
            cursor.execute(delete(getattr(cursor.t, name)))
        cursor.execute(
            update(projection_meta).values(projection_version=PROJECTION_VERSION - 1)
        )
    assert [answer(services, day) for day in asked] == before
    assert failing(services, date(2026, 10, 31), "member-training")[str(i("m5"))].reason_zh == (
        "2026年培训1/6天"
    )
