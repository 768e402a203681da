"""Alignments as RDF: one ``plan:Alignment`` per scored pair kept, and the accepted ones as plain
``plan:carriedBy`` / ``plan:carries`` / ``plan:relatedWork`` triples (docs/data-model.md, "Alignments").

The plain triples go into the plan's own graph: their subjects are the plan's strategies and
programs, which that graph describes (and validates); the alignment graphs only point at them.

IRIs (B = base): ``{plan}/alignment/{n}`` for a plan's strategies and programs, in graph
``Bgraph/alignment/{org}/{roc}``; ``{plan}/cross-alignment/{n}`` for its programs and other
agencies' line items and ``{plan}/plan-alignment/{n}`` for them and other organisations' programs,
in graph ``Bgraph/links/alignment/{org}/{roc}``. n = 1, 2, … in the order source
(document order), rank: the same input gives the same IRIs.
"""

from __future__ import annotations

from decimal import Decimal

from plankg.build.align.combine import Scored
from plankg.build.align.methods import method_iri
from plankg.build.ntriples import decimal_literal, string_literal
from plankg.namespaces import PLAN


LABEL_CHARS = 24  # of each side's label in an alignment's own label
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
XSD = "http://www.w3.org/2001/XMLSchema#"


def add_alignments(out: list[str], plan: str, kind: str, pairs: list[Scored], base: str, method: str,
                   plain: list[tuple[str, str, str]], props: tuple[str, ...]) -> int:
    """Append ``pairs`` to ``out`` as the N-Triples lines of ``{plan}/{kind}/{n}``
    (:func:`plankg.build.ntriples.canonical` makes them Oxigraph's), and each accepted pair to
    ``plain`` (the triples for the plan's own graph, IRIs) as ``source props[0] target`` (and
    ``target props[1] source`` when given). Returns the number of accepted pairs."""
    accepted = 0
    how = f"<{method_iri(base, method)}>"
    for n, pair in enumerate(pairs, start=1):
        node = f"<{plan}/{kind}/{n}>"
        label_zh = string_literal(f"{_short(pair.source.label)} → {_short(pair.target.label)}（第 {pair.rank} 名）")
        label_en = string_literal(f"{pair.source.kind} → {pair.target.kind}, rank {pair.rank}: "
                                  f"{_short(pair.target.label)}")
        out += [f"{node} {RDF_TYPE} <{PLAN}Alignment> .\n",
                f"{node} {RDFS_LABEL} {label_zh}@zh-Hant .\n",
                f"{node} {RDFS_LABEL} {label_en}@en .\n",
                f"{node} <{PLAN}alignedFrom> <{pair.source.iri}> .\n",
                f"{node} <{PLAN}alignedTo> <{pair.target.iri}> .\n",
                f"{node} <{PLAN}score> {decimal_literal(Decimal(f'{pair.score:.4f}'))} .\n",
                f'{node} <{PLAN}rank> "{int(pair.rank)}"^^<{XSD}integer> .\n',
                f"{node} <{PLAN}method> {how} .\n",
                f"{node} <{PLAN}evidence> {string_literal(pair.evidence)} .\n"]
        if pair.accepted:
            out.append(f'{node} <{PLAN}accepted> "true"^^<{XSD}boolean> .\n')
            accepted += 1
            plain.append((pair.source.iri, PLAN + props[0], pair.target.iri))
            if len(props) > 1:
                plain.append((pair.target.iri, PLAN + props[1], pair.source.iri))
    return accepted


def _short(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


__all__ = ["add_alignments", "LABEL_CHARS"]
