"""Figure k of scripts/bench.py: a spreadsheet import against raw batched inserts.

An XLSX of ``members`` member rows and a training for each (one street, one general
branch, two branches) is imported on PostgreSQL by ``sansan.imports.Importer`` in a
process of its own (its peak RSS is the import's); then the events it stored are inserted
again into a fresh copy of the event table with plain ``executemany`` in as many
transactions, which is the reference. The import runs again at a quarter of the size in
another process, to show its peak RSS does not grow with the file.
"""

from __future__ import annotations

import io
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from psycopg import sql

from sansan.bootstrap import build_application, build_read_store
from sansan.imports import KIND_BY_KEY, Importer, Limits
from sansan.persistence import parse_postgres_url
from sansan.settings import Settings

BRANCHES = ("一号小区党支部", "二号小区党支部")
STREET, GENERAL, COMMUNITY = "导入街道党工委", "导入社区党总支", "导入社区"


def workbook(members: int) -> bytes:
    """The filled templates as a county would send them (write-only: any size)."""
    book = Workbook(write_only=True)

    def sheet(key: str, rows: Any) -> None:
        kind = KIND_BY_KEY[key]
        ws = book.create_sheet(kind.sheet)
        ws.append([c.header for c in kind.columns])
        for row in rows:
            ws.append([row.get(c.header) for c in kind.columns])

    sheet("communities", [{"社区名称": COMMUNITY, "街道党工委名称": STREET,
                           "社区来源": "新建居民小区", "发生日期": date(2026, 1, 2)}])  # fmt: skip
    sheet("organizations", [
        {"组织名称": STREET, "组织层级": "街道党工委", "发生日期": date(2026, 1, 2)},
        {"组织名称": GENERAL, "组织层级": "社区党总支", "上级党组织名称": STREET,
         "所属社区名称": COMMUNITY, "发生日期": date(2026, 1, 3)},
        *({"组织名称": b, "组织层级": "小区党支部", "上级党组织名称": GENERAL,
           "发生日期": date(2026, 1, 4)} for b in BRANCHES),
    ])  # fmt: skip
    sheet("members", ({"姓名": f"党员{i:06d}", "管理类别": "直管",
                       "所在党组织名称": BRANCHES[i % 2], "出生年份": 1960 + i % 40,
                       "发生日期": date(2026, 2, 1)} for i in range(members)))  # fmt: skip
    sheet("member_trainings", ({"党员所在党组织": BRANCHES[i % 2], "党员姓名": f"党员{i:06d}",
                                "培训天数": 2, "培训方式": "课堂讲课", "主题": "党课",
                                "发生日期": date(2026, 3, 1)} for i in range(members)))  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def peak_rss_mb() -> float:
    """This process's own peak resident memory: VmHWM, which starts afresh at exec.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries it over from the process that forked
    the child, so a child spawned after the parent had read the whole event table back (the
    raw reference) reported the parent's ~500 MB as its own (the "497 MB at 25,000 members").
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # not Linux


def _import(database_url: str, path: str, out: Any) -> None:
    """In a process of its own: the import, timed, and the process's peak RSS."""
    settings = Settings(database_url=database_url, run_scheduler=False)
    app, store = build_application(settings), build_read_store(settings)
    try:
        data = Path(path).read_bytes()
        limits = Limits(max_bytes=len(data) + 1, max_rows=10**7)
        began, cpu = time.perf_counter(), time.process_time()
        report = Importer(app, store, actor="bench:import", limits=limits).run(data, "k.xlsx")
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        store.close()
        app.close()
    out.put({
        "saved": report.saved, "problems": len(report.problems), "rows": report.rows,
        "events": report.events, "seconds": seconds, "cpu_seconds": cpu,
        "peak_rss_mb": peak_rss_mb(),
    })  # fmt: skip


def import_in_child(database_url: str, members: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as file:
        file.write(workbook(members))
        file.flush()
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        child = context.Process(target=_import, args=(database_url, file.name, out))
        child.start()
        found: dict[str, Any] = out.get()
        child.join()
    if not found["saved"]:
        sys.exit(f"k: the import did not save ({found['problems']} problems)")
    return found


def raw_reinsert(pg: Any, settings: Settings, transactions: int) -> float:
    """Seconds to insert the events the import stored into a fresh copy of the event table,
    with executemany, in ``transactions`` batches."""
    schema = parse_postgres_url(settings.database_url).schema
    app = build_application(settings)
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    app.close()
    with pg.connect(schema) as conn:
        conn.execute(
            sql.SQL("CREATE TABLE raw_events (LIKE {} INCLUDING ALL)").format(sql.Identifier(table))
        )
        rows = conn.execute(
            sql.SQL(
                "SELECT originator_id, originator_version, topic, state FROM {} ORDER BY 1, 2"
            ).format(sql.Identifier(table))
        ).fetchall()
        conn.commit()
        per_batch = max(1, -(-len(rows) // max(transactions, 1)))
        began = time.perf_counter()
        for start in range(0, len(rows), per_batch):
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO raw_events (originator_id, originator_version, topic, state)"
                    " VALUES (%s, %s, %s, %s)",
                    rows[start : start + per_batch],
                )
            conn.commit()
        return time.perf_counter() - began


def import_figure(pg: Any, members: int) -> dict[str, Any]:
    settings = pg.fresh("k")
    done = import_in_child(settings.database_url, members)
    batches = -(-done["rows"] // Limits().batch_rows)
    raw_seconds = raw_reinsert(pg, settings, batches)
    small = import_in_child(pg.fresh("k_small").database_url, max(1, members // 4))
    import_rate, raw_rate = done["events"] / done["seconds"], done["events"] / raw_seconds
    return {
        "members": members, "rows": done["rows"], "events": done["events"],
        "transactions": batches, "seconds": round(done["seconds"], 1),
        # the import's own CPU (its process's): what the machine's other load does not change
        "cpu_ms_per_row": round(1000 * done["cpu_seconds"] / max(done["rows"], 1), 3),
        "rows_per_s": round(done["rows"] / done["seconds"]),
        "events_per_s": round(import_rate), "raw_events_per_s": round(raw_rate),
        "ratio": round(import_rate / raw_rate, 3) if raw_rate else 0.0,
        "peak_rss_mb": done["peak_rss_mb"], "small_members": max(1, members // 4),
        "small_peak_rss_mb": small["peak_rss_mb"],
        "small_rows_per_s": round(small["rows"] / small["seconds"]),
    }  # fmt: skip
