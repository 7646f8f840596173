"""Webhooks against a real local receiver that fails the first attempts and verifies every
request the Standard Webhooks way, as the README's snippet does."""

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sansan.api.app import create_app
from sansan.application import SansanApplication
from sansan.bootstrap import Services, build_services
from sansan.clock import FixedClock
from sansan.demo import demo_id
from sansan.settings import Settings
from sansan.workflows.scheduler import Scheduler, run_scheduler
from sansan.workflows.webhooks import ID_HEADER, WebhookDeliverer, signing_key

KEY = b"county-webhook-key-of-32-bytes!!"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
TOLERANCE_S = 300


class Rejected(Exception):
    pass


class Verifier:
    """A receiver's check (README: Webhooks): the signature over id.timestamp.body, a
    timestamp no older than five minutes, and each id accepted once."""

    def __init__(self, secret: str, now: Callable[[], float] = time.time) -> None:
        self.key = base64.b64decode(secret.removeprefix("whsec_"))
        self.now = now
        self.seen: set[str] = set()

    def verify(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
        signed = f"{msg_id}.{stamp}.".encode() + body
        expected = base64.b64encode(hmac.new(self.key, signed, hashlib.sha256).digest()).decode()
        offered = [s.removeprefix("v1,") for s in headers.get("webhook-signature", "").split()]
        if not any(hmac.compare_digest(expected, o) for o in offered):
            raise Rejected("bad signature")
        if abs(self.now() - int(stamp)) > TOLERANCE_S:
            raise Rejected("too old or too new: a replay")
        if msg_id in self.seen:
            raise Rejected("already received: a replay")
        self.seen.add(msg_id)
        result: dict[str, Any] = json.loads(body)
        return result


class Receiver:
    """Answers 500 to the first ``failures`` posts of each delivery, then 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers[ID_HEADER]
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                seen = sum(1 for h, _ in receiver.received if h["webhook-id"] == delivery)
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
def hook(
    app: SansanApplication,
    settings: Settings,
    clock: FixedClock,
    receiver: Receiver,
    recorded_demo: None,
) -> Iterator[Callable[..., Services]]:
    """Services whose webhook settings are the receiver's URL and what the test passes, on a
    store that starts as a copy of the recorded demo (recorded_demo, tests/conftest.py)."""
    opened: list[Services] = []

    def build(**webhook: Any) -> Services:
        update = {"webhook_urls": receiver.url} | webhook
        services = build_services(settings.model_copy(update=update), clock, app)
        opened.append(services)
        clock.set(datetime(2026, 12, 21, 1, tzinfo=UTC))  # the item's yellow light is due
        services.projections.catch_up()
        Scheduler(services).tick()
        services.projections.catch_up()
        return services

    yield build
    for services in opened:
        services.store.close()


@pytest.fixture
def hooked(hook: Callable[..., Services]) -> Services:
    return hook(webhook_secret=SECRET)


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
    for headers, body in receiver.received:
        delivery = headers["webhook-id"]
        attempts[delivery] = attempts.get(delivery, 0) + 1
        stamp = float(headers["webhook-timestamp"])  # each attempt is signed at its own time
        Verifier(SECRET, now=lambda: stamp).verify(headers, body)  # noqa: B023 (called at once)
        assert json.loads(body)["delivery_id"] == delivery
    assert set(attempts.values()) == {3}  # the same delivery id on every attempt
    stamps = {h["webhook-timestamp"] for h, _ in receiver.received}
    assert len(stamps) == 3  # and a fresh timestamp on each
    kinds = {json.loads(b)["notification"]["kind"] for _, b in receiver.received}
    assert "supervision_warning" in kinds


def test_the_payload_says_late_as_true_or_false_as_the_api_does(
    hooked: Services, receiver: Receiver
) -> None:
    """Review 2, finding 12: SQLite keeps a boolean as 1 or 0, which went out as ``"late": 1``
    while ``GET /notifications`` says false; a receiver with a strict schema broke."""
    WebhookDeliverer(hooked).run_once()
    sent = [json.loads(b)["notification"] for _, b in receiver.received]
    assert sent
    assert {type(n["late"]) for n in sent} == {bool}


def test_a_verifying_receiver_rejects_a_replay_an_old_timestamp_and_a_forged_one(
    hooked: Services, clock: FixedClock, receiver: Receiver
) -> None:
    receiver.failures = 0
    WebhookDeliverer(hooked).run_once()
    headers, body = receiver.received[0]
    sent = clock.now().timestamp()
    verifier = Verifier(SECRET, now=lambda: sent + 30)
    assert verifier.verify(headers, body)["delivery_id"] == headers["webhook-id"]
    with pytest.raises(Rejected, match="already received"):
        verifier.verify(headers, body)  # the same request sent again
    late = Verifier(SECRET, now=lambda: sent + 3600)
    with pytest.raises(Rejected, match="too old"):
        late.verify(headers, body)  # captured, replayed an hour later
    with pytest.raises(Rejected, match="bad signature"):  # a fresh timestamp breaks the signature
        late.verify(headers | {"webhook-timestamp": str(int(sent + 3600))}, body)
    with pytest.raises(Rejected, match="bad signature"):
        verifier.verify(headers | {"webhook-id": "another"}, body)


def test_a_plain_text_secret_is_used_as_its_bytes_and_a_whsec_one_as_base64() -> None:
    assert signing_key("county-secret") == b"county-secret"
    assert signing_key(SECRET) == KEY


def test_without_a_secret_nothing_is_delivered_the_scheduler_warns_and_readyz_says_so(
    hook: Callable[..., Services],
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    app: SansanApplication,
) -> None:
    services = hook()
    assert WebhookDeliverer(services).run_once().delivered == 0
    assert receiver.received == []
    with caplog.at_level(logging.WARNING, logger="sansan.workflows.webhooks"):
        run_scheduler(services, interval_s=3600).shutdown(wait=True)
    assert any("SANSAN_WEBHOOK_SECRET" in r.getMessage() for r in caplog.records)
    with TestClient(create_app(services.settings, application=app)) as client:
        ready = client.get("/readyz").json()
    assert ready["webhooks"]["delivering"] is False
    assert "SANSAN_WEBHOOK_SECRET" in ready["webhooks"]["problem"]


def test_unsigned_delivery_happens_only_when_a_setting_says_so(
    hook: Callable[..., Services], receiver: Receiver, app: SansanApplication
) -> None:
    receiver.failures = 0
    services = hook(webhook_allow_unsigned=True)
    assert WebhookDeliverer(services).run_once().delivered > 0
    headers, _ = receiver.received[0]
    assert "webhook-signature" not in headers
    assert headers["webhook-id"]
    with TestClient(create_app(services.settings, application=app)) as client:
        ready = client.get("/readyz").json()
    assert ready["webhooks"] == {"targets": 1, "signed": False, "delivering": True}


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
