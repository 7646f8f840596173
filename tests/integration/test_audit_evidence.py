"""Review finding 5: the audit spreadsheet carries each entry's note (备注), evidence number
(文号) and, for an imported row, its source (来源), each in a column of its own. Both stores."""

import io

from openpyxl import load_workbook

from sansan.api.audit_spreadsheet import HEADERS
from sansan.demo import demo_id
from tests.integration.api_support import bearer
from tests.integration.test_exports import Demo, csv_rows
from tests.integration.test_imports import upload

MEMBER = demo_id("member", "铁西-1")


def test_the_audit_spreadsheet_has_each_entrys_note_evidence_number_and_source(demo: Demo) -> None:
    client, tokens = demo
    recorded = client.post(
        f"/api/v1/members/{MEMBER}/trainings", headers=bearer(tokens["community"]),
        json={"occurred_on": "2026-11-20", "days": 1, "method": "lecture", "topic": "党课",
              "note": "备注内容", "evidence_ref": "铁组字〔2026〕5号"},
    )  # fmt: skip
    assert recorded.status_code in (200, 201), recorded.text
    repository = client.app.state.services.app.repository  # type: ignore[attr-defined]
    member = repository.get(MEMBER)
    branch = repository.get(member.organization_id).name
    csv = f"党员所在党组织,党员姓名,培训天数,培训方式,主题,发生日期\n{branch},{member.name},2,课堂讲课,导入的党课,2026-11-21\n"
    assert upload(client, tokens["county"], csv.encode(), "培训.csv").status_code == 201
    client.app.state.services.projections.catch_up()  # type: ignore[attr-defined]
    params = {"aggregate_id": str(MEMBER)}
    as_csv = csv_rows(client.get("/api/v1/audit/spreadsheet", params=params, headers=bearer(tokens["county"])).content)
    answer = client.get("/api/v1/audit/spreadsheet", params=params | {"format": "xlsx"}, headers=bearer(tokens["county"]))
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    as_xlsx = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    for table in (as_csv, as_xlsx):
        assert table[0][-4:] == ["内容", "备注", "文号", "来源"] == HEADERS[-4:]
        noted = next(row for row in table if row[-2] == "铁组字〔2026〕5号")
        assert noted[-3] == "备注内容"
        assert noted[-1] == ""
        assert "备注" not in noted[-4]
        assert "党课" in noted[-4]
        imported = next(row for row in table if "导入的党课" in row[-4])
        assert imported[-1].startswith("导入")
        assert "来源" not in imported[-4]
