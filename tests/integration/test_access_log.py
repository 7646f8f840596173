"""`sansan serve`'s access log: every request in uvicorn's format, less the command writes that
succeeded (the event log records each, with its actor and both times)."""

import logging
import logging.config
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from sansan import cli
from sansan.api.access_log import SkipSucceededWrites, WithoutTypedText, log_config


def _record(method: str, path: str, status: int) -> logging.LogRecord:
    """An access record as uvicorn makes it (protocols/http/httptools_impl.py)."""
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:50000", method, path, "1.1", status), None,
    )  # fmt: skip


# fixed ids: xdist workers must collect the same test names
MEMBER = "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5"
TRAININGS = f"/api/v1/members/{MEMBER}/trainings"


@pytest.mark.parametrize(
    ("method", "path", "status", "logged"),
    [
        ("POST", TRAININGS, 200, False),
        ("POST", "/api/v1/communities", 201, False),
        ("POST", TRAININGS + "?x=1", 200, False),
        ("POST", TRAININGS, 409, True),  # a write refused is still logged
        ("POST", TRAININGS, 422, True),
        ("POST", TRAININGS, 500, True),
        ("GET", f"/api/v1/members/{MEMBER}", 200, True),  # reads are logged
        ("POST", "/api/v1/imports", 200, True),  # a POST that is no command
        ("POST", f"/api/v1/members/{MEMBER}/nonsense", 200, True),
    ],
)
def test_succeeded_command_writes_are_the_only_requests_left_out_of_the_access_log(
    method: str, path: str, status: int, logged: bool
) -> None:
    assert SkipSucceededWrites().filter(_record(method, path, status)) is logged


def test_a_record_not_shaped_like_uvicorns_is_logged() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "started", None, None)
    assert SkipSucceededWrites().filter(record)


def test_serve_gives_uvicorn_the_filter_on_its_access_logger(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(cli.uvicorn, "run", lambda *_, **kwargs: seen.update(kwargs))
    monkeypatch.setenv("SANSAN_RUN_PROJECTIONS", "false")
    result = CliRunner().invoke(cli.main, ["serve"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert seen["log_config"] == log_config()
    # applied as uvicorn applies it (in each worker), onto a logger of our own
    config = log_config()
    config["loggers"] = {"sansan.test.access": config["loggers"]["uvicorn.access"]}
    config["handlers"]["access"]["stream"] = "ext://sys.stdout"
    logging.config.dictConfig(config)
    logger = logging.getLogger("sansan.test.access")
    for status in (200, 404):
        logger.handle(_record("POST", TRAININGS, status))
    out = capsys.readouterr().out
    assert f'"POST {TRAININGS} HTTP/1.1" 404' in out
    assert " 200" not in out


def test_applying_the_log_configuration_imports_nothing_of_the_app() -> None:
    """Each --workers process applies it before it answers uvicorn's health check, which
    kills a worker silent for 5 s: importing the command table there at load 9 took 8 s."""
    probe = (
        "import logging.config, sys\n"
        "from sansan.api.access_log import log_config\n"
        "logging.config.dictConfig(log_config())\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sansan.api.', 'fastapi'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['sansan.api.access_log']"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/api/v1/units/search?q=%E6%9D%8E&limit=5", "/api/v1/units/search?q=…&limit=5"),
        ("/api/v1/audit?actor=county%3A%E5%8E%BF&limit=20", "/api/v1/audit?actor=…&limit=20"),
        ("/api/v1/members?limit=2", "/api/v1/members?limit=2"),  # nothing typed: as it came
        ("/api/v1/members", "/api/v1/members"),
    ],
)
def test_what_a_person_typed_into_a_query_stays_out_of_the_access_log(
    path: str, logged: str
) -> None:
    """Review 2, finding 21: a search term (李) is often a member's name; the access log is
    outside the personal-data read record and its retention."""
    record = _record("GET", path, 200)
    assert WithoutTypedText().filter(record)
    assert isinstance(record.args, tuple)
    assert record.args[2] == logged
    assert "李" not in record.getMessage()
