"""The Chinese the service says: full-width punctuation beside Chinese text, and fields named
as the forms label them, in every domain rule's message and every command field's help, the
command line's help and messages, the OpenAPI document's descriptions, and the demo's data
(Chinese words, not the English codes of a vocabulary; quotes inside quotes nested as Chinese
nests them)."""

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.openapi.utils import get_openapi

from sansan.api.app import DESCRIPTION, api_v1_routes
from sansan.api.command_routes import COMMAND_ROUTES
from sansan.demo import demo_commands
from sansan.domain import errors
from sansan.domain.vocabulary import _LABELS, quoted

CJK = "[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef“”]"
HALF_WIDTH_BESIDE_CJK = re.compile(rf"(?<={CJK})[,:;()!?]|[,:;()!?](?={CJK})")


def rules() -> dict[str, errors.Rule]:
    return {name: v for name, v in vars(errors).items() if isinstance(v, errors.Rule)}


def test_every_rule_s_chinese_message_uses_full_width_punctuation() -> None:
    found = {name: r.zh for name, r in rules().items() if HALF_WIDTH_BESIDE_CJK.search(r.zh)}
    assert found == {}


def test_every_command_field_s_chinese_help_uses_full_width_punctuation() -> None:
    found = {
        f"{route.command.__name__}.{name}": info.description
        for route in COMMAND_ROUTES
        for name, info in route.command.model_fields.items()
        if info.description and HALF_WIDTH_BESIDE_CJK.search(info.description.split(" / ")[0])
    }
    assert found == {}


def test_a_rule_names_its_field_in_chinese_not_by_its_english_name() -> None:
    assert errors.EMPTY_TEXT(field="topic").message_zh == "“主题”不能为空"
    before = errors.DATE_BEFORE(field="due_on", value="2026-11-01", bound="2026-11-29")
    assert before.message_zh == "“办理期限”（2026-11-01）不能早于 2026-11-29"
    assert "due_on" in before.message_en  # English keeps the API's field name


SRC = Path(__file__).resolve().parents[2] / "src" / "sansan"
CLI_MODULES = ["cli.py", "cli_audit.py", "cli_plans.py"]
# an actor as the API writes it ("county:组织部"): a code, not a sentence
ACTOR = re.compile(r"\b(county|street|community|auditor|client):")


def chinese_literals(source: str) -> Iterator[tuple[int, str]]:
    """Every string literal with Chinese in it, docstrings included (click shows a command's
    docstring as its help), f-strings by their literal parts."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(
            CJK, node.value
        ):
            yield node.lineno, node.value


def half_width_in(text: str) -> bool:
    return bool(HALF_WIDTH_BESIDE_CJK.search(ACTOR.sub("", text)))


@pytest.mark.parametrize("module", CLI_MODULES)
def test_the_command_line_s_help_and_messages_use_full_width_punctuation(module: str) -> None:
    source = (SRC / module).read_text(encoding="utf-8")
    assert [(n, t) for n, t in chinese_literals(source) if half_width_in(t)] == []


def _texts(spec: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(spec, dict):
        for k, v in spec.items():
            yield from _texts(v, k)
    elif isinstance(spec, list):
        for v in spec:
            yield from _texts(v, key)
    elif isinstance(spec, str) and key in ("description", "summary", "title", "examples", "example"):
        yield key, spec


def chinese_part(text: str) -> str:
    """"中文 / English" → its Chinese; an English sentence naming a Chinese term ("the
    organization's secretary (一肩挑 when also director)") has none."""
    if " / " in text:
        return text.split(" / ")[0]
    return "" if re.match(r"[A-Za-z]", text) else text


def test_the_openapi_document_s_chinese_uses_full_width_punctuation() -> None:
    spec = get_openapi(title="sansan", version="1", description=DESCRIPTION, routes=api_v1_routes())
    texts = [chinese_part(t) for _, t in _texts(spec)]
    assert len([t for t in texts if re.search(CJK, t)]) > 100  # the walk reaches them
    assert [t for t in texts if half_width_in(t)] == []


ENUM_CODES = sorted({v for labels in _LABELS.values() for v in labels}, key=len, reverse=True)
CODE_BESIDE_CJK = re.compile(
    rf"(?<={CJK})({'|'.join(ENUM_CODES)})(?![A-Za-z_])|(?<![A-Za-z_])({'|'.join(ENUM_CODES)})(?={CJK})"
)


def demo_texts() -> Iterator[tuple[str, str]]:
    for command in demo_commands():
        for name, value in command.model_dump().items():
            if isinstance(value, str) and re.search(CJK, value):
                yield f"{type(command).__name__}.{name}", value


def test_the_demo_s_texts_are_chinese_with_full_width_punctuation() -> None:
    texts = list(demo_texts())
    assert len(texts) > 100
    assert [t for t in texts if CODE_BESIDE_CJK.search(t[1])] == []  # "铁西社区social_security"
    assert [t for t in texts if half_width_in(t[1])] == []


def test_a_quote_inside_a_quote_is_nested_as_chinese_nests_it() -> None:
    assert quoted("“五个好”社区党组织") == "“‘五个好’社区党组织”"
    assert quoted("铁西社区") == "“铁西社区”"


def test_reminders_quote_a_target_s_title_without_doubling_its_quotes() -> None:
    """A plan's titles hold quotes of their own (“五个好”社区党组织): each message of the
    reminders and alerts quotes through quoted(), never by wrapping a title in “”."""
    source = (SRC / "workflows" / "firings.py").read_text(encoding="utf-8")
    assert re.findall(r"“\{[^}]*(title)[^}]*\}”", source) == []
    # every message site quotes through it (the three reminders share _until since review-fixes5)
    assert source.count("quoted(") >= 9
