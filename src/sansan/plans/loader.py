"""Loading plan files; a bad file fails at load, naming the wrong field."""

import json
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from sansan.plans.schema import Plan


class PlanError(ValueError):
    pass


def load_plan(path: Path | str) -> Plan:
    text = Path(path).read_text(encoding="utf-8")
    return parse_plan(text, source=str(path))


def parse_plan(text: str, source: str = "<plan>") -> Plan:
    try:
        return Plan.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise PlanError(f"{source}: not valid JSON at line {exc.lineno}: {exc.msg}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise PlanError(f"{source}: {problems}") from None


@cache
def shipped_plans() -> dict[str, Plan]:
    """Every plan file shipped in this package, by plan id."""
    plans = {}
    for entry in resources.files("sansan.plans").iterdir():
        if entry.name.endswith(".json"):
            plan = parse_plan(entry.read_text(encoding="utf-8"), source=entry.name)
            plans[plan.id] = plan
    return plans


def get_plan(plan_id: str) -> Plan | None:
    return shipped_plans().get(plan_id)
