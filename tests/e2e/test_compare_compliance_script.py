"""scripts/compare_compliance.py on a tiny SQLite world: it generates the world, times both
versions and tells whether their results are identical."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "compare_compliance.py"
CHECKOUT = ROOT / "src" / "sansan" / "projections" / "compliance.py"


def compare(against: Path, db: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--against", str(against), "--database-url",
         f"sqlite:///{db}", "--communities", "2", "--members", "3", "--runs", "2", *more],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_same_code_compares_identical_and_reports_both_timings(tmp_path: Path) -> None:
    done = compare(CHECKOUT, tmp_path / "world.db")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "6 members, 20 targets, 2 runs each"  # issue 15: + 2 street targets
    assert lines[1] == "identical results: True"
    assert lines[2].startswith("against: p50 ")
    assert lines[3].startswith("checkout: p50 ")
    assert lines[4].startswith("p50 against/checkout: ")


def test_a_past_day_is_compared_and_timed_too(tmp_path: Path) -> None:
    done = compare(CHECKOUT, tmp_path / "world.db", "--past", "30")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[1] == "identical results: True"
    assert lines[6].startswith("against (as of 30 days ago): p50 ")
    assert lines[7].startswith("checkout (as of 30 days ago): p50 ")
    assert lines[9].startswith("p95 against/checkout (as of 30 days ago): ")


def test_a_version_differing_only_on_a_past_day_fails_the_comparison(tmp_path: Path) -> None:
    changed = tmp_path / "changed.py"
    source = CHECKOUT.read_text(encoding="utf-8")
    assert "def evaluate(" in source
    # answers today's question alike, anything earlier with one status renamed
    changed.write_text(
        source.replace(
            "    return results\n",
            "    if as_of < date.today():\n"
            "        results = [replace(r, status_zh=r.status_zh + '!') for r in results]\n"
            "    return results\n",
            1,
        ),
        "utf-8",
    )
    assert done_identical(compare(changed, tmp_path / "world.db")) is True
    assert done_identical(compare(changed, tmp_path / "world.db", "--past", "30")) is False


def done_identical(done: subprocess.CompletedProcess[str]) -> bool:
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return "identical results: True" in done.stdout


def test_a_version_with_other_results_fails_the_comparison(tmp_path: Path) -> None:
    changed = tmp_path / "changed.py"
    changed.write_text(CHECKOUT.read_text(encoding="utf-8").replace('"已达标"', '"达标"'), "utf-8")
    done = compare(changed, tmp_path / "world.db")
    assert done.returncode == 1, done.stderr[-3000:]
    assert "identical results: False" in done.stdout


def with_results(source: str, change: str) -> str:
    """The checkout's compliance.py with ``change`` applied to what evaluate returns."""
    assert "    return results\n" in source
    return source.replace("    return results\n", f"    results = {change}\n    return results\n", 1)


def test_the_same_units_in_another_order_compare_identical_and_name_the_targets(
    tmp_path: Path,
) -> None:
    changed = tmp_path / "reordered.py"
    source = CHECKOUT.read_text(encoding="utf-8")
    changed.write_text(
        with_results(source, "[replace(r, failing=r.failing[::-1]) for r in results]"), "utf-8"
    )
    done = compare(changed, tmp_path / "world.db")
    assert done.returncode == 0, done.stderr[-3000:]
    line = done.stdout.splitlines()[1]
    assert line.startswith("identical results: True (the same units in another order: ")
    assert "differing targets" not in done.stdout


def test_a_version_listing_one_failing_unit_fewer_fails_and_the_targets_are_named(
    tmp_path: Path,
) -> None:
    fewer = tmp_path / "fewer.py"
    source = CHECKOUT.read_text(encoding="utf-8")
    fewer.write_text(
        with_results(source, "[replace(r, failing=r.failing[1:]) for r in results]"), "utf-8"
    )
    done = compare(fewer, tmp_path / "world.db")
    assert done.returncode == 1, (done.stdout, done.stderr[-3000:])
    assert done.stdout.splitlines()[1] == "identical results: False"
    named = done.stdout.splitlines()[2]
    assert named.startswith("differing targets: ")
    assert "member-training" in named
