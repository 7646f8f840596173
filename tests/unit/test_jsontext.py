"""The projection's JSON text is ``json.dumps``'s, byte for byte, with each set of options."""

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from sansan.projections import jsontext
from sansan.projections.jsontext import json_text

VALUES: list[Any] = [
    {"topic": "党课", "method": "lecture", "days": 1.0, "note": None},
    {"b": [1, 2.5, float("nan"), float("inf"), None, True, False], "a": {"z": 1, "y": {"x": []}}},
    {"quote": 'a "b"\n\t\\', "control": "\x00\x1f", "astral": "𠀋", "": ""},
    {"id": UUID(int=5), "on": date(2026, 1, 2), "amount": Decimal("12.50")},
    [{"member_id": "m", "occurred_on": "2026-06-22", "days": 3}],
    ["b", "a"], "党", "", 0, -1.5, 10**20, True, None, {}, [],
]
OPTIONS = [
    {},
    {"sort_keys": True},
    {"ensure_ascii": False, "default": str},
    {"ensure_ascii": False, "default": str, "sort_keys": True},
]


@pytest.mark.parametrize("options", OPTIONS, ids=["plain", "sorted", "text", "text-sorted"])
@pytest.mark.parametrize("without_c", [False, True], ids=["c", "python"])
def test_the_text_is_json_dumps_s(
    options: dict[str, Any], without_c: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if without_c:
        monkeypatch.setattr(jsontext._encoder, "c_make_encoder", None)
    text = json_text(**options)
    for value in VALUES:
        if "default" not in options and not _plain(value):
            with pytest.raises(TypeError):
                text(value)
            continue
        assert text(value) == json.dumps(value, **options), value


def _plain(value: Any) -> bool:
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True
