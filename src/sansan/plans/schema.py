"""The campaign plan as data: targets with their rule, threshold, due date and warning window.

Another county's plan differs in numbers and dates, not in kind, so a new plan is a new
data file, not new code. Each target names one of the evaluator ``rule``s the compliance
engine knows; ``params`` carry that rule's numbers.
"""

from dataclasses import dataclass
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
    "named_model_community",  # the pilot by name: plans pinned before designation (legacy)
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


class Window(BaseModel):
    """Which dates count toward a target.

    ``ever``: anything recorded by the day, before the launch too (a working system adopted
    earlier still stands); ``from_launch``: only what occurred on or after the launch date;
    ``calendar_year``: only what occurred in the year judged (a yearly target; the launch year
    counts from the launch date); ``since_appointment``: only what occurred after the unit
    appeared, which it must do within ``days`` of appearing.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["from_launch", "calendar_year", "since_appointment", "ever"]
    days: int | None = Field(None, ge=1, le=3650)

    @model_validator(mode="after")
    def days_only_since_appointment(self) -> "Window":
        if (self.kind == "since_appointment") != (self.days is not None):
            raise ValueError("days is required for since_appointment and only for it")
        return self


@dataclass(frozen=True)
class Period:
    """A year a yearly target judges: 1 January (the launch in the launch year) to 31 December."""

    year: int
    start: date
    end: date

    @property
    def label_zh(self) -> str:
        return f"{self.year}年"


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
    # A unit (community, member, cadre) that appears after the due date has this many days
    # of its own; for a yearly target, one that appears within this many days of the year's
    # end is judged from the next year. None: no grace, a latecomer is judged at once.
    grace_days: int | None = Field(None, ge=0, le=3650)
    window: Window = Field(default_factory=lambda: Window(kind="ever"))
    responsible_role: Literal["county", "street", "community"]

    @model_validator(mode="before")
    @classmethod
    def window_defaults_to_the_due_rule(cls, data: Any) -> Any:
        """A plan file without windows reads as before: a yearly target counts its calendar
        year, any other everything on record."""
        if isinstance(data, dict) and "window" not in data:
            due = data.get("due")
            kind = due.get("kind") if isinstance(due, dict) else getattr(due, "kind", None)
            return {**data, "window": {"kind": "calendar_year" if kind == "yearly" else "ever"}}
        return data

    @model_validator(mode="after")
    def window_fits_due(self) -> "Target":
        yearly, calendar = self.due.kind == "yearly", self.window.kind == "calendar_year"
        if yearly != calendar:
            raise ValueError("a yearly due date needs the calendar_year window, and only it")
        if self.window.kind == "since_appointment" and self.scope not in ("member", "team_member"):
            raise ValueError("since_appointment applies to members and cadres only")
        return self

    def warning_starts(self, due_on: date) -> date:
        return due_on - timedelta(days=self.warning_days)

    def counts_from(self, launch: date, period: Period | None = None) -> date | None:
        """The first day whose facts count (None: any day), for a unit judged in ``period``."""
        match self.window.kind:
            case "from_launch":
                return launch
            case "calendar_year":
                return period.start if period else None
            case _:
                return None

    def unit_due_on(self, due_on: date, appeared_on: date | None) -> date:
        """A unit's own due date: the target's, or later for one that appeared late."""
        if appeared_on is None:
            return due_on
        if self.window.kind == "since_appointment":
            assert self.window.days is not None
            return max(due_on, appeared_on + timedelta(days=self.window.days))
        if self.grace_days is not None and appeared_on > due_on:
            return appeared_on + timedelta(days=self.grace_days)
        return due_on

    def judged_in(self, period: Period, appeared_on: date | None) -> bool:
        """Whether a unit is judged in a yearly period: not if it appeared within the grace
        days before the year's end (it is judged from the next year)."""
        if appeared_on is None or self.grace_days is None:
            return True
        return appeared_on <= period.end - timedelta(days=self.grace_days)

    def periods(self, launch: date, as_of: date, ends: date) -> tuple[Period | None, Period | None]:
        """A yearly target's last ended year and its running year on ``as_of`` (either may be
        None: nothing ended yet in the launch year; nothing runs after the campaign ``ends``)."""
        if self.due.kind != "yearly":
            return None, None

        def period(year: int) -> Period:
            start = launch if year == launch.year else date(year, 1, 1)
            return Period(year, start, date(year, 12, 31))

        year = max(as_of.year, launch.year)
        running = period(year) if year <= ends.year else None
        ended_year = min(year - 1, ends.year)
        ended = period(ended_year) if ended_year >= launch.year else None
        return ended, running


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

    def ends_on(self, launch: date) -> date:
        """The campaign's end: the launch plus the plan's longest horizon in years."""
        horizon = max((t.due.years or 0 for t in self.targets), default=0)
        return _add_years(launch, max(horizon, 1))
