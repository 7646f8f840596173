"""The audit trail over HTTP and on file: verify, keep checkpoints, export JSONL that
verifies offline (and fails to when edited), and the two auditors' views."""

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sansan.api.app import create_app
from sansan.api.problems import label_zh
from sansan.audit.digest import GENESIS, link
from sansan.audit.offline import entry_of_line, verify_export
from sansan.audit.signing import generate_key
from sansan.audit.verify import FailureKind, Verdict
from sansan.bootstrap import Services
from sansan.clock import FixedClock
from sansan.commands import community as co
from sansan.commands import examples as t
from sansan.settings import Settings
from tests.integration.api_support import bearer, post
from tests.integration.test_audit_chain import rewrite_consistently
from tests.support import china_today


@pytest.fixture
def key(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "audit.pem"
    return path, generate_key(path)


@pytest.fixture
def client(settings: Settings, clock: FixedClock, key: tuple[Path, str]) -> Iterator[TestClient]:
    signed = settings.model_copy(update={"audit_signing_key": key[0]})
    with TestClient(create_app(signed, clock), raise_server_exceptions=False) as test_client:
        yield test_client


def services_of(client: TestClient) -> Services:
    return client.app.state.services  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def tokens(client: TestClient, clock: FixedClock) -> dict[str, str]:
    access = services_of(client).access
    county, _ = access.issue_token(role="county", scope_org_id=None, label="组织部", actor="test")
    auditor, _ = access.issue_token(role="auditor", scope_org_id=None, label="纪检", actor="test")
    for command in t.tour()[:40]:  # recorded as the county token would, without HTTP's cost
        services_of(client).app.execute(command, actor="county:组织部")
    street, _ = access.issue_token(role="street", scope_org_id=t.STREET, label="街道", actor="test")
    return {"county": county, "auditor": auditor, "street": street}


def settle(client: TestClient) -> None:
    services = services_of(client)
    services.projections.catch_up()
    services.audit.chain.catch_up()


def test_verify_reports_ok_with_head_and_count_and_only_to_county_and_auditors(
    client: TestClient, tokens: dict[str, str]
) -> None:
    settle(client)
    body = client.get("/api/v1/audit/verify", headers=bearer(tokens["auditor"])).json()
    head = services_of(client).audit.chain.head()
    assert head is not None
    assert body["ok"] is True
    assert (body["count"], body["head"], body["failure"]) == (head.seq, head.digest, None)
    refused = client.get("/api/v1/audit/verify", headers=bearer(tokens["street"]))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


def test_a_kept_checkpoint_file_exposes_a_consistent_rewrite_over_http(
    client: TestClient, tokens: dict[str, str], key: tuple[Path, str]
) -> None:
    settle(client)
    kept = client.get("/api/v1/audit/checkpoints", headers=bearer(tokens["county"])).json()
    assert kept["public_key"] == key[1]
    assert kept["signature"]
    services_of(client).projections.stop()  # the intruder works while no follower runs
    rewrite_consistently(services_of(client))
    auth = bearer(tokens["county"])
    assert client.get("/api/v1/audit/verify", headers=auth).json()["ok"] is True
    body = client.post("/api/v1/audit/verify", json=kept, headers=auth).json()
    assert body["ok"] is False
    # changed where a kept checkpoint falls inside the rewritten chain; missing where the
    # rewrite (which dropped the checkpoint events) left the kept head beyond its end
    assert body["failure"]["kind"] in ("changed", "missing")
    assert "exported at" in body["failure"]["detail"]


def test_a_kept_file_whose_signature_fails_is_refused_not_trusted(
    client: TestClient, tokens: dict[str, str]
) -> None:
    settle(client)
    auth = bearer(tokens["county"])
    kept = client.get("/api/v1/audit/checkpoints", headers=auth).json()
    body = client.post("/api/v1/audit/verify", json=kept, headers=auth).json()
    assert body["ok"] is True
    assert any(source.startswith("checkpoint file signed by") for source in body["sources"])
    forged = {**kept, "signature": "AAAA", "public_key": "forged"}
    refused = client.post("/api/v1/audit/verify", json=forged, headers=auth)
    assert refused.status_code == 422
    assert refused.json()["code"] == "checkpoint_file_untrusted"
    unsigned = {k: v for k, v in kept.items() if k not in ("signature", "public_key")}
    assert client.post("/api/v1/audit/verify", json=unsigned, headers=auth).status_code == 422


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/audit/units/{unit}/changes", {"to": "9999-12-31"}),
        ("/api/v1/audit/units/{unit}/changes", {"from": "0001-01-01"}),
        ("/api/v1/audit/actors/x", {"to": "9999-12-31"}),
        ("/api/v1/audit/export", {"recorded_from": "0001-01-01T00:00:00+08:00"}),
        ("/api/v1/audit/export", {"recorded_to": "9999-12-31T23:59:59-05:00"}),
        ("/api/v1/audit", {"recorded_from": "0001-01-01T00:00:00+14:00"}),
        ("/api/v1/audit", {"recorded_to": "9999-12-31T23:59:59-14:00"}),
        ("/api/v1/audit/spreadsheet", {"recorded_from": "0001-01-01T00:00:00+14:00"}),
        ("/api/v1/audit/spreadsheet", {"recorded_to": "9999-12-31T23:59:59-14:00"}),
    ],
)
def test_dates_at_the_edge_of_the_calendar_get_a_problem_not_a_500(
    client: TestClient, tokens: dict[str, str], path: str, params: dict[str, str]
) -> None:
    response = client.get(
        path.format(unit=t.COMMUNITY), params=params, headers=bearer(tokens["county"])
    )
    assert response.status_code == 422
    assert response.json()["code"] == "date_out_of_range"
    field = next(iter(params))
    said = response.json()["message_zh"]
    assert f"{label_zh(field)}超出可表示的日期范围" in said
    assert field not in said  # a Chinese message names the parameter in Chinese only


def test_past_states_and_boards_at_the_edge_of_the_calendar_never_answer_500(
    client: TestClient, tokens: dict[str, str]
) -> None:
    settle(client)
    boards = [
        f"/api/v1/communities/{t.COMMUNITY}",
        f"/api/v1/campaigns/{t.CAMPAIGN}/progress",
        f"/api/v1/campaigns/{t.CAMPAIGN}/progress/t/failing",
        f"/api/v1/campaigns/{t.CAMPAIGN}/trend",
        f"/api/v1/communities/{t.COMMUNITY}/scorecard",
        f"/api/v1/communities/{t.COMMUNITY}/scorecard/t/failing",
    ]
    edges = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01", "9999-12-31"]
    for path in boards:
        for as_of in edges:
            for format in ("json", "csv"):
                params = {"as_of": as_of, "format": format}
                response = client.get(path, params=params, headers=bearer(tokens["county"]))
                assert response.status_code != 500, (path, params, response.text)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/audit/units/{unit}/changes", {"from": "2026-12-01", "to": "2026-11-01"}, "to"),
        ("/api/v1/audit/actors/x", {"from": "2026-12-01", "to": "2026-11-01"}, "to"),
        ("/api/v1/audit", {"occurred_from": "2026-12-01", "occurred_to": "2026-11-01"},
         "occurred_to"),
        ("/api/v1/audit", {"recorded_from": "2026-12-01T00:00:00+08:00",
                           "recorded_to": "2026-11-01T00:00:00+08:00"}, "recorded_to"),
        ("/api/v1/audit/export", {"recorded_from": "2026-12-01T00:00:00+08:00",
                                  "recorded_to": "2026-11-01T00:00:00+08:00"}, "recorded_to"),
    ],
)  # fmt: skip
def test_a_reversed_date_range_is_refused_not_answered_as_nothing_happened(
    client: TestClient, tokens: dict[str, str], path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(
        path.format(unit=t.COMMUNITY), params=params, headers=bearer(tokens["auditor"])
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert (problem["field"], problem["message_zh"]) == (field, "截止日期早于起始日期")


def export(client: TestClient, token: str, **params: str) -> list[str]:
    response = client.get("/api/v1/audit/export", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in response.headers["content-disposition"]
    return response.text.splitlines(keepends=True)


def test_a_full_export_verifies_offline_with_the_pinned_key(
    client: TestClient, tokens: dict[str, str], key: tuple[Path, str]
) -> None:
    settle(client)
    settled = services_of(client).audit.chain.head()
    lines = export(client, tokens["auditor"])
    verdict = verify_export(lines, key[1])
    assert settled is not None
    assert verdict.ok, verdict.failure
    # the export covers the chain up to the head it fixed at its start (a checkpoint may land
    # after settling; the export's own read record comes after that head)
    assert verdict.count >= settled.seq
    head = next(services_of(client).audit.chain.entries(after_seq=verdict.count - 1))
    assert (verdict.count, verdict.head) == (head.seq, head.digest)
    assert verdict.sources == [f"signed by {key[1]}"]
    events = [json.loads(line) for line in lines[1:-1]]
    assert [e["seq"] for e in events] == list(range(1, head.seq + 1))


def edited(lines: list[str], index: int, change: Any) -> list[str]:
    copy = list(lines)
    document = json.loads(copy[index])
    change(document)
    copy[index] = json.dumps(document, ensure_ascii=False, sort_keys=True) + "\n"
    return copy


def failure_of(verdict: Verdict) -> tuple[int, FailureKind, str]:
    assert not verdict.ok
    assert verdict.failure is not None
    return verdict.failure.position, verdict.failure.kind, verdict.failure.detail


def test_every_edit_of_an_exported_file_is_caught_offline(
    client: TestClient, tokens: dict[str, str], key: tuple[Path, str]
) -> None:
    settle(client)
    lines = export(client, tokens["county"])
    pub = key[1]
    n = dated_line(lines)
    fifth = json.loads(lines[n])

    def restate(d: dict[str, Any]) -> None:
        d["state"] = backdated(d["state"])

    assert failure_of(verify_export(edited(lines, n, restate), pub))[:2] == (
        fifth["position"],
        FailureKind.CHANGED,
    )

    def redate(d: dict[str, Any]) -> None:  # recorded_at is outside the digest, but checked
        d["recorded_at"] = "2020-01-01T00:00:00+00:00"

    assert failure_of(verify_export(edited(lines, n, redate), pub))[1] == FailureKind.CHANGED
    dropped = lines[:n] + lines[n + 1 :]
    assert failure_of(verify_export(dropped, pub))[1] == FailureKind.MISSING
    swapped = [*lines[:n], lines[n + 1], lines[n], *lines[n + 2 :]]
    assert failure_of(verify_export(swapped, pub))[1] == FailureKind.REORDERED
    # a wholly consistent forgery: every digest and the proof's hash recomputed, unsigned
    assert (
        failure_of(verify_export(forged_consistently(lines), pub))[2]
        == "the export is not signed, but a public key was given"
    )
    other_key = generate_key(Path(str(key[0]) + ".other"))
    assert "another key" in failure_of(verify_export(lines, other_key))[2]
    malformed = [*lines[:3], '{"kind": "event"}\n', *lines[3:]]  # a line missing its fields
    assert failure_of(verify_export(malformed, pub))[1] == FailureKind.CHANGED


def dated_line(lines: list[str]) -> int:
    """The first exported event that happened on the tour's first day."""
    return next(
        i for i, line in enumerate(lines[1:-1], 1) if '"2026-03-01"' in json.loads(line)["state"]
    )


def backdated(state: str) -> str:
    """The event said to have happened a year earlier."""
    changed = state.replace('"2026-03-01"', '"2025-03-01"')
    assert changed != state
    return changed


def forged_consistently(lines: list[str]) -> list[str]:
    """Change one event and recompute everything after it, as a forger without the key would."""
    out, previous, n = [lines[0]], GENESIS, dated_line(lines)
    for index, text in enumerate(lines[1:-1], 1):
        d = json.loads(text)
        if index == n:
            d["state"] = backdated(d["state"])
        d["prev"] = previous
        d["digest"] = previous = link(previous, entry_of_line(d))
        out.append(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n")
    proof = json.loads(lines[-1])
    for field in ("signature", "public_key"):
        proof.pop(field)
    proof["head"]["digest"] = previous
    proof["checkpoints"] = []
    proof["sha256"] = hashlib.sha256("".join(out).encode()).hexdigest()
    forged = [*out, json.dumps(proof) + "\n"]
    assert verify_export(forged).ok  # without the key, it would pass: hence pin the key
    return forged


def test_an_export_filtered_by_unit_or_time_holds_only_those_events_and_verifies(
    client: TestClient, tokens: dict[str, str], key: tuple[Path, str], clock: FixedClock
) -> None:
    settle(client)
    lines = export(client, tokens["county"], aggregate_id=str(t.COMMUNITY))
    events = [json.loads(line) for line in lines[1:-1]]
    assert events
    assert {e["aggregate_id"] for e in events} == {str(t.COMMUNITY)}
    assert verify_export(lines, key[1]).ok
    settled = services_of(client).audit.chain.head()
    assert settled is not None
    since = settled.recorded_at
    for command in t.tour()[40:44]:
        post(client, tokens["county"], command)
    settle(client)
    recent = export(client, tokens["county"], recorded_from=since)
    seqs = [json.loads(line)["seq"] for line in recent[1:-1]]
    assert seqs[0] == settled.seq
    assert len(seqs) >= 5
    assert verify_export(recent, key[1]).ok


def test_who_changed_a_unit_between_two_dates_with_the_personal_data_reads_beside(
    client: TestClient, tokens: dict[str, str]
) -> None:
    auth = bearer(tokens["auditor"])
    assert (
        client.get(f"/api/v1/members/{t.MEMBER}", headers=bearer(tokens["street"])).status_code
        == 200
    )
    settle(client)
    # Recording times are the real clock's: the window is the real day in China, widened by a
    # day each way should midnight fall between the fixture's writes and this line.
    today = china_today()
    body = client.get(f"/api/v1/audit/units/{t.COMMUNITY}/changes",
                      params={"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}, headers=auth).json()  # fmt: skip
    actors = {a["actor"]: a["events"] for a in body["actors"]}
    assert set(actors) == {"county:组织部", "street:街道"}
    changes = body["changes"]["items"]
    assert sum(actors.values()) == len(changes)
    assert {c["aggregate_id"] for c in changes} >= {str(t.COMMUNITY), str(t.MEMBER)}
    assert [r["actor"] for r in body["personal_data_reads"]] == ["street:街道"]
    nothing = client.get(f"/api/v1/audit/units/{t.COMMUNITY}/changes",
                         params={"from": str(today - timedelta(days=400)), "to": str(today - timedelta(days=2))}, headers=auth).json()  # fmt: skip
    assert (nothing["actors"], nothing["changes"]["items"]) == ([], [])


def test_everything_an_actor_recorded_by_type_with_their_reads(
    client: TestClient, tokens: dict[str, str]
) -> None:
    client.get(f"/api/v1/members/{t.MEMBER}", headers=bearer(tokens["county"]))
    settle(client)
    body = client.get("/api/v1/audit/actors/county:组织部", headers=bearer(tokens["county"])).json()
    by_type = {row["event_type"]: row["events"] for row in body["by_type"]}
    events = body["events"]["items"]
    assert len(events) == sum(by_type.values())
    assert {e["actor"] for e in events} == {"county:组织部"}
    assert by_type["CommunityRegistered"] == 1
    assert by_type["PersonalDataRead"] == 1
    assert [r["data"]["member_ids"] for r in body["personal_data_reads"]] == [[str(t.MEMBER)]]
    street = client.get("/api/v1/audit/actors/county:组织部", headers=bearer(tokens["street"]))
    assert street.status_code == 403


def test_who_changed_a_unit_lists_the_most_active_actor_first(
    client: TestClient, tokens: dict[str, str]
) -> None:
    app = services_of(client).app

    def funding(amount: str) -> co.AllocateFunding:
        # each its own amount: the same allocation twice on one day is a double entry
        return co.AllocateFunding(
            community_id=t.COMMUNITY, occurred_on=t.d(4), year=2026, amount_yuan=Decimal(amount)
        )

    # Alphabetical order is the reverse of activity, so only a count order passes.
    app.execute(funding("100"), actor="a:甲")
    for amount in ("101", "102"):
        app.execute(funding(amount), actor="b:乙")
    settle(client)
    body = client.get(
        f"/api/v1/audit/units/{t.COMMUNITY}/changes", headers=bearer(tokens["auditor"])
    ).json()
    counts = [(a["actor"], a["events"]) for a in body["actors"]]
    assert [actor for actor, _ in counts] == ["county:组织部", "b:乙", "a:甲"]
    assert counts[0][1] > 2
    assert [n for _, n in counts] == sorted((n for _, n in counts), reverse=True)
