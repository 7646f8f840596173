"""`sansan import` as a user runs it: a template, a file with a mistake, a dry run, the
import and its repetition."""

import os
import subprocess
from pathlib import Path

from openpyxl import load_workbook

from sansan.bootstrap import build_application
from sansan.settings import Settings


def sansan(*args: str, db: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANSAN_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(
        ["sansan", *args], capture_output=True, text=True, env=env, timeout=300, cwd=cwd
    )


def events(db: Path) -> int:
    app = build_application(Settings(database_url=f"sqlite:///{db}", auto_migrate=False))
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def test_sansan_import_reports_mistakes_checks_imports_and_records_nothing_twice(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    assert sansan("demo", db=db, cwd=tmp_path).returncode == 0
    made = sansan("import", "template", "members", "-o", "名册.xlsx", db=db, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    book = load_workbook(tmp_path / "名册.xlsx")
    sheet = book["党员"]
    for i in range(20):
        sheet.append([f"命令行{i}", "直管", "铁西社区党总支", 1970 + i, None, None, "2026-04-01"])
    sheet.append(["命令行错", "直管", "没有这个支部", 1970, None, None, "2026-04-01"])
    book.save(tmp_path / "名册.xlsx")
    before = events(db)

    refused = sansan("import", "名册.xlsx", db=db, cwd=tmp_path)
    assert refused.returncode == 1
    assert "第 23 行" in refused.stdout
    assert "没有名为“没有这个支部”的党组织" in refused.stdout
    assert "未记录任何内容" in refused.stdout
    marked = load_workbook(tmp_path / "名册-错误.xlsx")["党员"]
    assert marked.cell(row=23, column=10).value.endswith("没有名为“没有这个支部”的党组织")
    assert events(db) == before

    sheet.delete_rows(sheet.max_row)
    book.save(tmp_path / "名册.xlsx")
    checked = sansan("import", "名册.xlsx", "--dry-run", db=db, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert "检查通过" in checked.stdout
    assert events(db) == before

    done = sansan("import", "名册.xlsx", db=db, cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert "党员：已记录 20 行" in done.stdout
    assert "导入" in done.stderr  # the progress bar
    again = sansan("import", "名册.xlsx", db=db, cwd=tmp_path)
    assert "党员：已记录 0 行，已存在而跳过 20 行" in again.stdout
