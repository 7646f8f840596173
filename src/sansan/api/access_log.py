"""uvicorn's access log, less the command writes that succeeded.

A command write that succeeded is recorded in the event log itself, with its actor and both
times, and counted by route and status in the metrics; its access-log line said nothing more,
and formatting and writing it was 5–8 % of the server's Python time per write
(docs/benchmarks.md, branch lean-write2). Every other request, and every write that failed,
is logged as before, in uvicorn's own format.

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

from uvicorn.config import LOGGING_CONFIG


@cache
def command_route_keys() -> frozenset[str]:
    # imported here, not above: see the module's docstring
    from sansan.api.command_endpoints import command_writes
    from sansan.api.fast_commands import route_key

    return frozenset(
        key for w in command_writes() if (key := route_key("/api/v1" + w.route.path)) is not None
    )


class SkipSucceededWrites(logging.Filter):
    """Drops uvicorn's access record of a POST to a command route answered 2xx."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args  # uvicorn's: client, method, path with query, HTTP version, status
        if not isinstance(args, tuple) or len(args) != 5:
            return True
        _, method, path, _, status = args
        if method != "POST" or not isinstance(status, int) or not 200 <= status < 300:
            return True
        from sansan.api.fast_commands import route_key  # see the module's docstring

        return route_key(str(path).partition("?")[0]) not in command_route_keys()


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the filter on its access logger (each worker
    process applies it as it starts)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"succeeded_writes": {"()": f"{__name__}.SkipSucceededWrites"}}
    config["loggers"]["uvicorn.access"]["filters"] = ["succeeded_writes"]
    return config
