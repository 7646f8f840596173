"""A started process puts its start-up heap out of the collector's reach, once."""

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from sansan import bootstrap


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The collector's calls, recorded instead of made, in a process not yet settled."""
    made: list[str] = []
    monkeypatch.setattr(bootstrap, "_settled", threading.Event())
    monkeypatch.setattr(bootstrap.gc, "collect", lambda *_: made.append("collect") or 0)
    monkeypatch.setattr(bootstrap.gc, "freeze", lambda: made.append("freeze"))
    return made


def test_the_heap_is_collected_then_frozen_once_per_process(calls: list[str]) -> None:
    bootstrap.settle_heap()
    bootstrap.settle_heap()  # a second start in the same process freezes nothing more
    assert calls == ["collect", "freeze"]


def test_starting_the_projections_settles_the_heap_before_the_runner_starts(
    calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Runner:
        def start(self) -> None:
            calls.append("runner started")

    services: Any = bootstrap.Services.__new__(bootstrap.Services)
    services.projections, services.store = Runner(), None
    monkeypatch.setattr(bootstrap, "is_outdated", lambda _: False)
    services.start_projections()
    assert calls == ["collect", "freeze", "runner started"]


def test_the_rebuild_command_settles_the_heap_before_it_rebuilds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from sansan import cli

    made: list[str] = []

    class Services:
        app = SimpleNamespace(recorder=SimpleNamespace(max_notification_id=lambda: 3))
        store = None

        def close(self) -> None:
            made.append("closed")

    monkeypatch.setattr(cli, "build_services", lambda _: Services())
    monkeypatch.setattr(cli, "settle_heap", lambda: made.append("settled"))
    monkeypatch.setattr(cli, "rebuild", lambda *_, **__: made.append("rebuilt") or 2)
    result = CliRunner().invoke(cli.main, ["projections", "rebuild"])
    assert result.exit_code == 0, result.output
    assert made == ["settled", "rebuilt", "closed"]
