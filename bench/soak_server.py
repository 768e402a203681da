#!/usr/bin/env python3
"""Soak `plankg serve` with well-behaved and hostile clients at once, and count what went wrong.

    .venv/bin/python bench/soak_server.py [--seconds 30] [--timeout-s 1] [--clients 8]

Keep-alive clients run the example queries and a point look-up back to back, and two more do
so on a new connection per request (as SPARQLWrapper and urllib do); two clients send a
runaway query (a cross product with ORDER BY: it outlives the time limit inside pyoxigraph, so
the worker that ran it retires and gunicorn starts a fresh one); one client asks for an export
larger than the 1 MiB a connection's thread keeps (it is run again on an engine thread and
streamed, and cut short when the limit comes). Only 127.0.0.1 is used; the run is bounded by
--seconds.

What a healthy server shows: every well-behaved request answered 200 (none lost when a worker
retires), every runaway answered 503, no client thread hung, and no traceback in the server's
log (a response cut short at the limit is one log line, not a bug). The exit status is 1 if
any of that fails. Not a timed test: it prints counts, not speeds.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bench_server import BIN, SMALL, example_queries, free_port, wait_ready

RUNAWAY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
EXPORT = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 30000"
CLIENT_TIMEOUT_S = 60.0


def client(port: int, kind: str, queries: list[tuple[str, str]], stop: float, counts: collections.Counter,
           lock: threading.Lock) -> None:
    conn, i = None, 0
    while time.monotonic() < stop:
        text, accept = queries[i % len(queries)]
        i += 1
        conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT_S)
        try:
            conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": text}), headers={"Accept": accept})
            resp = conn.getresponse()
            resp.read()
            outcome = str(resp.status)
            if kind == "fresh" or resp.getheader("connection", "").lower() == "close":
                conn.close()
                conn = None
        except (http.client.HTTPException, OSError) as e:
            outcome = type(e).__name__
            conn.close()
            conn = None
        with lock:
            counts[(kind, outcome)] += 1
    if conn is not None:
        conn.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--timeout-s", type=float, default=1.0, help="the server's QUERY_TIMEOUT_S")
    ap.add_argument("--clients", type=int, default=8, help="well-behaved keep-alive clients")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="plankg-soak-"))
    store, log_path = tmp / "store", tmp / "server.log"
    subprocess.run([str(BIN / "plankg"), "build", "--store", str(store)], check=True, capture_output=True)
    port = free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(BIN / "plankg"), "serve", "--store", str(store), "--port", str(port),
                                 "--workers", "2", "--timeout-s", str(args.timeout_s)],
                                stdout=log, stderr=log, start_new_session=True)
    try:
        wait_ready(port, "/healthz", proc)
        counts: collections.Counter = collections.Counter()
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds
        well_behaved = example_queries() + [SMALL]
        kinds = [("normal", well_behaved)] * args.clients + [("fresh", well_behaved)] * 2
        kinds += [("runaway", [(RUNAWAY, "text/csv")])] * 2 + [("export", [(EXPORT, "text/csv")])]
        threads = [threading.Thread(target=client, args=(port, kind, qs, stop, counts, lock), daemon=True)
                   for kind, qs in kinds]
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.seconds + CLIENT_TIMEOUT_S)
        hung = sum(t.is_alive() for t in threads)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    for (kind, outcome), n in sorted(counts.items()):
        print(f"{kind:<8} {outcome:<20} {n:>7}")
    tracebacks, retired = text.count("Traceback"), text.count("retired")
    print(f"client threads hung: {hung}; workers retired: {retired}; tracebacks in the server log: {tracebacks}")
    lost = sum(n for (kind, outcome), n in counts.items() if kind in ("normal", "fresh") and outcome != "200")
    wrong_runaway = sum(n for (kind, outcome), n in counts.items() if kind == "runaway" and outcome != "503")
    healthy = not (hung or tracebacks or lost or wrong_runaway)
    print("healthy" if healthy else f"NOT healthy: {lost} well-behaved requests lost, {wrong_runaway} runaways not 503")
    if healthy:
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    else:
        print(f"server log kept: {log_path}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
