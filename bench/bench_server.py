#!/usr/bin/env python3
"""Throughput and latency of the SPARQL endpoint against two anchors, in one run on one store.

    .venv/bin/python bench/bench_server.py [--rounds 5] [--seconds 2] [--workers 2] [--threads 16]

Systems, all reading the same build of the bundled plans:
  * floor    - the same queries run in-process on pyoxigraph (query + JSON serialisation), on
               the store opened as plankg serve opens it;
  * plankg   - `plankg serve` (gunicorn with plankg's worker class, queries on engine threads);
  * plankg-nocache - the same with its result cache off (PLANKG_RESULT_CACHE_MIB=0): what the
               cache of repeated answers (server/caching.py) buys;
  * plankg-gthread - with --stock-worker: the same app under gunicorn's stock gthread worker
               (bench/stock_worker_app.py), result cache off: against plankg-nocache, the
               decision whether plankg's worker class pays;
  * bare-flask - with --ceiling: bench/bare_flask.py, Flask alone under the same gunicorn
               worker class, the ceiling of the stack;
  * bare-wsgi - with --ceiling: bench/bare_wsgi.py, a WSGI function without a framework under
               the same worker class: what gunicorn and WSGI cost by themselves;
  * oxigraph - Oxigraph server (`oxigraph serve-read-only`, the `oxigraph` package on PyPI),
               when it is installed (`pip install -e .[bench]`): the issue's anchor;
  * oxigraph-mem - Oxigraph server on an in-memory store (`oxigraph serve`, the same data
               POSTed to /store): the like-for-like anchor, since plankg serves a small store
               from a copy in memory (MEMORY_MAX_QUADS; PLANKG_MEMORY_MAX_QUADS=0 in the
               environment makes plankg, the ceilings and the floor read from disk instead).

The query mix is the example queries shipped with the UI (kg/queries/*.rq), each asked
for as SPARQL JSON results (SELECT, ASK) or Turtle (CONSTRUCT), as the issue that set the
targets defines it. A mix of point look-ups of plan nodes (small queries, where the cost per
request dominates) is measured too, at 4 clients. Each level of concurrency (1, 4, 16 clients; keep-alive HTTP/1.1
connections; GET with Accept: application/sparql-results+json) runs in --rounds rounds of
--seconds each (at most --max-requests requests), the systems taking turns round by round. Clients run in this process (threads), so the client costs the same
for every server. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))  # bench.bare_wsgi, when this file is run as a script
PLAN = "https://w3id.org/plankg/ontology#"
BASE = "https://w3id.org/plankg/id/"
LEVELS = (1, 4, 16)
SMALL = (f"SELECT ?l WHERE {{ <{BASE}mol/108/goal/1> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}",
         "application/sparql-results+json")


JSON_RESULTS, TURTLE = "application/sparql-results+json", "text/turtle"


def example_queries() -> list[tuple[str, str]]:
    """The example queries of the query page (`plankg examples`: kg/queries/*.rq), each with the
    media type it is asked for."""
    from plankg.examples import examples
    from plankg.sparql.guard import inspect_query

    texts = [e.query for e in examples()]
    return [(q, JSON_RESULTS if inspect_query(q).form in ("SELECT", "ASK") else TURTLE) for q in texts]


def lookup_queries() -> list[tuple[str, str]]:
    """Point look-ups of plan nodes: small queries, where the per-request cost dominates."""
    return [(f"SELECT ?p ?o WHERE {{ <{BASE}mol/108/goal/{g}> ?p ?o }}", JSON_RESULTS) for g in range(1, 9)]


def queries() -> list[tuple[str, str]]:
    """The default mix: the example queries, as the benchmark's issue defines it."""
    return example_queries()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, path: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} not ready after {timeout} s")


def load_into(port: int, store: Path) -> None:
    """POST the whole store as N-Quads to the Oxigraph server on ``port``."""
    import io

    from plankg.store import open_store
    from pyoxigraph import RdfFormat

    out = io.BytesIO()
    with open_store(store) as kg:
        kg.dump(out, RdfFormat.N_QUADS)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/store", out.getvalue(), {"Content-Type": "application/n-quads"})
    resp = conn.getresponse()
    resp.read()
    if resp.status not in (200, 201, 204):
        raise SystemExit(f"loading Oxigraph server on port {port}: HTTP {resp.status}")


def run_level(port: int, path: str, mix: list[tuple[str, str]], clients: int, seconds: float, max_requests: int) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    budget = [max_requests]

    requests = [(f"{path}?{urllib.parse.urlencode({'query': text})}", accept) for text, accept in mix]

    def client(k: int) -> None:  # as light as it can be: the URLs are encoded once, before
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = k
        while time.monotonic() < stop:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            url, accept = requests[i % len(requests)]
            i += 1
            t0 = time.perf_counter()
            try:
                conn.request("GET", url, headers={"Accept": accept})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (http.client.HTTPException, ConnectionError):  # a closed keep-alive connection
                conn.close()
                ok = False
            dt = time.perf_counter() - t0
            with lock:
                if ok:
                    latencies.append(dt)
                else:
                    errors[0] += 1
        conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return summary(latencies, wall, errors[0])


def summary(latencies: list[float], wall: float, errors: int = 0) -> dict:
    latencies.sort()
    n = len(latencies)
    return {"n": n, "wall": wall, "latencies": latencies, "qps": n / wall if wall else 0, "errors": errors,
            "p50": latencies[n // 2] * 1000 if n else float("nan"),
            "p99": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else float("nan")}


class Floor:
    """In-process pyoxigraph on the same store, opened as plankg serve opens it: one client
    running the queries back to back."""

    def __init__(self, store: Path):
        from bench.bare_wsgi import open_bench_store

        self.store = open_bench_store(store)

    def run(self, mix: list[tuple[str, str]], seconds: float, max_requests: int) -> dict:
        from bench.bare_wsgi import answer

        lat, stop, i = [], time.monotonic() + seconds, 0
        t0 = time.perf_counter()
        while time.monotonic() < stop and i < max_requests:
            t1 = time.perf_counter()
            text, accept = mix[i % len(mix)]
            answer(text, accept, self.store)
            lat.append(time.perf_counter() - t1)
            i += 1
        return summary(lat, time.perf_counter() - t0)


def per_round(a: list[dict], b: list[dict], compare) -> tuple[float, float, float]:
    """min, median and max of ``compare`` over rounds: each round's two measurements were
    taken minutes apart at most, so these pairs see the same machine."""
    values = sorted(compare(x, y) for x, y in zip(a, b))
    return values[0], values[len(values) // 2], values[-1]


def merged(parts: list[dict]) -> dict:
    """One summary of several rounds: all requests over all their time."""
    return summary([x for p in parts for x in p["latencies"]], sum(p["wall"] for p in parts),
                   sum(p["errors"] for p in parts))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0, help="length of one round of one level")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-requests", type=int, default=50000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--ceiling", action="store_true",
                    help="also serve bench/bare_flask.py (Flask alone, no plankg features) for comparison")
    ap.add_argument("--stock-worker", action="store_true",
                    help="also serve plankg's app under gunicorn's stock gthread worker (bench/stock_worker_app.py)")
    args = ap.parse_args()
    mix, lookups = queries(), lookup_queries()
    procs: list[subprocess.Popen] = []
    tmp = Path(tempfile.mkdtemp(prefix="plankg-bench-"))
    try:
        store = tmp / "store"
        subprocess.run([str(BIN / "plankg"), "build", "--store", str(store)], check=True, capture_output=True)
        build_dir = store.resolve()
        systems: dict[str, tuple[int, str]] = {}

        port = free_port()
        procs.append(subprocess.Popen([str(BIN / "plankg"), "serve", "--store", str(store), "--port", str(port),
                                       "--workers", str(args.workers), "--threads", str(args.threads)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        wait_ready(port, "/healthz", procs[-1])
        systems["plankg"] = (port, "/sparql")
        port = free_port()  # the same without its result cache (server/caching.py): what the cache buys
        procs.append(subprocess.Popen([str(BIN / "plankg"), "serve", "--store", str(store), "--port", str(port),
                                       "--workers", str(args.workers), "--threads", str(args.threads)],
                                      env={**os.environ, "PLANKG_RESULT_CACHE_MIB": "0"},
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        wait_ready(port, "/healthz", procs[-1])
        systems["plankg-nocache"] = (port, "/sparql")

        if args.stock_worker:  # the worker decision: plankg's app under gunicorn's own gthread worker
            port = free_port()
            procs.append(subprocess.Popen([str(BIN / "gunicorn"), "--chdir", str(ROOT), "-k", "gthread",
                                           "--workers", str(args.workers), "--threads", str(args.threads),
                                           "--bind", f"127.0.0.1:{port}", "bench.stock_worker_app:app"],
                                          env={**os.environ, "PLANKG_BENCH_STORE": str(store), "PLANKG_RESULT_CACHE_MIB": "0"},
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
            wait_ready(port, "/healthz", procs[-1])
            systems["plankg-gthread"] = (port, "/sparql")

        if args.ceiling:
            for name, module in (("bare-flask", "bench.bare_flask"), ("bare-wsgi", "bench.bare_wsgi")):
                port = free_port()
                procs.append(subprocess.Popen([str(BIN / "gunicorn"), "--chdir", str(ROOT), "-k",
                                               "plankg.server.serving.worker.PlankgWorker", "--workers", str(args.workers),
                                               "--threads", str(args.threads), "--bind", f"127.0.0.1:{port}",
                                               f"{module}:app"],
                                              env={**os.environ, "PLANKG_BENCH_STORE": str(build_dir)},
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                              start_new_session=True))
                wait_ready(port, "/sparql?query=ASK%7B%7D", procs[-1])
                systems[name] = (port, "/sparql")

        oxigraph = shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph")
        if oxigraph:
            port = free_port()
            procs.append(subprocess.Popen([oxigraph, "serve-read-only", "--location", str(build_dir),
                                           "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
            wait_ready(port, "/query?query=ASK%7B%7D", procs[-1])
            systems["oxigraph"] = (port, "/query")
            port = free_port()  # the like-for-like anchor: Oxigraph server on an in-memory store
            procs.append(subprocess.Popen([oxigraph, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
            wait_ready(port, "/query?query=ASK%7B%7D", procs[-1])
            load_into(port, store)
            systems["oxigraph-mem"] = (port, "/query")
        else:
            print("oxigraph server not installed: pip install -e .[bench]")

        floor = Floor(store)
        for name, (port, path) in systems.items():
            run_level(port, path, mix, 4, 1.0, 2000)  # warm-up
        # Rounds alternate between the systems, so a change in the machine's speed during the
        # run (other tenants, clock scaling) hits them alike.
        parts: dict[tuple[str, Any], list[dict]] = {}
        for r in range(args.rounds):
            order = list(systems.items()) if r % 2 == 0 else list(reversed(systems.items()))
            for c in LEVELS:
                if c == 1:
                    parts.setdefault(("floor", 1), []).append(floor.run(mix, args.seconds, args.max_requests))
                for name, (port, path) in order:
                    parts.setdefault((name, c), []).append(run_level(port, path, mix, c, args.seconds, args.max_requests))
            parts.setdefault(("floor", "small"), []).append(floor.run([SMALL], args.seconds, args.max_requests))
            for name, (port, path) in order:
                parts.setdefault((name, "small"), []).append(run_level(port, path, [SMALL], 1, args.seconds,
                                                                       args.max_requests))
                parts.setdefault((name, "lookups"), []).append(run_level(port, path, lookups, 4, args.seconds,
                                                                         args.max_requests))
        results = {key: merged(p) for key, p in parts.items()}
        fl_mix, fl_small = results.pop(("floor", 1)), results.pop(("floor", "small"))

        print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; mix of {len(mix)} queries; "
              f"{args.rounds} rounds of {args.seconds:g} s per level and system; plankg serve --workers {args.workers} --threads {args.threads}")
        print(f"{'system':<10}{'clients':>8}{'q/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
        print(f"{'floor':<10}{1:>8}{fl_mix['qps']:>10.0f}{fl_mix['p50']:>10.2f}{fl_mix['p99']:>10.2f}{0:>8}")
        for (name, c), r in results.items():
            if c in LEVELS:
                print(f"{name:<10}{c:>8}{r['qps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>8}")
        anchors = [a for a in ("oxigraph", "oxigraph-mem") if (a, 4) in results]
        for anchor in anchors:
            for name in [n for n in systems if n not in anchors]:
                for c in LEVELS:
                    ratio = results[(name, c)]["qps"] / results[(anchor, c)]["qps"]
                    paired = per_round(parts[(name, c)], parts[(anchor, c)], lambda a, b: a["qps"] / b["qps"])
                    print(f"ratio {name}/{anchor} throughput at {c:>2} clients: {ratio:.2f}x "
                          f"(per round: median {paired[1]:.2f}x, {paired[0]:.2f}-{paired[2]:.2f})")
            floor_ratio = fl_mix["qps"] / results[(anchor, 1)]["qps"]
            print(f"ratio floor/{anchor} throughput at  1 client:  {floor_ratio:.2f}x (pyoxigraph in-process, "
                  "no HTTP at all, against Oxigraph server over HTTP)")
            for name in ("plankg", "plankg-nocache"):
                pk, ox_ = results[(name, "lookups")], results[(anchor, "lookups")]
                paired = per_round(parts[(name, "lookups")], parts[(anchor, "lookups")], lambda a, b: a["qps"] / b["qps"])
                print(f"point look-ups only, 4 clients: {name} {pk['qps']:.0f} q/s, {anchor} {ox_['qps']:.0f} q/s, "
                      f"ratio {pk['qps'] / ox_['qps']:.2f}x (per round: median {paired[1]:.2f}x, "
                      f"{paired[0]:.2f}-{paired[2]:.2f})")
        small = results[("plankg", "small")]
        paired = per_round(parts[("plankg", "small")], parts[("floor", "small")], lambda a, b: a["p50"] - b["p50"])
        print(f"small query p50: in-process {fl_small['p50']:.3f} ms, plankg HTTP {small['p50']:.3f} ms, "
              f"overhead {small['p50'] - fl_small['p50']:.3f} ms "
              f"(per round: median {paired[1]:.3f}, {paired[0]:.3f}-{paired[2]:.3f})")
        for name in [n for n in systems if n != "plankg"]:
            print(f"small query p50 via {name}: {results[(name, 'small')]['p50']:.3f} ms")
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
