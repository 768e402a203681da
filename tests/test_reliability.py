"""Reliability (issue 18) without timing: many clients get every answer, a 1,000,000-row CSV streams
in flat memory, and sequential requests leave the server's processes, threads and memory as they
were. The timed side (load for 60 s, p99 beside runaway queries) is bench/bench_reliability.py's.

One `plankg serve --workers 2` on the seed plan's build (its own: the counts must not see other
tests' requests); memory and counts are read from /proc (tests/procstat.py).
"""

from __future__ import annotations

import http.client
import urllib.parse

import pytest

from conftest import BASE
from procstat import MILLION, KIB, peak_growth, settled, snapshot, stream_peak
from server_support import Load, start_server, stop, wait_for_workers

pytestmark = pytest.mark.slow  # about 10 s: a server of its own, 150 MB streamed
MIB = KIB * KIB
CLIENTS, PER_CLIENT = 16, 25
STREAM_RISE_MIB = 100  # a worker's resident set may rise this much at most while streaming 1,000,000 rows (150 MB)
SEQUENTIAL = 2_000  # bench/bench_reliability.py makes 10,000
SEQUENTIAL_RISE_MIB = 32  # the workers' resident sets together, after SEQUENTIAL requests (16 KiB a request)
LOOKUP = f"SELECT ?p ?o WHERE {{ <{BASE}mol/108/goal/1> ?p ?o }}"


def _sparql(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query})


@pytest.fixture(scope="module")
def server(built_store, tmp_path_factory):
    """Two workers, the time limit long enough for the 1,000,000 rows on a busy machine."""
    server = start_server(built_store, tmp_path_factory.mktemp("reliability") / "server.log",
                          "--workers", "2", "--timeout-s", "120")
    try:
        wait_for_workers(server, 2)
        yield server
    finally:
        stop(server)


def test_sixteen_clients_get_every_answer_to_the_example_queries(server) -> None:
    from plankg.examples import examples

    paths = [_sparql(e.query) for e in examples()] + [_sparql(LOOKUP), "/healthz"]
    load = Load(server, paths, CLIENTS, PER_CLIENT, accept="application/sparql-results+json, text/turtle;q=0.9")
    statuses = load.start().join()
    assert len(statuses) == CLIENTS * PER_CLIENT
    assert statuses.count(200) == len(statuses), sorted(set(statuses))
    assert "Traceback" not in server.log()


def test_a_million_row_csv_streams_whole_in_flat_memory(server) -> None:
    master = server.proc.pid
    (status, rows, size), before, after = stream_peak(master, server.port, "/sparql")
    rise = peak_growth(before, after)
    print(f"1,000,000 rows: {size / MIB:.0f} MiB of CSV; worker RSS before {[v // MIB for v in before.rss.values()]} "
          f"MiB, peak rise {rise / MIB:.1f} MiB")
    assert (status, rows) == (200, MILLION)
    assert size > STREAM_RISE_MIB * MIB, "the result is too small to tell streaming from buffering"
    assert rise < STREAM_RISE_MIB * MIB, f"a worker's resident set rose {rise / MIB:.0f} MiB while streaming"
    assert after.processes == before.processes


def test_sequential_requests_leave_processes_threads_and_memory_as_they_were(server) -> None:
    master = server.proc.pid
    paths = [_sparql(LOOKUP.replace("goal/1>", f"goal/{g}>")) for g in range(1, 9)] + ["/healthz"]

    def requests(n: int) -> None:
        """``n`` requests one after another, every other one on a new connection."""
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        for i in range(n):
            if i % 2:
                conn.close()  # the next request opens a new one
            conn.request("GET", paths[i % len(paths)], headers={"Accept": "application/sparql-results+json"})
            response = conn.getresponse()
            response.read()
            assert response.status == 200, (i, paths[i % len(paths)], response.status)
        conn.close()

    requests(SEQUENTIAL // 4)  # warm-up: each worker's pools and caches
    first = snapshot(master)
    requests(SEQUENTIAL)
    last = settled(master, first)
    rise = last.total_rss - first.total_rss
    print(f"{SEQUENTIAL} requests: processes {first.processes} -> {last.processes}, threads {first.threads} -> "
          f"{last.threads}, workers' RSS {first.total_rss / MIB:.1f} -> {last.total_rss / MIB:.1f} MiB")
    assert last.processes == first.processes
    assert set(last.rss) == set(first.rss), "a worker was replaced"
    assert last.threads <= first.threads
    assert rise < SEQUENTIAL_RISE_MIB * MIB, f"the workers' resident sets rose {rise / MIB:.1f} MiB"
