"""Every notification is POSTed to the configured webhooks, signed the Standard Webhooks way,
retried with exponential backoff, at least once, under a stable id receivers de-duplicate by.

The signature covers the delivery id, the time of the attempt and the body, so a receiver that
checks the timestamp's age and remembers the ids it has seen refuses a replayed request. With
no secret nothing is sent, unless unsigned delivery is chosen explicitly.
"""

import base64
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, uuid5

import httpx
from sqlalchemy import select, update

from sansan.bootstrap import Services
from sansan.settings import Settings

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
FIRST_RETRY_S, MAX_RETRY_S = 5.0, 3600.0
log = logging.getLogger(__name__)


def signing_key(secret: str) -> bytes:
    """A ``whsec_`` secret is base64, as Standard Webhooks libraries expect; any other is text."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    return secret.encode()


def sign(key: bytes, delivery_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class WebhookStatus:
    targets: int
    signed: bool
    delivering: bool

    @classmethod
    def of(cls, settings: Settings) -> "WebhookStatus":
        targets = len(_urls(settings))
        signed = bool(settings.webhook_secret)
        return cls(targets, signed, targets > 0 and (signed or settings.webhook_allow_unsigned))

    @property
    def refused_unsigned(self) -> bool:
        return self.targets > 0 and not self.delivering

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "targets": self.targets, "signed": self.signed, "delivering": self.delivering,
        }  # fmt: skip
        if self.refused_unsigned:
            body["problem"] = UNSIGNED_REFUSED
        return body


UNSIGNED_REFUSED = (
    "webhooks configured without SANSAN_WEBHOOK_SECRET: nothing is delivered"
    " (set a secret, or SANSAN_WEBHOOK_ALLOW_UNSIGNED=true to send unsigned)"
)


def warn_if_refusing_unsigned(settings: Settings) -> None:
    if WebhookStatus.of(settings).refused_unsigned:
        log.warning(UNSIGNED_REFUSED)


def _urls(settings: Settings) -> list[str]:
    return [u.strip() for u in settings.webhook_urls.split(",") if u.strip()]


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: int
    failed: int


class WebhookDeliverer:
    def __init__(self, services: Services, client: httpx.Client | None = None) -> None:
        self.services = services
        settings = services.settings
        self.urls = _urls(settings)
        self.key = signing_key(settings.webhook_secret) if settings.webhook_secret else None
        self.status = WebhookStatus.of(settings)
        self.client = client or httpx.Client(timeout=10)

    def run_once(self, limit: int = 100) -> DeliveryOutcome:
        if not self.status.delivering:
            return DeliveryOutcome(0, 0)  # create_app and `sansan schedule` warned at start
        now = self.services.app.clock.now()
        self._enqueue(now)
        with self.services.store.transaction() as cursor:
            d, n = cursor.t.deliveries.c, cursor.t.notifications.c
            due = cursor.execute(
                select(
                    d.id, d.url, d.attempts, n.id, n.kind, n.message_zh, n.unit_name,
                    n.community_id, n.addressees, n.due_on, n.late, n.recorded_at,
                )
                .join_from(cursor.t.deliveries, cursor.t.notifications, n.id == d.notification_id)
                .where(d.delivered_at.is_(None), d.next_attempt_at <= now.isoformat())
                .order_by(d.next_attempt_at)
                .limit(limit)
            ).fetchall()  # fmt: skip
        delivered = failed = 0
        for row in due:
            error = self._post(row, now)
            self._settle(row[0], int(row[2]), now, error)
            delivered, failed = (
                (delivered + 1, failed) if error is None else (delivered, failed + 1)
            )
        return DeliveryOutcome(delivered, failed)

    def _enqueue(self, now: datetime) -> None:
        with self.services.store.transaction(lock=True) as cursor:
            deliveries, n = cursor.t.deliveries, cursor.t.notifications.c
            undelivered = select(n.id).where(
                ~select(deliveries.c.id).where(deliveries.c.notification_id == n.id).exists()
            )
            rows = [
                {
                    "id": str(uuid5(NAMESPACE_URL, f"{notification_id}|{url}")),
                    "notification_id": notification_id, "url": url, "attempts": 0,
                    "next_attempt_at": now.isoformat(),
                }
                for (notification_id,) in cursor.execute(undelivered).fetchall()
                for url in self.urls
            ]  # fmt: skip
            insert = cursor.upsert(deliveries).on_conflict_do_nothing(index_elements=["id"])
            cursor.executemany(insert, rows)

    def _post(self, row: tuple[object, ...], now: datetime) -> str | None:
        delivery_id, url = str(row[0]), str(row[1])
        keys = (
            "id",
            "kind",
            "message_zh",
            "unit_name",
            "community_id",
            "addressees",
            "due_on",
            "late",
            "recorded_at",
        )
        payload = dict(zip(keys, row[3:], strict=True))
        payload["addressees"] = str(payload["addressees"]).split(",")
        payload["late"] = bool(payload["late"])  # SQLite answers 1 or 0; the API says true/false
        body = json.dumps(
            {"delivery_id": delivery_id, "notification": payload}, ensure_ascii=False, default=str
        ).encode()
        timestamp = int(now.timestamp())  # of this attempt: a retry is signed afresh
        headers = {
            "Content-Type": "application/json",
            ID_HEADER: delivery_id,
            TIMESTAMP_HEADER: str(timestamp),
        }
        if self.key is not None:
            headers[SIGNATURE_HEADER] = sign(self.key, delivery_id, timestamp, body)
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if response.is_success else f"HTTP {response.status_code}"

    def _settle(self, delivery_id: str, attempts: int, now: datetime, error: str | None) -> None:
        with self.services.store.transaction(lock=True) as cursor:
            d = cursor.t.deliveries
            if error is None:
                cursor.execute(
                    update(d)
                    .where(d.c.id == delivery_id)
                    .values(delivered_at=now.isoformat(), attempts=attempts + 1, last_error=None)
                )
                return
            wait = min(FIRST_RETRY_S * 2**attempts, MAX_RETRY_S)
            cursor.execute(
                update(d)
                .where(d.c.id == delivery_id)
                .values(
                    attempts=attempts + 1,
                    next_attempt_at=(now + timedelta(seconds=wait)).isoformat(),
                    last_error=error,
                )
            )
