"""Scheduler processes on one PostgreSQL: two at once, and one killed mid-tick."""

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from uuid import NAMESPACE_URL, uuid5

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql

from sansan.bootstrap import build_application, build_services
from sansan.clock import FixedClock
from sansan.commands import supervision as sc
from sansan.demo import demo_id
from sansan.domain.firing import Firing
from sansan.persistence import parse_postgres_url
from sansan.settings import Settings
from tests.conftest import DemoTemplates, require_postgres

pytestmark = pytest.mark.postgres
NOW = datetime(2027, 1, 3, 1, tzinfo=UTC)

# One tick on a fixed clock, as `sansan schedule` would do it; SLOW makes each step slow
# enough for a kill to land inside the tick.
TICK = """
import sys, time
from datetime import datetime, UTC
from sansan.bootstrap import build_services
from sansan.clock import FixedClock
from sansan.settings import Settings
import sansan.workflows.scheduler as scheduler_module
if sys.argv[2] == "slow":
    real = scheduler_module.firings_for
    def slowly(*args, **kwargs):
        time.sleep(0.01)
        return real(*args, **kwargs)
    scheduler_module.firings_for = slowly
services = build_services(Settings(database_url=sys.argv[1], run_scheduler=False),
                          FixedClock(datetime(2027, 1, 3, 1, tzinfo=UTC)))
services.projections.catch_up()
print("ticking", flush=True)
print(scheduler_module.Scheduler(services, batch_size=20).tick(), flush=True)
services.close()
"""


@pytest.fixture
def demo_copy(demo_templates: DemoTemplates, request: pytest.FixtureRequest) -> Callable[[], str]:
    """Makes a PostgreSQL store that starts as a copy of the recorded demo (tests/conftest.py:
    recording it took tens of seconds per store); each dropped after the test."""
    require_postgres()
    return lambda: demo_templates.postgres_copy(request.addfinalizer)


def prepare(url: str, items: int) -> str:
    """``items`` supervision items, all due, added to the demo in ``url``; returns the events
    table's name."""
    settings = Settings(database_url=url, run_scheduler=False)
    # assigned in time (on 1 April), found due by the schedulers on NOW
    app = build_application(settings, FixedClock(datetime(2026, 4, 1, 4, tzinfo=UTC)))
    org = demo_id("org", "镇郊社区党总支")
    for n in range(items):
        app.execute(sc.AssignSupervisionItem(
            id=uuid5(NAMESPACE_URL, f"item-{n}"), occurred_on=date(2026, 4, 1), title=f"督办{n}",
            assignee_org_id=org, due_on=date(2026, 5, 1) + timedelta(days=n % 200)), actor="t")  # fmt: skip
    table: str = app.recorder.events_table_name  # type: ignore[attr-defined]
    app.close()
    return table


def wait_for_a_firing(url: str, table: str, victim: subprocess.Popen[str], seconds: float) -> None:
    """Until the log holds one committed firing (or the victim ends, or time runs out)."""
    target = parse_postgres_url(url)
    count = sql.SQL("SELECT count(*) FROM {} WHERE topic = %s").format(
        sql.Identifier(target.schema, table)
    )
    deadline = time.monotonic() + seconds
    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        while time.monotonic() < deadline and victim.poll() is None:
            row = conn.execute(count, (Firing.Fired.TOPIC,)).fetchone()
            if row and row[0] > 0:
                return
            time.sleep(0.02)


def tick(url: str, mode: str = "fast") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-c", TICK, url, mode], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def fired(url: str) -> Counter[tuple[str, str, str, int]]:
    services = build_services(Settings(database_url=url, run_scheduler=False))
    try:
        services.projections.catch_up()
        with services.store.transaction() as cursor:
            audit = cursor.t.audit.c
            rows = cursor.execute(sa.select(audit.data).where(audit.event_type == "Fired")).fetchall()
    finally:
        services.close()
    return Counter(
        (d["deadline_id"], d["kind"], str(d["unit_id"]), d["lead_days"])
        for d in (json.loads(r[0]) for r in rows)
    )


def test_two_scheduler_processes_fire_each_of_a_thousand_due_deadlines_exactly_once(
    demo_copy: Callable[[], str],
) -> None:
    store = demo_copy()
    prepare(store, items=500)  # 500 items × 2 steps, besides the campaign's
    processes = [tick(store) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [err[-2000:] for _, err in outputs]
    recorded = [int(out.split()[-1]) for out, _ in outputs]
    firings = fired(store)
    assert sum(firings.values()) == sum(recorded)
    assert max(firings.values()) == 1
    overdue = [k for k in firings if k[1] == "supervision_overdue" and k[0].startswith("item:")]
    warnings = [k for k in firings if k[1] == "supervision_warning" and k[0].startswith("item:")]
    assert len(overdue) == 500 + 1  # ours and the demo's
    assert warnings == []  # all past due when ticked: the red light alone, no "7 天后到期"


def test_a_scheduler_killed_mid_tick_and_restarted_loses_and_doubles_nothing(
    demo_copy: Callable[[], str],
) -> None:
    store = demo_copy()
    table = prepare(store, items=100)
    victim = tick(store, "slow")
    assert victim.stdout is not None
    assert victim.stdout.readline().strip() == "ticking"
    wait_for_a_firing(store, table, victim, 120)
    victim.send_signal(signal.SIGKILL)
    out, _ = victim.communicate(timeout=60)
    assert (victim.returncode, out.strip()) == (-signal.SIGKILL, ""), "the tick ended before the kill"
    cut = fired(store)
    assert sum(cut.values()) > 0  # it got part of the way

    restarted = tick(store)
    _, err = restarted.communicate(timeout=600)
    assert restarted.returncode == 0, err[-2000:]
    after = fired(store)
    assert max(after.values()) == 1  # nothing twice
    assert sum(after.values()) > sum(cut.values())  # the kill landed mid-tick: work was left

    reference_url = demo_copy()
    clean: subprocess.Popen[str] | None = None
    try:
        prepare(reference_url, items=100)
        clean = tick(reference_url)
        clean.communicate(timeout=600)
        assert after == fired(
            reference_url
        )  # nothing lost: the same firings as an uninterrupted run
    finally:
        # a tick still running holds its locks: dropping its store under it would wait forever
        if clean is not None and clean.poll() is None:
            clean.kill()
            clean.communicate(timeout=60)


def test_when_the_leading_scheduler_process_dies_a_standby_takes_over(
    demo_copy: Callable[[], str],
) -> None:
    store = demo_copy()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "SANSAN_DATABASE_URL": store,
    }

    def schedule() -> subprocess.Popen[str]:
        return subprocess.Popen(["sansan", "schedule", "--interval", "0.5"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip

    def wait_for_line(process: subprocess.Popen[str], text: str, seconds: float) -> bool:
        assert process.stderr is not None
        fd, deadline, seen = process.stderr.fileno(), time.monotonic() + seconds, b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                chunk = os.read(fd, 65536)
                seen += chunk
                if text.encode() in seen:
                    return True
                if not chunk:
                    time.sleep(0.1)
        return False

    leader = schedule()
    standby = None
    try:
        assert wait_for_line(leader, "now leads", 60)
        standby = schedule()
        # it has started and tried, so its not leading for a few more ticks means something
        assert wait_for_line(standby, "stands by", 60)
        assert not wait_for_line(standby, "now leads", 3)  # one leads; the other stands by
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=30)
        started = time.monotonic()
        assert wait_for_line(standby, "now leads", 30)
        assert time.monotonic() - started < 30
    finally:
        for process in (leader, standby):
            if process is not None:
                process.kill()
                process.wait(timeout=30)
                if process.stderr:
                    process.stderr.close()
