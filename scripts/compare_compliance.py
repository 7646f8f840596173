#!/usr/bin/env python
"""Figure h, before and after: another version of compliance.py against the checkout's.

    python scripts/compare_compliance.py --against OLD.py --database-url URL
        [--communities 200] [--members 100] [--runs 20] [--past DAYS] [--page N]

    git show 8810e25:src/sansan/projections/compliance.py > /tmp/compliance_old.py

Both versions evaluate the shipped plan, alternating run by run (so load on a shared machine
falls on both alike), over the same read models. If the database holds no members yet, a
world is generated first as scripts/bench.py generates it (bench.seed_world, then a rebuild);
a PostgreSQL URL names its schema (``?schema=``), which is created if missing and kept, so a
large world is generated once; a kept world built by another projector (its projection
version differs) is rebuilt first, in place, as a service's start would. Prints whether the
two give identical results (statuses, values, failing and passing units in order) and
p50/p95 of each with their ratio; exits 1 if the results differ. ``--past DAYS`` also asks
both for the day that many days before today
(every run asks both days; the identical-results line covers both, the timings are per day).

Results are compared on the fields both versions have (a list of units whose order differs but
whose units are the same is reported by target: main's member-training list came in the
order the planner grouped it, the checkout's comes by member id so that it can be paged);
a newer version may add fields, such as ``failing_total``. The checkout is also asked for
the board's answer, the first ``--page`` failing units of each list (default 20), which must
equal its full answer cut to the page with the same totals; its timings follow the others as
"checkout paged".
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
import bench  # noqa: E402  (puts the checkout's src first on the path)

from sansan.bootstrap import build_application, build_read_store  # noqa: E402
from sansan.persistence import parse_postgres_url  # noqa: E402
from sansan.plans import SHIPPED_PLAN_ID, get_plan  # noqa: E402
from sansan.projections import compliance  # noqa: E402
from sansan.projections.rebuild import is_outdated, rebuild  # noqa: E402
from sansan.projections.store import ReadStore  # noqa: E402
from sansan.settings import Settings  # noqa: E402


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("compliance_against", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up by name (string annotations), as importlib's recipe says
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def members(store: ReadStore) -> int:
    with store.transaction() as cursor:
        row = cursor.execute(select(func.count()).select_from(cursor.t.members)).fetchone()
    return int(row[0]) if row else 0


def ensure_world(settings: Settings, communities: int, per_community: int) -> None:
    if settings.database_url.startswith("postgresql"):
        target = parse_postgres_url(settings.database_url)
        with psycopg.connect(target.conninfo(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(target.schema))
            )
    store = build_read_store(settings)
    app = build_application(settings.model_copy(update={"aggregate_cache_size": 0}))
    try:
        if members(store) == 0:
            bench.seed_world(app, communities, per_community, 10, "generate the event log")
            rebuild(app, store)
        elif is_outdated(store):  # kept from a run with another projector: built anew
            rebuild(app, store)
    finally:
        app.close()
        store.close()


def common(result: dict[str, Any], fields: set[str], period_fields: set[str]) -> dict[str, Any]:
    """A result on the fields both versions have (``fields``, ``period_fields`` per year)."""
    periods = [{k: v for k, v in p.items() if k in period_fields} for p in result["periods"]]
    return {k: v for k, v in result.items() if k in fields} | {"periods": periods}


def unordered(result: dict[str, Any]) -> dict[str, Any]:
    """A result with its lists of units in one order (by id)."""
    def units(found: dict[str, Any]) -> dict[str, Any]:
        return found | {
            "failing": sorted(found["failing"], key=lambda f: f["unit_id"]),
            "passing": sorted(found["passing"]),
        }

    return units(result) | {"periods": [units(p) for p in result["periods"]]}


def cut(result: dict[str, Any], page: int) -> dict[str, Any]:
    """A full result as the board lists it: the first ``page`` failing units of each list,
    their totals the full lists' lengths."""
    def listing(found: dict[str, Any]) -> dict[str, Any]:
        return found | {"failing": found["failing"][:page], "failing_total": len(found["failing"])}

    return listing(result) | {"periods": [listing(p) for p in result["periods"]]}


def board_answer(result: dict[str, Any]) -> dict[str, Any]:
    """What the board shows of a result (the passing units are the scheduler's, not listed)."""
    return result | {"passing": [], "periods": [p | {"passing": []} for p in result["periods"]]}


def percentile(values: list[float], p: float) -> float:
    return round(bench.percentile(values, p) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, required=True, help="the other compliance.py")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--communities", type=int, default=200)
    parser.add_argument("--members", type=int, default=100, help="per community")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--past", type=int, default=None, help="also ask DAYS before today")
    parser.add_argument("--page", type=int, default=20, help="failing units on the board")
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url, run_scheduler=False)
    ensure_world(settings, args.communities, args.members)
    versions = {"against": load(args.against), "checkout": compliance}
    page = compliance.Page(0, args.page)
    days = {"": bench.TODAY}
    if args.past is not None:
        days[f" (as of {args.past} days ago)"] = bench.TODAY - timedelta(days=args.past)
    store = build_read_store(settings)
    plan = get_plan(SHIPPED_PLAN_ID)
    assert plan is not None
    names = [*versions, "checkout paged"]
    times: dict[tuple[str, str], list[float]] = {(n, d): [] for n in names for d in days}
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    try:
        for run in range(args.runs + 1):  # the first round warms both and is not timed
            order = list(versions) if run % 2 else list(versions)[::-1]
            for name in order:
                for day, as_of in days.items():
                    began = time.perf_counter()
                    found = versions[name].evaluate(
                        store, plan, launch=bench.LAUNCH, as_of=as_of
                    )
                    if run:
                        times[name, day].append(time.perf_counter() - began)
                    results[name, day] = [dataclasses.asdict(r) for r in found]
                    if name == "checkout":
                        began = time.perf_counter()
                        found = compliance.evaluate(
                            store, plan, launch=bench.LAUNCH, as_of=as_of, page=page
                        )
                        if run:
                            times["checkout paged", day].append(time.perf_counter() - began)
                        results["checkout paged", day] = [dataclasses.asdict(r) for r in found]
        counted = members(store)
    finally:
        store.close()
    fields, period_fields = (
        {f.name for f in dataclasses.fields(getattr(versions["against"], kind))}
        for kind in ("TargetResult", "PeriodResult")
    )
    pairs = [
        (common(a, fields, period_fields), common(b, fields, period_fields))
        for d in days for a, b in zip(results["against", d], results["checkout", d], strict=True)
    ]  # fmt: skip
    same = all(unordered(a) == unordered(b) for a, b in pairs)
    reordered = sorted({a["id"] for a, b in pairs if a != b and unordered(a) == unordered(b)})
    paged_same = all(
        [board_answer(r) for r in results["checkout paged", d]]
        == [board_answer(cut(r, args.page)) for r in results["checkout", d]]
        for d in days
    )
    print(f"{counted} members, {len(plan.targets)} targets, {args.runs} runs each")
    order = f" (the same units in another order: {', '.join(reordered)})" if reordered else ""
    differ = sorted({a["id"] for a, b in pairs if unordered(a) != unordered(b)})
    print(f"identical results: {same}{order}")
    if differ:
        print(f"differing targets: {', '.join(differ)}")
    for day in days:
        for name in versions:
            took = times[name, day]
            print(f"{name}{day}: p50 {percentile(took, 50)} ms, p95 {percentile(took, 95)} ms")
        for p in (50, 95):
            before = percentile(times["against", day], p)
            after = percentile(times["checkout", day], p)
            print(f"p{p} against/checkout{day}: {before / after:.2f}")
    print(f"paged answers (first {args.page} failing) equal the full ones cut: {paged_same}")
    for day in days:
        took = times["checkout paged", day]
        print(f"checkout paged{day}: p50 {percentile(took, 50)} ms, p95 {percentile(took, 95)} ms")
        for p in (50, 95):
            before, after = percentile(times["against", day], p), percentile(took, p)
            print(f"p{p} against/checkout paged{day}: {before / after:.2f}")
    sys.exit(0 if same and paged_same else 1)


if __name__ == "__main__":
    main()
