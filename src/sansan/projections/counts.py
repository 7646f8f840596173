"""The board's per-community counts of the member rules, kept by the projector.

Per community, how many members hold a category and that many fitting cards
(``community_cards``), and how many trained that many days in a year
(``community_training``): histograms, so that the rules' thresholds (the cards a category
needs, the plan's ``min_days``) apply when the board is asked, in work proportional to the
communities, not to the members. Each member's own row (``member_standings``) holds what its
place in them was worked out from, so that a training, a card, a category change or a
transfer moves the member from its old bucket to its new one.

What the counts hold: every member registered and not transferred out, with its latest
category (by day, then log position), every card and every training recorded. A day asked
of them is exact when nothing is dated after it; ``compliance`` checks that.

For a past day the same counts are kept dated (``community_cards_on``,
``community_training_on``): each member's buckets over time (its timeline, worked out from
its dated rows: registered, categories, cards' first days, trainings, transferred out) as
+1 on the day it enters a bucket and -1 on the day it leaves; a change to a member takes its
old timeline out and puts the new one in, so a change recorded late for a past day moves the
counts from that day on.
"""

import json
from typing import Any

from sansan.domain.vocabulary import CARDS_FOR_CATEGORY
from sansan.projections.batch import Batch, Row

FITTING: dict[str, frozenset[str]] = {
    category.value: frozenset(card.value for card in cards)
    for category, cards in CARDS_FOR_CATEGORY.items()
}


def _fitting(category: str, cards: list[str]) -> int:
    fits = FITTING.get(category, frozenset())
    return sum(1 for card in cards if card in fits)


def _move(b: Batch, table: Any, key: dict[str, Any], by: int) -> None:
    b.add(table, key | {"members": by})


def _cards_bucket(b: Batch, s: Row, by: int) -> None:
    key = {"community_id": s["community_id"], "category": s["category"], "cards": s["fitting"]}
    _move(b, b.t.community_cards, key, by)


def _training_bucket(b: Batch, s: Row, year: str, days: float, by: int) -> None:
    key = {"community_id": s["community_id"], "year": int(year), "days": days}
    _move(b, b.t.community_training, key, by)


def _cards_timeline(s: Row) -> list[tuple[str, str, int]]:
    """(day, category, fitting cards) from each day on which the member's standing changes,
    from its registration to its transfer out (then it leaves, on ``transferred_on``)."""
    registered, gone = s["registered_on"], s["transferred_on"]
    categories = sorted((d, p, c) for d, p, c in json.loads(s["categories"]))
    card_days: dict[str, str] = json.loads(s["card_days"])
    days = sorted({registered, *(d for d, _, _ in categories), *card_days.values()})
    timeline: list[tuple[str, str, int]] = []
    for day in days:
        if day < registered or (gone is not None and day >= gone):
            continue
        held = [c for d, _, c in categories if d <= day]
        if not held:
            continue
        fits = FITTING.get(held[-1], frozenset())
        k = sum(1 for card, d in card_days.items() if d <= day and card in fits)
        if not timeline or timeline[-1][1:] != (held[-1], k):
            timeline.append((day, held[-1], k))
    return timeline


def _training_timeline(s: Row) -> list[tuple[int, str, float]]:
    """(year, day, days so far in the year) from each day the member's sum for a year grows,
    counted from its registration (a training dated earlier counts from then) until its
    transfer out."""
    registered, gone = s["registered_on"], s["transferred_on"]
    sums: dict[int, float] = {}
    timeline: list[tuple[int, str, float]] = []
    for day, days in sorted(json.loads(s["training_days"]).items()):
        year = int(day[:4])
        sums[year] = sums.get(year, 0) + days
        on = max(day, registered)
        if gone is not None and on >= gone:
            continue
        if timeline and timeline[-1][:2] == (year, on):
            timeline[-1] = (year, on, sums[year])
        else:
            timeline.append((year, on, sums[year]))
    return timeline


def _dated(b: Batch, s: Row, by: int) -> None:
    """The member's timeline into the dated counts (``by`` +1), or out of them (-1)."""
    community, gone = s["community_id"], s["transferred_on"]
    cards = _cards_timeline(s)
    for (day, cat, k), nxt in zip(cards, [*(t[0] for t in cards[1:]), gone], strict=True):
        key = {"community_id": community, "category": cat, "cards": k}
        _move(b, b.t.community_cards_on, key | {"occurred_on": day}, by)
        if nxt is not None:
            _move(b, b.t.community_cards_on, key | {"occurred_on": nxt}, -by)
    training = _training_timeline(s)
    for i, (year, day, days) in enumerate(training):
        later = [d for y, d, _ in training[i + 1 :] if y == year]
        nxt = later[0] if later else gone
        key = {"community_id": community, "year": year, "days": days}
        _move(b, b.t.community_training_on, key | {"occurred_on": day}, by)
        if nxt is not None:
            _move(b, b.t.community_training_on, key | {"occurred_on": nxt}, -by)


def _change(b: Batch, s: Row, **values: Any) -> None:
    """Change the member's row, moving its dated counts from the old timeline to the new."""
    _dated(b, s, -1)
    b.update(b.t.member_standings, s["member_id"], **values)
    _dated(b, s, +1)


def category(b: Batch, member: str, category: str, on: str, position: int) -> None:
    """A member's category from ``on`` (its registration's, or a change): the first one
    counts the member in; a later one (by day, then position) moves it to the new category's
    bucket with the cards it holds that fit it; an earlier-dated one changes nothing here."""
    s = b.row(b.t.member_standings, member)
    if s is None:
        registered = b.row(b.t.members, member)
        if registered is None:  # a category for no registered member: nothing to count
            return
        b.insert(b.t.member_standings, s := {
            "member_id": member, "community_id": registered["community_id"],
            "category": category, "category_on": on, "category_position": position,
            "cards": "[]", "fitting": 0, "training": "{}", "counted": True,
            "registered_on": registered["registered_on"], "transferred_on": None,
            "categories": json.dumps([[on, position, category]]), "card_days": "{}",
            "training_days": "{}",
        })  # fmt: skip
        _cards_bucket(b, s, +1)
        _dated(b, s, +1)
        return
    rows = [*json.loads(s["categories"]), [on, position, category]]
    _change(b, s, categories=json.dumps(rows))
    if (on, position) < (s["category_on"], s["category_position"]):
        return
    if s["counted"]:
        _cards_bucket(b, s, -1)
    fitting = _fitting(category, json.loads(s["cards"]))
    b.update(b.t.member_standings, member, category=category, category_on=on,
             category_position=position, fitting=fitting)  # fmt: skip
    if s["counted"]:
        _cards_bucket(b, s, +1)


def card(b: Batch, member: str, card: str, on: str) -> None:
    """A card issued: held once however often it is issued; counted if it fits the category."""
    s = b.row(b.t.member_standings, member)
    if s is None:
        return
    first: dict[str, str] = json.loads(s["card_days"])
    if card not in first or on < first[card]:
        _change(b, s, card_days=json.dumps(first | {card: on}, sort_keys=True))
    cards = json.loads(s["cards"])
    if card in cards:
        return
    cards.append(card)
    fits = card in FITTING.get(s["category"], frozenset())
    if fits and s["counted"]:
        _cards_bucket(b, s, -1)
    b.update(b.t.member_standings, member, cards=json.dumps(sorted(cards)),
             fitting=s["fitting"] + fits)  # fmt: skip
    if fits and s["counted"]:
        _cards_bucket(b, s, +1)


def training(b: Batch, member: str, on: str, days: float) -> None:
    """A training of ``days`` in ``year`` (recorded on time or late): the member moves from
    its year's old bucket (none before its first training of the year) to the new sum."""
    s = b.row(b.t.member_standings, member)
    if s is None:
        return
    by_day: dict[str, float] = json.loads(s["training_days"])
    by_day[on] = by_day.get(on, 0) + days
    _change(b, s, training_days=json.dumps(by_day, sort_keys=True))
    by_year: dict[str, float] = json.loads(s["training"])
    key = on[:4]
    before = by_year.get(key)
    by_year[key] = (before or 0) + days
    if s["counted"]:
        if before is not None:
            _training_bucket(b, s, key, before, -1)
        _training_bucket(b, s, key, by_year[key], +1)
    b.update(b.t.member_standings, member, training=json.dumps(by_year, sort_keys=True))


def transferred_out(b: Batch, member: str, on: str) -> None:
    """A member transferred out leaves every count (the day asked is checked against the
    transfer's day when the board is asked), and the dated ones on its day."""
    s = b.row(b.t.member_standings, member)
    if s is None or not s["counted"]:
        return
    _change(b, s, transferred_on=on)
    _cards_bucket(b, s, -1)
    for year, days in json.loads(s["training"]).items():
        _training_bucket(b, s, year, days, -1)
    b.update(b.t.member_standings, member, counted=False)
