"""Chinese text people read is written with full-width punctuation (，：；（）！？): the problem
details' messages, the measures' and exports' words, the notifications. The test reads the
string literals of the modules that produce them (docstrings aside) and the Chinese message of
every ApiError raised at the edge."""

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "sansan"
CJK = r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef“”]"
HALF_WIDTH = re.compile(rf"(?<={CJK})[,:;()!?]|[,:;()!?](?={CJK})")
# Modules whose every literal is text a person reads (or code, which has no CJK).
READ_BY_PEOPLE = [
    "domain/errors.py", "api/problems.py", "workflows/firings.py", "api/exports.py",
    "api/audit_spreadsheet.py", "api/readable.py", "projections/compliance.py",
    "domain/event_labels.py",
]  # fmt: skip


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.body and isinstance(node.body[0], ast.Expr)
    }


def half_width(source: str, *, only_api_errors: bool = False) -> list[str]:
    """Each literal (or each ApiError's Chinese message) with half-width punctuation next
    to a Chinese character, as "line: text"."""
    tree = ast.parse(source)
    if only_api_errors:
        roots: list[ast.AST] = [
            node.args[2]
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ApiError"
            and len(node.args) > 2
        ]  # fmt: skip
    else:
        roots = [tree]
    skipped = _docstrings(tree)
    return [
        f"{node.lineno}: {node.value}"
        for root in roots
        for node in ast.walk(root)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in skipped and HALF_WIDTH.search(node.value)
    ]  # fmt: skip


@pytest.mark.parametrize("module", READ_BY_PEOPLE)
def test_text_people_read_has_full_width_punctuation(module: str) -> None:
    assert half_width((SRC / module).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("module", sorted(p.name for p in (SRC / "api").glob("*.py")))
def test_every_problem_message_has_full_width_punctuation(module: str) -> None:
    source = (SRC / "api" / module).read_text(encoding="utf-8")
    assert half_width(source, only_api_errors=True) == []


def test_the_scan_finds_half_width_punctuation_beside_chinese() -> None:
    source = 'X = "未达标,请补足"\nY = f"{a}天:{b}"\nZ = "ok, fine (en)"\nW = "办公用房(平方米)"\n'
    assert sorted(line.split(":")[0] for line in half_width(source)) == ["1", "2", "4"]
    raising = 'raise ApiError(422, "code", "超过上限,请缩小范围", "too many, narrow")'
    assert half_width(raising, only_api_errors=True) == ["1: 超过上限,请缩小范围"]
