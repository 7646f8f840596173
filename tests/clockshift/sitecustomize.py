"""Loaded by every Python process the suite starts while SANSAN_TEST_NOW is set (see sansan_test_clock)."""

import sansan_test_clock

sansan_test_clock.travel_from_environment()
