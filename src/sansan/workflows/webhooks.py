"""Every notification is POSTed to the configured webhooks: signed with HMAC-SHA256, retried
with exponential backoff, at least once, under a stable delivery id receivers de-duplicate by."""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, uuid5

import httpx

from sansan.bootstrap import Services

SIGNATURE_HEADER = "X-Sansan-Signature"
DELIVERY_HEADER = "X-Sansan-Delivery"
FIRST_RETRY_S, MAX_RETRY_S = 5.0, 3600.0


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: int
    failed: int


class WebhookDeliverer:
    def __init__(self, services: Services, client: httpx.Client | None = None) -> None:
        self.services = services
        self.urls = [u.strip() for u in services.settings.webhook_urls.split(",") if u.strip()]
        self.secret = services.settings.webhook_secret
        self.client = client or httpx.Client(timeout=10)

    def run_once(self, limit: int = 100) -> DeliveryOutcome:
        if not self.urls:
            return DeliveryOutcome(0, 0)
        now = self.services.app.clock.now()
        self._enqueue(now)
        with self.services.store.transaction() as cursor:
            due = cursor.execute(
                "SELECT d.id, d.url, d.attempts, n.id, n.kind, n.message_zh, n.unit_name, n.community_id,"
                " n.addressees, n.due_on, n.late, n.recorded_at FROM rm_deliveries d"
                " JOIN rm_notifications n ON n.id = d.notification_id"
                " WHERE d.delivered_at IS NULL AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?",
                (now.isoformat(), limit),
            ).fetchall()
        delivered = failed = 0
        for row in due:
            error = self._post(row)
            self._settle(row[0], int(row[2]), now, error)
            delivered, failed = (
                (delivered + 1, failed) if error is None else (delivered, failed + 1)
            )
        return DeliveryOutcome(delivered, failed)

    def _enqueue(self, now: datetime) -> None:
        with self.services.store.transaction(lock=True) as cursor:
            rows = cursor.execute(
                "SELECT n.id FROM rm_notifications n WHERE NOT EXISTS"
                " (SELECT 1 FROM rm_deliveries d WHERE d.notification_id = n.id)"
            ).fetchall()
            for (notification_id,) in rows:
                for url in self.urls:
                    cursor.execute(
                        "INSERT INTO rm_deliveries (id, notification_id, url, attempts, next_attempt_at)"
                        " VALUES (?, ?, ?, 0, ?) ON CONFLICT (id) DO NOTHING",
                        (
                            str(uuid5(NAMESPACE_URL, f"{notification_id}|{url}")),
                            notification_id,
                            url,
                            now.isoformat(),
                        ),
                    )

    def _post(self, row: tuple[object, ...]) -> str | None:
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
        body = json.dumps(
            {"delivery_id": delivery_id, "notification": payload}, ensure_ascii=False, default=str
        ).encode()
        headers = {"Content-Type": "application/json", DELIVERY_HEADER: delivery_id}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if response.is_success else f"HTTP {response.status_code}"

    def _settle(self, delivery_id: str, attempts: int, now: datetime, error: str | None) -> None:
        with self.services.store.transaction(lock=True) as cursor:
            if error is None:
                cursor.execute(
                    "UPDATE rm_deliveries SET delivered_at = ?, attempts = ?, last_error = NULL WHERE id = ?",
                    (now.isoformat(), attempts + 1, delivery_id),
                )
                return
            wait = min(FIRST_RETRY_S * 2**attempts, MAX_RETRY_S)
            cursor.execute(
                "UPDATE rm_deliveries SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
                (attempts + 1, (now + timedelta(seconds=wait)).isoformat(), error, delivery_id),
            )
