#!/usr/bin/env python3
"""Incremental rebuild benchmark (issue 18): build N synthetic plans, then rebuild with one more
plan, and print the time of each stage of both builds.

Not a test: it prints numbers, measured in one run on this machine.

    .venv/bin/python bench/bench_incremental.py [--n 100] [--seed 18] [--timeout 3600]

bench/gen_plans.py writes N + 1 plans (the first N are those it writes for N) with the shipped
budgets and law index, and two registries: the first N plans, and all N + 1. Each build runs in a
fresh child process (``pipeline.build(..., registry_file=...)``, what ``plankg build --registry``
runs) and reports the build's own stage timings (``compiled.timings``) and BUILD.json's ``load``
(which graphs were reused, reloaded, added):

1. **first**: the N plans into an empty store, with an empty validation cache (``PLANKG_CACHE_DIR``
   a fresh folder): everything is computed and loaded;
2. **incremental**: the N + 1 plans into the same store, with the cache the first build filled:
   what a rebuild after adding one plan costs;
3. **full, warm cache**: the N + 1 plans into a fresh store, with the same cache: the same work
   but the whole load, for comparison.

Alignment (kg/build/align) weighs by fixed reference statistics, so only the graphs of the new plan
and of plans whose candidates now include its programs change; it ranks again only those nodes,
taking every other ranking from the cache (plankg.build.align.memo). SHACL validates the changed
graphs and those pointing to what they changed, against the published build
(plankg.build.recheck); the store loads and the dumps compress only what changed. The table gives
alignment's share of the rebuild, and the time outside the stages (``process`` − ``total``:
starting Python and importing plankg; a child ends as ``plankg build`` does, without freeing the
build's objects, plankg.cli.entry), and ``digests``: the time the digests of the lines the build
read take (kept lines it did not read are not read for this).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_plans  # noqa: E402
from bench_scale import SHORT, STAGES  # noqa: E402


def child(registry: str, store: str) -> None:
    """Build the registry into the store; print one JSON line: timings, wall time, BUILD.json's load,
    and the time the graphs' digests take (part of dumps+meta)."""
    from plankg.build.ntriples import digest
    from plankg.build.pipeline import build
    from plankg.namespaces import DEFAULT_BASE

    t0 = time.perf_counter()
    compiled, result = build(None, Path(store), DEFAULT_BASE, registry_file=registry)
    wall = time.perf_counter() - t0
    gc.freeze()  # as `plankg build` leaves its objects to the OS at exit (plankg.cli.entry)
    t1 = time.perf_counter()
    for iri in compiled.lines:  # the lines the build read (kept ones it did not read stay unread)
        if compiled.lines.read(iri):
            digest(compiled.lines[iri])
    info = json.loads((result.build_dir / "BUILD.json").read_text(encoding="utf-8"))
    load = {k: v for k, v in info["metadata"]["load"].items() if k != "changed"}
    load["rechecked"] = (info["metadata"].get("validation") or {}).get("rechecked")  # None: every graph's context
    plans = {m.graph_iri for m in compiled.mapped}
    changed = info["metadata"]["load"].get("changed", [])
    kinds = {"alignment": [g for g in changed if "/graph/alignment/" in g], "plan": [g for g in changed if g in plans]}
    kinds["other"] = [g for g in changed if g not in kinds["alignment"] and g not in kinds["plan"]]
    print(json.dumps({"timings": compiled.timings, "wall": wall, "load": load, "digests_s": time.perf_counter() - t1,
                      "graphs": len(info["graphs"]), "triples": info["triples"],
                      "changed": {"alignment graphs": len(kinds["alignment"]), "plan graphs": kinds["plan"],
                                  "others": kinds["other"]}}))
    sys.stdout.flush()
    os._exit(0)  # as plankg.cli.entry ends a build: the heap left to the OS


def run(registry: Path, store: Path, cache: Path, timeout: float) -> dict:
    env = {**os.environ, "PLANKG_CACHE_DIR": str(cache)}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", str(registry), str(store)], env=env,
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"build of {registry} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - t0
    return result


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per build (default 3600)")
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"plankg-incremental-{args.n}-") as tmp:
        folder = Path(tmp)
        after = gen_plans.generate(args.n + 1, folder / "input", args.seed)
        text = after.read_text(encoding="utf-8")
        last = re.compile(rf'\[\[plan\]\]\nfile = "plans/{args.n + 1:04d}\.txt"[^\n]*\nvariant = "auto"\n\n')
        assert last.search(text), "bench/gen_plans.py's registry changed: update this script"
        before = folder / "input" / "registry-before.toml"
        before.write_text(last.sub("", text), encoding="utf-8")
        cache, store = folder / "cache", folder / "store"
        results = {}
        for name, registry, target in (("first", before, store), ("incremental", after, store),
                                       ("full, warm cache", after, folder / "fresh")):
            results[name] = r = run(registry, target, cache, args.timeout)
            print(f"{name}: {r['process']:.1f} s, load {r['load']}, {r['graphs']} graphs, {r['triples']:,} triples; "
                  f"loadavg {os.getloadavg()}", flush=True)
    table(args.n, results)
    print(f"load after: {os.getloadavg()}")


def table(n: int, results: dict) -> None:
    print(f"\nN={n}, then N+1: seconds per stage (the build's own timings)")
    print(f"{'build':<18}" + "".join(f"{SHORT.get(k, k):>10}" for k in STAGES) + f"{'total':>9}{'process':>9}"
          f"{'digests':>9}  load")
    for name, r in results.items():
        total = sum(r["timings"].values())
        print(f"{name:<18}" + "".join(f"{r['timings'].get(k, 0.0):>10.2f}" for k in STAGES)
              + f"{total:>9.1f}{r['process']:>9.1f}{r['digests_s']:>9.2f}  {r['load']}")
    inc = results["incremental"]
    total = sum(inc["timings"].values())
    print(f"\nincremental rebuild: alignment {inc['timings'].get('alignment', 0):.1f} s of {total:.1f} s "
          f"({100 * inc['timings'].get('alignment', 0) / total:.0f} %); graphs changed, added or removed: {inc['changed']}")


if __name__ == "__main__":
    main()
