"""Principals kept in memory between requests, dropped as soon as the log shows a revocation.

Loading a token's aggregate on every request costs a read of its events and their decoding.
Here a token is loaded once; later requests only look at the log's tail for revocations
recorded since the last look, by any process. Each lookup waits for a look that *began
after the lookup did*, so a revocation recorded anywhere before a request arrives is
always seen by it; one look serves every lookup that waits on it, so concurrent requests
share its round trips instead of each making its own.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder

# Revocations read per query of the log's tail; more are read in further pages.
PAGE = 500


@dataclass(frozen=True)
class CachedToken:
    """What authentication needs of a live token: who it is and when it stops working."""

    token_id: UUID
    role: str
    scope_org_id: UUID | None
    label: str
    expires_at: datetime | None


class RevocationWatch:
    """Follows the log's tail for one event topic: the ids it names, from a start on."""

    def __init__(self, recorder: ApplicationRecorder, topic: str) -> None:
        self.recorder, self.topic = recorder, topic
        self.position: int | None = None  # the log has been looked at up to here
        self.seen: set[UUID] = set()  # every id revoked since the first look
        self.looks = 0  # looks begun; a lookup needs one that began after it arrived
        self._done = 0  # the number of the last look that finished
        self._lock = threading.Lock()

    def start(self) -> None:
        """The first look: where the log is now. Revocations before it are in the
        aggregates themselves, which are loaded after this."""
        with self._lock:
            if self.position is None:
                self.looks += 1
                self.position = self.recorder.max_notification_id() or 0
                self._done = self.looks

    def catch_up(self, on_revoked: Callable[[UUID], None]) -> None:
        """Return once a look at the log that began after this call has finished."""
        arrived = self.looks
        with self._lock:
            if self._done > arrived:  # a look that began after we arrived has finished
                return
            self.looks += 1
            number = self.looks
            position = self.position or 0
            while True:
                head, page = self._tail(position)
                for _, originator_id in page:
                    revoked = UUID(str(originator_id))
                    self.seen.add(revoked)  # before dropping it: see PrincipalCache.admit
                    on_revoked(revoked)
                if len(page) < PAGE:
                    position = max(position, head)
                    break
                position = page[-1][0]
            self.position, self._done = position, number

    def _tail(self, position: int) -> tuple[int, list[tuple[int, Any]]]:
        """The log's head and the first PAGE events of the topic after ``position`` up to it:
        one statement where the recorder has one (PostgreSQL: one round trip per look, under
        write load half the look's cost), otherwise the library's two calls."""
        tail = getattr(self.recorder, "topic_tail", None)
        if tail is not None:
            return cast(tuple[int, list[tuple[int, Any]]], tail(position, self.topic, PAGE))
        head = self.recorder.max_notification_id() or 0
        if head <= position:
            return head, []
        page = self.recorder.select_notifications(
            position, PAGE, stop=head, topics=[self.topic], inclusive_of_start=False
        )
        return head, [(n.id, n.originator_id) for n in page]


class PrincipalCache:
    """Live tokens by id. A token enters when loaded and leaves when the watch sees it
    revoked; an expired one stays but is refused by its cached expiry."""

    def __init__(self, watch: RevocationWatch) -> None:
        self.watch = watch
        self._tokens: dict[UUID, CachedToken] = {}

    def get(self, token_id: UUID) -> CachedToken | None:
        """The cached token, once the log up to this call has been looked at."""
        if token_id not in self._tokens:
            return None
        self.watch.catch_up(self.drop)
        return self._tokens.get(token_id)

    def peek(self, token_id: UUID) -> CachedToken | None:
        """The cached token as last seen, without looking at the log."""
        return self._tokens.get(token_id)

    def begin_load(self) -> None:
        """Call before loading a token from the store, so no revocation after the load
        can fall before the watch's position."""
        self.watch.start()

    def admit(self, token: CachedToken) -> bool:
        """Keep a token just loaded (not revoked); False if the watch saw it revoked since.

        The watch records a revocation before it drops the token, and this checks after
        it keeps it: a revocation racing the load is either seen here or drops it."""
        self._tokens[token.token_id] = token
        if token.token_id in self.watch.seen:
            self.drop(token.token_id)
            return False
        return True

    def drop(self, token_id: UUID) -> None:
        self._tokens.pop(token_id, None)
