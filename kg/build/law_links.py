"""Links from the line items of budget documents to the laws and target groups their texts name.

The budget's own graph (its rows, appropriations and line items) is mapped elsewhere
(``plankg.build.budget_rdf``); this module adds only the links, in a graph of their own,
``{base}graph/links/budget`` (kind ``links``), made by the same :class:`~plankg.build.linker.Linker`
as the plans' links, with the same evidence nodes (``<item>/link/{k}``,
:func:`plankg.build.rdf.add_links`): ``plan:citesLaw``, ``plan:reformsLaw`` (also stated as
``plan:citesLaw``), ``plan:legalBasis`` and ``plan:targetGroup``.
"""

from __future__ import annotations

from collections import Counter

from rdflib import Graph, URIRef

from plankg.build.budget_rdf import appropriation_iri, item_iri, walk  # the budget graph's IRIs
from plankg.build.linker import Linker
from plankg.build.mapped import MappedGraph
from plankg.build.rdf import add_links
from plankg.build.vocab import Vocabularies
from plankg.loaders.model import BudgetDocument
from plankg.namespaces import PLAN, PREFIXES, graph_iri

LINK_PROPERTIES = ("citesLaw", "reformsLaw", "legalBasis", "targetGroup")


def link_budget_items(docs: list[BudgetDocument], vocab: Vocabularies, linker: Linker) -> MappedGraph:
    """The links of every line item of ``docs`` (graph ``{vocab.base}graph/links/budget``).

    **Line item IRIs** (an assumption shared with the budget graph, ``plankg.build.budget_rdf``):
    the appropriation of a row is ``{base}budget/{roc}/{stage}/{code}`` (``roc`` the ROC year,
    ``doc.year - 1911``; ``stage`` ``proposed`` or ``enacted``; ``code`` the row's 10-character
    budget code), and a line item is ``{appropriation}/item/{ordinal path}``: the printed ordinals
    (``LineItem.ordinal``) from the top-level item down, joined by ``/``, e.g.
    ``budget/108/enacted/6330011500/item/1`` and ``.../item/3/2`` for sub-item ``(2)`` of ``3.``.
    Sibling ordinals are unique in the shipped budgets, so the path names one item.

    Only the item's own text (``LineItem.text``, without its sub-items) is linked; offsets count
    characters of that text. The note's preamble (text before item 1) is not a line item and is not
    linked. Two documents of the same year and stage would give the same IRIs: a warning says so.
    """
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    counts: Counter[str] = Counter()
    warnings: list[str] = []
    seen: dict[tuple[int, str], str] = {}
    for doc in docs:
        key = (doc.year, doc.stage)
        if key in seen:
            warnings.append(f"{doc.file}: a second {doc.stage} budget of {doc.year} (also {seen[key]}): "
                            "its line items have the same IRIs and their links are merged")
        seen[key] = doc.file
        for row in doc.rows:
            for path, item in walk(row.items):
                counts["items"] += 1
                matches = linker.matches(item.text)
                if matches:
                    counts["linked items"] += 1
                    counts["evidence"] += add_links(g, URIRef(item_iri(vocab.base, doc, row, path)), matches)
    for prop in LINK_PROPERTIES:
        counts[prop] = sum(1 for _ in g.triples((None, URIRef(PLAN + prop), None)))
    return MappedGraph(graph_iri(vocab.base, "links", "budget"), g, "links", dict(counts), warnings)


__all__ = ["link_budget_items", "appropriation_iri", "item_iri", "walk", "LINK_PROPERTIES"]
