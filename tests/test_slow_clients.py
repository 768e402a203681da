"""Clients that send their requests a byte at a time cannot keep others from being answered.

One real `plankg serve` (2 workers x 16 threads, as on a 2-CPU machine) on loopback, on each store
backend (the embedded store, Oxigraph server, Virtuoso: tests/backends.py), with a
request body time limit of 2 s (``PLANKG_BODY_TIMEOUT_S``) so that the test is quick. Trickling
clients are raw sockets in one background thread that sends each a byte every ``TICK_S`` and
opens a new one in place of each that the server closed, as an attacker would; all of them
are closed at the end of the test.
"""

from __future__ import annotations

import re
import select
import socket
import threading
import time

import pytest

from backends import BACKENDS
from server_support import start_server, stop

ASK = "/sparql?query=ASK%7B%7D"
BODY_TIMEOUT_S = 2.0  # the server's limit in this test (30 s by default)
TICK_S = 1.0  # each trickling client sends a byte this often
BODY_TRICKLERS = 40
HEAD_TRICKLERS = 200
QUERIES = 10
ANSWER_BOUND_S = 10.0  # a correctness bound: without the limits, no answer came for minutes
HEAD = b"GET " + ASK.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Slow: "
BODY_HEAD = (b"POST /sparql%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
             b"Content-Length: 100000\r\n\r\n")


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, built_store, remote_stores, tmp_path_factory):
    """The server on each store backend: the limits are plankg's own, before any store is asked."""
    store, env = built_store, {"PLANKG_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S)}
    if request.param != "embedded":
        remote = remote_stores[request.param]
        store, env = remote.files, {**env, **remote.env()}
    server = start_server(store, tmp_path_factory.mktemp(f"slow-{request.param}") / "server.log", "--workers", "2",
                          "--threads", "16", env=env)
    yield server
    stop(server)


class Tricklers:
    """``count`` connections, each sending ``start`` and then one byte every TICK_S; one that
    the server closes is replaced by a new one. ``replaced`` counts those."""

    def __init__(self, port: int, kinds: list[tuple[bytes, int]]):
        self.port, self.kinds = port, kinds
        self.socks: list[tuple[bytes, socket.socket | None]] = []
        self.replaced = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="tricklers")

    def __enter__(self):
        for start, count in self.kinds:
            self.socks += [(start, self._open(start)) for _ in range(count)]
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(5 * TICK_S)
        for _, sock in self.socks:
            if sock is not None:
                sock.close()

    def _open(self, start: bytes) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=TICK_S)
            sock.sendall(start)
            return sock
        except OSError:
            return None

    def _run(self) -> None:
        while not self.stopping.wait(TICK_S):
            for i, (start, sock) in enumerate(self.socks):
                if self.stopping.is_set():
                    return
                try:
                    if sock is None or select.select([sock], [], [], 0)[0]:  # the server closed it (or answered 408)
                        raise ConnectionResetError
                    sock.send(b"a")
                except OSError:
                    if sock is not None:
                        sock.close()
                        self.replaced += 1
                    self.socks[i] = (start, self._open(start))


def test_a_request_body_that_arrives_too_slowly_is_cut_off_at_its_limit(server):
    """The app answers 408 and logs the request once, without a traceback; the thread is freed."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(BODY_HEAD % b"?probe=deadline")
        started = time.monotonic()
        answer = b""
        try:
            while True:
                readable, _, _ = select.select([sock], [], [], 0.25)
                if readable:
                    data = sock.recv(65536)
                    if not data:
                        break
                    answer += data
                else:
                    sock.send(b"#")  # four bytes a second: far below the rate a body must keep
                assert time.monotonic() - started < 30, "the body was not cut off"
        except ConnectionResetError:  # the unread bytes made the server's close a reset
            pass
        took = time.monotonic() - started
    assert BODY_TIMEOUT_S <= took < BODY_TIMEOUT_S + 5
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408")
    if answer:
        assert b"Connection: close" in answer and b"did not arrive in time" in answer
    deadline = time.monotonic() + 5
    while "probe=deadline" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = [line for line in server.log().splitlines() if "probe=deadline" in line]
    assert len(lines) == 1 and re.search(r"POST /sparql\?probe=deadline 408 ", lines[0])
    assert "Traceback" not in server.log()
    status, _, body = server.get(ASK, headers={"Accept": "text/csv"})
    assert status == 200 and b"true" in body


def test_a_client_is_answered_while_hundreds_of_others_trickle_heads_and_bodies(server):
    kinds = [(BODY_HEAD % b"", BODY_TRICKLERS), (HEAD, HEAD_TRICKLERS)]
    took = []
    with Tricklers(server.port, kinds) as tricklers:
        time.sleep(2 * TICK_S)  # every thread holds a trickler; the others wait to be accepted
        for _ in range(QUERIES):
            started = time.monotonic()
            status, _, body = server.get(ASK, headers={"Accept": "text/csv"}, timeout=ANSWER_BOUND_S)
            took.append(time.monotonic() - started)
            assert status == 200 and b"true" in body
        replaced = tricklers.replaced
    print(f"answered in {', '.join(f'{t:.2f}' for t in took)} s; {replaced} trickling connections closed")
    assert max(took) < ANSWER_BOUND_S
    assert replaced >= HEAD_TRICKLERS  # the server closed trickling connections to make room
    assert "Traceback" not in server.log()
