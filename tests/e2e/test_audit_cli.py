"""`sansan audit …` as an auditor runs it: keep a signed checkpoint file, export the history,
verify it offline with the public key, and see an edited file refused."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from sansan import cli
from sansan.application import SansanApplication
from sansan.settings import Settings


def sansan(*args: str, db: Path, key: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANSAN_DATABASE_URL": f"sqlite:///{db}"}
    if key is not None:
        env["SANSAN_AUDIT_SIGNING_KEY"] = str(key)
    return subprocess.run(["sansan", *args], capture_output=True, text=True, env=env, timeout=120, cwd=db.parent)


def test_an_auditor_keeps_checkpoints_exports_and_verifies_offline(tmp_path: Path) -> None:
    db, key = tmp_path / "a.db", tmp_path / "audit.pem"
    assert sansan("demo", db=db).returncode == 0
    made = sansan("audit", "keygen", "--out", str(key), db=db)
    assert made.returncode == 0, made.stderr
    public = made.stdout.split("公钥 / public key: ")[1].strip()
    assert sansan("audit", "keygen", "--out", str(key), db=db).returncode == 1  # never overwrites

    verified = sansan("audit", "verify", db=db, key=key)
    assert verified.returncode == 0, verified.stderr
    assert "校验通过" in verified.stdout
    assert "校验哈希链" in verified.stderr  # the progress bar

    kept = sansan("audit", "checkpoints", "--out", str(tmp_path / "cp.json"), db=db, key=key)
    assert kept.returncode == 0, kept.stderr
    checkpoints = json.loads((tmp_path / "cp.json").read_text("utf-8"))
    assert checkpoints["public_key"] == public

    exported = sansan("audit", "export", "--out", str(tmp_path / "all.jsonl"), db=db, key=key)
    assert exported.returncode == 0, exported.stderr
    offline = sansan("audit", "verify", "--file", str(tmp_path / "all.jsonl"), "--public-key", public,
                     "--checkpoints", str(tmp_path / "cp.json"), "--json", db=tmp_path / "elsewhere.db")  # fmt: skip
    assert offline.returncode == 0, offline.stderr
    verdict = json.loads(offline.stdout)
    assert verdict["ok"] is True
    assert verdict["count"] == checkpoints["head"]["seq"]
    assert not (tmp_path / "elsewhere.db").exists()  # offline: no database was opened

    forged = {**checkpoints, "signature": "AAAA"}
    (tmp_path / "forged.json").write_text(json.dumps(forged), "utf-8")
    untrusted = sansan("audit", "verify", "--checkpoints", str(tmp_path / "forged.json"), "--public-key", public, db=db, key=key)
    assert untrusted.returncode == 1
    assert "检查点文件不可信" in untrusted.stderr

    (tmp_path / "bad.pem").write_text("not a key", "utf-8")
    before = (tmp_path / "all.jsonl").read_bytes()
    failed = sansan("audit", "export", "--out", str(tmp_path / "all.jsonl"), db=db, key=tmp_path / "bad.pem")
    assert failed.returncode == 1
    assert (tmp_path / "all.jsonl").read_bytes() == before  # a failed export leaves the old file
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

    lines = (tmp_path / "all.jsonl").read_text("utf-8").splitlines(keepends=True)
    event = json.loads(lines[3])
    event["topic"] = "sansan:Member.CardIssued"
    lines[3] = json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"
    (tmp_path / "edited.jsonl").write_text("".join(lines), "utf-8")
    refused = sansan("audit", "verify", "--file", str(tmp_path / "edited.jsonl"), "--public-key", public, db=db)
    assert refused.returncode == 1
    assert "校验失败" in refused.stderr
    assert f"position {event['position']}" in refused.stderr


def test_a_unit_export_holds_only_that_unit(tmp_path: Path) -> None:
    db = tmp_path / "u.db"
    assert sansan("demo", db=db).returncode == 0
    full = sansan("audit", "export", "--out", str(tmp_path / "all.jsonl"), db=db)
    assert full.returncode == 0, full.stderr
    first = json.loads((tmp_path / "all.jsonl").read_text("utf-8").splitlines()[1])
    unit = sansan("audit", "export", "--out", str(tmp_path / "unit.jsonl"), "--unit", first["aggregate_id"], db=db)
    assert unit.returncode == 0, unit.stderr
    events = [json.loads(line) for line in (tmp_path / "unit.jsonl").read_text("utf-8").splitlines()[1:-1]]
    assert events
    assert {e["aggregate_id"] for e in events} == {first["aggregate_id"]}
    assert sansan("audit", "verify", "--file", str(tmp_path / "unit.jsonl"), db=db).returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "verify"],
        ["audit", "export", "--out", "all.jsonl"],
        ["audit", "checkpoints", "--out", "cp.json"],
        ["token", "list"],
    ],
)
def test_a_read_only_command_run_where_there_is_no_store_refuses_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SANSAN_DATABASE_URL", raising=False)  # the default ./sansan.db
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 1, result.output
    assert "找不到数据库 ./sansan.db（请在服务所在的目录运行，或设置 SANSAN_DATABASE_URL）" in result.output
    assert list(tmp_path.iterdir()) == []  # no store, no export, no checkpoint file


def test_verifying_an_empty_log_says_it_is_empty_and_names_the_database(
    app: SansanApplication, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANSAN_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli.main, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "审计日志为空" in result.output
    assert "校验通过" not in result.output
    shown = "SQLite /" if settings.database_url.startswith("sqlite") else "PostgreSQL "
    assert f"数据库 / database: {shown}" in result.output
