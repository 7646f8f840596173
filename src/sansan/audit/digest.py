"""The chain's link function, written out so anyone can recompute it without this code.

digest(n) = SHA-256( digest(n-1) as 32 bytes
                     || field(position) || field(aggregate id) || field(version)
                     || field(topic) || field(state) )

where field(x) is x's bytes prefixed by their length as 8 bytes big-endian; the position
and version are decimal ASCII, the aggregate id its hyphenated lowercase text, the topic
UTF-8 and the state the stored bytes exactly. digest(0) is 32 zero bytes.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

GENESIS = "0" * 64


@dataclass(frozen=True)
class LogEntry:
    """One stored event, as the log holds it."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes

    @property
    def identity(self) -> tuple[UUID, int]:
        return self.aggregate_id, self.version


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def link(previous: str, entry: LogEntry) -> str:
    h = hashlib.sha256(bytes.fromhex(previous))
    for part in (
        str(entry.position).encode(),
        str(entry.aggregate_id).encode(),
        str(entry.version).encode(),
        entry.topic.encode(),
        entry.state,
    ):
        h.update(_field(part))
    return h.hexdigest()


def state_timestamp(state: bytes) -> datetime | None:
    """When the library recorded the event, read from inside the digested state (JSON);
    None for a state that is not JSON with a timestamp."""
    try:
        return datetime.fromisoformat(json.loads(state)["timestamp"]["_data_"])
    except (ValueError, KeyError, TypeError):
        return None
