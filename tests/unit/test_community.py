from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from sansan.domain import Community, PartyOrganization
from tests.support import LAUNCH, TODAY, prov, rejects, unchanged, world

FIVE = [
    "leadership_team",
    "cadre_and_member_team",
    "working_mechanism",
    "work_results",
    "public_response",
]


@pytest.fixture
def community() -> Community:
    return world().community


def test_registering_needs_a_street_committee_as_its_street() -> None:
    w = world()
    with rejects("not_a_street_committee"):
        Community.register(prov(), name="新社区", street_committee=w.general_branch, origin="new")


def test_registration_records_who_and_when(community: Community) -> None:
    first = community.collect_events()[0]
    assert type(first).__name__ == "CommunityRegistered"
    assert (first.actor, first.occurred_on) == ("test:county-admin", LAUNCH)
    assert community.began_on == LAUNCH


def test_occurred_on_may_not_be_in_the_future(community: Community) -> None:
    before = unchanged(community)
    with rejects("occurred_in_future"):
        community.hold_culture_festival(prov(TODAY + timedelta(days=1)), title="文化节")
    assert unchanged(community) == before


def test_occurred_on_may_not_precede_the_unit(community: Community) -> None:
    with rejects("occurred_before_start"):
        community.hold_culture_festival(prov(LAUNCH - timedelta(days=1)), title="文化节")


def test_recording_today_is_allowed(community: Community) -> None:
    community.hold_culture_festival(prov(TODAY), title="文化节")
    assert community.festivals_by_year == {"2026": 1}


@pytest.mark.parametrize(("office", "venue"), [(0, 200), (80, -1), (None, None)])
def test_facility_areas_must_be_positive_and_present(
    community: Community, office: float | None, venue: float | None
) -> None:
    before = unchanged(community)
    with rejects("area_implausible|nothing_to_record"):  # was not_positive: now 1 to 100,000 m²
        community.upgrade_facility(prov(), office_area_m2=office, venue_area_m2=venue)
    assert unchanged(community) == before


def test_facility_upgrade_keeps_the_area_not_given(community: Community) -> None:
    community.upgrade_facility(prov(), office_area_m2=85, venue_area_m2=None)
    community.upgrade_facility(prov(), office_area_m2=None, venue_area_m2=210)
    assert (community.office_area_m2, community.venue_area_m2) == (85, 210)


def test_funding_must_be_positive_and_for_last_this_or_next_year(community: Community) -> None:
    with rejects("not_positive"):
        community.allocate_funding(prov(), year=2026, amount_yuan=Decimal(0), source=None)
    for year in (2024, 2028):
        with rejects("year_out_of_range"):
            community.allocate_funding(prov(), year=year, amount_yuan=Decimal(1), source=None)
    community.allocate_funding(prov(), year=2027, amount_yuan=Decimal(1), source=None)  # a budget
    community.allocate_funding(prov(), year=2026, amount_yuan=Decimal("6000.50"), source=None)
    community.allocate_funding(prov(), year=2026, amount_yuan=Decimal("4000"), source="县财政")
    assert community.funding_by_year == {"2026": Decimal("10000.50"), "2027": Decimal(1)}


def test_one_service_station(community: Community) -> None:
    community.establish_service_station(prov(), station_name="服务站")
    with rejects("already_recorded"):
        community.establish_service_station(prov(), station_name="第二服务站")


def test_coordination_body_kinds_are_the_four_and_each_only_once(community: Community) -> None:
    with rejects("not_in_vocabulary"):
        community.establish_coordination_body(prov(), kind="tea_party")
    community.establish_coordination_body(prov(), kind="joint_meeting")
    with rejects("already_recorded"):
        community.establish_coordination_body(prov(), kind="joint_meeting")


def test_a_body_meets_only_once_established_and_not_before(community: Community) -> None:
    with rejects("coordination_body_missing"):
        community.hold_coordination_meeting(prov(), kind="joint_meeting", topic="例会")
    community.establish_coordination_body(prov(date(2026, 4, 1)), kind="joint_meeting")
    with rejects("date_before"):
        community.hold_coordination_meeting(
            prov(date(2026, 3, 31)), kind="joint_meeting", topic="例会"
        )
    community.hold_coordination_meeting(prov(date(2026, 5, 1)), kind="joint_meeting", topic="例会")
    assert community.meetings_by_year == {"2026": {"joint_meeting": 1}}


def test_working_systems_are_the_four_each_once(community: Community) -> None:
    for kind in ("deliberation", "decision", "service", "activity"):
        community.adopt_working_system(prov(), kind=kind, title=kind)
    with rejects("already_recorded"):
        community.adopt_working_system(prov(), kind="decision", title="again")
    assert sorted(community.working_systems) == ["activity", "decision", "deliberation", "service"]


def test_resident_unit_joins_once(community: Community) -> None:
    community.join_resident_unit(prov(), unit_name="供电所")
    with rejects("already_recorded"):
        community.join_resident_unit(prov(), unit_name=" 供电所 ")


def test_empty_text_is_refused(community: Community) -> None:
    with rejects("empty_text"):
        community.recognize_brand(prov(), brand="  ", recognized_by="县委组织部")


def test_culture_items_facilities_troupes_and_ratings(community: Community) -> None:
    community.recognize_brand(prov(), brand="邻里帮", recognized_by="县委组织部")
    community.adopt_culture_identity_item(prov(), item="emblem", content="区徽图案")
    community.open_culture_facility(prov(), kind="library", area_m2=60)
    community.form_troupe(prov(), kind="choir", troupe_name="夕阳红合唱团")
    community.hold_civility_rating(prov(), kind="family", winners=12)
    community.launch_model_service(prov(), kind="relief", description="困难户救助")
    community.draft_creation_plan(prov(), title="铁西社区创建规划")
    community.recommend_to_city(prov(), reason="成效明显")
    assert community.brand == "邻里帮"
    assert community.culture_identity == {"emblem": "区徽图案"}
    assert community.culture_facilities == ["library"]
    assert community.troupes == {"夕阳红合唱团": "choir"}
    assert community.civility_ratings == ["family"]
    assert community.model_services == ["relief"]
    assert community.creation_plan == "铁西社区创建规划"
    assert community.recommended_to_city


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c: c.open_culture_facility(prov(), kind="pool", area_m2=None), "not_in_vocabulary"),
        (lambda c: c.open_culture_facility(prov(), kind="gym", area_m2=0), "not_positive"),
        (lambda c: c.hold_civility_rating(prov(), kind="family", winners=0), "not_positive"),
        (lambda c: c.launch_model_service(prov(), kind="x", description="d"), "not_in_vocabulary"),
        (
            lambda c: c.adopt_culture_identity_item(prov(), item="anthem", content="c"),
            "not_in_vocabulary",
        ),
        (lambda c: c.form_troupe(prov(), kind="opera", troupe_name="t"), "not_in_vocabulary"),
    ],
)
def test_culture_and_service_inputs_are_checked(community: Community, call, code: str) -> None:  # type: ignore[no-untyped-def]
    before = unchanged(community)
    with rejects(code):
        call(community)
    assert unchanged(community) == before


def test_a_troupe_name_and_a_service_and_the_recommendation_are_recorded_once(
    community: Community,
) -> None:
    community.form_troupe(prov(), kind="choir", troupe_name="合唱团")
    community.launch_model_service(prov(), kind="relief", description="d")
    community.recommend_to_city(prov(), reason="r")
    with rejects("already_recorded"):
        community.form_troupe(prov(), kind="yangge", troupe_name="合唱团")
    with rejects("already_recorded"):
        community.launch_model_service(prov(), kind="relief", description="d")
    with rejects("already_recorded"):
        community.recommend_to_city(prov(), reason="r")


def test_worker_insurance_lists_known_insurances(community: Community) -> None:
    worker = uuid4()
    community.add_worker(prov(), worker_id=worker, worker_name="李娜", role="社区专职工作者")
    with rejects("nothing_to_record"):
        community.record_worker_insurance(prov(), worker_id=worker, insurances=[])
    with rejects("not_in_vocabulary"):
        community.record_worker_insurance(prov(), worker_id=worker, insurances=["car"])
    community.record_worker_insurance(
        prov(), worker_id=worker, insurances=["medical", "pension", "medical"]
    )
    assert community.insured_workers == {str(worker): ["medical", "pension"]}
    event = community.collect_events()[-1]
    assert (event.worker_id, event.worker_name) == (worker, "李娜")


def test_insurance_is_recorded_only_for_a_worker_on_the_roster(community: Community) -> None:
    # (Was recorded by name alone before the roster existed: issue 15, part 3.)
    worker = uuid4()
    with rejects("worker_unknown"):
        community.record_worker_insurance(prov(), worker_id=worker, insurances=["pension"])
    community.add_worker(prov(), worker_id=worker, worker_name="李娜", role="社工")
    with rejects("worker_exists"):
        community.add_worker(prov(), worker_id=worker, worker_name="李娜", role="社工")
    community.remove_worker(prov(), worker_id=worker, reason="调离")
    assert community.workers[str(worker)]["left_on"] == prov().occurred_on
    with rejects("worker_unknown"):
        community.record_worker_insurance(prov(), worker_id=worker, insurances=["pension"])
    with rejects("worker_unknown"):
        community.remove_worker(prov(), worker_id=worker, reason="again")


def test_a_worker_cannot_leave_before_joining(community: Community) -> None:
    worker = uuid4()
    community.add_worker(prov(TODAY), worker_id=worker, worker_name="李娜", role="社工")
    with rejects("date_before"):
        community.remove_worker(prov(TODAY - timedelta(days=1)), worker_id=worker, reason="r")


def test_volunteer_organizations_and_satisfaction_surveys_are_recorded(
    community: Community,
) -> None:
    community.form_volunteer_organization(
        prov(), kind="community_volunteers", organization_name="志愿者协会"
    )
    with rejects("already_recorded"):
        community.form_volunteer_organization(
            prov(), kind="member_volunteer_team", organization_name="志愿者协会"
        )
    with rejects("not_in_vocabulary"):
        community.form_volunteer_organization(prov(), kind="club", organization_name="俱乐部")
    with rejects("out_of_range"):
        community.survey_satisfaction(prov(), respondents=10, satisfied=11)
    with rejects("not_positive"):
        community.survey_satisfaction(prov(), respondents=0, satisfied=0)
    community.survey_satisfaction(prov(), respondents=10, satisfied=9)
    assert community.volunteer_organizations == {"志愿者协会": "community_volunteers"}


def test_five_goods_passes_only_when_all_five_pass(community: Community) -> None:
    items = dict.fromkeys(FIVE, True) | {"work_results": False}
    community.assess_five_goods(prov(TODAY), year=2026, items=items, scores=None)
    assert community.five_goods["2026"]["passed"] is False


def test_five_goods_needs_all_items_valid_scores_and_one_per_year(community: Community) -> None:
    with rejects("nothing_to_record"):
        community.assess_five_goods(prov(), year=2026, items={"work_results": True}, scores=None)
    with rejects("score_out_of_range"):
        community.assess_five_goods(
            prov(), year=2026, items=dict.fromkeys(FIVE, True), scores={"work_results": 101}
        )
    community.assess_five_goods(
        prov(), year=2026, items=dict.fromkeys(FIVE, True), scores={"work_results": 92.5}
    )
    assert community.five_goods["2026"] == {
        "items": dict.fromkeys(FIVE, True),
        "scores": {"work_results": 92.5},
        "passed": True,
    }
    with rejects("already_recorded"):
        community.assess_five_goods(prov(), year=2026, items=dict.fromkeys(FIVE, True), scores=None)


def test_model_type_designation(community: Community) -> None:
    campaign_id = uuid4()
    with rejects("not_in_vocabulary"):
        community.designate_model_type(prov(), model_type="tourist", campaign_id=campaign_id)
    community.designate_model_type(prov(), model_type="service", campaign_id=campaign_id)
    with rejects("already_recorded"):
        community.designate_model_type(prov(), model_type="service", campaign_id=campaign_id)
    community.designate_model_type(prov(), model_type="culture", campaign_id=campaign_id)
    assert community.model_type == "culture"


def test_one_general_branch_per_community() -> None:
    w = world()
    with rejects("general_branch_exists"):
        w.community.attach_general_branch(prov(), organization_id=uuid4())
    with rejects("general_branch_exists"):
        PartyOrganization.establish(
            prov(),
            name="第二党总支",
            level="general_branch",
            parent=w.street,
            community=w.community,
        )


def test_funding_is_not_for_a_year_before_the_community_began(community: Community) -> None:
    assert community.began_on.year == 2026
    before = unchanged(community)
    with rejects("year_before_start"):  # 2025 would fit the date, not the community
        community.allocate_funding(prov(), year=2025, amount_yuan=Decimal(1), source=None)
    assert unchanged(community) == before
