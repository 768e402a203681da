"""plankg.server.engine.executor: queries and writes as jobs on engine threads, on real stores.

Work that cannot be cancelled (an endless aggregate) is tested in a child process, which the
executor's ``on_stuck`` ends, as the server's worker does. Waits are events, counters or
generous deadlines; nothing depends on how fast the machine is.
"""

from __future__ import annotations

import csv
import gc
import io
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pyoxigraph
import pytest
from pyoxigraph import QueryResultsFormat, RdfFormat

from plankg.errors import QueryError, StoreError
from plankg.server.engine.executor import (
    QueryExecutor,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    ReadOnly,
    Refused,
    UnsupportedFormat,
)
from plankg.server.engine.results import CHUNK_BYTES
from plankg.server.engine.timelimit import EngineThreads
from plankg.store import open_store, publish

BASE = "https://w3id.org/plankg/id/"
MOL = BASE + "graph/mol/108"
EX = "http://example.org/"
GENEROUS_S = 60.0
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ENDLESS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SORTED_CROSS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"


@pytest.fixture(scope="module")
def ref(built_store: Path) -> dict[str, int]:
    """Counts from the store opened in this process: what the executor must agree with."""
    with open_store(built_store) as store:
        return {"total": store.count(), "mol": store.count(MOL), "graphs": len(store.graphs())}


@pytest.fixture(scope="module")
def executor(built_store: Path):
    with QueryExecutor(built_store, timeout_s=GENEROUS_S) as ex:
        yield ex


@pytest.fixture
def fresh(built_store: Path):
    """An executor of its own, for tests that count its jobs."""
    with QueryExecutor(built_store, timeout_s=GENEROUS_S) as ex:
        yield ex


def count(ex: QueryExecutor, query: str = COUNT, **options) -> int:
    return int(ex.select(query, **options)[0]["n"].value)


def wait_until(condition, timeout: float = GENEROUS_S) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def nt(prefix: str, n: int) -> bytes:
    return b"".join(f'<{EX}s{i}> <{EX}p> "{prefix}-{i}" .\n'.encode() for i in range(n))


# --- results in every format ---------------------------------------------------------------


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/tab-separated-values", QueryResultsFormat.JSON])
def test_select_results_parse_back(executor: QueryExecutor, media_type) -> None:
    query = f"SELECT ?s ?label WHERE {{ GRAPH <{MOL}> {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }} }}"
    with executor.execute(query, result_format=media_type) as execution:
        assert execution.kind == "solutions" and execution.elapsed_ms > 0
        body = b"".join(execution)
    fmt = media_type if isinstance(media_type, QueryResultsFormat) else QueryResultsFormat.from_media_type(media_type)
    rows = list(pyoxigraph.parse_query_results(body, fmt))
    assert len(rows) == len(executor.select(query)) == 395  # 373 + two labels of each of the 11 budget matches
    assert {r["label"].language for r in rows} >= {"zh-hant"}


def test_csv_results(executor: QueryExecutor, ref: dict[str, int]) -> None:
    execution = executor.execute("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
                                 result_format="text/csv")
    assert execution.media_type == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(execution.read().decode())))
    assert {r["g"]: int(r["n"]) for r in rows}[MOL] == ref["mol"]


@pytest.mark.parametrize("fmt", [RdfFormat.TURTLE, RdfFormat.N_TRIPLES, RdfFormat.N_QUADS, RdfFormat.TRIG,
                                 RdfFormat.RDF_XML, RdfFormat.JSON_LD, RdfFormat.N3])
def test_graph_results_parse_back(executor: QueryExecutor, ref: dict[str, int], fmt: RdfFormat) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{MOL}> {{ ?s ?p ?o }} }}"
    execution = executor.execute(query, result_format=fmt.media_type)
    assert execution.kind == "graph"
    triples = list(pyoxigraph.parse(execution.read(), fmt))
    assert len(triples) == ref["mol"]


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
def test_ask_in_every_results_format(executor: QueryExecutor, media_type: str) -> None:
    execution = executor.execute("ASK { ?s ?p ?o }", result_format=media_type)
    assert execution.kind == "boolean" and b"true" in execution.read()
    assert executor.ask("ASK { ?s ?p ?o }") is True
    assert executor.ask("ASK { ?s <http://example.org/none> ?o }") is False


def test_describe_and_construct_helpers(executor: QueryExecutor) -> None:
    data = executor.construct(f"DESCRIBE <{BASE}law/N0060033>", RdfFormat.N_TRIPLES)
    assert len(list(pyoxigraph.parse(data, RdfFormat.N_TRIPLES))) >= 2


def test_format_must_fit_the_form(executor: QueryExecutor) -> None:
    with pytest.raises(UnsupportedFormat):
        executor.execute("SELECT * { ?s ?p ?o }", result_format="text/turtle")
    with pytest.raises(UnsupportedFormat):
        executor.execute("CONSTRUCT WHERE { ?s ?p ?o }", result_format="text/csv")
    with pytest.raises(UnsupportedFormat):
        executor.execute("ASK {}", result_format="text/html")


# --- the dataset -----------------------------------------------------------------------------


def test_dataset_options(executor: QueryExecutor, ref: dict[str, int]) -> None:
    assert count(executor) == ref["total"]  # the union default graph (a multiset over the named graphs)
    assert count(executor, union_default_graph=False) == 0  # the store's own default graph is empty
    assert count(executor, default_graphs=[MOL]) == ref["mol"]
    assert count(executor, f"SELECT (COUNT(*) AS ?n) FROM <{MOL}> WHERE {{ ?s ?p ?o }}") == ref["mol"]
    named = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(executor, named) == ref["graphs"]
    assert count(executor, named, named_graphs=[MOL]) == 1
    with pytest.raises(QueryError, match="invalid graph IRI"):
        executor.select(COUNT, default_graphs=["not an IRI"])


def test_base_iri_and_prefixes_are_pyoxigraphs(executor: QueryExecutor) -> None:
    def iri(query: str, **options) -> str:
        return executor.select(query, **options)[0]["i"].value

    assert iri("SELECT (<x> AS ?i) {}", base_iri=EX + "sparql") == EX + "x"
    assert iri("BASE <http://other.org/> SELECT (<x> AS ?i) {}", base_iri=EX) == "http://other.org/x"  # the text wins
    assert iri("SELECT (ex:x AS ?i) {}", prefixes={"ex": EX}) == EX + "x"
    assert iri("PREFIX ex: <http://other.org/> SELECT (ex:x AS ?i) {}", prefixes={"ex": EX}) == "http://other.org/x"
    with pytest.raises(QueryError, match="invalid base IRI"):
        executor.select("SELECT * {}", base_iri="not an IRI")
    with pytest.raises(QuerySyntaxError, match="error at 1:25"):  # positions are in the text as given
        executor.select("SELECT * WHERE { ?s ?p }", base_iri=EX)


def test_syntax_error_has_a_position(executor: QueryExecutor, ref: dict[str, int]) -> None:
    with pytest.raises(QuerySyntaxError, match=r"1:\d+"):
        executor.execute("SELECT * WHERE { ?s ?p }", result_format="text/csv")
    assert count(executor) == ref["total"]


# --- federation ------------------------------------------------------------------------------


def test_service_outside_the_allowlist_is_refused_before_running(executor: QueryExecutor) -> None:
    before = executor.stats()
    for query in ("SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
                  "SELECT * { SERVICE ?x { ?s ?p ?o } }",
                  "PREFIX : <http://127.0.0.1:9/> SELECT * { SERVICE:x { ?s ?p ?o } }"):
        with pytest.raises(Refused):
            executor.execute(query, result_format="text/csv")
    assert executor.stats() == before


def test_an_allowlisted_service_runs_and_its_failure_is_query_failed(built_store: Path) -> None:
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with QueryExecutor(built_store, allowlist=[f"http://127.0.0.1:{port}/"]) as ex:
        with pytest.raises(QueryFailed):
            ex.select(f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}")
        assert ex.select(f"SELECT * {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}") == [{}]
        assert ex.stats()["stuck"] == 0 and ex.ask("ASK {}")  # an evaluation error harms nothing else


# --- time limits ---------------------------------------------------------------------------------

STUCK_SCRIPT = """
import os, sys, threading
from plankg.server.engine.executor import QueryExecutor, QueryTimeout

def stuck(what):
    print("stuck", what, flush=True)
    os._exit(0)  # what the server's worker does, once its other requests are done

ex = QueryExecutor(sys.argv[1], timeout_s=float(sys.argv[2]), read_write=sys.argv[3] == "rw", on_stuck=stuck)
op = sys.argv[4]
started = threading.Event()
def runaway():
    started.set()
    try:
        if sys.argv[3] == "rw":
            ex.update(op)
        else:
            ex.execute(op, result_format="text/csv")
        print("finished", flush=True)
    except QueryTimeout as e:
        print("timeout", e, flush=True)
thread = threading.Thread(target=runaway)
thread.start()
started.wait()
while ex.stats()["running"] == 0:
    pass
print("answered", ex.ask("ASK { ?s ?p ?o }"), flush=True)
thread.join()
threading.Event().wait()  # only on_stuck ends this process
"""


def run_stuck(store: Path, op: str, mode: str = "ro", limit_s: float = 1.0) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", STUCK_SCRIPT, str(store), str(limit_s), mode, op],
                          capture_output=True, text=True, timeout=GENEROUS_S)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.parametrize("query", [RUNAWAY, SORTED_CROSS])
def test_uncancellable_work_times_out_and_is_reported_stuck(built_store: Path, query: str) -> None:
    lines = run_stuck(built_store, query)
    assert lines[0] == "answered True"  # another query was served while it ran
    assert lines[1].startswith("timeout ") and "1 s" in lines[1]  # the request got its answer in time
    assert lines[2].startswith("stuck query ")  # and the process was told, so it could end the work
    assert len(lines) == 3


def test_deadline_while_streaming_cancels_the_job(fresh: QueryExecutor) -> None:
    execution = fresh.execute(ENDLESS, result_format="text/csv", timeout_s=2)
    assert execution.first
    with pytest.raises(QueryTimeout):
        for _ in execution.chunks():
            pass
    assert wait_until(lambda: fresh.stats()["running"] == 0)  # stopped at its next write
    assert fresh.stats()["stuck"] == 0 and count(fresh) > 0


def test_large_results_stream_in_bounded_chunks(executor: QueryExecutor) -> None:
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 200000"
    tracemalloc.start()
    try:
        execution = executor.execute(query, result_format="text/tab-separated-values")
        chunks, total, lines = 1, len(execution.first), execution.first.count(b"\n")
        assert 0 < len(execution.first) <= CHUNK_BYTES and not execution.complete
        for chunk in execution.chunks():
            assert 0 < len(chunk) <= CHUNK_BYTES
            chunks, total, lines = chunks + 1, total + len(chunk), lines + chunk.count(b"\n")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lines == 200_001 and chunks > 100
    assert peak < min(total // 10, 8 << 20), (peak, total)  # the result was never held whole


def test_closing_early_cancels_the_job(fresh: QueryExecutor) -> None:
    execution = fresh.execute(ENDLESS, result_format="text/csv")
    next(iter(execution.chunks()))
    execution.close()
    assert wait_until(lambda: fresh.stats()["running"] == 0)
    gen = iter(fresh.execute(ENDLESS, result_format="text/csv"))
    next(gen)
    gen.close()  # a generator closed by the WSGI server
    assert wait_until(lambda: fresh.stats()["running"] == 0) and fresh.stats()["stuck"] == 0


def test_a_dropped_execution_is_cancelled(fresh: QueryExecutor) -> None:
    execution = fresh.execute(ENDLESS, result_format="text/csv")
    del execution
    gc.collect()
    assert wait_until(lambda: fresh.stats()["running"] == 0)
    assert count(fresh) > 0


def test_small_results_come_whole(executor: QueryExecutor) -> None:
    execution = executor.execute("ASK {}", result_format="application/sparql-results+json")
    assert execution.complete and execution.first == b'{"head":{},"boolean":true}'
    assert list(execution.chunks()) == []


def test_engine_threads_are_reused(built_store: Path) -> None:
    with QueryExecutor(built_store) as ex:
        for _ in range(20):
            assert ex.ask("ASK {}")
        assert ex.stats()["threads"] == 1


def test_no_store_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no plankg store"):
        QueryExecutor(tmp_path / "missing")
    with pytest.raises(StoreError, match="no plankg store"):
        QueryExecutor(tmp_path / "missing", read_write=True)


# --- a re-published store ------------------------------------------------------------------------


@pytest.mark.parametrize("memory_max_quads", [0, 10_000], ids=["disk", "memory"])
def test_a_republished_store_is_picked_up(tmp_path: Path, memory_max_quads: int) -> None:
    path = tmp_path / "store"
    publish(path, [(EX + "g", nt("v1", 1000))])
    with QueryExecutor(path, memory_max_quads=memory_max_quads) as ex:
        assert ex._stores.current().in_memory is bool(memory_max_quads)
        running = ex.execute("SELECT ?o WHERE { ?s ?p ?o . ?a ?b ?c }", result_format="text/csv")
        assert b"v1-" in running.first
        assert ex.select(f"SELECT ?o {{ <{EX}s1> ?p ?o }}")[0]["o"].value == "v1-1"
        first = ex.build_id()
        second = publish(path, [(EX + "g", nt("v2", 1000))]).build_dir.name
        assert first != second and ex.build_id() == second
        cross = "SELECT ?o WHERE { ?s ?p ?o . ?a ?b ?c }"  # a million rows: both stay busy
        with ex.execute(cross, result_format="text/csv") as a, ex.execute(cross, result_format="text/csv") as b:
            assert b"v2-" in a.first and b"v2-" in b.first and b"v1-" not in a.first + b.first
        assert b"v1-" in next(running.chunks())  # a result in flight keeps its snapshot
        running.close()


def test_requests_answer_from_the_old_build_while_another_thread_opens_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "store"
    publish(path, [(EX + "g", nt("v1", 3))])
    with QueryExecutor(path, memory_max_quads=10_000) as ex:
        publish(path, [(EX + "g", nt("v2", 3))])
        stores = ex._stores
        assert stores._lock.acquire(timeout=GENEROUS_S)  # as a request thread opening the new build
        try:
            assert ex.select(f"SELECT ?o {{ <{EX}s1> ?p ?o }}")[0]["o"].value == "v1-1"
        finally:
            stores._lock.release()
        assert ex.select(f"SELECT ?o {{ <{EX}s1> ?p ?o }}")[0]["o"].value == "v2-1"


# --- read-write ------------------------------------------------------------------------------------


@pytest.fixture
def writable(tmp_path: Path):
    path = tmp_path / "store"
    publish(path, [(EX + "g", nt("v", 3))])
    with QueryExecutor(path, read_write=True, timeout_s=GENEROUS_S) as ex:
        yield ex


def test_dumps(executor: QueryExecutor, ref: dict[str, int]) -> None:
    assert len(list(pyoxigraph.parse(executor.dump_graph(MOL, "text/turtle"), RdfFormat.TURTLE))) == ref["mol"]
    quads = list(pyoxigraph.parse(executor.dump_graph(None, RdfFormat.N_QUADS), RdfFormat.N_QUADS))
    assert len(quads) == ref["total"] and {q.graph_name.value for q in quads} >= {MOL}


def test_read_only_refuses_writes(executor: QueryExecutor) -> None:
    with pytest.raises(ReadOnly):
        executor.update(f"INSERT DATA {{ <{EX}a> <{EX}b> 'c' }}")
    with pytest.raises(ReadOnly):
        executor.load(b"", "application/n-triples", EX + "g")
    with pytest.raises(ReadOnly):
        executor.clear(EX + "g")
    assert executor.graph_exists(MOL) and not executor.graph_exists(EX + "none")


def test_update_then_query_sees_it(writable: QueryExecutor) -> None:
    writable.update(f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}new> <{EX}p> 'added' }} }}")
    assert writable.select(f"SELECT ?o {{ <{EX}new> ?p ?o }}")[0]["o"].value == "added"
    with pytest.raises(QuerySyntaxError):
        writable.update("INSERT DATA { <a> }")
    with pytest.raises(Refused):
        writable.update(f"LOAD <{EX}data.ttl>")
    writable.update("INSERT DATA { <s> ex:p 'based' }", base_iri=EX, prefixes={"ex": EX})
    assert writable.select(f"SELECT ?o {{ <{EX}s> <{EX}p> ?o }}")[0]["o"].value == "based"


@pytest.mark.slow  # 200 updates, each flushed to disk (~65 ms)
def test_concurrent_updates_lose_nothing(writable: QueryExecutor) -> None:
    writable.update(f"INSERT DATA {{ <{EX}counter> <{EX}value> 0 }}")
    increment = (f"DELETE {{ <{EX}counter> <{EX}value> ?v }} INSERT {{ <{EX}counter> <{EX}value> ?n }} "
                 f"WHERE {{ <{EX}counter> <{EX}value> ?v BIND(?v + 1 AS ?n) }}")
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(50):
                writable.update(increment)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(GENEROUS_S)
    assert not errors
    values = writable.select(f"SELECT ?v {{ <{EX}counter> <{EX}value> ?v }}", union_default_graph=False)
    assert [int(r["v"].value) for r in values] == [200]


def test_graph_store_operations(writable: QueryExecutor) -> None:
    g2 = EX + "g2"
    assert not writable.graph_exists(g2)
    writable.load(nt("x", 5), RdfFormat.N_TRIPLES, g2)
    writable.load(io.BytesIO(nt("y", 5)), "application/n-triples", g2)  # a file is streamed
    assert writable.graph_exists(g2)
    assert len(list(pyoxigraph.parse(writable.dump_graph(g2, RdfFormat.N_TRIPLES), RdfFormat.N_TRIPLES))) == 10
    writable.load(nt("z", 2), "application/n-triples", g2, replace=True)
    assert count(writable, default_graphs=[g2]) == 2
    with pytest.raises(QuerySyntaxError):
        writable.load(b"<a> <b> .\n", "application/n-triples", g2, replace=True)
    assert count(writable, default_graphs=[g2]) == 2  # a failed replace changed nothing
    writable.load(b"", "application/n-triples", g2, replace=True)
    assert writable.graph_exists(g2) and count(writable, default_graphs=[g2]) == 0
    with pytest.raises(UnsupportedFormat):
        writable.load(b"", "application/n-quads", g2)
    assert writable.clear(g2) is True and writable.clear(g2) is False
    assert not writable.graph_exists(g2)
    writable.load(nt("d", 4), "text/turtle")  # the default graph
    assert count(writable, union_default_graph=False) == 4
    assert writable.clear(None) is True and count(writable, union_default_graph=False) == 0
    assert count(writable, default_graphs=[EX + "g"]) == 3  # other graphs untouched


def test_a_write_waiting_past_its_deadline_never_happens(writable: QueryExecutor) -> None:
    gate, entered = threading.Event(), threading.Event()

    class Slow(io.RawIOBase):  # an upload whose client stalls: its load holds the write lock
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            entered.set()
            gate.wait(GENEROUS_S)
            return 0

    holder = threading.Thread(target=lambda: writable.load(Slow(), "application/n-triples", EX + "slow"))
    holder.start()
    assert entered.wait(GENEROUS_S)
    with pytest.raises(QueryTimeout):
        writable.update(f"INSERT DATA {{ <{EX}late> <{EX}p> 'x' }}", timeout_s=0.5)
    gate.set()
    holder.join(GENEROUS_S)
    assert writable.wait_idle(GENEROUS_S)
    assert not writable.ask(f"ASK {{ <{EX}late> ?p ?o }}")
    writable.update(f"INSERT DATA {{ <{EX}after> <{EX}p> 'ok' }}")
    assert writable.ask(f"ASK {{ <{EX}after> ?p ?o }}")


def test_a_runaway_update_is_rolled_back_when_its_process_ends(tmp_path: Path) -> None:
    path = tmp_path / "store"
    publish(path, [(EX + "g", nt("v", 1000))])
    runaway = (f"INSERT {{ GRAPH <{EX}out> {{ ?a <{EX}q> ?x }} }} WHERE {{ GRAPH ?g1 {{ ?a ?b ?c }} "
               f"GRAPH ?g2 {{ ?d ?e ?f }} GRAPH ?g3 {{ ?g ?h ?x }} }}")
    lines = run_stuck(path, runaway, mode="rw", limit_s=2)
    assert lines[0] == "answered True" and lines[1].startswith("timeout ") and lines[2].startswith("stuck update ")
    with QueryExecutor(path, read_write=True) as ex:  # the ended process released the store
        assert count(ex) == 1000 and not ex.graph_exists(EX + "out")
        ex.update(f"INSERT DATA {{ <{EX}after> <{EX}p> 'ok' }}")
        assert count(ex) == 1001


def test_an_idle_engine_thread_that_finished_last_runs_the_next_job() -> None:
    threads = EngineThreads("test-engine")
    burst = threading.Barrier(4)

    def until_all_idle() -> None:
        while threads.idle < threads.started:  # a thread is idle once it has put itself back
            time.sleep(0.001)

    for _ in range(4):
        threads.submit(burst.wait)  # all four at once: four threads
    until_all_idle()
    ran_on: list[str] = []
    for _ in range(6):
        threads.submit(lambda: ran_on.append(threading.current_thread().name))
        until_all_idle()
    threads.stop()
    assert threads.started == 4
    assert len(set(ran_on)) == 1  # round-robin over the idle threads would use all four
