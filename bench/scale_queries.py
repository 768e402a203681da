"""Query latency of the example queries on a built store, for bench/bench_scale.py, over HTTP as a
user sees it: ``plankg serve`` on the embedded store, and Oxigraph server (``oxigraph serve
--union-default-graph`` on a copy of the same RocksDB store), each with a per-query time limit.

Each example query (kg/queries; the per-plan ones for the build's first plan) is run once to warm
up and then ``reps`` times in turn (no further round after ``budget_s``, but one at least); a run
reads the whole JSON or N-Triples body. A query that hits the limit (``plankg serve``'s 503, or
Oxigraph's error) counts as the limit and is named. Reported: p50 and p99 over all runs, and each
query's median, in ms.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # sparql_servers: start_oxigraph
sys.path.insert(0, str(ROOT / "bench"))
from bench_backends import serve, stop_all  # noqa: E402
from sparql_servers import ServerError, Unavailable, start_oxigraph  # noqa: E402

LIMIT_S = 60  # each query's time limit on both servers
ACCEPT = {"SELECT": "application/sparql-results+json", "ASK": "application/sparql-results+json",
          "CONSTRUCT": "application/n-triples", "DESCRIBE": "application/n-triples"}


def texts(plan: str) -> dict[str, str]:
    from plankg.examples import examples

    return {e.name: e.for_plan(plan) if e.per_plan else e.query for e in examples()}


def timed(url: str, plan: str, reps: int, budget_s: float) -> dict:
    from plankg.sparql import query_form

    runs: dict[str, list[float]] = {}
    over: set[str] = set()
    started = time.perf_counter()
    for rep in range(reps + 1):
        if rep > 1 and time.perf_counter() - started > budget_s:
            break
        for name, text in texts(plan).items():
            request = urllib.request.Request(url, urllib.parse.urlencode({"query": text}).encode(), {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": ACCEPT.get((query_form(text) or "").upper(), ACCEPT["SELECT"])})
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=LIMIT_S + 30) as response:
                    response.read()
                took = time.perf_counter() - t0
            except urllib.error.HTTPError as e:  # the time limit (or a server's failure): counted at the limit
                e.read()
                over.add(f"{name} ({e.code})")
                took = max(LIMIT_S, time.perf_counter() - t0)
            if rep:  # the first round warms the caches up
                runs.setdefault(name, []).append(took)
    every = sorted(t for ts in runs.values() for t in ts)
    n = len(every)
    return {"p50": every[n // 2] * 1000, "p99": every[min(n - 1, int(n * 0.99))] * 1000, "runs": n,
            "over_limit": sorted(over), "per_query": {q: sorted(ts)[len(ts) // 2] * 1000 for q, ts in runs.items()}}


def embedded(store: str, plan: str, reps: int, budget_s: float = float("inf")) -> dict:
    """Through ``plankg serve`` (bench_backends.serve: 2 workers, the time limit LIMIT_S) on the embedded store."""
    with tempfile.TemporaryDirectory(prefix="plankg-scale-serve-") as tmp:
        procs: list = []
        try:
            url = serve(Path(store), {"PLANKG_QUERY_TIMEOUT_S": str(LIMIT_S)}, Path(tmp) / "server.log", procs)
            return timed(url, plan, reps, budget_s)
        finally:
            stop_all(procs, [])


def oxigraph_server(store: str, plan: str, reps: int, budget_s: float = float("inf")) -> dict | str:
    """The same on Oxigraph server, or why it could not run."""
    with tempfile.TemporaryDirectory(prefix="plankg-scale-oxigraph-") as tmp:
        shutil.copytree(Path(store).resolve(), Path(tmp) / "oxigraph")
        try:
            endpoints, stop_oxigraph = start_oxigraph(Path(tmp), ("--union-default-graph", "--timeout-s", str(LIMIT_S)))
        except (Unavailable, ServerError) as e:
            return f"not run: {e}"
        try:
            return timed(endpoints.query_url, plan, reps, budget_s)
        finally:
            stop_oxigraph()
