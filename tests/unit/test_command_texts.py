"""Every text a command takes refuses control and invisible format characters (review finding
7), whatever the field: the outside review of 30 November found a funding source, a workplace,
a card number, a service post's area and a supervision item's description that took “来\\u0000源”
and “来\\u202e源”, and an import that told 街道\\u200b自筹 from 街道自筹 as two sources."""

import re
from typing import Any

import pytest

from sansan.api.command_routes import COMMAND_ROUTES


def _texts() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for route in COMMAND_ROUTES:
        for name, prop in route.command.model_json_schema().get("properties", {}).items():
            for alternative in prop.get("anyOf", [prop]):
                kept = any(k in alternative for k in ("format", "enum", "const"))
                if alternative.get("type") == "string" and not kept:
                    found.append((route.command.__name__, name, alternative))
    return found


DECIMALS = {("AllocateFunding", "amount_yuan"), ("CorrectFundingAmount", "amount_yuan")}


@pytest.mark.parametrize(("command", "field", "schema"), _texts(), ids=lambda v: str(v)[:40])
def test_every_text_field_of_every_command_refuses_control_and_format_characters(
    command: str, field: str, schema: dict[str, Any]
) -> None:
    if (command, field) in DECIMALS:  # a sum of money as a string: parsed as a decimal
        return
    pattern = schema.get("pattern")
    assert pattern is not None, (command, field, schema)
    for bad in ("\x00", "\x1b", "\u202e", "\u200b", "\ufeff"):
        assert re.search(pattern, f"ab{bad}cd") is None, (command, field, repr(bad))
