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

Kept cheap per batch: a member's row is decoded the first time the batch touches it and
encoded once when the batch is flushed; its place in the counts is taken out as it was then
and put in as it is at the flush, so the batch writes only the net change per community,
bucket and day (a member entering and leaving a bucket in one batch writes nothing), one
statement per table.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from sansan.domain.vocabulary import CARDS_FOR_CATEGORY
from sansan.projections.batch import Batch, Row, key_columns
from sansan.projections.jsontext import json_text

FITTING: dict[str, frozenset[str]] = {
    category.value: frozenset(card.value for card in cards)
    for category, cards in CARDS_FOR_CATEGORY.items()
}
# A standing's columns as ``json.dumps`` writes them (plain, or with sorted keys).
_JSON, _SORTED_JSON = json_text(), json_text(sort_keys=True)


@dataclass
class Standing:
    """A member's row of ``member_standings``, decoded."""

    member_id: str
    community_id: str
    category: str
    category_on: str
    category_position: int
    registered_on: str
    transferred_on: str | None = None
    counted: bool = True
    cards: set[str] = field(default_factory=set)
    training: dict[str, float] = field(default_factory=dict)  # days by year ("2028")
    categories: list[tuple[str, int, str]] = field(default_factory=list)  # (day, position, …)
    card_days: dict[str, str] = field(default_factory=dict)  # each card's first day
    training_days: dict[str, float] = field(default_factory=dict)  # days by day

    @classmethod
    def decode(cls, row: Row) -> "Standing":
        return cls(
            member_id=row["member_id"], community_id=row["community_id"],
            category=row["category"], category_on=row["category_on"],
            category_position=int(row["category_position"]),
            registered_on=row["registered_on"], transferred_on=row["transferred_on"],
            counted=bool(row["counted"]), cards=set(json.loads(row["cards"])),
            training=json.loads(row["training"]),
            categories=[(d, int(p), c) for d, p, c in json.loads(row["categories"])],
            card_days=json.loads(row["card_days"]), training_days=json.loads(row["training_days"]),
        )  # fmt: skip

    def encode(self) -> Row:
        return {
            "member_id": self.member_id, "community_id": self.community_id,
            "category": self.category, "category_on": self.category_on,
            "category_position": self.category_position, "cards": _JSON(sorted(self.cards)),
            "fitting": self.fitting(), "training": _SORTED_JSON(self.training),
            "counted": self.counted, "registered_on": self.registered_on,
            "transferred_on": self.transferred_on,
            "categories": _JSON([list(c) for c in self.categories]),
            "card_days": _SORTED_JSON(self.card_days),
            "training_days": _SORTED_JSON(self.training_days),
        }  # fmt: skip

    def fitting(self) -> int:
        fits = FITTING.get(self.category, frozenset())
        return sum(1 for card in self.cards if card in fits)


# A bucket's key (the count tables' key columns but ``members``, in order) → members in it.
Counts = dict[str, Counter[tuple[Any, ...]]]


def _cards_timeline(s: Standing) -> list[tuple[str, str, int]]:
    """(day, category, fitting cards) from each day on which the member's standing changes,
    from its registration to its transfer out (then it leaves, on ``transferred_on``)."""
    registered, gone = s.registered_on, s.transferred_on
    categories = sorted(s.categories)
    days = sorted({registered, *(d for d, _, _ in categories), *s.card_days.values()})
    timeline: list[tuple[str, str, int]] = []
    for day in days:
        if day < registered or (gone is not None and day >= gone):
            continue
        held = [c for d, _, c in categories if d <= day]
        if not held:
            continue
        fits = FITTING.get(held[-1], frozenset())
        k = sum(1 for card, d in s.card_days.items() if d <= day and card in fits)
        if not timeline or timeline[-1][1:] != (held[-1], k):
            timeline.append((day, held[-1], k))
    return timeline


def _training_timeline(s: Standing) -> list[tuple[int, str, float]]:
    """(year, day, days so far in the year) from each day the member's sum for a year grows,
    counted from its registration (a training dated earlier counts from then) until its
    transfer out."""
    registered, gone = s.registered_on, s.transferred_on
    sums: dict[int, float] = {}
    timeline: list[tuple[int, str, float]] = []
    for day, days in sorted(s.training_days.items()):
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


def _place(s: Standing, into: Counts, by: int) -> None:
    """The member's place in every count (``by`` +1 puts it in, -1 takes it out): today's
    buckets while it is counted, and its timeline's dated rows (+1 on the day it enters a
    bucket, -1 on the day it leaves it)."""
    community, gone = s.community_id, s.transferred_on
    if s.counted:
        into["community_cards"][(community, s.category, s.fitting())] += by
        for in_year, days in s.training.items():
            into["community_training"][(community, int(in_year), days)] += by
    cards = _cards_timeline(s)
    dated = into["community_cards_on"]
    for (day, cat, k), nxt in zip(cards, [*(t[0] for t in cards[1:]), gone], strict=True):
        dated[(community, cat, k, day)] += by
        if nxt is not None:
            dated[(community, cat, k, nxt)] -= by
    training = _training_timeline(s)
    dated = into["community_training_on"]
    for i, (year, day, days) in enumerate(training):
        later = [d for y, d, _ in training[i + 1 :] if y == year]
        nxt = later[0] if later else gone
        dated[(community, year, days, day)] += by
        if nxt is not None:
            dated[(community, year, days, nxt)] -= by


class Standings:
    """The members the batch touched, decoded, and the counts' net change so far: each
    member's place as it was is taken out when first touched, its place as it is put in when
    the batch is flushed (``write``)."""

    def __init__(self) -> None:
        self.members: dict[str, Standing] = {}
        self.stored: dict[str, Row] = {}  # the rows as read (members already in the table)
        self.change: Counts = {
            name: Counter()
            for name in ("community_cards", "community_training", "community_cards_on",
                         "community_training_on")
        }  # fmt: skip

    def get(self, b: Batch, member: str) -> Standing | None:
        found = self.members.get(member)
        if found is None:
            row = b.row(b.t.member_standings, member)
            if row is None:
                return None
            found = self.members[member] = Standing.decode(row)
            self.stored[member] = row
            _place(found, self.change, -1)
        return found

    def add(self, s: Standing) -> None:
        """A member new to the counts (its place as it was: none)."""
        self.members[s.member_id] = s

    def write(self, b: Batch) -> None:
        """Each touched member's row, once (new: an insert; changed: one update of every
        column, so the batch sends the members' updates as one statement), and the counts'
        net change: a bucket and day whose change nets to nothing is not written, and one
        left at no members is deleted (rows at zero would depend on where the batches fell)."""
        table = b.t.member_standings
        for member, s in self.members.items():
            _place(s, self.change, +1)
            row, stored = s.encode(), self.stored.get(member)
            if stored is None:
                b.insert(table, row)
            elif any(stored[name] != value for name, value in row.items()):
                b.update(table, member, **{k: v for k, v in row.items() if k != "member_id"})
        for name, change in self.change.items():
            counts: Table = getattr(b.t, name)
            keys = key_columns(counts)
            if name in _LEVELS:
                b.never_negative(counts)
            for key, by in change.items():
                if by:
                    row = dict(zip(keys, key, strict=True)) | {"members": by}
                    b.add(counts, row, drop_at="members")


# Today's buckets hold how many members are in each (never below zero); the dated tables hold
# the +1s and -1s of each day, which may be.
_LEVELS = frozenset({"community_cards", "community_training"})


def _standings(b: Batch) -> Standings:
    return b.kept("counts", Standings)


def category(b: Batch, member: str, category: str, on: str, position: int) -> None:
    """A member's category from ``on`` (its registration's, or a change): the first one
    counts the member in; a later one (by day, then position) moves it to the new category's
    bucket with the cards it holds that fit it; an earlier-dated one changes only its
    timeline."""
    kept = _standings(b)
    s = kept.get(b, member)
    if s is None:
        registered = b.row(b.t.members, member)
        if registered is not None:  # else a category for no registered member: not counted
            kept.add(Standing(
                member_id=member, community_id=registered["community_id"], category=category,
                category_on=on, category_position=position,
                registered_on=registered["registered_on"], categories=[(on, position, category)],
            ))  # fmt: skip
        return
    s.categories.append((on, position, category))
    if (on, position) >= (s.category_on, s.category_position):
        s.category, s.category_on, s.category_position = category, on, position


def card(b: Batch, member: str, card: str, on: str) -> None:
    """A card issued: held once however often it is issued; counted if it fits the category."""
    s = _standings(b).get(b, member)
    if s is None:
        return
    if card not in s.card_days or on < s.card_days[card]:
        s.card_days[card] = on
    s.cards.add(card)


def training(b: Batch, member: str, on: str, days: float) -> None:
    """A training of ``days`` on ``on`` (recorded on time or late): its day's and its year's
    sums grow (the member moves from its year's old bucket, none before its first training
    of the year, to the new sum)."""
    s = _standings(b).get(b, member)
    if s is None:
        return
    s.training_days[on] = s.training_days.get(on, 0) + days
    year = on[:4]
    s.training[year] = s.training.get(year, 0) + days


def transferred_out(b: Batch, member: str, on: str) -> None:
    """A member transferred out leaves every count (the day asked is checked against the
    transfer's day when the board is asked), and the dated ones on its day."""
    s = _standings(b).get(b, member)
    if s is None or not s.counted:
        return
    s.transferred_on, s.counted = on, False
