#!/usr/bin/env python3
"""Benchmark the build stages on the seed and the cold start of `plankg query`.

Not a test: it prints numbers and ratios, measured in one run on this machine.

    .venv/bin/python bench/bench_build.py [--runs 5]

Stages (median of --runs, in-process, after one warm-up): vocabularies, parse, link+map, shacl,
load (serialise + atomic publish into a fresh on-disk store). The whole `plankg build` and a
cold `plankg query` are timed as separate processes; their baseline is a bare Python start-up
that imports pyoxigraph (the least a query process must do), measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLANKG = Path(sys.executable).with_name("plankg")
QUERY = "PREFIX plan: <https://w3id.org/plankg/ontology#> SELECT (COUNT(*) AS ?n) WHERE { ?p a plan:Program }"


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    from plankg.build.pipeline import build
    from plankg.namespaces import DEFAULT_BASE

    stages: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        build(None, store, DEFAULT_BASE)  # warm-up
        for _ in range(args.runs):
            compiled, _ = build(None, store, DEFAULT_BASE)
            for k, v in compiled.timings.items():
                stages.setdefault(k, []).append(v)
        print(f"in-process build stages on the seed (median of {args.runs}):")
        total = 0.0
        for k, v in stages.items():
            m = statistics.median(v)
            total += m
            print(f"  {k:<14}{m * 1000:8.1f} ms")
        print(f"  {'total':<14}{total * 1000:8.1f} ms")

        baseline = timed([sys.executable, "-c", "import pyoxigraph"], args.runs)
        whole = timed([str(PLANKG), "build", "--store", str(store)], args.runs)
        cold = timed([str(PLANKG), "query", "--store", str(store), QUERY], args.runs)
        print(f"process timings (median of {args.runs}):")
        print(f"  baseline python+pyoxigraph start {baseline * 1000:8.1f} ms")
        print(f"  plankg build (whole)             {whole * 1000:8.1f} ms   target < 2000 ms")
        print(f"  plankg query (cold)              {cold * 1000:8.1f} ms   target < 500 ms"
              f"   ratio to baseline {cold / baseline:.2f}x")


if __name__ == "__main__":
    main()
