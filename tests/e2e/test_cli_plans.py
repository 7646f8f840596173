"""`sansan plans list` and `sansan plans validate`, through click's runner."""

import json
from pathlib import Path

from click.testing import CliRunner

from sansan.cli import main
from sansan.plans import get_plan, shipped_plans

TARGETS = len(shipped_plans()["sansan-v1"].targets)


def shipped() -> dict:  # type: ignore[type-arg]
    plan = get_plan("sansan-v1")
    assert plan is not None
    return plan.model_dump(mode="json")


def run(*args: str, plans_dir: Path | None = None) -> tuple[int, str, str]:
    env = {"SANSAN_PLANS_DIR": str(plans_dir) if plans_dir else ""}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_plans_list_names_each_plan_its_source_hash_and_targets(tmp_path: Path) -> None:
    data = shipped() | {"id": "other-county", "title_zh": "外县创建方案"}
    data["targets"] = data["targets"][:5]
    (tmp_path / "other.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "bad.json").write_text('{"id": "bad-plan"}', encoding="utf-8")
    code, out, _ = run("plans", "list", plans_dir=tmp_path)
    assert code == 0, out
    lines = [line.split("\t") for line in out.splitlines()]
    assert lines[0] == ["编号 id", "名称 title", "来源 source", "sha256", "目标数 targets"]
    rows = {row[0]: row for row in lines[1:-1]}
    assert rows["other-county"][1:3] == ["外县创建方案", str(tmp_path / "other.json")]
    assert len(rows["other-county"][3]) == 12
    assert rows["other-county"][4] == "5"
    assert rows["sansan-v1"][2:] == ["package:sansan-v1.json", rows["sansan-v1"][3], str(TARGETS)]
    assert rows["bad-plan"][1].startswith("（无效 invalid：")
    assert lines[-1] == ["共 2 个方案 / 2 plans"]


def test_plans_list_stops_on_a_plan_id_taken_twice(tmp_path: Path) -> None:
    (tmp_path / "copy.json").write_text(json.dumps(shipped()), encoding="utf-8")
    code, _, err = run("plans", "list", plans_dir=tmp_path)
    assert code == 1
    assert "方案编号“sansan-v1”重复" in err


def test_plans_validate_summarizes_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(shipped(), ensure_ascii=False), encoding="utf-8")
    code, out, _ = run("plans", "validate", str(path))
    assert code == 0, out
    assert out.splitlines()[0] == "有效 / valid"
    assert "编号 id：sansan-v1" in out
    assert f"目标 targets：{TARGETS}" in out


def test_plans_validate_lists_every_error_by_field_in_chinese_and_english(tmp_path: Path) -> None:
    data = shipped()
    data["targets"][0].pop("clause")
    data["targets"][1]["rule"] = "vibes"
    data["targets"][2]["threshold"] = -1
    data["targets"].append(dict(data["targets"][3]))
    data["colour"] = "red"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, out, err = run("plans", "validate", str(path))
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0] == f"无效 / invalid：{path}"
    found = {line.strip().split(":")[0]: line for line in lines[1:]}
    assert set(found) == {
        "targets.0.clause", "targets.1.rule", "targets.2.threshold", "targets", "colour",
    }  # fmt: skip
    assert "缺少必填字段 / Field required" in found["targets.0.clause"]
    assert "未知的规则“vibes”" in found["targets.1.rule"]
    assert "取值超出范围：须不小于 0" in found["targets.2.threshold"]
    assert "目标编号重复：team-trained" not in found["targets"]  # it names the id it found
    assert "目标编号重复：team-training" in found["targets"]
    assert "不允许出现该字段" in found["colour"]


def test_plans_validate_names_the_line_and_column_of_a_json_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "x",\n  oops\n}', encoding="utf-8")
    code, _, err = run("plans", "validate", str(path))
    assert code == 1
    assert "JSON 语法错误（第 3 行第 3 列）" in err
    assert "line 3, column 3" in err
