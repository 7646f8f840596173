"""A checkpoint of the audit hash chain: the chain's head written into the log itself.

Its id is derived (by the service, keyed with its secret) from the chain length it
covers, so two followers that decide at once to checkpoint the same head record it once.
"""

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from sansan.domain.base import Provenance, SansanAggregate, begin_state

T = "sansan:AuditCheckpoint"


class AuditCheckpoint(SansanAggregate):
    TOPIC = T
    LABEL_ZH = "审计链检查点"

    if TYPE_CHECKING:  # state set by the events' apply()
        seq: int
        position: int
        digest: str

    class Event(SansanAggregate.Event):
        pass

    class CheckpointRecorded(Event, Aggregate.Created):
        """``seq`` events are chained up to log ``position``; ``digest`` is the chain's head."""

        TOPIC = f"{T}.CheckpointRecorded"
        seq: int
        position: int
        digest: str
        reason: str

        def apply(self, c: Any) -> None:
            begin_state(c, self)
            c.seq, c.position, c.digest = self.seq, self.position, self.digest

    Created = CheckpointRecorded

    @classmethod
    def record(
        cls, prov: Provenance, *, id: UUID, seq: int, position: int, digest: str, reason: str
    ) -> "AuditCheckpoint":
        return cls._begin(
            cls.CheckpointRecorded, prov, id=id,
            seq=seq, position=position, digest=digest, reason=reason,
        )  # fmt: skip
