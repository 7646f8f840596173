"""Requests that record something (every read of a member's personal data does) run beside the
projection runner and the audit-chain follower of the same process without waiting on them."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sansan.commands import examples as t
from tests.e2e.servers import api_process, prepare_store
from tests.integration.api_support import bearer

READS, AT_ONCE = 48, 12


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sansan.db'}"
    url: str = request.getfixturevalue("fresh_postgres_schema")
    return url


@pytest.fixture
def server(store: str) -> Iterator[tuple[str, str]]:
    token = prepare_store(store)
    with api_process(store) as base:
        yield base, token


def test_recorded_reads_in_parallel_with_the_followers_are_all_answered(
    server: tuple[str, str],
) -> None:
    # Each read records a PersonalDataRead, so the runner and the follower have new events to
    # take while the next writes arrive. Reading the log under the read store's write lock
    # used to deadlock with a waiting writer on SQLite until the pool gave up: 503s.
    base, token = server

    def read(_: int) -> int:
        url = f"{base}/api/v1/members/{t.MEMBER}"
        return httpx.get(url, headers=bearer(token), timeout=120).status_code

    with ThreadPoolExecutor(AT_ONCE) as pool:
        statuses = list(pool.map(read, range(READS)))
    assert statuses == [200] * READS
    reads = httpx.get(
        f"{base}/api/v1/audit/personal-data-reads", params={"member_id": str(t.MEMBER)},
        headers=bearer(token), timeout=120,
    ).json()  # fmt: skip
    items = reads["items"] if isinstance(reads, dict) else reads
    assert len(items) >= READS
