#!/usr/bin/env python3
"""Reliability of `plankg serve` (issue 18): load, runaway queries and memory, each with its target.

    .venv/bin/python bench/bench_reliability.py [--backend embedded|oxigraph] [--seconds 60] [--clients 16]
        [--requests 10000] [--runaway-seconds 20] [--runaway-clients 4] [--simple-clients 4] [--runaway-limit-s 2]

The default registry is built (`plankg build`) on the backend: the embedded store, or an Oxigraph
server (tests/sparql_servers.py). `plankg serve --workers 2 --threads 16`, result cache off
(bench_backends.serve), runs on it with the default time limit (30 s) for memory and load, then
another with --runaway-limit-s for the runaway part; Oxigraph server's own `--timeout-s` is the
time limit of the plankg server in front of it (restarted between the two on the same data), as
docs/deploy.md advises: it goes on computing a query plankg gave up on, until its own limit.

  * memory - the 1,000,000-row CSV of tests/procstat.py (about 150 MB) is streamed once; each worker's
    resident set is read before (VmRSS) and its peak after (VmHWM, reset just before): the rise must
    stay under RSS_STREAM_MIB. Then --requests sequential requests on one client (point look-ups of
    plan nodes, bench_server's; half on one kept-alive connection, half on a new connection each),
    after as many again to warm up: the server's processes and threads must be as many after as
    before, and the workers' resident sets together may rise by at most RSS_SEQUENTIAL_MIB.
  * load - --clients keep-alive clients run the example queries (kg/queries/*.rq) for --seconds:
    no error (a non-200 or a broken connection; a request on a kept-alive connection the server
    closed as idle is sent once more, as RFC 9112 §9.3.1 allows, and counted apart); p50 and p99.
  * runaway - on the second server, --simple-clients run point look-ups for --runaway-seconds
    alone (the baseline), then as long again while --runaway-clients send queries that outlive the
    time limit (soak_server.RUNAWAY, ORDER BY over a product, and COUNT over a product: work
    pyoxigraph cannot stop, so the worker running it retires): the look-ups' p99 must stay under
    P99_RATIO times the baseline's, and none of them may fail.

A table in Markdown is printed; the exit status is 1 if a target is missed. Only 127.0.0.1 is
used; every server started here is stopped at the end. Not a test: timings are compared only with
a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_backends import Target, build, example_mix, serve, stop_all, store_env, summary
from bench_server import lookup_queries
from soak_server import CLIENT_TIMEOUT_S, RUNAWAY
from soak_server import client as soak_client
from procstat import MILLION, peak_growth, settled, snapshot, stream_peak  # tests/, on the path by bench_backends
from sparql_servers import start_oxigraph

MIB = 1 << 20
RSS_STREAM_MIB = 100  # a worker's resident set may rise at most this much while it streams 1,000,000 rows (150 MB)
RSS_SEQUENTIAL_MIB = 32  # the workers' resident sets together, after --requests sequential requests
P99_RATIO = 5.0  # the look-ups' p99 beside the runaways, against their p99 alone
COUNT_RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
NO_LIMIT = 10**9
DEFAULT_LIMIT_S = 30.0  # plankg's default QUERY_TIMEOUT_S: the first server's


class Report:
    """Rows of the results table: (item, measure, value, target, met)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, bool | None]] = []

    def add(self, item: str, measure: str, value: str, target: str = "", met: bool | None = None) -> None:
        self.rows.append((item, measure, value, target, met))
        print(f"{item}: {measure} = {value}" + (f" (target {target}: {'met' if met else 'MISSED'})" if target else ""),
              flush=True)

    def missed(self) -> list[str]:
        return [f"{item}: {measure}" for item, measure, _, _, met in self.rows if met is False]

    def table(self) -> str:
        lines = ["| item | measure | value | target | met |", "|---|---|---:|---|---|"]
        lines += [f"| {i} | {m} | {v} | {t} | {'' if ok is None else 'yes' if ok else '**no**'} |"
                  for i, m, v, t, ok in self.rows]
        return "\n".join(lines)


def start_backend(kind: str, tmp: Path, stops: list, timeout_s: float, build_it: bool = True) -> tuple[Path, dict[str, str]]:
    """Build the default registry on ``kind`` (or, ``build_it`` False, start Oxigraph server again on
    the build it holds, its ``--timeout-s`` ``timeout_s``): (the --store directory, the
    PLANKG_STORE_* variables)."""
    if kind == "embedded":
        if build_it:
            build(tmp / "store", {})
        return tmp / "store", {}
    (tmp / "oxigraph").mkdir(exist_ok=True)
    endpoints, stop = start_oxigraph(tmp / "oxigraph", ("--timeout-s", f"{timeout_s:g}"))
    stops.append(stop)
    env = store_env("oxigraph", endpoints)
    if build_it:
        build(tmp / "files", env)
    return tmp / "files", env


def memory(report: Report, target: Target, master: int, mix: list) -> None:
    """The 1,000,000-row stream, then --requests sequential requests."""
    target.run(mix, 2, 600, 4 * len(mix))  # both workers warm
    (status, rows, size), before, after = stream_peak(master, target.port, target.path)
    rise = peak_growth(before, after)
    report.add("memory", "1,000,000-row CSV: HTTP status, rows", f"{status}, {rows:,} ({size / MIB:.0f} MiB)",
               f"200, {MILLION:,}", status == 200 and rows == MILLION)
    report.add("memory", "worker RSS before the stream (MiB)", " / ".join(f"{v / MIB:.0f}" for v in before.rss.values()))
    report.add("memory", "worker RSS rise during the stream (peak - before, MiB)", f"{rise / MIB:.1f}",
               f"< {RSS_STREAM_MIB}", rise < RSS_STREAM_MIB * MIB)
    half, lookups = ARGS.requests // 2, look_ups()
    sequential = [(half, False), (ARGS.requests - half, True)]
    for n, fresh in sequential:  # warm-up: as many requests, the same way
        target.run(lookups, 1, 3600, n, fresh)
    time.sleep(0.5)  # the warm-up's last connection thread has ended
    first = snapshot(master)
    parts = [target.run(lookups, 1, 3600, n, fresh) for n, fresh in sequential]
    last = settled(master, first)
    done = summary(parts)
    errors, count = done["errors"], sum(len(p["lat"]) + p["errors"] for p in parts)
    report.add("memory", f"{count:,} sequential look-ups ({half:,} kept-alive, the rest a connection each): errors "
               "(sent again)", f"{errors} ({done['retried']})", "0", errors == 0)
    report.add("memory", "server processes before -> after", f"{first.processes} -> {last.processes}", "equal",
               first.processes == last.processes)
    report.add("memory", "server threads before -> after", f"{first.threads} -> {last.threads}", "no more",
               last.threads <= first.threads)
    grew = last.total_rss - first.total_rss
    report.add("memory", "workers' RSS before -> after (MiB)",
               f"{first.total_rss / MIB:.1f} -> {last.total_rss / MIB:.1f} ({grew / MIB:+.1f})",
               f"rise < {RSS_SEQUENTIAL_MIB}", grew < RSS_SEQUENTIAL_MIB * MIB)


def load(report: Report, target: Target, mix: list) -> None:
    part = target.run(mix, ARGS.clients, ARGS.seconds, NO_LIMIT)
    r = summary([part])
    report.add("load", f"{ARGS.clients} clients x {ARGS.seconds:g} s, example mix: requests, q/s",
               f"{len(part['lat']) + part['errors']:,}, {r['qps']:.0f}")
    report.add("load", "p50 / p99 (ms)", f"{r['p50']:.1f} / {r['p99']:.1f}")
    report.add("load", "errors (requests sent again on a new connection: RFC 9112 §9.3.1)",
               f"{r['errors']} ({r['retried']})" + (f"; first: {r['first'][:120]}" if r["errors"] else ""), "0",
               r["errors"] == 0)


def look_ups() -> list[tuple[str, str, str]]:
    """bench_server's point look-ups of plan nodes as (name, text, Accept)."""
    return [(f"lookup-{i}", text, accept) for i, (text, accept) in enumerate(lookup_queries())]


def runaway(report: Report, target: Target) -> None:
    """Look-ups alone, then beside the runaway clients (on the server with the short time limit)."""
    lookups = look_ups()
    alone = summary([target.run(lookups, ARGS.simple_clients, ARGS.runaway_seconds, NO_LIMIT)])
    counts: collections.Counter = collections.Counter()
    lock, stop = threading.Lock(), time.monotonic() + ARGS.runaway_seconds + 1
    queries = [(RUNAWAY, "text/csv"), (COUNT_RUNAWAY, "application/sparql-results+json")]
    threads = [threading.Thread(target=soak_client, args=(target.port, "runaway", queries[k % 2:] + queries[:k % 2],
                                                          stop, counts, lock), daemon=True)
               for k in range(ARGS.runaway_clients)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # the runaways are running
    part = target.run(lookups, ARGS.simple_clients, ARGS.runaway_seconds, NO_LIMIT)
    beside, slowest = summary([part]), sorted(part["lat"])[-3:]
    for t in threads:
        t.join(ARGS.runaway_seconds + CLIENT_TIMEOUT_S)
    ratio = beside["p99"] / alone["p99"]
    outcomes = ", ".join(f"{outcome} x{n}" for (_, outcome), n in sorted(counts.items()))
    report.add("runaway", f"{ARGS.simple_clients} look-up clients alone: q/s, p50 / p99 (ms)",
               f"{alone['qps']:.0f}, {alone['p50']:.2f} / {alone['p99']:.2f}")
    report.add("runaway", f"beside {ARGS.runaway_clients} runaway clients: q/s, p50 / p99 (ms)",
               f"{beside['qps']:.0f}, {beside['p50']:.2f} / {beside['p99']:.2f}; slowest "
               + ", ".join(f"{x * 1000:.0f}" for x in slowest))
    report.add("runaway", "runaway answers (time limit "
               f"{ARGS.runaway_limit_s:g} s)", outcomes or "none", "", None)
    report.add("runaway", "look-up p99 beside runaways / alone", f"{ratio:.2f}x", f"< {P99_RATIO:g}x", ratio < P99_RATIO)
    report.add("runaway", "look-up errors (alone, beside; sent again)",
               f"{alone['errors']}, {beside['errors']} ({alone['retried']}, {beside['retried']})"
               + (f"; first: {beside['first'][:120]}" if beside["errors"] else ""), "0, 0",
               alone["errors"] == beside["errors"] == 0)


def main() -> int:
    report, tmp = Report(), Path(tempfile.mkdtemp(prefix="plankg-bench-reliability-"))
    procs: list[subprocess.Popen] = []
    stops: list = []
    load_start = Path("/proc/loadavg").read_text().strip()
    try:
        store, env = start_backend(ARGS.backend, tmp, stops, DEFAULT_LIMIT_S)
        main_target = Target("plankg", serve(store, env, tmp / "serve.log", procs), [])
        master, mix = procs[-1].pid, example_mix()
        if "memory" in ARGS.items:
            memory(report, main_target, master, mix)
        if "load" in ARGS.items:
            load(report, main_target, mix)
        if "runaway" in ARGS.items:
            stop_all(procs, stops)  # then Oxigraph server again, its limit the runaway server's
            procs.clear()
            stops.clear()
            store, env = start_backend(ARGS.backend, tmp, stops, ARGS.runaway_limit_s, build_it=False)
            short = {**env, "PLANKG_QUERY_TIMEOUT_S": str(ARGS.runaway_limit_s)}
            runaway(report, Target("plankg-short", serve(store, short, tmp / "serve-runaway.log", procs), []))
    finally:
        stop_all(procs, stops)
    missed = report.missed()
    print(f"\nbackend: {ARGS.backend}; machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
          f"load average (1, 5, 15 min, /proc/loadavg) at start: {load_start}; at the end: "
          f"{Path('/proc/loadavg').read_text().strip()}\n")
    print(report.table())
    if missed:
        print(f"\ntargets missed: {'; '.join(missed)}; the servers' logs are kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if missed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=("embedded", "oxigraph"), default="embedded")
    ap.add_argument("--items", type=lambda v: v.split(","), default=["memory", "load", "runaway"],
                    help="which of memory,load,runaway to run (default: all)")
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the load run")
    ap.add_argument("--clients", type=int, default=16, help="clients of the load run")
    ap.add_argument("--requests", type=int, default=10_000, help="sequential requests (after as many to warm up)")
    ap.add_argument("--runaway-seconds", type=float, default=20.0, help="length of each half of the runaway run")
    ap.add_argument("--runaway-clients", type=int, default=4)
    ap.add_argument("--simple-clients", type=int, default=4, help="look-up clients of the runaway run")
    ap.add_argument("--runaway-limit-s", type=float, default=2.0, help="time limit of the runaway run's server")
    return ap.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()
    sys.exit(main())
