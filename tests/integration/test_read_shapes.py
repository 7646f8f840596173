"""A SELECT is compiled once per shape: built anew with other values (a day, a longer list of
ids) it runs with its own values, on both stores."""


from sqlalchemy import select

from sansan.projections import sql
from sansan.projections.store import ReadStore


def _member(i: int) -> dict[str, object]:
    return {
        "id": f"m{i}", "name": f"成员{i}", "category": "regular", "organization_id": "o1",
        "community_id": f"c{i % 2}", "registered_on": f"2026-01-0{i}", "version": 1,
    }  # fmt: skip


def test_the_same_shape_runs_with_each_call_s_own_values(store: ReadStore) -> None:
    with store.transaction(lock=True) as c:
        c.executemany(c.t.members.insert(), [_member(i) for i in range(1, 6)])
    with store.transaction() as c:
        m = c.t.members

        def registered_by(day: str, communities: list[str]) -> list[str]:
            statement = (
                select(m.c.id)
                .where(m.c.registered_on <= day, m.c.community_id.in_(communities))
                .order_by(m.c.id)
            )
            return [r[0] for r in c.execute(statement).fetchall()]

        assert registered_by("2026-01-02", ["c0", "c1"]) == ["m1", "m2"]
        shapes = len(sql._SHAPES)
        assert registered_by("2026-01-05", ["c1"]) == ["m1", "m3", "m5"]
        assert registered_by("2026-01-04", ["c0", "c1", "c9"]) == ["m1", "m2", "m3", "m4"]
        assert registered_by("2026-01-05", []) == []
        assert len(sql._SHAPES) == shapes  # compiled once, expanded per call
