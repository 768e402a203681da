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

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from plankg.build.align.combine import Scored
from plankg.build.align.methods import method_iri
from plankg.namespaces import PLAN


LABEL_CHARS = 24  # of each side's label in an alignment's own label


def P(name: str) -> URIRef:
    return URIRef(PLAN + name)


def add_alignments(g: Graph, plan: str, kind: str, pairs: list[Scored], base: str, method: str,
                   plain: Graph, props: tuple[str, ...]) -> int:
    """Add ``pairs`` to ``g`` as ``{plan}/{kind}/{n}``, and each accepted pair to ``plain`` as
    ``source props[0] target`` (and ``target props[1] source`` when given). Returns the number of
    accepted pairs."""
    accepted = 0
    for n, pair in enumerate(pairs, start=1):
        node = URIRef(f"{plan}/{kind}/{n}")
        g.add((node, RDF.type, P("Alignment")))
        g.add((node, RDFS.label, Literal(f"{_short(pair.source.label)} → {_short(pair.target.label)}"
                                         f"（第 {pair.rank} 名）", lang="zh-Hant")))
        g.add((node, RDFS.label, Literal(f"{pair.source.kind} → {pair.target.kind}, rank {pair.rank}: "
                                         f"{_short(pair.target.label)}", lang="en")))
        g.add((node, P("alignedFrom"), URIRef(pair.source.iri)))
        g.add((node, P("alignedTo"), URIRef(pair.target.iri)))
        g.add((node, P("score"), Literal(Decimal(f"{pair.score:.4f}"), datatype=XSD.decimal)))
        g.add((node, P("rank"), Literal(pair.rank, datatype=XSD.integer)))
        g.add((node, P("method"), method_iri(base, method)))
        g.add((node, P("evidence"), Literal(pair.evidence)))
        if pair.accepted:
            g.add((node, P("accepted"), Literal(True)))
            accepted += 1
            plain.add((URIRef(pair.source.iri), P(props[0]), URIRef(pair.target.iri)))
            if len(props) > 1:
                plain.add((URIRef(pair.target.iri), P(props[1]), URIRef(pair.source.iri)))
    return accepted


def _short(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


__all__ = ["add_alignments", "LABEL_CHARS"]
