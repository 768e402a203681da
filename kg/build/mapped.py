"""The result of mapping one source (a plan, a budget document, …) to RDF: one named graph.

Every mapping module returns a :class:`MappedGraph`, so the pipeline can validate, count and
publish graphs without knowing what they were made from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import rdflib


@dataclass(frozen=True)
class MappedGraph:
    """One named graph made from one source, with what the mapping counted and noticed.

    ``kind`` says what the source was (``"budget"``); ``counts`` are the mapping's own tallies, by
    name (e.g. ``{"appropriations": 1177, "line items": 2719, "line items unparsed": 13}``);
    ``warnings`` are findings that did not stop the mapping, each a sentence naming the source.
    """

    graph_iri: str
    graph: rdflib.Graph
    kind: str
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)


__all__ = ["MappedGraph"]
