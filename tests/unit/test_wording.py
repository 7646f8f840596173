"""The Chinese the service says: full-width punctuation beside Chinese text, and fields named
as the forms label them, in every domain rule's message and every command field's help."""

import re

from sansan.api.command_routes import COMMAND_ROUTES
from sansan.domain import errors

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
