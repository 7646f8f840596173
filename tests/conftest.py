"""Shared fixtures: one ``app`` fixture runs integration tests on SQLite and PostgreSQL."""

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from sansan import bootstrap
from sansan.application import SansanApplication
from sansan.bootstrap import build_application, build_services
from sansan.clock import FixedClock
from sansan.demo import load_demo
from sansan.persistence import parse_postgres_url
from sansan.projections.store import ReadStore
from sansan.settings import Settings
from tests.clockshift.sansan_test_clock import NOW_VARIABLE, travel_from_environment
from tests.support import NOW

DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_configure(config: pytest.Config) -> None:
    # Before any test runs, so every recorded timestamp of the run is on the shifted clock.
    shifted = travel_from_environment()
    if shifted is not None:
        config.stash[SHIFTED_TO] = shifted


def pytest_report_header(config: pytest.Config) -> str | None:
    shifted = config.stash.get(SHIFTED_TO, None)
    if shifted is None:
        return None
    return f"{NOW_VARIABLE}: wall clock moved to {shifted.isoformat()} (ticking)"


SHIFTED_TO = pytest.StashKey[datetime]()


def postgres_url() -> str:
    return os.environ.get("SANSAN_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)


def require_postgres() -> None:
    """Skip without a server, except in CI, where a missing server is a failure."""
    try:
        with psycopg.connect(parse_postgres_url(postgres_url()).conninfo(), connect_timeout=3):
            return
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {postgres_url()} is not reachable: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def fresh_postgres_schema() -> Iterator[str]:
    """A database URL pointing at a schema of its own, dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    url = f"{postgres_url().split('?')[0]}?schema={schema}"
    yield url
    drop_schema(url)


@contextmanager
def store_for_module(
    backend: str, tmp_path_factory: pytest.TempPathFactory, prefix: str
) -> Iterator[str]:
    """A store for a module-scoped server: a SQLite file, or a PostgreSQL schema dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp(prefix) / 'sansan.db'}"
        return
    require_postgres()
    url = f"{postgres_url().split('?')[0]}?schema={prefix}_{uuid.uuid4().hex[:12]}"
    yield url
    drop_schema(url)


def drop_schema(url: str) -> None:
    target = parse_postgres_url(url)
    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(target.schema)))


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def _database_url(dbname: str, schema: str) -> str:
    """postgres_url()'s server and user, another database and schema."""
    server = postgres_url().split("?")[0].rsplit("/", 1)[0]
    return f"{server}/{dbname}?schema={schema}"


def _maintenance() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(parse_postgres_url(postgres_url()).conninfo(), autocommit=True)


class DemoTemplates:
    """The demo recorded once per run and store, then copied for each test that loads it.

    Recording the demo's commands took seconds per test, more on PostgreSQL; a copy of the
    store ``load_demo`` left behind (a SQLite file, a PostgreSQL database made from it as
    a template) holds the same events, ids and secret, and takes milliseconds. The template's
    read models (and audit chain) are caught up with the demo's events once, too: projecting
    them took seconds per test again. A test's fixture still builds its services, issues its
    tokens and catches up from there, so it starts from the same view as before.
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._sqlite: Path | None = None
        self._postgres: str | None = None  # the template database's name
        self._schema = f"t_demo_{uuid.uuid4().hex[:12]}"

    @staticmethod
    def _record(url: str) -> None:
        settings = Settings(database_url=url, run_scheduler=False)
        services = build_services(settings, FixedClock(NOW))
        try:
            load_demo(services.app)
            services.projections.catch_up()
        finally:
            services.close()

    def sqlite_copy(self, target: Path) -> str:
        if self._sqlite is None:
            path = self._tmp.mktemp("demo-template") / "sansan.db"
            self._record(f"sqlite:///{path}")
            self._sqlite = path
        # The backup API copies a consistent database whatever its journal mode.
        with (
            closing(sqlite3.connect(self._sqlite)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
        return f"sqlite:///{target}"

    def postgres_copy(self, add_finalizer: Callable[[], None]) -> str:
        if self._postgres is None:
            name = f"sansan_demo_{uuid.uuid4().hex[:12]}"
            with _maintenance() as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            self._postgres = name
            # _record closes what it opened: a template database must have no sessions.
            self._record(_database_url(name, self._schema))
        copy = f"sansan_demo_{uuid.uuid4().hex[:12]}"
        with _maintenance() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(copy), sql.Identifier(self._postgres)
                )
            )
        add_finalizer(lambda: _drop_database(copy))
        return _database_url(copy, self._schema)

    def copy(self, backend: str, folder: Path, add_finalizer: Callable[[], None]) -> str:
        """A copy's URL on ``backend`` ("sqlite": a file in ``folder``; "postgres": a database
        that ``add_finalizer`` drops)."""
        if backend == "sqlite":
            return self.sqlite_copy(folder / "sansan.db")
        require_postgres()
        return self.postgres_copy(add_finalizer)

    def close(self) -> None:
        if self._postgres is not None:
            _drop_database(self._postgres)


def _drop_database(name: str) -> None:
    with _maintenance() as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        conn.execute(drop)


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTemplates]:
    templates = DemoTemplates(tmp_path_factory)
    yield templates
    templates.close()


@pytest.fixture
def recorded_demo() -> None:
    """Asked for by a fixture whose store must start as the recorded demo (see ``settings``)."""


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    # The scheduler writes firings in the background; its own tests drive it by hand.
    if "recorded_demo" in request.fixturenames:
        # e.g. tests/integration's ``demo``: its store starts as a copy of the recorded demo.
        templates: DemoTemplates = request.getfixturevalue("demo_templates")
        url = templates.copy(request.param, tmp_path, request.addfinalizer)
        return Settings(database_url=url, run_scheduler=False)
    if request.param == "sqlite":
        return Settings(database_url=f"sqlite:///{tmp_path / 'sansan.db'}", run_scheduler=False)
    url = request.getfixturevalue("fresh_postgres_schema")
    return Settings(database_url=url, run_scheduler=False)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[SansanApplication]:
    application = build_application(settings, clock)
    yield application
    application.close()


@pytest.fixture
def open_app(settings: Settings, clock: FixedClock) -> Iterator[type[SansanApplication]]:
    """Opens further applications on the same store (another process, in effect)."""
    opened: list[SansanApplication] = []

    def factory(**overrides: object) -> SansanApplication:
        application = build_application(settings.model_copy(update=overrides), clock)
        opened.append(application)
        return application

    yield factory  # type: ignore[misc]
    for application in opened:
        application.close()


@pytest.fixture(autouse=True)
def read_stores_closed_after_each_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Many tests drive an app through ``TestClient(create_app(...))`` without entering it, so
    its lifespan never closes the read store; its PostgreSQL pool would hold connections for
    the rest of the run (the shared server allows 100)."""
    opened: list[ReadStore] = []
    real = bootstrap.open_read_store

    def tracked(settings: Settings) -> ReadStore:
        store = real(settings)
        opened.append(store)
        return store

    monkeypatch.setattr(bootstrap, "open_read_store", tracked)
    yield
    for store in opened:
        store.close()


# Files whose tests start processes (servers, Chromium, a private PostgreSQL, the CLI, scripts):
# few tests, each worth tens of integration tests (docs/testing.md, "CI time"). The integration
# files named here start processes too: test_serve_workers.py, handed out last, kept one worker
# busy a minute after the other had finished.
STARTS_PROCESSES = (
    "tests/e2e/", "tests/fault/", "tests/integration/test_serve_workers.py",
    "tests/integration/test_persistence.py", "tests/integration/test_projections.py",
)  # fmt: skip


def costly_first(scope: str, tests: int) -> tuple[bool, int]:
    """Sort key of a test file for the two workers: files that start processes, then the
    others, each group by its number of tests, most first."""
    return (not scope.startswith(STARTS_PROCESSES), -tests)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` with the files that start processes handed out first.

    xdist hands out files by their number of tests, most first, so those files, few tests
    each but minutes long, came last: a file runs on one worker, so one worker could still
    be running one of them (tests/e2e/test_schemathesis.py: 7 minutes under load) while the
    other had nothing left. Started first, they leave the small files to even out the end."""
    if config.getoption("dist", None) != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class CostlyFirst(LoadFileScheduling):
        ordered = False

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:  # the first call: the work queue is complete
                units = sorted(self.workqueue.items(), key=lambda u: costly_first(u[0], len(u[1])))
                self.workqueue.clear()
                self.workqueue.update(units)
                self.ordered = True
            super()._assign_work_unit(node)

    return CostlyFirst(config, log)
