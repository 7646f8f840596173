"""Real uvicorn processes of the service, for tests that cross process boundaries."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from sansan.access import AccessService
from sansan.bootstrap import build_application
from sansan.commands import examples as t
from sansan.settings import Settings
from tests.support import child_pythonpath


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def api_process(database_url: str, port: int | None = None) -> Iterator[str]:
    """Start ``uvicorn sansan.api.app:create_app`` on loopback; yield its base URL."""
    port = port or free_port()
    env = {
        **os.environ,
        "SANSAN_DATABASE_URL": database_url,
        "PYTHONPATH": child_pythonpath(),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "sansan.api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base
    finally:
        process.kill()
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    # generous: a server starting on a loaded two-core machine may take tens of seconds
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"{base} did not come up")


def prepare_store(database_url: str) -> str:
    """Record the example units; return a county token that may act on all of them."""
    app = build_application(Settings(database_url=database_url, run_scheduler=False))
    try:
        for command in t.tour():
            app.execute(command, actor="setup")
        token, _ = AccessService(app).issue_token(
            role="county", scope_org_id=None, label="县", actor="setup"
        )
        return token
    finally:
        app.close()
