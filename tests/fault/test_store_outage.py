"""The private PostgreSQL stopped and started again while clients keep writing."""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from tests.fault.api_server import StartApi
from tests.fault.private_postgres import PrivatePostgres
from tests.fault.support import (
    assert_problem,
    posts_in_log,
    posts_in_state,
    send,
    service_post,
    wait_for,
)

pytestmark = [pytest.mark.fault, pytest.mark.timeout(300)]

WRITERS = 4
# A pool reconnecting with doubling pauses (1, 2, 4, 8, 16, 32 s) would, after an outage of
# 35 s, next try some 28 s after the server is back: well past a recovery deadline that is
# generous for a loaded machine.
OUTAGE_S, RECOVERY_S = 35, 20


@dataclass
class Writer:
    """A client that sends one command after another, each with its own Idempotency-Key,
    and retries a key after a 503, a 409 (another writer came first) or a lost answer
    until it is acknowledged."""

    base: str
    token: str
    name: str
    acknowledged: dict[str, httpx.Response] = field(default_factory=dict)  # post -> answer
    statuses: Counter[int] = field(default_factory=Counter)
    unavailable: list[httpx.Response] = field(default_factory=list)
    lost_answers: int = 0

    def run(self, stop: threading.Event) -> None:
        n = 0
        while not stop.is_set():
            post = f"{self.name}-{n}"
            self.acknowledged[post] = self.until_acknowledged(post)
            n += 1

    def until_acknowledged(self, post: str) -> httpx.Response:
        # The key is retried whatever happens: only then is every outcome known at the end.
        while True:
            try:
                response = send(self.base, self.token, service_post(post), key=f"key-{post}")
            except httpx.TransportError:
                self.lost_answers += 1
                time.sleep(0.05)
                continue
            self.statuses[response.status_code] += 1
            if response.status_code == 200:
                return response
            if response.status_code == 503:
                self.unavailable.append(response)
            time.sleep(0.05)

    def acked(self) -> int:
        return len(self.acknowledged)


def test_an_outage_under_load_answers_503_then_recovers_and_every_acknowledged_event_is_kept_once(
    private_postgres: PrivatePostgres, private_database: str, county_token: str,
    start_api: StartApi,
) -> None:  # fmt: skip
    # A short connect timeout, so that requests during the outage answer soon.
    api = start_api(private_database, env={"SANSAN_POSTGRES_CONNECT_TIMEOUT_S": "1"})
    before = posts_in_log(private_database)
    writers = [Writer(api.base, county_token, f"w{n}") for n in range(WRITERS)]
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in writers]
    for thread in threads:
        thread.start()

    def acked() -> int:
        return sum(w.acked() for w in writers)

    try:
        wait_for(lambda: acked() >= 10, 30, "writes acknowledged before the outage")
        private_postgres.stop()
        stopped_at, down_at = time.monotonic(), acked()
        wait_for(
            lambda: sum(len(w.unavailable) for w in writers) >= WRITERS,
            30, "503s while the server is down",
        )  # fmt: skip
        ready = httpx.get(f"{api.base}/readyz", timeout=30)
        assert_problem(ready, 503, "store_unavailable")
        # Down long enough that a pool reconnecting with doubling pauses would be asleep for
        # seconds when the server comes back.
        time.sleep(max(0.0, stopped_at + OUTAGE_S - time.monotonic()))
        during = acked()
        private_postgres.start()
        wait_for(lambda: acked() > during, RECOVERY_S, "a write acknowledged after the restart")
        wait_for(lambda: acked() >= during + 10, 30, "writes acknowledged after the restart")
        wait_for(
            lambda: httpx.get(f"{api.base}/readyz", timeout=30).status_code == 200,
            10, "/readyz to report ready again",
        )  # fmt: skip
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert api.is_alive()  # the same process throughout: it recovered by itself
    # Nothing was acknowledged while the server was down (one answer may have been on its way).
    assert during - down_at <= WRITERS
    for writer in writers:
        assert set(writer.statuses) <= {200, 409, 503}, writer.statuses  # never a 500
        assert writer.lost_answers == 0  # the API answered every request, even when down
        for response in writer.unavailable:
            body = assert_problem(response, 503, "store_unavailable")
            assert response.headers["Retry-After"]
            # the advice that is always right: the same key records the command at most once
            assert "相同的 Idempotency-Key 重试" in body["message_zh"]
            assert "same Idempotency-Key" in body["message_en"]

    acknowledged = {post: r for w in writers for post, r in w.acknowledged.items()}
    recorded = posts_in_log(private_database) - before
    assert recorded == Counter(acknowledged.keys())  # each acknowledged post once, and nothing else
    assert posts_in_state(private_database) - before == Counter(acknowledged.keys())
    for post, first in acknowledged.items():  # a retry gets the very first answer again
        again = send(api.base, county_token, service_post(post), key=f"key-{post}")
        assert (again.status_code, again.json()) == (200, first.json())
    assert posts_in_log(private_database) - before == Counter(acknowledged.keys())
