"""Runaway queries leave the other clients served (issue 18, "Reliability"): expensive queries run on
engine threads of lower CPU priority, and workers with stuck work retire in turn, so one always
accepts connections (bench/bench_reliability.py measures what these buy: bench/RESULTS.md).

Before these, two workers that each ran a runaway retired at once, and for the seconds their
replacements took to start (copying the default build into memory) no request was answered.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from plankg.server.engine.timelimit import LOW_PRIORITY_NICE, lower_priority
from plankg.server.serving.peers import Peers
from server_support import start_server, stop, wait_for_workers

TIMEOUT_S = 2
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs far past any limit
_BOOTED = re.compile(r"Booting worker with pid: (\d+)")
_RETIRED = re.compile(r"worker (\d+) retired")
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="nice is a thread's own on Linux only")


def _ended_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_worker_may_retire_only_while_another_accepts() -> None:
    me, other = os.getpid(), os.getppid()
    peers = Peers(4)
    peers.accepting(me)
    assert not peers.may_retire(me), "nobody else accepts"
    peers.accepting(_ended_pid())
    assert not peers.may_retire(me), "an ended worker does not accept"
    peers.accepting(other)
    assert peers.may_retire(me)
    assert not peers.may_retire(other), "the one that went left the table: the other must wait"
    peers.accepting(me)  # its replacement (here: itself again) accepts
    assert peers.may_retire(other)


@linux_only
def test_lower_priority_lowers_the_calling_thread_only() -> None:
    def nice(tid: int) -> int:
        return os.getpriority(os.PRIO_PROCESS, tid)

    before, seen = nice(threading.get_native_id()), []
    thread = threading.Thread(target=lambda: seen.append((lower_priority(3), nice(threading.get_native_id()))))
    thread.start()
    thread.join()
    assert seen == [(True, min(19, before + 3))]
    assert nice(threading.get_native_id()) == before


@linux_only
def test_expensive_queries_run_on_low_priority_engine_threads(built_store: Path) -> None:
    from plankg.server.engine.executor import QueryExecutor

    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    with QueryExecutor(built_store, max_expensive=2) as ex:
        assert ex.select("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 1")
        assert ex.select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
        threads = {t.name.rsplit("-", 1)[0]: os.getpriority(os.PRIO_PROCESS, t.native_id)
                   for t in threading.enumerate() if t.name.startswith("plankg-engine")}
    assert threads == {"plankg-engine": base, "plankg-engine-low": min(19, base + LOW_PRIORITY_NICE)}


@pytest.mark.slow
def test_workers_with_runaways_retire_in_turn_so_one_always_accepts(built_store: Path, tmp_path: Path) -> None:
    """Two workers of one thread each (a busy one accepts no other connection), each running a
    runaway: the one that comes to retire second waits until another worker accepts."""
    server = start_server(built_store, tmp_path / "server.log", "--timeout-s", str(TIMEOUT_S),
                          "--workers", "2", "--threads", "1")
    try:
        wait_for_workers(server, 2)
        first = set(map(int, _BOOTED.findall(server.log())))
        statuses: list[int] = []
        clients = [threading.Thread(target=lambda: statuses.append(
            server.get("/sparql", {"query": RUNAWAY}, timeout=60)[0])) for _ in range(2)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(60)
        deadline = time.monotonic() + 60
        while len(set(_RETIRED.findall(server.log()))) < 2:
            assert time.monotonic() < deadline, f"two workers did not retire:\n{server.log()}"
            time.sleep(0.1)
        wait_for_workers(server, 2)
        log = server.log()
    finally:
        stop(server)
    assert statuses == [503, 503], log
    deferred = re.search(r"worker (\d+) defers retiring until another worker accepts", log)
    assert deferred, log
    second = int(deferred[1])
    assert second in first
    replacements = [m for m in _BOOTED.finditer(log) if int(m[1]) not in first]
    assert replacements, log
    assert replacements[0].start() < log.index(f"retiring worker {second}:"), \
        f"worker {second} retired before the first one's replacement started:\n{log}"
