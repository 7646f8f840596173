"""The import's batches and bounded memory, on both stores: units let go of between batches
come back from the scratch file, a stopped import resumes from its record's row mapping,
and the events are stamped when they are written, not when the rows were checked."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from sansan.application import SansanApplication
from sansan.bootstrap import build_read_store
from sansan.domain import ImportRecord, PartyOrganization
from sansan.domain.base import Provenance
from sansan.imports import UNFINISHED, Importer, Limits, TooManyRows, engine
from sansan.imports import scratch as scratch_module
from sansan.imports.kinds import MEMBER, derived_id
from sansan.imports.reading import rows_at_most
from sansan.projections.runner import ProjectionRunner
from sansan.projections.store import ReadStore
from sansan.settings import Settings
from tests.integration.test_imports import filled, new_county

BRANCHES = ["新区一社区第一党支部", "新区一社区第二党支部"]
# a few units in memory, small batches, fewer rows read ahead than a batch holds: most
# members leave memory before their training, some while their batch is still open
TIGHT = Limits(batch_rows=7, keep_units=3, read_ahead=5)


@pytest.fixture
def store(settings: Settings) -> Iterator[ReadStore]:
    opened = build_read_store(settings)
    yield opened
    opened.close()


def member_history(app: SansanApplication, i: int) -> list[str]:
    org = derived_id("organization", BRANCHES[i % 2], None)
    return [e.type for e in app.history(derived_id(MEMBER, f"党员{i:04d}", org))]


def trained_once_each(app: SansanApplication, members: int) -> None:
    for i in range(members):
        trained = ["TrainingCompleted"] if i % 10 == 0 else []
        assert member_history(app, i) == ["MemberRegistered", *trained], i


def test_units_let_go_of_between_batches_come_back_and_a_repeated_fact_is_still_skipped(
    app: SansanApplication, store: ReadStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    county = new_county(30)
    trainings = county["member_trainings"]
    # trainings of nine more members, on another day, push the first member out of memory
    # before its training comes once more at the end
    again = dict(trainings[0])
    for i in range(1, 10):
        trainings.append({**trainings[0], "党员姓名": f"党员{i:04d}", "党员所在党组织": BRANCHES[i % 2], "发生日期": "2026-05-02"})  # fmt: skip
    trainings.append(again)
    spilled: list[Any] = []
    real_put = scratch_module.Scratch.put_unit

    def counted(self: Any, unit_id: Any, held: Any) -> None:
        spilled.append(unit_id)
        real_put(self, unit_id, held)

    monkeypatch.setattr(scratch_module.Scratch, "put_unit", counted)
    report = Importer(app, store, actor="cli:admin", limits=TIGHT).run(filled(county), "c.xlsx")
    assert report.saved, report.problems
    assert len(spilled) >= 27  # all but the three kept units left memory at least once
    assert report.recorded["members"] == 30
    assert report.recorded["member_trainings"] == 12
    assert report.skipped["member_trainings"] == 1
    for i in range(30):
        trained = ["TrainingCompleted"] if i % 10 == 0 or i < 10 else []
        assert member_history(app, i) == ["MemberRegistered", *trained], i


def test_a_later_batch_refused_leaves_the_import_resumable_and_the_rerun_doubles_nothing(
    app: SansanApplication, store: ReadStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = filled(new_county(30))
    real_save, saves = app.save_encoded, []

    def refused_at_the_fourth_batch(*objs: Any, **kwargs: Any) -> Any:
        saves.append(objs)
        if len(saves) == 4:
            raise IntegrityError("another writer")
        return real_save(*objs, **kwargs)

    monkeypatch.setattr(app, "save_encoded", refused_at_the_fourth_batch)
    stopped = Importer(app, store, actor="cli:admin", limits=TIGHT).run(data, "c.xlsx")
    assert [p.code for p in stopped.problems] == [UNFINISHED]
    assert not stopped.saved
    assert stopped.import_id is not None
    assert not app.get(stopped.import_id, ImportRecord).finished
    monkeypatch.setattr(app, "save_encoded", real_save)
    # the rerun finds what the stopped run created from the record's row mapping, in one
    # read, not by asking the store for each row's unit
    gets: list[Any] = []
    real_get = app.repository.get

    def counted_get(aggregate_id: Any, *args: Any, **kwargs: Any) -> Any:
        gets.append(aggregate_id)
        return real_get(aggregate_id, *args, **kwargs)

    monkeypatch.setattr(app.repository, "get", counted_get)
    finished = Importer(app, store, actor="cli:admin", limits=TIGHT).run(data, "c.xlsx")
    assert finished.saved, finished.problems
    assert finished.import_id == stopped.import_id
    assert 0 < finished.recorded["members"] < 30
    assert finished.skipped["members"] == 30 - finished.recorded["members"]
    assert len(gets) < 15  # the record, the organizations and community, trained members
    assert app.get(finished.import_id, ImportRecord).finished
    trained_once_each(app, 30)


def test_a_partly_imported_overlap_in_small_batches_records_only_what_is_new(
    app: SansanApplication, store: ReadStore
) -> None:
    first = Importer(app, store, actor="cli:admin").run(filled(new_county(20)), "a.xlsx")
    assert first.saved, first.problems
    ProjectionRunner(app, store).catch_up()  # as the command line does before an import
    more = Importer(app, store, actor="cli:admin", limits=TIGHT).run(
        filled(new_county(30)), "b.xlsx"
    )
    assert more.saved, more.problems
    assert more.recorded == {"members": 10, "member_trainings": 1}
    assert more.skipped["members"] == 20
    assert more.skipped["member_trainings"] == 2
    trained_once_each(app, 30)


def test_events_are_stamped_when_they_are_written_not_when_their_rows_were_checked(
    app: SansanApplication, store: ReadStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    began: list[datetime] = []
    real_write = Importer._write_all

    def writing(self: Importer) -> None:
        began.append(datetime.now(UTC))
        real_write(self)

    monkeypatch.setattr(Importer, "_write_all", writing)
    report = Importer(app, store, actor="cli:admin", limits=TIGHT).run(
        filled(new_county(10)), "c.xlsx"
    )
    assert report.saved, report.problems
    org = derived_id("organization", BRANCHES[0], None)
    events = list(app.events.get(derived_id(MEMBER, "党员0000", org)))
    assert events
    assert all(e.timestamp >= began[0] for e in events)


def test_a_monthly_file_of_facts_on_units_the_store_holds_reads_them_together_and_twice_records_once(
    app: SansanApplication, store: ReadStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    county = Importer(app, store, actor="cli:admin").run(filled(new_county(30)), "a.xlsx")
    assert county.saved, county.problems
    ProjectionRunner(app, store).catch_up()
    month = filled({"member_trainings": [
        {"党员所在党组织": BRANCHES[i % 2], "党员姓名": f"党员{i:04d}", "培训天数": 1,
         "培训方式": "课堂讲课", "主题": "月度党课", "发生日期": "2026-05-03"}
        for i in range(30)
    ]})  # fmt: skip
    reads: list[Any] = []
    for name in ("get",):
        real = getattr(app.repository, name)
        monkeypatch.setattr(app.repository, name, lambda *a, real=real, **k: reads.append(a) or real(*a, **k))  # fmt: skip
    real_events = app.events.get
    monkeypatch.setattr(app.events, "get", lambda *a, **k: reads.append(a) or real_events(*a, **k))
    first = Importer(app, store, actor="cli:admin", limits=TIGHT).run(month, "m.xlsx")
    assert first.saved, first.problems
    assert first.recorded == {"member_trainings": 30}
    # the import's own record, not one or two reads for each of the 30 members
    assert len(reads) < 5, reads
    again = Importer(app, store, actor="cli:admin", limits=TIGHT).run(month, "m.xlsx")
    assert again.saved, again.problems
    assert sum(again.recorded.values()) == 0
    assert again.skipped["member_trainings"] == 30
    for i in range(30):
        trained = ["TrainingCompleted"] if i % 10 == 0 else []
        assert member_history(app, i) == ["MemberRegistered", *trained, "TrainingCompleted"], i


def test_a_store_set_to_compress_its_events_gets_them_compressed_and_stamped_when_written(
    open_app: Any, store: ReadStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checking pass encodes the events and the writing pass stamps them: a store
    that compresses (the library's own setting) gets them compressed after the stamp."""
    monkeypatch.setenv("COMPRESSOR_TOPIC", "eventsourcing.compressor:ZlibCompressor")
    app = open_app()
    assert app.mapper.compressor is not None
    began = datetime.now(UTC)
    report = Importer(app, store, actor="cli:admin", limits=TIGHT).run(
        filled(new_county(10)), "c.xlsx"
    )
    assert report.saved, report.problems
    org = derived_id("organization", BRANCHES[0], None)
    member = derived_id(MEMBER, "党员0000", org)
    stored = app.recorder.select_events(member)
    assert stored
    assert all(not s.state.startswith(b"{") for s in stored)  # compressed
    events = list(app.events.get(member))
    assert [type(e).__name__ for e in events] == ["MemberRegistered", "TrainingCompleted"]
    assert all(e.timestamp >= began for e in events)


class _CountedQueries:
    """The scratch file's connection, with the statements it was asked to run noted."""

    def __init__(self, db: Any) -> None:
        self.db, self.statements = db, []

    def execute(self, statement: str, *args: Any) -> Any:
        self.statements.append(statement)
        return self.db.execute(statement, *args)

    def close(self) -> None:
        self.db.close()


def test_the_scratch_file_is_asked_only_for_units_it_may_hold_and_gives_them_back_whole() -> None:
    today = date(2026, 3, 1)
    prov = Provenance(actor="cli:admin", occurred_on=today, today=today)
    street = PartyOrganization.establish(
        prov, name="导入街道党工委", level="street_committee", parent=None, community=None
    )
    street.collect_events()
    known: dict[str, set[Any]] = {"2026-03-01": {("OrganizationEstablished", "导入街道党工委")}}
    scratch = scratch_module.Scratch()
    try:
        scratch.put_unit(street.id, scratch_module.Held(street, True, True, known))
        counted = _CountedQueries(scratch.db)
        scratch.db = counted  # type: ignore[assignment]
        # another id: not let go of, and nothing asked of the file
        assert scratch.unit(UUID(int=street.id.int ^ 1)) is None
        assert not scratch.has(UUID(int=street.id.int ^ 1))
        assert counted.statements == []
        # an id that shares the let-go unit's bit is looked for, and not found
        assert scratch.unit(UUID(int=street.id.int ^ (1 << 100))) is None
        assert len(counted.statements) == 1
        back = scratch.unit(street.id)
        assert back is not None
        assert type(back.unit) is PartyOrganization
        assert vars(back.unit) == vars(street)
        assert (back.created, back.changed, back.known) == (True, True, known)
    finally:
        scratch.close()


def test_a_file_over_the_row_limit_is_refused_before_a_single_row_is_checked(
    app: SansanApplication, store: ReadStore
) -> None:
    data = filled(new_county(25))
    rows = Importer(app, store, actor="cli:admin").run(data, "c.xlsx", dry_run=True).rows
    assert rows > 25  # the tree, the roster and the trainings
    at_the_limit = Importer(app, store, actor="cli:admin", limits=Limits(max_rows=rows))
    assert at_the_limit.run(data, "c.xlsx", dry_run=True).problems == []
    checked: list[None] = []
    over = Importer(
        app, store, actor="cli:admin", limits=Limits(max_rows=rows - 1),
        on_row=lambda: checked.append(None),
    )  # fmt: skip
    with pytest.raises(TooManyRows):
        over.run(data, "c.xlsx", dry_run=True)
    assert checked == []  # refused by the first pass, not after validating all but one row


def test_the_exact_count_is_read_only_when_the_rough_one_is_over_the_limit(
    app: SansanApplication, store: ReadStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first pass reads every cell (a tenth of a large import's time) to refuse a file
    over the row limit early; a file whose row elements are fewer than the limit cannot be
    over it, so it is read once, by the check. Between the two counts, the exact one says."""
    data = filled(new_county(25))
    rows = Importer(app, store, actor="cli:admin").run(data, "c.xlsx", dry_run=True).rows
    at_most = rows_at_most(data)
    assert at_most is not None
    assert at_most > rows  # header and instruction rows besides
    reads: list[str] = []
    real = engine.file_sheets

    def counted(data: bytes, file_name: str) -> Any:
        reads.append(file_name)
        return real(data, file_name)

    monkeypatch.setattr(engine, "file_sheets", counted)
    for limit, times in ((at_most, 1), (at_most - 1, 2), (rows, 2)):
        reads.clear()
        report = Importer(app, store, actor="cli:admin", limits=Limits(max_rows=limit)).run(
            data, "c.xlsx", dry_run=True
        )
        assert (report.problems, len(reads)) == ([], times), limit
