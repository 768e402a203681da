"""Runaway queries leave the other clients served (issue 18, "Reliability"): expensive queries run on
engine threads of lower CPU priority (bench/bench_reliability.py measures what it buys: bench/RESULTS.md).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from plankg.server.engine.timelimit import LOW_PRIORITY_NICE, lower_priority

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="nice is a thread's own on Linux only")


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
