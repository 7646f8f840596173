"""The read-model tables, plain SQL that both SQLite and PostgreSQL accept."""

import re

from sansan.projections.store import META, ReadStore

PROJECTION_NAME = "read_models"
# Bump when the projector or the tables change: the next start rebuilds beside the old ones.
PROJECTION_VERSION = 8

DDL = [
    """CREATE TABLE IF NOT EXISTS rm_tracking (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL,
        updated_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS rm_organizations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        level TEXT NOT NULL,
        parent_id TEXT,
        community_id TEXT,
        path TEXT NOT NULL,
        established_on TEXT NOT NULL,
        version BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS rm_organizations_parent ON rm_organizations (parent_id)",
    "CREATE INDEX IF NOT EXISTS rm_organizations_path ON rm_organizations (path)",
    """CREATE TABLE IF NOT EXISTS rm_communities (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        street_committee_id TEXT NOT NULL,
        street_name TEXT,
        origin TEXT NOT NULL,
        model_type TEXT,
        general_branch_id TEXT,
        office_area_m2 DOUBLE PRECISION,
        venue_area_m2 DOUBLE PRECISION,
        began_on TEXT NOT NULL,
        version BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS rm_communities_street ON rm_communities (street_committee_id)",
    """CREATE TABLE IF NOT EXISTS rm_members (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        organization_id TEXT NOT NULL,
        community_id TEXT NOT NULL,
        registered_on TEXT NOT NULL,
        transferred_out_on TEXT,
        version BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS rm_members_org ON rm_members (organization_id)",
    "CREATE INDEX IF NOT EXISTS rm_members_community ON rm_members (community_id, category)",
    """CREATE TABLE IF NOT EXISTS rm_campaigns (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        plan_id TEXT NOT NULL,
        county TEXT NOT NULL,
        launch_date TEXT NOT NULL,
        version BIGINT NOT NULL,
        plan_sha256 TEXT,
        plan_content TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS rm_supervision_items (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        campaign_id TEXT,
        assignee_org_id TEXT NOT NULL,
        community_id TEXT,
        due_on TEXT NOT NULL,
        status TEXT NOT NULL,
        urge_count BIGINT NOT NULL,
        version BIGINT NOT NULL
    )""",
    # Dated facts the compliance engine counts, so that any past as_of can be evaluated.
    """CREATE TABLE IF NOT EXISTS rm_facts (
        position BIGINT NOT NULL,
        seq INTEGER NOT NULL,
        subject_id TEXT NOT NULL,
        community_id TEXT,
        fact TEXT NOT NULL,
        item TEXT,
        num DOUBLE PRECISION,
        occurred_on TEXT NOT NULL,
        recorded_on TEXT,
        recorded_at TEXT,
        PRIMARY KEY (position, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS rm_facts_by_fact ON rm_facts (fact, community_id, occurred_on)",
    "CREATE INDEX IF NOT EXISTS rm_facts_by_subject ON rm_facts (subject_id, fact, occurred_on)",
    """CREATE TABLE IF NOT EXISTS rm_team_members (
        team_member_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        community_id TEXT,
        person_name TEXT NOT NULL,
        birth_year INTEGER NOT NULL,
        birth_date TEXT,
        education TEXT NOT NULL,
        party_affairs_worker BOOLEAN NOT NULL,
        newly_appointed BOOLEAN NOT NULL,
        joined_on TEXT NOT NULL,
        left_on TEXT
    )""",
    # The roster of community workers (社区工作人员), judged for the three insurances.
    """CREATE TABLE IF NOT EXISTS rm_community_workers (
        worker_id TEXT PRIMARY KEY,
        community_id TEXT NOT NULL,
        worker_name TEXT NOT NULL,
        role TEXT NOT NULL,
        joined_on TEXT NOT NULL,
        left_on TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS rm_community_workers_c ON rm_community_workers (community_id)",
    """CREATE TABLE IF NOT EXISTS rm_deadlines (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        campaign_id TEXT,
        plan_id TEXT,
        target_id TEXT,
        subject_id TEXT,
        due_on TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS rm_deadline_steps (
        deadline_id TEXT NOT NULL,
        lead_days INTEGER NOT NULL,
        fire_on TEXT NOT NULL,
        done BOOLEAN NOT NULL,
        PRIMARY KEY (deadline_id, lead_days)
    )""",
    "CREATE INDEX IF NOT EXISTS rm_deadline_steps_due ON rm_deadline_steps (done, fire_on)",
    """CREATE TABLE IF NOT EXISTS rm_notifications (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        message_zh TEXT NOT NULL,
        target_id TEXT,
        unit_id TEXT,
        unit_name TEXT NOT NULL,
        community_id TEXT,
        addressees TEXT NOT NULL,
        due_on TEXT NOT NULL,
        late BOOLEAN NOT NULL,
        recorded_at TEXT NOT NULL,
        acknowledged_by TEXT,
        acknowledged_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS rm_notices_at ON rm_notifications (community_id, recorded_at)",
    # A yearly target's verdict, as the scheduler recorded it (compliance reads when).
    "CREATE INDEX IF NOT EXISTS rm_notices_verdict ON rm_notifications (target_id, due_on)",
    # Each addressee's own acknowledgement; rm_notifications.acknowledged_at is set once all have.
    """CREATE TABLE IF NOT EXISTS rm_notification_acks (
        notification_id TEXT NOT NULL,
        addressee TEXT NOT NULL,
        acknowledged_by TEXT NOT NULL,
        acknowledged_at TEXT NOT NULL,
        PRIMARY KEY (notification_id, addressee)
    )""",
    # Operational state of webhook deliveries: after a rebuild everything is delivered again
    # (at least once), under the same delivery ids, so receivers de-duplicate.
    """CREATE TABLE IF NOT EXISTS rm_deliveries (
        id TEXT PRIMARY KEY,
        notification_id TEXT NOT NULL,
        url TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TEXT NOT NULL,
        delivered_at TEXT,
        last_error TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS rm_audit (
        position BIGINT PRIMARY KEY,
        aggregate_id TEXT NOT NULL,
        aggregate_type TEXT NOT NULL,
        event_type TEXT NOT NULL,
        version BIGINT NOT NULL,
        actor TEXT NOT NULL,
        occurred_on TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        community_id TEXT,
        street_id TEXT,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS rm_audit_aggregate ON rm_audit (aggregate_id, position)",
    "CREATE INDEX IF NOT EXISTS rm_audit_actor ON rm_audit (actor, position)",
    "CREATE INDEX IF NOT EXISTS rm_audit_type ON rm_audit (event_type, position)",
    "CREATE INDEX IF NOT EXISTS rm_audit_community ON rm_audit (community_id, position)",
]


TABLES = [m.group(1) for s in DDL if (m := re.match(r"CREATE TABLE IF NOT EXISTS (rm_\w+)", s))]


def ensure_meta(store: ReadStore) -> None:
    # Write-locked from the start: a SQLite transaction that reads first and writes later
    # can wait on another writer that will not let go.
    with store.transaction(lock=True, generation=1, pointer=False) as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META} (id INTEGER PRIMARY KEY,"
            " generation INTEGER NOT NULL, projection_version INTEGER NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {META} (id, generation, projection_version) VALUES (1, 1, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (PROJECTION_VERSION,),
        )


def read_meta(store: ReadStore) -> tuple[int, int]:
    """(live generation, the projection version it was built by)."""
    with store.transaction(generation=1) as cursor:
        row = cursor.execute(
            f"SELECT generation, projection_version FROM {META} WHERE id = 1"
        ).fetchone()
    return int(row[0]), int(row[1])


def create_tables(store: ReadStore, generation: int | None = None) -> None:
    ensure_meta(store)
    with store.transaction(lock=True, generation=generation) as cursor:
        for statement in DDL:
            cursor.execute(statement)
        cursor.execute(
            "INSERT INTO rm_tracking (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING",
            (PROJECTION_NAME,),
        )


def drop_tables(store: ReadStore, generation: int) -> None:
    with store.transaction(lock=True, generation=generation) as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
