"""`sansan serve --demo` and `sansan token` as an operator uses them, in real processes."""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from sansan.demo import demo_id
from tests.e2e.servers import free_port, wait_until_up

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
                json={"occurred_on": "2026-11-20", "days": 2, "method": "lecture", "topic": "党课"},
                headers=auth | {"Idempotency-Key": "readme-1"},
            )
            assert recorded.status_code == 200, recorded.text
            history = httpx.get(f"{base}/api/v1/members/{member}/history", headers=auth).json()
            assert history[-1]["type"] == "TrainingCompleted"
            assert history[-1]["actor"] == "community:铁西社区党总支(演示)"
            listed = httpx.get(
                f"{base}/api/v1/communities", params={"after": recorded.json()["position"]},
                headers={"Authorization": f"Bearer {tokens['county']}"},
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
