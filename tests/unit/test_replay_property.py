"""Replaying the stored events of any valid command sequence gives the live state.

Commands are drawn at random (many of them invalid, which the aggregates refuse
and which must change nothing); the survivors are saved through the real
mapper and transcoder, then every aggregate is rebuilt from storage, with and
without snapshots, and compared attribute by attribute with the live object.
"""

import copy
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sansan.application import SansanApplication
from sansan.clock import FixedClock
from sansan.domain.errors import DomainError
from sansan.domain.vocabulary import (
    CardKind,
    CoordinationBodyKind,
    Education,
    FiveGoodsItem,
    MemberCategory,
    TrainingMethod,
    WorkingSystemKind,
)
from sansan.internal_ids import InternalIds
from tests.support import LAUNCH, NOW, TODAY, World, prov, world

Op = Callable[[World], None]

days_ = st.dates(min_value=LAUNCH - timedelta(days=5), max_value=TODAY + timedelta(days=2))
training_days = st.sampled_from([0, 0.5, 1, 2.5, 3, 6, 30, 31])
money = st.decimals(min_value=-10, max_value=50_000, places=2, allow_nan=False)
words = st.text(alphabet="铁西社区 abc", min_size=0, max_size=6)


def _ops() -> st.SearchStrategy[Op]:
    return st.one_of(
        st.builds(
            lambda d, n, m: lambda w: w.member.complete_training(prov(d), days=n, method=m, topic="t"),
            days_, training_days, st.sampled_from(list(TrainingMethod)),
        ),
        st.builds(
            lambda d, c: lambda w: w.member.issue_card(prov(d), card=c, card_no=None),
            days_, st.sampled_from(list(CardKind)),
        ),
        st.builds(
            lambda d, c: lambda w: w.member.change_category(prov(d), category=c, workplace="单位"),
            days_, st.sampled_from(list(MemberCategory)),
        ),
        st.builds(
            lambda d, h: lambda w: w.member.log_volunteer_service(prov(d), hours=h, activity="a"),
            days_, st.floats(min_value=-1, max_value=30, allow_nan=False),
        ),
        st.builds(lambda d: lambda w: w.member.transfer_out(prov(d), destination="外县"), days_),
        st.builds(
            lambda d, o, v: lambda w: w.community.upgrade_facility(
                prov(d), office_area_m2=o, venue_area_m2=v
            ),
            days_, st.none() | st.floats(-5, 500), st.none() | st.integers(-5, 500),
        ),
        st.builds(
            lambda d, y, a: lambda w: w.community.allocate_funding(
                prov(d), year=y, amount_yuan=a, source=None
            ),
            days_, st.integers(2024, 2027), money,
        ),
        st.builds(
            lambda d, k: lambda w: w.community.establish_coordination_body(prov(d), kind=k),
            days_, st.sampled_from(list(CoordinationBodyKind)),
        ),
        st.builds(
            lambda d, k: lambda w: w.community.hold_coordination_meeting(prov(d), kind=k, topic="会"),
            days_, st.sampled_from(list(CoordinationBodyKind)),
        ),
        st.builds(
            lambda d, k, t: lambda w: w.community.adopt_working_system(prov(d), kind=k, title=t),
            days_, st.sampled_from(list(WorkingSystemKind)), words,
        ),
        st.builds(
            lambda d, y, r: lambda w: w.community.assess_five_goods(
                prov(d), year=y, items={i: r[n] for n, i in enumerate(FiveGoodsItem)}, scores=None
            ),
            days_, st.integers(2025, 2027), st.lists(st.booleans(), min_size=5, max_size=5),
        ),
        st.builds(
            lambda d, e, newly: lambda w: _team_member_trains(w, d, e, newly),
            days_, st.sampled_from(list(Education)), st.booleans(),
        ),
        st.builds(lambda d, r: lambda w: w.general_branch.flag_weak_team(prov(d), reason=r), days_, words),
        st.builds(
            lambda d, r: lambda w: w.general_branch.rectify_weak_team(prov(d), measures=r), days_, words
        ),
    )  # fmt: skip


def _team_member_trains(w: World, d: date, education: Education, newly: bool) -> None:
    from uuid import uuid4

    tm = uuid4()
    w.general_branch.add_team_member(
        prov(d), team_member_id=tm, person_name="刘敏", birth_year=1980, education=education,
        party_affairs_worker=True, cross_appointed=False, newly_appointed=newly,
    )  # fmt: skip
    w.general_branch.complete_team_training(
        prov(d), team_member_id=tm, days=3 if not newly else 2, at_county_party_school=newly
    )


def state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def _issue_card(w: World) -> None:
    w.member.issue_card(prov(), card=CardKind.HOUSEHOLD_CONTACT, card_no=None)


def _train_too_long(w: World) -> None:
    w.member.complete_training(prov(), days=31, method=TrainingMethod.LECTURE, topic="t")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Refusals after a valid command, every time, whatever the random draw brings.
@example(ops=[_issue_card, _issue_card, _train_too_long], snapshot_every=None)
@given(ops=st.lists(_ops(), max_size=120), snapshot_every=st.sampled_from([None, 3, 50]))
def test_replay_of_any_valid_sequence_equals_the_live_aggregates(
    ops: list[Op], snapshot_every: int | None
) -> None:
    w = world()
    live = [w.street, w.community, w.general_branch, w.branch, w.member]
    for op in ops:
        before = [copy.deepcopy(state(a)) for a in live]
        try:
            op(w)
        except DomainError:
            assert [state(a) for a in live] == before, "a refused command changed something"
        else:
            assert [state(a) for a in live] != before, "an accepted command recorded nothing"

    app_class = SansanApplication
    if snapshot_every:
        app_class = type(
            "SnapshottingApp",
            (SansanApplication,),
            {"snapshotting_intervals": dict.fromkeys(map(type, live), snapshot_every)},
        )
    app = app_class(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, FixedClock(NOW), InternalIds(b"test")
    )
    app.save(*live)
    for aggregate in live:
        assert state(app.repository.get(aggregate.id)) == state(aggregate)
