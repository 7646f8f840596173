"""The plan as data: the shipped plan holds every measurable commitment; bad files fail at load."""

import json
import re
from datetime import date

import pytest

from sansan.plans import SHIPPED_PLAN_ID, PlanError, get_plan, parse_plan
from sansan.plans.schema import DueRule, Period, Target

DOMAIN_TABLE = [  # the "measurable commitments" table of DOMAIN.md, row by row
    "network", "team-age", "team-education", "team-training", "new-cadre-training", "systems",
    "cards", "member-training", "co-building", "service-network", "standard-sites-first",
    "standard-sites-all", "funding", "insurance", "model-tiexi", "model-types", "five-goods", "brand",
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
        (lambda p: p["targets"][3]["window"].update(kind="whenever"), "targets.3.window.kind"),
        (lambda p: p["targets"][4]["window"].pop("days"), "targets.4.window"),
        (lambda p: p["targets"][3]["window"].update(days=30), "targets.3.window"),
        (lambda p: p["targets"][12]["window"].update(kind="ever"), "targets.12"),  # funding
        (lambda p: p["targets"][5].update(window={"kind": "calendar_year"}), "targets.5"),
        (lambda p: p["targets"][5].update(window={"kind": "since_appointment", "days": 9}), "targets.5"),
        (lambda p: p["targets"][6].update(grace_days=-1), "targets.6.grace_days"),
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


def target(**changes: object) -> Target:
    plan = get_plan(SHIPPED_PLAN_ID)
    assert plan is not None
    return plan.target(str(changes.pop("id"))).model_copy(update=changes)


def test_every_shipped_target_says_which_dates_count() -> None:
    plan = get_plan(SHIPPED_PLAN_ID)
    assert plan is not None
    windows = {t.id: (t.window.kind, t.window.days, t.grace_days) for t in plan.targets}
    assert windows["team-training"] == ("from_launch", None, 180)
    assert windows["new-cadre-training"] == ("since_appointment", 365, None)
    assert windows["cards"] == ("ever", None, 90)
    assert {t.id for t in plan.targets if t.window.kind == "calendar_year"} == {
        "member-training", "co-building", "funding"
    }  # fmt: skip


LAUNCH = date(2026, 3, 1)
ENDS = date(2029, 3, 1)


def test_the_campaign_ends_at_the_launch_plus_the_plan_s_longest_horizon() -> None:
    plan = get_plan(SHIPPED_PLAN_ID)
    assert plan is not None
    assert plan.ends_on(LAUNCH) == ENDS


@pytest.mark.parametrize(
    ("as_of", "ended", "running"),
    [
        (date(2026, 1, 10), None, (2026, LAUNCH)),  # before the launch: the launch year to come
        (date(2026, 12, 31), None, (2026, LAUNCH)),  # the launch year counts from the launch
        (date(2027, 1, 1), (2026, LAUNCH), (2027, date(2027, 1, 1))),
        (date(2027, 1, 15), (2026, LAUNCH), (2027, date(2027, 1, 1))),
        (date(2028, 12, 31), (2027, date(2027, 1, 1)), (2028, date(2028, 1, 1))),
        (date(2029, 6, 1), (2028, date(2028, 1, 1)), (2029, date(2029, 1, 1))),  # the last year
        (date(2030, 1, 15), (2029, date(2029, 1, 1)), None),  # over: no new running year
        (date(2033, 5, 1), (2029, date(2029, 1, 1)), None),
    ],
)
def test_a_yearly_target_judges_the_last_ended_year_and_the_running_one(
    as_of: date, ended: tuple[int, date] | None, running: tuple[int, date] | None
) -> None:
    def period(p: Period | None) -> tuple[int, date] | None:
        if p is None:
            return None
        assert p.end == date(p.year, 12, 31)
        assert p.label_zh == f"{p.year}年"
        return p.year, p.start

    got = target(id="funding").periods(LAUNCH, as_of, ENDS)
    assert (period(got[0]), period(got[1])) == (ended, running)
    assert target(id="cards").periods(LAUNCH, as_of, ENDS) == (None, None)


@pytest.mark.parametrize(
    ("appeared", "own_due"),
    [
        (None, date(2026, 12, 31)),
        (date(2026, 12, 30), date(2026, 12, 31)),  # the day before the due date: none of its own
        (date(2026, 12, 31), date(2026, 12, 31)),  # on the day: still the target's
        (date(2027, 1, 1), date(2027, 4, 1)),  # the day after: 90 days of its own
    ],
)
def test_a_unit_that_appears_after_the_due_date_gets_grace_days_of_its_own(
    appeared: date | None, own_due: date
) -> None:
    cards = target(id="cards")
    assert cards.unit_due_on(date(2026, 12, 31), appeared) == own_due
    assert target(id="cards", grace_days=None).unit_due_on(date(2026, 12, 31), appeared) == date(
        2026, 12, 31
    )


def test_a_new_cadre_is_due_a_window_after_the_appointment_but_not_before_the_target() -> None:
    new = target(id="new-cadre-training")
    due = date(2026, 12, 31)
    assert new.unit_due_on(due, date(2025, 6, 1)) == due  # appointed before: the plan's year
    assert new.unit_due_on(due, date(2026, 3, 1)) == date(2027, 3, 1)
    assert new.unit_due_on(due, date(2026, 6, 1)) == date(2027, 6, 1)
    assert new.unit_due_on(due, date(2028, 2, 29)) == date(2029, 2, 28)


def test_windows_say_from_which_day_facts_count() -> None:
    year = Period(2027, date(2027, 1, 1), date(2027, 12, 31))
    assert target(id="team-training").counts_from(LAUNCH) == LAUNCH
    assert target(id="funding").counts_from(LAUNCH, year) == date(2027, 1, 1)
    assert target(id="systems").counts_from(LAUNCH) is None


@pytest.mark.parametrize(
    ("appeared", "judged"),
    [(date(2026, 10, 2), True), (date(2026, 10, 3), False), (None, True)],
)
def test_a_member_registered_within_the_grace_days_before_new_year_is_judged_from_the_next_year(
    appeared: date | None, judged: bool
) -> None:
    year = Period(2026, LAUNCH, date(2026, 12, 31))  # 31 Dec − 90 days = 2 Oct
    assert target(id="member-training").judged_in(year, appeared) is judged


def test_a_plan_file_without_windows_reads_as_before() -> None:
    data = shipped()
    for t in data["targets"]:
        t.pop("window")
    plan = parse_plan(json.dumps(data))
    assert plan.target("funding").window.kind == "calendar_year"
    assert plan.target("team-training").window.kind == "ever"
