"""A one-connection TCP relay that acts the moment the server starts to answer."""

import contextlib
import socket
import threading
from collections.abc import Callable


class FirstByteTrap:
    """Relays one client connection to ``upstream_port``. When the server's first response
    bytes arrive, it calls ``on_answer`` (say, to kill the server) and closes the client's
    connection without passing them on: the server has finished the request, the client
    never hears of it."""

    def __init__(self, upstream_port: int, on_answer: Callable[[], None]) -> None:
        self.upstream_port, self.on_answer = upstream_port, on_answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.sprung = threading.Event()
        self.thread = threading.Thread(target=self._relay, daemon=True)
        self.thread.start()

    def _relay(self) -> None:
        client, _ = self.listener.accept()
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        threading.Thread(target=self._forward, args=(client, upstream), daemon=True).start()
        try:
            if upstream.recv(1):  # blocks until the server answers
                self.on_answer()
                self.sprung.set()
        finally:
            for end in (client, upstream):
                # shutdown, not just close: the other relay thread is still reading from it
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            self.listener.close()

    @staticmethod
    def _forward(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass  # either side closed: the relay is over
