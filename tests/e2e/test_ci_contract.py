"""The shape of .ci/run; with CI=true a missing PostgreSQL fails the PostgreSQL tests, locally it skips them."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import costly_first
from tests.integration.conftest import DATES_COMPARED_IN_SQL

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/test"


def run_postgres_half(ci: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANSAN_TEST_DATABASE_URL": UNREACHABLE, "CI": ci}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/integration/test_demo.py", "-k", "postgres and empty_store"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(("ci", "outcome", "code"), [("true", "1 failed", 1), ("", "1 skipped", 0)])
def test_a_missing_postgres_fails_in_ci_and_skips_elsewhere(
    ci: str, outcome: str, code: int
) -> None:
    result = run_postgres_half(ci)
    assert result.returncode == code, result.stdout
    assert outcome in result.stdout


ROOT = Path(__file__).parents[2]
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
# Commands as the shell sees them: continuation lines joined, comments dropped.
COMMANDS = [
    line.strip()
    for line in CI_RUN.replace("\\\n", " ").splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]
MAIN_PASS = 'pip install -q -c constraints.txt -e ".[test]" && pytest -n 2 --dist loadfile'
SHIFTED_PASS = re.compile(
    r"^SANSAN_TEST_NOW=2026-12-31T16:30:00Z pytest -n 2 --dist loadfile tests/unit tests/integration\s+"
    r'-m "not postgres or dates_in_sql"$'
)


def test_ci_runs_the_readme_s_test_command_over_the_whole_suite_in_a_fresh_environment() -> None:
    assert "python3 -m venv --clear .venv" in COMMANDS
    assert MAIN_PASS in COMMANDS  # no path, no -m, no -k: every test on both stores
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert MAIN_PASS.replace(" -q", "") in readme


def test_ci_runs_the_unit_and_integration_tests_again_on_the_moved_clock() -> None:
    shifted = [c for c in COMMANDS if c.startswith("SANSAN_TEST_NOW=")]
    assert len(shifted) == 1
    assert SHIFTED_PASS.match(" ".join(shifted[0].split())), shifted[0]
    assert COMMANDS.index(shifted[0]) > COMMANDS.index(MAIN_PASS)
    assert COMMANDS[-2:] == ["ruff check src tests", "mypy src"]


def test_every_module_the_shifted_pass_keeps_on_postgres_exists() -> None:
    """A renamed module would silently leave the shifted pass's PostgreSQL half."""
    integration = ROOT / "tests" / "integration"
    missing = [name for name in DATES_COMPARED_IN_SQL if not (integration / name).is_file()]
    assert DATES_COMPARED_IN_SQL
    assert missing == []


def test_the_two_workers_get_the_files_that_start_processes_first() -> None:
    """A file runs on one worker: one of these started last kept one worker busy for minutes
    after the other ran out of work (docs/testing.md, "CI time")."""
    tests_per_file = {
        "tests/unit/test_plans.py": 60, "tests/integration/test_api.py": 34,
        "tests/e2e/test_schemathesis.py": 6, "tests/fault/test_store_outage.py": 1,
        "tests/e2e/test_web_a11y.py": 44, "tests/integration/test_serve_workers.py": 4,
    }  # fmt: skip
    order = sorted(tests_per_file, key=lambda f: costly_first(f, tests_per_file[f]))
    assert order == [
        "tests/e2e/test_web_a11y.py", "tests/e2e/test_schemathesis.py",
        "tests/integration/test_serve_workers.py", "tests/fault/test_store_outage.py",
        "tests/unit/test_plans.py", "tests/integration/test_api.py",
    ]  # fmt: skip
