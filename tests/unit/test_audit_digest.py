"""The audit digest's byte layout, as the README spells it out for auditors who recompute
it without this code: the expected bytes are written here by hand, not built by ``link``."""

import hashlib
from uuid import UUID

from sansan.audit.digest import GENESIS, LogEntry, link

AGGREGATE = UUID("12345678-1234-5678-1234-567812345678")
TOPIC = "sansan:Member.TrainingCompleted"
STATE = '{"topic":"党课"}'.encode()  # 18 bytes: the length counts bytes, not characters


def test_the_first_digest_hashes_zero_bytes_then_each_field_behind_its_eight_byte_length() -> None:
    message = (
        b"\x00" * 32  # digest(0)
        + b"\x00\x00\x00\x00\x00\x00\x00\x01" + b"7"  # position, decimal text
        + b"\x00\x00\x00\x00\x00\x00\x00\x24" + b"12345678-1234-5678-1234-567812345678"
        + b"\x00\x00\x00\x00\x00\x00\x00\x01" + b"3"  # version, decimal text
        + b"\x00\x00\x00\x00\x00\x00\x00\x1f" + b"sansan:Member.TrainingCompleted"
        + b"\x00\x00\x00\x00\x00\x00\x00\x12" + b'{"topic":"\xe5\x85\x9a\xe8\xaf\xbe"}'
    )  # fmt: skip
    entry = LogEntry(position=7, aggregate_id=AGGREGATE, version=3, topic=TOPIC, state=STATE)
    assert link(GENESIS, entry) == hashlib.sha256(message).hexdigest()


def test_each_digest_starts_from_the_previous_digest_as_32_raw_bytes() -> None:
    previous = "ab" * 32
    message = (
        b"\xab" * 32
        + b"\x00\x00\x00\x00\x00\x00\x00\x02" + b"12"
        + b"\x00\x00\x00\x00\x00\x00\x00\x24" + b"12345678-1234-5678-1234-567812345678"
        + b"\x00\x00\x00\x00\x00\x00\x00\x02" + b"10"
        + b"\x00\x00\x00\x00\x00\x00\x00\x1f" + b"sansan:Member.TrainingCompleted"
        + b"\x00\x00\x00\x00\x00\x00\x00\x00"  # an empty state is still a field
    )  # fmt: skip
    entry = LogEntry(position=12, aggregate_id=AGGREGATE, version=10, topic=TOPIC, state=b"")
    assert link(previous, entry) == hashlib.sha256(message).hexdigest()
    assert GENESIS == "00" * 32
