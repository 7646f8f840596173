"""Read-model statements are SQLAlchemy Core expressions run with bound parameters on both stores."""


from sqlalchemy import bindparam, func, select

from sansan.projections.sql import Prepared
from sansan.projections.store import ReadStore
from sansan.projections.tables import create_tables

HOSTILE = "x'); DROP TABLE rm_members; --"


def _member(i: int, name: str) -> dict[str, object]:
    return {
        "id": f"m{i}", "name": name, "category": "regular", "organization_id": "o1",
        "community_id": "c1", "registered_on": "2026-01-01", "version": 1,
    }  # fmt: skip


def test_a_hostile_value_is_stored_as_data_not_run_as_sql(store: ReadStore) -> None:
    with store.transaction(lock=True) as c:
        c.executemany(c.t.members.insert(), [_member(1, HOSTILE), _member(2, "李磊 100%")])
    with store.transaction() as c:
        names = c.execute(
            select(c.t.members.c.name).where(c.t.members.c.name.in_([HOSTILE, "李磊 100%"]))
            .order_by(c.t.members.c.id)
        ).fetchall()  # fmt: skip
        assert [n[0] for n in names] == [HOSTILE, "李磊 100%"]
        like = c.execute(
            select(func.count()).where(c.t.members.c.name.like("%100\\%", escape="\\"))
        ).fetchone()
        assert like[0] == 1


def test_a_prepared_statement_takes_its_values_per_call(store: ReadStore) -> None:
    with store.transaction(lock=True) as c:
        c.executemany(c.t.members.insert(), [_member(i, f"成员{i}") for i in range(5)])
        by_id = Prepared(select(c.t.members.c.name).where(c.t.members.c.id == bindparam("id")))
        assert c.execute(by_id, {"id": "m3"}).fetchone()[0] == "成员3"
        assert c.execute(by_id, {"id": "m4"}).fetchone()[0] == "成员4"


def test_an_upsert_keeps_the_first_row_or_updates_it_as_asked(store: ReadStore) -> None:
    with store.transaction(lock=True) as c:
        members = c.t.members
        c.execute(members.insert().values(**_member(1, "甲")))
        c.execute(c.upsert(members).values(**_member(1, "乙")).on_conflict_do_nothing())
        assert c.execute(select(members.c.name)).fetchall() == [("甲",)]
        insert = c.upsert(members).values(**_member(1, "丙"))
        c.execute(insert.on_conflict_do_update(index_elements=["id"], set_={"name": "丙"}))
        assert c.execute(select(members.c.name)).fetchall() == [("丙",)]


def test_each_generation_has_tables_of_its_own(store: ReadStore) -> None:
    create_tables(store, 2)
    with store.transaction(lock=True, generation=2) as c:
        assert c.t.members.name == "rm2_members"
        c.execute(c.t.members.insert().values(**_member(1, "新一代")))
    with store.transaction() as c:
        assert c.execute(select(func.count()).select_from(c.t.members)).fetchone()[0] == 0
