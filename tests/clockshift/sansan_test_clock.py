"""Moves the wall clock of the test process, and of every Python process it starts, to SANSAN_TEST_NOW.

``SANSAN_TEST_NOW`` is an ISO-8601 instant (``2030-06-01T12:00:00Z``). The clock is moved with
time-machine and keeps ticking (``tick=True``); monotonic time and sleeps are left alone.

The first process to travel notes the real moment it did so in ``SANSAN_TEST_CLOCK_ORIGIN``; a child
started later travels to ``SANSAN_TEST_NOW + (its real now - origin)``, so every process of one run
reads the same shifted clock instead of each starting again at SANSAN_TEST_NOW. Children load this
module through the ``sitecustomize`` beside it, which the suite puts on their ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta

NOW_VARIABLE = "SANSAN_TEST_NOW"
ORIGIN_VARIABLE = "SANSAN_TEST_CLOCK_ORIGIN"
# The process that travelled: a child pytest loads this module twice (as sitecustomize's
# ``sansan_test_clock`` and as ``tests.clockshift.sansan_test_clock``) and must travel once.
TRAVELLER_VARIABLE = "SANSAN_TEST_CLOCK_PID"
HERE = os.path.dirname(os.path.abspath(__file__))


def requested_instant(value: str) -> datetime:
    """The instant SANSAN_TEST_NOW names; a value without an offset is refused, not guessed."""
    instant = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"{NOW_VARIABLE}={value!r} needs an offset, e.g. 2030-06-01T12:00:00Z")
    return instant.astimezone(UTC)


def travel_from_environment() -> datetime | None:
    """Start travelling if SANSAN_TEST_NOW is set; answer the shifted 'now' (None when not set)."""
    value = os.environ.get(NOW_VARIABLE, "").strip()
    if not value:
        return None
    if os.environ.get(TRAVELLER_VARIABLE) == str(os.getpid()):
        return datetime.now(UTC)
    import time_machine

    real_now = time.time()
    origin = float(os.environ.setdefault(ORIGIN_VARIABLE, repr(real_now)))
    destination = requested_instant(value) + timedelta(seconds=real_now - origin)
    time_machine.travel(destination, tick=True).start()
    os.environ[TRAVELLER_VARIABLE] = str(os.getpid())
    _pass_on_to_children()
    return destination


def _pass_on_to_children() -> None:
    # On sys.path too, for tests that hand their children PYTHONPATH=os.pathsep.join(sys.path).
    if HERE not in sys.path:
        sys.path.append(HERE)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if HERE not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([HERE, *paths])
