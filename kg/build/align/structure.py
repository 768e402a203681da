"""Alignment method ``theme``: the level above each node shares a theme.

A strategy belongs to a goal and a program to a work plan; the goal's text and the work plan's
(its label and all its programs' texts) say what each is about as a whole. The score is the
cosine of their character 2–3-gram TF-IDF vectors (the IDF of :mod:`.text`). It separates two
programs with similar words under different work plans, e.g. 職業訓練 for the unemployed
(勞動力發展業務) from 職業安全 training (職業安全衛生業務).
"""

from __future__ import annotations

from plankg.build.align.methods import Corpus, PairwiseMethod
from plankg.build.align.nodes import Node
from plankg.build.textsim import Vector, cosine

NAME = "theme"


class ThemeMethod(PairwiseMethod):
    name = NAME

    def __init__(self, corpus: Corpus):
        self.tfidf = corpus.tfidf
        self._vectors: dict[str, Vector] = {}
        self._pairs: dict[tuple[str, str], float] = {}  # many line items share their appropriation's theme

    def _vector(self, text: str) -> Vector:
        if text not in self._vectors:
            self._vectors[text] = self.tfidf.vector(text)
        return self._vectors[text]

    def score(self, source: Node, target: Node) -> float:
        key = (source.theme, target.theme)
        if key not in self._pairs:
            self._pairs[key] = cosine(self._vector(source.theme), self._vector(target.theme))
        return self._pairs[key]

    def explain(self, source: Node, target: Node) -> str:
        return ""  # the score itself, in the combined evidence, is all there is to say


def method(corpus: Corpus) -> ThemeMethod:
    return ThemeMethod(corpus)
