#!/usr/bin/env python3
"""What the seccomp filter of server/serving/sandbox.py costs per query, with and without it in one run.

    .venv/bin/python bench/bench_sandbox.py [--rounds 9] [--queries 2000]

In process: each round starts two children (their order alternating), which open the bundled
plans' store as `plankg serve` does (a copy in memory) in a QueryExecutor, warm up, install the
filter or not, then time ``--queries`` small queries (a point look-up, SPARQL JSON) on the
calling thread (the server's path: ``execute(overdue=…)``) and as many on engine threads
(hand-offs, so more system calls), and ``getppid()`` calls before and after the point where
the filter is installed (or not), for the filter's cost per system call.
Over HTTP: two `plankg serve --workers 1` on one store, one with the filter (no allowlist) and
one without (an allowlist that names a closed port), take turns round by round; one client
sends ``--queries`` look-ups on a kept-alive connection. Medians of the rounds are printed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
from bench.bench_server import SMALL, free_port, wait_ready  # noqa: E402

CHILD = r"""
import json, os, sys, time
from plankg.server.serving import sandbox
from plankg.server.engine.executor import QueryExecutor
store, forbid, n, query, fmt = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), sys.argv[4], sys.argv[5]
ex = QueryExecutor(store, memory_max_quads=250_000)
def inline():
    ex.execute(query, result_format=fmt, overdue=lambda: None).read()
def engine():
    ex.execute(query, result_format=fmt).read()
def syscall_ns():  # best of 5 x 200,000 getppid() calls
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(200_000):
            os.getppid()
        best = min(best, (time.perf_counter() - t) / 200_000 * 1e9)
    return best
for _ in range(300):
    inline(); engine()
out = {"getppid_before_ns": syscall_ns()}
if forbid:
    assert sandbox.forbid_network()
out["getppid_ns"] = syscall_ns()
for name, fn in (("inline", inline), ("engine", engine)):
    t = time.perf_counter()
    for _ in range(n):
        fn()
    out[name] = (time.perf_counter() - t) / n * 1e6
ex.close()
print(json.dumps(out))
"""


def in_process(store: Path, forbid: bool, n: int) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(store), "1" if forbid else "0", str(n), *SMALL],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def over_http(port: int, n: int) -> float:
    """µs per request, one client on a kept-alive connection."""
    path = "/sparql?" + urllib.parse.urlencode({"query": SMALL[0]})
    headers = {"Accept": SMALL[1]}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(100):
            conn.request("GET", path, headers=headers)
            conn.getresponse().read()
        t = time.perf_counter()
        for _ in range(n):
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200
        return (time.perf_counter() - t) / n * 1e6
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--queries", type=int, default=2000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="plankg-bench-sandbox-"))
    try:
        run(args, tmp / "store")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, store: Path) -> None:
    subprocess.run([str(BIN / "plankg"), "build", "--store", str(store)], check=True, capture_output=True)
    results: dict[str, dict[str, list[float]]] = {"off": {}, "on": {}}
    for r in range(args.rounds):
        for mode in (("off", "on") if r % 2 == 0 else ("on", "off")):
            for key, value in in_process(store, mode == "on", args.queries).items():
                results[mode].setdefault(key, []).append(value)
    procs = {}
    try:
        for mode in ("off", "on"):
            port = free_port()
            extra = ["--allow-federation", "http://127.0.0.1:9/"] if mode == "off" else []
            procs[mode] = (port, subprocess.Popen(
                [str(BIN / "plankg"), "serve", "--store", str(store), "--port", str(port), "--workers", "1", *extra],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
            wait_ready(port, "/healthz", procs[mode][1])
        for r in range(args.rounds):
            for mode in (("off", "on") if r % 2 == 0 else ("on", "off")):
                results[mode].setdefault("http", []).append(over_http(procs[mode][0], args.queries))
    finally:
        for _, proc in procs.values():
            proc.terminate()
            proc.wait(30)
    print(f"{args.rounds} rounds of {args.queries} look-ups each; medians (min-max)")
    print(f"{'':24} {'no filter':>20} {'filter':>20} {'ratio':>7}")
    labels = {"inline": "query, calling thread µs", "engine": "query, engine thread µs",
              "http": "HTTP request µs", "getppid_ns": "getppid() ns, best of 5"}
    for key, label in labels.items():
        off, on = results["off"][key], results["on"][key]
        cell = lambda v: f"{statistics.median(v):7.2f} ({min(v):.2f}-{max(v):.2f})"  # noqa: E731
        print(f"{label:24} {cell(off):>20} {cell(on):>20} {statistics.median(on) / statistics.median(off):6.3f}x")
    # In each child, getppid() before and after the point where the filter is (or is not) installed.
    step = {mode: [a - b for a, b in zip(results[mode]["getppid_ns"], results[mode]["getppid_before_ns"])]
            for mode in ("off", "on")}
    per_call = statistics.median(step["on"]) - statistics.median(step["off"])
    print(f"getppid() after minus before, per child: no filter {', '.join(f'{v:+.0f}' for v in step['off'])} ns; "
          f"filter {', '.join(f'{v:+.0f}' for v in step['on'])} ns")
    print(f"the filter's cost per system call: {per_call:.0f} ns (a query on the calling thread makes 1, on an "
          f"engine thread about 11, an HTTP request about 12 in the worker: strace -f)")


if __name__ == "__main__":
    main()
