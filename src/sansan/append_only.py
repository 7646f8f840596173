"""The record is append-only at the database: triggers refuse changes to it, and the
service's own role is granted no more than reading and appending it.

"The record" is the event log and the audit chain beside it. Snapshots and read
models are derived from the log, so they stay writable (and owned by the service).
"""

import psycopg
from psycopg import sql
from sqlalchemy import DDL, MetaData, Table

from sansan.application import SansanApplication
from sansan.audit.chain import CHAIN_TABLES
from sansan.persistence import is_postgres, parse_postgres_url
from sansan.projections.sql import DIALECTS
from sansan.projections.store import ReadStore
from sansan.settings import Settings

REFUSAL = "sansan: the audit record is append-only"


def record_tables(app: SansanApplication) -> list[str]:
    return [app.recorder.events_table_name, *CHAIN_TABLES]  # type: ignore[attr-defined]


# DDL takes no bound parameters: the message is written out here, and the tables' names
# are quoted by the dialect (``%(table)s`` of a DDL against a table).
_REFUSE_CHANGE = DDL(
    "CREATE OR REPLACE FUNCTION sansan_refuse_change() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION"
    " 'sansan: the audit record is append-only: %% on %% refused', TG_OP, TG_TABLE_NAME"
    " USING ERRCODE = 'insufficient_privilege'; END $$"
)
_POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE TRIGGER sansan_append_only BEFORE UPDATE OR DELETE ON %(table)s"
    " FOR EACH ROW EXECUTE FUNCTION sansan_refuse_change()",
    "CREATE OR REPLACE TRIGGER sansan_no_truncate BEFORE TRUNCATE ON %(table)s"
    " FOR EACH STATEMENT EXECUTE FUNCTION sansan_refuse_change()",
)
# SQLite has no TRUNCATE: its "DELETE FROM t" fires the delete trigger like any delete.
_SQLITE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS %(trigger)s BEFORE %(operation)s ON %(table)s"
    " BEGIN SELECT RAISE(ABORT, 'sansan: the audit record is append-only'); END"
)


def protect_record(app: SansanApplication, store: ReadStore) -> None:
    """Install the triggers (idempotent; run under the migration lock)."""
    with store.transaction(lock=True, generation=1, pointer=False) as c:
        if store.dialect == "postgres":
            c.execute(_REFUSE_CHANGE)
        for table in record_tables(app):
            for statement in _trigger_statements(store.dialect, Table(table, MetaData())):
                c.execute(statement)


def _trigger_statements(dialect: str, table: Table) -> list[DDL]:
    if dialect == "postgres":
        return [DDL(statement).against(table) for statement in _POSTGRES_TRIGGERS]
    quote = DIALECTS[dialect].identifier_preparer.quote
    return [
        DDL(
            _SQLITE_TRIGGER,
            context={"trigger": quote(f"sansan_{table.name}_no_{op.lower()}"), "operation": op},
        ).against(table)
        for op in ("UPDATE", "DELETE")
    ]


def grant_service_role(settings: Settings, app: SansanApplication, role: str) -> None:
    """Let ``role`` run the service: read and append the record, own what is derived.

    Run by the owner of the tables (``sansan migrate --service-role``). The service role
    gets SELECT and INSERT on the record and nothing else there; it owns snapshots and
    read models because it drops and recreates them in a rebuild.
    """
    if not is_postgres(settings):
        raise ValueError("roles exist on PostgreSQL only; a SQLite file has no users")
    target = parse_postgres_url(settings.database_url)
    record = set(record_tables(app))
    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        schema, who = sql.Identifier(target.schema), sql.Identifier(role)
        tables = [
            name for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (target.schema,)
            )
        ]  # fmt: skip
        statements = [sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(schema, who)]
        for name in tables:
            table = sql.Identifier(target.schema, name)
            if name in record:
                statements += [
                    sql.SQL("REVOKE ALL ON {} FROM {}").format(table, who),
                    sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(table, who),
                ]
            else:
                statements.append(sql.SQL("ALTER TABLE {} OWNER TO {}").format(table, who))
        statements.append(
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, who)
        )
        with conn.transaction():
            for statement in statements:
                conn.execute(statement)
