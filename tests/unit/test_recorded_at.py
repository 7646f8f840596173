"""A fact's recording time as text: the audit row's ``isoformat()`` reused where it is the
same text, computed where it is not."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sansan.projections.facts import recorded_at

MOMENTS = [
    datetime(2026, 11, 29, 14, 16, 45, 995340, tzinfo=UTC),  # as the library stamps events
    datetime(2026, 11, 29, 14, 16, 45, tzinfo=UTC),  # no microseconds: isoformat drops them
    datetime(2026, 11, 29, 22, 16, 45, 995340, tzinfo=timezone(timedelta(hours=8))),
    datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(0), "UTC+0")),  # not ``UTC``
]


@pytest.mark.parametrize("moment", MOMENTS, ids=["utc", "whole-second", "china", "other-zero"])
def test_the_text_made_once_per_event_is_the_recording_time_s_own(moment: datetime) -> None:
    expected = moment.astimezone(UTC).isoformat(timespec="microseconds")
    assert recorded_at(moment) == expected
    assert recorded_at(moment, moment.isoformat()) == expected
    assert expected.endswith("+00:00")
    assert len(expected) == len("2026-01-01T00:00:00.000001+00:00")
