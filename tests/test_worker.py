"""plankg's gunicorn worker (plankg.server.worker): keep-alive, pipelining, making room, bad requests.

One real `plankg serve --workers 1 --threads 1`: a single connection thread, so a second client
is served only if the worker frees the thread an idle kept-alive connection holds.
"""

from __future__ import annotations

import http.client
import socket

import pytest

from server_support import start_server, stop

ASK = "/sparql?query=ASK%7B%7D"
GENEROUS_S = 30


@pytest.fixture(scope="module")
def one_thread(built_store, tmp_path_factory):
    server = start_server(built_store, tmp_path_factory.mktemp("worker") / "server.log",
                          "--workers", "1", "--threads", "1")
    yield server
    stop(server)


def test_requests_on_one_connection_share_it(one_thread):
    conn = http.client.HTTPConnection("127.0.0.1", one_thread.port, timeout=GENEROUS_S)
    try:
        for i in range(5):
            conn.request("GET", ASK, headers={"Accept": "application/sparql-results+json"})
            resp = conn.getresponse()
            assert resp.status == 200 and b"true" in resp.read()
            assert resp.getheader("Connection", "").lower() != "close"
            if i == 0:
                first = conn.sock
            assert conn.sock is first  # not reconnected
    finally:
        conn.close()


def test_pipelined_requests_are_answered_in_order(one_thread):
    with socket.create_connection(("127.0.0.1", one_thread.port), timeout=GENEROUS_S) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET " + ASK.encode() + b" HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200") == 2
    assert data.index(b"ok\n") < data.index(b"true")


def test_an_idle_connection_makes_room_for_a_waiting_client(one_thread):
    idle = http.client.HTTPConnection("127.0.0.1", one_thread.port, timeout=GENEROUS_S)
    try:
        idle.request("GET", "/healthz")
        assert idle.getresponse().read() == b"ok\n"  # kept alive: it holds the only thread
        status, _, body = one_thread.get(ASK, headers={"Accept": "text/csv"}, timeout=GENEROUS_S)
        assert status == 200 and b"true" in body
        assert idle.sock.recv(1) == b""  # the server closed the idle connection to serve the newcomer
    finally:
        idle.close()


def test_a_malformed_request_gets_400_from_gunicorn(one_thread):
    with socket.create_connection(("127.0.0.1", one_thread.port), timeout=GENEROUS_S) as s:
        s.sendall(b"NOT A REQUEST\r\n\r\n")
        reply = s.recv(65536)
    assert reply.startswith(b"HTTP/1.1 400")
    status, _, _ = one_thread.get("/healthz")
    assert status == 200
