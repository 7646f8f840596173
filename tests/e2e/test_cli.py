"""The console script, run as a user would, in a subprocess."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sansan.append_only import REFUSAL
from sansan.bootstrap import build_application, build_services
from sansan.commands import community as co
from sansan.commands import examples as t
from sansan.persistence import migration_lock
from sansan.projections.tables import TABLES
from sansan.settings import Settings
from tests.integration.test_append_only import owner_statements


def sansan(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANSAN_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(["sansan", *args], capture_output=True, text=True, env=env, timeout=120)


def test_sansan_demo_prints_a_chinese_summary_and_refuses_a_second_load(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    first = sansan("demo", db=db)
    assert first.returncode == 0, first.stderr
    assert "铁西社区" in first.stdout
    assert "服务型" in first.stdout
    assert "TrainingCompleted" in first.stdout
    second = sansan("demo", db=db)
    assert second.returncode == 1
    assert "数据库中已有数据" in second.stderr


RECORD = ("stored_events", "audit_chain", "audit_checkpoints")


def test_sansan_migrate_creates_the_tables_and_makes_the_record_append_only(
    tmp_path: Path,
) -> None:
    db = tmp_path / "sub" / "m.db"
    for _ in range(2):  # idempotent
        result = sansan("migrate", db=db)
        assert result.returncode == 0, result.stderr
    with contextlib.closing(sqlite3.connect(db)) as conn:
        found = {
            (kind, name, table)
            for kind, name, table in conn.execute("SELECT type, name, tbl_name FROM sqlite_master")
        }
        tables = {name for kind, name, _ in found if kind == "table"}
        assert {*RECORD, "stored_snapshots", "sansan_projection_meta", *TABLES} <= tables
        assert {(name, table) for kind, name, table in found if kind == "trigger"} == {
            (f"sansan_{table}_no_{op}", table) for table in RECORD for op in ("update", "delete")
        }
        conn.execute("INSERT INTO stored_events VALUES ('x', 1, 't', x'00')")
        for change in ("UPDATE stored_events SET topic = 'u'", "DELETE FROM stored_events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(change)


def test_sansan_projections_rebuild_switches_to_a_new_generation(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    assert sansan("demo", db=db).returncode == 0
    first = sansan("projections", "rebuild", db=db)
    assert first.returncode == 0, first.stderr
    assert "已切换到第 2 代读模型" in first.stdout
    assert "重建读模型" in first.stderr  # the progress bar
    assert "第 3 代" in sansan("projections", "rebuild", db=db).stdout


# Each process imports first, then waits for the word to go, so that all of them reach
# `sansan migrate`'s table and trigger creation together (a word, not an instant: under
# SANSAN_TEST_NOW each process's clock starts afresh).
MIGRATE_ON_GO = """
import sys
from sansan.cli import main
print("ready", flush=True)
sys.stdin.readline()
main(["migrate"])
"""


def test_sansan_migrate_runs_twice_and_from_several_processes_at_once(settings: Settings) -> None:
    env = {
        **os.environ,
        "SANSAN_DATABASE_URL": settings.database_url,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    at_once = [
        subprocess.Popen([sys.executable, "-c", MIGRATE_ON_GO], env=env, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(6)
    ]  # fmt: skip
    for process in at_once:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
    for process in at_once:  # all at once, before waiting for any
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    outcomes = [p.communicate(timeout=120) for p in at_once]
    assert [p.returncode for p in at_once] == [0] * 6, [err[-2000:] for _, err in outcomes]
    for _ in range(2):  # and again, one after the other, on the migrated store
        again = subprocess.run(
            ["sansan", "migrate"], env=env, capture_output=True, text=True, timeout=120
        )
        assert again.returncode == 0, again.stderr
        assert "数据库表已就绪" in again.stdout
    app = build_application(settings.model_copy(update={"auto_migrate": False}))
    try:
        assert app.execute(t.tour()[0], actor="t").version == 1  # the store works
        events = app.recorder.events_table_name  # type: ignore[attr-defined]
    finally:
        app.close()
    assert REFUSAL in owner_statements(settings, [f"UPDATE {events} SET topic = 'forged'"])[0]


def test_sansan_migrate_waits_while_another_process_creates_the_tables(
    settings: Settings,
) -> None:
    """Taking turns is what keeps several first starts on one new SQLite file from
    deadlocking in the switch to WAL (and, on PostgreSQL, from racing in CREATE TABLE)."""
    env = {**os.environ, "SANSAN_DATABASE_URL": settings.database_url}
    with migration_lock(settings):  # this process is creating the tables
        waiting = subprocess.Popen(["sansan", "migrate"], env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=8)  # long enough to start and reach the lock
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "数据库表已就绪" in out


def test_sansan_project_catches_up_and_then_follows_the_log(settings: Settings) -> None:
    app = build_application(settings)
    services = build_services(settings, application=app)
    env = {
        **os.environ,
        "SANSAN_DATABASE_URL": settings.database_url,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    runner = subprocess.Popen(["sansan", "project"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        for command in t.tour()[:12]:  # written before and while it starts
            app.execute(command, actor="t")

        def projected(position: int) -> bool:
            deadline = time.monotonic() + 60
            while services.projections.position() < position and time.monotonic() < deadline:
                assert runner.poll() is None, runner.communicate()[1][-2000:]
                time.sleep(0.1)
            return services.projections.position() >= position

        assert projected(app.recorder.max_notification_id() or 0)
        later = app.execute(
            co.RegisterCommunity(occurred_on=t.D, name="河西社区", street_committee_id=t.STREET),
            actor="t",
        )
        assert projected(later.position), "sansan project stopped following the log"
        listed = services.read_models.communities(
            scope=None, street_id=None, model_type=None, cursor=None, limit=10
        )
        assert sorted(c["name"] for c in listed.items) == ["河西社区", "铁西社区"]
    finally:
        runner.send_signal(signal.SIGINT)  # as Ctrl-C
        out, err = runner.communicate(timeout=60)
        services.store.close()
        app.close()
    assert runner.returncode == 0, err[-2000:]
    assert "继续跟随" in out
