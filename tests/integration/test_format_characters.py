"""Review finding 7: invisible format characters (Unicode Cf) are refused in names and texts,
as control characters are: "\\u202e伟王" showed as 王伟 in every export. On both stores."""

import unicodedata

import pytest
from fastapi.testclient import TestClient

from sansan.demo import demo_id
from tests.integration.api_support import bearer

Demo = tuple[TestClient, dict[str, str]]
BRANCH = demo_id("org", "铁西第1小区党支部")
MEMBER = demo_id("member", "铁西-1")
FORMAT = ["\u202e", "\u200b", "\u200d", "\u2066", "\ufeff", "\u00ad", "\u061c"]


def _name_refused(client: TestClient, token: str, name: str) -> dict[str, str]:
    """A member registered under ``name`` is refused on the name, in words: its one error."""
    register = {"occurred_on": "2026-11-01", "category": "direct", "organization_id": str(BRANCH)}
    named = client.post("/api/v1/members", json=register | {"name": name}, headers=bearer(token))
    assert named.status_code == 422, named.text
    (error,) = named.json()["errors"]
    assert (error["field"], error["type"]) == ("name", "string_pattern_mismatch")
    assert "不可见的格式字符" in error["message_zh"]
    return dict(error)


@pytest.mark.parametrize("character", FORMAT, ids=[f"U+{ord(c):04X}" for c in FORMAT])
def test_a_format_character_in_a_name_or_a_note_is_refused_and_nothing_recorded(
    demo: Demo, character: str
) -> None:
    client, tokens = demo
    assert unicodedata.category(character) == "Cf"
    headers = bearer(tokens["community"])
    _name_refused(client, tokens["community"], f"{character}伟王")
    noted = client.post(
        f"/api/v1/members/{MEMBER}/trainings", headers=headers,
        json={"occurred_on": "2026-11-01", "days": 1, "method": "lecture", "topic": "党课", "note": f"备注{character}"},
    )  # fmt: skip
    assert noted.status_code == 422, noted.text
    assert [e["field"] for e in noted.json()["errors"]] == ["note"]
    members = client.get("/api/v1/members", params={"q": "伟王"}, headers=headers)
    assert character not in members.text


def test_ordinary_chinese_text_with_tabs_and_line_breaks_is_still_taken(demo: Demo) -> None:
    client, tokens = demo
    answer = client.post(
        f"/api/v1/members/{MEMBER}/trainings", headers=bearer(tokens["community"]),
        json={"occurred_on": "2026-11-01", "days": 1, "method": "lecture", "topic": "党课（第一讲）",
              "note": "第一行\n\t第二行：《党章》"},
    )  # fmt: skip
    assert answer.status_code in (200, 201), answer.text


HIDDEN = ["\U000e0020", "\U0001d173", "\U000110bd", "\u3164", "\u034f", "\ufe0f", "\x85", "\x9b", "\u2028"]


@pytest.mark.parametrize("character", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_an_invisible_character_past_the_pattern_is_refused_in_a_name_and_a_short_text(
    demo: Demo, character: str
) -> None:
    """Outside review 5: “刘芳\\U000e0020”, “刘\\u3164芳” and “刘芳\\U0001d173” were three more
    members shown as 刘芳 beside 刘芳 (past member_name_taken); C1 controls and the line
    separator went into funding sources."""
    client, tokens = demo
    error = _name_refused(client, tokens["community"], f"刘{character}芳")
    assert "pattern" not in error["message_en"]  # said in words, not as the regex
    funding = client.post(
        f"/api/v1/communities/{demo_id('community', '铁西')}/funding-allocations",
        headers=bearer(tokens["street"]),
        json={"occurred_on": "2026-11-01", "year": 2026, "amount_yuan": "100", "source": f"街道{character}自筹"},
    )  # fmt: skip
    assert funding.status_code == 422, funding.text
    assert [e["field"] for e in funding.json()["errors"]] == ["source"]
