"""One import at a time per token (review-open-b): a second upload from a token whose first
is still running is answered 429 with Retry-After and records nothing, on both stores."""

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sansan.api import import_endpoints
from tests.integration.test_imports import head, recorded_since, upload
from tests.support import TODAY

Demo = tuple[TestClient, dict[str, str]]
ROSTER = f"姓名,管理类别,所在党组织名称,发生日期\n吴并发,直管,铁西第1小区党支部,{TODAY}\n"


def test_a_second_import_of_a_token_while_its_first_runs_is_429_and_records_nothing(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, tokens = demo
    started, release = threading.Event(), threading.Event()
    real = import_endpoints.Importer

    class Held(real):  # type: ignore[valid-type,misc]
        """The first import waits, mid-run, until the test lets it go."""

        def run(self, *args: Any, **kwargs: Any) -> Any:
            if not started.is_set():
                started.set()
                assert release.wait(30)
            return super().run(*args, **kwargs)

    monkeypatch.setattr(import_endpoints, "Importer", Held)
    answers: list[Any] = []
    first = threading.Thread(
        target=lambda: answers.append(upload(client, tokens["county"], ROSTER.encode(), "a.csv"))
    )
    first.start()
    try:
        assert started.wait(30)
        before = head(client)
        busy = upload(client, tokens["county"], ROSTER.encode(), "a.csv", dry_run="true")
        assert busy.status_code == 429, busy.text
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.headers["Retry-After"] == str(import_endpoints.BUSY_RETRY_AFTER_S)
        problem = busy.json()
        assert problem["code"] == "import_running"
        assert "上一个导入仍在进行" in problem["message_zh"]
        assert "still running" in problem["message_en"]
        assert recorded_since(client, before) == []  # not even a dry run's trace
        other = upload(client, tokens["street"], ROSTER.encode(), "b.csv", dry_run="true")
        assert other.status_code == 200, other.text  # another token is not held up
    finally:
        release.set()
        first.join(30)
    assert answers[0].status_code == 201, answers[0].text
    again = upload(client, tokens["county"], ROSTER.encode(), "a.csv", dry_run="true")
    assert again.status_code == 200, again.text  # the token is free once its import ends
