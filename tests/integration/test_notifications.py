"""Notifications: each addressee acknowledges (签收) for itself, and the auditor writes nothing,
through any write route the OpenAPI schema lists; on both stores, over the demo scenario."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sansan.api.command_routes import COMMAND_ROUTES
from sansan.application import SansanApplication
from sansan.bootstrap import Services
from sansan.clock import FixedClock
from sansan.commands.examples import example_of
from sansan.demo import demo_id
from sansan.workflows.scheduler import Scheduler
from tests.integration.api_support import as_request, bearer

COMMAND_OF_PATH = {route.path: route for route in COMMAND_ROUTES}


@dataclass
class Inbox:
    client: TestClient
    tokens: dict[str, str]
    services: Services

    def mine(self, role: str, **params: Any) -> dict[str, dict[str, Any]]:
        """Every notification the role sees, by id (all pages)."""
        found: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            query = params | ({"cursor": cursor} if cursor else {})
            response = self.client.get("/api/v1/notifications", params=query, headers=bearer(self.tokens[role]))
            assert response.status_code == 200, response.text
            page = response.json()
            found |= {n["id"]: n for n in page["items"]}
            if not (cursor := page["next_cursor"]):
                return found

    def acknowledge(self, role: str, notification: str) -> Any:
        response = self.client.post(
            f"/api/v1/notifications/{notification}/acknowledgement", headers=bearer(self.tokens[role])
        )
        self.services.projections.catch_up()
        return response


@pytest.fixture
def inbox(demo: tuple[TestClient, dict[str, str]], clock: FixedClock) -> Inbox:
    """The demo after its launch-year deadlines passed: alerts to 铁西, its street and the county."""
    client, tokens = demo
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    clock.set(datetime(2027, 1, 3, 1, tzinfo=UTC))
    Scheduler(services).tick()
    services.projections.catch_up()
    return Inbox(client, tokens, services)


def written_since(app: SansanApplication, position: int) -> list[str]:
    """Topics recorded after ``position``, but the audit follower's own checkpoints, which it
    records in the background whenever one is due."""
    recorded = app.recorder.select_notifications(position + 1, 1000)
    return [n.topic for n in recorded if not n.topic.startswith("sansan:AuditCheckpoint")]


def escalated_alert(inbox: Inbox) -> str:
    """An alert about 铁西 addressed to its secretary, its street and the county."""
    return next(
        n["id"] for n in inbox.mine("community").values()
        if n["kind"] == "accountability_alert" and n["addressees"] == ["community_secretary", "street", "county"]
    )  # fmt: skip


def test_one_addressee_s_acknowledgement_does_not_hide_the_alert_from_the_others(inbox: Inbox) -> None:
    alert = escalated_alert(inbox)
    assert inbox.acknowledge("community", alert).status_code == 200
    assert alert not in inbox.mine("community", unacknowledged=True)
    own = inbox.mine("community")[alert]
    assert own["acknowledged_by"] == "community:铁西社区党总支（演示）"
    assert own["acknowledged_at"] is not None
    for role in ("street", "county", "auditor"):
        assert alert in inbox.mine(role, unacknowledged=True), role
    for role in ("street", "county"):
        assert inbox.mine(role)[alert]["acknowledged_at"] is None, role

    assert inbox.acknowledge("street", alert).status_code == 200
    assert alert not in inbox.mine("street", unacknowledged=True)
    assert alert in inbox.mine("county", unacknowledged=True)
    assert alert in inbox.mine("auditor", unacknowledged=True)  # the county has not yet

    assert inbox.acknowledge("county", alert).status_code == 200
    assert alert not in inbox.mine("auditor", unacknowledged=True)
    everyone = inbox.mine("auditor")[alert]["acknowledged_by"].split(",")
    assert [a.split(":")[0] for a in everyone] == ["community", "street", "county"]


def test_the_auditor_sees_when_each_addressee_acknowledged(inbox: Inbox) -> None:
    """Not only who: 签收 by the community alone leaves the notice unacknowledged as a whole,
    and the auditor still reads when the community acknowledged."""
    alert = escalated_alert(inbox)
    assert inbox.acknowledge("community", alert).status_code == 200
    own = inbox.mine("community")[alert]
    seen = inbox.mine("auditor")[alert]
    assert seen["acknowledged_at"] is None  # the street and the county have not yet
    assert seen["acknowledgements"] == [{
        "addressee": "community_secretary", "acknowledged_by": own["acknowledged_by"],
        "acknowledged_at": own["acknowledged_at"],
    }]  # fmt: skip
    assert own["acknowledgements"] is None  # an addressee reads its own 签收 as before


def test_each_addressee_acknowledges_once(inbox: Inbox) -> None:
    alert = escalated_alert(inbox)
    assert inbox.acknowledge("community", alert).status_code == 200
    again = inbox.acknowledge("community", alert)
    assert (again.status_code, again.json()["code"]) == (422, "already_recorded")
    assert alert not in inbox.mine("community", unacknowledged=True)
    assert alert in inbox.mine("county", unacknowledged=True)


@pytest.mark.parametrize(("first", "second"), [("community", "client"), ("client", "community")])
def test_a_secretary_and_its_client_record_one_receipt_whichever_signs_first(
    inbox: Inbox, first: str, second: str
) -> None:
    """Review 3 finding 7: the client (对接系统) signs for the community's secretary, so the
    secretary's 签收 and then the client's were two receipts for one addressee. One 签收 per
    addressee, whichever token signs first; its actor says which; the second is refused."""
    alert = escalated_alert(inbox)
    position = inbox.services.app.recorder.max_notification_id() or 0
    assert inbox.acknowledge(first, alert).status_code == 200
    by = {"community": "community:铁西社区党总支（演示）", "client": "client:铁西对接系统（演示）"}
    again = inbox.acknowledge(second, alert)
    assert (again.status_code, again.json()["code"]) == (422, "already_recorded"), again.text
    assert "签收已记录" in again.json()["message_zh"]
    assert written_since(inbox.services.app, position) == ["sansan:Firing.Acknowledged"]
    for role in ("community", "client"):  # the one 签收 is both tokens' to read
        assert alert not in inbox.mine(role, unacknowledged=True), role
        assert inbox.mine(role)[alert]["acknowledged_by"] == by[first], role
    seen = inbox.mine("auditor")[alert]
    assert [(a["addressee"], a["acknowledged_by"]) for a in seen["acknowledgements"]] == [
        ("community_secretary", by[first])
    ]
    for role in ("street", "county"):
        assert inbox.acknowledge(role, alert).status_code == 200
    done = inbox.mine("auditor")[alert]
    assert done["acknowledged_at"] is not None  # every addressee has signed
    assert [a.split(":")[0] for a in done["acknowledged_by"].split(",")] == [
        first, "street", "county",
    ]  # fmt: skip


def test_a_street_cannot_sign_a_reminder_addressed_to_its_community_s_secretary(
    inbox: Inbox,
) -> None:
    """Review #2 finding 26: a street reads every notice about its communities, but a 签收 of
    one not addressed to it was recorded while its own inbox showed it unsigned forever."""
    tiexi = inbox.mine("community")  # 铁西's secretary's, so 铁西 can sign it after
    reminder = next(
        n
        for n in inbox.mine("street").values()
        if "street" not in n["addressees"] and n["id"] in tiexi
    )
    before = inbox.services.app.recorder.max_notification_id() or 0
    refused = inbox.acknowledge("street", reminder["id"])
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert body["code"] == "not_addressed"
    assert body["message_zh"] == "该提醒不是发给街道党工委的，不能签收；只有收件方可以签收"
    assert "not addressed to the street" in body["message_en"]
    assert written_since(inbox.services.app, before) == []
    assert inbox.mine("street")[reminder["id"]]["acknowledged_by"] is None
    # the list says whose it is to sign, so that the 待办 page offers 签收 only to them
    assert inbox.mine("street")[reminder["id"]]["for_you"] is False
    assert tiexi[reminder["id"]]["for_you"] is True
    # its addressee still signs it
    assert inbox.acknowledge("community", reminder["id"]).status_code == 200


def test_the_auditor_cannot_acknowledge_and_nothing_is_recorded(inbox: Inbox) -> None:
    alert = escalated_alert(inbox)
    before = inbox.services.app.recorder.max_notification_id() or 0
    refused = inbox.acknowledge("auditor", alert)
    assert (refused.status_code, refused.json()["code"]) == (403, "role_not_allowed")
    assert written_since(inbox.services.app, before) == []
    for role in ("community", "street", "county", "auditor"):
        assert alert in inbox.mine(role, unacknowledged=True), role


# POSTs that only read: the auditor may call them, and they must record nothing.
READ_ONLY_WRITES = {
    "/api/v1/audit/verify": "checks a kept checkpoint file against the chain; an auditor's job",
}
VERIFY_BODY = {"format": "sansan-audit-checkpoints/1", "exported_at": "2026-11-27T08:00:00+00:00",
               "head": None, "checkpoints": []}  # fmt: skip


def real_ids(inbox: Inbox) -> dict[str, str]:
    """A real unit of each kind in the demo, by the path's first segment."""
    return {
        "communities": str(demo_id("community", "铁西")),
        "organizations": str(demo_id("org", "铁西社区党总支")),
        "members": str(demo_id("member", "铁西-1")),
        "campaigns": str(demo_id("campaign", "示范县")),
        "supervision-items": str(demo_id("supervision", "镇郊-standard-site")),
        "notifications": escalated_alert(inbox),
    }


def valid_body(path: str) -> Any:
    """A body the route accepts, so that only the role can refuse it: the command's own example."""
    route = COMMAND_OF_PATH.get(path.removeprefix("/api/v1"))
    if route is not None:
        return as_request(example_of(route.command)).body
    return VERIFY_BODY if path == "/api/v1/audit/verify" else None


def test_the_auditor_writes_nothing_through_any_write_route_in_the_schema(inbox: Inbox) -> None:
    spec = inbox.client.app.openapi()  # type: ignore[attr-defined]
    ids = real_ids(inbox)
    writes = [
        (path, method)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    ]
    assert len(writes) > 50  # every command route, the acknowledgement, the verification
    app = inbox.services.app
    for path, method in writes:
        concrete = path.replace("{id}", ids.get(path.split("/")[3], ""))
        before = app.recorder.max_notification_id() or 0
        response = inbox.client.request(
            method, concrete, json=valid_body(path), headers=bearer(inbox.tokens["auditor"])
        )
        if path in READ_ONLY_WRITES:
            assert response.status_code == 200, (path, response.text)
        else:
            assert response.status_code == 403, (path, response.text)
        assert written_since(app, before) == [], path


def test_notifications_answer_typed_json_on_both_stores(inbox: Inbox) -> None:
    """late is a JSON boolean (SQLite stores 1), addressees a list of strings, times ISO."""
    notes = list(inbox.mine("auditor").values())
    assert notes
    for note in notes:
        assert isinstance(note["late"], bool)
        assert isinstance(note["addressees"], list)
        assert all(isinstance(a, str) and a for a in note["addressees"])
        assert isinstance(note["due_on"], str)
        assert datetime.fromisoformat(note["recorded_at"]).tzinfo is not None
    assert {tuple(n["addressees"]) for n in notes} >= {("community_secretary", "street", "county")}
    rows = inbox.services.read_models.notifications(
        role="auditor", scope=None, unacknowledged=False, kind=None, cursor=None, limit=200
    ).items  # the query layer converts already, for every caller
    assert {type(r["late"]) for r in rows} == {bool}
    assert {type(r["addressees"]) for r in rows} == {list}
    alert = escalated_alert(inbox)
    acknowledged = inbox.acknowledge("community", alert)
    assert set(acknowledged.json()) == {"id", "version", "position"}
    deliveries = inbox.client.get(
        "/api/v1/notifications/webhook-deliveries", headers=bearer(inbox.tokens["county"])
    )
    assert deliveries.status_code == 200, deliveries.text
    assert set(deliveries.json()) == {"items", "next_cursor"}
