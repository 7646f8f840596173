"""Fixtures of the fault tests: a private PostgreSQL, and API processes to kill."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.servers import prepare_store
from tests.fault.api_server import ApiServer, StartApi
from tests.fault.private_postgres import PostgresMissing, PrivatePostgres


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """One private server for the fault tests; stopped and removed whatever happens."""
    try:
        server = PrivatePostgres()
    except PostgresMissing as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def private_database(private_postgres: PrivatePostgres) -> str:
    """A fresh database on the private server (started again if a test left it stopped)."""
    if not private_postgres.is_running():
        private_postgres.start()
    return private_postgres.create_database()


@pytest.fixture
def county_token(private_database: str) -> str:
    return prepare_store(private_database)


@pytest.fixture
def start_api(tmp_path: Path) -> Iterator[StartApi]:
    """Starts API processes (``ApiServer`` options pass through); all killed afterwards."""
    started: list[ApiServer] = []

    def start(database_url: str, **options: object) -> ApiServer:
        server = ApiServer(database_url, tmp_path, **options)  # type: ignore[arg-type]
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.kill()
        print(f"--- {server.base} ---\n{server.log()}")  # shown when the test failed
