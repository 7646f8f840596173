"""Verify an exported JSONL file with nothing but the file (and, ideally, a public key).

Each event line must recompute to its digest from its predecessor's digest and its own
stored bytes; consecutive events must link; the proof's hash must cover every line and
its signature the proof; a full export must run unbroken from the first event to the
chain head recorded in the proof, and match every checkpoint it reaches.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sansan.audit.digest import GENESIS, LogEntry, link
from sansan.audit.signing import SigningError, check_signature
from sansan.audit.trail import EXPORT_FORMAT, pinned_checkpoints
from sansan.audit.verify import Failure, FailureKind, Verdict


class ExportFileError(ValueError):
    """The file is not a sansan audit export at all (as opposed to a tampered one)."""


def entry_of_line(line: dict[str, Any]) -> LogEntry:
    state = line["state"].encode() if "state" in line else bytes.fromhex(line["state_hex"])
    return LogEntry(
        int(line["position"]), UUID(line["aggregate_id"]), int(line["version"]), line["topic"], state
    )


def _parse(lines: Iterable[str]) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    parsed = []
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            parsed.append((text if text.endswith("\n") else text + "\n", json.loads(text)))
        except json.JSONDecodeError as error:
            raise ExportFileError(f"line {number} is not JSON: {error}") from error
    if len(parsed) < 2 or parsed[0][1].get("format") != EXPORT_FORMAT:
        raise ExportFileError(f"not a {EXPORT_FORMAT} file (header and proof lines missing)")
    proof = parsed[-1][1]
    if proof.get("kind") != "proof":
        raise ExportFileError("the last line is not the proof: the file was cut short")
    return parsed[:-1], proof


def verify_export(
    lines: Iterable[str],
    public_key: str | None = None,
    pinned: dict[int, tuple[str, str]] | None = None,
) -> Verdict:
    body, proof = _parse(lines)
    header = body[0][1]
    events = [document for _, document in body[1:]]
    checkpoints = pinned_checkpoints(proof) | (pinned or {})
    previous: dict[str, Any] | None = None
    checked = 0
    present = {line["seq"] for line in events}
    for index, line in enumerate(events):  # a changed line is named by its own position first
        failure = _check_link(previous, line, header, present)
        if failure is None and line["seq"] in checkpoints:
            checked += 1
            digest, where = checkpoints[line["seq"]]
            if digest != line["digest"]:
                failure = Failure(line["position"], FailureKind.CHANGED,
                                  f"differs from the checkpoint {where} at event {line['seq']}")  # fmt: skip
        if failure is not None:
            return _verdict(previous, index, checked, [], failure)
        previous = line
    try:
        sources = _check_envelope(body, proof, public_key)
    except _Tampered as tampered:
        return _verdict(None, 0, 0, [], tampered.failure)
    failure = _check_complete(previous, header, proof, len(events))
    return _verdict(previous, len(events), checked, sources, failure)


def _check_envelope(
    body: list[tuple[str, dict[str, Any]]], proof: dict[str, Any], public_key: str | None
) -> list[str]:
    digest = hashlib.sha256("".join(text for text, _ in body).encode()).hexdigest()
    if digest != proof.get("sha256") or proof.get("lines") != len(body) - 1:
        raise _Tampered(0, "the lines do not hash to the proof: a line was changed, added or removed")
    if "signature" not in proof:
        if public_key is not None:
            raise _Tampered(0, "the export is not signed, but a public key was given")
        return ["unsigned"]
    try:
        key = check_signature(proof, public_key)
    except SigningError as error:
        raise _Tampered(0, str(error)) from error
    return [f"signed by {key}" + ("" if public_key else " (key not pinned: pass --public-key)")]


class _Tampered(Exception):
    def __init__(self, position: int, detail: str) -> None:
        super().__init__(detail)
        self.failure = Failure(position, FailureKind.CHANGED, detail)


def _check_link(
    previous: dict[str, Any] | None, line: dict[str, Any], header: dict[str, Any],
    present: set[int],
) -> Failure | None:  # fmt: skip
    position = int(line["position"])
    if link(line["prev"], entry_of_line(line)) != line["digest"]:
        return Failure(position, FailureKind.CHANGED, f"event {line['seq']} does not recompute")
    if not _recorded_at_matches(line):
        return Failure(position, FailureKind.CHANGED,
                       f"event {line['seq']}: recorded_at differs from the time inside its state")  # fmt: skip
    if previous is None:
        if line["seq"] == 1 and line["prev"] != GENESIS:
            return Failure(position, FailureKind.CHANGED, "the first event does not start the chain")
        return None
    if line["seq"] <= previous["seq"] or position <= previous["position"]:
        return Failure(position, FailureKind.REORDERED, f"event {line['seq']} is out of order")
    if line["seq"] == previous["seq"] + 1 and line["prev"] != previous["digest"]:
        return Failure(position, FailureKind.CHANGED, f"event {line['seq']} does not link")
    skipped = range(previous["seq"] + 1, line["seq"])
    if any(seq in present for seq in skipped):
        return Failure(position, FailureKind.REORDERED, f"event {line['seq']} comes too early")
    if skipped and _is_full(header):
        return Failure(position, FailureKind.MISSING,
                       f"events {previous['seq'] + 1}–{line['seq'] - 1} are missing")  # fmt: skip
    return None


def _recorded_at_matches(line: dict[str, Any]) -> bool:
    """``recorded_at`` is a convenience copy outside the digest; it must agree with the
    library's timestamp inside the digested state."""
    if "state" not in line:
        return True
    try:
        stamp = json.loads(line["state"])["timestamp"]["_data_"]
        return datetime.fromisoformat(stamp) == datetime.fromisoformat(line["recorded_at"])
    except (ValueError, KeyError, TypeError):
        return False


def _is_full(header: dict[str, Any]) -> bool:
    return all(value is None for value in header.get("filter", {}).values())


def _check_complete(
    last: dict[str, Any] | None, header: dict[str, Any], proof: dict[str, Any], count: int
) -> Failure | None:
    head = proof.get("head")
    if not _is_full(header) or head is None:
        return None
    if last is None or last["seq"] < head["seq"] or count < head["seq"]:
        return Failure(int(head["position"]), FailureKind.MISSING,
                       f"the chain head is event {head['seq']} but the file stops before it")  # fmt: skip
    return None


def _verdict(
    last: dict[str, Any] | None, count: int, checked: int, sources: list[str],
    failure: Failure | None,
) -> Verdict:  # fmt: skip
    return Verdict(
        ok=failure is None, count=count, head=None if last is None else last["digest"],
        head_position=None if last is None else last["position"], pending=0,
        checkpoints_checked=checked, failure=failure, sources=sources,
    )  # fmt: skip

