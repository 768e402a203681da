"""The alignment methods: one interface, their parameters read from Turtle.

A method scores a (source, target) pair of :class:`~plankg.build.align.nodes.Node` in [0, 1] and,
for the pairs kept, says why (a short evidence phrase). Each is a module (:mod:`.text`, :mod:`.concepts`,
:mod:`.structure`); :mod:`.combine` weighs them into the score that is published. Their IRIs,
names, definitions and parameters (weights, thresholds) are data: ``ontology/vocab/alignment-methods.ttl``,
the concept scheme ``<alignment-method>``, read by :func:`parameters`. Adding a method is one
module with a ``NAME`` and a ``method(corpus)`` factory, one entry in :data:`MODULES`, and its
concept in that file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from rdflib import Graph, URIRef

from plankg.build.align.nodes import Node
from plankg.build.align.search import SearchParameters
from plankg.build.align.statistics import Statistics
from plankg.build.textsim import TfIdf
from plankg.namespaces import PLAN

SCHEME = "alignment-method"
MODULES = ("text", "concepts", "structure", "domain")  # the modules of plankg.build.align that are methods


class Method(Protocol):
    name: str  # the concept alignment-method/{name}

    def score(self, source: Node, target: Node) -> float:
        """The pair's score in [0, 1]."""

    def scores(self, source: Node, targets: Sequence[Node]) -> list[float]:
        """:meth:`score` of ``source`` with each of ``targets`` (a method may do it faster at once)."""

    def explain(self, source: Node, target: Node) -> str:
        """The evidence for the pair's score ("" when it has none); asked only of pairs kept."""


class Corpus:
    """Every node of the build that alignment sees, the vocabularies the methods read (with the id
    base), and the statistics they weigh by (:mod:`.statistics`): those given (the build gives the
    shipped reference statistics), else learnt from ``nodes``."""

    def __init__(self, nodes: Sequence[Node], vocabularies: Graph | None = None, base: str = "",
                 statistics: Statistics | None = None):
        self.nodes = nodes
        self.vocabularies = vocabularies
        self.base = base
        self._statistics = statistics

    @cached_property
    def statistics(self) -> Statistics:
        if self._statistics is not None:
            return self._statistics
        from plankg.build.align.domain import Tagger

        return Statistics.of(self.nodes, Tagger(self.vocabularies, self.base), self.base)

    @cached_property
    def tfidf(self) -> TfIdf:
        """Character 2–3-gram IDF (:mod:`plankg.build.textsim`) of the statistics' texts."""
        return TfIdf.of_counts(self.statistics.texts, self.statistics.ngram_df)

    def idf(self, df: int) -> float:
        """The IDF of a concept or domain ``df`` of the statistics' nodes have (scikit-learn's smoothing)."""
        return math.log((1 + max(1, self.statistics.nodes)) / (1 + df)) + 1


class PairwiseMethod:
    """A method that scores one pair at a time: :meth:`scores` from :meth:`score`."""

    def scores(self, source: Node, targets: Sequence[Node]) -> list[float]:
        return [self.score(source, t) for t in targets]


def methods(corpus: Corpus) -> list[Method]:
    """One instance of each method of :data:`MODULES`, prepared on ``corpus``."""
    from importlib import import_module

    return [import_module(f"plankg.build.align.{m}").method(corpus) for m in MODULES]


@dataclass(frozen=True)
class Parameters:
    """What ``alignment-methods.ttl`` says of the methods: the weight of each in the combined
    scores and the thresholds above which a pair is accepted."""

    weights: dict[str, float]  # method name -> weight in the combined score (strategy to program)
    threshold: float  # lowest combined score of a strategy's best program that is accepted
    secondary: float  # a further program is accepted at this share of the best score or above
    cross_weights: dict[str, float]  # method name -> weight in the cross-agency score
    cross_threshold: float  # lowest cross-agency score accepted (inf: none is)
    cross_top: int  # line items kept per program
    cross_excluded: tuple[str, ...] = ()  # regular expressions: line items that are never candidates
    cross_secondary: float = 1.0  # a further item is accepted at this share of the best score (1: ties)
    plans_threshold: float = float("inf")  # lowest program-to-program score accepted (inf: none is)
    plans_top: int = 3  # programs of other plans kept per program
    plans_search: SearchParameters | None = None  # the candidate search of plan-to-plan ranking (None: exact)


def method_iri(base: str, name: str) -> URIRef:
    return URIRef(f"{base}{SCHEME}/{name}")


def parameters(vocabularies: Graph, base: str) -> Parameters:
    def values(name: str, prop: str) -> list:
        return list(vocabularies.objects(method_iri(base, name), URIRef(PLAN + prop)))

    def value(name: str, prop: str, default: float | None = None) -> float:
        found = values(name, prop)
        if not found and default is None:
            raise LookupError(f"alignment-methods.ttl: <{SCHEME}/{name}> has no plan:{prop}")
        return float(found[0]) if found else default

    return Parameters({m: value(m, "weightInCombined", 0.0) for m in _names()}, value("combined", "threshold"),
                      value("combined", "secondaryShare"),
                      {m: value(m, "weightInCrossCombined", 0.0) for m in _names()},
                      value("combined-cross", "threshold", float("inf")), int(value("combined-cross", "topK")),
                      tuple(sorted(str(v) for v in values("combined-cross", "excludedItemPattern"))),
                      value("combined-cross", "secondaryShare", 1.0),
                      value("combined-plans", "threshold", float("inf")), int(value("combined-plans", "topK", 3)),
                      _search(values("combined-plans", "candidateTerms"), values("combined-plans", "candidatesPerTerm"),
                              values("combined-plans", "candidatesRescored")))


def _search(terms: list, per_term: list, rescored: list) -> SearchParameters | None:
    """The candidate search's parameters, when all three are given (one each)."""
    if not (terms or per_term or rescored):
        return None
    if not (len(terms) == len(per_term) == len(rescored) == 1):
        raise LookupError(f"alignment-methods.ttl: <{SCHEME}/combined-plans> needs one each of plan:candidateTerms, "
                          f"plan:candidatesPerTerm and plan:candidatesRescored, or none")
    return SearchParameters(int(terms[0]), int(per_term[0]), int(rescored[0]))


def _names() -> list[str]:
    from importlib import import_module

    return [import_module(f"plankg.build.align.{m}").NAME for m in MODULES]


__all__ = ["Method", "PairwiseMethod", "Corpus", "Parameters", "methods", "parameters", "method_iri", "SCHEME", "MODULES"]
