"""The command POSTs' fast path answers exactly as FastAPI does: two worlds on the same seed and
the same fixed clock, one app with the fast path and one without, get the same requests in the
same order and must give the same status, headers and body; the fast path must have served the
happy path and the refusals the write itself raises, and handed everything else to FastAPI.

Mutations each of which fails these tests: the fast path running the write with the principal's
scope dropped ("other scope", the idempotency cases); the write without its revocation look
("revoked token"); the fast path answering bad JSON with a problem of its own ("bad JSON");
the fast path taking the first of two Authorization headers ("two tokens", "the same token
twice")."""

import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient

from sansan.access import token_id_of
from sansan.api.app import create_app
from sansan.api.command_endpoints import CommandWrite, command_writes
from sansan.api.fast_commands import FastCommands, route_key
from sansan.clock import FixedClock
from sansan.commands import Command
from sansan.commands import community as co
from sansan.commands import examples as t
from sansan.commands import member as mc
from sansan.commands import organization as oc
from sansan.settings import Settings
from tests.conftest import BACKENDS, store_for_module
from tests.integration.api_support import as_request
from tests.support import NOW

STREET2, COMMUNITY2 = t.i("fast-street"), t.i("fast-community")
SEED: list[Command] = [
    *t.tour()[:5],
    *(c for c in t.tour() if isinstance(c, mc.RegisterMember)),
    oc.EstablishPartyOrganization(
        id=STREET2, occurred_on=t.D, name="城南街道党工委", level="street_committee"
    ),
    co.RegisterCommunity(
        id=COMMUNITY2, occurred_on=t.D, name="城南社区", street_committee_id=STREET2
    ),
]
TOKENS = {"county": ("county", None), "community": ("community", t.GB)}


@dataclass
class World:
    api: FastAPI
    client: TestClient
    tokens: dict[str, str]
    to_fastapi: list[str] = field(default_factory=list)  # paths the fast path handed on

    def issue(self, role: str, scope: Any, label: str) -> str:
        """A token, cached as a first request would leave it."""
        access = self.api.state.services.access
        token: str = access.issue_token(role=role, scope_org_id=scope, label=label, actor="t")[0]
        assert access.authenticate(token) is not None
        return token


def open_world(url: str, fast: bool, stack: ExitStack, write_threads: int = 4) -> World:
    settings = Settings(database_url=url, run_scheduler=False, write_threads=write_threads)
    api = create_app(settings, FixedClock(NOW))
    services = api.state.services
    # No lifespan: the background work would record checkpoints between the requests.
    stack.callback(services.app.close)
    stack.callback(services.store.close)
    for command in SEED:
        services.app.execute(command, actor="county:seed")
    layer = api.router.middleware_stack
    assert isinstance(layer, FastCommands)
    world = World(api, TestClient(api, raise_server_exceptions=False), {})
    if fast:
        handed_on = layer.app

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            world.to_fastapi.append(scope["path"])
            await handed_on(scope, receive, send)

        layer.app = counting
    else:
        api.router.middleware_stack = layer.app  # FastAPI alone
    world.tokens = {name: world.issue(*spec, label=name) for name, spec in TOKENS.items()}
    return world


@pytest.fixture(scope="module", params=BACKENDS)
def worlds(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[World, World]]:
    with ExitStack() as stack:
        fast_url = stack.enter_context(store_for_module(request.param, tmp_path_factory, "fast"))
        slow_url = stack.enter_context(store_for_module(request.param, tmp_path_factory, "slow"))
        yield open_world(fast_url, True, stack), open_world(slow_url, False, stack)


@dataclass
class Call:
    path: str
    body: bytes
    token: str | None = "county"
    headers: dict[str, str] = field(default_factory=dict)
    extra: list[tuple[str, str]] = field(default_factory=list)  # sent after, names may repeat


def command(
    c: Command, token: str | None = "county", extra: list[tuple[str, str]] | None = None,
    **headers: str,
) -> Call:  # fmt: skip
    request = as_request(c)
    body = as_json(request.body)
    headers = {"Content-Type": "application/json"} | headers
    return Call(request.path, body, token, headers, extra or [])


def as_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def edited(c: Command, **changes: Any) -> Call:
    """The command's request with its JSON body edited (None removes a field)."""
    call = command(c)
    body = json.loads(call.body)
    for name, value in changes.items():
        if value is None:
            body.pop(name)
        else:
            body[name] = value
    call.body = as_json(body)
    return call


# Each training a topic of its own: the worlds live across the cases, and the same training
# of a member twice on one day is refused as a duplicate fact.
_TOPICS = itertools.count()


def training(days: float = 2, **changes: Any) -> Command:
    return mc.RecordTraining(
        member_id=t.MEMBER, occurred_on=t.d(5), days=days, method="lecture",
        topic=f"党课{next(_TOPICS)}",
    ).model_copy(update=changes)  # fmt: skip


def padded_key(c: Command) -> list[Call]:
    """One request, then its retry with the key padded by blanks."""
    return [command(c, **{"Idempotency-Key": "k3"}), command(c, **{"Idempotency-Key": " k3\t"})]


UPGRADE2 = co.UpgradeFacility(
    community_id=COMMUNITY2, occurred_on=t.d(4), office_area_m2=85, venue_area_m2=210
)
NEW_MEMBER = mc.RegisterMember(
    id=t.i("fast-new-member"), occurred_on=t.d(4), name="张三", category="direct",
    organization_id=t.BRANCH, birth_year=1980,
)  # fmt: skip
FIVE_GOODS = co.AssessFiveGoods(
    community_id=t.COMMUNITY, occurred_on=t.d(5), year=2026,
    items={"leadership_team": True}, scores={"leadership_team": 90},
)  # fmt: skip
RECORDED_AT = re.compile(rb'"recorded_at":"[^"]*"')
MEMBER_PATH = f"/api/v1/members/{t.MEMBER}/trainings"

# (name, the requests in order, the statuses, whether the fast path answers itself)
Case = tuple[str, Callable[[World], list[Call]], list[int], bool | None]
CASES: list[Case] = [
    ("change", lambda w: [command(training())], [200], True),
    ("create", lambda w: [command(NEW_MEMBER)], [201], True),
    ("another kind", lambda w: [command(UPGRADE2)], [200], True),
    ("card", lambda w: [command(mc.IssueCard(member_id=t.MEMBER, occurred_on=t.d(5),
                                             card="volunteer_activity", card_no="F-1"))], [200], True),
    ("broken rule", lambda w: [command(training(days=31))], [422], True),
    ("unknown unit", lambda w: [command(training(member_id=t.i("nobody")))], [404], True),
    ("stale If-Match", lambda w: [command(training(), **{"If-Match": '"999"'})], [412], True),
    ("bad If-Match", lambda w: [command(training(), **{"If-Match": "abc"})], [400], True),
    ("wrong role", lambda w: [command(co.RecommendToCity(community_id=t.COMMUNITY,
                                      occurred_on=t.d(4), reason="好"), "community")],
     [403], True),
    ("other scope", lambda w: [command(UPGRADE2, "community")], [404], True),
    ("revoked token", lambda w: [command(training(), "revoked")], [401], True),
    ("idempotent replay", lambda w: [command(training(), **{"Idempotency-Key": "k1"})] * 2,
     [200, 200], True),
    ("idempotency conflict", lambda w: [command(training(), **{"Idempotency-Key": "k2"}),
                                        command(training(days=3), **{"Idempotency-Key": "k2"})],
     [200, 422], True),
    ("bad JSON", lambda w: [Call(MEMBER_PATH, b'{"days": 2,', "county",
                                 {"Content-Type": "application/json"})], [422], False),
    ("nested too deep", lambda w: [Call(MEMBER_PATH, b"[" * 100_000 + b"]" * 100_000, "county",
                                        {"Content-Type": "application/json"})], [400], False),
    ("not an object", lambda w: [Call(MEMBER_PATH, b"[1, 2]", "county",
                                      {"Content-Type": "application/json"})], [422], False),
    ("not UTF-8", lambda w: [Call(MEMBER_PATH, b'{"topic": "\xff"}', "county",
                                  {"Content-Type": "application/json"})], [400], False),
    ("missing field", lambda w: [edited(training(), topic=None)], [422], False),
    ("wrong type", lambda w: [edited(training(), days="two")], [422], False),
    ("extra field", lambda w: [edited(training(), member_id=str(t.MEMBER))], [422], False),
    ("hostile path id", lambda w: [Call("/api/v1/members/'%20OR%201=1/trainings",
                                        command(training()).body, "county",
                                        {"Content-Type": "application/json"})], [422], False),
    ("hostile body id", lambda w: [edited(NEW_MEMBER, organization_id="../../etc")], [422],
     False),
    ("no token", lambda w: [command(training(), None)], [401], False),
    ("unknown token", lambda w: [command(training(), "sansan_nope")], [401], False),
    ("other scheme", lambda w: [command(training(), None, Authorization="Basic eDp5")], [401],
     False),
    ("text/plain", lambda w: [command(training(), **{"Content-Type": "text/plain"})], [415],
     False),
    ("form", lambda w: [command(training(), **{"Content-Type": "application/x-www-form-urlencoded"})],
     [415], False),
    ("no content type", lambda w: [Call(MEMBER_PATH, command(training()).body)], [415], False),
    ("+json", lambda w: [command(training(), **{"Content-Type": "application/merge-patch+json"})],
     [200], False),
    ("two tokens", lambda w: [command(training(), extra=[("Authorization", "Bearer x")])],
     [400], False),
    ("the same token twice", lambda w: [command(training(), extra=[("Authorization", "")])],
     [400], False),
    ("boolean days", lambda w: [edited(training(), days=True)], [422], False),
    ("boolean in scores", lambda w: [edited(FIVE_GOODS, scores={"leadership_team": False})],
     [422], False),
    ("padded key", lambda w: padded_key(training()), [200, 200], True),
    ("blank key", lambda w: [command(training(), **{"Idempotency-Key": "  "})], [400], True),
    ("long key", lambda w: [command(training(), **{"Idempotency-Key": "k" * 201})], [422],
     False),
    ("trailing slash", lambda w: [Call(MEMBER_PATH + "/", command(training()).body)], [404],
     False),
    ("oversized body", lambda w: [Call(MEMBER_PATH, b" " * (1024 * 1024 + 1), "county",
                                       {"Content-Type": "application/json"})], [413], None),
]  # fmt: skip


def send(world: World, call: Call) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = list(call.headers.items())
    if call.token is not None:
        token = world.tokens.get(call.token, call.token)
        headers.append(("Authorization", f"Bearer {token}"))
    # an empty value repeats the one before it under the same name
    headers += [(n, v or dict(headers)[n]) for n, v in call.extra]
    answer = world.client.post(
        call.path, content=call.body, headers=headers, follow_redirects=False
    )
    # The library stamps an event with the wall clock: the one thing two worlds differ in.
    return answer.status_code, answer.headers.raw, RECORDED_AT.sub(b"", answer.content)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_fast_path_answers_as_fastapi(worlds: tuple[World, World], case: Case) -> None:
    _, calls_of, statuses, served_fast = case
    fast, slow = worlds
    for world in worlds:  # a token each world caches and then sees revoked
        world.tokens["revoked"] = world.issue("county", None, "revoked")
        access = world.api.state.services.access
        access.revoke_token(token_id_of(world.tokens["revoked"]), reason="泄露", actor="t")
    fast.to_fastapi.clear()
    calls = calls_of(fast)
    answers = [send(fast, call) for call in calls]
    assert answers == [send(slow, call) for call in calls]
    assert [status for status, _, _ in answers] == statuses
    if served_fast is not None:
        assert len(fast.to_fastapi) == (0 if served_fast else len(calls))


def test_metrics_count_the_fast_paths_requests(worlds: tuple[World, World]) -> None:
    fast, slow = worlds
    for world in worlds:
        send(world, command(training()))

    def counts(world: World) -> list[str]:
        text = world.client.get("/metrics", headers={
            "Authorization": f"Bearer {world.tokens['county']}"}).text  # fmt: skip
        return sorted(
            line for line in text.splitlines()
            if line.startswith("sansan_http_requests_total") and "/metrics" not in line
        )  # fmt: skip

    counted = counts(fast)
    assert any('route="/api/v1/members/{id}/trainings",status="200"' in c for c in counted)
    assert counted == counts(slow)


def test_each_command_path_is_the_route_fastapi_would_pick(tmp_path: Any) -> None:
    """No other route shadows a command's path: the fast path's route for it is the one
    FastAPI's routing selects (seen on a request that FastAPI refuses for want of a token)."""
    api = create_app(Settings(database_url=f"sqlite:///{tmp_path}/s.db", run_scheduler=False))
    services = api.state.services
    layer = api.router.middleware_stack
    assert isinstance(layer, FastCommands)
    selected: list[Any] = []
    handed_on = layer.app

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        await handed_on(scope, receive, send)
        selected.append(scope.get("route"))

    layer.app = spy
    try:
        client = TestClient(api, raise_server_exceptions=False)
        for write in command_writes():
            path = "/api/v1" + write.route.path.replace("{id}", str(t.MEMBER))
            key = route_key(path)
            assert key is not None
            assert layer.table[key].write is write
            assert client.post(path, json={}).status_code == 401
            assert selected.pop() is layer.table[key].route
    finally:
        services.store.close()
        services.app.close()


def test_command_writes_run_on_the_write_threads_and_no_more_at_once(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``write_threads`` writes at a time, on the process's write threads, the rest queued:
    not one of anyio's 40 threads per waiting request (mutation: ``run_in_threadpool``)."""
    with ExitStack() as stack:
        world = open_world(f"sqlite:///{tmp_path}/s.db", True, stack, write_threads=2)
        running: list[str] = []
        most = 0
        seen: set[str] = set()
        lock = threading.Lock()

        def slow_run(self: CommandWrite, *args: Any) -> Response:
            nonlocal most
            with lock:
                running.append(threading.current_thread().name)
                most = max(most, len(running))
                seen.add(threading.current_thread().name)
            time.sleep(0.2)
            with lock:
                running.pop()
            return JSONResponse({"ok": True})

        monkeypatch.setattr(CommandWrite, "run", slow_run)
        calls = [command(training()) for _ in range(6)]
        with ThreadPoolExecutor(6) as clients:
            answers = list(clients.map(lambda call: send(world, call), calls))
    assert [status for status, _, _ in answers] == [200] * 6
    assert world.to_fastapi == []  # every one through the fast path
    assert most == 2
    assert len(seen) == 2
    assert all(name.startswith("sansan-write") for name in seen)
