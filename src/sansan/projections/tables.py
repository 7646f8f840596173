"""Creating, versioning and dropping the read-model tables (declared in ``schema``)."""

from sqlalchemy import DDL, select
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from sansan.projections.schema import projection_meta, read_model
from sansan.projections.store import Cursor, ReadStore

PROJECTION_NAME = "read_models"
# Bump when the projector or the tables change: the next start rebuilds beside the old ones.
# 12: a target's verdict step is the day after its due date; 13: the audit rows keep each
# event's note and evidence number (文号); 14: audit_places, every community (and street) whose
# members a read of personal data names, and a supervision item's row keeps the day of its last
# status change and the role that assigned it (its light and reviewer, as the case file's);
# 15: an upgrade of one area leaves the community's other area as it was
PROJECTION_VERSION = 15

TABLES = [t.name for t in read_model(1).tables]


def ensure_meta(store: ReadStore) -> None:
    # Write-locked from the start: a SQLite transaction that reads first and writes later
    # can wait on another writer that will not let go.
    with store.transaction(lock=True, generation=1, pointer=False) as cursor:
        cursor.execute(CreateTable(projection_meta, if_not_exists=True))
        cursor.execute(
            cursor.upsert(projection_meta)
            .values(id=1, generation=1, projection_version=PROJECTION_VERSION)
            .on_conflict_do_nothing(index_elements=["id"])
        )


def read_meta(store: ReadStore) -> tuple[int, int]:
    """(live generation, the projection version it was built by)."""
    with store.transaction(generation=1) as cursor:
        row = cursor.execute(
            select(projection_meta.c.generation, projection_meta.c.projection_version).where(
                projection_meta.c.id == 1
            )
        ).fetchone()
    return int(row[0]), int(row[1])


def create_tables(store: ReadStore, generation: int | None = None, *, indexes: bool = True) -> None:
    """The generation's tables (and their secondary indexes, unless a rebuild adds them once
    it has filled the tables: building an index at once is cheaper than row by row)."""
    ensure_meta(store)
    with store.transaction(lock=True, generation=generation) as cursor:
        for table in cursor.t.tables:
            cursor.execute(CreateTable(table, if_not_exists=True))
        if indexes:
            _create_indexes(cursor)
        cursor.execute(
            cursor.upsert(cursor.t.tracking)
            .values(name=PROJECTION_NAME, position=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )


def create_indexes(store: ReadStore, generation: int) -> None:
    """A filled generation's secondary indexes and its planner statistics. On PostgreSQL
    without holding the generation pointer, so the live generation's runner keeps following
    the log meanwhile."""
    with store.transaction(lock=store.dialect == "sqlite", generation=generation) as cursor:
        _create_indexes(cursor)
        # Tables filled in one go have no statistics until autovacuum comes by; meanwhile the
        # planner took 100,000 members for 11,000 and chose nested loops for the board.
        for table in cursor.t.tables:
            cursor.execute(DDL("ANALYZE %(fullname)s").against(table))


def _create_indexes(cursor: Cursor) -> None:
    for table in cursor.t.tables:
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            cursor.execute(CreateIndex(index, if_not_exists=True))


def drop_tables(store: ReadStore, generation: int) -> None:
    with store.transaction(lock=True, generation=generation) as cursor:
        for table in cursor.t.tables:
            cursor.execute(DropTable(table, if_exists=True))
