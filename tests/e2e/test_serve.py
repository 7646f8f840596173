"""`sansan serve --demo` and `sansan token` as an operator uses them, in real processes."""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from sansan.demo import demo_id
from tests.e2e.servers import free_port, wait_until_up
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
            assert history[-1]["actor"] == "community:铁西社区党总支(演示)"
            listed = httpx.get(
                f"{base}/api/v1/communities", params={"after": recorded.json()["position"]},
                headers={"Authorization": f"Bearer {tokens['county']}"}, timeout=60,
            )  # fmt: skip
            assert len(listed.json()["items"]) == 7
        finally:
            server.terminate()
            server.wait(timeout=30)


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
    again = sansan("token", "revoke", token_id)
    assert again.returncode == 1
    check = subprocess.run(
        [sys.executable, "-c", "import sys; from sansan.access import AccessService;"
         "from sansan.bootstrap import build_application;"
         "print(AccessService(build_application()).authenticate(sys.argv[1]))", token],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert check.stdout.strip() == "None"
