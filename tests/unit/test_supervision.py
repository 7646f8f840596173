from collections.abc import Callable
from datetime import date, timedelta

import pytest

from sansan.domain import DomainError, SupervisionItem
from sansan.domain.supervision import latest_deadline
from sansan.domain.vocabulary import SupervisionStatus as S
from tests.support import LAUNCH, prov, rejects, unchanged, world

DUE = date(2026, 12, 31)  # not before the recording day (tests.support.TODAY)

ACTIONS: dict[str, Callable[[SupervisionItem], None]] = {
    "acknowledge": lambda i: i.acknowledge(prov()),
    "start": lambda i: i.start(prov()),
    "report": lambda i: i.report(prov(), summary="已整改"),
    "accept": lambda i: i.accept(prov(), comment=None),
    "return": lambda i: i.return_for_rework(prov(), reason="不达标"),
    "close": lambda i: i.close(prov()),
    "request_extension": lambda i: i.request_extension(
        prov(), requested_due_on=date(2027, 3, 31), reason="施工延误"
    ),
    "urge": lambda i: i.urge(prov(), message="请抓紧办理"),
}

# The shortest path from a fresh item to each status.
PATHS: dict[S, list[str]] = {
    S.ASSIGNED: [],
    S.ACKNOWLEDGED: ["acknowledge"],
    S.IN_PROGRESS: ["acknowledge", "start"],
    S.REPORTED: ["acknowledge", "start", "report"],
    S.ACCEPTED: ["acknowledge", "start", "report", "accept"],
    S.RETURNED: ["acknowledge", "start", "report", "return"],
    S.CLOSED: ["acknowledge", "start", "report", "accept", "close"],
}


# The graph written out by hand from DOMAIN.md §五 (交办 → 签收 → 办理 → (延期申请) → 反馈 →
# 审核: 通过 or 退回 → 办结), not read from the code's table: the status each action leads to
# from each status, "-" where it is refused. A returned item is reworked (开始办理 again) or
# reported again; an extension is asked once handling has started (办理, not at 签收); urging
# presses the assignee, so it stops once the assignee has reported (review 2, findings 14, 32).
_ = None
A, K, P, R = S.ASSIGNED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REPORTED
C, X, D = S.ACCEPTED, S.RETURNED, S.CLOSED
FROM = (A, K, P, R, C, X, D)
GRAPH: dict[str, tuple[S | None, ...]] = {
    #                    assigned ack in_progress reported accepted returned closed
    "acknowledge":       (K,      _,  _,          _,       _,       _,       _),
    "start":             (_,      P,  _,          _,       _,       P,       _),
    "request_extension": (_,      _,  P,          _,       _,       X,       _),
    "report":            (_,      _,  R,          _,       _,       R,       _),
    "accept":            (_,      _,  _,          C,       _,       _,       _),
    "return":            (_,      _,  _,          X,       _,       _,       _),
    "close":             (_,      _,  _,          _,       D,       _,       _),
    "urge":              (A,      K,  P,          _,       _,       X,       _),
}  # fmt: skip


def test_the_graph_covers_every_action() -> None:
    assert set(GRAPH) == set(ACTIONS)


def item() -> SupervisionItem:
    return SupervisionItem.assign(
        prov(), title="标准化场所达标", description="", campaign_id=None,
        assignee=world().general_branch, due_on=DUE,
    )  # fmt: skip


def at(status: S) -> SupervisionItem:
    i = item()
    for action in PATHS[status]:
        ACTIONS[action](i)
    assert i.status == status
    return i


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_items_move_only_along_the_allowed_graph(status: S, action: str) -> None:
    i = at(status)
    leads_to = GRAPH[action][FROM.index(status)]
    if leads_to is not None:
        ACTIONS[action](i)
        assert i.status == leads_to
    else:
        before = unchanged(i)
        with rejects("transition_not_allowed"):
            ACTIONS[action](i)
        assert (unchanged(i), i.status) == (before, status)


def test_the_refusal_names_the_status_in_both_languages() -> None:
    with pytest.raises(DomainError) as caught:
        at(S.ASSIGNED).close(prov())
    error = caught.value
    assert "已交办" in error.message_zh
    assert "办结" in error.message_zh
    assert error.message_en == "a supervision item that is assigned cannot be closed"


def test_a_returned_item_is_reworked_and_reported_again() -> None:
    i = at(S.RETURNED)
    i.start(prov())
    i.report(prov(), summary="二次反馈")
    i.accept(prov(), comment="通过")
    i.close(prov())
    assert i.status == S.CLOSED


def test_an_approved_extension_moves_the_deadline() -> None:
    i = at(S.IN_PROGRESS)
    with rejects("no_extension_pending"):
        i.approve_extension(prov())
    with rejects("extension_not_later"):
        i.request_extension(prov(), requested_due_on=DUE, reason="r")
    i.request_extension(prov(), requested_due_on=date(2027, 1, 31), reason="施工延误")
    with rejects("extension_pending"):
        i.request_extension(prov(), requested_due_on=date(2027, 2, 28), reason="r")
    i.approve_extension(prov())
    assert (i.due_on, i.extensions_granted, i.pending_extension) == (date(2027, 1, 31), 1, None)


def test_a_refused_extension_keeps_the_deadline() -> None:
    i = at(S.RETURNED)
    i.request_extension(prov(), requested_due_on=date(2027, 1, 31), reason="r")
    i.refuse_extension(prov(), reason="理由不充分")
    assert (i.due_on, i.pending_extension) == (DUE, None)
    with rejects("no_extension_pending"):
        i.refuse_extension(prov(), reason="again")


def test_each_urging_is_counted() -> None:
    i = at(S.IN_PROGRESS)
    for _ in range(3):
        i.urge(prov(), message="催办")
    assert i.urge_count == 3


def test_the_deadline_is_not_before_the_assignment() -> None:
    with rejects("date_before"):
        SupervisionItem.assign(
            prov(date(2026, 5, 1)), title="t", description="", campaign_id=None,
            assignee=world().general_branch, due_on=date(2026, 4, 1),
        )  # fmt: skip


def test_a_step_dated_before_the_previous_one_is_refused_also_after_replay() -> None:
    i = item()  # assigned on the launch day
    i.acknowledge(prov(date(2026, 5, 10)))
    before = unchanged(i)
    with rejects("step_before_previous"):
        i.start(prov(date(2026, 5, 9)))
    with rejects("step_before_previous"):
        i.urge(prov(date(2026, 5, 9)), message="催办")
    assert unchanged(i) == before
    replayed = None
    for e in i.collect_events():  # as the store rebuilds it
        replayed = e.mutate(replayed)
    assert isinstance(replayed, SupervisionItem)
    with rejects("step_before_previous"):
        replayed.start(prov(date(2026, 5, 9)))
    replayed.start(prov(date(2026, 5, 10)))  # the same day is in order
    assert replayed.status == S.IN_PROGRESS


def test_a_deadline_more_than_three_years_after_the_assignment_is_refused() -> None:
    """9999-12-31 was once accepted and stopped every read model (its day-after step could
    not be computed); a deadline is now within three years of the item's assignment."""
    latest = latest_deadline(LAUNCH)
    with rejects("deadline_too_far"):
        SupervisionItem.assign(
            prov(), title="t", description="", campaign_id=None,
            assignee=world().general_branch, due_on=latest + timedelta(days=1),
        )  # fmt: skip
    i = at(S.IN_PROGRESS)
    before = unchanged(i)
    with rejects("deadline_too_far"):
        i.request_extension(prov(), requested_due_on=date(2099, 12, 31), reason="慢慢来")
    assert unchanged(i) == before
    i.request_extension(prov(), requested_due_on=latest, reason="施工延误")  # the last day is in
    assert i.pending_extension == {"requested_due_on": latest, "reason": "施工延误"}


@pytest.mark.parametrize(
    ("assigned_on", "latest"),
    [
        (date(2026, 11, 29), date(2029, 11, 29)),  # not 2029-12-01 (3 × 366 days)
        (date(2028, 2, 29), date(2031, 2, 28)),  # no 29 February then: the month's last day
        (date(2027, 3, 1), date(2030, 3, 1)),
    ],
)
def test_three_years_are_calendar_years_from_the_day_assigned(
    assigned_on: date, latest: date
) -> None:
    assert latest_deadline(assigned_on) == latest


def test_the_refusals_say_why_an_extension_or_an_urging_does_not_fit() -> None:
    with pytest.raises(DomainError) as caught:
        at(S.ACKNOWLEDGED).request_extension(
            prov(), requested_due_on=date(2027, 3, 31), reason="需协调"
        )
    assert caught.value.code == "transition_not_allowed"
    assert "请先开始办理" in caught.value.message_zh
    with pytest.raises(DomainError) as caught:
        at(S.REPORTED).urge(prov(), message="请尽快")
    assert "已反馈办理结果，正待审核" in caught.value.message_zh
    assert caught.value.message_en.endswith("awaits review")


@pytest.mark.parametrize(
    ("assigned_by", "reviewers"),
    [
        ("county:县委组织部", {"county"}),
        ("street:城关街道党工委", {"county", "street"}),
        ("test:county-admin", {"county"}),  # a role the ranks do not know: the strictest
    ],
)
def test_only_the_assigning_level_or_above_may_review_also_after_replay(
    assigned_by: str, reviewers: set[str]
) -> None:
    i = SupervisionItem.assign(
        prov(actor=assigned_by), title="t", description="", campaign_id=None,
        assignee=world().general_branch, due_on=DUE,
    )  # fmt: skip
    replayed = None
    for e in i.collect_events():
        replayed = e.mutate(replayed)
    assert isinstance(replayed, SupervisionItem)
    for item_ in (i, replayed):
        allowed = {r for r in ("county", "street", "community", "client") if item_.reviewable_by(r)}
        assert allowed == reviewers


def test_a_snapshot_from_before_the_assigner_was_kept_is_read_as_the_county_s() -> None:
    state: dict[str, object] = {}
    SupervisionItem.upcast_v1_v2(state)
    assert state == {"assigned_by_role": "county"}
