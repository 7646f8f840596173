"""Deadlines fire exactly once: ticked twice, by two schedulers, after a crash, or late."""

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select

from sansan.application import SansanApplication
from sansan.bootstrap import Services, build_application, build_services
from sansan.clock import FixedClock
from sansan.commands import campaign as cc
from sansan.commands import community as co
from sansan.commands import organization as oc
from sansan.commands import supervision as sc
from sansan.demo import COUNTY, demo_id
from sansan.domain import CreationCampaign
from sansan.plans import pinned_plan
from sansan.projections.compliance import evaluate
from sansan.projections.deadlines import VERDICT_KINDS, VERDICT_LEAD
from sansan.projections.rebuild import rebuild
from sansan.settings import Settings
from sansan.workflows.firings import Step
from sansan.workflows.scheduler import Leadership, Scheduler
from tests.conftest import DemoTemplates, drop_schema, require_postgres
from tests.fault.support import wait_for


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, tzinfo=UTC)  # 09:00 in the county


def firings(services: Services) -> list[dict[str, Any]]:
    services.projections.catch_up()
    with services.store.transaction() as cursor:
        audit = cursor.t.audit.c
        rows = cursor.execute(
            select(audit.position, audit.data)
            .where(audit.event_type == "Fired")
            .order_by(audit.position)
        ).fetchall()
    import json

    return [json.loads(data) | {"position": position} for position, data in rows]


@pytest.fixture
def demo(
    app: SansanApplication, settings: Settings, clock: FixedClock, recorded_demo: None
) -> Iterator[Services]:
    # recorded_demo: the store starts as a copy of the demo load_demo records (tests/conftest.py)
    services = build_services(settings, clock, app)
    services.projections.catch_up()
    yield services
    services.store.close()


def test_a_due_step_fires_once_however_often_it_is_ticked(
    demo: Services, clock: FixedClock
) -> None:
    clock.set(at(date(2026, 12, 1)))  # the 30-day reminders of the launch-year targets are due
    scheduler = Scheduler(demo)
    first = scheduler.tick()
    demo.projections.catch_up()
    assert first > 0
    assert scheduler.tick() == 0
    recorded = firings(demo)
    assert len(recorded) == first
    assert {f["kind"] for f in recorded} == {"reminder"}
    assert {f["lead_days"] for f in recorded} == {30}
    assert not any(f["late"] for f in recorded)  # fired on the day they were due
    ids = Counter((f["deadline_id"], f["unit_id"], f["lead_days"]) for f in recorded)
    assert max(ids.values()) == 1


def test_a_unit_that_complied_before_the_reminder_gets_none(
    app: SansanApplication, demo: Services, clock: FixedClock
) -> None:
    zhenxi = demo_id("community", "镇西")  # the demo gave 镇西 no funding for 2026
    clock.set(at(date(2026, 11, 28)))
    app.execute(
        co.AllocateFunding(
            community_id=zhenxi, occurred_on=date(2026, 11, 28), year=2026, amount_yuan=10000
        ),
        actor="t",
    )
    demo.projections.catch_up()
    clock.set(at(date(2026, 12, 1)))
    Scheduler(demo).tick()
    funding = [f for f in firings(demo) if f["target_id"] == "funding"]
    assert {f["unit_name"] for f in funding} == {"镇郊社区"}  # 镇西 complied in time; 镇郊 did not


def test_the_clock_jumping_over_several_deadlines_fires_each_once_in_order_and_late(
    demo: Services, clock: FixedClock
) -> None:
    clock.set(at(date(2027, 1, 3)))  # past the 30-, 7- and 1-day reminders and the due date
    Scheduler(demo).tick()
    recorded = firings(demo)
    funding = [f for f in recorded if f["target_id"] == "funding" and f["unit_name"] == "镇郊社区"]
    # the verdict's step is the day after the due date; the reminders, come after the due
    # date, would say "还有 30 天" of a deadline already missed, so they fire nothing
    assert [(f["kind"], f["lead_days"]) for f in funding] == [("accountability_alert", -1)]
    assert all(f["late"] for f in funding)
    verdicts = Counter(f["kind"] for f in recorded if f["lead_days"] == -1 and f["unit_id"] is None)
    assert verdicts["deadline_met"] + verdicts["deadline_missed"] == 8  # the 2026 deadlines
    met = {
        f["unit_name"]
        for f in recorded
        if f["target_id"] == "funding" and f["kind"] == "deadline_met"
    }
    assert met == {
        "铁西社区",
        "天北社区",
        "天南社区",
        "站前社区",
        "河东社区",
    }  # compliant ones are recorded as met
    alert = next(f for f in recorded if f["kind"] == "accountability_alert")
    assert alert["addressees"] == ["community_secretary", "street", "county"]
    assert alert["message_zh"].startswith("工作迟缓、措施不力")


# China's 30 and 31 December and New Year's Day, each at 00:30 there, still the day before in UTC.
AROUND_THE_DEADLINE = [
    datetime(2026, 12, 29, 16, 30, tzinfo=UTC),
    datetime(2026, 12, 30, 16, 30, tzinfo=UTC),
    datetime(2026, 12, 31, 16, 30, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", AROUND_THE_DEADLINE, ids=["day-before", "deadline", "day-after"])
def test_a_verdict_counts_only_the_units_due_and_names_the_latecomers_who_answer_later(
    demo: Services, clock: FixedClock, moment: datetime
) -> None:
    # 镇西委员3 was appointed on 2026-03-07: the party school is due within a year of that,
    # on 2027-03-07, not by the launch year's 31 December like the other six new cadres.
    clock.set(moment)
    Scheduler(demo).tick()
    today = clock.today()
    verdicts = [
        f["message_zh"] for f in firings(demo)
        if f["target_id"] == "new-cadre-training" and f["unit_id"] is None and f["lead_days"] == -1
    ]  # fmt: skip
    if today <= date(2026, 12, 31):  # the verdict comes the day after the due date, China time
        assert verdicts == []
    else:  # "6/7人" against a 100 % standard read as met: the county signs what it reads
        assert verdicts == [
            "“新任人员党校培训”按期达标：6/6人（另有1人自身期限未到，最早于2027-03-07到期，届时另行判定）"
        ]
    campaign = demo.app.get(demo_id("campaign", COUNTY), CreationCampaign)
    plan = pinned_plan(campaign.plan or {}, campaign.plan_sha256 or "")
    [progress] = evaluate(
        demo.store, plan, launch=campaign.launch_date, as_of=today, only="new-cadre-training"
    )
    assert progress.status == "not_due"
    # never "not due" by a date already past: after 31 December, the latecomer's own date
    assert progress.due_on == (date(2026, 12, 31) if today <= date(2026, 12, 31) else date(2027, 3, 7))
    assert [(f.unit_name, f.due_on) for f in progress.failing] == [("镇西委员3（镇西社区）", date(2027, 3, 7))]


def test_the_verdict_comes_after_the_china_due_day_and_what_is_recorded_on_it_counts(
    app: SansanApplication, demo: Services, clock: FixedClock
) -> None:
    """镇西's three team members had no training; the first is trained at 23:59 on the due
    day, China time (15:59 UTC): the scheduler, ticking all day, judges him on time."""
    scheduler = Scheduler(demo)

    def verdicts() -> dict[str | None, str]:
        return {
            f["unit_name"] if f["unit_id"] else None: f["kind"] for f in firings(demo)
            if f["target_id"] == "team-training" and f["kind"] in VERDICT_KINDS
        }  # fmt: skip

    clock.set(datetime(2026, 12, 30, 16, 0, 30, tzinfo=UTC))  # 00:00:30 on the due day in China
    scheduler.tick()
    assert verdicts() == {}
    clock.set(datetime(2026, 12, 31, 15, 59, tzinfo=UTC))  # 23:59 on the due day in China
    app.execute(
        oc.CompleteTeamTraining(
            organization_id=demo_id("org", "镇西社区党总支"), occurred_on=clock.today(),
            team_member_id=demo_id("team", "镇西-0"), days=3,
        ),
        actor="t",
    )  # fmt: skip
    demo.projections.catch_up()
    scheduler.tick()
    assert verdicts() == {}
    clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 January in China
    scheduler.tick()
    got = verdicts()
    assert got[None] == "deadline_missed"
    assert got["镇西委员1（镇西社区）"] == "deadline_met"  # trained within the due day
    # each met notice names its person, as the alerts do: one 签收 per line, told apart
    (met,) = [
        f for f in firings(demo)
        if f["kind"] == "deadline_met" and f["unit_id"] == str(demo_id("team", "镇西-0"))
    ]  # fmt: skip
    assert met["message_zh"] == "镇西委员1（镇西社区）：“班子成员集中培训”按期完成"
    assert got["镇西委员2（镇西社区）"] == got["镇西委员3（镇西社区）"] == "accountability_alert"
    # the first tick came on the due day itself: the 30- and 7-day reminders, both late,
    # gave way to the 1-day one (no "还有 30 天" on the last day)
    assert {f["lead_days"] for f in firings(demo) if f["target_id"] == "team-training"} == {
        1, VERDICT_LEAD
    }


def test_a_store_that_gave_its_verdicts_on_the_due_day_gives_none_again_once_upgraded(
    app: SansanApplication, demo: Services, clock: FixedClock
) -> None:
    """Before projection version 12 the verdict step was the due date itself (lead 0). Its
    firings, replayed into the rebuilt tables, close the new day-after step."""
    scheduler = Scheduler(demo, batch_size=10_000)
    clock.set(at(date(2026, 12, 31)))
    scheduler.tick()  # the reminders, as the old scheduler gave them too
    with demo.store.transaction() as cursor:
        new = [
            s for s in scheduler._due(cursor, date(2027, 1, 1), False)
            if s.lead_days == VERDICT_LEAD and s.kind in ("target", "target_unit")
        ]  # fmt: skip
    old = [replace(s, lead_days=0, fire_on=s.due_on) for s in new]
    assert sum(scheduler._record(s, date(2026, 12, 31)) for s in old) > 0
    rebuild(app, demo.store)
    before = len(firings(demo))
    clock.set(at(date(2027, 1, 2)))
    scheduler.tick()
    again = [f for f in firings(demo)[before:] if f["deadline_id"] in {s.deadline_id for s in old}]
    assert again == []


def test_each_reminder_and_alert_names_the_person_who_falls_short(
    demo: Services, clock: FixedClock
) -> None:
    clock.set(at(date(2027, 1, 3)))  # past the launch year's reminders and its verdicts
    Scheduler(demo).tick()
    about_people = [
        f for f in firings(demo)
        if f["target_id"] == "team-training" and f["kind"] in ("reminder", "accountability_alert")
    ]  # fmt: skip
    zhenxi = [f for f in about_people if f["unit_name"].endswith("（镇西社区）")]
    assert len({f["unit_id"] for f in zhenxi}) == 3  # 镇西委员1, 2 and 3: three cards
    for f in about_people:
        assert f"。{f['unit_name']}：未参加集中培训" in f["message_zh"]
    assert len({f["message_zh"] for f in zhenxi}) == len(zhenxi)


def test_a_crash_between_recording_and_marking_fires_nothing_twice(
    demo: Services, clock: FixedClock
) -> None:
    clock.set(at(date(2026, 12, 2)))
    scheduler = Scheduler(demo)
    with demo.store.transaction() as cursor:
        due = scheduler._due(cursor, date(2026, 12, 2), False)
    for step in due:  # record the first step that fires anything, then "die" before marking it
        before_crash = scheduler._record(step, date(2026, 12, 2))
        if before_crash:
            break
    assert before_crash > 0
    scheduler.tick()
    recorded = firings(demo)
    of_step = [
        f
        for f in recorded
        if f["deadline_id"] == step.deadline_id and f["lead_days"] == step.lead_days
    ]
    assert len(of_step) == before_crash


def test_an_approved_extension_moves_the_supervision_deadline(
    app: SansanApplication, demo: Services, clock: FixedClock
) -> None:
    item = demo_id("supervision", "镇郊-standard-site")  # due 2026-12-27 in the demo
    clock.set(at(date(2026, 12, 1)))
    app.execute(sc.StartSupervisionItem(item_id=item, occurred_on=date(2026, 12, 1)), actor="t")
    app.execute(
        sc.RequestExtension(
            item_id=item,
            occurred_on=date(2026, 12, 1),
            requested_due_on=date(2027, 2, 28),
            reason="施工",
        ),
        actor="t",
    )
    app.execute(sc.ApproveExtension(item_id=item, occurred_on=date(2026, 12, 1)), actor="t")
    demo.projections.catch_up()
    clock.set(at(date(2027, 1, 10)))
    Scheduler(demo).tick()
    assert [f for f in firings(demo) if f["unit_id"] == str(item)] == []  # the old deadline is gone
    clock.set(at(date(2027, 3, 1)))
    demo.projections.catch_up()
    Scheduler(demo).tick()
    lights = [(f["kind"], f["due_on"]) for f in firings(demo) if f["unit_id"] == str(item)]
    # past the new due date: the red light alone (a yellow one would say "7 天后到期")
    assert lights == [("supervision_overdue", "2027-02-28")]
    campaign = str(demo_id("campaign", "示范县"))
    assert {f["campaign_id"] for f in firings(demo) if f["unit_id"] == str(item)} == {campaign}


class Rendezvous(Scheduler):
    """Holds its first locked batch until the other scheduler holds one too, so that both
    provably work at once, however the threads happen to be scheduled."""

    def __init__(self, services: Services, meeting: threading.Barrier) -> None:
        super().__init__(services, batch_size=25)
        self.meeting, self.met = meeting, False
        self._waited = False

    def _record(self, step: Step, today: date) -> int:
        if not self._waited:
            self._waited = True
            try:
                self.meeting.wait(timeout=60)
                self.met = True
            except threading.BrokenBarrierError:
                pass
        return super()._record(step, today)


@pytest.mark.postgres
def test_two_schedulers_on_postgres_fire_every_due_deadline_exactly_once(
    demo_templates: DemoTemplates, request: pytest.FixtureRequest, clock: FixedClock
) -> None:
    require_postgres()
    # a copy of the demo load_demo records on this clock (tests/conftest.py: DemoTemplates)
    settings = Settings(database_url=demo_templates.postgres_copy(request.addfinalizer))
    app = build_application(settings, clock)
    org = demo_id("org", "镇郊社区党总支")
    clock.set(at(date(2026, 4, 1)))  # assigned in time (an item is never assigned overdue)
    for n in range(300):  # 300 items × 2 steps = 600 due steps, besides the campaign's
        app.execute(sc.AssignSupervisionItem(occurred_on=date(2026, 4, 1), title=f"督办{n}", assignee_org_id=org,
                                             due_on=date(2026, 5, 1) + timedelta(days=n % 90)), actor="t")  # fmt: skip
    clock.set(at(date(2027, 1, 3)))
    one, two = (build_services(settings, clock, app) for _ in range(2))
    one.projections.catch_up()
    try:
        counts = [0, 0]
        meeting = threading.Barrier(2)
        schedulers = [Rendezvous(services, meeting) for services in (one, two)]

        def run(i: int) -> None:
            counts[i] = schedulers[i].tick()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        recorded = firings(one)
        assert len(recorded) == sum(counts)
        assert [s.met for s in schedulers] == [True, True], "they never held batches at once"
        assert min(counts) > 0  # both did a share of the work
        overdue = [
            f
            for f in recorded
            if f["kind"] == "supervision_overdue" and f["unit_name"].startswith("督办")
        ]
        assert len(overdue) == len({f["unit_id"] for f in overdue}) == 300
    finally:
        one.store.close()
        two.store.close()
        app.close()


@pytest.mark.postgres
def test_one_scheduler_leads_and_a_standby_takes_over_when_it_dies(
    fresh_postgres_schema: str,
) -> None:
    settings = Settings(database_url=fresh_postgres_schema)
    app = build_application(settings)
    first, second = (Leadership(build_services(settings, application=app)) for _ in range(2))
    try:
        assert first.try_lead()
        assert not second.try_lead()
        first.resign()  # its connection closes, as when the process dies
        # The server lets go of a closed session's locks when its backend exits, a moment later.
        wait_for(second.try_lead, 60, "the standby takes the lead")
        assert not first.try_lead()
    finally:
        first.resign()
        second.resign()
        app.close()


def test_schedulers_of_two_stores_in_one_database_lead_each_their_own(
    fresh_postgres_schema: str,
) -> None:
    """Advisory locks span the database: the leader lock is keyed by schema, or one store's
    scheduler would silence another's (and parallel test runs would steal each other's lead)."""
    other_schema = fresh_postgres_schema.replace("?schema=", "?schema=other_")
    leaders = []
    for url in (fresh_postgres_schema, other_schema):
        settings = Settings(database_url=url)
        leaders.append(Leadership(build_services(settings, application=build_application(settings))))
    try:
        assert [leader.try_lead() for leader in leaders] == [True, True]
    finally:
        for leader in leaders:
            leader.resign()
        drop_schema(other_schema)


def test_the_service_ticks_once_at_start_to_catch_up_on_what_fell_due_while_down(
    app: SansanApplication, settings: Settings, clock: FixedClock, recorded_demo: None
) -> None:
    from fastapi.testclient import TestClient

    from sansan.api.app import create_app

    # recorded_demo: the store starts as a copy of the demo load_demo records (tests/conftest.py)
    clock.set(at(date(2027, 1, 3)))  # the service was down over the launch-year deadlines
    api = create_app(
        settings.model_copy(update={"run_scheduler": True, "scheduler_interval_s": 3600}),
        application=app,
    )
    with TestClient(api):
        services = api.state.services
        deadline = datetime.now(UTC) + timedelta(seconds=60)
        while not firings(services) and datetime.now(UTC) < deadline:
            threading.Event().wait(0.2)
        recorded = firings(services)
    assert recorded
    assert all(f["late"] for f in recorded)


def test_firings_become_notifications_for_their_addressees_who_acknowledge_them(
    app: SansanApplication, settings: Settings, demo: Services, clock: FixedClock
) -> None:
    from fastapi.testclient import TestClient

    from sansan.api.app import create_app
    from sansan.demo import demo_token_scopes

    clock.set(at(date(2027, 1, 3)))
    Scheduler(demo).tick()
    demo.projections.catch_up()
    tokens = {role: demo.access.issue_token(role=role, scope_org_id=scope, label=label, actor="t")[0]
              for label, (role, scope) in demo_token_scopes().items()}  # fmt: skip
    client = TestClient(create_app(settings, application=app))

    def mine(role: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = client.get("/api/v1/notifications", params=params | ({"cursor": cursor} if cursor else {}),
                              headers={"Authorization": f"Bearer {tokens[role]}"}).json()  # fmt: skip
            items += page["items"]
            if not (cursor := page["next_cursor"]):
                return items

    tiexi = mine("community")
    assert tiexi
    assert {n["community_name"] for n in tiexi} == {"铁西社区"}
    county = mine("county")
    assert {n["kind"] for n in county} >= {"deadline_missed", "accountability_alert"}
    assert "reminder" not in {n["kind"] for n in county if n["target_id"] in ("systems", "cards")}
    street = mine("street")
    assert {n["community_name"] for n in street} == {"铁西社区", "站前社区", "镇西社区"}
    first = tiexi[0]["id"]
    auth = {"Authorization": f"Bearer {tokens['community']}"}
    done = client.post(f"/api/v1/notifications/{first}/acknowledgement", headers=auth)
    assert done.status_code == 200, done.text
    again = client.post(f"/api/v1/notifications/{first}/acknowledgement", headers=auth)
    assert (again.status_code, again.json()["code"]) == (422, "already_recorded")
    demo.projections.catch_up()
    assert first not in {n["id"] for n in mine("community", unacknowledged=True)}
    other = next(n["id"] for n in street if n["community_name"] == "站前社区")
    hidden = client.post(f"/api/v1/notifications/{other}/acknowledgement", headers=auth)
    assert hidden.status_code == 404  # not addressed to 铁西, so it does not exist for it


def test_several_schedulers_on_sqlite_fire_every_due_step_exactly_once(
    tmp_path: Path, clock: FixedClock, demo_templates: DemoTemplates
) -> None:
    # a copy of the demo load_demo records on this clock (tests/conftest.py: DemoTemplates)
    url = demo_templates.sqlite_copy(tmp_path / "one-host.db")
    settings = Settings(database_url=url, run_scheduler=False)
    clock.set(at(date(2027, 1, 3)))  # every launch-year step is due
    schedulers = [build_services(settings, clock) for _ in range(3)]  # as three processes
    schedulers[0].projections.catch_up()
    all_read = threading.Barrier(len(schedulers))

    class Racing(Scheduler):
        """Reads its first batch of due steps, then waits until every other scheduler has
        read the same batch: each then records the same firings, and only their ids stop
        the store from keeping them twice."""

        raced = False

        def _due(self, cursor: Any, today: date, locking: bool) -> list[Step]:
            steps = super()._due(cursor, today, locking)
            if not self.raced:
                self.raced = True
                all_read.wait(timeout=60)
            return steps

    counts = [0] * len(schedulers)

    def run(i: int) -> None:
        counts[i] = Racing(schedulers[i], batch_size=20).tick()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(schedulers))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        recorded = firings(schedulers[0])
        assert sum(counts) == len(recorded) > 20
        fired = Counter(
            (f["deadline_id"], f["kind"], f["unit_id"], f["lead_days"]) for f in recorded
        )
        assert max(fired.values()) == 1
        assert Scheduler(schedulers[1]).tick() == 0  # nothing left to fire
    finally:
        for services in schedulers:
            services.close()


def test_reminders_go_to_the_community_secretary_and_alerts_go_up_from_there(
    demo: Services, clock: FixedClock
) -> None:
    clock.set(at(date(2026, 12, 27)))  # the 7-day reminders of 31 December
    Scheduler(demo).tick()
    clock.set(at(date(2027, 1, 3)))  # past the due dates of 2026
    Scheduler(demo).tick()
    recorded = firings(demo)
    to_units = [f for f in recorded if f["kind"] == "reminder" and f["unit_id"] is not None]
    assert to_units
    assert {tuple(f["addressees"]) for f in to_units} == {("community_secretary",)}
    alerts = [f for f in recorded if f["kind"] == "accountability_alert"]
    assert alerts
    assert {tuple(f["addressees"]) for f in alerts} == {("community_secretary", "street", "county")}
    county_wide = [f for f in recorded if f["kind"] == "reminder" and f["unit_id"] is None]
    assert {tuple(f["addressees"]) for f in county_wide} <= {("county",)}


def test_a_scheduled_inspection_reminds_its_communities_a_week_before_and_on_the_day(
    app: SansanApplication, demo: Services, clock: FixedClock
) -> None:
    campaign = demo_id("campaign", "示范县")
    tiexi, zhenjiao, tianbei = (demo_id("community", n) for n in ("铁西", "镇郊", "天北"))
    inspected, pending = uuid4(), uuid4()
    for inspection, communities in ((inspected, [tiexi, zhenjiao]), (pending, [tianbei])):
        app.execute(
            cc.ScheduleInspection(
                campaign_id=campaign, occurred_on=date(2026, 11, 27), inspection_id=inspection,
                scheduled_for=date(2026, 12, 20), subject="年终督查", community_ids=communities,
            ),
            actor="t",
        )  # fmt: skip
    demo.projections.catch_up()

    def inspection_reminders() -> list[tuple[str, str, int]]:
        return sorted(
            (f["deadline_id"].removeprefix("inspection:"), f["unit_id"], f["lead_days"])
            for f in firings(demo)
            if f["deadline_id"].startswith("inspection:") and f["due_on"] == "2026-12-20"
        )

    clock.set(at(date(2026, 12, 13)))
    Scheduler(demo).tick()
    week_before = sorted(
        (str(i), str(c), 7)
        for i, c in ((inspected, tiexi), (inspected, zhenjiao), (pending, tianbei))
    )
    assert inspection_reminders() == week_before
    clock.set(at(date(2026, 12, 15)))
    app.execute(
        cc.ConductInspection(campaign_id=campaign, occurred_on=date(2026, 12, 15),
                             inspection_id=inspected, findings="按期推进", rating="pass"),
        actor="t",
    )  # fmt: skip
    demo.projections.catch_up()
    clock.set(at(date(2026, 12, 20)))
    Scheduler(demo).tick()
    assert inspection_reminders() == sorted([*week_before, (str(pending), str(tianbei), 0)])
    on_the_day = [
        f
        for f in firings(demo)
        if f["deadline_id"] == f"inspection:{pending}" and f["lead_days"] == 0
    ]
    assert on_the_day[0]["addressees"] == ["community_secretary"]
    assert "今天" in on_the_day[0]["message_zh"]


def test_a_yellow_light_fired_late_states_the_real_distance_and_none_comes_once_overdue(
    app: SansanApplication, demo: Services, clock: FixedClock
) -> None:
    """An item entered close to its deadline, or first ticked past it (an item is never
    assigned already overdue: the one past it was assigned in time, before a tick): its
    week-before step is already due."""
    today = date(2026, 11, 29)
    org = demo_id("org", "铁西社区党总支")
    dues = {"今天": today, "明天": today + timedelta(days=1), "三天": today + timedelta(days=3),
            "逾期": date(2026, 11, 10)}  # fmt: skip
    for title, due in dues.items():
        assigned_on = min(due, today) - timedelta(days=20)
        clock.set(at(assigned_on if due < today else today))
        app.execute(sc.AssignSupervisionItem(
            occurred_on=assigned_on, title=title, assignee_org_id=org, due_on=due,
        ), actor="t")  # fmt: skip
    clock.set(at(today))
    demo.projections.catch_up()
    Scheduler(demo).tick()
    lights = {
        (f["unit_name"], f["kind"], f["message_zh"]) for f in firings(demo) if f["unit_name"] in dues
    }
    assert lights == {
        ("今天", "supervision_warning", "督办事项“今天”黄灯：今天到期（期限：2026-11-29）"),
        ("明天", "supervision_warning", "督办事项“明天”黄灯：明天到期（期限：2026-11-30）"),
        ("三天", "supervision_warning", "督办事项“三天”黄灯：3 天后到期（期限：2026-12-02）"),
        ("逾期", "supervision_overdue", "督办事项“逾期”红灯：已逾期（期限：2026-11-10）"),
    }


def test_reminders_due_while_the_service_was_down_send_only_the_nearest_with_the_real_days_left(
    demo: Services, clock: FixedClock
) -> None:
    clock.set(at(date(2026, 12, 27)))  # the 30- and 7-day reminders of 31 December are both due
    Scheduler(demo).tick()
    funding = [
        (f["lead_days"], f["message_zh"]) for f in firings(demo)
        if f["target_id"] == "funding" and f["unit_name"] == "镇郊社区"
    ]  # fmt: skip
    assert funding == [(7, "距“社区办公经费”期限 2026-12-31 还有 4 天。镇郊社区：未记录2026年经费")]
