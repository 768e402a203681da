"""A runaway query is stopped with a 503 at the time limit, without blocking other clients;
the worker process that ran it retires, which ends the work, and a fresh one takes its place."""

from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse

import pytest

from server_support import start_server, start_writable_server, stop

TIMEOUT_S = 2
GENEROUS_BOUND_S = TIMEOUT_S + 15  # retiring the worker and starting a fresh one included
_BOOTED = re.compile(r"Booting worker with pid: (\d+)")
_RETIRED = re.compile(r"worker (\d+) retired")
RUNAWAY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
SIMPLE = "ASK { ?s ?p ?o }"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def strict_server(built_store, tmp_path_factory):
    server = start_server(built_store, tmp_path_factory.mktemp("timeout") / "server.log",
                          "--timeout-s", str(TIMEOUT_S), "--workers", "1", "--threads", "4")
    yield server
    stop(server)


def test_runaway_query_is_503_at_the_limit_while_others_are_served(strict_server):
    sent = threading.Event()
    done = threading.Event()
    outcome: dict = {}

    def runaway():
        t0 = time.monotonic()
        sent.set()
        outcome["status"], outcome["headers"], outcome["body"] = strict_server.get(
            "/sparql", {"query": RUNAWAY}, timeout=GENEROUS_BOUND_S + 10)
        outcome["elapsed"] = time.monotonic() - t0
        done.set()

    thread = threading.Thread(target=runaway)
    thread.start()
    assert sent.wait(5)
    answered_while_running = False
    while not done.is_set():
        status, _, body = strict_server.get("/sparql", {"query": SIMPLE}, headers={"Accept": "application/json"})
        if status == 200 and not done.is_set():
            answered_while_running = b"true" in body
            break
    thread.join(GENEROUS_BOUND_S + 15)
    assert answered_while_running, "no simple query was answered while the runaway query ran"
    assert outcome["status"] == 503, outcome
    assert outcome["elapsed"] < GENEROUS_BOUND_S
    assert outcome["elapsed"] >= TIMEOUT_S * 0.9
    assert "retry-after" in outcome["headers"]
    assert f"{TIMEOUT_S} s".encode() in outcome["body"]


def _logged_503(log: str, tag: str) -> list[str]:
    """The request times of the 503s logged for the query tagged ``tag``."""
    return re.findall(r"GET /sparql\?query=SELECT\S*" + tag + r"\S* 503 \d+ bytes ([\d.]+) ms", log)


def test_the_answer_at_the_limit_is_the_apps_and_is_logged_once_with_the_request_time(strict_server):
    """The query's thread is stuck in pyoxigraph: the worker answers for it, through the app
    (CORS, Vary) and its access log, and the stuck request adds no second line. The query
    carries a tag of its own: an earlier test's runaway may be logged while this one runs."""
    tag = f"tag{time.monotonic_ns()}"
    status, headers, _ = strict_server.get("/sparql", {"query": f"{RUNAWAY} # {tag}"},
                                           headers={"Origin": "http://elsewhere"}, timeout=GENEROUS_BOUND_S + 10)
    assert status == 503
    assert headers.get("access-control-allow-origin") == "*" and "Accept" in headers.get("vary", "")
    assert headers.get("connection") == "close"
    deadline = time.monotonic() + GENEROUS_BOUND_S
    while not _logged_503(strict_server.log(), tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(TIMEOUT_S)  # room for a second line, were the stuck request to log one when it ends
    logged = _logged_503(strict_server.log(), tag)
    assert len(logged) == 1, strict_server.log()
    assert float(logged[0]) >= TIMEOUT_S * 1000 * 0.9  # the request's time, not the answer's


ENDLESS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # streams rows for far longer than the limit


def test_a_result_still_streaming_at_the_limit_is_cut_short_and_logged_in_one_line(strict_server):
    """Too late for a status: the client must see the body end unfinished, never a short body that
    looks whole; the log says so in one line, without a traceback (it is not a bug)."""
    tracebacks = strict_server.log().count("Traceback")
    conn = http.client.HTTPConnection("127.0.0.1", strict_server.port, timeout=GENEROUS_BOUND_S)
    try:
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": ENDLESS}), headers={"Accept": "text/csv"})
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("transfer-encoding") == "chunked"
        with pytest.raises(http.client.IncompleteRead):
            while resp.read(1 << 16):
                time.sleep(0.01)  # a modest reader: the result is endless whatever the pace
    finally:
        conn.close()
    deadline = time.monotonic() + GENEROUS_BOUND_S
    while "response cut short" not in strict_server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"GET /sparql: response cut short: the operation ran longer than {TIMEOUT_S} s" in strict_server.log()
    assert strict_server.log().count("Traceback") == tracebacks


def test_server_keeps_serving_after_a_timeout(strict_server):
    status, _, _ = strict_server.get("/sparql", {"query": RUNAWAY}, timeout=GENEROUS_BOUND_S + 10)
    assert status == 503
    for _ in range(5):
        status, _, body = strict_server.get("/sparql", {"query": SIMPLE})
        assert status == 200 and b"true" in body


def test_the_worker_that_ran_it_retires_and_is_replaced(strict_server):
    """The runaway's CPU is freed: its process ends (engines reference: a thread cannot be killed)."""
    status, _, _ = strict_server.get("/sparql", {"query": RUNAWAY}, timeout=GENEROUS_BOUND_S + 10)
    assert status == 503
    deadline = time.monotonic() + GENEROUS_BOUND_S
    while time.monotonic() < deadline:
        log = strict_server.log()
        retired = {int(p) for p in _RETIRED.findall(log)}
        booted = [int(p) for p in _BOOTED.findall(log)]
        if retired and not any(_alive(p) for p in retired) and any(p not in retired and _alive(p) for p in booted):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"no worker retired and was replaced:\n{strict_server.log()}")
    assert "outlived its time limit" in log
    status, _, body = strict_server.get("/sparql", {"query": SIMPLE})
    assert status == 200 and b"true" in body


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


RUNAWAY_UPDATE = ("INSERT { GRAPH <http://example.org/out> { ?a <http://example.org/q> ?x } } "
                  "WHERE { GRAPH ?g1 { ?a ?b ?c } GRAPH ?g2 { ?d ?e ?f } GRAPH ?g3 { ?g ?h ?x } }")


def test_a_runaway_update_is_503_and_rolled_back_and_the_next_writer_opens_the_store(built_store, tmp_path):
    """The single writer retires with its transaction open: the fresh worker must get the store's
    lock (the old process has exited) and see nothing of the stopped update."""
    server = start_writable_server(built_store, tmp_path, "--timeout-s", str(TIMEOUT_S))
    try:
        headers = {**server.auth(), "Content-Type": "application/sparql-update"}
        status, _, body = server.request("POST", "/sparql", RUNAWAY_UPDATE, headers, timeout=GENEROUS_BOUND_S + 10)
        assert status == 503 and f"{TIMEOUT_S} s".encode() in body
        deadline = time.monotonic() + GENEROUS_BOUND_S
        while not _RETIRED.search(server.log()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _RETIRED.search(server.log()), server.log()
        insert = "INSERT DATA { <http://example.org/after> <http://example.org/p> 'ok' }"
        status, _, _ = server.request("POST", "/sparql", insert, headers, timeout=GENEROUS_BOUND_S)
        assert status == 204
        ask = "ASK { GRAPH <http://example.org/out> { ?s ?p ?o } }"
        status, _, body = server.get("/sparql", {"query": ask}, headers={"Accept": "text/csv"})
        assert status == 200 and b"false" in body
        status, _, body = server.get("/sparql", {"query": "ASK { <http://example.org/after> ?p 'ok' }"},
                                     headers={"Accept": "text/csv"})
        assert status == 200 and b"true" in body
    finally:
        stop(server)
