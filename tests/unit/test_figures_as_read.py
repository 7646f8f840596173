"""Figures on the signed sheets read as recorded (outside review 3, findings 1 and 4)."""

import pytest

from sansan.domain import Community
from sansan.projections.compliance import area, yuan
from tests.support import prov, rejects, unchanged, world


@pytest.mark.parametrize(
    ("value", "said"),
    [(9999.6, "9,999.60元"), (8000.5, "8,000.50元"), (10000.0, "10,000元"), (0.07, "0.07元"),
     (1234567.0, "1,234,567元")],
)  # fmt: skip
def test_money_short_of_a_standard_by_fen_never_reads_as_the_standard(
    value: float, said: str
) -> None:
    assert yuan(value) == said


@pytest.mark.parametrize(
    ("value", "said"),
    [(85.0, "85㎡"), (210.5, "210.5㎡"), (79.96, "79.96㎡"), (123456.78, "123,456.78㎡")],
)
def test_areas_read_without_an_exponent_or_lost_digits(value: float, said: str) -> None:
    assert area(value) == said


@pytest.mark.parametrize("typo", [0.0000001, 0.5, 100_000.5, 85.123, -3.0])
def test_an_upgrade_with_an_implausible_area_is_refused(typo: float) -> None:
    community: Community = world().community
    before = unchanged(community)
    with rejects("area_implausible"):
        community.upgrade_facility(prov(), office_area_m2=typo, venue_area_m2=None)
    assert unchanged(community) == before


def test_an_upgrade_to_the_hundredth_of_a_square_metre_is_taken() -> None:
    community: Community = world().community
    community.upgrade_facility(prov(), office_area_m2=79.96, venue_area_m2=100_000)
    assert community.office_area_m2 == 79.96
