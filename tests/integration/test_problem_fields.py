"""Review findings 1 and 6: a refused request names its fields in Chinese (labels, 、, the
choices in words), and a domain rule's refusal names its field in ``errors``, every
independent problem of the request in one answer. On both stores."""

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

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
