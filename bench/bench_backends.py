#!/usr/bin/env python3
"""The store backends side by side: the same query mix through `plankg serve` on each backend, and
directly against each SPARQL server, in one run, with ratios; and the build time per backend.

    .venv/bin/python bench/bench_backends.py [--rounds 3] [--seconds 4] [--slow-ms 2000]

Backends: the embedded store (RocksDB via pyoxigraph), Oxigraph server and Virtuoso, the servers
started on loopback by tests/sparql_servers.py (a backend whose server is not installed is left
out, with a line saying so). For each, `plankg build` of the default registry (the plan, the
budgets, the law index) is run once, its wall time measured and the `time:` line it prints kept
(validation cache off, PLANKG_CACHE_DIR=off, so no build reuses another's SHACL report).

Targets, every one asked the same query text, POSTed form-encoded (`query=`), keep-alive HTTP/1.1,
one http.client connection per client thread, Accept application/sparql-results+json (text/turtle
for a CONSTRUCT):
  * plankg-<backend> - `plankg serve [--store-url URL] --workers 2 --threads 16` with its result
    cache off (PLANKG_RESULT_CACHE_MIB=0) and no If-None-Match, so every request runs its query;
  * direct-<server>  - the server's own endpoint, with the dataset plankg sends it
    (kg/store/remote.py `_dataset`): `union-default-graph` to Oxigraph's /query, every published
    graph as `default-graph-uri` and `named-graph-uri` to Virtuoso's /sparql.

The mix is the named example queries (`plankg examples`). Each is first timed once (sequentially,
after one warm-up pass) on every target; one slower than --slow-ms on any target is left out of
the mix, and the table says which. Then for 1, 4 and 16 clients each target runs --rounds rounds
of --seconds (at most --max-requests requests a round; a request is cut at 60 s), the targets
taking turns round by round so a change in the machine's load hits them alike. Errors (non-200s,
broken connections) are counted, the first printed, the servers' logs then kept; a request on a
kept-alive connection the server had closed as idle is sent once more on a new one (RFC 9112
§9.3.1: a client may retry it) and counted as retried. Only 127.0.0.1 is used; every server
started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))  # sparql_servers: start_oxigraph, start_virtuoso
from sparql_servers import Unavailable, start_oxigraph, start_virtuoso  # noqa: E402

LEVELS = (1, 4, 16)
JSON, TURTLE = "application/sparql-results+json", "text/turtle"
FORM = "application/x-www-form-urlencoded"
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("PLANKG_")},
       "PLANKG_CACHE_DIR": "off", "PLANKG_RESULT_CACHE_MIB": "0"}


def store_env(kind: str, e) -> dict[str, str]:
    """The PLANKG_STORE_* variables pointing plankg at a server (as tests/backends.py)."""
    auth = {"PLANKG_STORE_USER": e.user, "PLANKG_STORE_PASSWORD": e.password or "", "PLANKG_STORE_AUTH": e.auth}
    return {"PLANKG_STORE_URL": e.query_url, "PLANKG_STORE_UPDATE_URL": e.update_url, "PLANKG_STORE_GSP_URL": e.gsp_url,
            "PLANKG_STORE_KIND": kind, **(auth if e.user else {})}


def build(store: Path, env: dict[str, str]) -> tuple[float, str]:
    """`plankg build` of the default registry: (wall seconds, its `time:` line)."""
    t0 = time.perf_counter()
    done = subprocess.run([str(BIN / "plankg"), "build", "--store", str(store)], env={**ENV, **env},
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"plankg build failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return wall, next((x.strip() for x in (done.stdout + done.stderr).splitlines() if x.strip().startswith("time:")), "")


def serve(store: Path, env: dict[str, str], log: Path, procs: list) -> str:
    """`plankg serve --workers 2 --threads 16` on a port gunicorn picks (read from its log): its /sparql URL."""
    with log.open("wb") as out:
        procs.append(proc := subprocess.Popen([str(BIN / "plankg"), "serve", "--store", str(store), "--host", "127.0.0.1",
                                 "--port", "0", "--workers", "2", "--threads", "16"], env={**ENV, **env},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if m := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace")):
            try:
                c = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=5)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return f"http://127.0.0.1:{m.group(1)}/sparql"
            except OSError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"plankg serve not healthy (exit code {proc.wait()}):\n{log.read_text()[-2000:]}")


def stop_all(procs: list[subprocess.Popen], stops: list) -> None:
    """Stop the `plankg serve` processes (gunicorn's master stops its workers; killed with them if it
    hangs), then the SPARQL servers (their stop functions)."""
    for p in procs:
        p.terminate()
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
    for stop in stops:
        stop()


class Target:
    """An endpoint (port, path) and the extra form parameters sent with every query."""

    def __init__(self, name: str, url: str, extra: list[tuple[str, str]]):
        parts = urllib.parse.urlsplit(url)
        self.name, self.port, self.path, self.extra = name, parts.port, parts.path, extra

    def run(self, queries, clients: int, seconds: float, max_requests: int, fresh: bool = False) -> dict:
        """``clients`` threads asking ``queries`` in turn for ``seconds`` or ``max_requests`` in all
        (``fresh``: a new connection for each request, as urllib and SPARQLWrapper make)."""
        reqs = [(urllib.parse.urlencode([("query", text), *self.extra]).encode(), accept) for _, text, accept in queries]
        latencies, errors, retried, first = [], [0], [0], []
        lock, stop, budget = threading.Lock(), time.monotonic() + seconds, [max_requests]

        def client(k: int) -> None:
            conn, i = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60), k
            while time.monotonic() < stop:
                with lock:
                    if budget[0] <= 0:
                        break
                    budget[0] -= 1
                body, accept = reqs[i % len(reqs)]
                i += 1
                t0 = time.perf_counter()
                for attempt in (1, 2):  # a second only on a kept-alive connection closed before its answer
                    reused = conn.sock is not None
                    try:
                        conn.request("POST", self.path, body, {"Accept": accept, "Content-Type": FORM})
                        resp = conn.getresponse()
                        data = resp.read()
                        err = None if resp.status == 200 else f"HTTP {resp.status}: {data[:200]!r}"
                        if fresh:
                            conn.close()  # the next request opens a new one
                    except (OSError, http.client.HTTPException) as e:
                        conn.close()
                        err = f"{type(e).__name__}: {e}"
                        if attempt == 1 and reused and isinstance(e, (BrokenPipeError, ConnectionResetError)):
                            with lock:  # the server closed it idle: RFC 9112 §9.3.1 lets a client retry
                                retried[0] += 1
                            continue
                    break
                dt = time.perf_counter() - t0
                with lock:
                    if err is None:
                        latencies.append(dt)
                    else:
                        errors[0] += 1
                        first[:1] = first[:1] or [f"{queries[(i - 1) % len(queries)][0]}: {err}"]
            conn.close()

        t0, threads = time.perf_counter(), [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {"lat": latencies, "wall": time.perf_counter() - t0, "errors": errors[0], "retried": retried[0],
                "first": first}


def example_mix() -> list[tuple[str, str, str]]:
    """The named example queries as (name, text, Accept)."""
    from plankg.examples import examples
    from plankg.sparql import query_form

    return [(e.name, e.query, TURTLE if (query_form(e.query) or "").upper() in ("CONSTRUCT", "DESCRIBE") else JSON)
            for e in examples()]


def summary(parts: list[dict]) -> dict:
    lat = sorted(x for p in parts for x in p["lat"])
    n, wall = len(lat), sum(p["wall"] for p in parts)
    return {"qps": n / wall if wall else 0.0, "errors": sum(p["errors"] for p in parts),
            "retried": sum(p.get("retried", 0) for p in parts),
            "p50": lat[n // 2] * 1000 if n else float("nan"), "p99": lat[min(n - 1, int(n * 0.99))] * 1000 if n else float("nan"),
            "first": next((p["first"][0] for p in parts if p["first"]), "")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4.0, help="length of one round of one level and target")
    ap.add_argument("--max-requests", type=int, default=20000)
    ap.add_argument("--slow-ms", type=float, default=2000, help="leave out of the mix a query slower than this once")
    args = ap.parse_args()
    from plankg.store.remote import read_control
    from plankg.store.remote_http import settings_from_env

    tmp, stops, procs, builds, targets, parts = Path(tempfile.mkdtemp(prefix="plankg-bench-backends-")), [], [], {}, [], {}
    loads = [("start", os.getloadavg())]
    try:
        builds["embedded"] = build(tmp / "embedded", {})
        targets.append(Target("plankg-embedded", serve(tmp / "embedded", {}, tmp / "serve-embedded.log", procs), []))
        for kind, start in (("oxigraph", start_oxigraph), ("virtuoso", start_virtuoso)):
            try:
                (tmp / kind).mkdir()
                endpoints, stop = start(tmp / kind)
            except Unavailable as e:
                print(f"{kind}: not available ({e}); left out")
                continue
            stops.append(stop)
            env = store_env(kind, endpoints)
            builds[kind] = build(tmp / f"files-{kind}", env)
            targets.append(Target(f"plankg-{kind}", serve(tmp / f"files-{kind}", env, tmp / f"serve-{kind}.log", procs), []))
            graphs = read_control(settings_from_env(endpoints.query_url, env))["graphs"]
            dataset = ([("union-default-graph", "")] if kind == "oxigraph" else
                       [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs])
            targets.append(Target(f"direct-{kind}", endpoints.query_url, dataset))
        loads.append(("after builds", os.getloadavg()))

        queries = example_mix()
        once, slow = {}, set()  # ms of each (target, query); the queries left out
        for t in targets:  # one warm-up pass, then each query timed once, the targets in turn
            t.run(queries, 1, 600, len(queries))
        for q in queries:
            for t in targets:
                r = t.run([q], 1, 600, 1)
                once[t.name, q[0]] = r["lat"][0] * 1000 if r["lat"] else float("nan")
                if r["errors"] or once[t.name, q[0]] > args.slow_ms:
                    slow.add(q[0])
                    print(f"{t.name} {q[0]}: {once[t.name, q[0]]:.0f} ms {r['first'][:1]}")
        kept = [q for q in queries if q[0] not in slow]

        for r in range(args.rounds):  # parts: (target, clients) -> its rounds
            for c in LEVELS:
                for t in (targets if r % 2 == 0 else targets[::-1]):
                    parts.setdefault((t.name, c), []).append(t.run(kept, c, args.seconds, args.max_requests))
            loads.append((f"after round {r + 1}", os.getloadavg()))
        res = {key: summary(p) for key, p in parts.items()}
    finally:
        stop_all(procs, stops)
        if any(p["errors"] for ps in parts.values() for p in ps):
            print(f"\na request failed: the servers' logs are kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    names = [t.name for t in targets]
    print(f"\nmachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; {args.rounds} rounds of "
          f"{args.seconds:g} s per level and target; load average (1, 5, 15 min): "
          + "; ".join(f"{w} {a:.2f} {b:.2f} {c:.2f}" for w, (a, b, c) in loads))
    print(f"mix: {len(kept)} of {len(queries)} example queries" +
          (f" (left out, slower than {args.slow_ms:g} ms once or failing: {', '.join(sorted(slow))})" if slow else ""))
    print("\n| backend | `plankg build` wall (s) | its `time:` line |\n|---|---:|---|")
    for kind, (wall, line) in builds.items():
        print(f"| {kind} | {wall:.1f} | {line.removeprefix('time:').strip()} |")
    print("\nEach query once (ms, after one warm-up pass):\n\n| query | " + " | ".join(names) + " |\n|---|"
          + "---:|" * len(names))
    for q in queries:
        print(f"| {q[0]}{' (left out)' if q[0] in slow else ''} | " + " | ".join(f"{once[n, q[0]]:.1f}" for n in names) + " |")
    print("\n| target | clients | q/s | p50 ms | p99 ms | errors | q/s vs plankg-embedded | p50 vs plankg-embedded "
          "| plankg over direct: q/s, p50 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in names:
        for c in LEVELS:
            r, base = res[n, c], res["plankg-embedded", c]
            pair = {"plankg-oxigraph": "direct-oxigraph", "plankg-virtuoso": "direct-virtuoso"}.get(n)
            over = (f"{r['qps'] / res[pair, c]['qps']:.2f}x, {r['p50'] / res[pair, c]['p50']:.2f}x"
                    if pair in names else "")
            print(f"| {n} | {c} | {r['qps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} | "
                  f"{r['qps'] / base['qps']:.2f}x | {r['p50'] / base['p50']:.2f}x | {over} |")
    for (n, c), r in res.items():
        if r["errors"]:
            print(f"{n} at {c} clients: {r['errors']} errors, first: {r['first']}")


if __name__ == "__main__":
    main()
