from uuid import uuid4

import pytest

from sansan.domain import DomainError, PartyOrganization
from tests.support import prov, rejects, unchanged, world


def establish(level: str, parent: PartyOrganization | None, community=None) -> PartyOrganization:  # type: ignore[no-untyped-def]
    return PartyOrganization.establish(
        prov(), name=f"{level} org", level=level, parent=parent, community=community
    )


def test_the_four_level_network_hangs_together() -> None:
    w = world()
    group = establish("building_group", w.branch)
    assert (w.street.community_id, w.general_branch.community_id) == (None, w.community.id)
    assert (w.branch.parent_id, w.branch.community_id) == (w.general_branch.id, w.community.id)
    assert (group.parent_id, group.community_id) == (w.branch.id, w.community.id)


@pytest.mark.parametrize(
    ("level", "parent_name"),
    [
        ("building_group", "general_branch"),
        ("building_group", "street"),
        ("neighborhood_branch", "street"),
        ("neighborhood_branch", "branch"),
        ("general_branch", "general_branch"),
        ("street_committee", "street"),
        ("two_new", "street"),
        ("neighborhood_branch", None),
        ("regional_joint", "branch"),
    ],
)
def test_each_level_has_its_parent_level(level: str, parent_name: str | None) -> None:
    w = world()
    parent = getattr(w, parent_name) if parent_name else None
    with rejects("parent_level_invalid"):
        establish(level, parent, community=w.community if level == "general_branch" else None)


def test_the_message_names_the_levels_in_chinese() -> None:
    w = world()
    with pytest.raises(DomainError) as caught:
        establish("building_group", w.general_branch)
    assert "楼院党小组的上级组织必须是小区党支部" in caught.value.message_zh


def test_other_organizations_hang_under_the_general_branch_or_street() -> None:
    w = world()
    assert establish("two_new", w.general_branch).community_id == w.community.id
    assert establish("resident_unit", w.general_branch).community_id == w.community.id
    assert establish("regional_joint", w.street).community_id is None
    assert establish("regional_joint", w.general_branch).community_id == w.community.id


def test_a_general_branch_needs_its_community_under_the_same_street() -> None:
    w = world()
    other_street = establish("street_committee", None)
    with rejects("nothing_to_record"):
        establish("general_branch", w.street, community=None)
    with rejects("community_street_mismatch"):
        establish("general_branch", other_street, community=w.community)


def test_a_child_may_not_claim_another_community() -> None:
    w, other = world(), world()
    with rejects("parent_in_other_community"):
        establish("neighborhood_branch", w.general_branch, community=other.community)


def test_unknown_level_is_refused() -> None:
    with rejects("not_in_vocabulary"):
        establish("party_committee", None)


def team_member(org: PartyOrganization, newly: bool = False, education: str = "bachelor"):  # type: ignore[no-untyped-def]
    tm = uuid4()
    org.add_team_member(
        prov(),
        team_member_id=tm,
        person_name="刘敏",
        birth_year=1985,
        education=education,
        party_affairs_worker=True,
        cross_appointed=False,
        newly_appointed=newly,
    )
    return tm


def test_team_members_join_train_and_leave() -> None:
    org = world().general_branch
    org.appoint_secretary(prov(), person_name="赵书记", also_director=True, member_id=None)
    tm = team_member(org)
    org.complete_team_training(prov(), team_member_id=tm, days=3, at_county_party_school=False)
    org.complete_team_training(prov(), team_member_id=tm, days=0.5, at_county_party_school=False)
    assert org.team[str(tm)]["training_days"] == 3.5
    assert org.secretary is not None
    assert org.secretary["also_director"] is True
    org.remove_team_member(prov(), team_member_id=tm, reason="调任")
    assert org.team == {}
    with rejects("team_member_unknown"):
        org.complete_team_training(prov(), team_member_id=tm, days=3, at_county_party_school=False)


@pytest.mark.parametrize("days", [0, 0.4, 30.5, -3])
def test_training_days_are_within_half_a_day_and_thirty(days: float) -> None:
    org = world().general_branch
    tm = team_member(org)
    before = unchanged(org)
    with rejects("training_days_out_of_range"):
        org.complete_team_training(
            prov(), team_member_id=tm, days=days, at_county_party_school=False
        )
    assert unchanged(org) == before


@pytest.mark.parametrize(("days", "ok"), [(1.5, False), (2, True), (5, True), (6, False)])
def test_new_team_members_train_two_to_five_days_at_the_party_school(days: float, ok: bool) -> None:
    org = world().general_branch
    tm = team_member(org, newly=True)
    if ok:
        org.complete_team_training(
            prov(), team_member_id=tm, days=days, at_county_party_school=True
        )
        assert org.team[str(tm)]["party_school_days"] == days
    else:
        with rejects("party_school_days_out_of_range"):
            org.complete_team_training(
                prov(), team_member_id=tm, days=days, at_county_party_school=True
            )


def test_team_member_joins_once_with_valid_facts() -> None:
    org = world().general_branch
    tm = team_member(org)
    with rejects("team_member_exists"):
        org.add_team_member(
            prov(), team_member_id=tm, person_name="x", birth_year=1980, education="bachelor",
            party_affairs_worker=False, cross_appointed=False, newly_appointed=False,
        )  # fmt: skip
    with rejects("not_in_vocabulary"):
        team_member(org, education="kindergarten")
    with rejects("out_of_range"):
        org.add_team_member(
            prov(), team_member_id=uuid4(), person_name="x", birth_year=2015, education="bachelor",
            party_affairs_worker=False, cross_appointed=False, newly_appointed=False,
        )  # fmt: skip


def test_weak_team_is_flagged_then_rectified_in_that_order() -> None:
    org = world().general_branch
    with rejects("weak_team_not_flagged"):
        org.rectify_weak_team(prov(), measures="整顿")
    org.flag_weak_team(prov(), reason="班子不团结")
    with rejects("weak_team_already_flagged"):
        org.flag_weak_team(prov(), reason="again")
    org.rectify_weak_team(prov(), measures="调整书记")
    assert org.weak_since is None


@pytest.mark.parametrize(
    ("flagged_by", "may_lift"),
    [("county", {"county"}), ("street", {"county", "street"}), (None, {"county"})],
)
def test_a_weak_team_flag_is_lifted_by_the_level_that_raised_it_or_a_higher_one(
    flagged_by: str | None, may_lift: set[str]
) -> None:
    """Review #2 finding 30. None: a state from before flags remembered their level (an older
    snapshot) reads as the county's, the strictest reading."""
    org = world().general_branch
    org.flag_weak_team(prov(actor=f"{flagged_by or 'street'}:某单位"), reason="班子不团结")
    if flagged_by is None:
        del org.weak_flagged_by
    lifting = {r for r in ("county", "street", "community", "client") if org.weak_rectifiable_by(r)}
    assert lifting == may_lift
    org.rectify_weak_team(prov(), measures="调整书记")
    assert org.weak_flagged_by is None


def test_only_a_street_committee_has_a_street_service_center() -> None:
    w = world()
    with rejects("street_level_only"):
        w.general_branch.establish_street_service_center(prov(), center_name="中心")
    w.street.establish_street_service_center(prov(), center_name="城关街道服务中心")
    with rejects("already_recorded"):
        w.street.establish_street_service_center(prov(), center_name="again")
    assert w.street.street_service_center == "城关街道服务中心"
