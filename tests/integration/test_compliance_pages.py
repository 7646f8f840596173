"""Failing lists a page at a time, on both stores: the paged answer (counted in SQL for the
member rules, cut after judging for the rest) equals the full evaluation cut to the page with
the full lists' totals, on a world with edges — a cadre who turns 46 between two days asked, a
member registered after the cards' due date, a training recorded after the past day asked, a
member's category corrected, a member transferred out, an empty community — and over HTTP the
pages, their bounds and their refusals."""

import csv
import dataclasses
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest
from fastapi.testclient import TestClient

from sansan.api.app import create_app
from sansan.application import SansanApplication
from sansan.bootstrap import Services, build_services
from sansan.clock import FixedClock
from sansan.commands import Command
from sansan.commands import campaign as cc
from sansan.commands import community as co
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.plans import Plan, get_plan
from sansan.projections.compliance import Page, TargetResult, evaluate
from sansan.settings import Settings

LAUNCH = date(2026, 3, 1)
# Before and after the cadre's 46th birthday; the last day of the launch year; a fortnight into
# the next (cards red, the latecomer's own due date not yet); a year on (member-training ended).
DAYS = [date(2026, 6, 14), date(2026, 6, 15), date(2026, 12, 31), date(2027, 1, 15),
        date(2028, 1, 20)]  # fmt: skip


def i(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"pages-test:{name}")


CAMPAIGN, STREET = i("campaign"), i("street")
A, B, EMPTY = i("A"), i("B"), i("empty")
# (key, community, registered on, category, cards, training days in 2026)
MEMBERS = [
    ("m1", A, date(2026, 3, 10), "direct", 3, 6),
    ("m2", A, date(2026, 3, 10), "direct", 1, 2),
    ("m3", A, date(2026, 3, 10), "dual", 2, 0),
    ("m4", B, date(2026, 3, 10), "participating", 0, 7),
    ("m5", B, date(2026, 3, 10), "participating", 2, 1),
    ("m6", B, date(2026, 3, 10), "direct", 0, 0),
    ("m7", B, date(2026, 3, 10), "dual", 4, 6),
    ("late", A, date(2027, 1, 5), "direct", 0, 0),  # after the cards' due date: its own
]
CARDS = {
    "direct": ["community_activity", "volunteer_activity", "household_contact"],
    "dual": ["community_activity", "in_service_feedback", "volunteer_activity",
             "household_contact"],
    "participating": ["community_activity", "floating_management", "volunteer_activity",
                      "household_contact"],
}  # fmt: skip


def world() -> Iterator[Command]:
    yield cc.LaunchCampaign(
        id=CAMPAIGN, occurred_on=LAUNCH, name="三三创建", plan_id="sansan-v1", county="测试县"
    )
    yield oc.EstablishPartyOrganization(
        id=STREET, occurred_on=LAUNCH, name="甲街道党工委", level="street_committee"
    )
    for cid, name in ((A, "甲社区"), (B, "乙社区"), (EMPTY, "空社区")):
        yield co.RegisterCommunity(id=cid, occurred_on=LAUNCH, name=name, street_committee_id=STREET)
        yield oc.EstablishPartyOrganization(
            id=i(f"gb{name}"), occurred_on=LAUNCH, name=f"{name}党总支", level="general_branch",
            parent_id=STREET, community_id=cid,
        )  # fmt: skip
        yield oc.EstablishPartyOrganization(
            id=i(f"nb{cid}"), occurred_on=LAUNCH, name=f"{name}支部", level="neighborhood_branch",
            parent_id=i(f"gb{name}"),
        )  # fmt: skip
    yield oc.AddTeamMember(  # 45 until 14 June 2026, 46 from the 15th
        organization_id=i("gb甲社区"), occurred_on=LAUNCH, team_member_id=i("cadre"),
        person_name="甲书记", education="bachelor", birth_date=date(1980, 6, 15),
    )  # fmt: skip
    for key, cid, registered, category, cards, days in MEMBERS:
        yield mc.RegisterMember(
            id=i(key), occurred_on=registered, name=key, category="direct",
            organization_id=i(f"nb{cid}"),
        )  # fmt: skip
        if category != "direct":  # corrected after registering
            yield mc.ChangeMemberCategory(
                member_id=i(key), occurred_on=date(2026, 4, 1), category=category
            )
        for card in CARDS[category][:cards]:
            yield mc.IssueCard(member_id=i(key), occurred_on=date(2026, 5, 1), card=card)
        if days:
            yield mc.RecordTraining(
                member_id=i(key), occurred_on=date(2026, 6, 1), days=days, method="lecture",
                topic="党课",
            )  # fmt: skip
    yield mc.TransferMemberOut(member_id=i("m7"), occurred_on=date(2026, 12, 1), destination="外县")


# Recorded on 20 January 2027, for a day in 2026: the past asked before it did not hold it.
LATE_TRAINING = mc.RecordTraining(
    member_id=i("m5"), occurred_on=date(2026, 11, 1), days=5, method="lecture", topic="党课"
)


@pytest.fixture
def services(app: SansanApplication, settings: Settings, clock: FixedClock) -> Iterator[Services]:
    for command in world():  # each recorded on the day it occurred
        clock.set(datetime.combine(command.occurred_on, time(4), tzinfo=UTC))
        app.execute(command, actor="test")
    clock.set(datetime(2027, 1, 20, 4, tzinfo=UTC))
    app.execute(LATE_TRAINING, actor="test")
    clock.set(datetime(2028, 2, 1, tzinfo=UTC))
    built = build_services(settings, clock, app)
    built.projections.catch_up()
    yield built
    built.store.close()


def plan() -> Plan:
    found = get_plan("sansan-v1")
    assert found is not None
    return found


def answer(services: Services, as_of: date, **how: Any) -> list[dict[str, Any]]:
    return [
        dataclasses.asdict(r)
        for r in evaluate(services.store, plan(), launch=LAUNCH, as_of=as_of, **how)
    ]


def cut(result: dict[str, Any], page: Page) -> dict[str, Any]:
    """The full answer as a page lists it: its failing lists cut, their totals kept; the
    passing units are the scheduler's, not a page's."""
    def listing(found: dict[str, Any]) -> dict[str, Any]:
        return found | {
            "failing": found["failing"][page.offset : page.offset + page.limit],
            "failing_total": len(found["failing"]), "passing": [],
        }  # fmt: skip

    return listing(result) | {"periods": [listing(p) for p in result["periods"]]}


def unpassed(result: dict[str, Any]) -> dict[str, Any]:
    return result | {
        "passing": [], "periods": [p | {"passing": []} for p in result["periods"]]
    }  # fmt: skip


SCOPES: list[dict[str, Any]] = [
    {}, {"communities": [A]}, {"communities": [EMPTY]},
    {"communities": [B], "scorecard": True},
]  # fmt: skip


@pytest.mark.parametrize("as_of", DAYS, ids=str)
def test_every_page_equals_the_full_answer_cut_with_the_full_totals(
    services: Services, as_of: date
) -> None:
    for scope in SCOPES:
        full = answer(services, as_of, **scope)
        longest = max(len(x["failing"]) for r in full for x in (r, *r["periods"]))
        assert longest >= 1 or scope.get("communities") == [EMPTY]
        # the whole list, then around the first and the last unit and past the end
        bounds = sorted({1, max(longest - 1, 0), longest + 1})
        for page in [Page(0, 100), *(Page(o, n) for o in bounds for n in (1, 3))]:
            paged = answer(services, as_of, page=page, **scope)
            assert [unpassed(r) for r in paged] == [cut(r, page) for r in full], (scope, page)


def by_id(results: list[TargetResult]) -> dict[str, TargetResult]:
    return {r.id: r for r in results}


def test_the_member_rules_count_every_failing_member_and_list_one_page_by_id(
    services: Services,
) -> None:
    at = date(2027, 1, 15)  # cards past due; late has until 5 April 2027
    full = by_id(evaluate(services.store, plan(), launch=LAUNCH, as_of=at))["cards"]
    # m1 has its three cards; m7 left; m2, m3, m4, m5, m6 and late fall short
    assert full.failing_total == len(full.failing) == 6
    assert full.measured_text == "1/7人"
    ids = [f.unit_id for f in full.failing]
    assert ids == sorted(ids)
    pages = [
        by_id(evaluate(services.store, plan(), launch=LAUNCH, as_of=at, page=Page(o, 4)))["cards"]
        for o in (0, 4, 8)
    ]
    assert [len(p.failing) for p in pages] == [4, 2, 0]
    assert {p.failing_total for p in pages} == {6}
    assert [f for p in pages for f in p.failing] == full.failing
    assert {p.status for p in pages} == {full.status} == {"red"}
    latecomer = next(f for f in full.failing if f.unit_id == str(i("late")))
    assert (latecomer.due_on, latecomer.status) == (date(2027, 4, 5), "not_due")
    assert latecomer in [f for p in pages for f in p.failing]


def test_a_page_of_latecomers_only_still_shows_the_target_s_worst_light(
    services: Services,
) -> None:
    at = date(2027, 1, 15)
    full = by_id(evaluate(services.store, plan(), launch=LAUNCH, as_of=at))["cards"]
    where = [f.unit_id for f in full.failing].index(str(i("late")))
    [paged] = evaluate(
        services.store, plan(), launch=LAUNCH, as_of=at, page=Page(where, 1), only="cards"
    )
    assert [f.unit_id for f in paged.failing] == [str(i("late"))]
    assert paged.failing[0].status == "not_due"
    assert paged.status == "red"  # the others were due on 31 December


def test_a_training_recorded_after_the_day_asked_counts_only_for_the_day_it_occurred_on(
    services: Services,
) -> None:
    # m5's late-recorded five days (1 November 2026) lift it to six in 2026
    for as_of, m5_failing in ((date(2026, 10, 31), True), (date(2026, 12, 31), False)):
        [paged] = evaluate(
            services.store, plan(), launch=LAUNCH, as_of=as_of, page=Page(0, 100),
            only="member-training",
        )  # fmt: skip
        assert (str(i("m5")) in {f.unit_id for f in paged.failing}) is m5_failing
        assert paged.failing_total == len(paged.failing)


def test_the_ended_year_s_list_is_paged_with_its_own_total(services: Services) -> None:
    [full] = evaluate(
        services.store, plan(), launch=LAUNCH, as_of=date(2028, 1, 20), only="member-training"
    )
    ended = full.periods[0]
    assert ended.kind == "ended"
    [paged] = evaluate(
        services.store, plan(), launch=LAUNCH, as_of=date(2028, 1, 20), page=Page(1, 2),
        only="member-training",
    )  # fmt: skip
    assert paged.periods[0].failing == ended.failing[1:3]
    assert paged.periods[0].failing_total == len(ended.failing) >= 3
    assert paged.periods[0].made_good_on == ended.made_good_on


def test_an_empty_community_has_nothing_to_list_and_no_member_light(services: Services) -> None:
    results = by_id(
        evaluate(services.store, plan(), launch=LAUNCH, as_of=date(2026, 12, 31),
                 communities=[EMPTY], page=Page(0, 5))
    )  # fmt: skip
    assert (results["cards"].status, results["cards"].failing_total) == ("no_data", 0)
    assert results["member-training"].failing == []


# -- over HTTP ------------------------------------------------------------------------------


@pytest.fixture
def client(services: Services) -> Iterator[tuple[TestClient, dict[str, str]]]:
    token, _ = services.access.issue_token(role="county", scope_org_id=None, label="县", actor="t")
    with TestClient(create_app(services.settings, application=services.app)) as api:
        yield api, {"Authorization": f"Bearer {token}"}


PROGRESS = f"/api/v1/campaigns/{CAMPAIGN}/progress"


def test_progress_lists_the_first_page_of_each_target_with_its_total_and_pages_on(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    api, auth = client
    day = {"as_of": "2027-01-15"}
    whole = api.get(PROGRESS, params=day, headers=auth).json()
    cards = next(t for t in whole["targets"] if t["id"] == "cards")
    assert (cards["failing_total"], len(cards["failing"]), cards["failing_count_zh"]) == (6, 6, "6人")
    first = api.get(PROGRESS, params=day | {"failing_limit": 2}, headers=auth).json()
    for target, full in zip(first["targets"], whole["targets"], strict=True):
        assert target["failing"] == full["failing"][:2]
        assert target["failing_total"] == full["failing_total"] == len(full["failing"])
        assert target["failing_count_zh"] == full["failing_count_zh"]
    pages = [
        api.get(f"{PROGRESS}/cards/failing", params=day | {"offset": o, "limit": 4},
                headers=auth).json()
        for o in (0, 4, 8)
    ]  # fmt: skip
    assert [(p["offset"], p["limit"], p["total"]) for p in pages] == [(0, 4, 6), (4, 4, 6), (8, 4, 6)]
    assert [f for p in pages for f in p["failing"]] == cards["failing"]
    ended = api.get(
        f"{PROGRESS}/member-training/failing",
        params={"as_of": "2028-01-20", "period": "ended", "offset": 1, "limit": 1}, headers=auth,
    ).json()  # fmt: skip
    year = next(
        t for t in api.get(PROGRESS, params={"as_of": "2028-01-20"}, headers=auth).json()["targets"]
        if t["id"] == "member-training"
    )["periods"][0]
    assert (ended["failing"], ended["total"]) == (year["failing"][1:2], year["failing_total"])


def test_a_scorecard_pages_its_own_failing_members(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    api, auth = client
    day = {"as_of": "2027-01-15", "campaign_id": str(CAMPAIGN)}
    card = api.get(f"/api/v1/communities/{B}/scorecard", params=day, headers=auth).json()
    cards = next(t for t in card["targets"] if t["id"] == "cards")
    assert cards["failing_total"] == 3  # m4, m5, m6 (m7 left)
    pages = [
        api.get(f"/api/v1/communities/{B}/scorecard/cards/failing",
                params=day | {"offset": o, "limit": 2}, headers=auth).json()
        for o in (0, 2)
    ]  # fmt: skip
    assert [p["total"] for p in pages] == [3, 3]
    assert [f for p in pages for f in p["failing"]] == cards["failing"]
    gone = api.get(f"/api/v1/communities/{B}/scorecard/no-such-target/failing", headers=auth)
    assert gone.status_code == 404


def test_spreadsheets_list_every_failing_unit_whatever_the_page(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    api, auth = client
    got = api.get(PROGRESS, params={"as_of": "2027-01-15", "format": "csv", "failing_limit": 1},
                  headers=auth)  # fmt: skip
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    cards = next(r for r in rows if r[1:] and r[8] == "6人")
    assert cards[9].count("；") == 5  # six units named


@pytest.mark.parametrize(
    ("path", "params", "fields"),
    [
        ("", {"failing_limit": -1}, ["failing_limit"]),
        ("", {"failing_limit": 1001}, ["failing_limit"]),
        ("/cards/failing", {"offset": -1, "limit": 0}, ["offset", "limit"]),
        ("/cards/failing", {"limit": 1001, "period": "last"}, ["period", "limit"]),
        ("/cards/failing", {"offset": "many"}, ["offset"]),
        ("/cards/failing", {"offset": 2**63}, ["offset"]),  # beyond the store's integers
    ],
)
def test_bad_page_values_are_refused_field_by_field(
    client: tuple[TestClient, dict[str, str]], path: str, params: dict[str, Any],
    fields: list[str],
) -> None:  # fmt: skip
    api, auth = client
    got = api.get(PROGRESS + path, params=params, headers=auth)
    assert got.status_code == 422, got.text
    assert got.headers["content-type"].startswith("application/problem+json")
    assert sorted(f["field"] for f in got.json()["errors"]) == sorted(fields)


def test_an_unknown_target_or_a_year_it_does_not_have_is_refused(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    api, auth = client
    missing = api.get(f"{PROGRESS}/no-such-target/failing", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["code"] == "target_not_found"
    once = api.get(f"{PROGRESS}/cards/failing", params={"period": "ended"}, headers=auth)
    assert once.status_code == 422
    assert once.json()["code"] == "no_such_period"


def test_a_scorecard_refuses_a_target_it_does_not_show(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    """A street's or the county's target has no page on a community's scorecard: an empty
    page would read as "nobody falls short"."""
    api, auth = client
    got = api.get(f"/api/v1/communities/{B}/scorecard/team-age/failing", headers=auth)
    assert got.status_code == 404
    assert got.json()["code"] == "target_not_on_scorecard"
    assert "社区记分卡不含目标" in got.json()["message_zh"]


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_progress_on_a_day_in_the_first_centuries_answers(
    client: tuple[TestClient, dict[str, str]], services: Services, fmt: str
) -> None:
    """The team-age rule looks 46 years back: from year 1 that was out of the calendar. The
    API refuses a day before the launch on its field (finding 25); the engine still answers."""
    api, auth = client
    got = api.get(PROGRESS, params={"as_of": "0001-01-01", "format": fmt}, headers=auth)
    assert (got.status_code, got.json()["code"]) == (422, "as_of_before_launch"), got.text
    assert got.json()["errors"][0]["field"] == "as_of"
    assert evaluate(services.store, plan(), launch=LAUNCH, as_of=date(1, 1, 1))
