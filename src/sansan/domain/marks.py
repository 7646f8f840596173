"""Bounded marks of a unit's latest facts, to refuse one entered twice.

A mark is ``",<blake2b-64 of the fact>:<version that recorded it>"``; a unit keeps the latest
~256 in one string. Bounded, so that a unit's load, snapshot and copy cost the same after ten
facts or ten thousand (figure e of scripts/bench.py: a mapping of every fact made them grow
with the history). A double entry comes soon after the first (a second submit, a community
and its integration both sending it); an import checks its rows against the whole stored
history itself. A string is immutable, so copying a cached unit shares it.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

KEPT = 256 * 24  # characters: 24 a mark (",", 16, ":", a version under a million)


def mark(*fact: Any, default: Callable[[Any], Any] = str) -> str:
    """The mark of a fact given as JSON-able parts (objects with sorted keys)."""
    text = json.dumps(fact, ensure_ascii=False, sort_keys=True, default=default)
    return "," + hashlib.blake2b(text.encode(), digest_size=8).hexdigest() + ":"


def added(marks: str, fact_mark: str, version: int) -> str:
    """``marks`` with the fact's mark and version after them, the oldest cut, whole."""
    marks += fact_mark + str(version)
    if len(marks) > KEPT:
        marks = marks[marks.index(",", len(marks) - KEPT) :]
    return marks


def version_of(marks: str, fact_mark: str, *, latest: bool = False) -> int | None:
    """The version that recorded the fact marked ``fact_mark``, if one of the marks did
    (the first kept, or with ``latest`` the last: a mark recorded again, as each correction
    of one fact is)."""
    at = marks.rfind(fact_mark) if latest else marks.find(fact_mark)
    if at < 0:
        return None
    end = marks.find(",", at + len(fact_mark))
    return int(marks[at + len(fact_mark) : end if end >= 0 else None])
