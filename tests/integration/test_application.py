"""The application on both stores: commands, history, past states, concurrency."""

import threading
from copy import deepcopy
from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from sansan.application import SNAPSHOT_INTERVAL, ConcurrencyConflict, SansanApplication
from sansan.commands import COMMANDS, CommandContext, VersionMismatch
from sansan.commands import community as co
from sansan.commands import examples as t
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.domain import AGGREGATE_TYPES, Community, DomainError, Member, NotFoundError, errors
from sansan.domain.base import Provenance
from tests.support import ACTOR, TODAY


def run_tour(app: SansanApplication) -> list[str]:
    types: list[str] = []
    for command in t.tour():
        types += [e.type for e in app.execute(command, actor=ACTOR).events]
    return types


def state(aggregate: object) -> dict[str, object]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def test_the_tour_runs_every_command_and_records_every_event_type(app: SansanApplication) -> None:
    recorded = set(run_tour(app))
    beyond = {type(c).__name__ for c in t.beyond_the_tour()}  # need a second plan: test_plan_api
    assert {type(c).__name__ for c in t.tour()} | beyond == set(COMMANDS)
    every_event = {
        name
        for aggregate in AGGREGATE_TYPES
        for name, obj in vars(aggregate).items()
        if isinstance(obj, type) and issubclass(obj, Aggregate.Event)
        and name not in ("Event", "Created", "StatusChanged", "PlanChanged")
    }  # fmt: skip
    assert recorded == every_event


def test_a_fresh_process_rebuilds_the_same_state_from_the_store(
    app: SansanApplication, open_app
) -> None:  # type: ignore[no-untyped-def]
    run_tour(app)
    fresh = open_app(aggregate_cache_size=0)
    for aggregate_id in (
        t.STREET,
        t.COMMUNITY,
        t.GB,
        t.BRANCH,
        t.MEMBER,
        t.DUAL,
        t.CAMPAIGN,
        t.ITEM,
    ):
        assert state(fresh.get(aggregate_id)) == state(app.get(aggregate_id))


def test_a_command_returns_id_version_log_position_and_the_recorded_events(
    app: SansanApplication,
) -> None:
    results = [app.execute(c, actor=ACTOR) for c in t.tour()[:4]]
    general_branch = results[3]
    assert general_branch.aggregate_id == t.GB
    assert general_branch.version == 1
    assert [e.type for e in general_branch.events] == [
        "OrganizationEstablished",
        "GeneralBranchAttached",
    ]
    assert general_branch.position == app.recorder.max_notification_id()
    assert [r.position for r in results] == sorted(r.position for r in results)


def test_history_shows_every_event_with_who_when_and_what(app: SansanApplication) -> None:
    run_tour(app)
    history = app.history(t.COMMUNITY)
    assert [e.version for e in history] == list(range(1, len(history) + 1))
    upgrade = next(e for e in history if e.type == "FacilityUpgraded")
    assert upgrade.actor == ACTOR
    assert upgrade.occurred_on == date(2026, 4, 1)
    assert upgrade.evidence_ref == "县组发〔2026〕3号"
    assert upgrade.data == {"office_area_m2": 85, "venue_area_m2": 210.5}
    assert upgrade.recorded_at.tzinfo is not None
    funding = next(e for e in history if e.type == "FundingAllocated")
    assert funding.data["amount_yuan"] == Decimal("10000.00")


def test_state_at_a_version_and_as_recorded_at_a_moment(app: SansanApplication) -> None:
    first = app.execute(t.tour()[0], actor=ACTOR)
    street = app.execute(t.tour()[1], actor=ACTOR)
    app.execute(t.tour()[2], actor=ACTOR)
    moment = street.events[0].recorded_at
    facility = co.UpgradeFacility(
        community_id=t.COMMUNITY, occurred_on=date(2026, 4, 1), office_area_m2=90
    )
    later = app.execute(facility, actor=ACTOR)
    assert later.events[0].recorded_at > moment

    assert app.state_at(t.COMMUNITY, version=1).office_area_m2 is None
    assert app.state_at(t.COMMUNITY, version=2).office_area_m2 == 90
    assert app.state_at(t.CAMPAIGN, as_of=first.events[0].recorded_at).version == 1
    with pytest.raises(NotFoundError):  # recorded after that moment, so not there yet
        app.state_at(t.COMMUNITY, as_of=moment)
    assert app.state_at(t.COMMUNITY, as_of=later.events[0].recorded_at).office_area_m2 == 90
    with pytest.raises(ValueError, match="timezone"):
        app.state_at(t.COMMUNITY, as_of=moment.replace(tzinfo=None))


def test_a_past_state_that_was_never_recorded_is_refused_saying_what_there_is(
    app: SansanApplication,
) -> None:
    """Not the current state silently for a version beyond it, and not "未找到" for a unit
    asked for before its first record; version and as_of together are refused."""
    app.execute(t.tour()[0], actor=ACTOR)
    app.execute(t.tour()[1], actor=ACTOR)
    created = app.execute(t.tour()[2], actor=ACTOR).events[0].recorded_at
    with pytest.raises(NotFoundError) as beyond:
        app.state_at(t.COMMUNITY, version=999, kind=Community)
    assert beyond.value.code == "version_not_found"
    assert beyond.value.message_zh == "该社区没有第 999 版（当前为第 1 版）"
    with pytest.raises(NotFoundError) as early:
        app.state_at(t.COMMUNITY, as_of=created - timedelta(seconds=1), kind=Community)
    china = (created + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert early.value.code == "not_yet_recorded"
    assert early.value.message_zh == f"该时刻尚未记录此社区（首次记录于 {china}，北京时间）"
    with pytest.raises(DomainError) as both:
        app.state_at(t.COMMUNITY, version=1, as_of=created)
    assert (type(both.value), both.value.code) == (DomainError, "version_with_as_of")
    assert app.state_at(t.COMMUNITY, version=1).version == 1


def test_a_refused_command_records_nothing(app: SansanApplication) -> None:
    run_tour(app)
    before = app.recorder.max_notification_id()
    refused = [
        mc.RecordTraining(member_id=t.MEMBER, occurred_on=date(2026, 8, 1), days=1, method="video", topic="t"),
        co.UpgradeFacility(community_id=t.COMMUNITY, occurred_on=TODAY + timedelta(days=1), office_area_m2=90),
        oc.EstablishPartyOrganization(
            occurred_on=TODAY, name="第二党总支", level="general_branch", parent_id=t.STREET, community_id=t.COMMUNITY
        ),
        mc.RegisterMember(occurred_on=TODAY, name="x", category="direct", organization_id=uuid4()),
    ]  # fmt: skip
    for command in refused:
        with pytest.raises(DomainError):
            app.execute(command, actor=ACTOR)
    assert app.recorder.max_notification_id() == before


def test_unknown_ids_and_ids_of_another_kind_are_not_found(app: SansanApplication) -> None:
    run_tour(app)
    with pytest.raises(NotFoundError, match="unit_not_found"):
        app.execute(
            co.HoldCultureFestival(community_id=uuid4(), occurred_on=TODAY, title="x"), actor=ACTOR
        )
    with pytest.raises(NotFoundError):  # a member's id is not a community's
        app.execute(
            co.HoldCultureFestival(community_id=t.MEMBER, occurred_on=TODAY, title="x"), actor=ACTOR
        )
    with pytest.raises(NotFoundError):
        app.get(t.MEMBER, Community)
    with pytest.raises(NotFoundError):
        app.history(uuid4())


def test_a_stale_expected_version_is_refused_and_records_nothing(app: SansanApplication) -> None:
    run_tour(app)
    current = app.get(t.DUAL).version
    command = mc.RecordTraining(
        member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t"
    )
    with pytest.raises(VersionMismatch) as caught:
        app.execute(command, actor=ACTOR, expected_version=current - 1)
    assert (caught.value.expected, caught.value.current) == (current - 1, current)
    assert app.execute(command, actor=ACTOR, expected_version=current).version == current + 1


def test_two_general_branches_racing_for_one_community_leave_exactly_one(
    app: SansanApplication, open_app
) -> None:  # type: ignore[no-untyped-def]
    for command in t.tour()[:3]:
        app.execute(command, actor=ACTOR)
    other = open_app()
    slow = oc.EstablishPartyOrganization(
        occurred_on=TODAY,
        name="甲党总支",
        level="general_branch",
        parent_id=t.STREET,
        community_id=t.COMMUNITY,
    )
    prov = Provenance(ACTOR, TODAY, TODAY)
    half_done = slow.run(CommandContext(prov, app.repository))  # loaded, not yet saved
    fast = slow.model_copy(update={"name": "乙党总支"})
    other.execute(fast, actor=ACTOR)
    with pytest.raises(IntegrityError):
        app.save(*half_done)
    assert app.get(t.COMMUNITY).general_branch_id != half_done[0].id
    with pytest.raises(NotFoundError):  # neither half of the losing command was kept
        app.get(half_done[0].id)


def test_concurrent_writers_on_one_member_never_lose_an_update(
    app: SansanApplication, open_app
) -> None:  # type: ignore[no-untyped-def]
    run_tour(app)
    writers, per_writer = 6, 5
    apps = [open_app() for _ in range(writers)]
    conflicts: list[ConcurrencyConflict] = []
    failures: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(index: int, writer: SansanApplication) -> None:
        start.wait()
        done = 0
        while done < per_writer:
            # each a training of its own: the same one twice is refused as a duplicate fact
            command = mc.RecordTraining(
                member_id=t.DUAL, occurred_on=TODAY, days=0.5, method="video",
                topic=f"t{index}-{done}",
            )  # fmt: skip
            try:
                writer.execute(command, actor=ACTOR)
                done += 1
            except ConcurrencyConflict as conflict:
                conflicts.append(conflict)
            except BaseException as exc:  # any other failure fails the test
                failures.append(exc)
                return

    threads = [threading.Thread(target=write, args=(i, a)) for i, a in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    member = app.get(t.DUAL, Member)
    trainings = [e for e in app.history(t.DUAL) if e.type == "TrainingCompleted"]
    assert len(trainings) == writers * per_writer
    assert member.training_days_by_year["2026"] == writers * per_writer * 0.5
    assert all(c.current_version is not None for c in conflicts)


def test_loading_reads_a_bounded_number_of_events_however_long_the_history(
    app: SansanApplication, open_app
) -> None:  # type: ignore[no-untyped-def]
    run_tour(app)
    for n in range(3 * SNAPSHOT_INTERVAL + 7):
        day = date(2026, 1 + n % 11, 1 + n % 28)
        app.execute(
            mc.RecordTraining(
                member_id=t.DUAL,
                occurred_on=max(day, date(2026, 4, 1)),
                days=0.5,
                method="video",
                topic=f"t{n}",  # the same training twice is refused as a duplicate fact
            ),
            actor=ACTOR,
        )
    uncached = open_app(aggregate_cache_size=0)
    store = uncached.repository.event_store
    read: list[int] = []
    original = store.get

    def counting_get(*args, **kwargs):  # type: ignore[no-untyped-def]
        events = list(original(*args, **kwargs))
        read.append(len(events))
        return iter(events)

    store.get = counting_get  # type: ignore[method-assign]
    member = uncached.get(t.DUAL)
    assert member.version > 3 * SNAPSHOT_INTERVAL
    assert sum(read) < SNAPSHOT_INTERVAL
    # the trainings before the snapshot are still known: the first one again is refused
    first = mc.RecordTraining(
        member_id=t.DUAL, occurred_on=date(2026, 4, 1), days=0.5, method="video", topic="t0"
    )
    with pytest.raises(DomainError) as refused:
        uncached.execute(first, actor=ACTOR)
    assert refused.value.code == "duplicate_fact"


def _raced(rival: SansanApplication, races: int) -> type[mc.RecordTraining]:
    """A training that loads the member, then a rival records another training of it (in its
    first ``races`` runs), then this one tries to save."""
    rounds: list[int] = []

    class RacedTraining(mc.RecordTraining):
        def run(self, ctx: CommandContext) -> list:  # type: ignore[type-arg]
            loaded = super().run(ctx)
            rounds.append(len(rounds))
            if len(rounds) <= races:
                rival_topic = f"{self.topic} rival {len(rounds)}"
                rival_training = mc.RecordTraining(**{**self.model_dump(), "topic": rival_topic})
                rival.execute(rival_training, actor="rival")
            return loaded

    return RacedTraining


def test_a_writer_that_lost_the_race_gets_a_conflict_with_the_current_version(
    app: SansanApplication, open_app
) -> None:  # type: ignore[no-untyped-def]
    """A rival wins both runs of the command (the lean one on the cached member, and the one
    run again on the member loaded from the store): the conflict names the current version."""
    run_tour(app)
    rival = open_app()
    before = app.get(t.DUAL).version
    raced = _raced(rival, races=2)(
        member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t"
    )
    with pytest.raises(ConcurrencyConflict) as caught:
        app.execute(raced, actor=ACTOR)
    assert caught.value.current_version == before + 2
    assert [e.actor for e in app.history(t.DUAL)[before:]] == ["rival", "rival"]


def test_a_write_on_a_cached_aggregate_another_process_changed_runs_again_on_the_store_s(
    app: SansanApplication, open_app
) -> None:  # type: ignore[no-untyped-def]
    """The cached member is used as it is (no round trip to fast-forward it); another process
    wrote it first, so the save meets a version conflict: the command is run once more on the
    member loaded from the store, and both trainings are recorded, each once."""
    run_tour(app)
    rival = open_app()
    before = app.get(t.DUAL).version
    raced = _raced(rival, races=1)(
        member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t"
    )
    result = app.execute(raced, actor=ACTOR)
    assert result.version == before + 2
    assert [(e.actor, e.data["topic"]) for e in app.history(t.DUAL)[before:]] == [
        ("rival", "t rival 1"),
        (ACTOR, "t"),
    ]
    assert app.get(t.DUAL, Member).version == rival.get(t.DUAL, Member).version == before + 2


def test_a_client_s_expected_version_is_not_run_again_after_a_lost_race(
    app: SansanApplication, open_app
) -> None:  # type: ignore[no-untyped-def]
    """With If-Match the client asked for that version only: a lost race is its 409."""
    run_tour(app)
    rival = open_app()
    before = app.get(t.DUAL).version
    raced = _raced(rival, races=1)(
        member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="t"
    )
    with pytest.raises(ConcurrencyConflict) as caught:
        app.execute(raced, actor=ACTOR, expected_version=before)
    assert caught.value.current_version == before + 1
    assert [e.actor for e in app.history(t.DUAL)[before:]] == ["rival"]


def test_two_applications_writing_one_member_in_turn_lose_and_double_nothing(
    app: SansanApplication, open_app
) -> None:  # type: ignore[no-untyped-def]
    """Each application's cache is behind after the other one wrote: every write is still
    recorded exactly once, on the member as the store holds it."""
    run_tour(app)
    other = open_app()
    before = app.get(t.DUAL, Member)
    for n in range(12):
        writer = (app, other)[n % 2]
        command = mc.RecordTraining(
            member_id=t.DUAL, occurred_on=TODAY, days=0.5, method="video", topic=f"turn {n}"
        )
        assert writer.execute(command, actor=ACTOR).version == before.version + n + 1
    topics = [e.data["topic"] for e in app.history(t.DUAL)[before.version :]]
    assert topics == [f"turn {n}" for n in range(12)]
    # After its first lost race each application loads the member from the store for a while,
    # instead of losing (and running again) at every turn.
    assert app.lean_reruns + other.lean_reruns <= 2
    for reader in (app, other):
        member = reader.get(t.DUAL, Member)
        assert member.version == before.version + 12
        year = str(TODAY.year)
        assert member.training_days_by_year[year] == before.training_days_by_year.get(year, 0) + 6


def test_an_aggregate_a_command_only_reads_is_as_fresh_as_the_store_holds_it(
    app: SansanApplication, open_app
) -> None:  # type: ignore[no-untyped-def]
    """A command that reads a cached aggregate without writing it gets no version check from
    the save: it must still see what another process wrote to it before the command ran."""
    run_tour(app)
    other = open_app()
    app.get(t.COMMUNITY)  # cached here

    class SeesCommunity(mc.RecordTraining):
        """A training whose topic is the community's version as the command loaded it."""

        def run(self, ctx: CommandContext) -> list:  # type: ignore[type-arg]
            community = ctx.load(Community, t.COMMUNITY)
            seen = {**self.model_dump(), "topic": f"v{community.version}"}
            return mc.RecordTraining(**seen).run(ctx)

    meeting = co.HoldCoordinationMeeting(
        community_id=t.COMMUNITY, occurred_on=TODAY, kind="joint_meeting", topic="加开"
    )
    now = other.execute(meeting, actor=ACTOR).version
    sees = SeesCommunity(member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="-")
    assert app.execute(sees, actor=ACTOR).events[0].data["topic"] == f"v{now}"


def test_a_refusal_on_a_cached_aggregate_another_process_changed_is_checked_on_the_store(
    app: SansanApplication, open_app
) -> None:  # type: ignore[no-untyped-def]
    """The cached member still has the category another process has since changed: changing
    it back is refused by the cache alone (category unchanged), not by the store's member."""
    run_tour(app)
    other = open_app()
    was = app.get(t.DUAL, Member).category  # the cache holds the member as it is
    changed = next(c for c in ("direct", "participating") if c != was)
    other.execute(
        mc.ChangeMemberCategory(member_id=t.DUAL, occurred_on=TODAY, category=changed),
        actor=ACTOR,
    )
    back = mc.ChangeMemberCategory(member_id=t.DUAL, occurred_on=TODAY, category=was)
    assert app.execute(back, actor=ACTOR).events[0].data["category"] == was
    assert [e.data["category"] for e in app.history(t.DUAL)[-2:]] == [changed, was]


def test_a_change_to_a_loaded_aggregate_that_is_not_saved_leaves_the_cache_as_it_was(
    app: SansanApplication,
) -> None:
    """Every load hands out a copy of the cached aggregate (SansanAggregate.__deepcopy__ shares
    only values that cannot change): whatever a command does to what it loaded, in nested
    lists and dicts too, is not seen by the next load unless it was saved."""
    run_tour(app)
    assert app.repository.cache is not None
    for unit in (t.MEMBER, t.COMMUNITY):
        loaded = app.repository.get(unit)
        before = deepcopy(state(loaded))  # the values themselves, not the aggregate's copy
        changed = app.repository.get(unit)
        for value in vars(changed).values():
            if isinstance(value, list):
                value.append("changed")
            elif isinstance(value, dict):
                value["changed"] = "changed"
        assert any(isinstance(v, list | dict) and v for v in before.values()), unit
        assert state(app.repository.get(unit)) == before
        assert state(loaded) == before


def test_a_command_refused_after_changing_a_cached_aggregate_leaves_the_cache_as_it_was(
    app: SansanApplication,
) -> None:
    """The lean load hands out a copy of the cached member too: a command that records on it
    and is then refused leaves nothing behind for the next command."""
    run_tour(app)
    before = app.get(t.DUAL, Member).version

    class RefusedAfterwards(mc.RecordTraining):
        def run(self, ctx: CommandContext) -> list:  # type: ignore[type-arg]
            super().run(ctx)
            raise errors.FEEDBACK_ONLY_FOR_DUAL()

    fields = {"member_id": t.DUAL, "occurred_on": TODAY, "days": 1, "method": "video"}
    with pytest.raises(DomainError):
        app.execute(RefusedAfterwards(**fields, topic="t"), actor=ACTOR)
    assert app.execute(mc.RecordTraining(**fields, topic="t"), actor=ACTOR).version == before + 1


def test_a_retry_that_finds_its_twin_s_events_is_answered_as_the_twin_not_refused(
    app: SansanApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests with one key: the second looks for the key's record before the first has
    committed, then loads the member after it has. The first's training makes the second a
    duplicate_fact; the second is owed the first's answer (tests/e2e/test_two_processes.py
    saw the 422 across two processes)."""
    run_tour(app)
    command = mc.RecordTraining(
        member_id=t.DUAL, occurred_on=TODAY, days=1, method="video", topic="同一次"
    )
    first = app.execute(command, actor=ACTOR, idempotency_key="k", request_hash="h")
    looked = app.internal_record
    missed: list[bool] = []

    def not_yet(kind, key):  # type: ignore[no-untyped-def]
        found = looked(kind, key)
        if not missed:  # the first look, as before the twin's commit
            missed.append(True)
            return found[0], None
        return found

    monkeypatch.setattr(app, "internal_record", not_yet)
    before = app.recorder.max_notification_id()
    again = app.execute(command, actor=ACTOR, idempotency_key="k", request_hash="h")
    assert (again.aggregate_id, again.version, again.position) == (
        first.aggregate_id, first.version, first.position,
    )  # fmt: skip
    assert app.recorder.max_notification_id() == before
    with pytest.raises(DomainError) as refused:  # without the key it is a duplicate
        app.execute(command, actor=ACTOR)
    assert refused.value.code == "duplicate_fact"


def test_a_snapshot_is_of_the_member_just_saved_and_equals_a_replay_of_its_events(
    app: SansanApplication,
) -> None:
    """Every SNAPSHOT_INTERVAL-th event's save snapshots the aggregate it saved, without
    reading that version back from the store (the library's take_snapshot), and the snapshot
    is what replaying the store's events gives."""
    run_tour(app)
    read_back: list[object] = []
    app.take_snapshot = lambda *a, **k: read_back.append(k)  # type: ignore[method-assign]
    n = 0
    while app.get(t.DUAL).version % SNAPSHOT_INTERVAL:
        day = date(2026, 1 + n % 11, 1 + n % 28)
        app.execute(
            mc.RecordTraining(
                member_id=t.DUAL, occurred_on=max(day, date(2026, 4, 1)), days=0.5,
                method="video", topic=f"snap {n}",
            ),
            actor=ACTOR,
        )  # fmt: skip
        n += 1
    version = app.get(t.DUAL).version
    assert read_back == []
    assert app.snapshots is not None
    (snapshot,) = app.snapshots.get(t.DUAL, desc=True, limit=1)
    assert snapshot.originator_version == version
    replayed = None
    for event in app.events.get(t.DUAL, lte=version):
        replayed = event.mutate(replayed)
    assert state(snapshot.mutate(None)) == state(replayed)
