"""The hash chain kept beside the log, and the checkpoints that pin its head.

A follower reads the log in position order and appends one chain row per event in
the same transaction that reads the chain's head, under a lock, so two followers never
chain an event twice nor fork the chain. The chain is evidence, not a read model: a
read-model rebuild leaves it alone, and it is never rebuilt from the log.
"""

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from sqlalchemy import BigInteger, Column, Index, MetaData, Table, Text, func, select
from sqlalchemy.schema import CreateIndex, CreateTable

from sansan.application import SansanApplication
from sansan.audit.digest import GENESIS, LogEntry, link, state_timestamp
from sansan.domain import AuditCheckpoint
from sansan.domain.base import Provenance
from sansan.internal_ids import checkpoint_key
from sansan.persistence import advisory_key
from sansan.projections.store import Cursor, ReadStore

CHECKPOINT_ACTOR = "system:audit-chain"

# The chain's own tables, beside the read models but never part of a generation.
_chain_metadata = MetaData()
audit_chain = Table(
    "audit_chain",
    _chain_metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("aggregate_id", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("topic", Text, nullable=False),
    Column("recorded_at", Text, nullable=False),
    Column("digest", Text, nullable=False),
)
Index("audit_chain_identity", audit_chain.c.aggregate_id, audit_chain.c.version)
Index("audit_chain_recorded", audit_chain.c.recorded_at)
audit_checkpoints = Table(
    "audit_checkpoints",
    _chain_metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("digest", Text, nullable=False),
    Column("recorded_on", Text, nullable=False),
    Column("reason", Text, nullable=False),
)
CHAIN_TABLES = (audit_chain.name, audit_checkpoints.name)
CHECKPOINT_TOPIC = AuditCheckpoint.CheckpointRecorded.TOPIC


@dataclass(frozen=True)
class ChainEntry:
    seq: int
    position: int
    aggregate_id: UUID
    version: int
    topic: str
    recorded_at: str
    digest: str

    @property
    def identity(self) -> tuple[UUID, int]:
        return self.aggregate_id, self.version


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    position: int
    digest: str
    recorded_on: date
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "position": self.position, "digest": self.digest,
            "recorded_on": self.recorded_on.isoformat(), "reason": self.reason,
        }  # fmt: skip


def create_chain_tables(store: ReadStore) -> None:
    with store.transaction(lock=True, generation=1, pointer=False) as cursor:
        for table in _chain_metadata.sorted_tables:
            cursor.execute(CreateTable(table, if_not_exists=True))
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                cursor.execute(CreateIndex(index, if_not_exists=True))


def entry_of(notification: Notification) -> LogEntry:
    return LogEntry(
        position=notification.id,
        aggregate_id=UUID(str(notification.originator_id)),
        version=notification.originator_version,
        topic=notification.topic,
        state=bytes(notification.state),
    )


def chain_entry(row: Any) -> ChainEntry:
    seq, position, aggregate_id, version, topic, recorded_at, digest = row
    return ChainEntry(
        int(seq), int(position), UUID(str(aggregate_id)), int(version), topic, recorded_at, digest
    )


# In the order of ChainEntry's fields.
CHAIN_COLUMNS = [audit_chain.c[f.name] for f in fields(ChainEntry)]


class HashChain:
    """Extends the chain from the log and checkpoints its head."""

    def __init__(
        self, app: SansanApplication, store: ReadStore, *, checkpoint_every: int = 10_000
    ) -> None:
        self.app, self.store, self.checkpoint_every = app, store, checkpoint_every
        # Followers of one schema serialise on a lock of their own (per schema on PostgreSQL).
        self.lock_key = advisory_key(f"{getattr(store, 'schema', '')}.audit_chain")

    # -- reading ------------------------------------------------------------------------------

    def head(self) -> ChainEntry | None:
        with self.store.transaction(generation=1, pointer=False) as c:
            return self._head(c)

    @staticmethod
    def _head(c: Cursor) -> ChainEntry | None:
        row = c.execute(
            select(*CHAIN_COLUMNS).order_by(audit_chain.c.seq.desc()).limit(1)
        ).fetchone()
        return None if row is None else chain_entry(row)

    def entries(self, *, after_seq: int = 0, batch: int = 1000) -> Iterator[ChainEntry]:
        """Every chain row in order, read in batches."""
        while True:
            with self.store.transaction(generation=1, pointer=False) as c:
                seq = audit_chain.c.seq
                rows = c.execute(
                    select(*CHAIN_COLUMNS).where(seq > after_seq).order_by(seq).limit(batch)
                ).fetchall()
            if not rows:
                return
            for row in rows:
                entry = chain_entry(row)
                after_seq = entry.seq
                yield entry

    def position_of(self, identity: tuple[UUID, int]) -> int | None:
        with self.store.transaction(generation=1, pointer=False) as c:
            chain = audit_chain.c
            row = c.execute(
                select(chain.position).where(
                    chain.aggregate_id == str(identity[0]), chain.version == identity[1]
                )
            ).fetchone()
        return None if row is None else int(row[0])

    def checkpoints(self) -> list[Checkpoint]:
        with self.store.transaction(generation=1, pointer=False) as c:
            k = audit_checkpoints.c
            rows = c.execute(
                select(k.seq, k.position, k.digest, k.recorded_on, k.reason).order_by(k.seq)
            ).fetchall()
        return [
            Checkpoint(int(s), int(p), d, date.fromisoformat(str(o)), r) for s, p, d, o, r in rows
        ]

    # -- extending ------------------------------------------------------------------------------

    def extend(self, batch: int = 1000) -> int:
        """Chain the next batch of the log; returns how many events it chained."""
        # The log is read before the write lock (see ProjectionRunner.run_once: on SQLite,
        # reading it under the lock can deadlock with a writer until the pool times out).
        head = self.head()
        start = head.position if head else 0
        ahead = self.app.recorder.select_notifications(start, batch, inclusive_of_start=False)
        if not ahead:
            return 0
        with self.store.transaction(lock=True, generation=1, pointer=False) as c:
            if self.store.dialect == "postgres":
                c.execute(select(func.pg_advisory_xact_lock(self.lock_key)))
            head = self._head(c)
            seq, position, digest = (0, 0, GENESIS) if head is None else (
                head.seq, head.position, head.digest
            )
            # Another follower may have chained some of these meanwhile: go on from its head.
            notifications = [n for n in ahead if n.id > position] if position >= start else (
                self.app.recorder.select_notifications(position, batch, inclusive_of_start=False)
            )
            links, checkpoints = [], []
            for notification in notifications:
                seq, digest = seq + 1, link(digest, entry_of(notification))
                links.append(self._link(seq, digest, notification))
                checkpoints += self._checkpoint_of(notification)
            # one round trip per table for the batch
            c.executemany(audit_chain.insert(), links)
            if checkpoints:
                insert = c.upsert(audit_checkpoints).on_conflict_do_nothing(index_elements=["seq"])
                c.executemany(insert, checkpoints)
        return len(notifications)

    def _link(self, seq: int, digest: str, notification: Notification) -> dict[str, Any]:
        # read from the state itself: decoding every event would cost as much as hashing it
        recorded_at = state_timestamp(bytes(notification.state))
        if recorded_at is None:
            recorded_at = getattr(self.app.mapper.to_domain_event(notification), "timestamp")  # noqa: B009
        return {
            "seq": seq, "position": notification.id,
            "aggregate_id": str(notification.originator_id),
            "version": notification.originator_version, "topic": notification.topic,
            "recorded_at": recorded_at.isoformat(), "digest": digest,
        }  # fmt: skip

    def _checkpoint_of(self, notification: Notification) -> list[dict[str, Any]]:
        """The checkpoint a chained event records, if it is one."""
        if notification.topic != CHECKPOINT_TOPIC:
            return []
        event = self.app.mapper.to_domain_event(notification)
        if not isinstance(event, AuditCheckpoint.CheckpointRecorded):
            return []
        return [{
            "seq": event.seq, "position": event.position, "digest": event.digest,
            "recorded_on": event.occurred_on.isoformat(), "reason": event.reason,
        }]  # fmt: skip

    def catch_up(self) -> int:
        chained = 0
        while (count := self.follow()) > 0:
            chained += count
        return chained

    def follow(self) -> int:
        """One step for a loop shared with the projections: one batch, or, once caught up,
        a checkpoint if one is due. A long backlog (an upgrade) then never holds up the
        read models for longer than a batch at a time."""
        chained = self.extend()
        if chained == 0 and self.checkpoint_if_due():
            chained = self.extend()
        return chained

    def checkpoint_if_due(self) -> bool:
        """Record the head when ``checkpoint_every`` events were chained since the last
        checkpoint, or on a new day with anything new since."""
        head = self.head()
        if head is None:
            return False
        checkpoints = self.checkpoints()
        last = checkpoints[-1] if checkpoints else None
        today = self.app.clock.today()
        if last is None:
            reason = "first"
        elif head.seq - last.seq >= self.checkpoint_every:
            reason = f"every_{self.checkpoint_every}"
        elif last.recorded_on < today and head.seq > last.seq + 1:
            reason = "daily"  # the checkpoint's own event alone is not news
        else:
            return False
        return self.checkpoint(head, reason)

    def checkpoint(self, head: ChainEntry, reason: str) -> bool:
        today = self.app.clock.today()
        prov = Provenance(actor=CHECKPOINT_ACTOR, occurred_on=today, today=today)
        # False: another follower checkpointed this head first
        return self.app.record_once(
            AuditCheckpoint,
            checkpoint_key(head.seq),
            lambda checkpoint_id: AuditCheckpoint.record(
                prov, id=checkpoint_id, seq=head.seq, position=head.position,
                digest=head.digest, reason=reason,
            ),
        )  # fmt: skip
