"""`sansan serve`'s HTTP protocol: uvicorn's httptools protocol, each answer in one socket write."""

import asyncio
import logging
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.importer import import_from_string
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from sansan import cli
from sansan.api.one_write import OneWriteHttpTools


class Recording(asyncio.Transport):
    """A socket's transport as far as the protocol uses it: each write kept as made."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed_after: int | None = None  # writes made before close()

    def write(self, data: Any) -> None:
        assert self.closed_after is None, "written after close"
        self.writes.append(bytes(data))

    def close(self) -> None:
        if self.closed_after is None:
            self.closed_after = len(self.writes)

    def is_closing(self) -> bool:
        return self.closed_after is not None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def json_app(pause: bool = False) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        await receive()
        body = b'{"ok":true}'
        headers = [(b"content-type", b"application/json"), (b"content-length", b"11")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if pause:  # a stream: the body comes turns of the loop later
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": body})

    return app


async def answer(
    protocol_class: type[HttpToolsProtocol], request: bytes, pause: bool = False
) -> Recording:
    config = Config(app=json_app(pause), http=protocol_class, access_log=False, log_config=None)
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = Recording()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(200):
        await asyncio.sleep(0.001)
        if transport.writes and transport.writes[-1].endswith(b'{"ok":true}'):
            break
    await asyncio.sleep(0.01)  # any write still to come
    return transport


POST = b"POST /api/v1/x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}"


def test_an_answer_is_one_write_with_the_same_bytes() -> None:
    uvicorns = asyncio.run(answer(HttpToolsProtocol, POST))
    ours = asyncio.run(answer(OneWriteHttpTools, POST))
    assert len(uvicorns.writes) == 2  # status line and headers, then the body
    assert len(ours.writes) == 1
    (head,) = ours.writes
    # the same bytes but the date header's, which is the second's
    assert [line for line in head.split(b"\r\n") if not line.startswith(b"date:")] == [
        line for line in b"".join(uvicorns.writes).split(b"\r\n") if not line.startswith(b"date:")
    ]
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert head.endswith(b'\r\n\r\n{"ok":true}')


def test_a_closing_answer_is_written_before_the_connection_closes() -> None:
    closing = POST.replace(b"Host: t\r\n", b"Host: t\r\nConnection: close\r\n")
    ours = asyncio.run(answer(OneWriteHttpTools, closing))
    assert len(ours.writes) == 1
    assert ours.closed_after == 1
    assert ours.writes[0].endswith(b'{"ok":true}')


def test_headers_of_an_answer_whose_body_waits_are_not_held_back() -> None:
    ours = asyncio.run(answer(OneWriteHttpTools, POST, pause=True))
    assert len(ours.writes) == 2
    assert ours.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert ours.writes[1] == b'{"ok":true}'


def test_serve_gives_uvicorn_this_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(cli.uvicorn, "run", lambda *_, **kwargs: seen.update(kwargs))
    cli._serve("127.0.0.1", 8000, 1, False)
    # by name, as each worker process (spawned, for --workers N) looks it up
    assert import_from_string(seen["http"]) is OneWriteHttpTools
    assert seen["loop"] == "uvloop"


def test_no_access_record_is_made_for_a_succeeded_command_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = Config(app=json_app(), http=OneWriteHttpTools, log_config=None)
    config.load()

    async def made() -> OneWriteHttpTools:  # a protocol is made inside a running loop
        return OneWriteHttpTools(config=config, server_state=ServerState(), app_state={})

    protocol = asyncio.run(made())
    made: list[logging.LogRecord] = []
    logger = logging.getLogger("uvicorn.access")
    real = logger.makeRecord

    def counted(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(logger, "makeRecord", counted)
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logger, "level", logging.INFO)
    fmt, member = '%s - "%s %s HTTP/%s" %d', "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5"
    trainings = f"/api/v1/members/{member}/trainings"
    protocol.access_logger.info(fmt, "127.0.0.1:5", "POST", trainings, "1.1", 200)
    assert made == []  # the filter would drop it too, but only after making it
    protocol.access_logger.info(fmt, "127.0.0.1:5", "POST", trainings, "1.1", 409)
    protocol.access_logger.info(fmt, "127.0.0.1:5", "GET", f"/api/v1/members/{member}", "1.1", 200)
    assert [r.args[1:] for r in made if isinstance(r.args, tuple)] == [
        ("POST", trainings, "1.1", 409), ("GET", f"/api/v1/members/{member}", "1.1", 200),
    ]  # fmt: skip
