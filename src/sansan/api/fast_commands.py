"""The happy path of the command POSTs as plain ASGI, in front of FastAPI's route table.

Matching a path against the route table, building a Request, solving the dependencies and
validating parameters one by one is most of the CPU of a write over HTTP (docs/benchmarks.md,
"Issue 17 item 4"). For a command POST this layer does the same steps itself: the route from a
dict, the bearer token through the principal cache, the body through the route's own model,
and then the very write its FastAPI endpoint runs (``CommandWrite.run``: scope, role,
revocation, If-Match and Idempotency-Key included). Whatever is not the happy path (no or
unknown token, a body or header that does not validate, another content type, a client that
went away) goes to FastAPI untouched, with the body read so far handed on, so every refusal
is FastAPI's own answer. Errors the write raises go to the app's exception handlers, as they
would from the endpoint.

It sits where the router is called (``Router.middleware_stack``), inside every middleware:
security headers, metrics, body limits and exception handlers see these requests as any other.
"""

import asyncio
import contextvars
import json
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from uuid import UUID

from fastapi.routing import APIRoute
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import TypeAdapter, ValidationError
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sansan.access import Principal, TokenExpired
from sansan.api.command_endpoints import (
    IDEMPOTENCY_KEY_MAX,
    IF_MATCH_MAX,
    CommandWrite,
    command_writes,
)
from sansan.bootstrap import Services

PREFIX = "/api/v1/"
JSON = b"application/json"
_UUID: TypeAdapter[UUID] = TypeAdapter(UUID)  # the path's id, validated as FastAPI does


class Entry:
    """A command route as the fast path needs it: the write and the route FastAPI would match."""

    def __init__(self, write: CommandWrite, route: APIRoute) -> None:
        self.write, self.route = write, route
        self.creates = write.route.creates


def route_key(path: str) -> str | None:
    """``communities`` or ``communities/{id}/trainings`` for a path under /api/v1, the id
    replaced; None for any other shape (FastAPI's to answer)."""
    if not path.startswith(PREFIX):
        return None
    parts = path[len(PREFIX) :].split("/")
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 3:
        return f"{parts[0]}/{{id}}/{parts[2]}"
    return None


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute of a route table, included routers' too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # FastAPI's included router
        if included is not None:
            yield from _api_routes(included.routes)


def fast_table(routes: Sequence[BaseRoute]) -> dict[str, Entry]:
    """The command routes of an app by route key, each with the APIRoute that routing selects
    for it (it is what the metrics label a request by)."""
    by_endpoint = {route.endpoint: route for route in _api_routes(routes)}
    table: dict[str, Entry] = {}
    for write in command_writes():
        route = by_endpoint.get(write.endpoint)
        key = route_key("/api/v1" + write.route.path)
        if route is not None and key is not None:
            table[key] = Entry(write, route)
    return table


_WRITERS: dict[int, ThreadPoolExecutor] = {}
_WRITERS_MADE = threading.Lock()


def writers(threads: int) -> ThreadPoolExecutor:
    """The process's threads for command writes, ``write_threads`` of them.

    Not anyio's pool of 40, shared with every sync endpoint: the writes queue on the store's
    insert lock one at a time whatever the number of threads, and 16 threads wanting the GIL
    in turn cost figure d a fifth of its throughput at 16 clients against 2 to 6 threads
    (docs/benchmarks.md, "Issue 17 figure d, 30 November (morning)"). One pool per process
    (per size), so apps made and dropped (tests) do not each leave idle threads behind.
    """
    with _WRITERS_MADE:
        if threads not in _WRITERS:
            _WRITERS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="sansan-write")
        return _WRITERS[threads]


class FastCommands:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.table = fast_table(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        key = route_key(scope["path"])
        entry = self.table.get(key) if key is not None else None
        if entry is None or MAX_BODY_SIZE_SCOPE_KEY in scope:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        if not await self._write(entry, scope, b"".join(chunks), messages, receive, send):

            async def replay() -> Message:
                return messages.pop(0) if messages else await receive()

            await self.app(scope, replay, send)

    async def _write(
        self, entry: Entry, scope: Scope, body: bytes, messages: list[Message],
        receive: Receive, send: Send,
    ) -> bool:  # fmt: skip
        """Runs the write and answers; False, having sent nothing, if FastAPI must answer."""
        if messages[-1]["type"] != "http.request" or not body:
            return False
        headers = _headers(scope)
        if headers.get(b"content-type") != JSON:
            return False
        if_match, idempotency_key = headers.get(b"if-match"), headers.get(b"idempotency-key")
        if _too_long(if_match, IF_MATCH_MAX) or _too_long(idempotency_key, IDEMPOTENCY_KEY_MAX):
            return False
        services: Services = scope["app"].state.services
        if _several_authorizations(scope):
            return False
        principal = _cached_principal(services, headers.get(b"authorization"))
        if principal is None:
            return False
        target: UUID | None = None
        raw_id = None
        if not entry.creates:
            raw_id = scope["path"][len(PREFIX) :].split("/")[1]
        try:
            if raw_id is not None:
                target = _UUID.validate_python(raw_id, from_attributes=True)
            model = entry.write.body.model_validate(json.loads(body), from_attributes=True)
        # JSON, encoding, nesting too deep for the parser, or validation: FastAPI answers
        except (ValueError, RecursionError, ValidationError):
            return False
        scope["route"], scope["endpoint"] = entry.route, entry.route.endpoint
        scope["path_params"] = {} if raw_id is None else {"id": raw_id}
        call = partial(
            entry.write.run, model, target, principal, services,
            _latin1(if_match), _latin1(idempotency_key),
        )  # fmt: skip
        response = await asyncio.get_running_loop().run_in_executor(
            writers(services.settings.write_threads), contextvars.copy_context().run, call
        )
        await response(scope, receive, send)
        return True


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The first value of each header, found by its name as sent, as Starlette's
    ``Headers.get`` finds it (servers send the names in lower case)."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        found.setdefault(name, value)
    return found


def _several_authorizations(scope: Scope) -> bool:
    """Two Authorization headers are ambiguous: FastAPI refuses them (deps.SingleBearer)."""
    return sum(name == b"authorization" for name, _ in scope["headers"]) > 1


def _too_long(value: bytes | None, max_length: int) -> bool:
    """Over a header's limit: FastAPI's 422 (one latin-1 character per byte)."""
    return value is not None and len(value) > max_length


def _latin1(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


def _cached_principal(services: Services, authorization: bytes | None) -> Principal | None:
    """The principal of a cached bearer token (read as HTTPBearer does); None for anything
    else: no token, another scheme, a token not cached yet or expired."""
    if authorization is None:
        return None
    scheme, token = get_authorization_scheme_param(authorization.decode("latin-1"))
    if not (scheme and token) or scheme.lower() != "bearer":
        return None
    try:
        return services.access.provisional(token)
    except TokenExpired:
        return None
