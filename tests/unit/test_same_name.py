"""A name typed in a request is checked against the recorded one as every name is compared."""

import pytest

from sansan.commands.base import same_name


@pytest.mark.parametrize(
    ("given", "recorded", "same"),
    [
        ("铁西社区　", "铁西社区", True),  # a full-width space typed after it
        (" 铁西社区", "铁西社区", True),
        ("张　三", "张三", True),  # padded to three characters, as printed lists do
        ("铁西社区", "铁东社区", False),
        ("铁西", "铁西社区", False),
    ],
)
def test_a_name_is_the_recorded_one_whatever_the_spaces_around_it(
    given: str, recorded: str, same: bool
) -> None:
    assert same_name(given, recorded) is same
