"""The deadlines read model: what launching a campaign lays out under its plan."""

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from sansan.application import SansanApplication
from sansan.bootstrap import build_services
from sansan.demo import demo_id
from sansan.plans import get_plan
from sansan.settings import Settings


def test_a_launched_campaign_lays_out_yearly_targets_once_a_year_and_the_others_once(
    app: SansanApplication, settings: Settings, recorded_demo: None
) -> None:
    # recorded_demo: the store starts as a copy of the demo load_demo records (tests/conftest.py),
    # launched 2026-03-01 under sansan-v1, whose horizon is three years
    services = build_services(settings, application=app)
    try:
        services.projections.catch_up()
        with services.store.transaction() as cursor:
            d = cursor.t.deadlines.c
            rows = cursor.execute(
                select(d.target_id, d.due_on).where(
                    d.kind == "target", d.campaign_id == str(demo_id("campaign", "示范县"))
                )
            ).fetchall()
    finally:
        services.store.close()
    due: dict[str, list[str]] = defaultdict(list)
    for target_id, due_on in rows:
        due[target_id].append(str(due_on))
    plan = get_plan("sansan-v1")
    assert plan is not None
    kinds = {target.id: target.due.kind for target in plan.targets}
    yearly = sorted(t for t, kind in kinds.items() if kind == "yearly")
    assert yearly == ["co-building", "funding", "member-training"]
    for target_id in yearly:
        assert sorted(due[target_id]) == [f"{year}-12-31" for year in range(2026, 2030)]
    once = [t for t, kind in kinds.items() if kind not in ("yearly", "continuous")]
    assert {t: len(due[t]) for t in once} == dict.fromkeys(once, 1)
    assert due["standard-sites-first"] == [str(date(2026, 12, 31))]
    assert "network" not in due  # continuous: always due, nothing to remind of
