"""plankg's gunicorn worker (plankg.server.serving.worker): keep-alive, pipelining, making room, bad requests.

One real `plankg serve --workers 1 --threads 1`: a single connection thread, so a second client
is served only if the worker frees the thread an idle kept-alive connection holds.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from server_support import start_server, stop

ASK = "/sparql?query=ASK%7B%7D"
GENEROUS_S = 30
STOP_WAIT_S = 0.5  # a worker that did not wait for the request in flight would have ended by then


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


# --- the response writer, on a real socket pair ------------------------------------------------

class _Sends:
    """A socket that records each ``sendall`` (what the response writer hands the kernel)."""

    def __init__(self, sock: socket.socket):
        self.sock, self.sends = sock, []

    def sendall(self, data: bytes) -> None:
        self.sends.append(bytes(data))
        self.sock.sendall(data)

    def __getattr__(self, name):
        return getattr(self.sock, name)


def _respond(request: bytes, status: str, headers: list[tuple[str, str]], body: list[bytes]) -> tuple[list[bytes], bytes]:
    """Parse ``request`` with gunicorn, answer it with the worker's response writer; (sends, wire bytes)."""
    from gunicorn import http as ghttp
    from gunicorn.config import Config
    from gunicorn.http import wsgi

    from plankg.server.serving.connection import Response

    client, server = socket.socketpair()
    with client, server:
        client.sendall(request)
        req = next(ghttp.get_parser(Config(), server, ("127.0.0.1", 1)))
        recorder = _Sends(server)
        resp, _ = wsgi.create(req, recorder, ("127.0.0.1", 1), ("127.0.0.1", 2), Config(), response_class=Response)
        resp.start_response(status, headers)
        for chunk in body:
            resp.write(chunk)
        resp.close()
        server.shutdown(socket.SHUT_WR)
        wire = b""
        while data := client.recv(65536):
            wire += data
    return recorder.sends, wire


def test_a_response_with_a_length_goes_out_in_one_send():
    sends, wire = _respond(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "200 OK",
                           [("Content-Type", "text/plain"), ("Content-Length", "5")], [b"hello"])
    assert len(sends) == 1
    assert wire.startswith(b"HTTP/1.1 200 OK\r\n") and wire.endswith(b"\r\n\r\nhello")


def test_a_streamed_response_sends_headers_with_its_first_chunk_and_ends_the_chunks():
    sends, wire = _respond(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "200 OK", [("Content-Type", "text/plain")],
                           [b"one", b"two"])
    assert len(sends) == 3  # header block + first chunk, second chunk, last chunk
    assert sends[0].startswith(b"HTTP/1.1 200 OK\r\n") and sends[0].endswith(b"\r\n\r\n3\r\none\r\n")
    assert b"transfer-encoding: chunked" in wire.lower()
    assert wire.endswith(b"3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n")


@pytest.mark.parametrize("request_line, status", [(b"HEAD / HTTP/1.1", "200 OK"), (b"POST / HTTP/1.1", "204 No Content")])
def test_a_response_without_a_body_still_sends_its_header_block(request_line, status):
    length = b"Content-Length: 0\r\n" if request_line.startswith(b"POST") else b""
    sends, wire = _respond(request_line + b"\r\nHost: x\r\n" + length + b"\r\n", status,
                           [("Content-Type", "text/plain"), ("Content-Length", "5")] if status.startswith("200") else [],
                           [b"hello"] if status.startswith("200") else [])
    assert len(sends) == 1
    assert wire.startswith(b"HTTP/1.1 " + status.encode()) and wire.endswith(b"\r\n\r\n")


# --- retiring: no request that a client has already sent is dropped ---------------------------------

@pytest.fixture
def retiring_worker():
    """The worker object as gunicorn makes it, after retire() began (not forked, not running)."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from plankg.server.serving.worker import PlankgWorker

    cfg = Config()
    worker = PlankgWorker(1, 0, [], None, 30, cfg, Logger(cfg))
    worker.alive = False  # what retire() sets
    yield worker
    worker.tmp.close()


def test_a_retiring_worker_serves_a_request_that_arrived_after_its_last_response(retiring_worker):
    from gunicorn import http as ghttp

    from plankg.server.serving.connection import Connection

    worker = retiring_worker
    client, server = socket.socketpair()
    with client, server:
        client.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        parser = ghttp.get_parser(worker.cfg, server, ("127.0.0.1", 1))
        next(parser)  # the first request, answered (without Connection: close) before retiring began
        parser.finish_body()
        conn = Connection(server)
        worker.idle_grace_s = 0.0  # look once, do not wait
        assert not worker._next_request(conn, parser)  # nothing more has come: close
        client.sendall(b"GET /two HTTP/1.1\r\nHost: x\r\n\r\n")
        assert worker._next_request(conn, parser)  # it has come: serve it (it will say close)
        assert next(parser).path == "/two"


def test_a_response_finished_after_retiring_began_tells_the_client_to_close(retiring_worker):
    from gunicorn import http as ghttp

    from plankg.server.serving.connection import Connection

    worker = retiring_worker
    worker.alive = True

    def app(environ, start_response):  # retire() is called while the request is in the app
        worker.alive = False
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    worker.wsgi = app
    client, server = socket.socketpair()
    with client, server:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        req = next(ghttp.get_parser(worker.cfg, server, ("127.0.0.1", 1)))
        keep = worker._handle(req, Connection(server), ("127.0.0.1", 1), ("127.0.0.1", 2))
        head = client.recv(1000).split(b"\r\n\r\n")[0].lower()
    assert not keep
    assert b"connection: close" in head  # so the client does not send its next request here


def _ok(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def _serving(worker, server_sock):
    """A connection thread of ``worker`` serving ``server_sock``, as the main loop starts one."""
    from plankg.server.serving.connection import Connection

    conn = Connection(server_sock)
    worker._conns.add(conn)
    thread = threading.Thread(target=worker._serve, args=(("127.0.0.1", 2), conn, ("127.0.0.1", 1)), daemon=True)
    thread.start()
    return thread


def _response(client: socket.socket) -> bytes:
    """One response to a request for _ok: its header block, lower-cased, and body."""
    data = b""
    while not data.endswith(b"\r\n\r\nok"):
        chunk = client.recv(1000)
        if not chunk:
            raise AssertionError(f"connection closed after {data!r}")
        data += chunk
    return data.lower()


def test_a_stopping_worker_serves_a_request_sent_on_a_connection_idle_since_before_it_stopped(retiring_worker):
    worker = retiring_worker
    worker.alive, worker.wsgi, worker.idle_grace_s = True, _ok, GENEROUS_S  # the request below comes within it
    worker.cfg.set("keepalive", GENEROUS_S)
    client, server = socket.socketpair()
    with client, server:
        serving = _serving(worker, server)
        client.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"connection: keep-alive" in _response(client)  # so the client sends its next request here
        worker.alive = False  # what retire() sets; then the main loop stops
        stopping = threading.Thread(target=worker._stop, daemon=True)
        stopping.start()
        client.sendall(b"GET /two HTTP/1.1\r\nHost: x\r\n\r\n")
        second = _response(client)
        assert second.startswith(b"http/1.1 200") and b"connection: close" in second
        assert client.recv(100) == b""  # then the connection ends, and with it the worker's wait
        stopping.join(GENEROUS_S)
        serving.join(GENEROUS_S)
    assert not stopping.is_alive() and not serving.is_alive()


def test_a_stopping_worker_closes_a_connection_that_stays_idle(retiring_worker):
    worker = retiring_worker
    worker.alive, worker.wsgi, worker.idle_grace_s = True, _ok, 0.0
    worker.cfg.set("keepalive", GENEROUS_S)
    client, server = socket.socketpair()
    with client, server:
        serving = _serving(worker, server)
        client.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"connection: keep-alive" in _response(client)
        worker.alive = False
        worker._stop()  # returns once the idle connection is closed and its thread has ended
        assert client.recv(100) == b""
        serving.join(GENEROUS_S)
    assert not serving.is_alive() and not worker._conns


def test_a_retiring_worker_ends_only_after_the_request_in_flight_is_answered(retiring_worker):
    """A worker retires because a query is stuck on an engine thread; the request that waited
    for it gets its 503 from the app, on its own thread, before the process ends."""
    worker = retiring_worker
    in_app, answer = threading.Event(), threading.Event()

    def app(environ, start_response):  # the app, waiting for its query until the deadline
        in_app.set()
        answer.wait(GENEROUS_S)
        start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"late"]

    worker.alive, worker.wsgi, worker.idle_grace_s = True, app, 0.0
    client, server = socket.socketpair()
    with client, server:
        _serving(worker, server)
        client.sendall(b"GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n")
        assert in_app.wait(GENEROUS_S)
        worker.alive = False
        stopping = threading.Thread(target=worker._stop, daemon=True)  # a retiring process ends right after it
        stopping.start()
        try:
            stopping.join(STOP_WAIT_S)
            waited = stopping.is_alive()  # still there while the request is being answered
            answer.set()
            stopping.join(GENEROUS_S)
            assert not stopping.is_alive()
            client.setblocking(False)
            sent = client.recv(1000)  # out before _stop returned
        finally:
            answer.set()
    assert waited
    assert sent.startswith(b"HTTP/1.1 503") and sent.endswith(b"late")


@pytest.mark.parametrize("grace_s, closed", [(GENEROUS_S, False), (0.0, True)])
def test_a_full_worker_closes_an_idle_connection_for_a_waiting_client_only_after_the_grace(retiring_worker,
                                                                                          grace_s, closed):
    """A client sending back to back is idle for an instant between a response and its next
    request: its connection must not be taken from it then (the request would be cut off)."""
    import os
    import selectors
    import time

    from plankg.server.serving.connection import Connection

    worker = retiring_worker
    worker.alive, worker.idle_grace_s = True, grace_s
    worker.cfg.set("threads", 1)
    worker.PIPE = os.pipe()
    listener = socket.create_server(("127.0.0.1", 0))
    selector = selectors.DefaultSelector()
    client, server = socket.socketpair()
    waiting = socket.socket()
    try:
        conn = Connection(server)
        conn.idle_since = time.monotonic()  # it has just sent a response; its client is about to send again
        worker._conns.add(conn)  # the worker's only thread
        selector.register(listener, selectors.EVENT_READ)
        waiting.connect(listener.getsockname())  # a client waits to be accepted
        worker._make_room(selector)
        server.setblocking(False)  # what the connection's thread would read next
        if closed:
            assert server.recv(1) == b""  # shut: the thread sees the end, and its thread is freed
        else:
            with pytest.raises(BlockingIOError):  # left alone: the thread waits for the next request
                server.recv(1)
    finally:
        waiting.close()
        selector.close()
        listener.close()
        client.close()
        server.close()
        for fd in worker.PIPE:
            os.close(fd)


def test_a_long_get_query_is_served_and_one_over_the_limit_gets_414_saying_use_post(one_thread):
    from plankg.server.serving.serve import MAX_REQUEST_LINE_BYTES

    comment = "#" + "青年" * 300 + "\n"  # 600 Chinese characters: 5,400 bytes once percent-encoded
    url = "/sparql?" + urllib.parse.urlencode({"query": comment + "ASK {}"})
    assert 4094 < len(url) < MAX_REQUEST_LINE_BYTES - 20  # over gunicorn's default, under ours
    status, _, body = one_thread.get(url, headers={"Accept": "text/csv"}, timeout=GENEROUS_S)
    assert status == 200 and b"true" in body

    too_long = "/sparql?" + urllib.parse.urlencode({"query": comment * 2 + "ASK {}"})
    conn = http.client.HTTPConnection("127.0.0.1", one_thread.port, timeout=GENEROUS_S)
    try:
        conn.request("GET", too_long)
        resp = conn.getresponse()
        text = resp.read().decode()
    finally:
        conn.close()
    assert resp.status == 414 and resp.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert f"limit of {MAX_REQUEST_LINE_BYTES} bytes" in text and "POST" in text


@pytest.mark.parametrize(("request_head", "status", "says"), [
    (b"GET /sparql HTTP/9.9\r\nHost: x\r\n\r\n", "400 Bad Request", "only HTTP/1.0 and HTTP/1.1"),
    (b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", "431 Request Header Fields Too Large",
     "limit"),
    (b"GET /sparql HTTP/1.1\r\nHost: x\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n", "431 Request Header Fields Too Large",
     "limit"),
    (b"GET /sparql HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", "400 Bad Request", "in header name"),
])
def test_a_request_the_server_cannot_parse_gets_a_plain_text_answer_a_browser_can_read(
        one_thread, request_head: bytes, status: str, says: str):
    with socket.create_connection(("127.0.0.1", one_thread.port), timeout=GENEROUS_S) as sock:
        sock.sendall(request_head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.decode("utf-8").partition("\r\n\r\n")
    lines = head.split("\r\n")
    assert lines[0] == f"HTTP/1.1 {status}"
    assert "Content-Type: text/plain; charset=utf-8" in lines and "Access-Control-Allow-Origin: *" in lines
    assert f"Content-Length: {len(body.encode())}" in lines
    assert body.startswith(status.split(" ", 1)[1] + ": ") and says in body and "<html>" not in body


def test_a_request_head_that_arrives_too_slowly_loses_its_connection(retiring_worker):
    """The read timeout applies to each read, so without a limit on the whole head a client
    sending a byte now and then would keep a connection thread for ever."""
    from plankg.server.serving.connection import Connection

    worker = retiring_worker
    worker.alive, worker.wsgi = True, _ok
    slow_client, slow_server = socket.socketpair()
    quick_client, quick_server = socket.socketpair()
    with slow_client, slow_server, quick_client, quick_server:
        serving = _serving(worker, slow_server)
        slow_client.sendall(b"GET / HTTP/1.1\r\nHo")  # and then nothing more for now
        conn = next(c for c in worker._conns if c.sock is slow_server)
        deadline = time.monotonic() + GENEROUS_S
        while conn.reading_since is None and time.monotonic() < deadline:  # its thread is reading the head
            time.sleep(0.01)
        assert conn.reading_since is not None
        conn.reading_since -= 2 * GENEROUS_S  # as if its first byte had come long ago
        quick = Connection(quick_server)
        quick.reading_since = time.monotonic()  # its head began to arrive just now
        worker._conns.add(quick)
        worker.head_timeout_s = GENEROUS_S
        worker._cut_slow_requests()
        serving.join(GENEROUS_S)
        assert not serving.is_alive() and slow_client.recv(100) == b""  # closed, no response
        quick_server.setblocking(False)
        with pytest.raises(BlockingIOError):  # left alone
            quick_server.recv(1)


# --- starting: copying the store into memory ---------------------------------------------------------

def test_a_worker_copying_its_store_into_memory_keeps_telling_the_arbiter_it_is_alive(tmp_path):
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from plankg.server import create_app
    from plankg.server.serving.worker import PlankgWorker
    from plankg.store import publish

    store = tmp_path / "store"
    lines = "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n' for i in range(50_000))
    publish(store, [("https://w3id.org/plankg/id/graph/test", lines.encode())])
    # An allowlist entry keeps load_wsgi from putting this pytest process under the no-network
    # filter (server/serving/sandbox.py), which would stop every server the later tests start.
    app = create_app({"STORE": str(store), "MEMORY_MAX_QUADS": 100_000,
                      "FEDERATION_ALLOWLIST": ["http://127.0.0.1:9/"]})

    class Application:  # what gunicorn's Application gives a worker: the WSGI app
        def wsgi(self):
            return app

    cfg = Config()
    worker = PlankgWorker(1, 0, [], Application(), 30, cfg, Logger(cfg))
    worker.heartbeat_s = 0.001  # the copy of 50,000 quads takes far longer than this
    try:
        worker.notify()  # as gunicorn does: the file's time becomes the monotonic clock's
        before = worker.tmp.last_update()
        worker.load_wsgi()
        assert worker.tmp.last_update() > before  # the arbiter saw it alive while the store was copied
        assert "Seccomp:\t0" in Path("/proc/self/status").read_text()  # this process stays unfiltered
        executor = app.extensions["plankg"].executor()
        assert executor._stores.current().in_memory and executor._stores.current().count() == 50_000
    finally:
        app.extensions["plankg"].close()
        worker.tmp.close()
