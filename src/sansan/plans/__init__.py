"""The campaign plan as data."""

from sansan.plans.loader import (
    PlanError,
    PlanProblem,
    canonical_json,
    content_sha256,
    get_plan,
    load_plan,
    parse_plan,
    plan_content,
    shipped_plans,
)
from sansan.plans.registry import BrokenPlan, PlanEntry, PlanRegistry, pinned_plan
from sansan.plans.schema import DueRule, Period, Plan, Target, Window

SHIPPED_PLAN_ID = "sansan-v1"

__all__ = [
    "SHIPPED_PLAN_ID",
    "BrokenPlan",
    "DueRule",
    "Period",
    "Plan",
    "PlanEntry",
    "PlanError",
    "PlanProblem",
    "PlanRegistry",
    "Target",
    "Window",
    "canonical_json",
    "content_sha256",
    "get_plan",
    "load_plan",
    "parse_plan",
    "pinned_plan",
    "plan_content",
    "shipped_plans",
]
