"""docs/plan-mapping.md is the plan's traceability table: every target of every shipped plan
sits beside its clause, and every event and rule the table names exists."""

import re
from pathlib import Path

from eventsourcing.domain import Aggregate

from sansan.domain import AGGREGATE_TYPES
from sansan.plans import shipped_plans
from sansan.plans.schema import Rule

DOC = Path(__file__).parents[2] / "docs" / "plan-mapping.md"
CHECK = re.compile(r"`([a-z][a-z0-9-]*)` \(`([a-z_]+)`\)")


def rows() -> list[tuple[str, str, list[str], str]]:
    """(clause, words, event names, checked by) of every row of the clause table."""
    found = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("§"):
            clause, words, events, checked = cells
            found.append((clause, words, re.findall(r"`([A-Za-z]+)`", events), checked))
    return found


def event_topics() -> dict[str, str]:
    """Every event class of the campaign's aggregates: name → stable topic."""
    return {
        name: value.TOPIC
        for aggregate in AGGREGATE_TYPES
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and hasattr(value, "TOPIC")
        and value.TOPIC.startswith(f"{aggregate.TOPIC}.")
    }  # fmt: skip


def test_the_table_has_a_row_for_every_section_of_the_plan() -> None:
    clauses = {clause for clause, *_ in rows()}
    for section in ("§一", "§二", "§二(一)", "§二(六)", "§三(一)", "§三(四)", "§四(一)1",
                    "§四(一)3", "§四(二)3", "§四(三)3", "§五1", "§五2", "§五3"):  # fmt: skip
        assert section in clauses, section
    assert all(words for _, words, _, _ in rows())  # every row quotes the plan


def test_every_target_of_every_shipped_plan_appears_beside_its_clause() -> None:
    checked = [(clause, CHECK.findall(by)) for clause, _, _, by in rows()]
    plans = shipped_plans()
    assert plans
    for plan in plans.values():
        for target in plan.targets:
            homes = [c for c, pairs in checked if (target.id, target.rule) in pairs]
            assert homes, f"{plan.id}: {target.id} ({target.rule}) is in no row"
            # a target of a whole section (§四(三)) may sit in the rows of its items (§四(三)1)
            near = [c for c in homes for tc in target.clause.split() if c.startswith(tc)]
            assert near, (target.id, target.clause, homes)


def test_every_event_named_exists_with_its_stable_topic() -> None:
    topics = event_topics()
    named = {name for _, _, events, _ in rows() for name in events}
    assert named, "the table names events"
    assert named - topics.keys() == set()
    assert all(topics[n].endswith(f".{n}") for n in named)


def test_every_rule_named_exists() -> None:
    rules = set(Rule.__args__)  # type: ignore[attr-defined]
    named = {rule for *_, by in rows() for _, rule in CHECK.findall(by)}
    assert named
    assert named <= rules, named - rules


def test_a_row_either_names_a_target_or_says_why_not() -> None:
    for clause, words, _, by in rows():
        if not CHECK.search(by):
            assert by.startswith(("recorded only", "not recorded")), (clause, words)
        if by.startswith("not recorded"):
            assert "：" in by or ":" in by, (clause, words)  # with the reason
