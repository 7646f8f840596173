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
of them is exact when nothing is dated after it; ``compliance`` checks that and otherwise
counts member by member.
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
        })  # fmt: skip
        _cards_bucket(b, s, +1)
        return
    if (on, position) < (s["category_on"], s["category_position"]):
        return
    if s["counted"]:
        _cards_bucket(b, s, -1)
    fitting = _fitting(category, json.loads(s["cards"]))
    b.update(b.t.member_standings, member, category=category, category_on=on,
             category_position=position, fitting=fitting)  # fmt: skip
    if s["counted"]:
        _cards_bucket(b, s, +1)


def card(b: Batch, member: str, card: str) -> None:
    """A card issued: held once however often it is issued; counted if it fits the category."""
    s = b.row(b.t.member_standings, member)
    if s is None:
        return
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


def training(b: Batch, member: str, year: int, days: float) -> None:
    """A training of ``days`` in ``year`` (recorded on time or late): the member moves from
    its year's old bucket (none before its first training of the year) to the new sum."""
    s = b.row(b.t.member_standings, member)
    if s is None:
        return
    by_year: dict[str, float] = json.loads(s["training"])
    key = str(year)
    before = by_year.get(key)
    by_year[key] = (before or 0) + days
    if s["counted"]:
        if before is not None:
            _training_bucket(b, s, key, before, -1)
        _training_bucket(b, s, key, by_year[key], +1)
    b.update(b.t.member_standings, member, training=json.dumps(by_year, sort_keys=True))


def transferred_out(b: Batch, member: str) -> None:
    """A member transferred out leaves every count (the day asked is checked against the
    transfer's day when the board is asked)."""
    s = b.row(b.t.member_standings, member)
    if s is None or not s["counted"]:
        return
    _cards_bucket(b, s, -1)
    for year, days in json.loads(s["training"]).items():
        _training_bucket(b, s, year, days, -1)
    b.update(b.t.member_standings, member, counted=False)
