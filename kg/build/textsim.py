"""Similarity of short Chinese texts: character 2–3-gram TF-IDF vectors and their cosine.

Written here rather than taken from scikit-learn (``TfidfVectorizer(analyzer="char")``) or
rank-bm25: both need numpy (scikit-learn also scipy: well over 100 MB installed), for what is a
few hundred short texts and some dictionary arithmetic (the seed plan against the MOL budget
takes 25–35 ms). The IDF and the normalisation are scikit-learn's defaults (``smooth_idf``, L2);
the rest differs:

* n-grams are taken inside runs of letters only (CJK ideographs, Latin letters): punctuation,
  digits and spaces split a text into runs, and no n-gram spans two runs;
* term frequency is sublinear, ``1 + ln(tf)`` (scikit-learn's ``sublinear_tf=True``), so that a
  long program text that repeats 勞工 does not outweigh a rarer shared phrase (on the gold set of
  docs/funding-gold.md raw counts gave precision 0.83 where this gives 0.90);
* ``idf = ln((1 + N) / (1 + df)) + 1`` over the documents of the corpus given;
* vectors are L2-normalised, so the cosine of two non-negative vectors lies in [0, 1].
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping

NGRAM_RANGE = (2, 3)
_RUN = re.compile(r"[^\W\d_]+")  # letters only: \w without digits and underscore

Vector = dict[str, float]


def runs(text: str) -> list[str]:
    """The runs of letters of ``text``, in order."""
    return _RUN.findall(text)


def ngrams(text: str, sizes: tuple[int, int] = NGRAM_RANGE) -> Counter[str]:
    """Counts of the character n-grams of ``text`` (n in ``sizes``, inclusive) within its runs."""
    lo, hi = sizes
    out: Counter[str] = Counter()
    for run in runs(text):
        for n in range(lo, hi + 1):
            out.update(run[i:i + n] for i in range(len(run) - n + 1))
    return out


class TfIdf:
    """IDF weights learnt from a corpus of texts; :meth:`vector` weighs any text with them."""

    def __init__(self, corpus: Iterable[str]):
        df: Counter[str] = Counter()
        n = 0
        for text in corpus:
            df.update(ngrams(text).keys())
            n += 1
        self._learn(n, df)

    @classmethod
    def of_counts(cls, n: int, df: Mapping[str, int]) -> "TfIdf":
        """The weights of a corpus of ``n`` documents whose n-grams' document frequencies are ``df``."""
        out = cls.__new__(cls)
        out._learn(n, df)
        return out

    def _learn(self, n: int, df: Mapping[str, int]) -> None:
        self.n = n
        self.idf = {g: math.log((1 + n) / (1 + d)) + 1 for g, d in df.items()}
        self._unseen = math.log(1 + n) + 1  # an n-gram of no corpus document (df = 0)

    def vector(self, text: str) -> Vector:
        weights = {g: (1 + math.log(tf)) * self.idf.get(g, self._unseen) for g, tf in ngrams(text).items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {g: w / norm for g, w in weights.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return min(1.0, sum(w * b[g] for g, w in a.items() if g in b))


def shared_fragments(text: str, other: Vector | set[str], sizes: tuple[int, int] = NGRAM_RANGE) -> list[str]:
    """The stretches of ``text`` made of overlapping n-grams that ``other`` also has, in order, each once.

    政策推展 is one fragment when 政策, 策推 and 推展 (or their 3-grams) are all shared; 加強 and
    工資 side by side stay two fragments unless 強工 is shared too.
    """
    lo, hi = sizes
    found: list[str] = []
    for run in runs(text):
        spans = sorted((i, i + n) for n in range(lo, hi + 1) for i in range(len(run) - n + 1)
                       if run[i:i + n] in other)
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start < merged[-1][1]:  # overlaps the last fragment by a character at least
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            if run[start:end] not in found:
                found.append(run[start:end])
    return found


__all__ = ["NGRAM_RANGE", "TfIdf", "Vector", "cosine", "ngrams", "runs", "shared_fragments"]
