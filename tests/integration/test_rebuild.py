"""A rebuild fills the next generation beside the live one, which keeps answering and
following the log until the switch."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import column, func, select, text

from sansan.application import SansanApplication
from sansan.bootstrap import Services, build_services
from sansan.commands import community as co
from sansan.commands import examples as t
from sansan.projections.rebuild import rebuild
from sansan.projections.runner import ProjectionRunner, Read
from sansan.projections.store import Cursor
from sansan.projections.tables import read_meta
from sansan.settings import Settings


@pytest.fixture
def toured(app: SansanApplication, settings: Settings) -> Iterator[Services]:
    for command in t.tour():
        app.execute(command, actor="t")
    services = build_services(settings, application=app)
    services.projections.catch_up()
    yield services
    services.projections.stop()
    services.store.close()


def community_names(services: Services) -> list[str]:
    page = services.read_models.communities(
        scope=None, street_id=None, model_type=None, cursor=None, limit=100
    )
    return sorted(c["name"] for c in page.items)


def test_the_live_generation_keeps_answering_and_following_the_log_during_a_rebuild(
    app: SansanApplication, toured: Services
) -> None:
    before = community_names(toured)
    live, _ = read_meta(toured.store)
    toured.projections.start()  # the live runner, following the log in the background
    during: list[tuple[int, list[str], bool]] = []

    def write_while_rebuilding(_: int) -> None:
        if during:
            return
        # after the new generation's first batch, far from complete
        result = app.execute(
            co.RegisterCommunity(occurred_on=t.D, name="河西社区", street_committee_id=t.STREET),
            actor="t",
        )
        followed = toured.projections.wait_for(result.position, timeout=30)
        during.append((read_meta(toured.store)[0], community_names(toured), followed))

    new = rebuild(app, toured.store, batch_size=5, on_progress=write_while_rebuilding)
    generation, names, followed = during[0]
    assert followed, "the live runner did not follow the log during the rebuild"
    assert generation == live
    assert names == sorted([*before, "河西社区"])  # the whole live view, and the new write
    assert (new, read_meta(toured.store)[0]) == (live + 1, live + 1)
    assert community_names(toured) == names  # the new generation has caught up too


def test_a_rebuilt_generation_has_planner_statistics_before_the_switch(
    app: SansanApplication, toured: Services
) -> None:
    """Tables filled in one go have none until autovacuum comes; the board's plans need them."""
    new = rebuild(app, toured.store, batch_size=5)  # filled in batches before the switch
    with toured.store.transaction(generation=new) as cursor:
        members, facts = cursor.t.members.name, cursor.t.facts.name
        if cursor.dialect == "postgres":
            stats = select(func.count()).select_from(text("pg_stats")).where(
                column("tablename").in_([members, facts])
            ).group_by(column("tablename"))
        else:
            stats = select(func.count()).select_from(text("sqlite_stat1")).where(
                column("tbl").in_([members, facts])
            ).group_by(column("tbl"))
        counts = [row[0] for row in cursor.execute(stats).fetchall()]
    assert len(counts) == 2, counts  # both tables have statistics
    assert min(counts) > 0


def test_a_rebuild_s_batches_do_not_wait_for_the_disk_but_its_switch_and_the_live_runner_do(
    app: SansanApplication, toured: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild that dies (or whose server does) starts again from an empty generation, so
    the batches that fill it may commit before their log is on disk (PostgreSQL's
    synchronous_commit, for those transactions alone); the switch and the live runner's
    batches may not. SQLite commits as its connections are set to, whoever commits."""
    if toured.store.dialect != "postgres":
        pytest.skip("no per-transaction setting on SQLite: nothing turned off")
    seen: list[tuple[str, str]] = []  # (which batch, synchronous_commit inside it)
    real = ProjectionRunner.apply_batch

    def apply_batch(
        self: ProjectionRunner, cursor: Cursor, read_ahead: tuple[int, Read] | None = None
    ) -> int:
        kind = "live" if self is toured.projections else "fill" if read_ahead else "switch"
        setting: Any = cursor.execute(text("SHOW synchronous_commit")).fetchone()
        seen.append((kind, setting[0]))
        return real(self, cursor, read_ahead)

    monkeypatch.setattr(ProjectionRunner, "apply_batch", apply_batch)
    rebuild(app, toured.store, batch_size=5)
    app.execute(
        co.RegisterCommunity(occurred_on=t.D, name="河西社区", street_committee_id=t.STREET),
        actor="t",
    )
    toured.projections.catch_up()
    assert {kind for kind, _ in seen} == {"fill", "switch", "live"}
    assert {setting for kind, setting in seen if kind == "fill"} == {"off"}
    assert {setting for kind, setting in seen if kind != "fill"} == {"on"}
