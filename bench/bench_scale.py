#!/usr/bin/env python3
"""Scale benchmark (issue 18): build N synthetic plans with the shipped budgets and laws, for
several N in one run, and print time per stage, triples, triples/s, peak memory and growth ratios.

Not a test: it prints numbers and ratios, measured in one run on this machine.

    .venv/bin/python bench/bench_scale.py [--n 1 10 100] [--timeout 1800] [--seed 18]
    .venv/bin/python bench/bench_scale.py --profile 100     # cProfile of one build, top functions

For each N, bench/gen_plans.py writes N plans and a registry (the plans, the three shipped budget
documents, the law index) into a temporary folder, and a fresh child process runs the whole build
in-process (``pipeline.build(..., registry_file=...)``, as ``plankg build --registry FILE`` does)
into a fresh store, with ``PLANKG_CACHE_DIR=off`` so that the validation cache hides no work. The
child reports the build's own stage timings (``compiled.timings``, as bench/bench_build.py), the
number of triples of the content graphs, and its peak RSS (``ru_maxrss`` of itself and, separately,
of its children: SHACL's worker processes). Every child is bounded by ``--timeout`` seconds.

Growth ratio of a stage from N to 10N: time(10N) / time(N); near-linear is ≤ 12 (issue 18). The
fixed cost (vocabularies, the budgets and the law index, which every N loads) dominates small N,
so the ratios that tell are those of the plan stages and of the total minus that fixed part.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_plans  # noqa: E402
import scale_queries  # noqa: E402
import scale_recall  # noqa: E402

QUERY_BUDGET_S = 300  # per store: no further round of the example queries starts after this

STAGES = ("vocabularies", "parse", "link+map plans", "map+link budgets, laws", "alignment", "ntriples", "shacl",
          "dumps+meta", "load")
SHORT = {"vocabularies": "vocab", "link+map plans": "link+map", "map+link budgets, laws": "budg+laws",
         "alignment": "align", "dumps+meta": "dumps"}


def child(registry: str, store: str, reps: int, recall: bool) -> None:
    """Build the registry into the store, then time the example queries on it (``reps`` runs of
    each, embedded and on Oxigraph server, within QUERY_BUDGET_S each) and, if ``recall``, measure
    the alignment search against the exact ranking. Prints one JSON line as each part is done, so a
    run stopped at its time limit still reports the parts it finished."""
    from plankg.build.pipeline import build
    from plankg.namespaces import DEFAULT_BASE

    def report(**part) -> None:
        print(json.dumps(part), flush=True)

    t0 = time.perf_counter()
    compiled, _ = build(None, Path(store), DEFAULT_BASE, registry_file=registry)
    wall = time.perf_counter() - t0
    kib = 1 if sys.platform != "darwin" else 1 / 1024
    report(plans=len(compiled.plans), triples=sum(len(g) for g in compiled.graphs().values()),
           timings=compiled.timings, wall=wall, warnings=len(compiled.report.warnings),
           rss_self_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib / 1024,
           rss_children_mib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * kib / 1024)  # SHACL's workers
    if reps:
        plan = str(compiled.mapped[0].iri)
        report(queries={"embedded": scale_queries.embedded(store, plan, reps, QUERY_BUDGET_S)})
        report(queries={"oxigraph": scale_queries.oxigraph_server(store, plan, reps, QUERY_BUDGET_S)})
    if recall:
        report(recall=scale_recall.measure(compiled, DEFAULT_BASE))


def run(n: int, seed: int, timeout: float, reps: int = 0, recall: bool = False) -> dict | None:
    with tempfile.TemporaryDirectory(prefix=f"plankg-scale-{n}-") as tmp:
        registry = gen_plans.generate(n, Path(tmp) / "input", seed)
        env = {**os.environ, "PLANKG_CACHE_DIR": "off"}
        t0 = time.perf_counter()
        try:
            out = subprocess.run([sys.executable, __file__, "--child", str(registry), str(Path(tmp) / "store"),
                                  str(reps), "recall" if recall else ""],
                                 env=env, capture_output=True, text=True, timeout=timeout)
            stdout = out.stdout
            if out.returncode != 0:
                print(f"N={n}: failed ({out.returncode})\n{out.stderr[-3000:]}", flush=True)
        except subprocess.TimeoutExpired as e:
            print(f"N={n}: stopped after {timeout:.0f} s", flush=True)
            stdout = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        result: dict = {"queries": {}, "recall": None}
        for line in stdout.splitlines():
            if line.startswith("{"):
                part = json.loads(line)
                result["queries"].update(part.pop("queries", {}))
                result.update(part)
        if "timings" not in result:
            return None
        result["process"] = time.perf_counter() - t0
        result["n"] = n
        return result


def profile(n: int, seed: int, top: int = 40) -> None:
    import cProfile
    import pstats

    os.environ["PLANKG_CACHE_DIR"] = "off"
    from plankg.build.pipeline import build
    from plankg.namespaces import DEFAULT_BASE

    with tempfile.TemporaryDirectory(prefix=f"plankg-scale-prof-{n}-") as tmp:
        registry = gen_plans.generate(n, Path(tmp) / "input", seed)
        prof = cProfile.Profile()
        prof.enable()
        compiled, _ = build(None, Path(tmp) / "store", DEFAULT_BASE, registry_file=registry)
        prof.disable()
        print({k: round(v, 2) for k, v in compiled.timings.items()})
        pstats.Stats(prof).sort_stats("cumulative").print_stats(top)
        pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def table(results: list[dict]) -> None:
    def cell(r: dict, k: str) -> float:
        return r["timings"].get(k, 0.0)

    print("\nper stage, seconds (in-process timings of the build):")
    head = f"{'N':>5} {'plans':>5} {'triples':>10} " + "".join(f"{SHORT.get(k, k):>10}" for k in STAGES) \
        + f"{'total':>9} {'process':>9} {'triples/s':>10} {'RSS MiB':>8} {'SHACL RSS':>9}"
    print(head)
    for r in results:
        total = sum(r["timings"].values())
        print(f"{r['n']:>5} {r['plans']:>5} {r['triples']:>10,} " + "".join(f"{cell(r, k):>10.2f}" for k in STAGES)
              + f"{total:>9.1f} {r['process']:>9.1f} {r['triples'] / total:>10,.0f} {r['rss_self_mib']:>8.0f}"
              f" {r['rss_children_mib']:>9.0f}")
    print("\ngrowth ratios, time(10N) / time(N) (near-linear: at most 12); plans-only = total minus the N=1 run's"
          " fixed stages (vocab, budgets+laws):")
    by_n = {r["n"]: r for r in results}
    base = by_n.get(min(by_n)) if by_n else None
    fixed = ("vocabularies", "map+link budgets, laws")
    for n in sorted(by_n):
        if 10 * n not in by_n:
            continue
        a, b = by_n[n], by_n[10 * n]
        ratios = [cell(b, k) / cell(a, k) if cell(a, k) else float("nan") for k in STAGES]
        ta, tb = sum(a["timings"].values()), sum(b["timings"].values())
        fixed_base = sum(cell(base, k) for k in fixed)
        print(f"{n:>5}→{10 * n:<5} " + "".join(f"{SHORT.get(k, k)} {x:.1f}×  " for k, x in zip(STAGES, ratios))
              + f"total {tb / ta:.1f}×  plans-only {(tb - fixed_base) / max(ta - fixed_base, 1e-9):.1f}×  "
              f"triples {b['triples'] / a['triples']:.1f}×")


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "recall")
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per build (default 1800)")
    ap.add_argument("--profile", type=int, metavar="N", help="profile one build of N plans instead")
    ap.add_argument("--json", type=Path, help="also write every measurement (each query's median too) to this file")
    ap.add_argument("--reps", type=int, default=5, help="runs of each example query per store (0: none)")
    ap.add_argument("--recall", type=int, default=100, metavar="N",
                    help="measure the alignment search against the exact ranking up to N plans (default 100)")
    args = ap.parse_args()
    if args.profile:
        profile(args.profile, args.seed)
        return
    print(f"load before: {os.getloadavg()}", flush=True)
    results = []
    for n in args.n:
        r = run(n, args.seed, args.timeout, args.reps, n <= args.recall)
        if r is None:
            break
        print(f"N={n}: {r['plans']} plans, {r['triples']:,} triples, {r['process']:.1f} s, "
              f"{ {SHORT.get(k, k): round(v, 2) for k, v in r['timings'].items()} }, load {os.getloadavg()}",
              flush=True)
        results.append(r)
    table(results)
    query_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"load after: {os.getloadavg()}")


def query_table(results: list[dict]) -> None:
    print(f"\nexample queries over HTTP, ms (p50 / p99 over all runs; slowest query's median; limit "
          f"{scale_queries.LIMIT_S} s): plankg serve on the embedded store ('embedded'), Oxigraph server")
    for r in results:
        cells = []
        for where in ("embedded", "oxigraph"):
            q = r["queries"].get(where)
            if isinstance(q, dict):
                slowest = max(q["per_query"], key=q["per_query"].get)
                over = f"; over the limit: {', '.join(q['over_limit'])}" if q.get("over_limit") else ""
                cells.append(f"{where} {q['p50']:.1f} / {q['p99']:.1f} (slowest {slowest} {q['per_query'][slowest]:.0f}{over})")
            elif q:
                cells.append(f"{where}: {q}")
        print(f"N={r['n']:>5}: " + "; ".join(cells))
    for r in results:
        if r.get("recall") and r["recall"]["programs"]:
            a = r["recall"]
            print(f"N={r['n']:>5}: alignment search vs exact over {a['programs']} programs: recall@3 {a['recall']:.4f}, "
                  f"score share {a['share']:.4f}, same scores {a['same']:.3f}; search {a['search_s']:.1f} s, "
                  f"exact {a['exact_s']:.1f} s")


if __name__ == "__main__":
    main()
