"""uvicorn's access log, less the command writes that succeeded.

A command write that succeeded is recorded in the event log itself, with its actor and both
times, and counted by route and status in the metrics; its access-log line said nothing more,
and formatting and writing it was 5–8 % of the server's Python time per write
(docs/benchmarks.md, branch lean-write2). Every other request, and every write that failed,
is logged as before, in uvicorn's own format, less what a person typed into a query (a
search term is often a member's name; review 2, finding 21): the access log lies outside the
personal-data read record and its retention, so such values are written as "…".

This module imports nothing of the app until the filter first sees a POST answered 2xx: each
``--workers`` process applies the logging configuration before it starts answering its
supervisor's health check, and uvicorn kills a worker silent for 5 s. Importing the command
table there took 8 s at load 9 on two cores, and the workers were killed and respawned forever
(docs/benchmarks.md, branch lean-write5).
"""

import copy
import logging
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from uvicorn.config import LOGGING_CONFIG


@cache
def command_route_keys() -> frozenset[str]:
    # imported here, not above: see the module's docstring
    from sansan.api.command_endpoints import command_writes
    from sansan.api.fast_commands import route_key

    return frozenset(
        key for w in command_writes() if (key := route_key("/api/v1" + w.route.path)) is not None
    )


def is_succeeded_write(args: object) -> bool:
    """Whether uvicorn's access-log arguments (client, method, path with query, HTTP version,
    status) are those of a POST to a command route answered 2xx."""
    if not isinstance(args, tuple) or len(args) != 5:
        return False
    _, method, path, _, status = args
    if method != "POST" or not isinstance(status, int) or not 200 <= status < 300:
        return False
    from sansan.api.fast_commands import route_key  # see the module's docstring

    return route_key(str(path).partition("?")[0]) in command_route_keys()


class SkipSucceededWrites(logging.Filter):
    """Drops uvicorn's access record of a POST to a command route answered 2xx."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not is_succeeded_write(record.args)


class SucceededWritesUnlogged(logging.LoggerAdapter[logging.Logger]):
    """uvicorn's access logger as ``sansan serve``'s protocol holds it: a succeeded command
    write is left out before a record is made. The filter above drops the same record, but
    only after the logger has built it (caller lookup, ``LogRecord``): 5 % of the server's
    samples per write under figure d (docs/benchmarks.md, "Issue 17 figure d, 30 November
    (morning)")."""

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        if not is_succeeded_write(args):
            self.logger.info(msg, *args, **kwargs)


# Query parameters whose values are free text a person typed (unit search, the audit's 记录人).
# Ids, dates, kinds and page cursors (sealed, projections/cursors.py) say nothing of a person.
FREE_TEXT = frozenset({"q", "actor"})
WITHHELD = "…"


class WithoutTypedText(logging.Filter):
    """Rewrites uvicorn's access record so that free-text query values are not written."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and "?" in str(args[2]):
            path, _, query = str(args[2]).partition("?")
            parts = query.split("&")  # the others are kept exactly as they came
            kept = [_withheld(part) for part in parts]
            if kept != parts:
                record.args = (*args[:2], f"{path}?{'&'.join(kept)}", *args[3:])
        return True


def _withheld(part: str) -> str:
    key = part.partition("=")[0]
    return f"{key}={WITHHELD}" if unquote_plus(key) in FREE_TEXT else part


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the filter on its access logger (each worker
    process applies it as it starts)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {
        "succeeded_writes": {"()": f"{__name__}.SkipSucceededWrites"},
        "typed_text": {"()": f"{__name__}.WithoutTypedText"},
    }
    config["loggers"]["uvicorn.access"]["filters"] = ["succeeded_writes", "typed_text"]
    return config
