"""``sansan serve`` as a real process that a test may kill and start again."""

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.e2e.servers import free_port, wait_until_up
from tests.support import child_pythonpath

SERVE = "from sansan.cli import main; main()"


class ApiServer:
    """One API process at a time, always on the same port, its output kept in a file."""

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        *,
        api_only: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.api_only = api_only
        self.env = env or {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"api-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def start(self) -> None:
        env = {
            **os.environ,
            "SANSAN_DATABASE_URL": self.database_url,
            "SANSAN_RUN_SCHEDULER": "false",
            "PYTHONPATH": child_pythonpath(),
            **self.env,
        }
        command = [sys.executable, "-c", SERVE, "serve", "--port", str(self.port)]
        # A file, not a pipe: a server logging many failures must never block on a full pipe.
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command + (["--api-only"] if self.api_only else []),
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_until_up(self.base, self.process)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}\n{self.log()}") from exc

    def is_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, whatever the process was doing."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


StartApi = Callable[..., ApiServer]  # the start_api fixture: (database_url, **options) -> server
