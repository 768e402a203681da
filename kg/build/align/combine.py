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

from plankg.build.align.methods import Method
from plankg.build.align.nodes import Node


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
    """The ``keep`` best targets of ``source`` (all with a positive score if fewer), best first."""
    columns = {m.name: m.scores(source, targets) for m in methods}
    rows = []
    for order, target in enumerate(targets):
        parts = {name: column[order] for name, column in columns.items()}
        total = sum(weights.get(name, 0.0) * value for name, value in parts.items())
        if total > 0:
            rows.append((-total, order, target, parts))
    rows.sort(key=lambda r: (r[0], r[1]))
    out = []
    for i, (neg, _, target, parts) in enumerate(rows[:keep], start=1):
        evidence = [why for m in methods if (why := m.explain(source, target))]
        detail = ", ".join(f"{name} {value:.2f}" for name, value in parts.items())
        out.append(Scored(source, target, round(-neg, 4), i, parts,
                          "; ".join(evidence + [f"combined {-neg:.4f} ({detail})"]), False))
    return out


def accept(ranked: list[Scored], threshold: float, secondary: float) -> list[Scored]:
    """``ranked`` with ``accepted`` set (see the module docstring)."""
    if not ranked or ranked[0].score < threshold:
        return ranked
    best = ranked[0].score
    return [Scored(r.source, r.target, r.score, r.rank, r.parts, r.evidence,
                   r.score >= threshold and r.score >= secondary * best) for r in ranked]


def scored_pairs(sources: Sequence[Node], targets: Sequence[Node], methods: list[Method], weights: dict[str, float],
                 keep: int, threshold: float, secondary: float) -> list[Scored]:
    out = []
    for source in sources:
        out.extend(accept(rank(source, targets, methods, weights, keep), threshold, secondary))
    return out


__all__ = ["Scored", "rank", "accept", "scored_pairs"]
