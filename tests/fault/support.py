"""What the fault tests send and how they read back what the log holds."""

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from sansan.bootstrap import build_application
from sansan.commands import examples as t
from sansan.commands import member as mc
from sansan.settings import Settings
from tests.integration.api_support import Request, as_request, bearer
from tests.support import china_today

PROBLEM_JSON = "application/problem+json"


def service_post(post: str) -> Request:
    """A command on the one member every fault test writes to; ``post`` tells them apart."""
    return as_request(mc.AssignServicePost(member_id=t.DUAL, occurred_on=china_today(), post=post))


def send(
    base: str, token: str, request: Request, key: str | None = None, timeout: float = 30
) -> httpx.Response:
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return httpx.post(base + request.path, json=request.body, headers=headers, timeout=timeout)


def recorded_posts(database_url: str) -> list[tuple[str, int]]:
    """(post, version) of each service post recorded for the member, from the log itself."""
    app = build_application(Settings(database_url=database_url, run_scheduler=False))
    try:
        return [
            (e.data["post"], e.version)
            for e in app.history(t.DUAL)
            if e.type == "ServicePostAssigned"
        ]
    finally:
        app.close()


def posts_in_log(database_url: str) -> Counter[str]:
    """How often each service post was recorded for the member."""
    return Counter(post for post, _ in recorded_posts(database_url))


def posts_in_state(database_url: str) -> Counter[str]:
    """The member's service posts as its current state holds them."""
    app = build_application(
        Settings(database_url=database_url, run_scheduler=False, aggregate_cache_size=0)
    )
    try:
        return Counter(app.get(t.DUAL).service_posts)
    finally:
        app.close()


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 answer with the given status and code, explained in Chinese and English."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["message_zh"]
    assert body["message_en"]
    return body


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)
