"""The PostgreSQL insert transaction: two waits on the server, and refusals that leave
the connection clean.

Every writer waits for the insert lock, and the lock is held until the commit, so each
wait on the server inside the transaction is paid by all writers in turn. A relay between
the service and PostgreSQL reads the protocol's messages: a Sync is where the client stops
and waits for the server's answers.
"""

import contextlib
import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from sansan.bootstrap import build_application
from sansan.persistence import PromptPostgresRecorder, parse_postgres_url
from sansan.settings import Settings

pytestmark = pytest.mark.postgres

ONE_CONNECTION = {"postgres_pool_size": 1, "postgres_max_overflow": 0}


@dataclass
class FrontendMessages:
    """The messages clients sent through a relay, as (type, body) in order."""

    seen: list[tuple[bytes, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def since(self, start: int) -> list[tuple[bytes, bytes]]:
        with self.lock:
            return self.seen[start:]

    def __len__(self) -> int:
        with self.lock:
            return len(self.seen)


class MessageRelay:
    """Relays TCP connections to PostgreSQL and records each frontend message after the
    start-up packet (psycopg's SSL request, refused by a server without SSL, is one too)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.messages = FrontendMessages()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                server = socket.create_connection(self.upstream)
                threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()
                threading.Thread(target=self._read_client, args=(client, server), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def _read_client(self, client: socket.socket, server: socket.socket) -> None:
        with client, server:
            self._relay_client(client, server)

    def _relay_client(self, client: socket.socket, server: socket.socket) -> None:
        buffer, started = b"", False
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                server.sendall(data)
                buffer += data
                while True:
                    if not started:  # length-prefixed, no type byte: SSL request, start-up
                        if len(buffer) < 4:
                            break
                        (size,) = struct.unpack("!i", buffer[:4])
                        if len(buffer) < size:
                            break
                        code = struct.unpack("!i", buffer[4:8])[0]
                        buffer = buffer[size:]
                        started = code != 80877103  # the SSL request's code
                        continue
                    if len(buffer) < 5:
                        break
                    (size,) = struct.unpack("!i", buffer[1:5])
                    if len(buffer) < 1 + size:
                        break
                    with self.messages.lock:
                        self.messages.seen.append((buffer[:1], buffer[5 : 1 + size]))
                    buffer = buffer[1 + size :]

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def relayed(fresh_postgres_schema: str) -> Iterator[tuple[Settings, MessageRelay]]:
    target = parse_postgres_url(fresh_postgres_schema)
    relay = MessageRelay((target.host, target.port))
    url = fresh_postgres_schema.replace(f"{target.host}:{target.port}", f"127.0.0.1:{relay.port}")
    assert url != fresh_postgres_schema
    yield Settings(database_url=url, postgres_lock_timeout_s=1, **ONE_CONNECTION), relay
    relay.close()


def _event(originator: uuid.UUID, version: int) -> StoredEvent:
    return StoredEvent(
        originator_id=originator, originator_version=version, topic="tests:Probe", state=b"{}"
    )


def _statements(messages: list[tuple[bytes, bytes]]) -> list[str]:
    """The text of each Parse (the statement's text follows its name) and simple Query."""
    texts = []
    for kind, body in messages:
        if kind == b"P":
            text = body.split(b"\0")[1]
        elif kind == b"Q":
            text = body.split(b"\0")[0]
        else:
            continue
        texts.append(text.decode().strip())
    return texts


def _rounds(messages: list[tuple[bytes, bytes]]) -> list[list[tuple[bytes, bytes]]]:
    """The messages cut at each Sync: what the client sent before each wait."""
    rounds: list[list[tuple[bytes, bytes]]] = [[]]
    for message in messages:
        rounds[-1].append(message)
        if message[0] == b"S":
            rounds.append([])
    # After the last Sync psycopg may ask the server to flush what it holds (H): no
    # statement, no new wait. Another connection's Terminate (X) is no statement either.
    assert {kind for kind, _ in rounds[-1]} <= {b"H", b"X"}, rounds[-1]
    return rounds[:-1]


@pytest.fixture
def recorder(relayed: tuple[Settings, MessageRelay]) -> Iterator[PromptPostgresRecorder]:
    """The service's recorder on one pooled connection through the relay."""
    app = build_application(relayed[0])
    try:
        assert isinstance(app.recorder, PromptPostgresRecorder)
        yield app.recorder
    finally:
        app.close()


def test_an_insert_waits_on_the_server_twice_and_commits_only_after_its_ids_are_back(
    relayed: tuple[Settings, MessageRelay], recorder: PromptPostgresRecorder
) -> None:
    relay = relayed[1]
    originator = uuid.uuid4()
    start = len(relay.messages)
    ids = recorder.insert_events([_event(originator, 1), _event(originator, 2)])
    rounds = _rounds(relay.messages.since(start))
    assert len(rounds) == 2, rounds
    first, second = (_statements(r) for r in rounds)
    assert first[:2] == ["BEGIN", recorder.lock_table_statements[0].as_string()]
    assert first[2].startswith("INSERT")
    assert len(first) == 3
    assert second == ["COMMIT"]
    assert ids is not None
    assert list(ids) == [ids[0], ids[0] + 1]
    assert recorder.max_notification_id() == ids[1]
    assert [e.originator_version for e in recorder.select_events(originator)] == [1, 2]


def test_a_version_already_taken_is_refused_and_the_connection_is_clean_for_the_next_insert(
    recorder: PromptPostgresRecorder,
) -> None:
    originator = uuid.uuid4()
    recorder.insert_events([_event(originator, 1)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([_event(originator, 2), _event(originator, 1)])
    [after] = recorder.insert_events([_event(originator, 2)])  # on the pool's one connection
    assert [e.originator_version for e in recorder.select_events(originator)] == [1, 2]
    assert recorder.max_notification_id() == after


def test_a_lock_wait_that_times_out_records_nothing_and_the_next_insert_goes_through(
    recorder: PromptPostgresRecorder, fresh_postgres_schema: str
) -> None:
    before = recorder.max_notification_id()
    conninfo = parse_postgres_url(fresh_postgres_schema).conninfo()
    with psycopg.connect(conninfo) as holder:
        holder.execute(recorder.lock_table_statements[-1])
        with pytest.raises(OperationalError, match="lock timeout"):
            recorder.insert_events([_event(uuid.uuid4(), 1)])
        holder.rollback()
    assert recorder.max_notification_id() == before
    [after] = recorder.insert_events([_event(uuid.uuid4(), 1)])
    assert after > (before or 0)
