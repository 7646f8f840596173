"""Page cursors that say nothing of the page (outside review 2, finding 21).

A keyset cursor holds the last row's sort key, and a list of members is sorted by name: as
plain base64 JSON the cursor carried a member's name into every URL, browser history and
access-log line that held it. The key is now sealed (AES-GCM) under a key derived from the
server secret, so a cursor reads as noise, a changed one is refused (tamper-evident), and
every process on the store, before and after a restart, opens the others' cursors.

The nonce is derived from the key itself (an HMAC of it, as a synthetic IV): the same page
gives the same cursor, and a nonce is never met again with another key, which AES-GCM needs.
"""

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class BadCursor(ValueError):
    pass


class CursorMismatch(BadCursor):
    """A sound cursor, minted for another list, another filter or another token: read with
    this query, its key would skip or repeat rows without a word (outside review 3, #16)."""


class Cursors:
    """Seals a page's sort key together with what it was minted for (``bound``: the
    endpoint, its filters and the token), so that it opens only for the same again."""

    def __init__(self, secret: bytes, binding: str = "") -> None:
        self._secret = secret
        self._aead = AESGCM(_derived(secret, b"sansan page cursor: key"))
        self._nonce_key = _derived(secret, b"sansan page cursor: nonce")
        # a digest keeps the cursor short whatever the filters; it is sealed, so it says
        # nothing of them either
        digest = hashlib.sha256(binding.encode()).digest()[:12]
        self._binding = base64.urlsafe_b64encode(digest).decode()

    def bound(self, binding: str) -> "Cursors":
        return Cursors(self._secret, binding)

    def seal(self, key: list[Any]) -> str:
        plain = json.dumps([self._binding, key], ensure_ascii=False, separators=(",", ":"))
        data = plain.encode()
        nonce = hmac.new(self._nonce_key, data, hashlib.sha256).digest()[:NONCE_BYTES]
        sealed = nonce + self._aead.encrypt(nonce, data, None)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, cursor: str) -> Any:
        try:
            sealed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
            opened = json.loads(self._aead.decrypt(nonce, body, None))
        except (ValueError, InvalidTag):  # not base64, too short, altered, or another key's
            raise BadCursor(cursor) from None
        if not isinstance(opened, list) or len(opened) != 2:  # a cursor of before the binding
            raise BadCursor(cursor)
        binding, key = opened
        if binding != self._binding:
            raise CursorMismatch(cursor)
        return key


def _derived(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, purpose, hashlib.sha256).digest()
