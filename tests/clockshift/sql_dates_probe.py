"""Lists the test modules that compare a date or instant taken from the moved clock inside SQL
(``fire_on <= ?`` with today, ``recorded_at >= ?`` with now): the modules whose PostgreSQL half
.ci/run's shifted-clock pass keeps (``DATES_COMPARED_IN_SQL``, tests/integration/conftest.py).

Every read-model statement goes through ``GenerationCursor.execute``. Under SANSAN_TEST_NOW this
plugin notes the test module whenever a statement compares a ``*_on``/``*_at`` column with a
parameter and one of its parameters is a day or instant of the moved clock's first day (China's
day and the UTC day it starts in). The SQL is the same on both stores, so the SQLite half finds
the modules; each process appends what it found to SANSAN_SQL_DATES_OUT (docs/testing.md)::

    SANSAN_TEST_NOW=2026-12-31T16:30:00Z SANSAN_SQL_DATES_OUT=/tmp/found PYTHONPATH=. \\
      pytest -n 2 -p tests.clockshift.sql_dates_probe tests/integration -m "not postgres"
    sort -u /tmp/found
"""

import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sansan.projections import store

# A column named *_on or *_at (a date or an instant, stored as ISO text) compared with a parameter.
DATE_COMPARISON = re.compile(r"\b\w+_(?:on|at)\s*(?:<=|>=|<|>|BETWEEN)\s*\?", re.IGNORECASE)

_current: list[str] = []


def _clock_days() -> tuple[str, ...]:
    now = datetime.now(UTC)  # already moved: tests/conftest.py travels in pytest_configure
    return (now.date().isoformat(), (now + timedelta(hours=8)).date().isoformat())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _current.append(item.path.name)
    try:
        return (yield)
    finally:
        _current.pop()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    out = os.environ.get("SANSAN_SQL_DATES_OUT")
    if not out:
        raise pytest.UsageError("sql_dates_probe: set SANSAN_SQL_DATES_OUT to a file to append to")
    days = _clock_days()
    original = store.GenerationCursor.execute

    def execute(self: Any, statement: str, params: Sequence[Any] = ()) -> Any:
        if (
            _current
            and DATE_COMPARISON.search(statement)
            and any(isinstance(p, str) and p.startswith(days) for p in params)
        ):
            with Path(out).open("a") as found:
                found.write(_current[-1] + "\n")
        return original(self, statement, params)

    store.GenerationCursor.execute = execute  # type: ignore[method-assign]
