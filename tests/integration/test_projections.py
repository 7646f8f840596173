"""The read models are exactly what the log implies: built incrementally or from scratch,
and after a runner is killed mid-batch and restarted."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from sansan.application import ConcurrencyConflict, IdTaken, SansanApplication
from sansan.bootstrap import Services, build_application, build_services
from sansan.commands import Command, examples
from sansan.commands import community as co
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.domain import DomainError
from sansan.projections.rebuild import rebuild
from sansan.projections.store import ReadStore
from sansan.projections.tables import PROJECTION_NAME, PROJECTION_VERSION, TABLES, read_meta
from sansan.settings import Settings

DAY0 = date(2026, 3, 1)


def dump(store: ReadStore) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every read-model table of the live generation (tracking aside)."""
    tables = {}
    with store.transaction() as cursor:
        for table, name in zip(cursor.t.tables, TABLES, strict=True):
            if table is not cursor.t.tracking:
                rows = cursor.execute(select(table)).fetchall()
                tables[name] = sorted((tuple(r) for r in rows), key=repr)
    return tables


def world() -> tuple[list[Command], dict[str, object]]:
    street, community, gb, branch = uuid4(), uuid4(), uuid4(), uuid4()
    commands: list[Command] = [
        oc.EstablishPartyOrganization(id=street, occurred_on=DAY0, name="街道", level="street_committee"),
        co.RegisterCommunity(id=community, occurred_on=DAY0, name=f"社区{community.hex[:4]}", street_committee_id=street),
        oc.EstablishPartyOrganization(id=gb, occurred_on=DAY0, name="总支", level="general_branch",
                                      parent_id=street, community_id=community),
        oc.EstablishPartyOrganization(id=branch, occurred_on=DAY0, name="支部", level="neighborhood_branch", parent_id=gb),
    ]  # fmt: skip
    return commands, {"community": community, "gb": gb, "branch": branch}


def op_strategy(ids: dict[str, object]) -> st.SearchStrategy[Command]:
    day = st.integers(0, 300).map(lambda n: DAY0 + timedelta(days=n))
    member = st.sampled_from(["m1", "m2", "m3"])
    return st.one_of(
        st.builds(lambda d, k: mc.RegisterMember(id=ids[k], occurred_on=d, name=k, category="dual",  # type: ignore[arg-type]
                                                 organization_id=ids["branch"]), day, member),  # type: ignore[arg-type]
        st.builds(lambda d, k, n: mc.RecordTraining(member_id=ids[k], occurred_on=d, days=n, method="video", topic="t"),  # type: ignore[arg-type]
                  day, member, st.sampled_from([1, 2.5, 6])),
        st.builds(lambda d, k, c: mc.IssueCard(member_id=ids[k], occurred_on=d, card=c), day, member,  # type: ignore[arg-type]
                  st.sampled_from(["community_activity", "in_service_feedback", "volunteer_activity"])),
        st.builds(lambda d, k, c: mc.ChangeMemberCategory(member_id=ids[k], occurred_on=d, category=c),  # type: ignore[arg-type]
                  day, member, st.sampled_from(["direct", "participating"])),
        st.builds(lambda d, k: mc.TransferMemberOut(member_id=ids[k], occurred_on=d, destination="外县"), day, member),  # type: ignore[arg-type]
        st.builds(lambda d, o, v: co.UpgradeFacility(community_id=ids["community"], occurred_on=d,  # type: ignore[arg-type]
                                                     office_area_m2=o, venue_area_m2=v), day,
                  st.none() | st.integers(10, 120), st.none() | st.integers(50, 300)),
        st.builds(lambda d, a: co.AllocateFunding(community_id=ids["community"], occurred_on=d, year=d.year,  # type: ignore[arg-type]
                                                  amount_yuan=a), day, st.integers(1, 20000)),
        st.builds(lambda d, k: co.EstablishCoordinationBody(community_id=ids["community"], occurred_on=d, kind=k),  # type: ignore[arg-type]
                  day, st.sampled_from(["joint_meeting", "guidance_committee"])),
        st.builds(lambda d, k: co.AdoptWorkingSystem(community_id=ids["community"], occurred_on=d, kind=k, title="t"),  # type: ignore[arg-type]
                  day, st.sampled_from(["decision", "service"])),
        st.builds(lambda d, y: oc.AddTeamMember(organization_id=ids["gb"], occurred_on=d, team_member_id=uuid4(),  # type: ignore[arg-type]
                                                person_name="x", birth_year=y, education="bachelor"), day,
                  st.integers(1950, 2000)),
    )  # fmt: skip


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_read_models_built_batch_by_batch_equal_a_rebuild_from_scratch(
    app: SansanApplication, settings: Settings, data: st.DataObject
) -> None:
    services = build_services(settings, application=app)
    try:
        base, ids = world()
        ids |= {"m1": uuid4(), "m2": uuid4(), "m3": uuid4()}
        for command in base:
            app.execute(command, actor="t")
        for command in data.draw(st.lists(op_strategy(ids), max_size=30)):
            # refused commands (or a reused id) record nothing: part of the property
            with contextlib.suppress(DomainError, ConcurrencyConflict, IdTaken):
                app.execute(command, actor="t")
            if data.draw(st.booleans()):  # project in batches of random sizes as we go
                services.projections.batch_size = data.draw(st.integers(1, 7))
                services.projections.run_once()
        services.projections.catch_up()
        incremental = dump(services.store)
        rebuild(app, services.store, batch_size=data.draw(st.integers(1, 500)))
        assert dump(services.store) == incremental
    finally:
        services.store.close()


# The runner in a process of its own. As a victim ("hang") it stops inside its second batch
# of 40, the first committed and the second half-applied, and says so: the kill lands there
# however slowly the machine runs.
KILLABLE_RUNNER = """
import sys, time
import sansan.projections.runner as runner_module
from sansan.bootstrap import build_services
from sansan.settings import Settings

applied = 0
real = runner_module.apply_event
def apply_then_hang(*args, **kwargs):
    global applied
    real(*args, **kwargs)
    applied += 1
    if sys.argv[2] == "hang" and applied == 50:
        print("inside a batch", flush=True)
        time.sleep(3600)
runner_module.apply_event = apply_then_hang
services = build_services(Settings(database_url=sys.argv[1]))
services.projections.batch_size = 40
print("running", flush=True)
services.projections.catch_up()
print("done", flush=True)
"""


def test_a_runner_killed_mid_batch_and_restarted_loses_and_repeats_nothing(
    app: SansanApplication, settings: Settings
) -> None:
    for command in examples.tour():
        app.execute(command, actor="t")
    services: Services = build_services(settings, application=app)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        for _ in range(6):  # more events, so that there is a batch after the one cut
            for command in world()[0]:
                app.execute(command, actor="t")
        head = app.recorder.max_notification_id()
        victim = subprocess.Popen([sys.executable, "-c", KILLABLE_RUNNER, settings.database_url, "hang"],
                                  env=env, stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert victim.stdout is not None
        assert victim.stdout.readline().strip() == "running"
        assert victim.stdout.readline().strip() == "inside a batch"
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        victim.stdout.close()
        cut_at = services.projections.position()
        assert 0 < cut_at < head, "the kill should land part-way through the log"
        assert cut_at % 40 == 0  # only whole batches were ever committed

        restarted = subprocess.run([sys.executable, "-c", KILLABLE_RUNNER, settings.database_url, "run"],
                                   env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert restarted.stdout.split() == ["running", "done"], restarted.stderr
        assert services.projections.position() == head
        with services.store.transaction() as cursor:
            audit = cursor.t.audit
            ordered = select(audit.c.position).order_by(audit.c.position)
            positions = [r[0] for r in cursor.execute(ordered).fetchall()]
        assert positions == list(range(1, head + 1))  # every event once: none lost, none twice
        survived = dump(services.store)
        rebuild(app, services.store)
        assert dump(services.store) == survived
    finally:
        services.store.close()


def test_a_changed_projection_version_rebuilds_on_start_while_reads_keep_working(
    app: SansanApplication, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from sansan.api.app import create_app
    from sansan.projections.schema import projection_meta

    for command in examples.tour():
        app.execute(command, actor="t")
    services = build_services(settings, application=app)
    services.projections.catch_up()
    with services.store.transaction(generation=1) as cursor:
        cursor.execute(update(projection_meta).values(projection_version=0))
    token, _ = services.access.issue_token(role="county", scope_org_id=None, label="x", actor="t")
    services.store.close()
    held, release = threading.Event(), threading.Event()

    def hold_after_each_batch(applied: int) -> None:
        held.set()
        release.wait(60)

    def rebuild_held_midway(app: SansanApplication, store: ReadStore) -> int:
        return rebuild(app, store, batch_size=10, on_progress=hold_after_each_batch)

    monkeypatch.setattr("sansan.bootstrap.rebuild", rebuild_held_midway)
    api = create_app(settings, application=app)
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(api) as client:  # starting the app starts the rebuild in the background
        try:
            assert held.wait(60), "the rebuild never started"
            assert (app.recorder.max_notification_id() or 0) > 10  # so the hold is mid-way
            for _ in range(3):
                listed = client.get("/api/v1/communities", headers=auth)
                assert listed.status_code == 200, listed.text
                assert [c["name"] for c in listed.json()["items"]] == ["铁西社区"]
            assert read_meta(api.state.services.store)[0] == 1, "the reads came after the switch"
        finally:
            release.set()
        deadline = time.monotonic() + 60
        while read_meta(api.state.services.store)[0] == 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert read_meta(api.state.services.store) == (2, PROJECTION_VERSION)
        listed = client.get("/api/v1/communities", headers=auth).json()["items"]
        assert [c["name"] for c in listed] == ["铁西社区"]
        # the audit chain's follower may add a checkpoint event meanwhile: allow it to land
        deadline = time.monotonic() + 10
        while client.get("/readyz").json()["projections"]["behind_events"] and time.monotonic() < deadline:
            time.sleep(0.05)
        metrics = client.get("/metrics", headers=auth).text
        while "sansan_projection_lag_events 0.0" not in metrics and time.monotonic() < deadline:
            time.sleep(0.05)
            metrics = client.get("/metrics", headers=auth).text
        assert "sansan_projection_lag_events 0.0" in metrics
        assert (
            'sansan_http_requests_total{method="GET",route="/api/v1/communities",status="200"}'
            in metrics
        )


def test_the_tracking_row_is_the_only_projection_state(
    settings: Settings, app: SansanApplication
) -> None:
    services = build_services(settings, application=app)
    try:
        with services.store.transaction() as cursor:
            rows = cursor.execute(select(cursor.t.tracking.c.name)).fetchall()
        assert [r[0] for r in rows] == [PROJECTION_NAME]
    finally:
        services.store.close()


@pytest.mark.postgres
def test_on_postgres_a_write_by_another_process_wakes_the_runner_through_notify(
    fresh_postgres_schema: str,
) -> None:
    settings = Settings(database_url=fresh_postgres_schema)
    writer = build_application(settings)  # another process, in effect: no in-process signal
    services = build_services(settings)
    runner = services.projections
    runner.poll_interval = 3600.0  # so only a NOTIFY can wake it within the deadline
    try:
        runner.start()
        assert runner.listening.wait(60), "the runner never started to LISTEN"
        # the wake-up on connecting has been spent: only a NOTIFY can wake it now
        assert runner.idle.wait(60), "the runner never settled"
        received = runner.notifications_received
        written = writer.execute(examples.tour()[0], actor="t")
        deadline = time.monotonic() + 60
        while runner.position() < written.position and time.monotonic() < deadline:
            time.sleep(0.05)
        # at least the write; the audit chain's first checkpoint may follow it
        assert runner.position() >= written.position
        assert runner.notifications_received > received, "woken by something but a NOTIFY"
        assert runner.listening.is_set()
    finally:
        services.close()
        writer.close()
