"""The database switched to read-only (default_transaction_read_only) under a running API."""

import httpx
import pytest
from psycopg import sql

from sansan.commands import examples as t
from sansan.commands import member as mc
from sansan.persistence import parse_postgres_url
from tests.fault.api_server import StartApi
from tests.fault.private_postgres import PrivatePostgres
from tests.fault.support import assert_problem, posts_in_log, send, service_post, wait_for
from tests.integration.api_support import as_request, bearer
from tests.support import china_today

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]


def test_a_read_only_store_refuses_commands_with_a_clear_503_keeps_reads_and_recovers_by_itself(
    private_postgres: PrivatePostgres, private_database: str, county_token: str,
    start_api: StartApi,
) -> None:  # fmt: skip
    # The whole service (projections too), so that the read models' side is tried as well.
    api = start_api(private_database, api_only=False)
    dbname = parse_postgres_url(private_database).dbname
    auth = bearer(county_token)

    def get(path: str) -> httpx.Response:
        return httpx.get(api.base + path, headers=auth, timeout=30)

    def events_in_log() -> int:
        with private_postgres.connect(dbname) as conn:
            [(count,)] = conn.execute("SELECT count(*) FROM sansan_events").fetchall()
            return int(count)

    def set_read_only(value: str) -> None:
        with private_postgres.connect() as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = {}").format(
                    sql.Identifier(dbname), sql.Literal(value)
                )
            )

    def projected(position: int) -> bool:
        return get(f"/api/v1/communities?after={position}").status_code == 200

    first = send(api.base, county_token, service_post("before"), key="key-before")
    assert first.status_code == 200, first.text
    wait_for(lambda: projected(first.json()["position"]), 15, "the read models to catch up")
    set_read_only("on")
    with private_postgres.connect() as conn:  # sessions keep the default they began with
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,)
        )
    logged = events_in_log()

    refused = send(api.base, county_token, service_post("during"), key="key-during")
    body = assert_problem(refused, 503, "store_read_only")
    assert "只读" in body["message_zh"]
    assert "read-only" in body["message_en"]
    assert refused.headers["Retry-After"]
    training = as_request(
        mc.RecordTraining(member_id=t.DUAL, occurred_on=china_today(), days=1, method="video", topic="t")
    )
    other = httpx.post(api.base + training.path, json=training.body, headers=auth, timeout=30)
    assert_problem(other, 503, "store_read_only")
    assert events_in_log() == logged  # nothing half-written

    # Reads go on: the log, the read models, readiness.
    # (the street's: the general branch's state now names its former team member, personal data)
    assert get(f"/api/v1/organizations/{t.STREET}").status_code == 200
    assert projected(first.json()["position"])
    assert httpx.get(f"{api.base}/readyz", timeout=30).status_code == 200
    # Personal data is shown only once the reading is recorded, which cannot be now: a
    # member's, and a leadership team's as an organization's history names its members.
    assert_problem(get(f"/api/v1/members/{t.DUAL}"), 503, "store_read_only")
    assert_problem(get(f"/api/v1/organizations/{t.GB}/history"), 503, "store_read_only")
    assert events_in_log() == logged

    set_read_only("off")  # and the API's sessions are left alone: it must renew them itself
    retried = send(api.base, county_token, service_post("during"), key="key-during")
    assert retried.status_code == 200, retried.text
    assert posts_in_log(private_database)["during"] == 1
    position = retried.json()["position"]
    wait_for(lambda: projected(position), 15, "the read models to follow the log again")
    assert get(f"/api/v1/members/{t.DUAL}").status_code == 200
    assert get(f"/api/v1/organizations/{t.GB}/history").status_code == 200
