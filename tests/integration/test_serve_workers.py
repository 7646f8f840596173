"""`sansan serve --workers N`: only the API multiplies; the projections and the scheduler run
once, in the supervising process, while the workers serve."""

import time
from typing import Any

import pytest
from click.testing import CliRunner

from sansan import cli
from sansan.access import AccessService
from sansan.bootstrap import build_application, build_services
from sansan.settings import Settings


def _serve(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str) -> dict[str, Any]:
    """Runs `sansan serve` with uvicorn replaced: what its workers would be told, and
    whether a write made while it serves reaches the read models."""
    monkeypatch.setenv("SANSAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SANSAN_RUN_PROJECTIONS", "true")
    monkeypatch.setenv("SANSAN_RUN_SCHEDULER", "true")
    monkeypatch.setenv("SANSAN_SCHEDULER_INTERVAL_S", "3600")
    seen: dict[str, Any] = {}

    def fake_run(*_: Any, **kwargs: Any) -> None:
        seen["workers"], seen["access_log"] = kwargs["workers"], kwargs["access_log"]
        seen["worker_settings"] = Settings()  # what each worker's create_app reads
        app = build_application(Settings())
        try:
            AccessService(app).issue_token(
                role="county", scope_org_id=None, label="县", actor="t"
            )
            head = app.recorder.max_notification_id()
        finally:
            app.close()
        observer = build_services(Settings())
        try:
            deadline = time.monotonic() + 30
            while observer.projections.position() < (head or 0) and time.monotonic() < deadline:
                time.sleep(0.05)
            seen["projected"] = observer.projections.position() >= (head or 0)
        finally:
            observer.close()

    monkeypatch.setattr(cli.uvicorn, "run", fake_run)
    result = CliRunner().invoke(cli.main, ["serve", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return seen


def test_with_workers_the_supervisor_projects_and_the_workers_only_serve(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    seen = _serve(monkeypatch, settings, "--workers", "2", "--no-access-log")
    assert (seen["workers"], seen["access_log"]) == (2, False)
    assert not seen["worker_settings"].run_projections
    assert not seen["worker_settings"].run_scheduler
    assert seen["projected"], "no process projected the write"


def test_one_worker_projects_in_its_own_process(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    seen = _serve(monkeypatch, settings)
    assert (seen["workers"], seen["access_log"]) == (1, True)
    assert seen["worker_settings"].run_projections
    assert seen["worker_settings"].run_scheduler
