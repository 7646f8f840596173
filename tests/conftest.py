"""Shared fixtures: one ``app`` fixture runs integration tests on SQLite and PostgreSQL."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from sansan.application import SansanApplication
from sansan.bootstrap import build_application
from sansan.clock import FixedClock
from sansan.persistence import parse_postgres_url
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


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    # The scheduler writes firings in the background; its own tests drive it by hand.
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
