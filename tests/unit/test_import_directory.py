"""Names the import found among the units it made are kept to be found again, a bounded
number of them; a name not found is asked again (the next row may make it)."""

from typing import Any
from uuid import UUID

from sansan.imports.engine import RECENT_NAMES, Directory
from sansan.imports.kinds import MEMBER, ORGANIZATION, derived_id

ORG = UUID("00000000-0000-4000-8000-000000000001")


class _Units:
    """Made: what ``making`` says, each question counted."""

    def __init__(self) -> None:
        self.making: set[UUID] = set()
        self.asked = 0

    def made(self, unit_id: UUID) -> bool:
        self.asked += 1
        return unit_id in self.making


def _directory() -> tuple[Directory, _Units]:
    units = _Units()
    directory = Directory(store=None, units=units)  # type: ignore[arg-type]
    directory._named["organizations"] = {}  # the store holds none: no read model asked
    return directory, units


def test_a_name_not_made_yet_is_asked_again_and_found_once_made() -> None:
    directory, units = _directory()
    assert directory.find(ORGANIZATION, "一号小区党支部", None) == []
    units.making.add(derived_id(ORGANIZATION, "一号小区党支部", None))
    assert directory.find(ORGANIZATION, "一号小区党支部", None) == [
        derived_id(ORGANIZATION, "一号小区党支部", None)
    ]
    asked = units.asked
    assert directory.find(ORGANIZATION, "一号小区党支部", None) == [
        derived_id(ORGANIZATION, "一号小区党支部", None)
    ]
    assert units.asked == asked  # found again without asking


def test_the_names_kept_are_bounded_whatever_the_units_made() -> None:
    directory, units = _directory()
    names = [f"党员{i:06d}" for i in range(RECENT_NAMES * 2 + 10)]
    units.making.update(derived_id(MEMBER, n, ORG) for n in names)
    sizes: list[Any] = []
    for name in names:
        assert directory.find(MEMBER, name, ORG) == [derived_id(MEMBER, name, ORG)]
        sizes.append(len(directory._recent))
    assert max(sizes) == RECENT_NAMES
