"""The verifier against a lying store: an in-memory log and chain that an adversary edits
freely. Whatever is changed, dropped, swapped or slipped in is found, at the right place."""

from dataclasses import replace
from uuid import UUID, uuid5

from hypothesis import given
from hypothesis import strategies as st

from sansan.audit.chain import ChainEntry
from sansan.audit.digest import GENESIS, LogEntry, link
from sansan.audit.verify import FailureKind, Verdict, verify

NS = UUID("00000000-0000-0000-0000-000000000001")


def honest_log(n: int, gaps: frozenset[int] = frozenset()) -> list[LogEntry]:
    """n events of three aggregates; positions skip ``gaps`` as a PostgreSQL sequence may."""
    positions = [p for p in range(1, n + len(gaps) + 1) if p not in gaps][:n]
    versions: dict[UUID, int] = {}
    log = []
    for i, position in enumerate(positions):
        aggregate = uuid5(NS, str(i % 3))
        versions[aggregate] = versions.get(aggregate, 0) + 1
        log.append(LogEntry(position, aggregate, versions[aggregate], "sansan:Member.TrainingCompleted",
                            f'{{"days": {i}, "topic": "第{i}课"}}'.encode()))  # fmt: skip
    return log


def chain_of(log: list[LogEntry]) -> list[ChainEntry]:
    digest, chain = GENESIS, []
    for seq, e in enumerate(log, 1):
        digest = link(digest, e)
        chain.append(ChainEntry(seq, e.position, e.aggregate_id, e.version, e.topic, "", digest))
    return chain


class LyingStore:
    """Serves whatever log and chain it was given, and answers lookups from them."""

    def __init__(self, log: list[LogEntry], chain: list[ChainEntry]) -> None:
        self._log, self._chain = log, chain

    def log(self) -> list[LogEntry]:
        return sorted(self._log, key=lambda e: e.position)

    def chain(self) -> list[ChainEntry]:
        return self._chain

    def log_position_of(self, identity: tuple[UUID, int]) -> int | None:
        return next((e.position for e in self._log if e.identity == identity), None)

    def chain_position_of(self, identity: tuple[UUID, int]) -> int | None:
        return next((c.position for c in self._chain if c.identity == identity), None)


def check(log: list[LogEntry], chain: list[ChainEntry], pinned: dict[int, tuple[str, str]] | None = None) -> Verdict:
    return verify(LyingStore(log, chain), pinned or {})


def failure_at(verdict: Verdict) -> tuple[int, FailureKind]:
    assert not verdict.ok
    assert verdict.failure is not None
    return verdict.failure.position, verdict.failure.kind


def test_an_honest_store_with_gaps_in_positions_verifies() -> None:
    log = honest_log(20, frozenset({4, 9}))
    verdict = check(log, chain_of(log))
    assert verdict.ok
    assert (verdict.count, verdict.head_position, verdict.head) == (20, log[-1].position, chain_of(log)[-1].digest)


def test_a_changed_state_topic_or_version_is_found_where_it_is() -> None:
    log = honest_log(10)
    chain = chain_of(log)
    changed = [*log[:6], replace(log[6], state=log[6].state.replace(b"6", b"7")), *log[7:]]
    assert failure_at(check(changed, chain)) == (7, FailureKind.CHANGED)
    retopic = [*log[:2], replace(log[2], topic="sansan:Member.CardIssued"), *log[3:]]
    assert failure_at(check(retopic, chain)) == (3, FailureKind.CHANGED)


def test_a_dropped_event_is_missing_and_a_dropped_tail_breaks_a_pinned_head() -> None:
    log = honest_log(10)
    chain = chain_of(log)
    assert failure_at(check(log[:4] + log[5:], chain)) == (5, FailureKind.MISSING)
    # drop the last three from both log and chain: only a checkpoint kept elsewhere notices
    pinned = {10: (chain[-1].digest, "exported")}
    assert check(log[:7], chain[:7]).ok
    assert failure_at(check(log[:7], chain[:7], pinned))[1] == FailureKind.MISSING


def test_two_swapped_events_are_reordered() -> None:
    log = honest_log(10)
    swapped = [*log[:3], replace(log[4], position=4), replace(log[3], position=5), *log[5:]]
    assert failure_at(check(swapped, chain_of(log))) == (4, FailureKind.REORDERED)


def test_a_forged_event_in_a_gap_or_before_the_start_is_inserted() -> None:
    log = honest_log(10, frozenset({5}))
    chain = chain_of(log)
    forged = LogEntry(5, uuid5(NS, "0"), 99, "sansan:Member.TrainingCompleted", b'{"days": 30}')
    assert failure_at(check([*log, forged], chain)) == (5, FailureKind.INSERTED)
    assert failure_at(check([*log, replace(forged, position=0)], chain)) == (0, FailureKind.INSERTED)


def test_a_forged_event_appended_after_the_chain_head_is_only_pending() -> None:
    log = honest_log(10)
    extra = LogEntry(11, uuid5(NS, "0"), 99, "t", b"{}")
    verdict = check([*log, extra], chain_of(log))
    assert verdict.ok
    assert verdict.pending == 1


def test_a_chain_rewritten_to_match_a_changed_log_fails_only_against_a_kept_checkpoint() -> None:
    log = honest_log(12)
    kept = {8: (chain_of(log)[7].digest, "kept offline")}
    rewritten = [*log[:3], replace(log[3], state=b'{"days": 99}'), *log[4:]]
    assert check(rewritten, chain_of(rewritten)).ok
    position, kind = failure_at(check(rewritten, chain_of(rewritten), kept))
    assert (position, kind) == (8, FailureKind.CHANGED)


TAMPER = st.sampled_from(["change", "drop", "swap", "insert", "drop_chain_row"])


@given(n=st.integers(3, 30), where=st.integers(0, 1000), how=TAMPER)
def test_any_single_tampering_is_detected(n: int, where: int, how: str) -> None:
    log = honest_log(n)
    chain = chain_of(log)
    i = where % (n - 1)
    if how == "change":
        log[i] = replace(log[i], state=log[i].state + b" ")
    elif how == "drop":
        del log[i]
    elif how == "swap":
        a, b = log[i], log[i + 1]
        log[i], log[i + 1] = replace(b, position=a.position), replace(a, position=b.position)
    elif how == "insert":
        log.append(LogEntry(0, uuid5(NS, "x"), 1, "t", b"{}"))
    else:
        del chain[i]
    assert not check(log, chain).ok
