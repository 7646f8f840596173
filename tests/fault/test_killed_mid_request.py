"""The API process killed with SIGKILL in the middle of a write, then the client retries."""

import threading

import httpx
import pytest

from sansan.persistence import parse_postgres_url
from tests.fault.api_server import StartApi
from tests.fault.private_postgres import PrivatePostgres
from tests.fault.proxy import FirstByteTrap
from tests.fault.support import posts_in_log, recorded_posts, send, service_post, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]

EVENTS_TABLE = "sansan_events"  # the library names it after the application


def test_a_write_killed_while_waiting_for_the_store_is_recorded_once_when_retried_with_its_key(
    private_postgres: PrivatePostgres, private_database: str, county_token: str,
    start_api: StartApi,
) -> None:  # fmt: skip
    api = start_api(private_database)
    dbname = parse_postgres_url(private_database).dbname
    request, key = service_post("killed-while-waiting"), "key-killed-while-waiting"
    outcome: list[object] = []

    def waiting_client() -> None:
        try:
            outcome.append(send(api.base, county_token, request, key=key))
        except httpx.TransportError as exc:
            outcome.append(exc)

    def blocked_writers() -> list[int]:
        rows = watcher.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (dbname,),
        ).fetchall()
        return [int(pid) for (pid,) in rows]

    with private_postgres.connect(dbname) as watcher, private_postgres.connect(dbname) as holder:
        # Holding the table lock the write needs keeps the request in flight for certain.
        holder.execute("BEGIN")
        holder.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")
        client = threading.Thread(target=waiting_client)
        client.start()
        wait_for(lambda: len(blocked_writers()) == 1, 10, "the write waiting on the lock")
        [writer_backend] = blocked_writers()
        api.kill()
        client.join(timeout=30)
        assert isinstance(outcome[0], httpx.TransportError)  # the client never got an answer
        holder.execute("ROLLBACK")  # the orphaned write may go on now, if it can
        wait_for(
            lambda: not watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (writer_backend,)
            ).fetchall(),
            10, "the killed process's database session to end",
        )  # fmt: skip

    assert posts_in_log(private_database)["killed-while-waiting"] == 0  # nothing half-written
    api.start()
    first = send(api.base, county_token, request, key=key)
    assert first.status_code == 200, first.text
    again = send(api.base, county_token, request, key=key)
    assert (again.status_code, again.json()) == (200, first.json())
    assert posts_in_log(private_database)["killed-while-waiting"] == 1


def test_a_write_killed_after_commit_before_its_answer_is_answered_from_the_log_on_retry(
    private_database: str, county_token: str, start_api: StartApi
) -> None:
    api = start_api(private_database)
    request, key = service_post("killed-before-answer"), "key-killed-before-answer"
    # The server sends its first byte only after the command is committed; it dies then.
    trap = FirstByteTrap(api.port, on_answer=api.kill)
    with pytest.raises(httpx.TransportError):
        send(f"http://127.0.0.1:{trap.port}", county_token, request, key=key)
    assert trap.sprung.is_set()
    assert not api.is_alive()
    # Recorded, though nobody heard so.
    [version] = [v for p, v in recorded_posts(private_database) if p == "killed-before-answer"]

    api.start()
    retried = send(api.base, county_token, request, key=key)
    assert retried.status_code == 200, retried.text
    answer = retried.json()
    assert answer["version"] == version  # the answer the first request would have had
    assert [e["data"]["post"] for e in answer["events"]] == ["killed-before-answer"]
    assert posts_in_log(private_database)["killed-before-answer"] == 1

