"""Lists over the read models, on both stores: filters, subtrees, pages, read-your-writes."""

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sansan.api.app import create_app
from sansan.application import SansanApplication
from sansan.commands import member as mc
from sansan.demo import DEMO_ACTOR, demo_id
from sansan.settings import Settings
from tests.integration.api_support import bearer
from tests.support import TODAY


def get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1{path}", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def every_page(client: TestClient, token: str, path: str, **params: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = get(client, token, path, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def names(items: list[dict[str, Any]]) -> list[str]:
    return [i["name"] for i in items]


def test_communities_filter_by_street_and_model_type(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    county = tokens["county"]
    everything = get(client, county, "/communities", after=1)
    assert len(everything["items"]) == 7
    chengguan = get(client, county, "/communities", street_id=str(demo_id("org", "城关街道")))
    assert sorted(names(chengguan["items"])) == ["站前社区", "铁西社区", "镇西社区"]
    services = get(client, county, "/communities", model_type="service")
    assert sorted(names(services["items"])) == ["天北社区", "天南社区", "铁西社区"]
    tiexi = next(i for i in everything["items"] if i["name"] == "铁西社区")
    assert (tiexi["street_name"], tiexi["office_area_m2"], tiexi["venue_area_m2"]) == (
        "城关街道党工委",
        96.0,
        240.0,
    )


def test_scoped_principals_list_only_their_subtree(demo: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = demo
    assert sorted(names(get(client, tokens["street"], "/communities", after=1)["items"])) == [
        "站前社区", "铁西社区", "镇西社区",
    ]  # fmt: skip
    assert names(get(client, tokens["community"], "/communities")["items"]) == ["铁西社区"]
    members = every_page(client, tokens["community"], "/members", limit=4)
    tiexi = str(demo_id("community", "铁西"))
    assert len(members) == 6
    assert {m["community_id"] for m in members} == {tiexi}
    tree = get(client, tokens["community"], "/organizations/tree")
    assert [n["name"] for n in tree] == ["铁西社区党总支"]
    assert sorted(c["name"] for c in tree[0]["children"]) == [
        "铁西第1小区党支部",
        "铁西第2小区党支部",
    ]


def test_members_filter_by_organization_and_category_across_pages(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    county = tokens["county"]
    all_members = every_page(client, county, "/members", limit=7, after=1)
    assert len(all_members) == 42
    assert len({m["id"] for m in all_members}) == 42  # no page repeats or skips a member
    assert [(m["name"], m["id"]) for m in all_members] == sorted(
        (m["name"], m["id"]) for m in all_members
    )
    dual = every_page(client, county, "/members", category="dual", limit=5)
    assert len(dual) == 14
    assert {m["category"] for m in dual} == {"dual"}
    branch = demo_id("org", "铁西第1小区党支部")
    in_branch = every_page(client, county, "/members", organization_id=str(branch))
    assert {m["organization_name"] for m in in_branch} == {"铁西第1小区党支部"}
    assert len(in_branch) == 3


def test_the_county_tree_holds_every_organization_under_its_street(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    tree = get(client, tokens["county"], "/organizations/tree", after=1)
    assert sorted(n["name"] for n in tree) == ["城关街道党工委", "天河街道党工委", "河东街道党工委"]

    def count(nodes: list[dict[str, Any]]) -> int:
        return sum(1 + count(n["children"]) for n in nodes)

    assert count(tree) == 3 + 7 * 5
    tiexi = next(c for s in tree for c in s["children"] if c["name"] == "铁西社区党总支")
    assert tiexi["children"][0]["children"][0]["level"] == "building_group"


def test_a_write_is_visible_to_a_read_that_waits_for_its_position(
    app: SansanApplication, demo: tuple[TestClient, dict[str, str]]
) -> None:
    client, tokens = demo
    member = demo_id("member", "铁西-1")
    written = app.execute(
        mc.TransferMemberOut(member_id=member, occurred_on=TODAY, destination="外县"), actor="t"
    )
    listed = get(
        client,
        tokens["county"],
        "/members",
        community_id=str(demo_id("community", "铁西")),
        after=written.position,
    )
    moved = next(m for m in listed["items"] if m["id"] == str(member))
    assert moved["transferred_out_on"] == TODAY.isoformat()


def test_positions_not_yet_written_and_broken_cursors_are_refused(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    auth = bearer(tokens["county"])
    beyond = client.get("/api/v1/communities", params={"after": 10**9}, headers=auth)
    assert (beyond.status_code, beyond.json()["code"]) == (400, "position_unknown")
    broken = client.get("/api/v1/communities", params={"cursor": "not-a-cursor"}, headers=auth)
    assert (broken.status_code, broken.json()["code"]) == (400, "bad_cursor")


def test_the_audit_log_filters_by_unit_type_actor_and_both_time_axes(
    app: SansanApplication, demo: tuple[TestClient, dict[str, str]]
) -> None:
    client, tokens = demo
    auditor = tokens["auditor"]
    tiexi = demo_id("community", "铁西")
    history = get(
        client, auditor, "/audit", aggregate_id=str(tiexi), after=app.recorder.max_notification_id()
    )
    # newest first: the community's last version heads the page, its registration ends it
    assert [i["version"] for i in history["items"]] == list(range(len(history["items"]), 0, -1))
    assert {i["aggregate_type"] for i in history["items"]} == {"Community"}
    upgrades = every_page(client, auditor, "/audit", event_type="FacilityUpgraded")
    assert len(upgrades) == 3
    assert upgrades[-1]["data"]["office_area_m2"] == 96.0  # the demo's first upgrade, last
    in_community = every_page(client, auditor, "/audit", community_id=str(tiexi), limit=50)
    assert {i["community_id"] for i in in_community} == {str(tiexi)}
    assert {"MemberRegistered", "TrainingCompleted", "OrganizationEstablished"} <= {
        i["event_type"] for i in in_community
    }
    street = every_page(
        client, auditor, "/audit", street_id=str(demo_id("org", "城关街道")), limit=200
    )
    assert {i["community_id"] for i in street} - {None} == {
        str(demo_id("community", n)) for n in ("铁西", "站前", "镇西")
    }
    summer = every_page(
        client, auditor, "/audit", occurred_from="2026-06-01", occurred_to="2026-08-31"
    )
    assert summer
    assert all("2026-06-01" <= i["occurred_on"] <= "2026-08-31" for i in summer)
    recorded = every_page(client, auditor, "/audit", recorded_to="2000-01-01T00:00:00+08:00")
    assert recorded == []
    by_actor = every_page(client, auditor, "/audit", actor=DEMO_ACTOR, limit=200)
    # Counted from the log itself, not from the audit read model: every event the demo
    # recorded (the tokens' issue events, by another actor, are left out).
    in_log = [
        n.id
        for n in app.recorder.select_notifications(1, 10**6)
        if getattr(app.mapper.to_domain_event(n), "actor", None) == DEMO_ACTOR
    ]
    assert len(in_log) > 200  # more than one page
    assert sorted(i["position"] for i in by_actor) == in_log


def test_the_audit_log_reads_newest_first_unless_asked_for_log_order_page_by_page(
    app: SansanApplication, demo: tuple[TestClient, dict[str, str]]
) -> None:
    client, tokens = demo
    auditor = tokens["auditor"]
    newest = every_page(client, auditor, "/audit", actor=DEMO_ACTOR, limit=200)
    oldest = every_page(client, auditor, "/audit", actor=DEMO_ACTOR, limit=200, order="oldest")
    positions = [i["position"] for i in newest]
    assert len(positions) > 200  # pages joined, in one order throughout
    assert positions == sorted(positions, reverse=True)
    assert [i["position"] for i in oldest] == positions[::-1]
    # a cursor is read in the order that made it; in the other it is refused, never misread
    first = get(client, auditor, "/audit", actor=DEMO_ACTOR, limit=5)
    wrong = client.get("/api/v1/audit", headers=bearer(auditor),
                       params={"actor": DEMO_ACTOR, "order": "oldest", "cursor": first["next_cursor"]})  # fmt: skip
    assert (wrong.status_code, wrong.json()["code"]) == (400, "bad_cursor")


def test_the_audit_log_separates_changes_from_reads_of_personal_data(
    app: SansanApplication, demo: tuple[TestClient, dict[str, str]]
) -> None:
    client, tokens = demo
    auditor, county = tokens["auditor"], tokens["county"]
    get(client, county, "/members", community_id=str(demo_id("community", "铁西")))  # a read
    read_at = app.recorder.max_notification_id()  # the audit read model waits for it
    everything = every_page(client, auditor, "/audit", limit=200, after=read_at)
    reads = every_page(client, auditor, "/audit", kind="reads", limit=200)
    changes = every_page(client, auditor, "/audit", kind="changes", limit=200)
    assert reads
    assert {i["event_type"] for i in reads} == {"PersonalDataRead"}
    assert changes
    assert "PersonalDataRead" not in {i["event_type"] for i in changes}
    # together they are the whole log, each entry once (reads made by these very queries aside)
    seen = {i["position"] for i in everything}
    assert {i["position"] for i in changes} | {i["position"] for i in reads} >= seen
    assert not {i["position"] for i in changes} & {i["position"] for i in reads}
    refused = client.get("/api/v1/audit", params={"kind": "other"}, headers=bearer(auditor))
    assert refused.status_code == 422


def test_only_county_and_auditors_read_the_audit_log(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    for role in ("street", "community", "client"):
        refused = client.get("/api/v1/audit", headers=bearer(tokens[role]))
        assert (refused.status_code, refused.json()["code"]) == (403, "audit_not_allowed")


def test_auditors_see_who_read_which_member(
    app: SansanApplication, demo: tuple[TestClient, dict[str, str]]
) -> None:
    client, tokens = demo
    member = demo_id("member", "铁西-2")
    get(client, tokens["community"], f"/members/{member}")
    after = app.recorder.max_notification_id()
    listed = get(client, tokens["street"], "/members", community_id=str(demo_id("community", "铁西")),
                 after=after)  # fmt: skip
    assert str(member) in {m["id"] for m in listed["items"]}
    reads = every_page(client, tokens["auditor"], "/audit/personal-data-reads", member_id=str(member),
                       after=app.recorder.max_notification_id())  # fmt: skip
    assert [(r["actor"], r["data"]["purpose"]) for r in reads] == [
        # through which endpoint and query (review #2 finding 4)
        ("community:铁西社区党总支（演示）", f"GET /api/v1/members/{member}"),
        ("street:城关街道党工委（演示）",
         f"GET /api/v1/members?community_id={demo_id('community', '铁西')}&after={after}"),
    ]  # fmt: skip
    assert all(r["community_id"] == str(demo_id("community", "铁西")) for r in reads)


def test_campaigns_and_supervision_items_are_listed_within_scope(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    campaigns = get(client, tokens["community"], "/campaigns")["items"]
    assert [c["plan_id"] for c in campaigns] == ["sansan-v1"]
    items = get(client, tokens["county"], "/supervision-items")["items"]
    assert [(i["title"], i["status"], i["assignee_name"], i["light"]) for i in items] == [
        (
            "镇郊社区办公用房和活动场所达标",
            "acknowledged",
            "镇郊社区党总支",
            "green",
        )  # due 12-27, today 11-27
    ]
    assert get(client, tokens["county"], "/supervision-items", status="closed")["items"] == []
    assert (
        get(client, tokens["community"], "/supervision-items")["items"] == []
    )  # 铁西 sees not 镇郊's


def test_a_read_waiting_for_a_position_the_projections_have_not_reached_gets_503(
    app: SansanApplication, settings: Settings
) -> None:
    api = create_app(settings, application=app)  # not started: no runner follows the log
    token, _ = api.state.services.access.issue_token(
        role="county", scope_org_id=None, label="x", actor="t"
    )
    head = app.recorder.max_notification_id()
    started = time.monotonic()
    response = TestClient(api).get(
        "/api/v1/communities", params={"after": head}, headers=bearer(token)
    )
    waited = time.monotonic() - started
    assert (response.status_code, response.json()["code"]) == (503, "read_model_behind")
    assert response.headers["Retry-After"] == "1"
    assert 1.5 < waited < 10  # bounded, about two seconds


def test_a_page_cursor_names_nobody_and_an_altered_one_is_refused(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    """Review 2, finding 21: a cursor was base64 JSON of the last row's sort key, a member's
    name, which then travelled in URLs and the access log. It is sealed now: the same page
    gives the same cursor, the pages still add up, and a changed cursor is refused."""
    import base64

    client, tokens = demo
    county = tokens["county"]
    first = get(client, county, "/members", limit=2)
    cursor = first["next_cursor"]
    assert cursor == get(client, county, "/members", limit=2)["next_cursor"]  # stable
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    last = first["items"][-1]
    for said in (last["name"], last["id"]):
        assert said.encode() not in raw
        assert said.encode("unicode_escape") not in raw
    try:  # not JSON under base64 (its bytes are random: any, even "[", may come first)
        json.loads(raw)
    except ValueError:
        pass
    else:
        pytest.fail(f"the cursor is JSON under base64: {raw!r}")
    second = get(client, county, "/members", limit=2, cursor=cursor)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    everyone = every_page(client, county, "/members", limit=50)
    assert [i["id"] for i in everyone[:4]] == [i["id"] for i in first["items"] + second["items"]]
    altered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    refused = client.get("/api/v1/members", params={"limit": 2, "cursor": altered},
                         headers=bearer(county))  # fmt: skip
    assert (refused.status_code, refused.json()["code"]) == (400, "bad_cursor")
