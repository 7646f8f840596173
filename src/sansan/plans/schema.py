"""The campaign plan as data: targets with their rule, threshold, due date and warning window.

Another county's plan differs in numbers and dates, not in kind, so a new plan is a new
data file, not new code. Each target names one of the evaluator ``rule``s the compliance
engine knows; ``params`` carry that rule's numbers.
"""

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Rule = Literal[
    "general_branch_exists",
    "team_share_under_age",
    "team_share_educated",
    "team_trained_once",
    "new_team_party_school",
    "working_systems",
    "member_cards",
    "member_training_days",
    "coordination_bodies_met",
    "service_network",
    "standard_sites_count",
    "standard_site_each",
    "funding_each",
    "worker_insurance",
    "pilot_community",
    "designated_type_items",
    "five_goods_share",
    "brand_share",
    "street_five_goods",
    "street_working_systems",
]
Scope = Literal["county", "street", "community", "member", "team_member", "community_worker"]


class DueRule(BaseModel):
    """When a target falls due, counted from the campaign's launch date."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["launch_year", "years_after_launch", "yearly", "continuous"]
    years: int | None = Field(None, ge=1, le=20)

    @model_validator(mode="after")
    def years_only_when_counted(self) -> "DueRule":
        if (self.kind == "years_after_launch") != (self.years is not None):
            raise ValueError("years is required for years_after_launch and only for it")
        return self

    def due_on(self, launch: date, as_of: date) -> date:
        match self.kind:
            case "launch_year":
                return date(launch.year, 12, 31)
            case "years_after_launch":
                assert self.years is not None
                return _add_years(launch, self.years)
            case "yearly":
                return date(max(as_of.year, launch.year), 12, 31)
            case "continuous":
                return launch
        raise AssertionError(self.kind)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    clause: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    text_zh: str = Field(min_length=1)
    scope: Scope
    rule: Rule
    threshold: float = Field(ge=0)
    params: dict[str, Any] = Field(default_factory=dict)
    due: DueRule
    warning_days: int = Field(30, ge=0, le=3650)
    responsible_role: Literal["county", "street", "community"]

    def warning_starts(self, due_on: date) -> date:
        return due_on - timedelta(days=self.warning_days)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title_zh: str = Field(min_length=1)
    source: str
    reminder_days: list[int] = Field(default_factory=lambda: [30, 7, 1])
    targets: list[Target] = Field(min_length=1)

    @field_validator("targets")
    @classmethod
    def ids_are_unique(cls, targets: list[Target]) -> list[Target]:
        seen: set[str] = set()
        for target in targets:
            if target.id in seen:
                raise ValueError(f"target id {target.id!r} appears twice")
            seen.add(target.id)
        return targets

    def target(self, target_id: str) -> Target:
        return next(t for t in self.targets if t.id == target_id)
