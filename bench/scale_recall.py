"""What plan-to-plan alignment's candidate search (plankg.build.align.search) keeps of the exact
ranking, for bench/bench_scale.py ``--recall``: both rankings of every program of a build, and
the share of the exact top three the search finds (recall), the mean ratio of the scores it
publishes to the exact ones per program (score share: 1 when it loses nothing or only ties) and the
share of programs whose three scores are the same. The exact ranking is quadratic in the plans: a
few minutes at 100 plans."""

from __future__ import annotations

import time


def measure(compiled, base: str) -> dict:
    from plankg.build.align import inputs, plan_pairs, program_index
    from plankg.build.align.methods import parameters

    budgets = [d for d in compiled.documents if type(d).__name__ == "BudgetDocument"]
    links = next((m.graph for m in compiled.others if m.graph_iri == base + "graph/links/budget"), None)
    inp = inputs([m.graph for m in compiled.mapped], budgets, links, compiled.vocab.union, base)
    params = parameters(compiled.vocab.union, base)

    def ranked(index) -> tuple[dict, float]:
        t0 = time.perf_counter()
        out: dict[str, list[tuple[str, float]]] = {}
        for _, plan in inp.plans:
            for s in plan_pairs(inp, plan, params, index):
                out.setdefault(s.source.iri, []).append((s.target.iri, s.score))
        return out, time.perf_counter() - t0

    t0 = time.perf_counter()
    index = program_index(inp, params)
    built = time.perf_counter() - t0
    approximate, searched = ranked(index)
    exact, scored = ranked(None)
    found = sum(len({t for t, _ in exact[s]} & {t for t, _ in approximate.get(s, [])}) for s in exact)
    shares = [sum(x for _, x in approximate.get(s, [])) / sum(x for _, x in exact[s]) for s in exact]
    return {"programs": len(exact), "recall": found / max(1, sum(len(v) for v in exact.values())),
            "share": sum(shares) / max(1, len(shares)),
            "same": sum(approximate.get(s) == exact[s] for s in exact) / max(1, len(exact)),
            "search_s": built + searched, "exact_s": scored}
