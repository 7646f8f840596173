"""Review #2 finding 4: a read of members' personal data made through a county- or street-wide
answer (the member list, a progress report or its export) is found when the auditor asks by
any community, or street, whose members it names, not only by member id; its purpose is the
endpoint and query. On both stores, over the demo."""

from typing import Any

from fastapi.testclient import TestClient

from sansan.access import AccessService
from sansan.application import SansanApplication
from sansan.demo import demo_id
from sansan.domain import PersonalDataAccess
from tests.integration.api_support import bearer

TIANBEI = demo_id("community", "天北")  # 天河街道
TIANHE = demo_id("org", "天河街道")
TIEXI = demo_id("community", "铁西")  # 城关街道
CAMPAIGN = demo_id("campaign", "示范县")


def reads_since(app: SansanApplication, position: int) -> list[tuple[int, Any]]:
    found = app.recorder.select_notifications(position + 1, 1000)
    return [
        (n.id, app.mapper.to_domain_event(n))
        for n in found
        if n.topic.endswith(".PersonalDataRead")
    ]


def audited(client: TestClient, token: str, **filters: Any) -> set[int]:
    """The positions of the reads the auditor finds by these filters (all pages)."""
    services = client.app.state.services  # type: ignore[attr-defined]
    services.projections.catch_up()
    answer = client.get(
        "/api/v1/audit",
        params={"kind": "reads", "limit": 200, "order": "newest", **filters},
        headers=bearer(token),
    )
    assert answer.status_code == 200, answer.text
    return {item["position"] for item in answer.json()["items"]}


def test_a_county_wide_read_is_found_under_every_community_and_street_it_names(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    before = app.recorder.max_notification_id() or 0
    listed = client.get("/api/v1/members", params={"limit": 200}, headers=bearer(tokens["county"]))
    exported = client.get(
        f"/api/v1/campaigns/{CAMPAIGN}/progress", params={"format": "csv"},
        headers=bearer(tokens["street"]),
    )  # fmt: skip
    assert (listed.status_code, exported.status_code) == (200, 200)
    (listing, list_read), *street_reads = reads_since(app, before)
    assert list_read.community_id is None  # many communities: none of them alone
    assert list_read.purpose == "GET /api/v1/members?limit=200"
    assert {TIEXI, TIANBEI} <= set(list_read.community_ids)
    auditor = tokens["auditor"]
    assert listing in audited(client, auditor, community_id=str(TIANBEI))
    assert listing in audited(client, auditor, street_id=str(TIANHE))
    changes = client.get(f"/api/v1/audit/units/{TIANBEI}/changes", headers=bearer(auditor))
    assert listing in {r["position"] for r in changes.json()["personal_data_reads"]}
    # the street's report names only its own communities' members: found under 铁西, not 天北
    assert any(TIEXI in read.community_ids for _, read in street_reads)
    for position, read in street_reads:
        assert read.purpose == f"GET /api/v1/campaigns/{CAMPAIGN}/progress?format=csv"
        assert TIANBEI not in read.community_ids
        if TIEXI in read.community_ids:
            assert position in audited(client, auditor, community_id=str(TIEXI))
        assert position not in audited(client, auditor, community_id=str(TIANBEI))
        assert position not in audited(client, auditor, street_id=str(TIANHE))


def test_a_read_recorded_before_reads_listed_communities_is_placed_by_its_members(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    """A version-1 read (no ``community_ids``): the read models place it by its members."""
    client, tokens = demo
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    access = AccessService(app)
    old = PersonalDataAccess._begin(
        PersonalDataAccess.PersonalDataRead, access._prov("county:旧"),
        member_ids=[demo_id("member", "天北-19"), demo_id("member", "铁西-1")],
        community_id=None, purpose="list", community_ids=None,
    )  # fmt: skip
    position = app.save(old)[-1].notification.id
    for community in (TIANBEI, TIEXI):
        assert position in audited(client, tokens["auditor"], community_id=str(community))
    assert position in audited(client, tokens["auditor"], street_id=str(TIANHE))
    assert position not in audited(
        client, tokens["auditor"], community_id=str(demo_id("community", "镇郊"))
    )
