"""Review findings 1 and 6: a refused request names its fields in Chinese (labels, 、, the
choices in words), and a domain rule's refusal names its field in ``errors``, every
independent problem of the request in one answer. On both stores."""

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from sansan.api.problems import label_zh
from sansan.demo import demo_id
from tests.integration.api_support import bearer

Demo = tuple[TestClient, dict[str, str]]
MEMBER = demo_id("member", "铁西-1")
BRANCH = demo_id("org", "铁西第1小区党支部")


def post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(f"/api/v1{path}", json=body, headers=bearer(token))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    found: dict[str, Any] = answer.json()
    return found


def by_field(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["field"]: e for e in body["errors"]}


def test_a_malformed_request_names_its_fields_by_their_chinese_labels(demo: Demo) -> None:
    client, tokens = demo
    body = post(client, tokens["community"], f"/members/{MEMBER}/trainings",
                {"occurred_on": "2026-13-01", "days": "abc", "method": "nap", "topic": ""})  # fmt: skip
    assert body["message_zh"] == "请求内容有误：“发生日期”、“培训天数”、“培训方式”、“主题”"
    fields = by_field(body)
    assert {f: e["label_zh"] for f, e in fields.items()} == {
        "occurred_on": "发生日期", "days": "培训天数", "method": "培训方式", "topic": "主题",
    }  # fmt: skip
    assert fields["method"]["message_zh"] == "取值不在允许范围内，可选：课堂讲课、观看电教片、考察观摩、读书会、知识竞赛"
    path = client.get("/api/v1/communities/铁西", headers=bearer(tokens["county"])).json()
    assert path["message_zh"] == "请求内容有误：“编号”"


def test_a_domain_rule_names_its_field_and_every_independent_problem_is_told_at_once(demo: Demo) -> None:
    client, tokens = demo
    today = client.app.state.services.app.clock.today()  # type: ignore[attr-defined]
    tomorrow = str(today + timedelta(days=1))
    register = {"occurred_on": str(today), "name": "老年人", "category": "direct", "organization_id": str(BRANCH)}
    token = tokens["community"]
    single = post(client, token, "/members", register | {"birth_year": 1700})
    assert single["code"] == "out_of_range"
    assert [(e["field"], e["label_zh"], e["type"]) for e in single["errors"]] == [("birth_year", "出生年份", "out_of_range")]
    for change, field, code in (
        ({"name": "   "}, "name", "empty_text"),
        ({"birth_date": "2099-01-01"}, "birth_date", "birth_date_in_future"),
        ({"occurred_on": tomorrow}, "occurred_on", "occurred_in_future"),
    ):
        body = post(client, token, "/members", register | change)
        assert [(e["field"], e["type"]) for e in body["errors"]] == [(field, code)], change
    several = post(client, token, "/members", register | {
        "birth_year": -5, "birth_date": "2099-01-01", "name": " ", "occurred_on": tomorrow,
    })  # fmt: skip
    assert {e["field"]: e["type"] for e in several["errors"]} == {
        "occurred_on": "occurred_in_future", "birth_date": "birth_date_in_future",
        "birth_year": "out_of_range", "name": "empty_text",
    }  # fmt: skip
    assert several["message_zh"].count("；") == 3
    training = post(client, token, f"/members/{MEMBER}/trainings",
                    {"occurred_on": tomorrow, "days": 100, "method": "lecture", "topic": " "})  # fmt: skip
    assert {e["field"]: e["type"] for e in training["errors"]} == {
        "occurred_on": "occurred_in_future", "days": "training_days_out_of_range", "topic": "empty_text",
    }  # fmt: skip
    assert date.fromisoformat(tomorrow) > today


def test_a_bad_query_parameter_is_named_by_its_chinese_label(demo: Demo) -> None:
    """Review #2 finding 13: “请求内容有误：“recorded_from”” named the field in English."""
    client, tokens = demo
    county = bearer(tokens["county"])
    said = {}
    for path, query in (
        ("/audit", {"recorded_from": "2026-11-30"}),
        ("/audit", {"occurred_from": "2026-13-01"}),
        ("/audit", {"actor": "x" * 201}),
        ("/communities", {"street_id": "城关"}),
    ):
        answer = client.get(f"/api/v1{path}", params=query, headers=county)
        assert answer.status_code == 422, answer.text
        said[next(iter(query))] = answer.json()["message_zh"]
    assert said == {
        "recorded_from": "请求内容有误：“记录时间起”", "occurred_from": "请求内容有误：“发生日期起”",
        "actor": "请求内容有误：“记录人”", "street_id": "请求内容有误：“街道”",
    }  # fmt: skip


def test_every_query_parameter_has_a_chinese_label(demo: Demo) -> None:
    client, _ = demo
    spec = client.app.openapi()  # type: ignore[attr-defined]
    names = {
        p["name"]
        for operations in spec["paths"].values()
        for operation in operations.values()
        for p in operation.get("parameters", [])
        if p["in"] == "query"
    }
    english = {n for n in names if not any("\u4e00" <= c <= "\u9fff" for c in label_zh(n))}
    assert english == set()


def test_a_compact_date_and_a_body_not_in_utf8_are_told_plainly(demo: Demo) -> None:
    """Review #2 finding 5: "20261120" was read as a Unix timestamp (“取值无效”, “Datetimes
    provided to dates should have zero time”), a body not in UTF-8 got “请求失败（HTTP 400）”."""
    client, tokens = demo
    path = f"/members/{MEMBER}/trainings"
    training = {"days": 2, "method": "lecture", "topic": "党课"}
    for typed in ("20261120", 20261120):
        body = post(client, tokens["community"], path, training | {"occurred_on": typed})
        [error] = body["errors"]
        assert (error["field"], error["label_zh"]) == ("occurred_on", "发生日期")
        assert error["message_zh"] == "日期格式应为 2026-11-20（年-月-日，用短横线分隔）"
    raw = b'{"occurred_on": "2026-11-20", "days": 2, "method": "lecture", "topic": "\xff"}'
    answer = client.post(
        f"/api/v1{path}", content=raw,
        headers=bearer(tokens["community"]) | {"Content-Type": "application/json"},
    )  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "unreadable_body"
    assert problem["message_zh"] == "请求内容不是有效的 UTF-8 JSON，请以 UTF-8 编码发送 JSON"
    assert "UTF-8" in problem["message_en"]
    assert [(e["field"], e["label_zh"]) for e in problem["errors"]] == [("body", "请求内容")]
