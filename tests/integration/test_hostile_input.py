"""Input found by the security review of issue 14: none reaches a 500, writes do not tell
what exists outside the caller's scope, and commands naming what does not exist are
refused field by field with nothing recorded."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from sansan.application import SansanApplication
from sansan.clock import FixedClock
from sansan.demo import demo_id
from tests.integration.api_support import bearer

Demo = tuple[TestClient, dict[str, str]]
TIEXI = demo_id("community", "铁西")
TIANBEI = demo_id("community", "天北")  # in another street, outside 城关's scope
CAMPAIGN = demo_id("campaign", "示范县")


def funding(client: TestClient, token: str, community: uuid.UUID, today: str, **headers: Any) -> Any:
    body = {"occurred_on": today, "year": 2026, "amount_yuan": 1000}
    return client.post(
        f"/api/v1/communities/{community}/funding-allocations", json=body,
        headers=bearer(token) | headers,
    )  # fmt: skip


def raw_post(client: TestClient, path: str, token: str, body: dict[str, Any], **raw: bytes) -> Any:
    """POST with header bytes sent as they are: TestClient re-encodes them as UTF-8, while a
    real HTTP/1.1 server hands the application whatever bytes came (read as latin-1)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            headers = [(b"authorization", f"Bearer {token}".encode())]
            headers += [(name.replace("_", "-").encode(), value) for name, value in raw.items()]
            return await http.post(path, json=body, headers=headers)

    return asyncio.run(send())


def recorded_since(app: SansanApplication, position: int | None) -> list[str]:
    """Topics recorded after ``position``, less the audit chain's checkpoints: its follower
    may record one in the background at any moment, whatever the request did."""
    start = (position or 0) + 1
    return [
        n.topic for n in app.recorder.select_notifications(start=start, limit=10_000)
        if not n.topic.startswith("sansan:AuditCheckpoint")
    ]  # fmt: skip


def without(body: dict[str, Any], unit: uuid.UUID) -> dict[str, Any]:
    """The answer with the id the request named blanked out, to compare two answers."""
    return {k: v.replace(str(unit), "<id>") if isinstance(v, str) else v for k, v in body.items()}


@pytest.mark.parametrize("version", ["²", "¹", "³", "W/\"²\"", "1e3", "0x1"])
def test_an_if_match_that_is_not_ascii_digits_is_refused_with_400(
    demo: Demo, clock: FixedClock, version: str
) -> None:
    client, tokens = demo
    # "²" (byte 0xB2 read as latin-1) passes str.isdigit but not int()
    body = {"occurred_on": clock.today().isoformat(), "year": 2026, "amount_yuan": 1000}
    answer = raw_post(client, f"/api/v1/communities/{TIEXI}/funding-allocations",
                      tokens["county"], body, if_match=version.encode("latin-1"))  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "invalid_if_match"


@pytest.mark.parametrize("version", ["9223372036854775808", "2147483648", "0"])
def test_a_version_outside_the_declared_bounds_is_refused_with_422(
    demo: Demo, version: str
) -> None:
    client, tokens = demo
    answer = client.get(
        f"/api/v1/organizations/{demo_id('org', '城关街道')}", params={"version": version},
        headers=bearer(tokens["county"]),
    )  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "version"


def test_a_scoped_write_to_a_unit_outside_the_scope_answers_exactly_like_an_unknown_id(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    today = clock.today().isoformat()
    before = app.recorder.max_notification_id()
    unknown = uuid.uuid4()
    # a street records funding (a community may not: review #2 finding 29); 天北 is another street's
    outside = funding(client, tokens["street"], TIANBEI, today)
    nowhere = funding(client, tokens["street"], unknown, today)
    assert outside.status_code == nowhere.status_code == 404
    assert without(outside.json(), TIANBEI) == without(nowhere.json(), unknown)
    assert outside.headers["content-type"] == nowhere.headers["content-type"]
    assert recorded_since(app, before) == []


def test_a_scoped_creation_under_an_organization_outside_the_scope_answers_like_an_unknown_one(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    body = {"occurred_on": clock.today().isoformat(), "name": "王五", "category": "direct"}
    outside_org, unknown = demo_id("org", "站前社区党总支"), uuid.uuid4()
    answers = [
        client.post("/api/v1/members", json=body | {"organization_id": str(org)},
                    headers=bearer(tokens["community"]))
        for org in (outside_org, unknown)
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [404, 404]
    assert without(answers[0].json(), outside_org) == without(answers[1].json(), unknown)


def test_a_campaign_under_a_plan_the_service_does_not_have_is_refused_field_by_field(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    before = app.recorder.max_notification_id()
    body = {"occurred_on": clock.today().isoformat(), "name": "二期", "plan_id": "0",
            "county": "示范县"}  # fmt: skip
    answer = client.post("/api/v1/campaigns", json=body, headers=bearer(tokens["county"]))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    [field] = answer.json()["errors"]
    assert (field["field"], field["type"]) == ("plan_id", "unknown_plan")
    assert field["message_zh"] == "没有编号为“0”的创建方案（现有方案：sansan-v1）"
    assert "sansan-v1" in field["message_en"]
    assert recorded_since(app, before) == []


def test_an_inspection_of_communities_that_do_not_exist_is_refused_field_by_field(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    before = app.recorder.max_notification_id()
    ghosts = [uuid.uuid4(), demo_id("org", "城关街道")]  # nothing, and not a community
    body = {"occurred_on": clock.today().isoformat(), "scheduled_for": clock.today().isoformat(),
            "subject": "督查", "community_ids": [str(TIEXI), *map(str, ghosts)]}  # fmt: skip
    answer = client.post(
        f"/api/v1/campaigns/{CAMPAIGN}/inspections", json=body, headers=bearer(tokens["county"])
    )
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "invalid_reference"
    assert [e["field"] for e in problem["errors"]] == ["community_ids.1", "community_ids.2"]
    assert {e["type"] for e in problem["errors"]} == {"unknown_reference"}
    assert problem["errors"][0]["message_zh"] == f"不存在编号为 {ghosts[0]} 的社区"
    assert recorded_since(app, before) == []


TIEXI_MEMBER = demo_id("member", "铁西-1")


@pytest.mark.parametrize(
    ("path", "body", "field", "kind"),
    [
        (f"/members/{TIEXI_MEMBER}/volunteer-services", '"hours":NaN,"activity":"巡逻"', "hours", "finite_number"),
        (f"/members/{TIEXI_MEMBER}/volunteer-services", '"hours":Infinity,"activity":"巡逻"', "hours", "finite_number"),
        (f"/members/{TIEXI_MEMBER}/volunteer-services", '"hours":1e999,"activity":"巡逻"', "hours", "finite_number"),
        (f"/members/{TIEXI_MEMBER}/trainings", '"days":-Infinity,"method":"lecture","topic":"x"', "days", "finite_number"),
        (f"/communities/{TIEXI}/culture-facilities", '"kind":"gym","area_m2":NaN', "area_m2", "finite_number"),
        (f"/communities/{TIEXI}/funding-allocations", '"year":2026,"amount_yuan":NaN', "amount_yuan", "finite_number"),
        (f"/members/{TIEXI_MEMBER}/volunteer-services", '"hours":1,"activity":"a\\u0007b"', "activity", "string_pattern_mismatch"),
        ("/members", '"name":"a\\u0007bell","category":"direct","organization_id":"'
         + str(demo_id("org", "铁西第1小区党支部")) + '"', "name", "string_pattern_mismatch"),
        (f"/members/{TIEXI_MEMBER}/volunteer-services", '"hours":1,"activity":"x","note":"a\\u0000"', "note", "string_pattern_mismatch"),
    ],
)
def test_a_number_that_is_no_number_or_a_control_character_is_refused_on_its_field(
    demo: Demo, clock: FixedClock, path: str, body: str, field: str, kind: str
) -> None:
    client, tokens = demo
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    before = app.recorder.max_notification_id()
    answer = client.post(
        f"/api/v1{path}", content=f'{{"occurred_on":"{clock.today().isoformat()}",{body}}}',
        headers=bearer(tokens["county"]) | {"Content-Type": "application/json"},
    )  # fmt: skip
    assert answer.status_code == 422, answer.text
    problems = {e["field"]: e for e in answer.json()["errors"]}
    assert set(problems) == {field}
    assert problems[field]["type"] == kind
    assert "控制字符" in problems[field]["message_zh"] or kind == "finite_number"
    assert recorded_since(app, before) == []


def test_a_note_keeps_its_line_breaks_and_tabs(demo: Demo, clock: FixedClock) -> None:
    client, tokens = demo
    body = {"occurred_on": clock.today().isoformat(), "hours": 1, "activity": "巡逻",
            "note": "第一行\n第二行\t备注\r\n"}  # fmt: skip
    answer = client.post(
        f"/api/v1/members/{TIEXI_MEMBER}/volunteer-services", json=body,
        headers=bearer(tokens["community"]),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "chosen", ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"]
)
def test_the_nil_and_max_uuids_are_refused_as_a_client_chosen_id(
    demo: Demo, clock: FixedClock, chosen: str
) -> None:
    client, tokens = demo
    body = {"occurred_on": clock.today().isoformat(), "id": chosen, "name": "占位",
            "street_committee_id": str(demo_id("org", "城关街道"))}  # fmt: skip
    answer = client.post("/api/v1/communities", json=body, headers=bearer(tokens["county"]))
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["errors"]
    assert (problem["field"], problem["type"]) == ("id", "placeholder_id")
    assert "UUID" in problem["message_zh"]


def test_a_client_chosen_id_that_is_taken_answers_409_id_taken_not_retry(
    demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    app: SansanApplication = client.app.state.services.app  # type: ignore[attr-defined]
    chosen = str(uuid.uuid4())
    body = {"occurred_on": clock.today().isoformat(), "id": chosen, "name": "新社区",
            "street_committee_id": str(demo_id("org", "城关街道"))}  # fmt: skip
    first = client.post("/api/v1/communities", json=body, headers=bearer(tokens["county"]))
    assert first.status_code == 201, first.text
    before = app.recorder.max_notification_id()
    # (the second under a name of its own: a community's name is unique in the county)
    for again in (body | {"name": "另一社区"}, body | {"id": str(TIEXI), "name": "又一社区"}):
        taken = client.post("/api/v1/communities", json=again, headers=bearer(tokens["county"]))
        assert taken.status_code == 409, taken.text
        assert taken.json()["code"] == "id_taken"
        assert "已被另一单位使用" in taken.json()["message_zh"]
        assert "重试" not in taken.json()["message_zh"]
    assert recorded_since(app, before) == []
