"""A member's index of trainings (to refuse one entered twice) stays flat as trainings grow."""

import copy
import json
from datetime import date, timedelta
from decimal import Decimal

from sansan.domain import Member
from sansan.domain.marks import KEPT as MARKS_KEPT
from sansan.domain.member import (
    LEGACY_TRAININGS_INDEX,
    TRAININGS_INDEX,
)
from tests.support import LAUNCH, prov, rejects, world


def train(member: Member, day: date, topic: str, days: float = 1) -> None:
    member.complete_training(prov(day), days=days, method="lecture", topic=topic)


def test_the_same_training_twice_on_one_day_is_refused_naming_the_version_that_recorded_it() -> (
    None
):
    member = world().member
    train(member, LAUNCH, "党章")
    first = member.version
    train(member, LAUNCH, "党史")  # another topic that day
    train(member, LAUNCH + timedelta(days=1), "党章")  # the same topic the next day
    train(member, LAUNCH, "党章", days=0.5)  # another length
    with rejects("duplicate_fact") as refused:
        train(member, LAUNCH, "党章")
    assert refused.value.params["version"] == first


def test_a_member_keeps_marks_of_its_latest_trainings_only_and_copies_share_them() -> None:
    member = world().member
    days = [LAUNCH + timedelta(days=k % 190) for k in range(2000)]
    for k, day in enumerate(days):
        train(member, day, f"党课{k}")
    marks = vars(member)[TRAININGS_INDEX]
    assert isinstance(marks, str)
    assert len(marks) <= MARKS_KEPT  # as long after 2,000 trainings as after 260
    # the repository copies a cached member for every command: the marks are not rebuilt
    assert vars(copy.deepcopy(member))[TRAININGS_INDEX] is marks
    for k in range(2000 - 256, 2000):  # the latest 256 are each refused a second time
        with rejects("duplicate_fact"):
            train(member, days[k], f"党课{k}")
    train(member, days[0], "党课0")  # the first, long forgotten, is taken


def test_a_member_from_a_snapshot_before_the_marks_still_refuses_its_trainings_twice() -> None:
    member = world().member
    train(member, LAUNCH, "旧的一次")
    old = member.version
    # what such a snapshot holds: a mapping of every training by day, and no marks
    del vars(member)[TRAININGS_INDEX]
    key = json.dumps([1.0, "lecture", "旧的一次"], ensure_ascii=False)
    vars(member)[LEGACY_TRAININGS_INDEX] = {LAUNCH.isoformat(): {key: old}}
    with rejects("duplicate_fact") as refused:
        train(member, LAUNCH, "旧的一次")
    assert refused.value.params["version"] == old
    train(member, LAUNCH, "新的一次")  # folds the old mapping into the marks
    assert LEGACY_TRAININGS_INDEX not in vars(member)
    for topic in ("旧的一次", "新的一次"):
        with rejects("duplicate_fact"):
            train(member, LAUNCH, topic)


def test_a_member_s_state_is_no_larger_after_2000_trainings_than_after_300() -> None:
    """What a snapshot holds and a command copies: flat in the number of trainings."""
    member = world().member

    def size() -> int:
        state = {k: v for k, v in vars(member).items() if k != "_pending_events"}
        return len(json.dumps(state, default=str, ensure_ascii=False))

    for k in range(2000):
        train(member, LAUNCH + timedelta(days=k % 190), f"党课{k}")
        if k == 299:
            after_300 = size()
    assert size() <= after_300 + 100


def test_a_community_s_state_is_no_larger_after_2000_fundings_than_after_300() -> None:
    """Every fact refused twice keeps bounded marks, not a mapping of the whole history."""
    community = world().community

    def size() -> int:
        state = {k: v for k, v in vars(community).items() if k != "_pending_events"}
        return len(json.dumps(state, default=str, ensure_ascii=False))

    for k in range(2000):
        day = LAUNCH + timedelta(days=k % 190)
        community.allocate_funding(
            prov(day), year=day.year, amount_yuan=Decimal(k + 1), source=None
        )
        if k == 299:
            after_300 = size()
    # the yearly sums change their digits; the marks do not grow
    assert size() <= after_300 + 100
    with rejects("duplicate_fact"):
        day = LAUNCH + timedelta(days=1999 % 190)
        community.allocate_funding(prov(day), year=day.year, amount_yuan=Decimal(2000), source=None)
