"""Outside review #2 (29 November): what a command names must be what it says it is, and who
may record a fact is the level whose act it is; on both stores.

Findings 9 (commendations and accountabilities cite any id under any name), 17 (a secretary
appointment takes any member_id), 18 (exchange meetings cite unknown communities; the pilot's
refusal names ``community_id.0``), 29 (a community records its own funding), 30 (a street
lifts the county's 软弱涣散 flag), 28 (an "upgrade" that shrinks an area) and 20 (a street's
progress export titled as the county's)."""

import csv
import io
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from sansan.application import SansanApplication
from sansan.clock import FixedClock
from sansan.demo import demo_id
from sansan.domain import Member
from tests.integration.api_support import bearer

Demo = tuple[TestClient, dict[str, str]]
CAMPAIGN = demo_id("campaign", "示范县")
TIEXI = demo_id("community", "铁西")
TIANBEI = demo_id("community", "天北")
TIEXI_GB = demo_id("org", "铁西社区党总支")
TIANBEI_GB = demo_id("org", "天北社区党总支")
ZHANQIAN_GB = demo_id("org", "站前社区党总支")
CHENGGUAN = demo_id("org", "城关街道")
TIANHE = demo_id("org", "天河街道")
TIEXI_MEMBER = demo_id("member", "铁西-1")
TIANBEI_MEMBER = demo_id("member", "天北-19")
NOBODY = uuid.UUID("5b1f0c3e-2d4a-4c6b-9e8f-0a1b2c3d4e5f")  # names nothing in the demo


def recorded_since(app: SansanApplication, position: int | None) -> list[str]:
    start = (position or 0) + 1
    return [
        n.topic for n in app.recorder.select_notifications(start=start, limit=10_000)
        if not n.topic.startswith("sansan:AuditCheckpoint")
    ]  # fmt: skip


def post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1{path}", json=body, headers=bearer(token))


def name_of(app: SansanApplication, member_id: uuid.UUID) -> str:
    return app.get(member_id, Member).name


def refused(answer: Any, status: int, code: str, field: str | None) -> dict[str, Any]:
    """The problem, checked as problem+json with both languages and, if given, its field."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json()
    assert problem["code"] == code, problem
    if field is not None:
        [entry] = [e for e in problem["errors"] if e["field"] == field]
        assert entry["message_zh"], entry
        assert entry["message_en"], entry
    return problem


# --- finding 9: 表彰 and 追究责任 cite the unit they name ---------------------------------


def citation(today: str, kind: str, unit_id: uuid.UUID | None, name: str) -> dict[str, Any]:
    body: dict[str, Any] = {"occurred_on": today, "unit_kind": kind, "unit_name": name}
    return body | ({"unit_id": str(unit_id)} if unit_id else {})


@pytest.mark.parametrize(
    ("path", "extra"),
    [("commendations", {"reason": "好"}),
     ("accountabilities", {"reason": "slow", "detail": "进度迟缓"})],
)  # fmt: skip
@pytest.mark.parametrize(
    ("kind", "unit_id", "name", "code", "field"),
    [
        ("member", NOBODY, "不存在的人", "invalid_reference", "unit_id"),
        ("member", TIANBEI, "铁西社区", "invalid_reference", "unit_id"),  # a community as a member
        ("community", TIEXI_MEMBER, "铁西社区", "invalid_reference", "unit_id"),
        ("street", TIEXI_GB, "铁西社区党总支", "invalid_reference", "unit_id"),  # not a street
        ("person", TIANBEI_GB, "王五", "invalid_reference", "unit_id"),
        ("community", TIANBEI, "铁西社区", "unit_name_mismatch", "unit_name"),
        ("community", None, "铁西社区", "unit_id_required", "unit_id"),
    ],
)
def test_a_commendation_or_accountability_must_cite_a_unit_of_its_kind_under_its_name(
    app: SansanApplication, demo: Demo, clock: FixedClock, path: str, extra: dict[str, Any],
    kind: str, unit_id: uuid.UUID | None, name: str, code: str, field: str,
) -> None:  # fmt: skip
    client, tokens = demo
    before = app.recorder.max_notification_id()
    body = citation(clock.today().isoformat(), kind, unit_id, name) | extra
    refused(post(client, tokens["county"], f"/campaigns/{CAMPAIGN}/{path}", body), 422, code, field)
    assert recorded_since(app, before) == []


def test_a_citation_names_the_kind_and_the_recorded_name_in_chinese(
    demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    today = clock.today().isoformat()
    path = f"/campaigns/{CAMPAIGN}/commendations"
    wrong_kind = post(
        client, tokens["county"], path, citation(today, "member", TIANBEI, "x") | {"reason": "好"}
    )
    [entry] = refused(wrong_kind, 422, "invalid_reference", "unit_id")["errors"]
    assert entry["message_zh"] == f"编号为 {TIANBEI} 的不是党员，与所选单位类别不符"
    wrong_name = post(
        client,
        tokens["county"],
        path,
        citation(today, "community", TIANBEI, "铁西社区") | {"reason": "好"},
    )
    [entry] = refused(wrong_name, 422, "unit_name_mismatch", "unit_name")["errors"]
    assert entry["message_zh"] == "该社区的名称是“天北社区”，与所填“铁西社区”不符"


@pytest.mark.parametrize(
    ("kind", "unit_id", "name"),
    [("community", TIANBEI, "天北社区"), ("street", TIANHE, "天河街道党工委"),
     ("organization", TIEXI_GB, "铁西社区党总支"), ("member", TIANBEI_MEMBER, None),
     ("person", TIANBEI_MEMBER, None), ("person", None, "某某"),
     ("community", TIANBEI, "天北社区　")],  # a full-width space typed after the name
)  # fmt: skip
def test_a_citation_of_the_unit_it_names_is_recorded(
    app: SansanApplication, demo: Demo, clock: FixedClock,
    kind: str, unit_id: uuid.UUID | None, name: str | None,
) -> None:  # fmt: skip
    client, tokens = demo
    name = name or name_of(app, TIANBEI_MEMBER)
    body = citation(clock.today().isoformat(), kind, unit_id, name)
    answer = post(client, tokens["county"], f"/campaigns/{CAMPAIGN}/accountabilities",
                  body | {"reason": "slow", "detail": "进度迟缓"})  # fmt: skip
    assert answer.status_code == 200, answer.text


# --- findings 17, 18: a secretary is a member there; meetings cite communities that exist ---


@pytest.mark.parametrize(
    ("member", "person"),
    [(TIANBEI_MEMBER, None),  # another street's member
     (NOBODY, "刘芳"),  # nothing at all
     (TIANBEI_GB, "王五")],  # an organization
)  # fmt: skip
@pytest.mark.parametrize("role", ["community", "county"])
def test_a_secretary_appointment_must_name_a_member_of_the_organization_s_community(
    app: SansanApplication, demo: Demo, clock: FixedClock,
    member: uuid.UUID, person: str | None, role: str,
) -> None:  # fmt: skip
    client, tokens = demo
    before = app.recorder.max_notification_id()
    body = {"occurred_on": clock.today().isoformat(), "member_id": str(member),
            "person_name": person or name_of(app, TIANBEI_MEMBER)}  # fmt: skip
    answer = post(client, tokens[role], f"/organizations/{TIEXI_GB}/secretary-appointments", body)
    problem = refused(answer, 422, "invalid_reference", "member_id")
    # one answer whatever the id names, so a community token cannot probe other streets
    assert problem["errors"][0]["message_zh"] == (
        f"编号为 {member} 的不是铁西社区党总支所属的党员，书记须从本单位党员中任命"
    )
    assert recorded_since(app, before) == []


def test_a_secretary_appointed_from_the_community_s_members_is_recorded_under_their_name(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    name = name_of(app, TIEXI_MEMBER)
    path = f"/organizations/{TIEXI_GB}/secretary-appointments"
    body = {"occurred_on": clock.today().isoformat(), "member_id": str(TIEXI_MEMBER)}
    misnamed = post(client, tokens["community"], path, body | {"person_name": "王五"})
    refused(misnamed, 422, "unit_name_mismatch", "person_name")
    answer = post(client, tokens["community"], path, body | {"person_name": name})
    assert answer.status_code == 200, answer.text
    street = post(
        client,
        tokens["county"],
        f"/organizations/{CHENGGUAN}/secretary-appointments",
        body | {"person_name": name},
    )  # a street's secretary from one of its communities
    assert street.status_code == 200, street.text


def test_an_exchange_meeting_on_a_community_that_does_not_exist_is_refused_entry_by_entry(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    before = app.recorder.max_notification_id()
    body = {"occurred_on": clock.today().isoformat(), "title": "x",
            "model_community_ids": [str(TIEXI), str(NOBODY), str(TIEXI_GB)]}  # fmt: skip
    answer = post(client, tokens["county"], f"/campaigns/{CAMPAIGN}/exchange-meetings", body)
    problem = refused(answer, 422, "invalid_reference", "model_community_ids.1")
    assert [e["field"] for e in problem["errors"]] == [
        "model_community_ids.1",
        "model_community_ids.2",
    ]
    assert "model_community_ids" not in problem["message_zh"]  # labelled in Chinese, by place
    assert problem["message_zh"].endswith("第2项、“示范社区”第3项")
    assert recorded_since(app, before) == []


def test_an_unknown_pilot_community_is_refused_on_its_own_field_in_chinese(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    body = {"occurred_on": clock.today().isoformat(), "community_id": str(NOBODY)}
    answer = post(client, tokens["county"], f"/campaigns/{CAMPAIGN}/pilot-community", body)
    problem = refused(answer, 422, "invalid_reference", "community_id")
    [entry] = problem["errors"]
    assert entry["message_zh"] == f"试点社区不存在：没有编号为 {NOBODY} 的社区"
    assert problem["message_zh"] == f"请求引用了不存在的对象：“{entry['label_zh']}”"


# --- finding 29: funding is the county's or the street's act, and plausible -------------------


def funding(today: str, amount: object) -> dict[str, Any]:
    return {"occurred_on": today, "year": int(today[:4]), "amount_yuan": amount}


@pytest.mark.parametrize("role", ["community", "client"])
def test_a_community_cannot_record_funding_allocated_to_itself(
    app: SansanApplication, demo: Demo, clock: FixedClock, role: str
) -> None:
    client, tokens = demo
    before = app.recorder.max_notification_id()
    body = funding(clock.today().isoformat(), 1000)
    answer = post(client, tokens[role], f"/communities/{TIEXI}/funding-allocations", body)
    problem = refused(answer, 403, "role_not_allowed", None)
    assert "由县、街道划拨" in problem["message_zh"]
    assert "allocated by the county or the street" in problem["message_en"]
    assert recorded_since(app, before) == []
    catalogue = client.get("/api/v1/commands", headers=bearer(tokens[role])).json()
    assert "allocateFunding" not in {c["id"] for c in catalogue}  # no form offered either


@pytest.mark.parametrize("role", ["county", "street"])
def test_the_county_or_the_street_records_funding_under_a_plausible_ceiling(
    app: SansanApplication, demo: Demo, clock: FixedClock, role: str
) -> None:
    client, tokens = demo
    path = f"/communities/{TIEXI}/funding-allocations"
    today = clock.today().isoformat()
    before = app.recorder.max_notification_id()
    answer = post(client, tokens[role], path, funding(today, 99_999_999_999))
    [entry] = refused(answer, 422, "amount_implausible", "amount_yuan")["errors"]
    assert entry["message_zh"] == (
        "单笔经费 99,999,999,999.00 元超过合理上限 10,000,000 元，请核对金额（单位为元，不是分）"
    )
    assert recorded_since(app, before) == []
    assert post(client, tokens[role], path, funding(today, 10_000_000)).status_code == 200


# --- finding 30: a flag is lifted by the level that raised it ---------------------------------


def test_a_street_cannot_lift_the_county_s_weak_team_flag_but_the_county_can(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    today = clock.today().isoformat()
    org = f"/organizations/{ZHANQIAN_GB}"
    flagged = post(client, tokens["county"], f"{org}/weak-team-flags",
                   {"occurred_on": today, "reason": "县委督查发现班子软弱涣散"})  # fmt: skip
    assert flagged.status_code == 200, flagged.text
    before = app.recorder.max_notification_id()
    body = {"occurred_on": today, "measures": "已整顿"}
    problem = refused(post(client, tokens["street"], f"{org}/weak-team-rectifications", body),
                      403, "review_by_assigner", None)  # fmt: skip
    assert (
        problem["message_zh"]
        == "该班子由县委组织部列为软弱涣散，整顿完成须由县委组织部（或上级）验收记录"
    )
    assert recorded_since(app, before) == []
    lifted = post(client, tokens["county"], f"{org}/weak-team-rectifications", body)
    assert lifted.status_code == 200, lifted.text


def test_a_street_lifts_its_own_flag(demo: Demo, clock: FixedClock) -> None:
    client, tokens = demo
    today = clock.today().isoformat()
    org = f"/organizations/{ZHANQIAN_GB}"
    body = {"occurred_on": today, "reason": "街道排查"}
    assert post(client, tokens["street"], f"{org}/weak-team-flags", body).status_code == 200
    lifted = post(client, tokens["street"], f"{org}/weak-team-rectifications",
                  {"occurred_on": today, "measures": "已整顿"})  # fmt: skip
    assert lifted.status_code == 200, lifted.text


# --- finding 28: an upgrade never shrinks a site ----------------------------------------------


def test_an_upgrade_that_lowers_an_area_is_refused_naming_the_current_area(
    app: SansanApplication, demo: Demo, clock: FixedClock
) -> None:
    client, tokens = demo
    path = f"/communities/{TIEXI}/facility-upgrades"
    today = clock.today().isoformat()
    before = app.recorder.max_notification_id()
    answer = post(client, tokens["community"], path, {"occurred_on": today, "office_area_m2": 10})
    [entry] = refused(answer, 422, "area_decrease", "office_area_m2")["errors"]
    assert entry["message_zh"] == (
        "“办公用房面积（平方米）”现为 96㎡，办公用房和活动场所建设后不能减少为 10㎡；如属录入错误，请核对后再记录"
    )
    assert recorded_since(app, before) == []
    same = post(client, tokens["community"], path, {"occurred_on": today, "office_area_m2": 96})
    assert same.status_code == 200, same.text
    larger = post(client, tokens["community"], path, {"occurred_on": today, "venue_area_m2": 260})
    assert larger.status_code == 200, larger.text


# --- finding 20: a street's or community's export says whose it is ----------------------------


@pytest.mark.parametrize(
    ("role", "street", "whose"),
    [("street", None, "城关街道党工委"), ("community", None, "铁西社区"),
     ("client", None, "铁西社区"), ("county", TIANHE, "天河街道党工委"),
     ("community", CHENGGUAN, "铁西社区"), ("county", None, None)],
)  # fmt: skip
def test_a_progress_export_is_titled_and_named_for_whose_figures_it_holds(
    demo: Demo, role: str, street: uuid.UUID | None, whose: str | None
) -> None:
    client, tokens = demo
    report = f"{whose}·创建工程进度" if whose else "创建工程进度"
    heading = f"示范县三三创建工程·{report}（评估日期：2026-11-27）"
    stem = f"{whose}-创建工程进度-2026-11-27" if whose else "创建工程进度-2026-11-27"
    for fmt in ("csv", "xlsx"):
        params = {"format": fmt, "as_of": "2026-11-27"} | (
            {"street_id": str(street)} if street else {}
        )
        answer = client.get(f"/api/v1/campaigns/{CAMPAIGN}/progress", params=params,
                            headers=bearer(tokens[role]))  # fmt: skip
        assert answer.status_code == 200, answer.text
        disposition = answer.headers["content-disposition"]
        assert disposition.endswith(f"''{quote_name(stem)}.{fmt}"), disposition
        if fmt == "csv":
            first = next(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
            assert first == [heading]
        else:
            sheet = load_workbook(io.BytesIO(answer.content)).active
            assert isinstance(sheet, Worksheet)
            assert sheet["A1"].value == heading
            assert sheet.title == stem


def quote_name(stem: str) -> str:
    return quote(stem)
