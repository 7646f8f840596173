"""Settings → library variables, and table creation that several processes may race for."""

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.application import LRUCache
from eventsourcing.persistence import MapperDeserialisationError
from psycopg import sql

from sansan.application import SansanApplication
from sansan.bootstrap import build_application, migrate
from sansan.commands import examples as t
from sansan.persistence import (
    DatabaseUrlError,
    LogRow,
    domain_events,
    library_env,
    notifications_after,
    parse_postgres_url,
)
from sansan.settings import DEFAULT_DATABASE_URL, Settings
from tests.support import ACTOR


def test_the_default_store_is_a_sqlite_file_in_the_working_directory(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SANSAN_DATABASE_URL", raising=False)
    settings = Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    env = library_env(settings, create_tables=True)
    assert (env["PERSISTENCE_MODULE"], env["SQLITE_DBNAME"]) == (
        "eventsourcing.sqlite",
        "./sansan.db",
    )


def test_the_database_url_comes_from_the_environment(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SANSAN_DATABASE_URL", f"sqlite:///{tmp_path}/deep/er/x.db")
    env = library_env(Settings(), create_tables=False)
    assert env["SQLITE_DBNAME"] == f"{tmp_path}/deep/er/x.db"
    assert env["CREATE_TABLE"] == "n"
    assert (tmp_path / "deep" / "er").is_dir()


def test_a_postgres_url_becomes_the_library_s_variables() -> None:
    env = library_env(
        Settings(database_url="postgresql://sansan:s%40cret@db.local:6543/county?schema=prod"),
        create_tables=True,
    )
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.local",
        "6543",
        "county",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_SCHEMA"]) == (
        "sansan",
        "s@cret",
        "prod",
    )
    assert env["POSTGRES_LOCK_TIMEOUT"] == "5"
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "5"
    assert env["POSTGRES_ENABLE_DB_FUNCTIONS"] == "n"
    assert env["APPLICATION_RECORDER_TOPIC"] == "sansan.persistence:PromptPostgresRecorder"


@pytest.mark.parametrize(
    "url", ["mysql://x/y", "sqlite:///", "postgresql:///nohost", "postgresql://h/"]
)
def test_a_bad_database_url_is_refused_with_a_reason(url: str) -> None:
    with pytest.raises(DatabaseUrlError, match="URL"):
        library_env(Settings(database_url=url), create_tables=True)


def test_without_auto_migrate_the_tables_come_from_sansan_migrate(settings: Settings) -> None:
    manual = settings.model_copy(update={"auto_migrate": False})
    migrate(manual)
    app = build_application(manual)
    try:
        result = app.execute(t.tour()[0], actor=ACTOR)
        assert result.version == 1
    finally:
        app.close()


# Each process imports first, says so, then waits for the word to go, so that all of
# them reach table creation together: the race the migration lock exists to prevent.
STARTUP = """
import sys, time
from sansan.bootstrap import build_application
from sansan.settings import Settings
print("ready", flush=True)
sys.stdin.readline()
began = time.monotonic()
build_application(Settings(database_url=sys.argv[1])).close()
print("started", began, time.monotonic())
"""


@pytest.mark.postgres
def test_many_processes_starting_at_once_create_the_tables_once(fresh_postgres_schema: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", STARTUP, fresh_postgres_schema],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env,
        )
        for _ in range(8)
    ]  # fmt: skip
    for process in processes:  # however slow the imports, all are ready before any goes
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    outcomes = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0] * 8, [err for _, err in outcomes]
    spans = sorted((float(b), float(e)) for _, b, e in (out.split() for out, _ in outcomes))
    # one monotonic clock for all processes of the host: at least two were creating at once
    assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))
    target = parse_postgres_url(fresh_postgres_schema)
    with psycopg.connect(target.conninfo()) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1",
            (target.schema,),
        ).fetchall()
        secrets = conn.execute(
            sql.SQL("SELECT count(*) FROM {}.sansan_service_secrets").format(
                sql.Identifier(target.schema)
            )
        ).fetchone()
    assert [name for (name,) in tables] == [
        "sansan_events", "sansan_service_secrets", "sansan_snapshots"
    ]
    assert secrets == (1,)  # all eight agreed on one id secret


def test_an_aggregate_cache_size_of_0_turns_the_cache_off(
    settings: Settings, open_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANSAN_AGGREGATE_CACHE_SIZE", "0")
    from_environment = Settings(database_url=settings.database_url, run_scheduler=False)
    assert from_environment.aggregate_cache_size == 0
    uncached = open_app(aggregate_cache_size=0)
    assert uncached.repository.cache is None  # not the library's unbounded cache for "0"
    default = open_app(aggregate_cache_size=Settings.model_fields["aggregate_cache_size"].default)
    assert isinstance(default.repository.cache, LRUCache)
    for command in t.tour()[:8]:
        uncached.execute(command, actor=ACTOR)
    loaded = uncached.get(t.COMMUNITY).version
    default.execute(t.tour()[8], actor=ACTOR)  # another process writes to the community
    assert uncached.get(t.COMMUNITY).version == loaded + 1  # read from the store every time


def test_events_go_to_postgresql_in_binary_and_come_back_the_same(
    fresh_postgres_schema: str,
) -> None:
    """The library's ``%s`` would send the events' composite type as text, escaped in Python
    (a fifth of a write's CPU over HTTP); the recorder sends it in binary: a text dumper
    that refuses to work is never asked, and what is read back is what was written."""
    from psycopg.adapt import Dumper

    class NotAsText(Dumper):
        def dump(self, obj: Any) -> bytes:
            raise AssertionError("an event went to PostgreSQL as text")

    one_connection = {"postgres_pool_size": 1, "postgres_max_overflow": 0}
    app = build_application(Settings(database_url=fresh_postgres_schema, **one_connection))
    try:
        app.execute(t.tour()[0], actor=ACTOR)  # the library registers its types on the connection
        recorder: Any = app.recorder
        event_type = recorder.datastore.psycopg_python_types[recorder.stored_event_type_name]
        with recorder.datastore.get_connection() as conn:
            conn.adapters.register_dumper(event_type, NotAsText)
        for command in t.tour()[1:3]:
            app.execute(command, actor=ACTOR)
        community = app.repository.get(t.COMMUNITY)
        assert (community.name, community.version) == ("铁西社区", 1)
        stored = recorder.select_events(t.COMMUNITY)
        assert app.mapper.to_domain_event(stored[0]).originator_id == t.COMMUNITY
    finally:
        app.close()


def test_the_log_read_after_a_position_is_what_the_library_reads_there(
    app: SansanApplication,
) -> None:
    """The projection reads the log with a query of its own (on PostgreSQL: tuples in binary,
    no dict per row): the same notifications as the library's, from any position, at most
    as many as asked for, in order."""
    for command in t.tour():
        app.execute(command, actor=ACTOR)
    head = app.recorder.max_notification_id() or 0
    assert head > 10

    def fields(found: Any) -> list[tuple[Any, ...]]:
        return [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in found]

    for start, limit in ((0, head + 5), (0, 4), (3, 5), (head - 2, 10), (head, 10)):
        ours = notifications_after(app.recorder, start, limit)
        library = app.recorder.select_notifications(start, limit, inclusive_of_start=False)
        assert fields(ours) == fields(library), (start, limit)
        assert [n.id for n in ours] == list(range(start + 1, min(start + limit, head) + 1))
    assert fields(ours) == []  # from the head: nothing yet
    everything = notifications_after(app.recorder, 0, head)
    assert [n.aggregate_id for n in everything] == [str(n.originator_id) for n in everything]


def _as_mapped(events: list[Any]) -> list[tuple[type, dict[str, Any]]]:
    return [(type(e), e.__dict__) for e in events]


def test_a_batch_of_the_log_decodes_to_the_events_the_mapper_makes_one_by_one(
    app: SansanApplication,
) -> None:
    """The projection decodes a batch's states in one parse: the same events (class, every
    field, upcast to the class's version) as the library's mapper makes from each row."""
    for command in t.tour():
        app.execute(command, actor=ACTOR)
    rows = notifications_after(app.recorder, 0, (app.recorder.max_notification_id() or 0) + 1)
    # A member registered before version 2 of its event: stored without a class version or
    # a birth date, read with ``birth_date`` None (the event's upcaster).
    registered = next(r for r in rows if r.topic.endswith("Member.MemberRegistered"))
    state = json.loads(registered.state)
    state.pop("class_version", None)
    state.pop("birth_date")
    old = registered._replace(state=json.dumps(state, ensure_ascii=False).encode())
    rows = [*rows, old]

    def one_by_one(found: list[LogRow]) -> list[tuple[type, dict[str, Any]]]:
        return _as_mapped([app.mapper.to_domain_event(r) for r in found])  # type: ignore[arg-type]

    assert _as_mapped(domain_events(app.mapper, rows)) == one_by_one(rows)
    assert domain_events(app.mapper, [old])[0].birth_date is None
    assert domain_events(app.mapper, []) == []
    # A state that cannot be read fails as the mapper fails, naming its row.
    broken = registered._replace(state=b"{not json")
    with pytest.raises(MapperDeserialisationError, match=str(registered.originator_id)):
        domain_events(app.mapper, [rows[0], broken])
