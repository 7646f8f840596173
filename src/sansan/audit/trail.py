"""What supervisors do with the chain: verify it, export its checkpoints, export history."""

import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from sansan.application import SansanApplication
from sansan.audit.chain import (
    CHAIN_COLUMNS,
    ChainEntry,
    HashChain,
    audit_chain,
    chain_entry,
    entry_of,
)
from sansan.audit.digest import GENESIS, LogEntry
from sansan.audit.signing import check_signature, load_private_key, public_key_text, sign
from sansan.audit.verify import Verdict, verify
from sansan.persistence import log_position

CHECKPOINT_FORMAT = "sansan-audit-checkpoints/1"
EXPORT_FORMAT = "sansan-audit-export/1"
BATCH = 1000


class StoreSource:
    """The log and the chain as the database holds them."""

    def __init__(
        self,
        app: SansanApplication,
        chain: HashChain,
        on_batch: Callable[[int], None] = lambda _: None,
    ) -> None:
        self.app, self.hash_chain, self.on_batch = app, chain, on_batch
        # The chain is walked up to its head as it is now, which (chain rows being written
        # after their events commit) the log already holds; what follows is pending.
        head = chain.head()
        self.head_seq = 0 if head is None else head.seq

    def log(self) -> Iterator[LogEntry]:
        start: int | None = None  # from the very first row, even one forged below position 1
        while True:
            batch = self.app.recorder.select_notifications(
                start, BATCH, inclusive_of_start=start is None
            )
            if not batch:
                return
            yield from (entry_of(n) for n in batch)
            self.on_batch(len(batch))
            start = batch[-1].id

    def chain(self) -> Iterator[ChainEntry]:
        return itertools.takewhile(lambda e: e.seq <= self.head_seq, self.hash_chain.entries())

    def log_position_of(self, identity: tuple[UUID, int]) -> int | None:
        return log_position(self.app.recorder, *identity)

    def chain_position_of(self, identity: tuple[UUID, int]) -> int | None:
        return self.hash_chain.position_of(identity)


@dataclass(frozen=True)
class ExportFilter:
    aggregate_id: UUID | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "aggregate_id": None if self.aggregate_id is None else str(self.aggregate_id),
            "recorded_from": _iso(self.recorded_from),
            "recorded_to": _iso(self.recorded_to),
        }

    @property
    def everything(self) -> bool:
        return all(value is None for value in self.as_dict().values())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def kept_checkpoints(
    document: dict[str, Any], public_key: str | None = None
) -> tuple[dict[int, tuple[str, str]], str]:
    """A checkpoint file kept outside: its checkpoints, once its signature holds (by
    ``public_key`` when given); raises SigningError otherwise. Unsigned files are taken
    only when no key is given, and said to be unsigned."""
    if document.get("signature") is None and public_key is None:
        return pinned_checkpoints(document), "checkpoint file unsigned"
    key = check_signature(document, public_key)
    pinned = "" if public_key else " (key not pinned: pass the public key)"
    return pinned_checkpoints(document), f"checkpoint file signed by {key}{pinned}"


def pinned_checkpoints(document: dict[str, Any]) -> dict[int, tuple[str, str]]:
    """seq → (digest, where it was kept) from a checkpoint file or an export's proof."""
    where = f"exported at {document.get('exported_at', '?')}"
    pinned = {int(c["seq"]): (str(c["digest"]), where) for c in document.get("checkpoints", [])}
    head = document.get("head")
    if head:
        pinned[int(head["seq"])] = (str(head["digest"]), where)
    return pinned


class AuditTrail:
    def __init__(
        self, app: SansanApplication, chain: HashChain, signing_key: Path | None = None
    ) -> None:
        self.app, self.chain, self.signing_key = app, chain, signing_key

    def verify(
        self,
        pinned: dict[int, tuple[str, str]] | None = None,
        on_batch: Callable[[int], None] = lambda _: None,
    ) -> Verdict:
        internal = {c.seq: (c.digest, f"recorded in the log on {c.recorded_on}")
                    for c in self.chain.checkpoints()}  # fmt: skip
        return verify(StoreSource(self.app, self.chain, on_batch), internal | (pinned or {}))

    def _signed(
        self, payload: dict[str, Any], key: Ed25519PrivateKey | None = None
    ) -> dict[str, Any]:
        key = key or self._key()
        return payload if key is None else sign(key, payload)

    def _key(self) -> Ed25519PrivateKey | None:
        return None if self.signing_key is None else load_private_key(self.signing_key)

    def public_key(self) -> str | None:
        key = self._key()
        return None if key is None else public_key_text(key.public_key())

    def checkpoint_file(self) -> dict[str, Any]:
        """The chain's head and every checkpoint, signed when a key is configured."""
        return self._signed(self._checkpoints(self.chain.head()))

    def _checkpoints(self, head: ChainEntry | None) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "exported_at": datetime.now(UTC).isoformat(),
            "head": None if head is None else
            {"seq": head.seq, "position": head.position, "digest": head.digest},
            "checkpoints": [c.as_dict() for c in self.chain.checkpoints()],
        }  # fmt: skip

    # -- export --------------------------------------------------------------------------------

    def export(self, chosen: ExportFilter) -> Iterator[str]:
        """JSON lines: a header, one line per chained event with its digests, and the proof."""
        key = self._key()  # a key that cannot be used fails now, not after the last line
        digest = hashlib.sha256()

        def line(document: dict[str, Any]) -> str:
            text = json.dumps(document, ensure_ascii=False, sort_keys=True) + "\n"
            digest.update(text.encode())
            return text

        head = self.chain.head()
        yield line({"kind": "header", "format": EXPORT_FORMAT, "filter": chosen.as_dict(),
                    "exported_at": datetime.now(UTC).isoformat(),
                    "link": "see sansan.audit.digest (README: how to audit)"})  # fmt: skip
        count = 0
        for entry, previous, state in self._selected(chosen, 0 if head is None else head.seq):
            count += 1
            yield line(event_line(entry, previous, state))
        proof = self._checkpoints(head) | {
            "format": EXPORT_FORMAT, "kind": "proof", "lines": count, "sha256": digest.hexdigest()
        }
        yield json.dumps(self._signed(proof, key), ensure_ascii=False, sort_keys=True) + "\n"

    def _selected(self, chosen: ExportFilter, last: int) -> Iterator[tuple[ChainEntry, str, bytes]]:
        for rows in self._chain_batches(chosen, last):
            states = self._states(chosen, [entry for entry, _ in rows])
            for entry, previous in rows:
                state = states.get(entry.position)
                if state is not None:  # gone from the log: the verifier reports it, not the export
                    yield entry, previous, state

    def _chain_batches(
        self, chosen: ExportFilter, last: int
    ) -> Iterator[list[tuple[ChainEntry, str]]]:
        """Entries up to ``last``, the head the proof names: events chained while the export
        is written (its own read record among them) belong to the next one."""
        c, p = audit_chain.alias("c"), audit_chain.alias("p")
        where = [c.c.seq <= last]
        if chosen.aggregate_id is not None:
            where.append(c.c.aggregate_id == str(chosen.aggregate_id))
        if chosen.recorded_from is not None:
            where.append(c.c.recorded_at >= _iso(chosen.recorded_from))
        if chosen.recorded_to is not None:
            where.append(c.c.recorded_at <= _iso(chosen.recorded_to))
        statement = (
            select(*(c.c[column.name] for column in CHAIN_COLUMNS), p.c.digest)
            .outerjoin_from(c, p, p.c.seq == c.c.seq - 1)
            .where(*where)
            .order_by(c.c.seq)
            .limit(BATCH)
        )
        after = 0
        while True:
            with self.chain.store.transaction(generation=1, pointer=False) as cursor:
                rows = cursor.execute(statement.where(c.c.seq > after)).fetchall()
            if not rows:
                return
            batch = [(chain_entry(row[:7]), row[7] or GENESIS) for row in rows]
            yield batch
            after = batch[-1][0].seq

    def _states(self, chosen: ExportFilter, entries: list[ChainEntry]) -> dict[int, bytes]:
        """The stored bytes of these chained events, by position."""
        if chosen.aggregate_id is not None:
            stored = self.app.recorder.select_events(
                chosen.aggregate_id, gt=entries[0].version - 1, lte=entries[-1].version
            )
            by_version = {e.originator_version: bytes(e.state) for e in stored}
            return {e.position: by_version[e.version] for e in entries if e.version in by_version}
        wanted, states = {e.position for e in entries}, dict[int, bytes]()
        start, inclusive = entries[0].position, True
        while start <= entries[-1].position:
            notifications = self.app.recorder.select_notifications(
                start, BATCH, stop=entries[-1].position, inclusive_of_start=inclusive
            )
            if not notifications:
                break
            states |= {n.id: bytes(n.state) for n in notifications if n.id in wanted}
            start, inclusive = notifications[-1].id, False
        return states


def event_line(entry: ChainEntry, previous: str, state: bytes) -> dict[str, Any]:
    line: dict[str, Any] = {
        "kind": "event", "seq": entry.seq, "position": entry.position,
        "aggregate_id": str(entry.aggregate_id), "version": entry.version, "topic": entry.topic,
        "recorded_at": entry.recorded_at, "prev": previous, "digest": entry.digest,
    }  # fmt: skip
    try:
        line["state"] = state.decode()
    except UnicodeDecodeError:  # not JSON text (a compressed or encrypted store)
        line["state_hex"] = state.hex()
    return line


def write_lines(lines: Iterable[str], path: Path) -> int:
    """Write to a temporary file beside ``path`` and rename it into place only when every
    line is written: a failure (a bad key, a lost store) never clobbers an earlier file."""
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    try:
        with partial.open("w", encoding="utf-8") as out:
            for text in lines:
                out.write(text)
                count += 1
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count
