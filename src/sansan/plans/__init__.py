"""The campaign plan as data."""

from sansan.plans.loader import PlanError, get_plan, load_plan, parse_plan, shipped_plans
from sansan.plans.schema import DueRule, Period, Plan, Target, Window

SHIPPED_PLAN_ID = "sansan-v1"

__all__ = [
    "SHIPPED_PLAN_ID",
    "DueRule",
    "Period",
    "Plan",
    "PlanError",
    "Target",
    "Window",
    "get_plan",
    "load_plan",
    "parse_plan",
    "shipped_plans",
]
