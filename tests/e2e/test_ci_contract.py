"""With CI=true a missing PostgreSQL fails the PostgreSQL tests; locally it skips them."""

import os
import subprocess
import sys

import pytest

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
