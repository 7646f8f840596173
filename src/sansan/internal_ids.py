"""Ids of the service's own records (firings, idempotency records, audit checkpoints).

A client may choose the id of what it creates, so an id the service derives from public
inputs could be taken first by a client, and the service would then read the client's
unit as its own record. These ids are therefore keyed by a server secret (HMAC-SHA256):
no client can compute them. Whatever is found under one is still checked for its type,
and a clash moves the record to the next candidate id instead of failing or skipping.

Stores written before the secret existed keep their records under the old public
derivation (uuid5); those are still found there, so nothing fires or records twice.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid5

# How many keyed ids a record may try before the clash is reported as an error: with a
# secret key one clash is already astronomically unlikely, so this bound is never reached
# in practice, only in tests that plant records under the keyed ids.
CANDIDATES = 4
RESERVED_UUID_VERSION = 8  # RFC 9562 UUIDv8, custom content: here a keyed hash
_VERSION_8 = RESERVED_UUID_VERSION << 76
_VARIANT = 0x2 << 62

# The public namespaces of the old derivation, kept only to find records already made.
_LEGACY_FIRING = UUID("3c1f6a90-2f4e-4f7e-9a55-6d1b7e0c2a44")
_LEGACY_IDEMPOTENCY = UUID("8d0a7a4e-5b59-4c2e-9d4f-0f6a1c3b2e71")
_LEGACY_CHECKPOINT = UUID("8d0b7f3e-5a51-4c0e-b1f4-2f7d9e6a3c18")


class InternalIdClash(Exception):
    """Every candidate id of an internal record holds something else (logged as an error)."""

    def __init__(self, purpose: str, natural_key: str) -> None:
        super().__init__(f"every candidate id of {purpose} {natural_key!r} is taken")
        self.purpose = purpose


@dataclass(frozen=True)
class InternalKey:
    """What an internal record is about, and where the old derivation put it."""

    purpose: str
    natural_key: str
    legacy_id: UUID | None = None


def new_secret() -> str:
    return secrets.token_hex(32)


@dataclass(frozen=True)
class InternalIds:
    secret: bytes

    def candidates(self, key: InternalKey) -> Iterator[UUID]:
        for attempt in range(CANDIDATES):
            message = f"{key.purpose}\n{attempt}\n{key.natural_key}".encode()
            digest = hmac.new(self.secret, message, hashlib.sha256).digest()
            yield _as_version_8(int.from_bytes(digest[:16], "big"))


def _as_version_8(value: int) -> UUID:
    value &= ~(0xF << 76) & ~(0x3 << 62)
    return UUID(int=value | _VERSION_8 | _VARIANT)


def firing_key(
    deadline_id: str, kind: str, unit_id: str | None, due_on: date, lead_days: int
) -> InternalKey:
    text = f"{deadline_id}|{kind}|{unit_id}|{due_on}|{lead_days}"
    return InternalKey("firing", text, uuid5(_LEGACY_FIRING, text))


def idempotency_record_key(actor: str, key: str) -> InternalKey:
    text = f"{actor}\n{key}"
    return InternalKey("idempotency", text, uuid5(_LEGACY_IDEMPOTENCY, text))


def checkpoint_key(seq: int) -> InternalKey:
    return InternalKey("checkpoint", str(seq), uuid5(_LEGACY_CHECKPOINT, f"checkpoint|{seq}"))
