"""Issue 15's domain rules: birth dates, the pilot designation, street records, recruiting,
and the events that older code stored without the fields added since (read through upcasters)."""

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from sansan.application import SansanApplication
from sansan.clock import FixedClock
from sansan.domain import CreationCampaign, Member, PartyOrganization
from sansan.internal_ids import InternalIds
from tests.support import LAUNCH, NOW, TODAY, prov, rejects, unchanged, world
from tests.unit.test_upcasting import _stored_as_version_1

FIVE = ["leadership_team", "cadre_and_member_team", "working_mechanism", "work_results",
        "public_response"]  # fmt: skip


def add(org: PartyOrganization, **birth: Any) -> dict[str, Any]:
    member_id = uuid4()
    org.add_team_member(
        prov(), team_member_id=member_id, person_name="刘敏", education="bachelor",
        party_affairs_worker=False, cross_appointed=False, newly_appointed=False,
        **{"birth_year": None} | birth,
    )  # fmt: skip
    return org.team[str(member_id)]


def test_a_team_member_needs_a_birth_year_or_a_birth_date() -> None:
    gb = world().general_branch
    with rejects("nothing_to_record"):
        add(gb)
    assert add(gb, birth_year=1985)["birth_date"] is None
    full = add(gb, birth_date=date(1985, 6, 1))
    assert (full["birth_year"], full["birth_date"]) == (1985, date(1985, 6, 1))
    both = add(gb, birth_year=1985, birth_date=date(1985, 6, 1))
    assert both["birth_year"] == 1985


def test_a_birth_date_may_not_be_in_the_future_nor_disagree_with_the_birth_year() -> None:
    gb = world().general_branch
    before = unchanged(gb)
    with rejects("birth_date_in_future"):
        add(gb, birth_date=TODAY + timedelta(days=1))
    with rejects("birth_year_mismatch"):
        add(gb, birth_year=1984, birth_date=date(1985, 6, 1))
    with rejects("out_of_range"):  # a child is no cadre
        add(gb, birth_date=TODAY - timedelta(days=365))
    assert unchanged(gb) == before


def test_a_member_may_have_a_birth_date_checked_the_same_way() -> None:
    w = world()
    m = Member.register(prov(), name="王", category="direct", organization=w.branch,
                        birth_year=None, workplace=None, birth_date=date(1970, 2, 3))  # fmt: skip
    assert (m.birth_year, m.birth_date) == (1970, date(1970, 2, 3))
    with rejects("birth_year_mismatch"):
        Member.register(prov(), name="王", category="direct", organization=w.branch,
                        birth_year=1971, workplace=None, birth_date=date(1970, 2, 3))  # fmt: skip
    assert Member.register(prov(), name="李", category="direct", organization=w.branch,
                           birth_year=None, workplace=None).birth_date is None  # fmt: skip


def test_the_pilot_is_designated_once_per_community() -> None:
    campaign = CreationCampaign.launch(
        prov(), name="三三创建", plan_id="sansan-v1", county="县", plan={"id": "sansan-v1"},
        plan_sha256="a" * 64,
    )
    a, b = uuid4(), uuid4()
    campaign.designate_pilot_community(prov(), community_id=a)
    assert campaign.pilot_community_id == a
    with rejects("already_recorded"):
        campaign.designate_pilot_community(prov(), community_id=a)
    campaign.designate_pilot_community(prov(), community_id=b)  # the county changes its mind
    assert campaign.pilot_community_id == b


def test_only_a_street_committee_records_street_five_goods_and_systems() -> None:
    w = world()
    with rejects("street_level_only"):
        w.general_branch.assess_street_five_goods(
            prov(TODAY), year=2026, items=dict.fromkeys(FIVE, True)
        )
    with rejects("street_level_only"):
        w.general_branch.adopt_street_working_system(prov(), kind="decision", title="t")
    w.street.assess_street_five_goods(
        prov(TODAY), year=2026, items=dict.fromkeys(FIVE, True) | {"work_results": False}
    )
    assert w.street.collect_events()[-1].passed is False
    with rejects("already_recorded"):
        w.street.assess_street_five_goods(prov(TODAY), year=2026, items=dict.fromkeys(FIVE, True))
    with rejects("nothing_to_record"):
        w.street.assess_street_five_goods(prov(TODAY), year=2025, items={"work_results": True})
    w.street.adopt_street_working_system(prov(), kind="decision", title="决策制度")
    with rejects("already_recorded"):
        w.street.adopt_street_working_system(prov(), kind="decision", title="again")


def test_member_development_steps_are_recorded_by_stage() -> None:
    gb = world().general_branch
    gb.record_member_development(prov(), person_name="陈晨", stage="activist")
    assert gb.collect_events()[-1].stage == "activist"
    with rejects("not_in_vocabulary"):
        gb.record_member_development(prov(), person_name="陈晨", stage="hopeful")


# -- events stored by older code ----------------------------------------------------------


def _app() -> SansanApplication:
    return SansanApplication(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, FixedClock(NOW), InternalIds(b"test")
    )


def test_insurance_recorded_by_worker_name_only_is_still_read() -> None:
    app = _app()
    w = world()
    app.save(w.street, w.community)
    worker = uuid4()
    w.community.add_worker(prov(), worker_id=worker, worker_name="李娜", role="社工")
    w.community.record_worker_insurance(prov(), worker_id=worker, insurances=["medical", "pension"])
    joined, insured = w.community.collect_events()
    app.recorder.insert_events(
        [app.mapper.to_stored_event(joined), _stored_as_version_1(app, insured, ("worker_id",))]
    )
    assert app.get(w.community.id).insured_workers == {"李娜": ["medical", "pension"]}  # by name
    assert app.history(w.community.id)[-1].data["worker_id"] is None


def test_team_members_and_members_stored_without_birth_dates_are_still_read() -> None:
    app = _app()
    w = world()
    app.save(w.street, w.community, w.general_branch)
    member_id = uuid4()
    w.general_branch.add_team_member(
        prov(), team_member_id=member_id, person_name="刘敏", birth_year=1985,
        education="bachelor", party_affairs_worker=False, cross_appointed=False,
        newly_appointed=False,
    )  # fmt: skip
    (joined,) = w.general_branch.collect_events()
    app.recorder.insert_events([_stored_as_version_1(app, joined, ("birth_date",))])
    person = app.get(w.general_branch.id).team[str(member_id)]
    assert (person["birth_year"], person["birth_date"]) == (1985, None)

    registered = w.member.collect_events()[0]
    app.recorder.insert_events([_stored_as_version_1(app, registered, ("birth_date",))])
    member = app.get(w.member.id)
    assert (member.birth_year, member.birth_date, member.began_on) == (1980, None, LAUNCH)


def test_a_street_plan_resident_code_and_publicity_are_recorded_where_they_belong() -> None:
    w = world()
    with rejects("street_level_only"):
        w.general_branch.draft_street_creation_plan(prov(), title="规划")
    w.street.draft_street_creation_plan(prov(), title="城关街道创建规划")
    assert w.street.collect_events()[-1].title == "城关街道创建规划"
    with rejects("empty_text"):
        w.community.adopt_resident_code(prov(), title="  ")
    w.community.adopt_resident_code(prov(), title="居民公约")
    campaign = CreationCampaign.launch(
        prov(), name="三三创建", plan_id="sansan-v1", county="县", plan={"id": "sansan-v1"},
        plan_sha256="a" * 64,
    )
    with rejects("empty_text"):
        campaign.report_publicity(prov(), outlet=" ", title="t", community_ids=[])
    campaign.report_publicity(prov(), outlet="县电视台", title="邻里帮", community_ids=[w.community.id])
    assert campaign.collect_events()[-1].community_ids == [w.community.id]
