"""Loading plan files; a bad file fails at load, naming every wrong field in Chinese and English."""

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sansan.plans.schema import Plan


@dataclass(frozen=True)
class PlanProblem:
    """One thing wrong with a plan file: where (a field path, or the JSON's line and column)."""

    path: str
    type: str
    message_zh: str
    message_en: str

    def line(self) -> str:
        return f"{self.path}: {self.message_zh} / {self.message_en}"


class PlanError(ValueError):
    def __init__(self, source: str, problems: list[PlanProblem]) -> None:
        english = "; ".join(f"{p.path}: {p.message_en}" for p in problems)
        super().__init__(f"{source}: {english}")
        self.source, self.problems = source, problems


def load_plan(path: Path | str) -> Plan:
    text = Path(path).read_text(encoding="utf-8")
    return parse_plan(text, source=str(path))


def parse_plan(text: str, source: str = "<plan>") -> Plan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise PlanError(source, [PlanProblem(
            "(json)", "json_invalid",
            f"JSON 语法错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}",
            f"not valid JSON at {where}: {exc.msg}",
        )]) from None  # fmt: skip
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        problems = [translate(e) for e in exc.errors()]
        if not any(p.type == "duplicate_target_id" for p in problems):
            problems += _duplicate_targets(data)  # pydantic checks it only once all else passes
        raise PlanError(source, problems) from None


def _duplicate_targets(data: object) -> list[PlanProblem]:
    targets = data.get("targets") if isinstance(data, dict) else None
    ids = [t.get("id") for t in targets if isinstance(t, dict)] if isinstance(targets, list) else []
    twice = sorted({i for i in ids if isinstance(i, str) and ids.count(i) > 1})
    return [
        PlanProblem(
            "targets", "duplicate_target_id", f"目标编号重复：{i}", f"target id {i!r} appears twice"
        )
        for i in twice
    ]


def translate(error: ErrorDetails) -> PlanProblem:
    """A pydantic error as a plan author reads it, in Chinese and English."""
    path = ".".join(str(p) for p in error["loc"]) or "(plan)"
    kind, given, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    english = error["msg"]
    if kind == "literal_error" and path.endswith(".rule"):
        kind = "unknown_rule"
        zh = f"未知的规则“{given}”；可用规则：{ctx.get('expected', '')}"
        english = f"unknown rule {given!r}; the rules are: {ctx.get('expected', '')}"
    elif kind == "value_error" and "appears twice" in english:
        kind = "duplicate_target_id"
        zh = f"目标编号重复：{english.split(chr(39))[1] if chr(39) in english else ''}"
    else:
        template = _ZH.get(kind)
        zh = template.format(**{k: str(v) for k, v in ctx.items()}) if template else "取值无效"
    return PlanProblem(path, kind, zh, english)


# Chinese wording of pydantic's error types a plan author meets; the English is pydantic's.
_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许出现该字段（拼写错误？）",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "list_type": "应为 JSON 数组",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "greater_than": "取值超出范围：须大于 {gt}",
    "greater_than_equal": "取值超出范围：须不小于 {ge}",
    "less_than": "取值超出范围：须小于 {lt}",
    "less_than_equal": "取值超出范围：须不大于 {le}",
    "too_short": "项目太少：至少 {min_length} 项",
    "too_long": "项目太多：至多 {max_length} 项",
    "string_too_short": "不能为空",
    "string_too_long": "文本过长",
    "string_pattern_mismatch": "格式不符合要求（须匹配 {pattern}）",
    "literal_error": "取值不在允许范围内：{expected}",
    "value_error": "取值无效：{error}",
}


def canonical_json(content: dict[str, Any]) -> str:
    """The one text a plan's content is hashed as."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def plan_content(plan: Plan) -> dict[str, Any]:
    """What a campaign pins: the plan as JSON data, every default spelled out."""
    return plan.model_dump(mode="json")


@cache
def shipped_plans() -> dict[str, Plan]:
    """Every plan file shipped in this package, by plan id (the package's files never change
    while the process runs; plans from SANSAN_PLANS_DIR are the registry's)."""
    plans = {}
    for entry in resources.files("sansan.plans").iterdir():
        if entry.name.endswith(".json"):
            plan = parse_plan(entry.read_text(encoding="utf-8"), source=entry.name)
            plans[plan.id] = plan
    return plans


def get_plan(plan_id: str) -> Plan | None:
    """A shipped plan by id (tests and the demo; the service asks its PlanRegistry)."""
    return shipped_plans().get(plan_id)
