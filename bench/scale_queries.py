"""Query latency of the example queries on a built store, for bench/bench_scale.py: on the
embedded store (plankg's own store interface, in this process) and on Oxigraph server (``oxigraph
serve --union-default-graph`` on a copy of the same RocksDB store, over HTTP).

Each example query (kg/queries; the per-plan ones for the build's first plan) is run once to warm
up and then ``reps`` times in turn (no further round after ``budget_s``, but one at least); a run
reads every solution (embedded) or the whole JSON or N-Triples body (server). Reported: p50 and p99 over all runs, and each query's median, in ms.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # sparql_servers: start_oxigraph
from sparql_servers import ServerError, Unavailable, start_oxigraph  # noqa: E402

ACCEPT = {"SELECT": "application/sparql-results+json", "ASK": "application/sparql-results+json",
          "CONSTRUCT": "application/n-triples", "DESCRIBE": "application/n-triples"}


def texts(plan: str) -> dict[str, str]:
    from plankg.examples import examples

    return {e.name: e.for_plan(plan) if e.per_plan else e.query for e in examples()}


def summary(runs: dict[str, list[float]]) -> dict:
    every = sorted(t for ts in runs.values() for t in ts)
    n = len(every)
    return {"p50": every[n // 2] * 1000, "p99": every[min(n - 1, int(n * 0.99))] * 1000, "runs": n,
            "per_query": {q: sorted(ts)[len(ts) // 2] * 1000 for q, ts in runs.items()}}


def embedded(store: str, plan: str, reps: int, budget_s: float = float("inf")) -> dict:
    from plankg.store import open_location

    st = open_location(store)
    runs: dict[str, list[float]] = {}
    started = time.perf_counter()
    for rep in range(reps + 1):
        if rep > 1 and time.perf_counter() - started > budget_s:
            break
        for name, text in texts(plan).items():
            t0 = time.perf_counter()
            result = st.query(text)
            for _ in result:
                pass
            if rep:  # the first round warms the caches up
                runs.setdefault(name, []).append(time.perf_counter() - t0)
    return summary(runs)


def oxigraph_server(store: str, plan: str, reps: int, budget_s: float = float("inf")) -> dict | str:
    """The same on Oxigraph server, or why it could not run."""
    from plankg.sparql import query_form

    with tempfile.TemporaryDirectory(prefix="plankg-scale-oxigraph-") as tmp:
        shutil.copytree(Path(store).resolve(), Path(tmp) / "oxigraph")
        try:
            endpoints, stop = start_oxigraph(Path(tmp), ("--union-default-graph",))
        except (Unavailable, ServerError) as e:
            return f"not run: {e}"
        try:
            runs: dict[str, list[float]] = {}
            started = time.perf_counter()
            for rep in range(reps + 1):
                if rep > 1 and time.perf_counter() - started > budget_s:
                    break
                for name, text in texts(plan).items():
                    body = urllib.parse.urlencode({"query": text}).encode()
                    request = urllib.request.Request(endpoints.query_url, body, {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": ACCEPT.get((query_form(text) or "").upper(), ACCEPT["SELECT"])})
                    t0 = time.perf_counter()
                    with urllib.request.urlopen(request, timeout=600) as response:
                        response.read()
                    if rep:
                        runs.setdefault(name, []).append(time.perf_counter() - t0)
            return summary(runs)
        finally:
            stop()
