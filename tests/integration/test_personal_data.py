"""Every read of a member's personal data is recorded, by every GET the OpenAPI schema lists:
each answer either names no demo member (in any format) or left a ``PersonalDataRead`` by its
reader. A new endpoint is walked too, so it cannot slip past. On both stores."""

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sansan.access import MAX_NAMED_MEMBERS, AccessService
from sansan.api.app import create_app
from sansan.application import SansanApplication
from sansan.audit.signing import generate_key
from sansan.bootstrap import Services
from sansan.clock import FixedClock
from sansan.demo import DEMO_ACTOR, demo_id, demo_token_scopes
from sansan.settings import Settings
from sansan.workflows.scheduler import Scheduler
from tests.integration.api_support import bearer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# GETs that may name members without a record, each with its reason. Keep this short.
EXEMPT: dict[str, str] = {
    # the forms' placeholders are the commands' fixed examples (the OpenAPI's own), which
    # may spell a common name that a demo member also has; no one's record is read
    "/api/v1/commands": "fixed examples",
}
TIEXI_MEMBER = demo_id("member", "铁西-1")
REAL_IDS = {
    "communities": demo_id("community", "铁西"),
    "organizations": demo_id("org", "铁西社区党总支"),
    "members": TIEXI_MEMBER,
    "campaigns": demo_id("campaign", "示范县"),
    "supervision-items": demo_id("supervision", "镇郊-standard-site"),
}


@pytest.fixture
def world(
    app: SansanApplication,
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    recorded_demo: None,
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The demo after its launch-year deadlines passed (alerts name members), audit signing on.

    recorded_demo: the store starts as a copy of the demo ``load_demo`` records
    (tests/conftest.py), recorded on the same clock as ``clock``."""
    access = AccessService(app)
    tokens = {
        role: access.issue_token(role=role, scope_org_id=scope, label=label, actor="t")[0]
        for label, (role, scope) in demo_token_scopes().items()
    }
    generate_key(tmp_path / "audit.pem")
    signed = settings.model_copy(update={"audit_signing_key": tmp_path / "audit.pem"})
    with TestClient(create_app(signed, application=app), raise_server_exceptions=False) as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        services.projections.catch_up()  # the deadlines the scheduler steps through
        clock.set(datetime(2027, 1, 3, 1, tzinfo=UTC))
        Scheduler(services).tick()
        services.projections.catch_up()
        services.audit.chain.catch_up()
        yield client, tokens


def member_names(services: Services) -> set[str]:
    """Members' names, and the leadership teams' (their birth dates and education are personal
    data as much as a member's)."""
    with services.store.transaction() as cursor:
        names = cursor.execute(select(cursor.t.members.c.name)).fetchall()
        team = cursor.execute(select(cursor.t.team_members.c.person_name)).fetchall()
        return {str(row[0]) for row in [*names, *team]}


def readable(response: Any) -> str:
    """The body as text a person would see: an XLSX's sheets unzipped, JSON's escapes as is."""
    if response.headers.get("content-type", "").startswith(XLSX):
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return str(response.content.decode("utf-8-sig", "replace"))


def names_shown(text: str, names: set[str]) -> set[str]:
    return {n for n in names if n in text or json.dumps(n)[1:-1] in text}


def reads_recorded_since(app: SansanApplication, position: int, actor: str) -> list[Any]:
    recorded = app.recorder.select_notifications(position + 1, 1000)
    return [
        n for n in recorded
        if n.topic.endswith(".PersonalDataRead") and actor in app.mapper.to_domain_event(n).actor
    ]  # fmt: skip


def calls(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(the schema's path, the path with real ids, the query) for every GET, every format."""
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        concrete = path.replace("{unit_id}", str(TIEXI_MEMBER)).replace("{actor}", DEMO_ACTOR)
        concrete = concrete.replace("{kind}", "all")  # the import templates
        concrete = concrete.replace("{target_id}", "member-training")  # a page of its failing
        if "{id}" in concrete:
            concrete = concrete.replace("{id}", str(REAL_IDS[path.split("/")[3]]))
        formats = next(
            (p["schema"]["enum"] for p in operation.get("parameters", []) if p["name"] == "format"),
            [None],
        )
        for fmt in formats:
            yield path, concrete, {"format": fmt} if fmt else {}


def test_every_get_in_the_schema_names_no_member_or_records_the_read(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = world
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    app, names = services.app, member_names(services)
    walked, recorded = set(), set()
    for path, concrete, query in calls(client.app.openapi()):  # type: ignore[attr-defined]
        for role in ("county", "community"):  # the whole county, and a scope with its own alerts
            before = app.recorder.max_notification_id() or 0
            response = client.get(concrete, params=query, headers=bearer(tokens[role]))
            if role == "county":  # sees everything, so every answer is a real one
                assert response.status_code == 200, (concrete, query, response.text[:300])
            shown = names_shown(readable(response), names)
            walked.add(path)
            if shown and path not in EXEMPT:
                assert reads_recorded_since(app, before, f"{role}:"), (path, role, query, sorted(shown)[:3])
                recorded.add(path)
    assert walked >= {"/api/v1/campaigns/{id}/progress", "/api/v1/audit/export"}
    # the reports and audit views named members in the demo, so each was held to its record
    assert recorded >= {
        "/api/v1/campaigns/{id}/progress", "/api/v1/communities/{id}/scorecard", "/api/v1/audit",
        "/api/v1/audit/spreadsheet", "/api/v1/audit/export", "/api/v1/audit/units/{unit_id}/changes",
        "/api/v1/audit/actors/{actor}", "/api/v1/notifications", "/api/v1/members",
        "/api/v1/members/{id}", "/api/v1/members/{id}/history", "/api/v1/units/search",
        "/api/v1/organizations/{id}", "/api/v1/organizations/{id}/history",  # its team
        "/api/v1/campaigns/{id}/progress/{target_id}/failing",
        "/api/v1/communities/{id}/scorecard/{target_id}/failing",
    }  # fmt: skip


def test_a_report_s_read_names_its_members_its_community_and_the_query(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = world
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    before = app.recorder.max_notification_id() or 0
    path = f"/api/v1/communities/{REAL_IDS['communities']}/scorecard"
    response = client.get(path, params={"format": "xlsx"}, headers=bearer(tokens["community"]))
    assert response.status_code == 200, response.text
    (read,) = [app.mapper.to_domain_event(n) for n in reads_recorded_since(app, before, "community:")]
    assert read.actor == "community:铁西社区党总支（演示）"
    assert read.community_id == REAL_IDS["communities"]
    assert read.purpose == f"GET {path}?format=xlsx"
    with client.app.state.services.store.transaction() as cursor:  # type: ignore[attr-defined]
        members = cursor.t.members.c
        tiexi = {str(r[0]) for r in cursor.execute(
            select(members.id).where(members.community_id == str(REAL_IDS["communities"]))
        ).fetchall()}  # fmt: skip
    assert read.member_ids
    assert {str(m) for m in read.member_ids} <= tiexi


def test_a_report_that_names_no_member_records_nothing(world: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = world
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    before = app.recorder.max_notification_id() or 0
    response = client.get("/api/v1/audit", params={"event_type": "FundingAllocated"},
                          headers=bearer(tokens["auditor"]))  # fmt: skip
    assert response.status_code == 200, response.text
    assert reads_recorded_since(app, before, "auditor:") == []


def test_a_read_of_more_members_than_the_cap_records_its_query_instead_of_every_id(
    app: SansanApplication,
) -> None:
    access = AccessService(app)
    token, _ = access.issue_token(role="county", scope_org_id=None, label="县", actor="t")
    principal = access.authenticate(token)
    assert principal is not None
    many = [uuid4() for _ in range(MAX_NAMED_MEMBERS + 1)]
    before = app.recorder.max_notification_id() or 0
    access.record_personal_data_read(principal, many, set(), "GET /api/v1/audit?limit=500")
    access.record_personal_data_read(principal, many[:2], set(), "GET /api/v1/members")
    capped, named = (app.mapper.to_domain_event(n) for n in reads_recorded_since(app, before, "county:"))
    assert (capped.member_ids, capped.purpose) == ([], f"GET /api/v1/audit?limit=500 ({len(many)} members)")
    assert (named.member_ids, named.purpose) == (many[:2], "GET /api/v1/members")


def test_a_member_s_birth_date_is_shown_only_with_a_recorded_read(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    """Issue 15 added birth dates to members: the member's state shows it, and that read is
    recorded like every other read of the member's details."""
    client, tokens = world
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    before = app.recorder.max_notification_id() or 0
    response = client.get(f"/api/v1/members/{TIEXI_MEMBER}", headers=bearer(tokens["community"]))
    assert response.status_code == 200, response.text
    assert response.json()["state"]["birth_date"] == "1953-02-02"
    (read,) = [app.mapper.to_domain_event(n) for n in reads_recorded_since(app, before, "community:")]
    assert list(read.member_ids) == [TIEXI_MEMBER]


def test_a_failing_list_of_leadership_team_members_records_their_read(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = world
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    app = services.app
    path = f"/api/v1/campaigns/{REAL_IDS['campaigns']}/progress/team-training/failing"
    before = app.recorder.max_notification_id() or 0
    response = client.get(path, headers=bearer(tokens["county"]))
    assert response.status_code == 200, response.text
    shown = {f["unit_id"] for f in response.json()["failing"]}
    assert shown  # the demo's 镇西 team never trained
    (read,) = [app.mapper.to_domain_event(n) for n in reads_recorded_since(app, before, "county:")]
    assert {str(m) for m in read.member_ids} == shown
    assert read.purpose == f"GET {path}"


@pytest.mark.parametrize("suffix", ["", "/history"])
def test_a_community_s_state_or_history_records_the_read_of_its_workers(
    world: tuple[TestClient, dict[str, str]], suffix: str
) -> None:
    """A community worker's name, role, dates and insurances are read like a leadership-team
    member's: the read names the workers shown."""
    client, tokens = world
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    path = f"/api/v1/communities/{REAL_IDS['communities']}{suffix}"
    before = app.recorder.max_notification_id() or 0
    response = client.get(path, headers=bearer(tokens["county"]))
    assert response.status_code == 200, response.text
    assert "铁西社工" in response.text
    (read,) = [app.mapper.to_domain_event(n) for n in reads_recorded_since(app, before, "county:")]
    assert read.member_ids == [demo_id("worker", "铁西社工")]
    assert read.community_id == REAL_IDS["communities"]
    assert read.purpose == f"GET {path}（社区工作人员）"  # the endpoint (review #2 finding 4)


def test_every_api_answer_is_kept_in_no_cache_and_a_head_answers_as_its_get(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    """Reads and exports name members: a shared office PC's browser must not keep them after
    退出. Every GET in the schema, every format (the exports), refused ones too."""
    client, tokens = world
    for path, concrete, query in calls(client.app.openapi()):  # type: ignore[attr-defined]
        if not path.startswith("/api/v1/"):  # /healthz, /readyz name no one
            continue
        for token in (tokens["county"], "not-a-token"):
            response = client.get(concrete, params=query, headers=bearer(token))
            assert response.headers.get("cache-control") == "no-store", (path, query, response.status_code)
    member = f"/api/v1/members/{TIEXI_MEMBER}"
    got = client.get(member, headers=bearer(tokens["community"]))
    head = client.head(member, headers=bearer(tokens["community"]))
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["cache-control"] == "no-store"
