"""The plans a service can launch campaigns under: the shipped ones and those of one directory.

Built once per process from settings (bootstrap) and handed to whoever launches or changes
a campaign's plan. Evaluating a campaign never asks the registry: a campaign carries the
content of its plan (see ``pinned_plan``), so editing a file changes no past verdict.
"""

import json
import logging
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sansan.plans.loader import (
    PlanError,
    PlanProblem,
    content_sha256,
    parse_plan,
    plan_content,
)
from sansan.plans.schema import Plan

log = logging.getLogger(__name__)

SHIPPED = "package"


@dataclass(frozen=True)
class PlanEntry:
    plan: Plan
    source: str  # "package:sansan-v1.json" or the file's path
    content: dict[str, Any]
    sha256: str

    @classmethod
    def of(cls, plan: Plan, source: str) -> "PlanEntry":
        content = plan_content(plan)
        return cls(plan, source, content, content_sha256(content))

    @property
    def id(self) -> str:
        return self.plan.id


@dataclass(frozen=True)
class BrokenPlan:
    """A plan file that does not validate: nothing can be launched under its id."""

    id: str
    source: str
    problems: list[PlanProblem]


class PlanRegistry:
    def __init__(self, entries: list[PlanEntry], broken: list[BrokenPlan] | None = None) -> None:
        self._entries = {e.id: e for e in entries}
        self._broken = {b.id: b for b in broken or []}

    @classmethod
    def load(cls, plans_dir: Path | None = None) -> "PlanRegistry":
        """The shipped plans, plus every ``*.json`` of ``plans_dir``. A file whose id is taken
        (by a shipped plan or another file) stops the start: which one would be meant is
        unknowable. A file that does not validate is kept aside, named in the log, and
        refused at launch with its errors."""
        shipped = sorted(resources.files("sansan.plans").iterdir(), key=lambda f: f.name)
        entries = [
            PlanEntry.of(parse_plan(f.read_text(encoding="utf-8"), f.name), f"{SHIPPED}:{f.name}")
            for f in shipped
            if f.name.endswith(".json")
        ]
        broken: list[BrokenPlan] = []
        if plans_dir is not None:
            if not plans_dir.is_dir():
                raise PlanError(str(plans_dir), [PlanProblem(
                    "SANSAN_PLANS_DIR", "not_a_directory", f"方案目录 {plans_dir} 不存在或不是目录",
                    f"the plans directory {plans_dir} does not exist or is not a directory",
                )])  # fmt: skip
            for path in sorted(plans_dir.glob("*.json")):
                entry, bad = _read(path)
                if entry is not None:
                    entries.append(entry)
                if bad is not None:
                    log.warning("plan file %s is invalid: %s", path, bad.problems)
                    broken.append(bad)
        _refuse_clashes(entries, broken)
        return cls(entries, broken)

    def get(self, plan_id: str) -> PlanEntry | None:
        return self._entries.get(plan_id)

    def broken(self, plan_id: str) -> BrokenPlan | None:
        return self._broken.get(plan_id)

    def ids(self) -> list[str]:
        return sorted(self._entries)

    def __iter__(self) -> Iterator[PlanEntry]:
        return iter(sorted(self._entries.values(), key=lambda e: e.id))

    def invalid(self) -> list[BrokenPlan]:
        return sorted(self._broken.values(), key=lambda b: b.id)


def _read(path: Path) -> tuple[PlanEntry | None, BrokenPlan | None]:
    text = path.read_text(encoding="utf-8")
    try:
        return PlanEntry.of(parse_plan(text, source=str(path)), str(path)), None
    except PlanError as error:
        return None, BrokenPlan(_claimed_id(text) or path.stem, str(path), error.problems)


def _claimed_id(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    claimed = data.get("id") if isinstance(data, dict) else None
    return claimed if isinstance(claimed, str) and claimed else None


def _refuse_clashes(entries: list[PlanEntry], broken: list[BrokenPlan]) -> None:
    seen: dict[str, str] = {}
    clashes = []
    for plan_id, source in [(e.id, e.source) for e in entries] + [(b.id, b.source) for b in broken]:
        if plan_id in seen:
            clashes.append(PlanProblem(
                "id", "duplicate_plan_id",
                f"方案编号“{plan_id}”重复：{source} 与 {seen[plan_id]}",
                f"plan id {plan_id!r} of {source} is already taken by {seen[plan_id]}",
            ))  # fmt: skip
        else:
            seen[plan_id] = source
    if clashes:
        raise PlanError("SANSAN_PLANS_DIR", clashes)


# A campaign's pinned content, parsed once per content (content-addressed, so never stale).
_PINNED: "OrderedDict[str, Plan]" = OrderedDict()
PINNED_CACHE_SIZE = 64


def pinned_plan(content: dict[str, Any], sha256: str) -> Plan:
    """The plan a campaign carries, as a model."""
    plan = _PINNED.get(sha256)
    if plan is None:
        plan = Plan.model_validate(content)
        _PINNED[sha256] = plan
        while len(_PINNED) > PINNED_CACHE_SIZE:
            _PINNED.popitem(last=False)
    return plan
