"""The tick: act on every deadline step that has come due, exactly once.

Firings are recorded in the event store under ids derived from what fires (keyed with the
service's secret, see ``sansan.internal_ids``), so a second scheduler, or a retry after a
crash between recording and marking, is refused by the store itself; marking the step
done afterwards is only bookkeeping.
"""

import logging
import threading
from datetime import date
from typing import Any

import psycopg
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import literal, select, update

from sansan.bootstrap import Services
from sansan.domain import Firing
from sansan.persistence import advisory_key, is_postgres, parse_postgres_url
from sansan.projections.store import Cursor
from sansan.workflows.firings import Step, firings_for
from sansan.workflows.webhooks import WebhookDeliverer, warn_if_refusing_unsigned

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, services: Services, *, batch_size: int = 200) -> None:
        self.services, self.batch_size = services, batch_size
        self.postgres = services.store.dialect == "postgres"

    def tick(self) -> int:
        """Act on every due step (in order of when it was due); returns firings recorded."""
        recorded = 0
        while True:
            done, fired = self._batch()
            recorded += fired
            if done == 0:
                return recorded

    def _batch(self) -> tuple[int, int]:
        """On PostgreSQL the due steps stay row-locked (SKIP LOCKED) while their firings are
        recorded, so schedulers never work on the same step at once. SQLite has one writer
        at a time, so there the steps are read first and each is marked done after its
        firings are recorded; its single scheduler leads alone."""
        today = self.services.app.clock.today()
        if not self.postgres:
            with self.services.store.transaction() as cursor:
                steps = self._due(cursor, today, False)
            fired = 0
            for step in steps:
                fired += self._record(step, today)
                with self.services.store.transaction(lock=True) as cursor:
                    self._mark_done(cursor, step)
            return len(steps), fired
        with self.services.store.transaction() as cursor:
            steps = self._due(cursor, today, True)  # FOR UPDATE SKIP LOCKED
            fired = 0
            for step in steps:
                fired += self._record(step, today)
                self._mark_done(cursor, step)
        return len(steps), fired

    def _due(self, cursor: Cursor, today: date, locking: bool) -> list[Step]:
        steps, deadlines = cursor.t.deadline_steps, cursor.t.deadlines
        s, d = steps.c, deadlines.c
        statement = (
            select(
                d.id, d.kind, d.campaign_id, d.plan_id, d.target_id, d.subject_id, d.due_on,
                s.lead_days, s.fire_on,
            )
            .join_from(steps, deadlines, d.id == s.deadline_id)
            .where(s.done == literal(False), s.fire_on <= today.isoformat())
            .order_by(s.fire_on, d.id, s.lead_days.desc())
            .limit(self.batch_size)
        )  # fmt: skip
        if locking:
            statement = statement.with_for_update(of=steps, skip_locked=True)
        return [_step(row) for row in cursor.execute(statement).fetchall()]

    @staticmethod
    def _mark_done(cursor: Cursor, step: Step) -> None:
        s = cursor.t.deadline_steps
        cursor.execute(
            update(s)
            .where(s.c.deadline_id == step.deadline_id, s.c.lead_days == step.lead_days)
            .values(done=True)
        )

    def _record(self, step: Step, today: date) -> int:
        app = self.services.app
        # record_once is False when it fired already: by another scheduler, or before a crash
        return sum(
            app.record_once(Firing, order.key, order.make)
            for order in firings_for(step, app, self.services.store, today)
        )


def _step(row: Any) -> Step:
    return Step(
        deadline_id=row[0], kind=row[1], campaign_id=row[2], plan_id=row[3], target_id=row[4],
        subject_id=row[5], due_on=date.fromisoformat(row[6]), lead_days=int(row[7]),
        fire_on=date.fromisoformat(row[8]),
    )  # fmt: skip


class Leadership:
    """Only one scheduler fires at a time: the one holding an advisory lock on a connection
    of its own. If that process dies, its connection and lock go with it and a standby
    takes over at its next try. SQLite is one host's file: its scheduler always leads."""

    def __init__(self, services: Services) -> None:
        self.settings = services.settings
        self._conn: psycopg.Connection[Any] | None = None
        # None until the first try, so that a standby says so at start too.
        self.leading: bool | None = None

    def try_lead(self) -> bool:
        leading = self._try_lead()
        if leading != self.leading:
            log.warning("this scheduler %s", "now leads" if leading else "stands by")
            self.leading = leading
        return leading

    def _try_lead(self) -> bool:
        if not is_postgres(self.settings):
            return True
        try:
            if self._conn is None or self._conn.closed:
                target = parse_postgres_url(self.settings.database_url)
                self._conn = psycopg.connect(target.conninfo(), autocommit=True)
            row = self._conn.execute(
                "SELECT pg_try_advisory_lock(%s)", (self._lock_key(),)
            ).fetchone()
            return bool(row and row[0])
        except psycopg.Error:
            self._conn = None
            return False

    def _lock_key(self) -> int:
        # One leader per store: per schema, since advisory locks span the whole database.
        return advisory_key(f"{parse_postgres_url(self.settings.database_url).schema}.scheduler")

    def resign(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class RunningScheduler:
    def __init__(self, background: BackgroundScheduler, leadership: Leadership) -> None:
        self.background, self.leadership = background, leadership

    def shutdown(self, wait: bool = True) -> None:
        self.background.shutdown(wait=wait)
        self.leadership.resign()  # standbys take over at their next tick


def run_scheduler(services: Services, *, interval_s: float = 10.0) -> RunningScheduler:
    """An in-memory APScheduler interval tick, plus one at start to catch up on what fell
    due while the service was down. No job store: the deadlines table is the memory."""
    scheduler = Scheduler(services)
    warn_if_refusing_unsigned(services.settings)
    deliverer = WebhookDeliverer(services)
    leadership = Leadership(services)
    guard = threading.Lock()

    def tick() -> None:
        if not guard.acquire(blocking=False):
            return  # the previous tick is still working
        try:
            if leadership.try_lead():
                services.projections.catch_up()  # act on deadlines derived from every event
                fired = scheduler.tick()
                if fired:
                    log.info("scheduler recorded %d firings", fired)
                services.projections.catch_up()  # the new firings become notifications
                deliverer.run_once()
        except Exception:
            log.exception("scheduler tick failed; the next tick retries")
        finally:
            guard.release()

    background = BackgroundScheduler(timezone="UTC")
    background.add_job(
        tick, "interval", seconds=interval_s, id="tick", max_instances=1, coalesce=True
    )
    background.start()
    background.add_job(tick, id="tick-at-start")
    return RunningScheduler(background, leadership)
