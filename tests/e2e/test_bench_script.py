"""scripts/bench.py at its smallest scale, run as a user would: every figure comes out."""

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from sansan.persistence import parse_postgres_url
from tests.conftest import postgres_url, require_postgres

pytestmark = pytest.mark.postgres

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


def bench_schemas() -> set[str]:
    with psycopg.connect(parse_postgres_url(postgres_url()).conninfo()) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'"
        ).fetchall()
    return {r[0] for r in rows}


def test_bench_smoke_prints_a_table_and_every_figure_as_json_then_drops_its_schemas() -> None:
    require_postgres()
    before = bench_schemas()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--postgres", postgres_url()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    *table, last = done.stdout.strip().splitlines()
    figures = json.loads(last)
    assert set("abcdefghijk") <= figures.keys()
    for db in (figures, figures["j"]):
        for key in "abc":
            for threads in ("t1", "t16"):
                assert db[key][threads]["per_s"] > 0
                assert db[key][threads]["errors"] == 0
        assert db["c"]["t16"]["ratio_c_b"] > 0
    # Each client meets a server warmed the same way (the first measured used to meet it cold)
    assert figures["d"]["warm_up_seconds"] > 0
    assert any("each client warmed the server first" in line for line in table)
    for d in (figures["d"], figures["d"]["httpx"]):  # the lean client's, then httpx's
        for clients in ("t1", "t16"):
            assert d[clients]["per_s"] > 0
            assert d[clients]["errors"] == 0
            assert d[clients]["ratio_d_b"] > 0
            assert d[clients]["server_cpu_ms_per_request"] > 0
            assert d[clients]["client_cpu_ms_per_request"] >= 0
    assert figures["e"]["cold"]["p50_ms_deep"] > 0
    assert figures["e"]["ratio"] > 0
    assert figures["f"]["events"] > 0
    assert figures["f"]["ratio"] > 0
    assert figures["g"]["visible"] == figures["g"]["commands"] > 0
    assert figures["h"]["targets"] > 0
    assert figures["h"]["members"] > 0
    assert figures["h"]["page"] > 0
    for day in ("today", "past"):
        assert figures["h"][day]["p95_ms"] >= figures["h"][day]["p50_ms"] > 0
    assert figures["h"]["past"]["as_of"] < figures["h"]["today"]["as_of"]
    assert figures["i"]["events"] >= figures["f"]["events"]
    k = figures["k"]
    assert k["rows"] == 2 * k["members"] + 5  # members, trainings, the tree and community
    assert k["events"] >= k["rows"]
    assert k["ratio"] > 0
    assert k["peak_rss_mb"] > 0
    assert k["small_peak_rss_mb"] > 0
    assert figures["host_loop_ms"]["start"] > 0
    assert figures["host_loop_ms"]["end"] > 0
    assert any(line.startswith("host speed: a 1,000,000-step Python loop") for line in table)
    assert any("d HTTP RecordTraining" in line for line in table)
    assert any("the same with httpx as the client" in line for line in table)
    assert any(line.strip().startswith("h today p95 ms") for line in table)
    assert any(line.strip().startswith("h past p95 ms") for line in table)
    assert any(line.strip().startswith("d server CPU ms/write") for line in table)
    assert "f projection catch-up" in done.stderr  # the progress shown while it runs
    assert bench_schemas() == before


def test_bench_only_d_runs_d_and_its_reference_with_the_workers_asked_for() -> None:
    require_postgres()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--only", "d", "--workers", "2",
         "--postgres", postgres_url()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    *table, last = done.stdout.strip().splitlines()
    figures = json.loads(last)
    assert set("abcdefghij") & figures.keys() == {"b", "d"}
    assert figures["d"]["workers"] == 2
    assert figures["d"]["t16"]["ratio_d_b"] > 0
    assert any("--workers 2" in line for line in table)
    assert any(line.strip().startswith("d/b at 16 clients") for line in table)
