"""A rebuild fills the next generation beside the live one, which keeps answering and
following the log until the switch."""

from collections.abc import Iterator

import pytest
from sqlalchemy import column, func, select, text

from sansan.application import SansanApplication
from sansan.bootstrap import Services, build_services
from sansan.commands import community as co
from sansan.commands import examples as t
from sansan.projections.rebuild import rebuild
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
