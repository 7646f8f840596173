"""The record cannot be changed through the database: triggers refuse UPDATE, DELETE and
TRUNCATE on the log and the chain (both backends), and on PostgreSQL the service runs as
a role that may only read and append them."""

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date

import psycopg
import pytest
from psycopg import errors, sql

from sansan.bootstrap import Services, build_services, migrate
from sansan.clock import FixedClock
from sansan.commands import examples as t
from sansan.commands import member as mc
from sansan.persistence import is_postgres, parse_postgres_url
from sansan.projections.rebuild import rebuild
from sansan.settings import Settings

ACTOR = "county:test"


def owner_statements(settings: Settings, statements: list[str]) -> list[str]:
    """Run each statement as the tables' owner; the error message of each, or 'ok'."""
    outcomes = []
    if is_postgres(settings):
        target = parse_postgres_url(settings.database_url)
        with psycopg.connect(target.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(target.schema)))
            for statement in statements:
                try:
                    conn.execute(statement)  # type: ignore[arg-type]
                    outcomes.append("ok")
                except psycopg.Error as error:
                    outcomes.append(str(error))
        return outcomes
    conn = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        for statement in statements:
            try:
                conn.execute(statement)
                outcomes.append("ok")
            except sqlite3.Error as error:
                outcomes.append(str(error))
    finally:
        conn.close()
    return outcomes


def test_the_log_and_the_chain_refuse_updates_and_deletes_even_from_their_owner(
    services: Services,
) -> None:
    events = services.app.recorder.events_table_name  # type: ignore[attr-defined]
    before = services.app.recorder.max_notification_id()
    statements = [
        f"UPDATE {events} SET topic = 'forged'",
        f"DELETE FROM {events}",
        "UPDATE audit_chain SET digest = 'x'",
        "DELETE FROM audit_chain",
        "DELETE FROM audit_checkpoints",
    ]
    if is_postgres(services.settings):
        statements += [f"TRUNCATE {events}", "TRUNCATE audit_chain"]
    outcomes = owner_statements(services.settings, statements)
    assert all("append-only" in outcome for outcome in outcomes), outcomes
    assert services.app.recorder.max_notification_id() == before
    assert services.audit.verify().ok


def test_snapshots_and_read_models_stay_writable(services: Services) -> None:
    assert services.app.snapshots is not None
    snapshots = services.app.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
    outcomes = owner_statements(
        services.settings,
        [f"DELETE FROM {snapshots}", "UPDATE rm_communities SET name = name"],
    )
    assert outcomes == ["ok", "ok"]


@pytest.fixture
def pg_settings(fresh_postgres_schema: str) -> Settings:
    """PostgreSQL only: a SQLite file has no roles (its triggers are tested above)."""
    return Settings(database_url=fresh_postgres_schema, run_scheduler=False)


@pytest.fixture
def service_role(pg_settings: Settings) -> Iterator[str]:
    settings = pg_settings
    role = f"sansan_svc_{uuid.uuid4().hex[:8]}"
    target = parse_postgres_url(settings.database_url)
    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    yield role
    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def as_role(settings: Settings, role: str) -> Settings:
    url = settings.database_url.replace("postgresql://postgres@", f"postgresql://{role}@")
    assert url != settings.database_url
    return settings.model_copy(update={"database_url": url, "auto_migrate": False})


@pytest.mark.postgres
def test_the_service_role_runs_everything_but_cannot_change_the_record(
    pg_settings: Settings, clock: FixedClock, service_role: str
) -> None:
    settings = pg_settings
    migrate(settings, service_role=service_role)
    service = build_services(as_role(settings, service_role), clock)
    try:
        for command in t.tour():
            service.app.execute(command, actor=ACTOR)
        member = [c.id for c in t.tour() if isinstance(c, mc.RegisterMember)][-1]
        for day in range(1, 60):  # past the snapshot interval: snapshots are written too
            service.app.execute(
                mc.LogVolunteerService(member_id=member, occurred_on=date(2026, 5, 1), hours=day % 5 + 1,
                                       activity=f"服务{day}"),
                actor=ACTOR,
            )  # fmt: skip
        service.projections.catch_up()
        service.audit.chain.catch_up()
        rebuild(service.app, service.store)  # drops and recreates read-model tables
        assert service.audit.verify().ok
        events = service.app.recorder.events_table_name  # type: ignore[attr-defined]
        target = parse_postgres_url(as_role(settings, service_role).database_url)
        refused = []
        with psycopg.connect(target.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(target.schema)))
            for statement in (
                f"UPDATE {events} SET topic = 'x'", f"DELETE FROM {events}", f"TRUNCATE {events}",
                "UPDATE audit_chain SET digest = 'x'", "DELETE FROM audit_chain",
                f"ALTER TABLE {events} DISABLE TRIGGER USER", f"DROP TABLE {events}",
            ):  # fmt: skip
                with pytest.raises(errors.InsufficientPrivilege) as denied:
                    conn.execute(statement)  # type: ignore[arg-type]
                refused.append(str(denied.value))
        assert all("permission denied" in r or "must be owner" in r for r in refused), refused
    finally:
        service.close()
