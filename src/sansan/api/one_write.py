"""uvicorn's httptools protocol, its answers sent in one socket write each.

uvicorn writes the status line and headers when the app sends ``http.response.start`` and the
body at ``http.response.body``: two ``send`` calls per answer, and on loopback each one runs
the kernel's TCP path to the reader inside the writer's CPU time (16 % of the server's samples
under figure d, docs/benchmarks.md, lean-write5). Here the transport's writes made in one turn
of the event loop are joined and sent at the end of that turn: an answer whose start and body
follow each other without a wait (every JSON answer) goes out in one write; an answer that
waits between them (a stream) still has its headers sent at the end of the turn they were
written in, as late as one turn of the loop, never later.
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sansan.api.access_log import SucceededWritesUnlogged


class JoinedWrites:
    """A transport whose writes within one loop turn reach the socket as one write; any other
    call goes to the transport itself, pending bytes first where order matters."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending.clear()
        if not self._transport.is_closing():  # the peer went away: nothing to send to
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()  # an upgrade's 101 answer before the new protocol's first bytes
        self._transport.set_protocol(protocol)

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteHttpTools(HttpToolsProtocol):
    """``sansan serve``'s HTTP protocol (``http=`` of uvicorn): httptools, writes joined, no
    access record made for a succeeded command write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_logger: Any = SucceededWritesUnlogged(self.access_logger)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        joined: Any = JoinedWrites(transport, self.loop)
        super().connection_made(joined)
