#!/usr/bin/env python3
"""Benchmark the build stages, on the seed plan alone and on the whole bundled registry, and the
cold start of `plankg query`.

Not a test: it prints numbers and ratios, measured in one run on this machine.

    .venv/bin/python bench/bench_build.py [--runs 3]

Stages (median of --runs, in-process, after one warm-up): the build's own timings
(vocabularies, parse, mapping and linking, SHACL, dumps and metadata: N-Triples of every graph,
the dump files, VoID/DCAT; load: what is left of loading the fresh on-disk store after that, as
it loads beside them, and the atomic publish), for the seed plan alone and for every source of the
bundled registry (the plan, three budget documents, the law index). The whole `plankg build`
and a cold `plankg query` are timed as separate processes; their baseline is a bare Python
start-up that imports pyoxigraph (the least a query process must do), measured in the same run.
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
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    from plankg import resources
    from plankg.build.pipeline import build
    from plankg.namespaces import DEFAULT_BASE

    seed = [str(r) for r in resources.bundled_plans()]
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        tables = {}
        for name, paths in (("seed plan alone", seed), ("whole registry", None)):
            build(paths, store, DEFAULT_BASE)  # warm-up
            stages: dict[str, list[float]] = {}
            for _ in range(args.runs):
                compiled, _ = build(paths, store, DEFAULT_BASE)
                for k, v in compiled.timings.items():
                    stages.setdefault(k, []).append(v)
            tables[name] = ({k: statistics.median(v) for k, v in stages.items()},
                            sum(len(g) for g in compiled.graphs().values()))
        names = list(tables)
        keys = list(dict.fromkeys(k for stages, _ in tables.values() for k in stages))
        print(f"in-process build stages (median of {args.runs}), ms:")
        print(f"  {'stage':<26}" + "".join(f"{n:>18}" for n in names))
        for k in keys:
            print(f"  {k:<26}" + "".join(f"{tables[n][0].get(k, 0) * 1000:18.1f}" for n in names))
        print(f"  {'total':<26}" + "".join(f"{sum(tables[n][0].values()) * 1000:18.1f}" for n in names))
        print(f"  {'triples':<26}" + "".join(f"{tables[n][1]:18,}" for n in names))

        baseline = timed([sys.executable, "-c", "import pyoxigraph"], args.runs)
        plan_only = timed([str(PLANKG), "build", "--store", str(store), *seed], args.runs)
        whole = timed([str(PLANKG), "build", "--store", str(store)], args.runs)
        cold = timed([str(PLANKG), "query", "--store", str(store), QUERY], args.runs)
        print(f"process timings (median of {args.runs}):")
        print(f"  baseline python+pyoxigraph start     {baseline * 1000:8.1f} ms")
        print(f"  plankg build SEED (the plan alone)   {plan_only * 1000:8.1f} ms   target < 2000 ms")
        print(f"  plankg build (the whole registry)    {whole * 1000:8.1f} ms   target < 10000 ms")
        print(f"  plankg query (cold)                  {cold * 1000:8.1f} ms   target < 500 ms"
              f"   ratio to baseline {cold / baseline:.2f}x")


if __name__ == "__main__":
    main()
