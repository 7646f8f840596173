"""The plan as data: the shipped plan holds every measurable commitment; bad files fail at load."""

import json
import re
from datetime import date

import pytest

from sansan.plans import SHIPPED_PLAN_ID, PlanError, get_plan, parse_plan
from sansan.plans.schema import DueRule

DOMAIN_TABLE = [  # the "measurable commitments" table of DOMAIN.md, row by row
    "network", "team-age", "team-education", "team-training", "new-cadre-training", "systems",
    "cards", "member-training", "co-building", "service-network", "standard-sites-first",
    "standard-sites-all", "funding", "insurance", "model-tiexi", "model-types", "five-goods", "brand",
    "street-five-goods", "street-systems",  # issue 15: the street level (§二, §二(三))
]  # fmt: skip


def shipped() -> dict:  # type: ignore[type-arg]
    plan = get_plan(SHIPPED_PLAN_ID)
    assert plan is not None
    return plan.model_dump(mode="json")


def test_the_shipped_plan_encodes_every_row_of_the_commitments_table() -> None:
    plan = get_plan(SHIPPED_PLAN_ID)
    assert plan is not None
    assert [t.id for t in plan.targets] == DOMAIN_TABLE
    funding = plan.target("funding")
    assert (funding.params["min_yuan"], funding.due.kind, funding.clause) == (
        10000,
        "yearly",
        "§四(二)3",
    )
    sites = plan.target("standard-sites-first")
    assert (sites.threshold, sites.params) == (2, {"office_m2": 80, "venue_m2": 200})
    assert plan.target("five-goods").threshold == 0.9
    assert plan.target("brand").threshold == 0.8
    assert plan.reminder_days == [30, 7, 1]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"kind": "launch_year"}, date(2026, 12, 31)),
        ({"kind": "years_after_launch", "years": 3}, date(2029, 3, 1)),
        ({"kind": "yearly"}, date(2027, 12, 31)),
        ({"kind": "continuous"}, date(2026, 3, 1)),
    ],
)
def test_due_dates_count_from_the_launch(rule: dict, expected: date) -> None:  # type: ignore[type-arg]
    assert DueRule.model_validate(rule).due_on(date(2026, 3, 1), as_of=date(2027, 5, 1)) == expected


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda p: p["targets"][3].update(threshold=-1), "targets.3.threshold"),
        (lambda p: p["targets"][0].update(rule="vibes"), "targets.0.rule"),
        (lambda p: p["targets"][5]["due"].update(kind="someday"), "targets.5.due.kind"),
        (lambda p: p["targets"][1]["due"].pop("years"), "targets.1.due"),
        (lambda p: p["targets"][2].pop("clause"), "targets.2.clause"),
        (lambda p: p["targets"].append(dict(p["targets"][0])), "targets"),
        (lambda p: p.update(surprise=1), "surprise"),
    ],
)
def test_a_bad_plan_fails_at_load_naming_the_field(change, named: str) -> None:  # type: ignore[no-untyped-def]
    data = shipped()
    change(data)
    with pytest.raises(PlanError, match="bad\\.json: .*" + re.escape(named)):
        parse_plan(json.dumps(data), source="bad.json")


def test_a_file_that_is_not_json_names_the_line() -> None:
    with pytest.raises(PlanError, match="not valid JSON at line 2"):
        parse_plan('{"id": "x",\n oops}', source="broken.json")
