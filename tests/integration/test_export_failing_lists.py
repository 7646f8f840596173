"""Review finding 8: the progress and scorecard spreadsheets list every failing unit, one a
row (a sheet 《未达标明细》 in XLSX, a section in CSV), however long the list; no cell is longer
than Excel holds (32,767 characters). On both stores."""

import io
from typing import Any

from openpyxl import load_workbook

from sansan.api.exports import DETAIL_HEADERS, DETAILS, INLINE_MAX
from tests.integration.api_support import bearer
from tests.integration.test_exports import (
    CAMPAIGN,
    EXPORTS,
    Demo,
    csv_rows,
    download,
    register_unchecked,
)

EXCEL_CELL_MAX = 32_767
MEMBERS = 200
LONG = "长" * 180  # 200 members of such names fail the training target: over 36,000 characters


def listed_in_json(client: Any, token: str, path: str) -> set[tuple[str, str, str, str]]:
    """Every failing unit the JSON answer names: (target, year, unit, reason)."""
    answer = client.get(
        f"/api/v1{path}", params={"as_of": "2026-11-27", "failing_limit": 1000}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    found = set()
    for t in answer.json()["targets"]:
        title = t["title_zh"] + ("（全县目标）" if t.get("county_wide") else "（所在街道目标）" if t.get("street_wide") else "")
        if t["periods"]:
            for p in t["periods"]:
                year = p["label_zh"] + ("（已结束）" if p["kind"] == "ended" else "（本年度）")
                assert p["failing_total"] == len(p["failing"])
                found |= {(title, year, f["unit_name"], f["reason_zh"]) for f in p["failing"]}
        else:
            assert t["failing_total"] == len(t["failing"])
            found |= {(title, "", f["unit_name"], f["reason_zh"]) for f in t["failing"]}
    return found


def test_every_failing_unit_is_listed_one_a_row_however_long_the_list(demo: Demo) -> None:
    client, tokens = demo
    for n in range(MEMBERS):
        register_unchecked(client, f"{LONG}{n:03d}")
    for path in (f"/campaigns/{CAMPAIGN}/progress", EXPORTS[1]):
        expected = listed_in_json(client, tokens["county"], path)
        assert sum(LONG in unit for _, _, unit, _ in expected) >= MEMBERS, path

        book = load_workbook(io.BytesIO(download(client, tokens["county"], path, "xlsx")))
        summary, details = book.worksheets
        assert details.title == DETAILS
        assert [c.value for c in details[1]] == DETAIL_HEADERS
        rows = [[c.value for c in row] for row in details.iter_rows(min_row=2)]
        assert {(r[0], r[1] or "", r[2], r[3]) for r in rows} == expected, path
        assert len(rows) == len(expected)
        cells = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
        assert max(len(c) for c in cells) <= INLINE_MAX + 100
        training = next(row for row in summary.iter_rows(values_only=True) if row[0] == "党员年度培训")
        assert training[9] == f"共{training[8]}，名单及原因见《{DETAILS}》"

        table = csv_rows(download(client, tokens["county"], path, "csv"))
        assert max(len(v) for row in table for v in row) < EXCEL_CELL_MAX
        details = [r[1:] for r in table if r[0] == DETAILS]  # each row marked in column A
        assert table.index([DETAILS, *DETAIL_HEADERS]) == len(table) - len(details)  # after the targets
        assert details[0] == DETAIL_HEADERS
        assert {(r[0], r[1], r[2], r[3]) for r in details[1:]} == expected, path
        assert len(details) - 1 == len(expected)


def test_a_short_failing_list_stays_in_its_cell_and_in_the_details(demo: Demo) -> None:
    client, tokens = demo
    register_unchecked(client, "短名甲")
    path = f"/campaigns/{CAMPAIGN}/progress"
    book = load_workbook(io.BytesIO(download(client, tokens["county"], path, "xlsx")))
    training = next(row for row in book.worksheets[0].iter_rows(values_only=True) if row[0] == "党员年度培训")
    assert "短名甲（铁西社区）：" in training[9]
    assert any(str(r[2]).startswith("短名甲（铁西社区）") for r in book[DETAILS].iter_rows(values_only=True))
