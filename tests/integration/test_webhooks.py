"""Webhooks against a real local receiver that fails the first attempts."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sansan.api.app import create_app
from sansan.application import SansanApplication
from sansan.bootstrap import Services, build_services
from sansan.clock import FixedClock
from sansan.demo import demo_id, load_demo
from sansan.settings import Settings
from sansan.workflows.scheduler import Scheduler
from sansan.workflows.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, WebhookDeliverer

SECRET = "county-secret"


class Receiver:
    """Answers 500 to the first ``failures`` posts of each delivery, then 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[str, bytes, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers[DELIVERY_HEADER]
                receiver.received.append((delivery, body, self.headers[SIGNATURE_HEADER]))
                seen = sum(1 for d, _, _ in receiver.received if d == delivery)
                self.send_response(500 if seen <= receiver.failures else 200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(failures=2)
    yield server
    server.close()


@pytest.fixture
def hooked(
    app: SansanApplication, settings: Settings, clock: FixedClock, receiver: Receiver
) -> Iterator[Services]:
    load_demo(app)
    services = build_services(
        settings.model_copy(update={"webhook_urls": receiver.url, "webhook_secret": SECRET}),
        clock,
        app,
    )
    clock.set(datetime(2026, 12, 21, 1, tzinfo=UTC))  # the supervision item's yellow light is due
    services.projections.catch_up()
    Scheduler(services).tick()
    services.projections.catch_up()
    yield services
    services.store.close()


def test_a_failing_receiver_gets_every_notification_in_the_end_signed_and_de_duplicable(
    hooked: Services, clock: FixedClock, receiver: Receiver
) -> None:
    deliverer = WebhookDeliverer(hooked)
    first = deliverer.run_once()
    assert first.delivered == 0
    assert first.failed > 0
    assert deliverer.run_once().failed == 0  # nothing is retried before its backoff is up
    clock.advance(timedelta(seconds=5))
    assert deliverer.run_once().failed == first.failed  # second attempts, after 5 s: fail again
    clock.advance(timedelta(seconds=9))
    assert deliverer.run_once().failed == 0  # third attempts wait 10 s
    clock.advance(timedelta(seconds=1))
    assert deliverer.run_once().delivered == first.failed
    attempts: dict[str, int] = {}
    for delivery, body, signature in receiver.received:
        attempts[delivery] = attempts.get(delivery, 0) + 1
        assert signature == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert json.loads(body)["delivery_id"] == delivery
    assert set(attempts.values()) == {3}  # the same delivery id on every attempt
    kinds = {json.loads(b)["notification"]["kind"] for _, b, _ in receiver.received}
    assert "supervision_warning" in kinds


def test_failed_deliveries_are_visible_to_the_county(
    app: SansanApplication, settings: Settings, hooked: Services
) -> None:
    WebhookDeliverer(hooked).run_once()
    token, _ = hooked.access.issue_token(role="county", scope_org_id=None, label="县", actor="t")
    street, _ = hooked.access.issue_token(
        role="street", scope_org_id=demo_id("org", "城关街道"), label="街", actor="t"
    )
    client = TestClient(create_app(settings, application=app))
    failing = client.get("/api/v1/notifications/webhook-deliveries", params={"failing": True},
                         headers={"Authorization": f"Bearer {token}"}).json()["items"]  # fmt: skip
    assert failing
    assert {d["last_error"] for d in failing} == {"HTTP 500"}
    assert all(d["attempts"] == 1 for d in failing)
    refused = client.get(
        "/api/v1/notifications/webhook-deliveries", headers={"Authorization": f"Bearer {street}"}
    )
    assert refused.status_code == 403
