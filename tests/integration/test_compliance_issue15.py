"""Issue 15's rules at their boundaries, on both stores: ages counted as the plan writes them
(以下 includes the number), the roster of community workers on the day, the designated pilot,
the street committees' five goods and systems, and civility ratings for culture communities."""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
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
from sansan.commands import organization as oc
from sansan.plans import get_plan
from sansan.projections.compliance import TargetResult, evaluate
from sansan.settings import Settings

LAUNCH = date(2026, 3, 1)
FIVE = ["leadership_team", "cadre_and_member_team", "working_mechanism", "work_results",
        "public_response"]  # fmt: skip


def i(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"issue15-test:{name}")


CAMPAIGN, STREET, STREET2 = i("campaign"), i("street"), i("street2")
A, B, C = i("A"), i("B"), i("C")
GB = {A: i("gbA"), B: i("gbB"), C: i("gbC")}


def base() -> Iterator[Command]:
    yield cc.LaunchCampaign(
        id=CAMPAIGN, occurred_on=LAUNCH, name="三三创建", plan_id="sansan-v1", county="测试县"
    )
    for sid, name in ((STREET, "甲街道党工委"), (STREET2, "乙街道党工委")):
        yield oc.EstablishPartyOrganization(
            id=sid, occurred_on=LAUNCH, name=name, level="street_committee"
        )
    for cid, name, sid in ((A, "铁西社区", STREET), (B, "乙社区", STREET), (C, "丙社区", STREET2)):
        yield co.RegisterCommunity(id=cid, occurred_on=LAUNCH, name=name, street_committee_id=sid)
        yield oc.EstablishPartyOrganization(
            id=GB[cid], occurred_on=LAUNCH, name=f"{name}党总支", level="general_branch",
            parent_id=sid, community_id=cid,
        )  # fmt: skip


Record = Callable[..., None]


@pytest.fixture
def services(app: SansanApplication, settings: Settings, clock: FixedClock) -> Iterator[Services]:
    clock.set(datetime(2028, 2, 1, tzinfo=UTC))  # everything below has happened
    for command in base():
        app.execute(command, actor="test")
    built = build_services(settings, clock, app)
    built.projections.catch_up()
    yield built
    built.store.close()


@pytest.fixture
def record(services: Services) -> Record:
    def run(*commands: Command) -> None:
        for command in commands:
            services.app.execute(command, actor="test")
        services.projections.catch_up()

    return run


def result(
    services: Services, target: str, as_of: date, communities: list[UUID] | None = None
) -> TargetResult:
    plan = get_plan("sansan-v1")
    assert plan is not None
    found = evaluate(services.store, plan, launch=LAUNCH, as_of=as_of, communities=communities)
    return next(r for r in found if r.id == target)


def cadre(key: str, cid: UUID, **birth: Any) -> Command:
    return oc.AddTeamMember(
        organization_id=GB[cid], occurred_on=LAUNCH, team_member_id=i(key), person_name=key,
        education="bachelor", **birth,
    )  # fmt: skip


# -- 45岁以下 ---------------------------------------------------------------------------------


def test_a_cadre_counts_as_45_or_under_until_the_day_before_the_46th_birthday(
    services: Services, record: Record
) -> None:
    record(cadre("turns-46", A, birth_date=date(1980, 6, 15)))
    under = {
        day: result(services, "team-age", day).measured_text
        for day in (date(2026, 6, 14), date(2026, 6, 15), date(2026, 6, 16))
    }
    assert under == {
        date(2026, 6, 14): "100%（1/1人）",  # 45, the day before the 46th birthday
        date(2026, 6, 15): "0%（0/1人）",
        date(2026, 6, 16): "0%（0/1人）",
    }


def test_a_cadre_of_exactly_45_counts_on_the_45th_birthday_and_around_it(
    services: Services, record: Record
) -> None:
    record(cadre("turns-45", A, birth_date=date(1981, 6, 15)))
    for day in (date(2026, 6, 14), date(2026, 6, 15), date(2026, 6, 16)):  # 44, 45, 45
        answer = result(services, "team-age", day)
        assert (answer.status, answer.measured_text) == ("green", "100%（1/1人）"), day


def test_ages_from_a_birth_year_only_count_by_the_year_and_the_answer_says_how_many(
    services: Services, record: Record
) -> None:
    record(
        cadre("year-45", A, birth_year=1981),  # 45 in 2026 by the year: counts all year
        cadre("year-46", A, birth_year=1980),
        cadre("dated", B, birth_date=date(1995, 1, 1)),
    )
    for day in (date(2026, 3, 1), date(2026, 12, 31)):
        answer = result(services, "team-age", day)
        assert answer.measured_text == "67%（2/3人）（其中2人仅有出生年份，按年计算）", day
        assert answer.status == "green"  # more than half: 主体
    failing = result(services, "team-age", date(2027, 1, 1))
    assert failing.measured_text == "33%（1/3人）（其中2人仅有出生年份，按年计算）"
    assert [(f.unit_name, f.reason_zh) for f in failing.failing] == [
        ("铁西社区", "45岁以下占比0%（其中2人仅有出生年份，按年计算）")
    ]


def test_exactly_half_is_not_yet_the_main_body(services: Services, record: Record) -> None:
    """主体 reads as more than half: the plan file keeps strictly_above for team-age."""
    record(cadre("young", A, birth_year=1990), cadre("old", A, birth_year=1960))
    assert result(services, "team-age", date(2026, 6, 1)).measured_text.startswith("50%（1/2人）")
    assert result(services, "team-age", date(2026, 6, 1)).failing[0].unit_name == "铁西社区"


# -- 三险 over the roster ---------------------------------------------------------------------


def test_insurance_is_judged_over_the_workers_on_the_roster_on_the_day(
    services: Services, record: Record
) -> None:
    w1, w2 = i("w1"), i("w2")
    record(
        co.AddCommunityWorker(community_id=A, occurred_on=date(2026, 4, 1), worker_id=w1,
                              worker_name="王社工", role="专职"),
        co.RecordWorkerInsurance(community_id=A, occurred_on=date(2026, 5, 1), worker_id=w1,
                                 insurances=["pension", "medical"]),
        co.RecordWorkerInsurance(community_id=A, occurred_on=date(2026, 5, 10), worker_id=w1,
                                 insurances=["pension", "medical", "unemployment"]),
        co.AddCommunityWorker(community_id=B, occurred_on=date(2026, 6, 1), worker_id=w2,
                              worker_name="李社工", role="兼职"),
        co.RemoveCommunityWorker(community_id=A, occurred_on=date(2026, 9, 1), worker_id=w1,
                                 reason="调离"),
    )

    def seen(day: date) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        answer = result(services, "insurance", day)
        return answer.passing, [(f.unit_name, f.reason_zh) for f in answer.failing]

    assert seen(date(2026, 3, 31)) == ([], [])  # nobody on the roster: nothing to judge
    assert seen(date(2026, 4, 1)) == ([], [("王社工（铁西社区）", "尚未登记“三险”")])
    assert seen(date(2026, 5, 1)) == ([], [("王社工（铁西社区）", "已落实2/3险")])
    assert seen(date(2026, 5, 10)) == ([(str(w1), "王社工（铁西社区）")], [])
    assert seen(date(2026, 5, 31)) == ([(str(w1), "王社工（铁西社区）")], [])
    assert seen(date(2026, 6, 1)) == (
        [(str(w1), "王社工（铁西社区）")], [("李社工（乙社区）", "尚未登记“三险”")]
    )  # fmt: skip
    assert seen(date(2026, 8, 31))[0] == [(str(w1), "王社工（铁西社区）")]  # still on the roster
    assert seen(date(2026, 9, 1)) == ([], [("李社工（乙社区）", "尚未登记“三险”")])  # left that day


# -- the pilot ----------------------------------------------------------------------------------


def pilot_complete(cid: UUID) -> list[Command]:
    on = date(2026, 6, 1)
    return [
        co.UpgradeFacility(community_id=cid, occurred_on=on, office_area_m2=80, venue_area_m2=200),
        co.RecommendToCity(community_id=cid, occurred_on=on, reason="示范"),
        *[co.LaunchModelService(community_id=cid, occurred_on=on, kind=k, description=k)
          for k in ("convenience", "relief", "reemployment")],
    ]  # fmt: skip


def test_without_a_designated_pilot_nobody_is_judged_even_the_community_the_plan_names(
    services: Services, record: Record
) -> None:
    record(*pilot_complete(A))
    answer = result(services, "model-tiexi", date(2026, 7, 1))
    assert (answer.passing, answer.failing) == ([], [])


def test_the_designated_pilot_is_judged_on_site_services_recommendation_and_brand(
    services: Services, record: Record
) -> None:
    record(*pilot_complete(A), *pilot_complete(B))
    record(cc.DesignatePilotCommunity(campaign_id=CAMPAIGN, occurred_on=date(2026, 3, 5),
                                      community_id=B))  # fmt: skip
    before = result(services, "model-tiexi", date(2026, 3, 4))
    assert (before.passing, before.failing) == ([], [])
    early = result(services, "model-tiexi", date(2026, 3, 5))
    assert [(f.unit_name, f.reason_zh) for f in early.failing] == [(
        "乙社区", "未记录阵地面积；服务项目0/3；尚未向市委组织部推荐；尚无认定的特色和品牌",
    )]  # fmt: skip
    no_brand = result(services, "model-tiexi", date(2026, 7, 1))
    assert [(f.unit_name, f.reason_zh) for f in no_brand.failing] == [
        ("乙社区", "尚无认定的特色和品牌")
    ]
    assert no_brand.passing == []  # 铁西社区 is not the pilot: not listed at all
    record(co.RecognizeFeatureBrand(community_id=B, occurred_on=date(2026, 8, 1), brand="乙品牌",
                                    recognized_by="县委组织部"))  # fmt: skip
    done = result(services, "model-tiexi", date(2026, 8, 1))
    assert (done.status, done.measured_text, done.passing) == ("green", "1/1个社区", [(str(B), "乙社区")])
    # another community's view does not show the pilot at all: the target is not its own
    plan = get_plan("sansan-v1")
    assert plan is not None
    other = evaluate(services.store, plan, launch=LAUNCH, as_of=date(2026, 8, 1), communities=[A])
    assert "model-tiexi" not in {r.id for r in other}


def test_designating_an_unknown_community_as_pilot_is_refused_county_only(
    services: Services,
) -> None:
    token, _ = services.access.issue_token(role="county", scope_org_id=None, label="县", actor="t")
    street, _ = services.access.issue_token(role="street", scope_org_id=STREET, label="街",
                                            actor="t")  # fmt: skip
    client = TestClient(create_app(services.settings, application=services.app))
    path = f"/api/v1/campaigns/{CAMPAIGN}/pilot-community"
    body = {"occurred_on": "2026-03-05", "community_id": str(i("nowhere"))}
    before = services.app.recorder.max_notification_id()
    refused = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid_reference"
    body["community_id"] = str(A)
    assert client.post(path, json=body, headers={"Authorization": f"Bearer {street}"}).status_code == 403
    assert services.app.recorder.max_notification_id() == before
    ok = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200, ok.text
    services.projections.catch_up()
    progress = client.get(f"/api/v1/campaigns/{CAMPAIGN}/progress", params={"as_of": "2026-03-05"},
                          headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
    pilot = next(t for t in progress["targets"] if t["id"] == "model-tiexi")
    assert [f["unit_name"] for f in pilot["failing"]] == ["铁西社区"]


# -- streets ------------------------------------------------------------------------------------


def test_street_committees_are_judged_on_their_own_five_goods_and_systems(
    services: Services, record: Record
) -> None:
    record(
        oc.AssessStreetFiveGoods(organization_id=STREET, occurred_on=date(2026, 12, 20), year=2026,
                                 items=dict.fromkeys(FIVE, True)),
        oc.AssessStreetFiveGoods(organization_id=STREET2, occurred_on=date(2026, 12, 20),
                                 year=2026, items=dict.fromkeys(FIVE, True) | {"work_results": False}),
        oc.AssessStreetFiveGoods(organization_id=STREET, occurred_on=date(2027, 12, 20), year=2027,
                                 items=dict.fromkeys(FIVE, True) | {"public_response": False}),
        *[oc.AdoptStreetWorkingSystem(organization_id=STREET, occurred_on=date(2026, 5, 1 + n),
                                      kind=k, title=k)
          for n, k in enumerate(("deliberation", "decision", "service", "activity"))],
        oc.AdoptStreetWorkingSystem(organization_id=STREET2, occurred_on=date(2026, 5, 1),
                                    kind="decision", title="决策"),
    )

    def five(day: date) -> list[tuple[str, str | None]]:
        answer = result(services, "street-five-goods", day)
        return sorted([(n, None) for _, n in answer.passing] +
                      [(f.unit_name, f.reason_zh) for f in answer.failing])  # fmt: skip

    assert five(date(2026, 12, 19)) == [("乙街道党工委", "尚未评定“五个好”"),
                                        ("甲街道党工委", "尚未评定“五个好”")]  # fmt: skip
    assert five(date(2026, 12, 20)) == [("乙街道党工委", "2026年度评定未达到“五个好”"),
                                        ("甲街道党工委", None)]  # fmt: skip
    assert five(date(2027, 12, 20))[1] == ("甲街道党工委", "2027年度评定未达到“五个好”")
    systems = result(services, "street-systems", date(2026, 5, 3))
    assert [(f.unit_name, f.reason_zh) for f in systems.failing] == [
        ("乙街道党工委", "已建立1/4项工作制度"), ("甲街道党工委", "已建立3/4项工作制度")
    ]  # fmt: skip
    assert result(services, "street-systems", date(2026, 5, 4)).measured_text == "1/2个街道"
    # one community's view shows its own street only
    scoped = result(services, "street-systems", date(2026, 5, 4), communities=[C])
    assert (scoped.measured_text, [f.unit_name for f in scoped.failing]) == ("0/1个街道", ["乙街道党工委"])


# -- civility ratings, for culture communities -------------------------------------------------


def test_a_culture_community_needs_the_three_civility_ratings(
    services: Services, record: Record
) -> None:
    on = date(2026, 5, 1)
    record(
        cc.DesignateModelCommunity(campaign_id=CAMPAIGN, occurred_on=on, community_id=C,
                                   model_type="culture"),
        *[co.AdoptCultureIdentityItem(community_id=C, occurred_on=on, item=k, content=k)
          for k in ("emblem", "song", "flag", "goal", "spirit", "philosophy")],
        *[co.OpenCultureFacility(community_id=C, occurred_on=on, kind=k, area_m2=None)
          for k in ("activity_room", "gym", "library")],
        co.FormTroupe(community_id=C, occurred_on=on, kind="choir", troupe_name="合唱团"),
        co.HoldCultureFestival(community_id=C, occurred_on=on, title="文化节"),
        co.HoldCivilityRating(community_id=C, occurred_on=on, kind="family", winners=3),
        co.HoldCivilityRating(community_id=C, occurred_on=on, kind="family", winners=2),
        co.HoldCivilityRating(community_id=C, occurred_on=on, kind="building", winners=2),
        co.HoldCivilityRating(community_id=C, occurred_on=on + timedelta(days=1),
                              kind="neighborhood", winners=1),
    )  # fmt: skip
    gaps = result(services, "model-types", on)
    assert [(f.unit_name, f.reason_zh) for f in gaps.failing] == [("丙社区", "文明评选2/3")]
    assert result(services, "model-types", on + timedelta(days=1)).failing == []


# -- alerts reach whoever answers for the unit ------------------------------------------------


def test_alerts_for_a_street_go_to_that_street_and_a_rostered_worker_s_to_its_community(
    services: Services, record: Record, clock: FixedClock
) -> None:
    from sansan.workflows.scheduler import Scheduler

    record(co.AddCommunityWorker(community_id=A, occurred_on=date(2026, 4, 1), worker_id=i("w"),
                                 worker_name="王社工", role="专职"))  # fmt: skip
    clock.set(datetime(2029, 3, 2, 4, tzinfo=UTC))  # the three-year targets have fallen due
    Scheduler(services).tick()
    services.projections.catch_up()
    access, client = services.access, TestClient(create_app(services.settings, application=services.app))

    def alerts(role: str, scope: UUID | None) -> set[tuple[str | None, str]]:
        # labels are unique among live tokens: one per role and scope asked
        label = f"{role} {scope}"
        token, _ = access.issue_token(role=role, scope_org_id=scope, label=label, actor="t")
        page = client.get("/api/v1/notifications", params={"kind": "accountability_alert", "limit": 200},
                          headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
        return {(n["target_id"], n["unit_name"]) for n in page["items"]}

    street = alerts("street", STREET)
    # the street's own alert is the street's and the county's to acknowledge, no secretary's
    street_token, _ = access.issue_token(role="street", scope_org_id=STREET, label="s", actor="t")
    auditor, _ = access.issue_token(role="auditor", scope_org_id=None, label="a", actor="t")
    county, _ = access.issue_token(role="county", scope_org_id=None, label="c", actor="t")
    everything = client.get("/api/v1/notifications", params={"kind": "accountability_alert", "limit": 200},
                            headers={"Authorization": f"Bearer {auditor}"}).json()["items"]  # fmt: skip
    (own,) = [n for n in everything if (n["target_id"], n["unit_name"]) == ("street-systems", "甲街道党工委")]
    assert sorted(own["addressees"]) == ["county", "street"]
    for token in (street_token, county):
        acked = client.post(f"/api/v1/notifications/{own['id']}/acknowledgement",
                            headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert acked.status_code == 200, acked.text
    services.projections.catch_up()
    again = client.get("/api/v1/notifications", params={"kind": "accountability_alert", "limit": 200},
                       headers={"Authorization": f"Bearer {auditor}"}).json()["items"]  # fmt: skip
    assert next(n for n in again if n["id"] == own["id"])["acknowledged_at"] is not None
    assert {("street-five-goods", "甲街道党工委"), ("street-systems", "甲街道党工委")} <= street
    assert not {name for _, name in street} & {"乙街道党工委", "丙社区"}  # another street's
    assert ("street-systems", "乙街道党工委") in alerts("street", STREET2)
    assert ("insurance", "王社工（铁西社区）") in alerts("community", GB[A])
    assert ("insurance", "王社工（铁西社区）") not in alerts("community", GB[B])
