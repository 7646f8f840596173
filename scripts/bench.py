#!/usr/bin/env python
"""Benchmarks of the write path, the read models and the HTTP service (issue 7).

    python scripts/bench.py [--quick|--full|--smoke] [--postgres URL] [--only d|f,i|k] [--workers N]

Prints one table to stdout and, as its last line, one JSON object with every figure.
Progress goes to stderr. Every figure is shown beside a reference measured in the same
run, because the machine is shared and absolute numbers drift.

PostgreSQL figures run in the database named by ``--postgres`` (created if missing), each
in a schema of its own that is dropped afterwards; SQLite figures in a temporary directory.
Bulk data (f, h, i) is generated once per run by the application itself: real domain
aggregates (streets, communities, general branches, branches, members) built with their
own methods and saved many to a transaction through ``SansanApplication.save``.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
import httpx
import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # the checkout's code, not whatever is installed

from bench_import import import_figure  # noqa: E402  (scripts/, beside this file)

from sansan.access import AccessService  # noqa: E402
from sansan.api.compliance_endpoints import FAILING_PAGE  # noqa: E402
from sansan.application import SansanApplication  # noqa: E402
from sansan.bootstrap import build_application, build_read_store, settle_heap  # noqa: E402
from sansan.commands.member import RecordTraining  # noqa: E402
from sansan.domain import Community, Member, PartyOrganization  # noqa: E402
from sansan.domain.base import Provenance  # noqa: E402
from sansan.persistence import library_env, migration_lock, parse_postgres_url  # noqa: E402
from sansan.plans import SHIPPED_PLAN_ID, get_plan  # noqa: E402
from sansan.projections.compliance import Page, evaluate  # noqa: E402
from sansan.projections.rebuild import rebuild  # noqa: E402
from sansan.projections.runner import ProjectionRunner  # noqa: E402
from sansan.projections.store import ReadStore  # noqa: E402
from sansan.settings import Settings  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/bench"
ACTOR = "bench:county"
TODAY = date.today()
LAUNCH = TODAY - timedelta(days=200)
THREADS = (1, 16)
WARM_UP_SECONDS = 3.0  # d: each client's unmeasured run at 16 clients before its figures
PAST_DAYS = 100  # h: the past day asked, as the board is asked with a 评估日期


@dataclass(frozen=True)
class Scale:
    name: str
    seconds: float  # each throughput measurement
    http_seconds: float
    deep_history: int  # e: events before the deep aggregate's commands
    history_samples: int
    communities: int  # f, h, i: the generated world
    members_per_community: int
    events_per_member: int
    catch_up_events: int  # f
    compliance_runs: int  # h
    freshness_seconds: float  # g
    freshness_rate: int
    import_members: int  # k: member rows, and a training each


SCALES = {
    "smoke": Scale("smoke", 0.25, 0.5, 60, 5, 4, 10, 4, 150, 3, 0.5, 50, 200),
    "quick": Scale("quick", 3.0, 5.0, 10_000, 40, 100, 100, 10, 50_000, 20, 10.0, 200, 10_000),
    "full": Scale("full", 10.0, 15.0, 10_000, 100, 1000, 100, 10, 100_000, 20, 30.0, 200, 100_000),
}


# -- output ---------------------------------------------------------------------------------------


def progress(length: int, label: str) -> Any:
    return click.progressbar(
        length=max(length, 1), label=f"{label:<34}", file=sys.stderr, show_eta=True
    )


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


# -- databases ------------------------------------------------------------------------------------


class Postgres:
    """The benchmark database; hands out fresh schemas and drops them all at the end."""

    def __init__(self, url: str) -> None:
        self.url = url.split("?")[0]
        self.target = parse_postgres_url(self.url)
        self.schemas: list[str] = []
        self._create_database()

    def _create_database(self) -> None:
        admin = psycopg.conninfo.make_conninfo(self.target.conninfo(), dbname="postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.target.dbname,)
            ).fetchone()
            if not found:
                conn.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.target.dbname))
                )

    def fresh(self, label: str) -> Settings:
        schema = f"bench_{label}_{uuid.uuid4().hex[:8]}"
        self.schemas.append(schema)
        return Settings(database_url=f"{self.url}?schema={schema}", run_scheduler=False)

    def connect(self, schema: str | None = None) -> psycopg.Connection[Any]:
        options = {"options": f"-c search_path={schema}"} if schema else {}
        return psycopg.connect(self.target.conninfo(), **options)

    def drop_all(self) -> None:
        with psycopg.connect(self.target.conninfo(), autocommit=True) as conn:
            for schema in self.schemas:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )
        self.schemas.clear()

    def version(self) -> str:
        with psycopg.connect(self.target.conninfo()) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"


def schema_of(settings: Settings) -> str:
    return parse_postgres_url(settings.database_url).schema


# -- load generation ------------------------------------------------------------------------------


@dataclass
class Load:
    ops: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, float]:
        return {
            "per_s": round(self.rate, 1),
            "p50_ms": ms(percentile(self.latencies, 50)),
            "p99_ms": ms(percentile(self.latencies, 99)),
            "errors": self.errors,
        }


def run_load(
    make_op: Callable[[int], Callable[[], None]],
    threads: int,
    seconds: float,
    label: str,
    meters: Sequence[Callable[[], float]] = (),
) -> tuple[Load, list[float]]:
    """``threads`` threads each run their own op in a loop for ``seconds``; every op timed.

    Each meter (a CPU clock) is read when the clock starts, after every thread's unmeasured
    first op, and again once the last timed op is done: what they count is the timed ops'
    own, as many as the ops counted."""
    ops = [make_op(i) for i in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def worker(i: int) -> None:
        op, mine = ops[i], latencies[i]
        op()  # warm the connection and the cache before the clock starts
        start.wait()
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                op()
            except Exception:
                errors[i] += 1
                continue
            mine.append(time.perf_counter() - t0)

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    at_start = [meter() for meter in meters]
    with progress(int(seconds * 10), f"{label}, {threads} thread(s)") as bar:
        while (elapsed := time.perf_counter() - began) < seconds:
            time.sleep(0.1)
            bar.update(1)
        stop.set()
    for w in workers:
        w.join()
    used = [meter() - before for meter, before in zip(meters, at_start, strict=True)]
    flat = [x for mine in latencies for x in mine]
    return Load(len(flat), elapsed, flat, sum(errors)), used


# -- a: the physical reference --------------------------------------------------------------------


def raw_postgres_inserts(pg: Postgres, settings: Settings, scale: Scale) -> dict[int, Load]:
    """Single-row insert transactions into a copy of the event table (no table lock)."""
    app = build_application(settings)  # creates the library's tables in the schema
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    app.close()
    schema = schema_of(settings)
    with pg.connect(schema) as conn:
        conn.execute(
            sql.SQL("CREATE TABLE raw_events (LIKE {} INCLUDING ALL)").format(sql.Identifier(table))
        )
    state = os.urandom(300)

    def make_op(_: int) -> Callable[[], None]:
        conn = pg.connect(schema)

        def op() -> None:
            conn.execute(
                "INSERT INTO raw_events (originator_id, originator_version, topic, state)"
                " VALUES (%s, 1, 'bench:Event', %s)",
                (uuid.uuid4(), state),
            )
            conn.commit()

        return op

    return {n: run_load(make_op, n, scale.seconds, "a raw psycopg insert")[0] for n in THREADS}


def raw_sqlite_inserts(path: Path, scale: Scale) -> dict[int, Load]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER,"
            " topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
    state = os.urandom(300)

    def make_op(_: int) -> Callable[[], None]:
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)

        def op() -> None:
            conn.execute(
                "INSERT INTO raw_events VALUES (?, 1, 'bench:Event', ?)", (uuid.uuid4().hex, state)
            )
            conn.commit()

        return op

    return {n: run_load(make_op, n, scale.seconds, "j raw sqlite3 insert")[0] for n in THREADS}


# -- b: the bare library --------------------------------------------------------------------------


class Tally(Aggregate):
    """A small aggregate for the bare-library figure."""

    def __init__(self) -> None:
        self.count = 0

    @event("Bumped")
    def bump(self, by: int) -> None:
        self.count += by


def bare_library(settings: Settings, scale: Scale, label: str) -> dict[int, Load]:
    """Load–change–save of a small aggregate, with the project's persistence settings."""
    with migration_lock(settings):  # also creates the schema
        app: Application = Application(library_env(settings, create_tables=True))
    try:
        ids: list[uuid.UUID] = []
        for _ in range(max(THREADS)):
            tally = Tally()
            app.save(tally)
            ids.append(tally.id)

        def make_op(i: int) -> Callable[[], None]:
            def op() -> None:
                tally: Tally = app.repository.get(ids[i])
                tally.bump(by=1)
                app.save(tally)

            return op

        return {n: run_load(make_op, n, scale.seconds, f"{label} bare library")[0] for n in THREADS}
    finally:
        app.close()


# -- c: the project's application -----------------------------------------------------------------


def prov(occurred_on: date = LAUNCH) -> Provenance:
    return Provenance(actor=ACTOR, occurred_on=occurred_on, today=TODAY)


# Each training a topic of its own: the same training of a member recorded twice on one day is
# refused (duplicate_fact), and a benchmark measures recording, not refusing.
_TOPICS = itertools.count()


def training(member_id: uuid.UUID) -> RecordTraining:
    return RecordTraining(
        member_id=member_id, occurred_on=TODAY - timedelta(days=1), days=1,
        method="lecture", topic=f"党课{next(_TOPICS)}",
    )  # fmt: skip


@dataclass
class World:
    street: PartyOrganization
    communities: list[uuid.UUID]
    members: list[uuid.UUID]
    events: int


def seed_world(
    app: SansanApplication,
    communities: int,
    members_per_community: int,
    events_per_member: int,
    label: str = "",
) -> World:
    """A street of communities, each with a general branch, two branches and members who
    have cards, trainings and volunteer service; saved one community per transaction."""
    street = PartyOrganization.establish(
        prov(), name="城关街道党工委", level="street_committee", parent=None, community=None
    )
    app.save(street)
    world = World(street, [], [], 1)
    with progress(communities, label or "seed") as bar:
        for c in range(communities):
            world.events += _seed_community(app, world, c, members_per_community, events_per_member)
            bar.update(1)
    return world


def _seed_community(
    app: SansanApplication, world: World, c: int, members: int, events_per_member: int
) -> int:
    community = Community.register(
        prov(), name=f"第{c}社区", street_committee=world.street, origin="existing"
    )
    general = PartyOrganization.establish(
        prov(), name=f"第{c}社区党总支", level="general_branch", parent=world.street,
        community=community,
    )  # fmt: skip
    community.attach_general_branch(prov(), organization_id=general.id)
    branches = [
        PartyOrganization.establish(
            prov(),
            name=f"第{c}社区第{b}党支部",
            level="neighborhood_branch",
            parent=general,
            community=None,
        )
        for b in (1, 2)
    ]
    aggregates: list[Any] = [community, general, *branches]
    for m in range(members):
        member = Member.register(
            prov(), name=f"党员{c}-{m}", category="direct", organization=branches[m % 2],
            birth_year=1950 + m % 50, workplace=None,
        )  # fmt: skip
        _member_history(member, events_per_member - 1, m)
        aggregates.append(member)
        world.members.append(member.id)
    world.communities.append(community.id)
    events = sum(len(a.pending_events) for a in aggregates)
    app.save(*aggregates)
    return events


def _member_history(member: Member, events: int, seed: int) -> None:
    """Cards first, then trainings and volunteer service spread over the campaign."""
    for k in range(events):
        day = LAUNCH + timedelta(days=(seed + 7 * k) % 190)
        if k == 0:
            member.issue_card(prov(day), card="community_activity", card_no=None)
        elif k == 1:
            member.issue_card(prov(day), card="household_contact", card_no=None)
        elif k % 2:
            member.complete_training(prov(day), days=1, method="lecture", topic=f"党课{k}")
        else:
            member.log_volunteer_service(prov(day), hours=2, activity="环境整治")


def project_commands(settings: Settings, scale: Scale, label: str) -> dict[int, Load]:
    app = build_application(settings)
    try:
        members = seed_world(app, 1, max(THREADS), 1).members

        def make_op(i: int) -> Callable[[], None]:
            def op() -> None:
                app.execute(training(members[i]), actor=ACTOR)

            return op

        return {
            n: run_load(make_op, n, scale.seconds, f"{label} project command")[0] for n in THREADS
        }
    finally:
        app.close()


# -- d: over HTTP ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def api_server(settings: Settings, workers: int = 1) -> Iterator[tuple[str, int]]:
    """``sansan serve --api-only --workers N`` in a subprocess, on this checkout's code."""
    port = free_port()
    env = {
        **os.environ,
        "SANSAN_DATABASE_URL": settings.database_url,
        "SANSAN_RUN_SCHEDULER": "false",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from sansan.cli import main; main()", "serve", "--api-only",
         "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: at load 10-15 on two cores, --workers 2 took 45 s and more to answer
        # (each process imports and builds the app); start-up is no figure here.
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"server exited: {err}")
            with suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("server did not come up")
            time.sleep(0.2)
        settle(process.pid, deadline)
        yield base, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stderr:
            process.stderr.close()


def settle(pid: int, deadline: float) -> None:
    """Wait until the server's processes go idle: the first worker answers while the
    others may still be starting, and their start-up is no request's CPU."""
    while time.monotonic() < deadline:
        before = tree_cpu_seconds(pid)
        time.sleep(0.5)
        if tree_cpu_seconds(pid) - before < 0.05:
            return


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its live descendants (the workers of ``--workers N``)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(FileNotFoundError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return cpu_seconds(pid) + sum(tree_cpu_seconds(child) for child in children)


class LeanClient:
    """One keep-alive HTTP/1.1 connection on a plain socket: the request's bytes built from a
    prefix and the JSON body, the answer read up to its Content-Length. Real clients are
    phones and browsers on other machines; on the benchmark's two cores httpx's ~0.8 ms of
    CPU per request competed with the server it measures (docs/benchmarks.md, lean-write5)."""

    def __init__(self, base: str, token: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.head = (
            f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nAccept: */*\r\n"
        ).encode("latin-1")
        self.sock: socket.socket | None = None
        self.buffer = b""

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """The answer's status and body; the connection is opened (again) as needed."""
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        request = b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (
            path.encode("ascii"),
            self.head,
            len(body),
            body,
        )
        try:
            self.sock.sendall(request)
            return self._answer()
        except BaseException:
            self.close()
            raise

    def _answer(self) -> tuple[int, bytes]:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._more()
        head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
        status_line, *fields = head.split("\r\n")
        headers = dict(f.split(":", 1) for f in fields)
        lengths = [v for k, v in headers.items() if k.lower() == "content-length"]
        if not lengths:
            raise RuntimeError(f"no Content-Length in {status_line!r}")
        length = int(lengths[0])
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if any(k.lower() == "connection" and "close" in v.lower() for k, v in headers.items()):
            self.close()
        return int(status_line.split(" ", 2)[1]), body

    def _more(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def training_body(member_id: uuid.UUID) -> bytes:
    """The body the httpx client posts, as JSON bytes: the same fields and values."""
    fields = training(member_id).model_dump(mode="json", exclude={"member_id"})
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def http_commands(settings: Settings, scale: Scale, workers: int) -> dict[str, Any]:
    """RecordTraining over HTTP, one member per client; also the CPU the server and this
    (client) process spend per request, to tell waiting from working. The lean client is the
    figure; httpx's run, after it on the same server, is kept beside it for comparison."""
    app = build_application(settings)
    try:
        members = seed_world(app, 1, max(THREADS), 1).members
        token, _ = AccessService(app).issue_token(
            role="county", scope_org_id=None, label="bench", actor=ACTOR
        )
    finally:
        app.close()
    warm_up = min(scale.http_seconds / 2, WARM_UP_SECONDS)
    figures: dict[str, Any] = {"workers": workers, "warm_up_seconds": warm_up, "httpx": {}}
    with api_server(settings, workers) as (base, pid):

        def lean_op(i: int) -> Callable[[], None]:
            client = LeanClient(base, token)
            url = f"/api/v1/members/{members[i]}/trainings"

            def op() -> None:
                status, answer = client.post(url, training_body(members[i]))
                if status != 200:
                    raise RuntimeError(f"{status}: {answer[:200]!r}")

            return op

        def httpx_op(i: int) -> Callable[[], None]:
            client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            url = f"/api/v1/members/{members[i]}/trainings"

            def op() -> None:
                body = training(members[i]).model_dump(mode="json", exclude={"member_id"})
                response = client.post(url, json=body)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")

            return op

        def server_cpu() -> float:
            return tree_cpu_seconds(pid)

        def my_cpu() -> float:
            return cpu_seconds(os.getpid())

        for make_op, into, label in (
            (lean_op, figures, "d HTTP command"),
            (httpx_op, figures["httpx"], "d HTTP command, httpx"),
        ):
            # Whichever client is measured first used to meet a cold server: its aggregate
            # cache, the store's connection pool growing to 16 clients, PostgreSQL's buffers
            # (0.3 ms more server CPU per write in its first 16-client run than in the next,
            # docs/benchmarks.md, lean-write6). Each client's figures follow a warm-up of its own.
            run_load(make_op, max(THREADS), warm_up, f"{label}, warm-up (not measured)")
            for clients in THREADS:
                load, (server, me) = run_load(
                    make_op, clients, scale.http_seconds, label, (server_cpu, my_cpu)
                )
                into[f"t{clients}"] = load.summary() | {
                    "server_cpu_ms_per_request": ms(server / max(load.ops, 1)),
                    "client_cpu_ms_per_request": ms(me / max(load.ops, 1)),
                }
    return figures


# -- e: history flatness --------------------------------------------------------------------------


def history_flatness(settings: Settings, scale: Scale) -> dict[str, Any]:
    """Command latency on a member with 10 prior events against one with many, with the
    aggregate cache off so every command loads from the store (snapshot + tail)."""
    app = build_application(settings)
    try:
        world = seed_world(app, 1, 2, 10)
        shallow, deep = world.members
        member = app.get(deep, Member)
        chunk = 1000
        with progress(scale.deep_history - 10, "e deep history") as bar:
            for start in range(10, scale.deep_history, chunk):
                for k in range(min(chunk, scale.deep_history - start)):
                    day = LAUNCH + timedelta(days=k % 190)
                    member.complete_training(
                        prov(day), days=1, method="lecture", topic=f"党课{start + k}"
                    )
                app.save(member)
                bar.update(chunk)
    finally:
        app.close()
    result: dict[str, Any] = {"prior_events": [10, scale.deep_history]}
    for cache, label in ((0, "cold"), (settings.aggregate_cache_size, "cached")):
        cold = build_application(settings.model_copy(update={"aggregate_cache_size": cache}))
        try:
            times: dict[uuid.UUID, list[float]] = {shallow: [], deep: []}
            with progress(scale.history_samples, f"e commands, cache {label}") as bar:
                for _ in range(scale.history_samples):
                    for member_id in (shallow, deep):
                        t0 = time.perf_counter()
                        cold.execute(training(member_id), actor=ACTOR)
                        times[member_id].append(time.perf_counter() - t0)
                    bar.update(1)
        finally:
            cold.close()
        p_shallow, p_deep = (statistics.median(times[m]) for m in (shallow, deep))
        result[label] = {
            "p50_ms_10": ms(p_shallow), "p50_ms_deep": ms(p_deep),
            "ratio": ratio(p_deep, p_shallow),
        }  # fmt: skip
    result["ratio"] = result["cold"]["ratio"]
    return result


# -- f, h, i: the generated world -----------------------------------------------------------------


class TimedRunner(ProjectionRunner):
    """Notes when each batch became visible (its transaction committed), and where it ended."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.marks: list[tuple[float, int]] = []
        self.batches: list[tuple[float, int]] = []  # (seconds, events) of each batch

    def run_once(self) -> int:
        began = time.perf_counter()
        applied = super().run_once()
        if applied:
            committed = time.perf_counter()
            self.marks.append((committed, self.position()))
            self.batches.append((committed - began, applied))
        return applied


def read_model_tables(conn: psycopg.Connection[Any], schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
        " AND table_name LIKE 'rm%%' ORDER BY table_name",
        (schema,),
    ).fetchall()
    return [r[0] for r in rows]


def catch_up(
    pg: Postgres, settings: Settings, app: SansanApplication, scale: Scale
) -> dict[str, Any]:
    """The runner applying the first events of the log into fresh tables, against inserting
    the very rows it wrote with plain batched INSERTs in as many transactions."""
    store = build_read_store(settings)
    runner = ProjectionRunner(app, store)
    applied = batches = 0
    try:
        # The batches of ``ProjectionRunner.catch_up``, stopped after the events measured:
        # on the one connection it holds for them.
        with progress(scale.catch_up_events, "f projection catch-up") as bar, store.holding():
            began = time.perf_counter()
            while applied < scale.catch_up_events and (n := runner.run_once()):
                applied, batches = applied + n, batches + 1
                bar.update(n)
            projected = time.perf_counter() - began
    finally:
        store.close()
    schema = schema_of(settings)
    scratch = f"{schema}_raw"
    pg.schemas.append(scratch)
    with pg.connect(schema) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(scratch)))
        tables = {}
        for name in read_model_tables(conn, schema):
            conn.execute(
                sql.SQL("CREATE TABLE {}.{} (LIKE {} INCLUDING ALL)").format(
                    sql.Identifier(scratch), sql.Identifier(name), sql.Identifier(name)
                )
            )
            tables[name] = conn.execute(
                sql.SQL("SELECT * FROM {}").format(sql.Identifier(name))
            ).fetchall()
        conn.commit()
    rows = [(name, row) for name, table_rows in tables.items() for row in table_rows]
    per_batch = max(1, -(-len(rows) // max(batches, 1)))
    with pg.connect(scratch) as conn, progress(len(rows), "f raw batched inserts") as bar:
        began = time.perf_counter()
        for start in range(0, len(rows), per_batch):
            chunk = rows[start : start + per_batch]
            with conn.cursor() as cur:
                for name in dict.fromkeys(n for n, _ in chunk):
                    values = [r for n, r in chunk if n == name]
                    marks = ", ".join(["%s"] * len(values[0]))
                    cur.executemany(
                        sql.SQL("INSERT INTO {} VALUES (" + marks + ")").format(
                            sql.Identifier(name)
                        ),
                        values,
                    )
            conn.commit()
            bar.update(len(chunk))
        raw = time.perf_counter() - began
    projected_rate, raw_rate = applied / projected, applied / raw
    return {
        "events": applied, "rows": len(rows), "transactions": batches,
        "events_per_s": round(projected_rate), "raw_events_per_s": round(raw_rate),
        "ratio": ratio(projected_rate, raw_rate),
    }  # fmt: skip


def rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@contextmanager
def peak_rss() -> Iterator[dict[str, float]]:
    """The largest resident memory seen (sampled every 50 ms) while the block runs."""
    seen = {"before_mb": rss_mb(), "peak_mb": rss_mb()}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            seen["peak_mb"] = max(seen["peak_mb"], rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield seen
    finally:
        done.set()
        sampler.join()
        seen["peak_mb"] = max(seen["peak_mb"], rss_mb())


def rebuild_time(app: SansanApplication, settings: Settings, head: int) -> dict[str, Any]:
    store = build_read_store(settings)
    try:
        with progress(head, "i rebuild") as bar, peak_rss() as memory:
            began = time.perf_counter()
            rebuild(app, store, on_progress=bar.update)
            took = time.perf_counter() - began
    finally:
        store.close()
    return {
        "events": head, "seconds": round(took, 1), "events_per_s": round(head / took),
        "rss_before_mb": round(memory["before_mb"]), "rss_peak_mb": round(memory["peak_mb"]),
    }  # fmt: skip


def compliance_latency(settings: Settings, scale: Scale, world: World) -> dict[str, Any]:
    """The board as the overview asks for it (first page of each failing list plus totals),
    today and on a day a hundred days back."""
    store: ReadStore = build_read_store(settings)
    plan = get_plan(SHIPPED_PLAN_ID)
    page = Page(0, FAILING_PAGE)
    out: dict[str, Any] = {
        "communities": len(world.communities), "members": len(world.members), "page": page.limit,
    }  # fmt: skip
    try:
        for key, day in (("today", TODAY), ("past", TODAY - timedelta(days=PAST_DAYS))):
            evaluate(store, plan, launch=LAUNCH, as_of=day, page=page)  # warm
            times = []
            with progress(scale.compliance_runs, f"h board {key}") as bar:
                for _ in range(scale.compliance_runs):
                    t0 = time.perf_counter()
                    results = evaluate(store, plan, launch=LAUNCH, as_of=day, page=page)
                    times.append(time.perf_counter() - t0)
                    bar.update(1)
            out["targets"] = len(results)
            out[key] = {"as_of": day.isoformat(), "p50_ms": ms(percentile(times, 50)),
                        "p95_ms": ms(percentile(times, 95))}  # fmt: skip
    finally:
        store.close()
    return out


# -- g: freshness ---------------------------------------------------------------------------------


def freshness(settings: Settings, scale: Scale) -> dict[str, Any]:
    """Commands at a steady rate with the projection runner in the same process (as
    ``sansan serve`` runs it); delay from each command's commit to the commit of the
    batch that made it visible in the read models."""
    app = build_application(settings)
    store = build_read_store(settings)
    runner = TimedRunner(app, store, listen=settings)
    try:
        members = seed_world(app, 1, 200, 1).members
        runner.catch_up()
        runner.start()
        total = int(scale.freshness_rate * scale.freshness_seconds)
        interval = 1 / scale.freshness_rate
        due: queue.Queue[tuple[int, float] | None] = queue.Queue()
        commits: list[tuple[float, int]] = []
        lock = threading.Lock()

        def worker() -> None:
            while (item := due.get()) is not None:
                k, at = item
                time.sleep(max(0.0, at - time.perf_counter()))
                result = app.execute(training(members[k % len(members)]), actor=ACTOR)
                committed = time.perf_counter()
                with lock:
                    commits.append((committed, result.position))

        workers = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
        began = time.perf_counter() + 0.1
        for k in range(total):
            due.put((k, began + k * interval))
        for _ in workers:
            due.put(None)
        for w in workers:
            w.start()
        with progress(total, f"g freshness at {scale.freshness_rate}/s") as bar:
            done = 0
            while done < total:
                time.sleep(0.1)
                with lock:
                    bar.update(len(commits) - done)
                    done = len(commits)
        for w in workers:
            w.join()
        finished = time.perf_counter()
        deadline = time.monotonic() + 30
        while runner.position() < max(p for _, p in commits) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        runner.stop()
        store.close()
        app.close()
    marks = sorted(runner.marks, key=lambda mark: mark[1])  # one runner: positions only grow
    positions = [p for _, p in marks]
    delays = []
    for committed, position in commits:
        first = bisect.bisect_left(positions, position)
        if first < len(marks):
            delays.append(max(0.0, marks[first][0] - committed))
    batch_times = [t for t, _ in runner.batches]
    return {
        "commands": len(commits), "achieved_per_s": round(len(commits) / (finished - began), 1),
        "visible": len(delays), "p50_ms": ms(percentile(delays, 50)),
        "p99_ms": ms(percentile(delays, 99)), "batches": len(runner.batches),
        "batch_events_max": max((n for _, n in runner.batches), default=0),
        "batch_ms_p50": ms(percentile(batch_times, 50)),
        "batch_ms_p99": ms(percentile(batch_times, 99)),
    }  # fmt: skip


# -- the run --------------------------------------------------------------------------------------


def loads(figures: dict[int, Load]) -> dict[str, Any]:
    return {f"t{n}": load.summary() for n, load in figures.items()}


def add_ratios(figures: dict[str, Any]) -> None:
    for n in THREADS:
        a, b, c = (figures[k][f"t{n}"] for k in "abc")
        b["ratio_b_a"], c["ratio_c_b"] = (
            ratio(b["per_s"], a["per_s"]),
            ratio(c["per_s"], b["per_s"]),
        )


FIGURES = "abcdefghijk"
# The reference each figure is a ratio of, measured in the same run (d needs b, not a).
# h asks the read models i built.
REFERENCES = {"b": "a", "c": "ab", "d": "b", "h": "i"}
WORLD = set("fhi")  # one generated world serves all three


def selected(only: str | None) -> set[str]:
    """The figures to run: all, or those named and what they are measured against."""
    if not only:
        return set(FIGURES)
    chosen = set(only)
    for figure in only:
        chosen |= set(REFERENCES.get(figure, ""))
    return chosen


def host_speed_ms() -> float:
    """The median of five timings of one fixed pure-Python loop: the host's speed as this
    interpreter sees it. Absolute figures (ms, per s) move with it from machine to machine and
    minute to minute (the same VM kind has taken 1x to 2x as long); ratios within a run do not."""
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        timings.append(time.perf_counter() - began)
    return round(1000 * statistics.median(timings), 1)


def run(scale: Scale, postgres_url: str, figures: set[str], workers: int = 1) -> dict[str, Any]:
    pg = Postgres(postgres_url)
    out: dict[str, Any] = {"scale": scale.name, "postgres": pg.version(),
                           "python": sys.version.split()[0], "cpus": os.cpu_count(),
                           "host_loop_ms": {"start": host_speed_ms()}}  # fmt: skip
    try:
        if "a" in figures:
            out["a"] = loads(raw_postgres_inserts(pg, pg.fresh("a"), scale))
        if "b" in figures:
            out["b"] = loads(bare_library(pg.fresh("b"), scale, "b"))
        if "c" in figures:
            out["c"] = loads(project_commands(pg.fresh("c"), scale, "c"))
            add_ratios(out)
        if "d" in figures:
            out["d"] = http_commands(pg.fresh("d"), scale, workers)
            for n in THREADS:
                for d in (out["d"], out["d"]["httpx"]):
                    d[f"t{n}"]["ratio_d_b"] = ratio(d[f"t{n}"]["per_s"], out["b"][f"t{n}"]["per_s"])
        if "e" in figures:
            out["e"] = history_flatness(pg.fresh("e"), scale)
        if figures & WORLD:
            world(pg, scale, figures, out)
        pg.drop_all()
        if "g" in figures:
            out["g"] = freshness(pg.fresh("g"), scale)
        if "j" in figures:
            with tempfile.TemporaryDirectory() as tmp:
                out["j"] = sqlite_figures(Path(tmp), scale)
        if "k" in figures:
            print("k import (in a process of its own)", file=sys.stderr)
            out["k"] = import_figure(pg, scale.import_members)
    finally:
        pg.drop_all()
    out["host_loop_ms"]["end"] = host_speed_ms()
    return out


def world(pg: Postgres, scale: Scale, figures: set[str], out: dict[str, Any]) -> None:
    """f, i and h (those chosen): one generated world, caught up, rebuilt, asked for its report."""
    world_settings = pg.fresh("world")
    app = build_application(world_settings.model_copy(update={"aggregate_cache_size": 0}))
    try:
        began = time.perf_counter()
        world = seed_world(
            app, scale.communities, scale.members_per_community, scale.events_per_member,
            "generate the event log",
        )  # fmt: skip
        generated = time.perf_counter() - began
        settle_heap()  # as a started service (and ``sansan projections rebuild``) does
        out["generated"] = {
            "events": world.events, "seconds": round(generated, 1),
            "events_per_s": round(world.events / generated),
        }  # fmt: skip
        if "f" in figures:
            out["f"] = catch_up(pg, world_settings, app, scale)
        if "i" in figures:
            head = app.recorder.max_notification_id() or 0
            out["i"] = rebuild_time(app, world_settings, head)
        if "h" in figures:
            out["h"] = compliance_latency(world_settings, scale, world)
    finally:
        app.close()


def sqlite_figures(tmp: Path, scale: Scale) -> dict[str, Any]:
    def settings(name: str) -> Settings:
        return Settings(database_url=f"sqlite:///{tmp / name}.db", run_scheduler=False)

    figures = {
        "a": loads(raw_sqlite_inserts(tmp / "raw.db", scale)),
        "b": loads(bare_library(settings("bare"), scale, "j")),
        "c": loads(project_commands(settings("project"), scale, "j")),
    }
    add_ratios(figures)
    return figures


# -- the table ------------------------------------------------------------------------------------

TARGETS = {
    "d/b at 16 clients": (lambda o: o["d"]["t16"]["ratio_d_b"], ">=", 0.8),
    "d server CPU ms/write, 16": (lambda o: o["d"]["t16"]["server_cpu_ms_per_request"], "<=", 2),
    "e deep/shallow": (lambda o: o["e"]["ratio"], "<=", 1.5),
    "f projection/raw": (lambda o: o["f"]["ratio"], ">=", 0.5),
    "i rebuild s per 1M events": (lambda o: round(o["i"]["seconds"] * 1e6 / o["i"]["events"], 1),
                                  "<=", 180),
    "g p99 ms": (lambda o: o["g"]["p99_ms"], "<=", 250),
    "h today p95 ms": (lambda o: o["h"]["today"]["p95_ms"], "<=", 100),
    "h past p95 ms": (lambda o: o["h"]["past"]["p95_ms"], "<=", 1000),
    "k import/raw": (lambda o: o["k"]["ratio"], ">=", 0.5),
    "SQLite commands/s": (lambda o: max(o["j"]["c"]["t1"]["per_s"], o["j"]["c"]["t16"]["per_s"]),
                          ">=", 1000),
}  # fmt: skip


def import_line(k: dict[str, Any]) -> str:
    return (
        f"k import of {k['members']} members and a training each: {k['rows']} rows, "
        f"{k['events']} events in {k['seconds']} s ({k['rows_per_s']} rows/s, "
        f"{k['events_per_s']} events/s; CPU {k['cpu_ms_per_row']} ms/row); "
        f"raw batched inserts of the same events in "
        f"{k['transactions']} txns {k['raw_events_per_s']} events/s -> ratio {k['ratio']}; "
        f"peak RSS {k['peak_rss_mb']} MB ({k['small_peak_rss_mb']} MB at "
        f"{k['small_members']} members)"
    )


def figure_lines(o: dict[str, Any]) -> list[str]:
    lines = []
    if e := o.get("e"):
        lines += [
            f"e history flatness, cache off: {e['cold']['p50_ms_10']} ms at 10 events, "
            f"{e['cold']['p50_ms_deep']} ms at {e['prior_events'][1]} "
            f"-> ratio {e['cold']['ratio']}",
            f"  cache on: {e['cached']['p50_ms_10']} ms vs {e['cached']['p50_ms_deep']} ms "
            f"-> ratio {e['cached']['ratio']}",
        ]
    if "generated" in o:
        lines.append(
            f"event log generated: {o['generated']['events']} events in "
            f"{o['generated']['seconds']} s ({o['generated']['events_per_s']}/s)"
        )
    if "f" in o:
        lines += [
            f"f projection catch-up: {o['f']['events']} events at {o['f']['events_per_s']}/s; raw "
            f"batched inserts of its {o['f']['rows']} rows in {o['f']['transactions']} txns "
            f"{o['f']['raw_events_per_s']} events/s -> ratio {o['f']['ratio']}",
        ]
    if "g" in o:
        lines.append(
            f"g freshness at {o['g']['achieved_per_s']} commands/s: p50 {o['g']['p50_ms']} ms, "
            f"p99 {o['g']['p99_ms']} ms ({o['g']['visible']}/{o['g']['commands']} seen); "
            f"{o['g']['batches']} batches, at most {o['g']['batch_events_max']} events, "
            f"p50 {o['g']['batch_ms_p50']} ms, p99 {o['g']['batch_ms_p99']} ms each"
        )
    if "h" in o:
        h = o["h"]
        lines += [
            f"h board (first {h['page']} failing of each list), {h['communities']} communities, "
            f"{h['members']} members, {h['targets']} targets: today p50 {h['today']['p50_ms']} ms, "
            f"p95 {h['today']['p95_ms']} ms; {PAST_DAYS} days back p50 {h['past']['p50_ms']} ms, "
            f"p95 {h['past']['p95_ms']} ms",
        ]
    if "i" in o:
        lines.append(
            f"i rebuild of {o['i']['events']} events: {o['i']['seconds']} s "
            f"({o['i']['events_per_s']} events/s), resident memory {o['i']['rss_before_mb']} MB "
            f"before, peak {o['i']['rss_peak_mb']} MB"
        )
    if "k" in o:
        lines.append(import_line(o["k"]))
    return lines


def table(o: dict[str, Any]) -> str:
    lines = [f"scale {o['scale']}; PostgreSQL {o['postgres']}; Python {o['python']}; "
             f"{o['cpus']} CPUs",
             "host speed: a 1,000,000-step Python loop took {start} ms at the start, "
             "{end} ms at the end".format(**o["host_loop_ms"]), ""]  # fmt: skip
    row = "{:<58}{:>10}{:>10}{:>10}{:>8}"
    lines.append(row.format("figure", "per s", "p50 ms", "p99 ms", "ratio"))

    def add(label: str, fig: dict[str, Any], ratio_key: str = "") -> None:
        lines.append(row.format(label, fig["per_s"], fig["p50_ms"], fig["p99_ms"],
                                fig.get(ratio_key, "")))  # fmt: skip

    for db, src in (("PostgreSQL", o), ("SQLite (j)", o.get("j", {}))):
        for n in THREADS:
            t = f"t{n}"
            if "a" in src:
                add(f"{db} a raw insert txn, {n} thr", src["a"][t])
            if "b" in src:
                add(f"{db} b bare library load-change-save, {n} thr (b/a)", src["b"][t],
                    "ratio_b_a")  # fmt: skip
            if "c" in src:
                add(f"{db} c project RecordTraining, {n} thr (c/b)", src["c"][t], "ratio_c_b")
    if "d" in o:
        for n in THREADS:
            add(f"d HTTP RecordTraining, {n} client(s) (d/b)", o["d"][f"t{n}"], "ratio_d_b")
        for n in THREADS:
            add(f"  the same with httpx as the client, {n} client(s) (d/b)",
                o["d"]["httpx"][f"t{n}"], "ratio_d_b")  # fmt: skip
        for name, d in (("lean client", o["d"]), ("httpx", o["d"]["httpx"])):
            lines.append(
                f"  {name}: CPU per request (1 / 16 clients), server with "
                f"--workers {o['d']['workers']}: "
                + " / ".join(f"{d[f't{n}']['server_cpu_ms_per_request']} ms" for n in THREADS)
                + "; client: "
                + " / ".join(f"{d[f't{n}']['client_cpu_ms_per_request']} ms" for n in THREADS)
            )
        lines.append(
            f"  each client warmed the server first ({max(THREADS)} clients, "
            f"{o['d']['warm_up_seconds']} s, not measured); CPU counted over the timed requests"
        )
    lines += ["", *figure_lines(o), "", "targets:"]
    for label, (get, op, bound) in TARGETS.items():
        try:
            value = get(o)
        except KeyError:  # not run (--only)
            continue
        held = value >= bound if op == ">=" else value <= bound
        lines.append(f"  {label:<24} {value:>10} {op} {bound:<6} {'holds' if held else 'MISSED'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    for name in SCALES:
        size.add_argument(f"--{name}", dest="scale", action="store_const", const=name)
    parser.add_argument("--postgres", default=os.environ.get("SANSAN_BENCH_DATABASE_URL",
                                                             DEFAULT_POSTGRES))  # fmt: skip
    parser.add_argument("--only", metavar="LETTERS", help="run only these figures (e.g. d) and "
                        "the references they are measured against (d: b)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=1,
                        help="d: the server's `sansan serve --workers N`")  # fmt: skip
    args = parser.parse_args()
    if args.only:
        args.only = "".join(args.only.replace(",", " ").split())  # "f,i" or "fi"
    if args.only and set(args.only) - set(FIGURES):
        parser.error(f"--only takes letters from {FIGURES}")
    figures = run(SCALES[args.scale or "quick"], args.postgres, selected(args.only), args.workers)
    print(table(figures))
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
