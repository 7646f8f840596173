"""记录人 as the audit spreadsheet and the web UI show it: the token's label and, unless the
label already begins with it, the role it acts in."""

import pytest

from sansan.api.readable import actor_zh


@pytest.mark.parametrize(
    ("actor", "shown"),
    [
        ("county:县委组织部（演示）", "县委组织部（演示）"),  # the label says its role already
        ("community:县委组织部（演示）", "县委组织部（演示）（社区党组织）"),  # it may not pass for it
        ("street:县委组织部", "县委组织部（街道党工委）"),
        ("community:铁西社区党总支（演示）", "铁西社区党总支（演示）（社区党组织）"),
        ("street:街道党工委城关", "街道党工委城关"),
        ("county:0b6a3c1e-2f4d-4e5a-9b7c-8d9e0f1a2b3c", "县委组织部"),
        ("county:", "县委组织部"),
        ("nobody:x", "nobody:x"),
    ],
)
def test_the_role_is_said_unless_the_label_begins_with_it(actor: str, shown: str) -> None:
    assert actor_zh(actor) == shown
