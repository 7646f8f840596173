"""The campaign plan as data."""

from sansan.plans.loader import PlanError, get_plan, load_plan, parse_plan, shipped_plans
from sansan.plans.schema import DueRule, Plan, Target

SHIPPED_PLAN_ID = "sansan-v1"

__all__ = [
    "SHIPPED_PLAN_ID",
    "DueRule",
    "Plan",
    "PlanError",
    "Target",
    "get_plan",
    "load_plan",
    "parse_plan",
    "shipped_plans",
]
