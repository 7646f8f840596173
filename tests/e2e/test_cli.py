"""The console script, run as a user would, in a subprocess."""

import contextlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from sansan.projections.tables import TABLES


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
