"""The console script, run as a user would, in a subprocess."""

import os
import subprocess
from pathlib import Path


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


def test_sansan_migrate_creates_the_store(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "m.db"
    result = sansan("migrate", db=db)
    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_sansan_projections_rebuild_switches_to_a_new_generation(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    assert sansan("demo", db=db).returncode == 0
    first = sansan("projections", "rebuild", db=db)
    assert first.returncode == 0, first.stderr
    assert "已切换到第 2 代读模型" in first.stdout
    assert "重建读模型" in first.stderr  # the progress bar
    assert "第 3 代" in sansan("projections", "rebuild", db=db).stdout
