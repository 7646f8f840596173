"""Finding a unit by a part of its name (the audit page's 单位 box), on both stores: streets,
communities, organizations and members (each with its community), within the token's scope;
a member named records a read of their personal data."""

from typing import Any

from fastapi.testclient import TestClient

from sansan.application import SansanApplication
from sansan.demo import demo_id
from tests.integration.api_support import bearer
from tests.integration.test_personal_data import reads_recorded_since


def search(client: TestClient, token: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/units/search", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_part_of_a_name_finds_the_community_first_then_what_is_inside_it(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    found = search(client, tokens["county"], q="镇西")
    assert found[0] == {
        "id": str(demo_id("community", "镇西")), "name": "镇西社区", "kind": "community",
        "kind_zh": "社区", "within": "城关街道党工委", "label_zh": "镇西社区（社区，城关街道党工委）",
    }  # fmt: skip
    assert found[1]["name"] == "镇西社区党总支"
    assert found[1]["kind_zh"] == "社区党总支"
    assert {f["kind"] for f in found} == {"community", "organization"}  # no member is called 镇西
    street = search(client, tokens["county"], q="城关")
    assert (street[0]["kind"], street[0]["name"], street[0]["label_zh"]) == (
        "street", "城关街道党工委", "城关街道党工委（街道）",
    )  # fmt: skip


def test_a_member_is_found_with_their_community_and_the_read_is_recorded(
    app: SansanApplication, demo: tuple[TestClient, dict[str, str]]
) -> None:
    client, tokens = demo
    member = client.get(f"/api/v1/members/{demo_id('member', '铁西-1')}", headers=bearer(tokens["county"]))
    name = member.json()["state"]["name"]
    before = app.recorder.max_notification_id() or 0
    found = [f for f in search(client, tokens["county"], q=name[:2]) if f["kind"] == "member"]
    assert found
    assert all(f["name"].startswith(name[:2]) for f in found)
    mine = next(f for f in found if f["id"] == str(demo_id("member", "铁西-1")))
    assert mine["label_zh"] == f"{name}（党员，铁西社区）"
    (read,) = [app.mapper.to_domain_event(n) for n in reads_recorded_since(app, before, "county:")]
    assert {str(m) for m in read.member_ids} == {f["id"] for f in found}
    before = app.recorder.max_notification_id() or 0
    search(client, tokens["county"], q="镇西")  # no member named: nothing recorded
    assert reads_recorded_since(app, before, "county:") == []


def test_the_search_stays_inside_the_token_s_scope_and_treats_wildcards_as_text(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    assert search(client, tokens["county"], q="河东")
    assert search(client, tokens["community"], q="河东") == []  # another street's community
    own = search(client, tokens["community"], limit=50)  # nothing typed: the first few of its own
    assert {f["within"] for f in own if f["kind"] == "member"} == {"铁西社区"}
    assert {f["name"] for f in own if f["kind"] == "community"} == {"铁西社区"}
    assert search(client, tokens["county"], q="%") == []
    assert search(client, tokens["county"], q="_") == []
    nul = client.get("/api/v1/units/search", params={"q": "铁\x00"}, headers=bearer(tokens["county"]))
    assert nul.status_code == 422  # text no store can hold is refused, not a server error
