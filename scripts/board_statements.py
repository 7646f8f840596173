#!/usr/bin/env python
"""The board (figure h), checkout against another compliance.py: time and statements.

    python scripts/board_statements.py --against OLD.py --database-url URL
        [--runs 10] [--past DAYS] [--page 20]

Both versions are asked for the board of the shipped plan (every target, the first ``--page``
failing units of each list), alternating run by run over the same read models (a world
``scripts/compare_compliance.py`` built and kept), today and ``--past`` days before. Prints
p50/p95 of each, their ratio, and the statements one board sends (each a round trip), and
checks that both give the same lights, figures and failing totals (which units a page lists
first may differ where the older version's order was the database's). Exits 1 if they differ.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
import bench  # noqa: E402  (puts the checkout's src first on the path)
from compare_compliance import load, percentile  # noqa: E402

from sansan.bootstrap import build_read_store  # noqa: E402
from sansan.plans import SHIPPED_PLAN_ID, get_plan  # noqa: E402
from sansan.projections import compliance  # noqa: E402
from sansan.projections import store as store_module  # noqa: E402
from sansan.settings import Settings  # noqa: E402


@contextmanager
def counting() -> Iterator[list[Any]]:
    """The statements sent through the read store's cursors while inside."""
    sent: list[Any] = []
    execute = store_module.GenerationCursor.execute

    def counted(self: Any, statement: Any, params: Any = ()) -> Any:
        sent.append(statement)
        return execute(self, statement, params)

    store_module.GenerationCursor.execute = counted  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        store_module.GenerationCursor.execute = execute  # type: ignore[method-assign]


def lights(results: list[Any]) -> list[tuple[Any, ...]]:
    """What both versions must agree on: each target's and period's light, figure, totals."""
    return [
        (r.id, r.status, r.measured_text, r.failing_total, r.due_on,
         [(p.status, p.measured_text, p.failing_total) for p in r.periods])
        for r in results
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, required=True, help="the other compliance.py")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--past", type=int, default=None, help="also ask DAYS before today")
    parser.add_argument("--page", type=int, default=20, help="failing units on the board")
    args = parser.parse_args()
    store = build_read_store(Settings(database_url=args.database_url, run_scheduler=False))
    plan = get_plan(SHIPPED_PLAN_ID)
    assert plan is not None
    versions = {"against": load(args.against), "checkout": compliance}
    days = {"today": bench.TODAY}
    if args.past is not None:
        days[f"{args.past} days ago"] = bench.TODAY - timedelta(days=args.past)
    times: dict[tuple[str, str], list[float]] = {(v, d): [] for v in versions for d in days}
    sent: dict[tuple[str, str], int] = {}
    answers: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    try:
        for run in range(args.runs + 1):  # the first round warms both and is not timed
            order = list(versions) if run % 2 else list(versions)[::-1]
            for name in order:
                module = versions[name]
                for day, as_of in days.items():
                    with counting() as statements:
                        began = time.perf_counter()
                        found = module.evaluate(
                            store, plan, launch=bench.LAUNCH, as_of=as_of,
                            page=module.Page(0, args.page),
                        )  # fmt: skip
                        seconds = time.perf_counter() - began
                    if run:
                        times[name, day].append(seconds)
                    sent[name, day], answers[name, day] = len(statements), lights(found)
    finally:
        store.close()
    same = all(answers["against", d] == answers["checkout", d] for d in days)
    print(f"{len(plan.targets)} targets, first {args.page} failing, {args.runs} runs each")
    print(f"same lights, figures and failing totals: {same}")
    for day in days:
        for name in versions:
            took = times[name, day]
            print(f"{name} {day}: p50 {percentile(took, 50)} ms, p95 {percentile(took, 95)} ms, "
                  f"{sent[name, day]} statements")  # fmt: skip
        for p in (50, 95):
            before = percentile(times["against", day], p)
            after = percentile(times["checkout", day], p)
            print(f"p{p} against/checkout {day}: {before / after:.2f}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
