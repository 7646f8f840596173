"""Many rows on one unit, on both stores: the work a row costs does not grow with the rows
the unit already took from the file, and a fact the file repeats is still recorded once."""

import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import pytest

from sansan.application import SansanApplication
from sansan.bootstrap import build_read_store
from sansan.domain import Member
from sansan.imports import Importer, Limits
from sansan.imports.kinds import MEMBER, derived_id
from sansan.projections.runner import ProjectionRunner
from sansan.projections.store import ReadStore
from sansan.settings import Settings
from tests.integration.test_imports import filled, new_county

BRANCH = "新区一社区第一党支部"
HEADER = "党员所在党组织*,党员姓名*,培训天数*,培训方式*,主题*,发生日期*"


@pytest.fixture
def store(app: SansanApplication, settings: Settings) -> Iterator[ReadStore]:
    """A county with one member, 党员0000, found by name in the read models."""
    opened = build_read_store(settings)
    county = {**new_county(1), "member_trainings": []}
    done = Importer(app, opened, actor="cli:admin").run(filled(county), "c.xlsx")
    assert done.saved, done.problems
    ProjectionRunner(app, opened).catch_up()
    yield opened
    opened.close()


def trainings(topics: list[str]) -> bytes:
    """A CSV of trainings of the one member, all on one day (the day every row after the
    first finds facts of already)."""
    rows = [f"{BRANCH},党员0000,1,课堂讲课,{topic},2026/05/10" for topic in topics]
    return "\r\n".join([HEADER, *rows, ""]).encode()


def python_calls(run: Callable[[], Any]) -> int:
    """How many Python functions ``run`` calls: the work it does, on any machine."""
    calls = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    previous = sys.getprofile()
    sys.setprofile(count)
    try:
        run()
    finally:
        sys.setprofile(previous)
    return calls


def test_the_work_of_a_row_does_not_grow_with_the_rows_its_unit_took_before_it(
    app: SansanApplication, store: ReadStore
) -> None:
    # one batch and one read-ahead for the whole file: what a row costs is all that differs
    limits = Limits(batch_rows=1000, read_ahead=1000)
    calls = {}
    for rows in (100, 400):
        data = trainings([f"主题{i:04d}" for i in range(rows)])
        importer = Importer(app, store, actor="cli:admin", limits=limits)
        report = importer.run(data, "t.csv", dry_run=True)  # warmed up: caches filled
        assert report.recorded == {"member_trainings": rows}, report.problems
        importer = Importer(app, store, actor="cli:admin", limits=limits)
        calls[rows] = python_calls(lambda: importer.run(data, "t.csv", dry_run=True))  # noqa: B023
    # four times the rows, four times the work (and a little slack); a row that copied or
    # scanned what the unit took before it makes this some thirteen times
    assert calls[400] <= 5 * calls[100], calls


def test_a_fact_the_file_repeats_among_others_on_its_day_is_recorded_once_in_order(
    app: SansanApplication, store: ReadStore
) -> None:
    topics = ["甲", "乙", "甲", "丙", "乙", "丁"]
    report = Importer(app, store, actor="cli:admin").run(trainings(topics), "t.csv")
    assert report.saved, report.problems
    assert report.recorded == {"member_trainings": 4}
    assert report.skipped == {"member_trainings": 2}
    member_id = derived_id(MEMBER, "党员0000", derived_id("organization", BRANCH, None))
    recorded = [e for e in app.history(member_id) if e.type == "TrainingCompleted"]
    assert [e.data["topic"] for e in recorded] == ["甲", "乙", "丙", "丁"]
    assert [e.version for e in recorded] == [2, 3, 4, 5]
    assert app.get(member_id, Member).training_days_by_year == {"2026": 4.0}
