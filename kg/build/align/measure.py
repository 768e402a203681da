"""How good the alignments are: figures against a gold set read from TSV (docs/alignment-gold.md).

Strategy gold (``strategy-gold.tsv``): per strategy its ``kind`` (``clear``: one program
obviously carries it; ``shared``: several do; ``none``: no program of the table does), the
acceptable ``programs``, and its ``split`` (``dev``: parameters were set on it; ``test``: held out,
only measured). Cross gold (``cross-gold.tsv``): per program, line items of other agencies that
do related work (``match``) and tempting ones that do not (``wrong``).

Figures, per split:

* ``p@1 clear`` / ``p@1 shared``: the share of strategies whose top-ranked program is acceptable;
* ``r@3``: the share of acceptable programs (of clear and shared strategies) ranked 1–3;
* ``carried precision`` / ``carried recall``: of the accepted pairs (``plan:carriedBy``), the share
  that are acceptable; of the acceptable pairs, the share accepted;
* ``none flagged``: the share of ``none`` strategies with no accepted program;
* ``cross p@1``: of the gold programs, the share whose top-ranked line item is a ``match``;
  ``cross r@k``: the share of ``match`` items ranked 1–topK; ``cross wrong in top k``: ``wrong``
  items ranked 1–topK; ``cross accepted``: accepted pairs (``plan:relatedWork``) of the gold
  programs; ``cross related precision`` / ``recall``: of those, the share that are a ``match`` (an
  unjudged one counts as wrong); of the ``match`` items, the share accepted.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from plankg.build.align import Inputs, cross_pairs, strategy_pairs
from plankg.build.align.methods import Parameters

SPLITS = ("dev", "test", "all")


@dataclass(frozen=True)
class StrategyGold:
    strategy: str
    kind: str  # clear, shared, none
    programs: frozenset[str]
    split: str


@dataclass(frozen=True)
class CrossGold:
    program: str
    matches: frozenset[str]
    wrong: frozenset[str]
    split: str


def read_strategy_gold(path: Path) -> list[StrategyGold]:
    with path.open(encoding="utf-8", newline="") as f:
        return [StrategyGold(r["strategy"], r["kind"], frozenset(r["programs"].split()), r["split"])
                for r in csv.DictReader(f, delimiter="\t")]


def read_cross_gold(path: Path) -> list[CrossGold]:
    by_program: dict[str, dict] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            entry = by_program.setdefault(r["program"], {"match": set(), "wrong": set(), "split": r["split"]})
            entry[r["relation"]].add(r["target"])
    return [CrossGold(p, frozenset(e["match"]), frozenset(e["wrong"]), e["split"]) for p, e in by_program.items()]


def figures(inp: Inputs, params: Parameters, strategies: list[StrategyGold],
            cross: list[CrossGold] | None = None) -> dict[str, dict[str, float]]:
    """split -> figure name -> value (see the module docstring); counts are in ``n …`` entries."""
    ranked: dict[str, list] = {}
    for _, plan in inp.plans:
        for pair in strategy_pairs(inp, plan, params):
            ranked.setdefault(pair.source.iri, []).append(pair)
    related: dict[str, list] = {}
    if cross:
        for _, plan in inp.plans:
            for pair in cross_pairs(inp, plan, params):
                related.setdefault(pair.source.iri, []).append(pair)
    out = {}
    for split in SPLITS:
        gold = [g for g in strategies if split in ("all", g.split)]
        out[split] = _strategy_figures(gold, ranked)
        if cross:
            out[split].update(_cross_figures([g for g in cross if split in ("all", g.split)], related))
    return out


def _share(hits: int, total: int) -> float:
    return round(hits / total, 3) if total else float("nan")


def _strategy_figures(gold: list[StrategyGold], ranked: dict[str, list]) -> dict[str, float]:
    f: dict[str, float] = {}
    for kind in ("clear", "shared"):
        items = [g for g in gold if g.kind == kind]
        hits = sum(1 for g in items if ranked.get(g.strategy) and ranked[g.strategy][0].target.iri in g.programs)
        f[f"p@1 {kind}"], f[f"n {kind}"] = _share(hits, len(items)), len(items)
    carried = [g for g in gold if g.kind != "none"]
    wanted = sum(len(g.programs) for g in carried)
    top3 = sum(len({p.target.iri for p in ranked.get(g.strategy, [])[:3]} & g.programs) for g in carried)
    f["r@3"] = _share(top3, wanted)
    accepted = {(g.strategy, p.target.iri) for g in gold for p in ranked.get(g.strategy, []) if p.accepted}
    good = {(g.strategy, p) for g in carried for p in g.programs}
    f["carried precision"] = _share(len(accepted & good), len(accepted))
    f["carried recall"] = _share(len(accepted & good), len(good))
    nones = [g for g in gold if g.kind == "none"]
    f["none flagged"] = _share(sum(1 for g in nones if not any(p.accepted for p in ranked.get(g.strategy, []))),
                               len(nones))
    f["n none"] = len(nones)
    return f


def _cross_figures(gold: list[CrossGold], related: dict[str, list]) -> dict[str, float]:
    hits = sum(1 for g in gold if related.get(g.program) and related[g.program][0].target.iri in g.matches)
    found = sum(len({p.target.iri for p in related.get(g.program, [])} & g.matches) for g in gold)
    wrong = sum(1 for g in gold for p in related.get(g.program, []) if p.target.iri in g.wrong)
    accepted = [(g, p) for g in gold for p in related.get(g.program, []) if p.accepted]
    right = sum(1 for g, p in accepted if p.target.iri in g.matches)
    return {"cross p@1": _share(hits, len(gold)), "cross r@k": _share(found, sum(len(g.matches) for g in gold)),
            "cross wrong in top k": wrong, "cross accepted": len(accepted),
            "cross related precision": _share(right, len(accepted)),
            "cross related recall": _share(right, sum(len(g.matches) for g in gold)), "n cross programs": len(gold)}


__all__ = ["figures", "read_strategy_gold", "read_cross_gold", "StrategyGold", "CrossGold", "SPLITS"]
