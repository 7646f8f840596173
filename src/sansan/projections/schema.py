"""The read-model tables, declared once with SQLAlchemy Core.

A rebuild fills generation N+1 beside the live generation N, so every generation has a
``MetaData`` of its own whose table (and index) names carry the generation's prefix:
``rm_members`` for the first, ``rm2_members`` for the second. Statements take their
tables from ``read_model(generation)`` and never name a table in a string.
"""

from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

# The generation pointer lives outside every generation.
META = "sansan_projection_meta"
_meta_metadata = MetaData()
projection_meta = Table(
    META,
    _meta_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", Integer, nullable=False),
    Column("projection_version", Integer, nullable=False),
)


def prefix_of(generation: int) -> str:
    return "rm_" if generation == 1 else f"rm{generation}_"


def _text(name: str, *, nullable: bool = True, primary_key: bool = False) -> Column[str]:
    return Column(name, Text, nullable=nullable and not primary_key, primary_key=primary_key)


def _required(name: str) -> Column[str]:
    return _text(name, nullable=False)


def _big(name: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, BigInteger, nullable=nullable)


def _int(name: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, Integer, nullable=nullable)


def _flag(name: str) -> Column[bool]:
    return Column(name, Boolean, nullable=False)


def _number(name: str) -> Column[float]:
    return Column(name, Double, nullable=True)


@dataclass(frozen=True)
class ReadModel:
    """One generation's tables."""

    generation: int
    metadata: MetaData
    tracking: Table
    organizations: Table
    communities: Table
    members: Table
    campaigns: Table
    supervision_items: Table
    facts: Table
    member_training_days: Table
    member_training_years: Table
    member_categories: Table
    member_cards: Table
    member_standings: Table
    community_cards: Table
    community_training: Table
    community_cards_on: Table
    community_training_on: Table
    team_members: Table
    community_workers: Table
    deadlines: Table
    deadline_steps: Table
    notifications: Table
    notification_acks: Table
    deliveries: Table
    audit: Table
    audit_places: Table

    @property
    def tables(self) -> list[Table]:
        found = (getattr(self, f.name) for f in fields(self))
        return [t for t in found if isinstance(t, Table)]


@cache
def read_model(generation: int) -> ReadModel:
    p = prefix_of(generation)
    md = MetaData()

    def table(name: str, *columns: Column[Any] | PrimaryKeyConstraint) -> Table:
        return Table(f"{p}{name}", md, *columns)

    def index(name: str, t: Table, *columns: str) -> None:
        Index(f"{p}{name}", *(t.c[c] for c in columns))

    tracking = table(
        "tracking", _text("name", primary_key=True), _big("position"), _text("updated_at")
    )
    organizations = table(
        "organizations",
        _text("id", primary_key=True),
        _required("name"),
        _required("level"),
        _text("parent_id"),
        _text("community_id"),
        _required("path"),
        _required("established_on"),
        _big("version"),
    )
    index("organizations_parent", organizations, "parent_id")
    index("organizations_path", organizations, "path")
    communities = table(
        "communities",
        _text("id", primary_key=True),
        _required("name"),
        _required("street_committee_id"),
        _text("street_name"),
        _required("origin"),
        _text("model_type"),
        _text("general_branch_id"),
        _number("office_area_m2"),
        _number("venue_area_m2"),
        _required("began_on"),
        _big("version"),
    )
    index("communities_street", communities, "street_committee_id")
    members = table(
        "members",
        _text("id", primary_key=True),
        _required("name"),
        _required("category"),
        _required("organization_id"),
        _required("community_id"),
        _required("registered_on"),
        _text("transferred_out_on"),
        _big("version"),
    )
    index("members_org", members, "organization_id")
    index("members_community", members, "community_id", "category")
    # Whether anyone registered, or transferred out, after a day (the board's counts hold
    # everyone registered and not transferred out: a later day asked of them is exact only then).
    index("members_registered", members, "registered_on")
    index("members_transferred", members, "transferred_out_on")
    campaigns = table(
        "campaigns",
        _text("id", primary_key=True),
        _required("name"),
        _required("plan_id"),
        _required("county"),
        _required("launch_date"),
        _big("version"),
        _text("plan_sha256"),
        _text("plan_content"),
    )
    supervision_items = table(
        "supervision_items",
        _text("id", primary_key=True),
        _required("title"),
        _text("campaign_id"),
        _required("assignee_org_id"),
        _text("community_id"),
        _required("due_on"),
        _required("status"),
        _text("status_on"),  # the day of the last status change (an item's finishing day)
        _text("assigned_by_role"),  # whose level reviews it (county or street)
        _big("urge_count"),
        _big("version"),
    )
    # Dated facts the compliance engine counts, so that any past as_of can be evaluated.
    facts = table(
        "facts",
        _big("position"),
        _int("seq"),
        _required("subject_id"),
        _text("community_id"),
        _required("fact"),
        _text("item"),
        _number("num"),
        _required("occurred_on"),
        _text("recorded_on"),
        _text("recorded_at"),
        PrimaryKeyConstraint("position", "seq"),
    )
    index("facts_by_fact", facts, "fact", "community_id", "occurred_on")
    index("facts_by_subject", facts, "subject_id", "fact", "occurred_on")
    # Maintained standings of the member-training rule: the days a member's trainings add up
    # to, per day (a past day sums the rows up to it) and per year (today reads one row per
    # member instead of grouping every training fact).
    member_training_days = table(
        "member_training_days",
        _required("member_id"),
        _required("occurred_on"),
        _number("days"),
        PrimaryKeyConstraint("member_id", "occurred_on"),
    )
    # Whether any training of a year lies after the asked day (then the year's sum is not it).
    index("member_training_days_on", member_training_days, "occurred_on")
    member_training_years = table(
        "member_training_years",
        _required("member_id"),
        _int("year"),
        _number("days"),
        PrimaryKeyConstraint("member_id", "year"),
    )
    # Standings of the cards rule: a member's categories by the day they took effect (the
    # latest by the day is the category then; ties go to the later event) and the days its
    # cards were issued on, so that a day's figures are range lookups on two narrow tables
    # instead of two probes per member into every fact.
    member_categories = table(
        "member_categories",
        _required("member_id"),
        _required("occurred_on"),
        _big("position"),
        _required("category"),
        PrimaryKeyConstraint("member_id", "occurred_on", "position"),
    )
    member_cards = table(
        "member_cards",
        _required("member_id"),
        _required("card"),
        _required("occurred_on"),
        PrimaryKeyConstraint("member_id", "card", "occurred_on"),
    )
    # Whether a category or a card is dated after the day asked (then the counts below, which
    # hold each member's latest category and every card, are not that day's).
    index("member_categories_on", member_categories, "occurred_on")
    index("member_cards_on", member_cards, "occurred_on")
    # Per member, what the counts below were moved by: its category (the latest by day, then
    # log position), every card it holds (JSON list), how many fit the category, its training
    # days per year (JSON object), and whether it is counted (not transferred out).
    member_standings = table(
        "member_standings",
        _text("member_id", primary_key=True),
        _required("community_id"),
        _required("category"),
        _required("category_on"),
        _big("category_position"),
        _required("cards"),
        _int("fitting"),
        _required("training"),
        _flag("counted"),
        # What the dated counts below were worked out from: the registration and transfer
        # days, every category row ([day, position, category]), each card's first day, the
        # training days by day (JSON).
        _required("registered_on"),
        _text("transferred_on"),
        _required("categories"),
        _required("card_days"),
        _required("training_days"),
    )
    # The board's counts, per community: how many counted members hold a category and that
    # many fitting cards (every counted member is in exactly one row: the community's members),
    # and how many trained that many days in a year (no row: no training that year). The
    # rules' thresholds apply when asked, so a changed plan needs no rebuild.
    community_cards = table(
        "community_cards",
        _required("community_id"),
        _required("category"),
        _int("cards"),
        _int("members"),
        PrimaryKeyConstraint("community_id", "category", "cards"),
    )
    community_training = table(
        "community_training",
        _required("community_id"),
        _int("year"),
        Column("days", Double, nullable=False),
        _int("members"),
        PrimaryKeyConstraint("community_id", "year", "days"),
    )
    # The same counts dated, for a past day: how many members entered (+) or left (-) a
    # bucket on a day, so that a day's counts are the sums of the rows up to it. Rows are
    # per community, bucket and day, not per member.
    community_cards_on = table(
        "community_cards_on",
        _required("community_id"),
        _required("category"),
        _int("cards"),
        _required("occurred_on"),
        _int("members"),
        PrimaryKeyConstraint("community_id", "category", "cards", "occurred_on"),
    )
    community_training_on = table(
        "community_training_on",
        _required("community_id"),
        _int("year"),
        Column("days", Double, nullable=False),
        _required("occurred_on"),
        _int("members"),
        PrimaryKeyConstraint("community_id", "year", "days", "occurred_on"),
    )
    team_members = table(
        "team_members",
        _text("team_member_id", primary_key=True),
        _required("org_id"),
        _text("community_id"),
        _required("person_name"),
        _int("birth_year"),
        _text("birth_date"),
        _required("education"),
        _flag("party_affairs_worker"),
        _flag("newly_appointed"),
        _required("joined_on"),
        _text("left_on"),
    )
    # The roster of community workers (社区工作人员), judged for the three insurances.
    community_workers = table(
        "community_workers",
        _text("worker_id", primary_key=True),
        _required("community_id"),
        _required("worker_name"),
        _required("role"),
        _required("joined_on"),
        _text("left_on"),
    )
    index("community_workers_c", community_workers, "community_id")
    deadlines = table(
        "deadlines",
        _text("id", primary_key=True),
        _required("kind"),
        _text("campaign_id"),
        _text("plan_id"),
        _text("target_id"),
        _text("subject_id"),
        _required("due_on"),
    )
    deadline_steps = table(
        "deadline_steps",
        _required("deadline_id"),
        _int("lead_days"),
        _required("fire_on"),
        _flag("done"),
        PrimaryKeyConstraint("deadline_id", "lead_days"),
    )
    index("deadline_steps_due", deadline_steps, "done", "fire_on")
    notifications = table(
        "notifications",
        _text("id", primary_key=True),
        _required("kind"),
        _required("message_zh"),
        _text("target_id"),
        _text("unit_id"),
        _required("unit_name"),
        _text("community_id"),
        _required("addressees"),
        _required("due_on"),
        _flag("late"),
        _required("recorded_at"),
        _text("acknowledged_by"),
        _text("acknowledged_at"),
    )
    index("notices_at", notifications, "community_id", "recorded_at")
    # A yearly target's verdict, as the scheduler recorded it (compliance reads when).
    index("notices_verdict", notifications, "target_id", "due_on")
    # Each addressee's own acknowledgement; notifications.acknowledged_at is set once all have.
    notification_acks = table(
        "notification_acks",
        _required("notification_id"),
        _required("addressee"),
        _required("acknowledged_by"),
        _required("acknowledged_at"),
        PrimaryKeyConstraint("notification_id", "addressee"),
    )
    # Operational state of webhook deliveries: after a rebuild everything is delivered again
    # (at least once), under the same delivery ids, so receivers de-duplicate.
    deliveries = table(
        "deliveries",
        _text("id", primary_key=True),
        _required("notification_id"),
        _required("url"),
        _int("attempts"),
        _required("next_attempt_at"),
        _text("delivered_at"),
        _text("last_error"),
    )
    audit = table(
        "audit",
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        _required("aggregate_id"),
        _required("aggregate_type"),
        _required("event_type"),
        _big("version"),
        _required("actor"),
        _required("occurred_on"),
        _required("recorded_at"),
        _text("community_id"),
        _text("street_id"),
        _required("data"),
    )
    index("audit_aggregate", audit, "aggregate_id", "position")
    index("audit_actor", audit, "actor", "position")
    index("audit_type", audit, "event_type", "position")
    index("audit_community", audit, "community_id", "position")
    # Every community (and its street) whose members a read of personal data names: a
    # county-wide report's read is found under each, not only under a single community.
    audit_places = table(
        "audit_places",
        _big("position"),
        _required("community_id"),
        _text("street_id"),
        PrimaryKeyConstraint("position", "community_id"),
    )
    index("audit_places_community", audit_places, "community_id", "position")
    index("audit_places_street", audit_places, "street_id", "position")
    return ReadModel(
        generation, md, tracking, organizations, communities, members, campaigns,
        supervision_items, facts, member_training_days, member_training_years,
        member_categories, member_cards, member_standings, community_cards,
        community_training, community_cards_on, community_training_on, team_members,
        community_workers, deadlines, deadline_steps, notifications, notification_acks,
        deliveries, audit, audit_places,
    )  # fmt: skip
