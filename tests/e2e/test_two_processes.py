"""Two API processes on one PostgreSQL, over real HTTP: idempotency and concurrency hold."""

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sansan.commands import examples as t
from sansan.commands import member as mc
from tests.e2e.servers import api_process, prepare_store
from tests.integration.api_support import as_request, bearer
from tests.support import china_today

pytestmark = pytest.mark.postgres


@pytest.fixture
def county_token(fresh_postgres_schema: str) -> str:
    return prepare_store(fresh_postgres_schema)


@pytest.fixture
def two_servers(fresh_postgres_schema: str, county_token: str) -> Iterator[tuple[str, str]]:
    with api_process(fresh_postgres_schema) as a, api_process(fresh_postgres_schema) as b:
        yield a, b


def training(days: float = 0.5, topic: str = "t") -> Any:
    return as_request(
        mc.RecordTraining(member_id=t.DUAL, occurred_on=china_today(), days=days, method="video", topic=topic)
    )


def trainings_recorded(base: str, token: str) -> int:
    history = httpx.get(
        f"{base}/api/v1/members/{t.DUAL}/history", headers=bearer(token), timeout=30
    ).json()
    return sum(1 for e in history if e["type"] == "TrainingCompleted")


def in_parallel(calls: list[Any]) -> list[Any]:
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_the_same_key_sent_to_both_processes_at_once_records_once(
    two_servers: tuple[str, str], county_token: str, fresh_postgres_schema: str
) -> None:
    a, b = two_servers
    keys = [f"key-{n}" for n in range(8)]

    def send(base: str, key: str) -> Any:
        """A client that retries until it gets an answer other than 409, as clients should."""
        request = training(topic=key)  # a training per key: the same one twice is a duplicate
        headers = bearer(county_token) | {"Idempotency-Key": key}
        while True:
            response = httpx.post(
                base + request.path, json=request.body, headers=headers, timeout=60
            )
            if response.status_code != 409:  # lost a race with another key on the same member
                return response

    responses = in_parallel(
        [lambda base=base, key=key: send(base, key) for key in keys for base in (a, b, a, b)]
    )
    by_key: dict[str, list[Any]] = {}
    for (key, _), response in zip([(k, s) for k in keys for s in range(4)], responses, strict=True):
        by_key.setdefault(key, []).append(response)
    for key, answers in by_key.items():
        assert {r.status_code for r in answers} == {200}, (key, [r.text for r in answers])
        assert len({r.text for r in answers}) == 1  # byte-for-byte the same answer
    assert trainings_recorded(a, county_token) == len(keys)

    with api_process(fresh_postgres_schema) as restarted:  # and after a restart
        again = send(restarted, keys[0])
        assert again.json() == by_key[keys[0]][0].json()
    assert trainings_recorded(b, county_token) == len(keys)


def test_sixteen_writers_across_two_processes_get_200_or_409_and_lose_nothing(
    two_servers: tuple[str, str], county_token: str
) -> None:
    a, b = two_servers
    before = trainings_recorded(a, county_token)

    def writer(n: int) -> list[int]:
        # each a training of its own: the same one twice is refused as a duplicate fact
        requests = [training(topic=f"t{n}-{k}") for k in range(5)]
        with httpx.Client(base_url=(a, b)[n % 2], headers=bearer(county_token), timeout=60) as client:
            return [client.post(r.path, json=r.body).status_code for r in requests]

    outcomes = [
        s
        for statuses in in_parallel([lambda n=n: writer(n) for n in range(16)])
        for s in statuses
    ]
    assert set(outcomes) <= {200, 409}
    assert trainings_recorded(b, county_token) - before == outcomes.count(200)
    state = httpx.get(
        f"{a}/api/v1/members/{t.DUAL}", headers=bearer(county_token), timeout=30
    ).json()
    year = str(china_today().year)  # the trainings occurred on that day
    assert state["state"]["training_days_by_year"][year] == 0.5 * outcomes.count(200)
