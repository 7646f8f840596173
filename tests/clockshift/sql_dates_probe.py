"""Lists the test modules that compare dates inside SQL (``occurred_on <= ?``, ``fire_on <= ?``,
``recorded_at >= ?``): the ones .ci/run's shifted-clock pass also runs on PostgreSQL.

Every read-model statement goes through ``GenerationCursor.execute``; this plugin notes the test
module whenever one holds a date or time column compared with a bound value. The SQL is the same on
both stores, so the SQLite half finds the modules (docs/testing.md, "CI time")::

    PYTHONPATH=. pytest -p no:randomly -p tests.clockshift.sql_dates_probe tests/integration -m "not postgres"
"""

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from sansan.projections import store

# A column named *_on or *_at (a date or an instant, stored as ISO text) compared with a parameter.
DATE_COMPARISON = re.compile(r"\b\w+_(?:on|at)\s*(?:<=|>=|<|>|BETWEEN)\s*\?", re.IGNORECASE)

_found: set[str] = set()
_current: list[str] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _current.append(Path(str(item.fspath)).name)
    try:
        return (yield)
    finally:
        _current.pop()


def pytest_configure(config: pytest.Config) -> None:
    original = store.GenerationCursor.execute

    def execute(self: Any, statement: str, params: Sequence[Any] = ()) -> Any:
        if _current and DATE_COMPARISON.search(statement):
            _found.add(_current[-1])
        return original(self, statement, params)

    store.GenerationCursor.execute = execute  # type: ignore[method-assign]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line("modules comparing dates in SQL: " + " ".join(sorted(_found)))
