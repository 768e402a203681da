"""The memory bound of a worker (MEMORY_LIMIT_MIB) and the cap on expensive queries at once.

A query whose intermediate results grow by hundreds of MB a second is stopped by the worker's
memory bound long before its time limit: it gets a 503 saying so, the worker retires (its
memory goes with the process) and a fresh one starts, while a well-behaved client keeps being
answered. The server runs with a bound a few hundred MiB above a worker's memory at rest, so
no test here makes a process grow past about 750 MiB.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

from plankg.server.engine import memory
from plankg.server.engine.executor import OverMemory, QueryExecutor, QueryTimeout
from plankg.server.engine.results import Cancelled
from server_support import start_server, stop

LIMIT_MIB = 600  # each worker's bound; a worker at rest holds about 60 MiB
HARD_MIB = LIMIT_MIB * memory.HARD_FACTOR  # past this a worker ends at once: never reached here
HUNGRY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"  # the query: ~200-300 MB/s
HUNGRIER = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
SIMPLE = "ASK { ?s ?p ?o }"
GENEROUS_S = 20.0  # far below the 30 s time limit, far above the ~2 s the bound takes
_BOOTED = re.compile(r"Booting worker with pid: (\d+)")
_RETIRING = re.compile(r"retiring worker (\d+): its memory \(RSS (\d+) MiB\) passed its limit of (\d+) MiB")
_RETIRED = re.compile(r"worker (\d+) retired \(peak memory (\d+) MiB\)")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bounded_server(built_store, tmp_path_factory):
    server = start_server(built_store, tmp_path_factory.mktemp("memory") / "server.log", "--workers", "2",
                          "--threads", "8", env={"PLANKG_MEMORY_LIMIT_MIB": str(LIMIT_MIB)})
    yield server
    stop(server)


def _get(server, query: str, timeout: float = 60) -> tuple[int | str, dict[str, str], bytes]:
    try:
        return server.get("/sparql", {"query": query}, headers={"Accept": "application/sparql-results+json"},
                          timeout=timeout)
    except (OSError, http.client.HTTPException) as e:
        return type(e).__name__, {}, b""


class PeakSampler:
    """The largest VmHWM seen of each worker process of ``server``, read every 10 ms."""

    def __init__(self, server):
        self.server, self.peaks, self._done = server, Counter(), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(0.01):
            for pid in {int(p) for p in _BOOTED.findall(self.server.log())}:
                peak = memory.peak_rss_bytes(pid) // memory.MIB
                if peak > self.peaks[pid]:
                    self.peaks[pid] = peak


class SteadyClient:
    """A well-behaved client: small queries one after another, each on a fresh connection."""

    def __init__(self, server):
        self.server, self.statuses, self._done = server, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SteadyClient:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._done.is_set():
            status, _, body = _get(self.server, SIMPLE, timeout=15)
            self.statuses.append(status if status != 200 or b"true" in body else "wrong body")
            time.sleep(0.01)

    def answered(self) -> int:
        return self.statuses.count(200)


def _wait_for(predicate, timeout: float = GENEROUS_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := predicate():
            return found
        time.sleep(0.05)
    return None


def _at_rest_mib(server) -> dict[int, int]:
    booted = {int(p) for p in _BOOTED.findall(server.log())}
    return {pid: rss for pid in booted if (rss := _rss_mib(pid))}


def _rss_mib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def test_a_memory_hungry_query_is_stopped_near_the_bound_while_a_normal_client_is_answered(bounded_server):
    server = bounded_server
    at_rest = _at_rest_mib(server)
    assert at_rest and max(at_rest.values()) < LIMIT_MIB - 250, at_rest  # the bound is ~300 MiB above rest
    log_before = len(server.log())
    with PeakSampler(server) as sampler, SteadyClient(server) as client:
        assert _wait_for(lambda: client.answered() >= 3, 10)
        t0 = time.monotonic()
        status, headers, body = _get(server, HUNGRY)
        elapsed = time.monotonic() - t0
        during = client.answered()
        retired = _wait_for(lambda: _RETIRED.findall(server.log()[log_before:]))
        assert retired, server.log()[log_before:]
        assert _wait_for(lambda: client.answered() >= during + 20)  # and after: the fresh worker too
    log = server.log()[log_before:]

    assert status == 503, (status, body)
    assert b"MEMORY_LIMIT_MIB" in body and f"{LIMIT_MIB} MiB".encode() in body, body
    assert headers.get("retry-after") == memory.RETRY_AFTER_S
    assert elapsed < GENEROUS_S  # stopped by the bound, not by the 30 s time limit

    # One worker retired, gracefully and once, and never got far past its bound.
    # (the log floors MiB: a worker retired at 600.3 MiB for a bound of 600 logs "RSS 600 MiB")
    [(pid, rss, limit)] = _RETIRING.findall(log)
    assert int(limit) == LIMIT_MIB and LIMIT_MIB <= int(rss) < HARD_MIB
    [(retired_pid, peak)] = retired
    assert retired_pid == pid
    assert LIMIT_MIB <= int(peak) < HARD_MIB, log
    assert max(sampler.peaks.values()) < HARD_MIB, sampler.peaks
    assert "ending it now" not in log and "Traceback" not in log, log

    # The well-behaved client was answered throughout; at most the one request it had in flight
    # on the retiring worker at that moment was stopped with it.
    failed = [s for s in client.statuses if s != 200]
    assert len(failed) <= 1 and set(failed) <= {503}, client.statuses
    assert client.answered() >= 20


def test_eight_hungrier_clients_at_once_are_all_stopped_and_no_worker_passes_its_hard_bound(bounded_server):
    """The issue's second case: eight clients with a three-way product (12 GB in seconds before)."""
    server = bounded_server
    log_before = len(server.log())
    outcomes: list = []
    with PeakSampler(server) as sampler, SteadyClient(server) as client:
        threads = [threading.Thread(target=lambda: outcomes.append(_get(server, HUNGRIER))) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(GENEROUS_S + 30)
        assert _wait_for(lambda: len(_RETIRED.findall(server.log()[log_before:])) >= 1)
        during = client.answered()
        assert _wait_for(lambda: client.answered() >= during + 10)
    log = server.log()[log_before:]
    assert len(outcomes) == 8
    assert all(status == 503 and b"MEMORY_LIMIT_MIB" in body for status, _, body in outcomes), outcomes
    assert max(sampler.peaks.values()) < HARD_MIB, sampler.peaks
    assert "ending it now" not in log and "Traceback" not in log, log
    assert set(client.statuses) <= {200, 503} and client.statuses.count(503) <= 2, client.statuses


# --- the cap on expensive queries, in one process ------------------------------------------------

EXPENSIVE = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 1"
CHEAP = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"


@pytest.fixture
def gated(built_store, monkeypatch):
    """An executor with room for one expensive query at a time, whose expensive queries wait
    for ``release`` inside the store call (``entered`` counts them)."""
    from plankg.server.engine import results

    real = results.run_query
    release, entered = threading.Event(), Counter()

    def run_query(store, query, media_type, dataset, out):
        if "ORDER BY" in query:
            entered[query] += 1
            if not release.wait(30):
                raise AssertionError("never released")
        real(store, query, media_type, dataset, out)

    monkeypatch.setattr(results, "run_query", run_query)
    with QueryExecutor(built_store, timeout_s=30, max_expensive=1) as ex:
        yield ex, release, entered
        release.set()


def test_a_second_expensive_query_waits_for_the_first_and_a_cheap_one_does_not(gated):
    ex, release, entered = gated
    results: dict = {}

    def run(name: str, query: str) -> None:
        results[name] = ex.select(query)

    first = threading.Thread(target=run, args=("first", EXPENSIVE))
    first.start()
    assert _wait_for(lambda: sum(entered.values()) == 1, 10)
    second = threading.Thread(target=run, args=("second", EXPENSIVE + " "))
    second.start()
    assert _wait_for(lambda: ex._gate.waiting == 1, 10)

    assert len(ex.select(CHEAP)) == 1  # not held up by the expensive ones
    time.sleep(0.3)
    assert sum(entered.values()) == 1 and "second" not in results  # still waiting for the slot

    release.set()
    first.join(10)
    second.join(10)
    assert len(results["first"]) == 1 and len(results["second"]) == 1
    assert sum(entered.values()) == 2 and ex._gate.waiting == 0


def test_an_expensive_query_that_gets_no_slot_before_its_deadline_times_out(gated):
    ex, release, entered = gated
    first = threading.Thread(target=ex.select, args=(EXPENSIVE,))
    first.start()
    assert _wait_for(lambda: sum(entered.values()) == 1, 10)
    t0 = time.monotonic()
    with pytest.raises(QueryTimeout):
        ex.select(EXPENSIVE + " ", timeout_s=0.5)
    assert 0.4 < time.monotonic() - t0 < 10
    assert sum(entered.values()) == 1  # it never reached the store
    release.set()
    first.join(10)


def test_stop_all_answers_a_waiting_request_at_once_with_the_reason(gated):
    ex, release, entered = gated
    outcome: list = []

    def run() -> None:
        try:
            ex.select(EXPENSIVE)
        except QueryTimeout as e:
            outcome.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    assert _wait_for(lambda: sum(entered.values()) == 1, 10)
    assert ex.stop_all(OverMemory("over the bound")) == 1
    thread.join(10)
    assert not thread.is_alive()
    assert isinstance(outcome[0], OverMemory) and str(outcome[0]) == "over the bound"
    release.set()


@pytest.mark.parametrize("query, expensive", [
    ("SELECT * WHERE { ?s ?p ?o }", False),
    ("SELECT * WHERE { ?s <http://example.org/ORDER> 'GROUP BY' } # DISTINCT", False),
    ("SELECT ?order ?count WHERE { ?order ex:distinct ?count }", False),
    ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s", True),
    ("select (count(*) as ?n) { ?s ?p ?o }", True),
    ("SELECT DISTINCT ?s { ?s ?p ?o }", True),
    ("ASK { ?s ?p ?o MINUS { ?s a ?c } }", True),
    ("SELECT * { { SELECT ?s { ?s ?p ?o } LIMIT 1 } ?s ?q ?r }", True),
])
def test_which_queries_count_as_expensive(query, expensive):
    assert memory.is_expensive(query) is expensive


def test_the_gate_gives_up_when_its_request_has_been_answered():
    gate = memory.ExpensiveGate(1)

    class Writer:
        cancelled = False

    holder = Writer()
    held, release = threading.Event(), threading.Event()
    first = threading.Thread(target=gate.wrap(lambda out: (held.set(), release.wait(10)), time.monotonic() + 30),
                             args=(holder,))
    first.start()
    assert held.wait(10)
    waiter = Writer()
    waiter.cancelled = True
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        gate.wrap(lambda out: None, time.monotonic() + 30)(waiter)
    assert time.monotonic() - t0 < 5
    release.set()
    first.join(10)


# --- the watch ---------------------------------------------------------------------------------

def test_the_watch_calls_on_over_once_then_ends_the_process_past_the_hard_bound():
    overs, exits = [], threading.Event()
    watch = memory.MemoryWatch(1, overs.append, sample_s=0.01, exit=lambda code: exits.set())
    watch.start()
    try:
        assert exits.wait(10)
    finally:
        watch.stop()
    assert len(overs) == 1 and overs[0] > 1


def test_the_default_bound_shares_most_of_the_machine_among_the_workers():
    total = memory.machine_memory_bytes()
    assert total and total > 0
    assert memory.limit_mib(0, 2) == memory.default_limit_mib(2)
    assert abs(memory.default_limit_mib(2) - total * memory.MEMORY_SHARE / 2 / memory.MIB) <= 1
    assert memory.limit_mib(512, 2) == 512


def test_a_page_whose_query_is_stopped_gets_503_not_500(built_store, monkeypatch):
    """Pages (linked data, UI) answer a stopped query as /sparql does: 503 with Retry-After."""
    from plankg.server import create_app

    def stopped(self, *args, **kwargs):
        raise QueryTimeout("the operation ran longer than 30 s and was stopped")

    monkeypatch.setattr(QueryExecutor, "execute", stopped)
    client = create_app({"STORE": str(built_store)}).test_client()
    resp = client.get("/id/graph/mol/108", headers={"Accept": "text/turtle"}, follow_redirects=True)
    assert resp.status_code == 503, resp.data
    assert b"QUERY_TIMEOUT_S" in resp.data and resp.headers["Retry-After"] == "30"
