"""The combined score: the methods' scores weighed, ranked per source, and the accepted pairs.

``combined = Σ weight(m) · score(m)`` over the methods of :mod:`.methods`, the weights from
``alignment-methods.ttl`` (hand-set on the development half of the gold set, see
docs/alignment-gold.md; the held-out half is only measured). For each source the targets are
ranked by combined score (ties: document order). A strategy's best program is accepted
(``plan:carriedBy``) when it scores at least the threshold; a further program when it also
scores at least ``secondaryShare`` of the best: several programs share a strategy, and
none is forced on a strategy that no program carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plankg.build.align.methods import Method, PairwiseMethod
from plankg.build.align.nodes import Node

if TYPE_CHECKING:  # pragma: no cover
    from plankg.build.align.memo import Memo


@dataclass(frozen=True)
class Scored:
    source: Node
    target: Node
    score: float
    rank: int
    parts: dict[str, float]  # method name -> its score
    evidence: str
    accepted: bool


def rank(source: Node, targets: Sequence[Node], methods: list[Method], weights: dict[str, float],
         keep: int) -> list[Scored]:
    """The ``keep`` best targets of ``source`` (all with a positive score if fewer), best first.

    A method of weight 0 adds nothing to the combined score, so a pairwise one is asked only for
    the pairs kept (their evidence names every method's score): the same result, without scoring
    every pair with it (cross-agency and plan-to-plan ranking score thousands of targets per
    source). The weighted scores are summed in method order, as ``sum`` over all parts would.
    """
    return rank_with(source, targets, methods, weights, keep)[0]


def rank_with(source: Node, targets: Sequence[Node], methods: list[Method], weights: dict[str, float], keep: int,
              known: dict[int, float] | None = None,
              details: dict[int, tuple[dict[str, float], str]] | None = None) -> tuple[list[Scored], list[float]]:
    """:func:`rank`, and every target's combined score. ``known``: the combined scores of some
    targets (by place), computed before for this source and these weights: only the others are
    scored. A method's score of a pair depends on the pair alone (:meth:`.methods.Method.scores`
    gives each target what :meth:`~.methods.Method.score` gives it), so the result is the same
    (tests/test_alignment_memo.py); the kept pairs' parts and evidence are then scored alone, or
    taken from ``details`` (by place: what an earlier ranking of this source kept of the target)."""
    known = known or {}
    details = details or {}
    todo = [i for i in range(len(targets)) if i not in known] if known else range(len(targets))
    scored = [targets[i] for i in todo] if known else targets
    columns = {m.name: None if not weights.get(m.name, 0.0) and isinstance(m, PairwiseMethod)
               else m.scores(source, scored) for m in methods}
    sums = [0.0] * len(scored)
    for name, column in columns.items():
        if column is not None and (w := weights.get(name, 0.0)):
            sums = [t + w * v for t, v in zip(sums, column)]
    if known:
        totals = [0.0] * len(targets)
        for i, total in known.items():
            totals[i] = total
        for i, total in zip(todo, sums):
            totals[i] = total
    else:
        totals = sums
    rows = [(-total, order) for order, total in enumerate(totals) if total > 0]
    rows.sort()
    best = rows[:keep]
    if known:  # the kept targets' parts, scored alone
        fresh = [(neg, order) for neg, order in best if order not in details]
        kept = [targets[order] for _, order in fresh]
        alone = {m.name: None if columns[m.name] is None else m.scores(source, kept) for m in methods}
        part = {order: j for j, (_, order) in enumerate(fresh)}
        columns = {name: None if column is None else {order: column[j] for order, j in part.items()}
                   for name, column in alone.items()}
    out = []
    for i, (neg, order) in enumerate(best, start=1):
        target = targets[order]
        if known and order in details:
            parts, why = details[order]
            out.append(Scored(source, target, round(-neg, 4), i, parts, why, False))
            continue
        parts = {m.name: m.score(source, target) if columns[m.name] is None else columns[m.name][order]
                 for m in methods}
        evidence = [why for m in methods if (why := m.explain(source, target))]
        detail = ", ".join(f"{name} {value:.2f}" for name, value in parts.items())
        out.append(Scored(source, target, round(-neg, 4), i, parts,
                          "; ".join(evidence + [f"combined {-neg:.4f} ({detail})"]), False))
    return out, totals


def accept(ranked: list[Scored], threshold: float, secondary: float) -> list[Scored]:
    """``ranked`` with ``accepted`` set (see the module docstring)."""
    if not ranked or ranked[0].score < threshold:
        return ranked
    best = ranked[0].score
    return [Scored(r.source, r.target, r.score, r.rank, r.parts, r.evidence,
                   r.score >= threshold and r.score >= secondary * best) for r in ranked]


def scored_pairs(sources: Sequence[Node], targets: Sequence[Node], methods: list[Method], weights: dict[str, float],
                 keep: int, threshold: float, secondary: float, memo: Memo | None = None) -> list[Scored]:
    """Each source's :func:`rank` of ``targets``, with :func:`accept`; the rankings ``memo`` keeps
    (:mod:`.memo`) are taken from it."""
    if memo is None or memo.folder is None or not sources:  # nothing kept: no digests to compute
        return [s for source in sources
                for s in accept(rank(source, targets, methods, weights, keep), threshold, secondary)]
    from plankg.build.align.memo import Targets

    known = Targets(targets)
    return [s for source in sources
            for s in accept(memo.ranked(source, known, weights, keep,
                                        lambda before, details: rank_with(source, targets, methods, weights, keep,
                                                                          before, details)),
                            threshold, secondary)]


__all__ = ["Scored", "rank", "rank_with", "accept", "scored_pairs"]
