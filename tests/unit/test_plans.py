"""The plan as data: the shipped plan holds every measurable commitment; bad files fail at load."""

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import pytest

from sansan.plans import (
    SHIPPED_PLAN_ID,
    PlanError,
    PlanRegistry,
    canonical_json,
    content_sha256,
    get_plan,
    parse_plan,
)
from sansan.plans.schema import DueRule, Period, Target

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


# -- problems in Chinese and English, by field path ------------------------------------------


def problems_of(data: dict) -> dict[str, tuple[str, str]]:  # type: ignore[type-arg]
    with pytest.raises(PlanError) as caught:
        parse_plan(json.dumps(data), source="bad.json")
    return {p.path: (p.type, p.message_zh) for p in caught.value.problems}


def test_every_problem_of_a_plan_is_named_by_its_path_in_chinese() -> None:
    data = shipped()
    data["targets"][0].pop("clause")  # missing
    data["targets"][1]["colour"] = "red"  # extra forbidden
    data["targets"][2]["threshold"] = "many"  # wrong type
    data["targets"][3]["warning_days"] = 5000  # out of range
    data["targets"][4]["id"] = "Bad Id"  # pattern
    data["targets"][5]["rule"] = "vibes"  # unknown rule
    found = problems_of(data)
    assert found["targets.0.clause"] == ("missing", "缺少必填字段")
    assert found["targets.1.colour"][0] == "extra_forbidden"
    assert found["targets.2.threshold"] == ("float_parsing", "应为数字")
    assert found["targets.3.warning_days"] == ("less_than_equal", "取值超出范围：须不大于 3650")
    assert found["targets.4.id"][0] == "string_pattern_mismatch"
    assert found["targets.4.id"][1].startswith("格式不符合要求")
    assert found["targets.5.rule"][0] == "unknown_rule"
    assert "未知的规则“vibes”" in found["targets.5.rule"][1]
    assert len(found) == 6


def test_a_target_id_used_twice_is_named() -> None:
    data = shipped()
    data["targets"].append(dict(data["targets"][0]))
    assert problems_of(data)["targets"] == ("duplicate_target_id", "目标编号重复：network")


def test_a_json_syntax_error_names_its_line_and_column() -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan('{"id": "x",\n  oops}', source="broken.json")
    [problem] = caught.value.problems
    assert problem.type == "json_invalid"
    assert "第 2 行第 3 列" in problem.message_zh
    assert "line 2, column 3" in problem.message_en


# -- the registry: shipped plans and a directory's -------------------------------------------


def write_plan(directory: Path, name: str, **changes: object) -> Path:
    data = shipped() | changes
    path = directory / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_registry_reads_the_directory_besides_the_shipped_plans(tmp_path: Path) -> None:
    write_plan(tmp_path, "other.json", id="other-county", title_zh="外县方案")
    (tmp_path / "notes.txt").write_text("not a plan", encoding="utf-8")
    plans = PlanRegistry.load(tmp_path)
    assert plans.ids() == ["other-county", "sansan-v1"]
    other = plans.get("other-county")
    assert other is not None
    assert other.source == str(tmp_path / "other.json")
    assert other.sha256 == content_sha256(other.content)
    assert other.content == other.plan.model_dump(mode="json")
    assert PlanRegistry.load(None).ids() == ["sansan-v1"]


def test_the_hash_is_of_the_canonical_json_of_the_content() -> None:
    content = {"b": [1, 2.5], "a": "三三"}
    text = '{"a":"三三","b":[1,2.5]}'
    assert canonical_json(content) == text
    assert content_sha256(content) == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("clash", ["sansan-v1", "twice"])
def test_a_plan_id_taken_twice_stops_the_registry(tmp_path: Path, clash: str) -> None:
    write_plan(tmp_path, "a.json", id="twice")
    write_plan(tmp_path, "b.json", id=clash)
    with pytest.raises(PlanError) as caught:
        PlanRegistry.load(tmp_path)
    [problem] = caught.value.problems
    assert problem.type == "duplicate_plan_id"
    assert f"方案编号“{clash}”重复" in problem.message_zh


def test_an_invalid_file_is_kept_aside_with_its_problems(tmp_path: Path) -> None:
    write_plan(tmp_path, "bad.json", id="bad-plan", reminder_days="soon")
    plans = PlanRegistry.load(tmp_path)
    assert plans.get("bad-plan") is None
    broken = plans.broken("bad-plan")
    assert broken is not None
    assert [p.path for p in broken.problems] == ["reminder_days"]


def test_a_plans_directory_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="does not exist"):
        PlanRegistry.load(tmp_path / "missing")


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
