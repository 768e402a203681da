"""plankg.store.remote_http.send against a real loopback server that resets connections.

A pooled keep-alive connection the SPARQL server resets (ECONNRESET: httpx's ReadError) is the
same event as one it closed: a query is sent again on a new connection; an update is not, and is
a store error, not a traceback (a server's request handler must not die of it)."""

from __future__ import annotations

import socket
import struct
import threading

import httpx
import pytest

from plankg.errors import StoreError
from plankg.store.remote_http import send


class ResettingServer:
    """Answers ``200 true`` on loopback, after resetting the first ``resets`` connections once
    their request has arrived."""

    def __init__(self, resets: int):
        self.resets, self.requests = resets, 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                self.requests += 1
                if self.resets > 0:
                    self.resets -= 1
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST on close
                    continue
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\ntrue")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server():
    servers = []

    def make(resets: int) -> ResettingServer:
        servers.append(ResettingServer(resets))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def test_a_query_whose_connection_is_reset_is_sent_again(server) -> None:
    s = server(resets=1)
    response = send(httpx.Request("GET", f"http://127.0.0.1:{s.port}/sparql?query=ASK%7B%7D"), idempotent=True,
                    seconds=5)
    assert (response.status_code, response.read(), s.requests) == (200, b"true", 2)


def test_an_update_whose_connection_is_reset_is_a_store_error_not_sent_again(server) -> None:
    s = server(resets=1)
    with pytest.raises(StoreError, match="cannot be reached"):
        send(httpx.Request("POST", f"http://127.0.0.1:{s.port}/update", content=b"update=CLEAR ALL"),
             idempotent=False, seconds=5)
    assert s.requests == 1
