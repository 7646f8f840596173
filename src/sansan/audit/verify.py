"""Recompute the chain from the log and say where, and how, they part.

The verifier trusts neither side: it walks the log and the chain table together in
position order, recomputing every digest from the stored bytes, and checks the result
against checkpoints (those the follower recorded — as events in the log, copied into
``audit_checkpoints`` — and any exported earlier and kept elsewhere: the only defence
against a consistent rewrite of both tables).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from sansan.audit.chain import ChainEntry
from sansan.audit.digest import GENESIS, LogEntry, link, state_timestamp


class FailureKind(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    REORDERED = "reordered"
    INSERTED = "inserted"


KIND_ZH = {
    FailureKind.CHANGED: "内容被修改",
    FailureKind.MISSING: "记录缺失",
    FailureKind.REORDERED: "顺序被调换",
    FailureKind.INSERTED: "插入了伪造记录",
}


@dataclass(frozen=True)
class Failure:
    position: int
    kind: FailureKind
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "kind": self.kind.value,
                "kind_zh": KIND_ZH[self.kind], "detail": self.detail}  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int  # events verified
    head: str | None  # digest after the last verified event
    head_position: int | None
    pending: int  # events in the log not chained yet (the follower has not reached them)
    checkpoints_checked: int
    failure: Failure | None = None
    sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["failure"] = None if self.failure is None else self.failure.as_dict()
        return values


class ChainSource(Protocol):
    """What the verifier reads: the log, the chain, and a lookup in each by identity."""

    def log(self) -> Iterable[LogEntry]: ...
    def chain(self) -> Iterable[ChainEntry]: ...
    def log_position_of(self, identity: tuple[UUID, int]) -> int | None: ...
    def chain_position_of(self, identity: tuple[UUID, int]) -> int | None: ...


@dataclass
class _Walk:
    source: ChainSource
    checkpoints: Mapping[int, tuple[str, str]]  # seq → (digest, where it was kept)
    digest: str = GENESIS
    seq: int = 0
    position: int | None = None
    checked: int = 0

    def verdict(self, failure: Failure | None, pending: int = 0) -> Verdict:
        return Verdict(
            ok=failure is None, count=self.seq, head=self.digest if self.seq else None,
            head_position=self.position, pending=pending, checkpoints_checked=self.checked,
            failure=failure,
        )  # fmt: skip

    def misplaced(self, position: int, identity: tuple[UUID, int], where: str) -> Failure:
        """An event found where the other side has nothing (or something else)."""
        elsewhere: Callable[[tuple[UUID, int]], int | None] = (
            self.source.chain_position_of if where == "log" else self.source.log_position_of
        )
        other = elsewhere(identity)
        name = f"{identity[0]} v{identity[1]}"
        if other is not None and other != position:
            return Failure(position, FailureKind.REORDERED,
                           f"{name} is at log position {position} but was chained at {other}"
                           if where == "log" else
                           f"{name} was chained at {position} but the log holds it at {other}")  # fmt: skip
        if where == "log":
            return Failure(position, FailureKind.INSERTED,
                           f"the log holds {name} at position {position}, which was never chained")  # fmt: skip
        return Failure(position, FailureKind.MISSING,
                       f"{name} was chained at position {position} but is gone from the log")  # fmt: skip

    def step(self, event: LogEntry, chained: ChainEntry) -> Failure | None:
        if event.identity != chained.identity:
            return self.misplaced(event.position, event.identity, "log")
        digest = link(self.digest, event)
        if digest != chained.digest:
            return Failure(event.position, FailureKind.CHANGED,
                           f"the stored bytes of {event.aggregate_id} v{event.version}"
                           " no longer give the digest chained for them")  # fmt: skip
        if not _copies_agree(event, chained):  # exports select and show these copies
            return Failure(event.position, FailureKind.CHANGED,
                           f"the chain's copy of the topic or recording time of {event.aggregate_id}"
                           f" v{event.version} differs from the stored event")  # fmt: skip
        self.digest, self.seq, self.position = digest, chained.seq, event.position
        return self.check_pinned()

    def check_pinned(self) -> Failure | None:
        pinned = self.checkpoints.get(self.seq)
        if pinned is None:
            return None
        self.checked += 1
        if pinned[0] != self.digest:
            return Failure(self.position or 0, FailureKind.CHANGED,
                           f"the log and the chain agree but differ from the checkpoint {pinned[1]}"
                           f" at event {self.seq}: history up to here was rewritten")  # fmt: skip
        return None


def _copies_agree(event: LogEntry, chained: ChainEntry) -> bool:
    if chained.topic != event.topic:
        return False
    stamp = state_timestamp(event.state)
    try:
        return stamp is None or stamp == datetime.fromisoformat(chained.recorded_at)
    except ValueError:
        return False


def verify(source: ChainSource, checkpoints: Mapping[int, tuple[str, str]] = {}) -> Verdict:
    """Walk log and chain together; the first disagreement is the verdict."""
    walk = _Walk(source, checkpoints)
    log: Iterator[LogEntry] = iter(source.log())
    event = next(log, None)
    for chained in source.chain():
        if chained.seq != walk.seq + 1:  # named where the log holds the unchained event
            at = event.position if event is not None and event.position <= chained.position else chained.position
            return walk.verdict(Failure(at, FailureKind.MISSING,
                                        f"chain entry {walk.seq + 1} is gone from the chain table"))  # fmt: skip
        if event is None or event.position > chained.position:
            return walk.verdict(walk.misplaced(chained.position, chained.identity, "chain"))
        if event.position < chained.position:
            return walk.verdict(walk.misplaced(event.position, event.identity, "log"))
        failure = walk.step(event, chained)
        if failure is not None:
            return walk.verdict(failure)
        event = next(log, None)
    pending = 0 if event is None else 1 + sum(1 for _ in log)
    beyond = [seq for seq in checkpoints if seq > walk.seq]
    if beyond:
        seq = min(beyond)
        return walk.verdict(Failure(walk.position or 0, FailureKind.MISSING,
                                    f"the checkpoint {checkpoints[seq][1]} covers {seq} events;"
                                    f" the chain now has only {walk.seq}"), pending)  # fmt: skip
    return walk.verdict(None, pending)
