"""The HTTP surface a security review asked for: metrics behind a token, security headers on
every kind of answer, and API documentation that loads nothing from another host."""

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from sansan.api.app import create_app
from sansan.api.security import DOCS_CSP, STRICT_CSP, SecurityHeaders
from sansan.api.web import WEB
from sansan.demo import demo_id, load_demo
from sansan.settings import Settings
from tests.integration.api_support import bearer

SOURCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=", re.I)


@pytest.fixture
def api(tmp_path: Path) -> FastAPI:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'hard.db'}", run_scheduler=False)
    return create_app(settings)


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api, raise_server_exceptions=False) as client:
        yield client


def token(api: FastAPI, role: str) -> str:
    services = api.state.services
    scope = None if role in ("county", "auditor") else demo_id("org", "城关街道")
    if scope is not None:
        load_demo(services.app)
    issued, _ = services.access.issue_token(role=role, scope_org_id=scope, label=role, actor="t")
    return str(issued)


def directives(policy: str) -> dict[str, set[str]]:
    parts = (p.split() for p in policy.split(";") if p.strip())
    return {name: set(values) for name, *values in parts}


def test_metrics_without_a_token_are_refused_with_a_problem_in_both_languages(
    client: TestClient,
) -> None:
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["message_zh"]
    assert refused.json()["message_en"]
    assert "sansan_" not in refused.text


def test_metrics_are_refused_to_a_token_scoped_below_the_county(
    api: FastAPI, client: TestClient
) -> None:
    refused = client.get("/metrics", headers=bearer(token(api, "street")))
    assert refused.status_code == 403
    assert refused.json()["code"] == "metrics_not_allowed"


@pytest.mark.parametrize("role", ["county", "auditor"])
def test_metrics_answer_a_county_or_auditor_token(
    api: FastAPI, client: TestClient, role: str
) -> None:
    answered = client.get("/metrics", headers=bearer(token(api, role)))
    assert answered.status_code == 200
    assert "sansan_projection_lag_events" in answered.text


def boom() -> None:
    raise RuntimeError("a bug")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/static/app.css", 200),
        ("GET", "/static/js/main.js", 200),
        ("GET", "/static/no-such-file.js", 404),
        ("GET", "/healthz", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/api/v1/me", 401),
        ("GET", "/api/v1/no-such-thing", 404),
        ("POST", "/api/v1/communities", 401),
        ("GET", "/metrics", 401),
        ("GET", "/docs", 200),
        ("GET", "/redoc", 200),
        ("GET", "/docs/assets/swagger-ui.css", 200),
        ("GET", "/boom", 500),
    ],
)
def test_every_kind_of_answer_carries_the_security_headers(
    api: FastAPI, client: TestClient, method: str, path: str, status: int
) -> None:
    api.add_api_route("/boom", boom)
    answer = client.request(method, path)
    assert answer.status_code == status
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    policy = directives(answer.headers["content-security-policy"])
    assert policy["frame-ancestors"] == {"'none'"}
    assert policy["script-src"] == {"'self'"}  # never inline script, never eval, never a CDN


def test_the_dashboard_runs_under_a_policy_without_inline_style_and_the_docs_under_their_own(
    client: TestClient,
) -> None:
    assert client.get("/").headers["content-security-policy"] == STRICT_CSP
    assert directives(STRICT_CSP)["style-src"] == {"'self'"}
    assert directives(STRICT_CSP)["default-src"] == {"'none'"}
    for path in ("/docs", "/redoc", "/docs/assets/redoc.standalone.js"):
        assert client.get(path).headers["content-security-policy"] == DOCS_CSP


def test_no_page_the_server_ships_has_inline_script_style_or_event_handlers() -> None:
    pages = sorted(WEB.rglob("*.html"))
    assert len(pages) >= 3
    for page in pages:
        assert not INLINE.search(page.read_text(encoding="utf-8")), page


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_reference_no_other_host_and_every_asset_they_load_is_served(
    client: TestClient, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = SOURCE.findall(page.text)
    assert any(s.endswith(".js") for s in sources)
    assert "cdn" not in page.text.lower()
    for source in sources:
        assert re.match(r"/[^/]", source), source
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 0, source
        if source.startswith("/static/docs/"):  # our starters name no host either
            assert "http" not in asset.text, source
        assert b"cdn.redoc.ly" not in asset.content, source  # ReDoc's logo comes from us


def _headers_sent_through_security_headers(own: list[tuple[bytes, bytes]]) -> list[Any]:
    """The raw headers of an answer whose app sent ``own``, as SecurityHeaders passes it on."""
    sent: list[Message] = []

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(own)})
        await send({"type": "http.response.body", "body": b""})

    async def record(message: Message) -> None:
        sent.append(message)

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    scope = {"type": "http", "path": "/api/v1/me", "headers": []}
    asyncio.run(SecurityHeaders(answer)(scope, nothing, record))
    return list(sent[0]["headers"])


SENT = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", STRICT_CSP.encode()),
    (b"cache-control", b"no-store"),  # an API answer (/api/v1/me)
]


def test_the_security_headers_follow_the_apps_own_headers() -> None:
    own = [(b"content-type", b"application/json"), (b"etag", b'"3"')]
    assert _headers_sent_through_security_headers(own) == own + SENT


def test_a_security_header_the_app_set_itself_is_replaced_where_it_stands_and_only_once() -> None:
    own = [
        (b"x-frame-options", b"SAMEORIGIN"),
        (b"content-type", b"text/html"),
        (b"x-frame-options", b"ALLOW-FROM x"),
    ]
    assert _headers_sent_through_security_headers(own) == [
        (b"x-frame-options", b"DENY"),
        (b"content-type", b"text/html"),
        *(header for header in SENT if header[0] != b"x-frame-options"),
    ]
