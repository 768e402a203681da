"""Alignment method ``char-ngram``: what two texts say alike.

The cosine of character 2–3-gram TF-IDF vectors (:mod:`plankg.build.textsim`), the IDF that of the
reference corpus (:mod:`.statistics`: the bundled plan's strategies and programs, the shipped budgets'
line items), so a phrase common to every plan (推動, 辦理) weighs little and a rare one (就業媒合,
職災) much.
Evidence: the shared stretches of text, longest first.
"""

from __future__ import annotations

from collections.abc import Sequence

from plankg.build.align.methods import Corpus
from plankg.build.align.nodes import Node
from plankg.build.textsim import Vector, cosine, shared_fragments

NAME = "char-ngram"
EVIDENCE_FRAGMENTS = 4  # shared stretches named in the evidence
MIN_FRAGMENT = 2  # characters


class TextMethod:
    name = NAME

    def __init__(self, corpus: Corpus):
        self.tfidf = corpus.tfidf
        self._vectors: dict[str, Vector] = {}  # text -> its vector: nodes of one text share it (a program kept
        # from year to year; read-only)
        # the last target list scored, and its n-gram -> (i, weight): kept with the list itself, whose
        # identity keys it (an id() alone is reused by the next list once this one is freed)
        self._postings: tuple[Sequence[Node], dict[str, list[tuple[int, float]]]] | None = None

    def vector(self, node: Node) -> Vector:
        found = self._vectors.get(node.text)
        if found is None:
            found = self._vectors[node.text] = self.tfidf.vector(node.text)
        return found

    def score(self, source: Node, target: Node) -> float:
        return cosine(self.vector(source), self.vector(target))

    def scores(self, source: Node, targets: Sequence[Node]) -> list[float]:
        """The cosines with every target at once, through an inverted index of the targets' n-grams
        (built once per target list): the same sums as :meth:`score`, without the pairs that share nothing.
        A short list is scored directly, with the same additions in the same order (the source's
        n-grams in turn), so the same floats."""
        mine = self.vector(source).items()
        if self._postings is not None and self._postings[0] is targets:
            postings = self._postings[1]
        elif len(targets) * len(mine) <= sum(len(self.vector(t)) for t in targets):  # cheaper than an index
            return [min(1.0, sum((w * tv[g] for g, w in mine if g in tv), 0.0)) for tv in map(self.vector, targets)]
        else:
            postings = {}
            for i, t in enumerate(targets):
                for gram, w in self.vector(t).items():
                    postings.setdefault(gram, []).append((i, w))
            self._postings = (targets, postings)  # one list at a time: keep the memory of one
        out = [0.0] * len(targets)
        for gram, w in mine:
            for i, tw in postings.get(gram, ()):
                out[i] += w * tw
        return [min(1.0, v) for v in out]

    def explain(self, source: Node, target: Node) -> str:
        shared = sorted((f for f in shared_fragments(source.text, set(self.vector(target))) if len(f) >= MIN_FRAGMENT),
                        key=len, reverse=True)[:EVIDENCE_FRAGMENTS]
        return ("shared words: " + ", ".join(shared)) if shared else ""


def method(corpus: Corpus) -> TextMethod:
    return TextMethod(corpus)
