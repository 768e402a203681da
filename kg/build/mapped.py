"""A source mapped to RDF: one named graph, what it holds, and what the build should say about it."""
from __future__ import annotations
from dataclasses import dataclass, field
from rdflib import Graph

@dataclass(frozen=True)
class MappedGraph:
    graph_iri: str
    graph: Graph
    kind: str
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)
