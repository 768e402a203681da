"""Alignment method ``shared-concepts``: the target groups and laws two nodes both name.

The linker gives each text its target groups and laws (:mod:`plankg.build.linker`). The score
is the IDF-weighted share of the source's concepts that the target also has: a concept that
many nodes name (勞工, 勞動基準法) counts for less than one few name (原住民, 職業災害勞工).
A source with no concepts scores 0 with every target: no evidence, not a mismatch.
Evidence: the shared concepts' names.
"""

from __future__ import annotations

from plankg.build.align.methods import Corpus, PairwiseMethod
from plankg.build.align.nodes import Node

NAME = "shared-concepts"


class ConceptMethod(PairwiseMethod):
    name = NAME

    def __init__(self, corpus: Corpus, names: dict[str, str] | None = None):
        self.corpus = corpus
        self._idf: dict[str, float] = {}
        self.names = names or {}

    def idf(self, concept: str) -> float:
        found = self._idf.get(concept)
        if found is None:
            found = self._idf[concept] = self.corpus.idf(self.corpus.statistics.concept(concept, self.corpus.base))
        return found

    def score(self, source: Node, target: Node) -> float:
        shared = source.concepts & target.concepts
        if not shared:
            return 0.0
        return min(1.0, sum(self.idf(c) for c in shared) / sum(self.idf(c) for c in source.concepts))

    def explain(self, source: Node, target: Node) -> str:
        shared = source.concepts & target.concepts
        names = sorted(self.names.get(c, c.rsplit("/", 1)[-1]) for c in shared)
        return "shared target groups and laws: " + ", ".join(names) if names else ""


def method(corpus: Corpus) -> ConceptMethod:
    return ConceptMethod(corpus)
