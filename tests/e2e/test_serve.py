"""`sansan serve --demo` and `sansan token` as an operator uses them, in real processes."""

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sansan.commands import examples as t
from sansan.demo import demo_id
from tests.e2e.servers import free_port, prepare_store, wait_until_up
from tests.support import china_today

TOKEN = re.compile(r"^\s+(\w+)\s+\S+\s+(ssn_\S+)$", re.MULTILINE)


def test_serve_demo_prints_a_token_per_role_and_the_readme_curl_lines_work(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SANSAN_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["sansan", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, server)
            tokens = dict(TOKEN.findall(log.read_text()))
            assert set(tokens) == {"county", "street", "community", "auditor", "client"}
            member = demo_id("member", "铁西-1")
            auth = {"Authorization": f"Bearer {tokens['community']}"}
            recorded = httpx.post(
                f"{base}/api/v1/members/{member}/trainings",
                json={
                    "occurred_on": china_today().isoformat(),
                    "days": 2,
                    "method": "lecture",
                    "topic": "党课",
                },
                headers=auth | {"Idempotency-Key": "readme-1"},
                timeout=60,
            )
            assert recorded.status_code == 200, recorded.text
            history = httpx.get(
                f"{base}/api/v1/members/{member}/history", headers=auth, timeout=60
            ).json()
            assert history[-1]["type"] == "TrainingCompleted"
            assert history[-1]["actor"] == "community:铁西社区党总支（演示）"
            listed = httpx.get(
                f"{base}/api/v1/communities", params={"after": recorded.json()["position"]},
                headers={"Authorization": f"Bearer {tokens['county']}"}, timeout=60,
            )  # fmt: skip
            assert len(listed.json()["items"]) == 7
        finally:
            server.terminate()
            server.wait(timeout=30)


def start_demo(env: dict[str, str], log: Path) -> str:
    """Run `sansan serve --demo` until it answers; what it printed, and /demo/sign-in's answer."""
    port = free_port()
    with log.open("w") as out:
        server = subprocess.Popen(
            ["sansan", "serve", "--demo", "--port", str(port)], env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, server)
            sign_in = httpx.get(f"{base}/demo/sign-in").json()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return log.read_text() + f"\nsign-in: {sign_in['token']}"


def test_a_second_demo_start_on_the_same_store_issues_no_new_tokens(tmp_path: Path) -> None:
    env = {**os.environ, "SANSAN_DATABASE_URL": f"sqlite:///{tmp_path / 'again.db'}"}
    first = start_demo(env, tmp_path / "first.log")
    assert len(TOKEN.findall(first)) == 5
    second = start_demo(env, tmp_path / "second.log")
    assert "ssn_" not in second  # not printed, not linked, not handed to the browser
    assert "sansan token list" in second
    assert "sign-in: None" in second
    listed = subprocess.run(
        ["sansan", "token", "list"], env=env, capture_output=True, text=True, timeout=60
    ).stdout
    assert "共 5 个" in listed


def test_tokens_are_created_once_and_revoked(tmp_path: Path) -> None:
    env = {**os.environ, "SANSAN_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}

    def sansan(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sansan", *args], env=env, capture_output=True, text=True, timeout=60
        )

    created = sansan("token", "create", "--role", "auditor", "--label", "纪检组")
    assert created.returncode == 0, created.stderr
    token = re.search(r"(ssn_\S+)", created.stdout).group(1)  # type: ignore[union-attr]
    token_id = re.search(r"token id: (\S+)", created.stdout).group(1)  # type: ignore[union-attr]
    assert token not in (tmp_path / "t.db").read_bytes().decode(
        "latin-1"
    )  # only a derived id is kept
    refused = sansan("token", "create", "--role", "street", "--label", "x")
    assert refused.returncode == 1
    assert "令牌必须指定所辖组织" in refused.stderr
    assert sansan("token", "revoke", token_id).returncode == 0
    expiring = sansan("token", "create", "--role", "county", "--label", "限期", "--expires", "90d")
    assert "失效时间 / expires:" in expiring.stdout
    listed = sansan("token", "list").stdout
    assert "纪检组\tauditor\tcounty 全县" in listed
    assert "revoked 已吊销" in listed
    assert "限期\tcounty" in listed
    assert "never 永不" in listed  # the auditor's; the county one shows its expiry
    assert "ssn_" not in listed
    again = sansan("token", "revoke", token_id)
    assert again.returncode == 1
    check = subprocess.run(
        [sys.executable, "-c", "import sys; from sansan.access import AccessService;"
         "from sansan.bootstrap import build_application;"
         "print(AccessService(build_application()).authenticate(sys.argv[1]))", token],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert check.stdout.strip() == "None"


READYZ_SERVED = re.compile(
    r'^sansan_http_requests_total\{method="GET",route="/readyz",status="200"\} (\S+)$', re.M
)


def both_serve(base: str, token: str) -> bool:
    """Each worker counts the requests it served in a registry of its own, and a scrape
    shows the count of whichever worker answers it: two counts adding up to all the
    requests sent mean two processes shared them. Rounds go on until the second worker
    is up too (it may start later on a busy machine)."""
    sent, deadline = 0, time.monotonic() + 90
    while time.monotonic() < deadline:
        with ThreadPoolExecutor(8) as pool:  # a new connection each, spread over the workers
            answers = list(pool.map(lambda _: httpx.get(f"{base}/readyz", timeout=30), range(21)))
        assert [a.status_code for a in answers] == [200] * 21
        sent += 21
        seen = set()
        for _ in range(12):
            scrape = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert scrape.status_code == 200, scrape.text
            found = READYZ_SERVED.search(scrape.text)
            seen.add(float(found.group(1)) if found else 0.0)
        if len(seen - {0.0}) == 2 and sum(seen) == sent:
            return True
    return False


@pytest.mark.postgres  # on SQLite the second worker was never seen answering: see issue 13's note
def test_serve_with_two_workers_runs_two_processes_that_both_serve(
    fresh_postgres_schema: str,
) -> None:
    token = prepare_store(fresh_postgres_schema)
    port = free_port()
    env = {
        **os.environ,
        "SANSAN_DATABASE_URL": fresh_postgres_schema,
        "SANSAN_RUN_SCHEDULER": "false",
    }
    server = subprocess.Popen(["sansan", "serve", "--workers", "2", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server, timeout=60)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children]
        workers = [c for c in commands if b"spawn_main" in c]  # not multiprocessing's tracker
        assert len(workers) == 2, commands  # uvicorn's two workers under its supervisor
        assert both_serve(base, token), "one of the two workers never answered"

        auth = {"Authorization": f"Bearer {token}"}
        festival = httpx.post(
            f"{base}/api/v1/communities/{t.COMMUNITY}/culture-festivals", headers=auth,
            json={"occurred_on": "2026-06-01", "title": "两个进程文化节"}, timeout=30,
        )  # fmt: skip
        assert festival.status_code == 200, festival.text
        position = festival.json()["position"]
        for _ in range(6):  # whichever worker answers has the write in its lists
            listed = httpx.get(
                f"{base}/api/v1/audit", headers=auth, timeout=30,
                params={"after": position, "event_type": "CultureFestivalHeld"},
            )  # fmt: skip
            assert listed.status_code == 200, listed.text
            assert position in [e["position"] for e in listed.json()["items"]]
    finally:
        server.terminate()
        server.wait(timeout=60)
        if server.stderr:
            server.stderr.close()
