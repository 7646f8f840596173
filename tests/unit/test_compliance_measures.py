"""The words a measure is read in, without a database: each unit judged and listed once, and
a figure counted as what it counts."""

from sansan.projections.compliance import counted_zh, each, person


def test_a_unit_found_twice_by_a_rule_is_judged_and_listed_once() -> None:
    twice = ("m1", person("李磊", "铁西社区"), "2026年培训4/6天")
    measure = each([twice, twice, ("m2", person("李磊", "镇郊社区"), None)])
    assert [(f.unit_id, f.unit_name) for f in measure.failing] == [("m1", "李磊（铁西社区）")]
    assert (measure.text, measure.units, measure.hits) == ("1/2", 2, 1)


def test_people_are_counted_as_people_and_a_cadre_share_lists_communities() -> None:
    assert counted_zh("member_training_days") == ("人", "人")
    assert counted_zh("team_share_educated") == ("人", "个社区")
    assert counted_zh("funding_each") == ("个社区", "个社区")
    assert counted_zh("street_working_systems") == ("个街道", "个街道")
