"""Verify an exported JSONL file with nothing but the file (and, ideally, a public key).

Each event line must recompute to its digest from its predecessor's digest and its own
stored bytes; consecutive events must link; the proof's hash must cover every line and
its signature the proof; a full export must run unbroken from the first event to the
chain head recorded in the proof, and match every checkpoint it reaches. One pass, keeping
only each event's digest, so a file of millions of events verifies in little memory.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sansan.audit.digest import GENESIS, LogEntry, link, state_timestamp
from sansan.audit.signing import SigningError, check_signature
from sansan.audit.trail import EXPORT_FORMAT, pinned_checkpoints
from sansan.audit.verify import Failure, FailureKind, Verdict


class ExportFileError(ValueError):
    """The file is not a sansan audit export at all (as opposed to a tampered one)."""


@dataclass(frozen=True)
class EventLine:
    seq: int
    position: int
    prev: str
    digest: str
    recorded_at: str
    entry: LogEntry


def entry_of_line(line: dict[str, Any]) -> LogEntry:
    state = line["state"].encode() if "state" in line else bytes.fromhex(line["state_hex"])
    return LogEntry(
        int(line["position"]), UUID(line["aggregate_id"]), int(line["version"]), str(line["topic"]), state
    )


def _event_line(document: dict[str, Any]) -> EventLine:
    """Raises KeyError, ValueError or TypeError for a line that is not a well-formed event."""
    entry = entry_of_line(document)
    prev, digest = str(document["prev"]), str(document["digest"])
    bytes.fromhex(prev), bytes.fromhex(digest)
    return EventLine(int(document["seq"]), entry.position, prev, digest, str(document["recorded_at"]), entry)


@dataclass
class _Pass:
    public_key: str | None
    pinned: dict[int, tuple[str, str]]
    hasher: Any = field(default_factory=hashlib.sha256)
    header: dict[str, Any] | None = None
    proof: dict[str, Any] | None = None
    previous: EventLine | None = None
    count: int = 0
    checked: int = 0
    failure: Failure | None = None
    gap: Failure | None = None  # events skipped in a full export: missing, or come later
    digests: dict[int, tuple[str, int]] = field(default_factory=dict)  # seq → (digest, position)

    @property
    def full(self) -> bool:
        return self.header is not None and all(v is None for v in self.header.get("filter", {}).values())

    def feed(self, number: int, text: str) -> None:
        if self.proof is not None:
            raise ExportFileError(f"line {number} follows the proof")
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ExportFileError(f"line {number} is not JSON: {error}") from error
        if not isinstance(document, dict):
            raise ExportFileError(f"line {number} is not a JSON object")
        if document.get("kind") == "proof" and self.header is not None:
            self.proof = document
            return
        self.hasher.update(text.encode())
        if self.header is None:
            if document.get("format") != EXPORT_FORMAT:
                raise ExportFileError(f"not a {EXPORT_FORMAT} file (no header line)")
            self.header = document
            return
        self.count += 1
        try:
            line = _event_line(document)
        except (KeyError, ValueError, TypeError) as error:
            self.failure = self.failure or Failure(0, FailureKind.CHANGED, f"line {number} is not a well-formed event: {error!r}")
            return
        self.digests[line.seq] = (line.digest, line.position)
        if self.failure is None:
            self.failure = self._check(line)
        self.previous = line

    def _check(self, line: EventLine) -> Failure | None:
        at = line.position
        if link(line.prev, line.entry) != line.digest:
            return Failure(at, FailureKind.CHANGED, f"event {line.seq} does not recompute")
        stamp = state_timestamp(line.entry.state)
        if stamp is not None and not _same_moment(stamp, line.recorded_at):
            return Failure(at, FailureKind.CHANGED, f"event {line.seq}: recorded_at differs from the time inside its state")
        pinned = self.pinned.get(line.seq)
        if pinned is not None:
            self.checked += 1
            if pinned[0] != line.digest:
                return Failure(at, FailureKind.CHANGED, f"differs from the checkpoint {pinned[1]} at event {line.seq}")
        previous = self.previous
        if previous is None:
            if line.seq == 1 and line.prev != GENESIS:
                return Failure(at, FailureKind.CHANGED, "the first event does not start the chain")
            return None
        if line.seq <= previous.seq or line.position <= previous.position:
            return Failure(self.gap.position if self.gap else at, FailureKind.REORDERED,
                           f"event {line.seq} is out of order")  # fmt: skip
        if line.seq == previous.seq + 1 and line.prev != previous.digest:
            return Failure(at, FailureKind.CHANGED, f"event {line.seq} does not link")
        if line.seq > previous.seq + 1 and self.full and self.gap is None:
            self.gap = Failure(at, FailureKind.MISSING, f"events {previous.seq + 1}–{line.seq - 1} are missing")
        return None

    def finish(self) -> Verdict:
        if self.header is None or self.proof is None:
            raise ExportFileError("the file has no proof line: it was cut short, or is no export")
        failure = self.failure or self.gap or self._envelope() or self._proof_checkpoints() or self._complete()
        sources = [] if failure is not None else self._sources()
        last = self.previous
        return Verdict(
            ok=failure is None, count=self.count, head=None if last is None else last.digest,
            head_position=None if last is None else last.position, pending=0,
            checkpoints_checked=self.checked, failure=failure, sources=sources,
        )  # fmt: skip

    def _envelope(self) -> Failure | None:
        assert self.proof is not None
        if self.hasher.hexdigest() != self.proof.get("sha256") or self.proof.get("lines") != self.count:
            return Failure(0, FailureKind.CHANGED, "the lines do not hash to the proof: a line was changed, added or removed")
        if "signature" not in self.proof:
            if self.public_key is not None:
                return Failure(0, FailureKind.CHANGED, "the export is not signed, but a public key was given")
            return None
        try:
            check_signature(self.proof, self.public_key)
        except SigningError as error:
            return Failure(0, FailureKind.CHANGED, str(error))
        return None

    def _sources(self) -> list[str]:
        assert self.proof is not None
        if "signature" not in self.proof:
            return ["unsigned"]
        key = self.proof["public_key"]
        return [f"signed by {key}" + ("" if self.public_key else " (key not pinned: pass --public-key)")]

    def _proof_checkpoints(self) -> Failure | None:
        assert self.proof is not None
        try:
            kept = pinned_checkpoints(self.proof)
        except (KeyError, ValueError, TypeError) as error:
            return Failure(0, FailureKind.CHANGED, f"the proof's checkpoints are malformed: {error!r}")
        for seq, (digest, where) in sorted(kept.items()):
            found = self.digests.get(seq)
            if found is None or seq in self.pinned:
                continue
            self.checked += 1
            if found[0] != digest:
                return Failure(found[1], FailureKind.CHANGED, f"differs from the checkpoint {where} at event {seq}")
        return None

    def _complete(self) -> Failure | None:
        assert self.proof is not None
        head = self.proof.get("head")
        if not self.full or not isinstance(head, dict):
            return None
        last = self.previous
        if last is None or last.seq < int(head["seq"]) or self.count < int(head["seq"]):
            return Failure(int(head["position"]), FailureKind.MISSING,
                           f"the chain head is event {head['seq']} but the file stops before it")  # fmt: skip
        return None


def _same_moment(stamp: datetime, text: str) -> bool:
    try:
        return stamp == datetime.fromisoformat(text)
    except ValueError:
        return False


def verify_export(
    lines: Iterable[str],
    public_key: str | None = None,
    pinned: dict[int, tuple[str, str]] | None = None,
) -> Verdict:
    walk = _Pass(public_key, pinned or {})
    for number, text in enumerate(lines, 1):
        if text.strip():
            walk.feed(number, text if text.endswith("\n") else text + "\n")
    return walk.finish()
