"""Candidate search for plan-to-plan alignment: each program's likely best matches among every
other organisation's programs, without scoring every pair.

Ranking each program against every program of every other plan (``combined-plans``) costs
P²·N·(N−1) pair scores for N plans of P programs: quadratic in the plans loaded (18 min of 28 at
1,000 plans, bench/RESULTS.md "Scale"). The search here is what text retrieval does instead: one
inverted index of all programs' character n-gram TF-IDF vectors (:mod:`.text`), each n-gram's
postings kept heaviest first (*impact order*); for a source, its ``terms`` heaviest n-grams are
looked up (and further ones, heaviest first, while fewer than ``rescored`` candidates are found: the
heaviest n-grams of a text are its rarest, which few others may share), and of each only the first
``per_term`` postings of other organisations are read.
Their products ``w_source · w_target`` are summed per target: a partial cosine, which orders the
candidates; the ``rescored`` best are then ranked exactly, by every method (:func:`.combine.rank`).

The cost per source is bounded by ``per_term`` postings per n-gram of the source and ``rescored``
exact scores, whatever the number of plans: linear in all. It is *approximate*: a target that shares none of the
source's heaviest n-grams, or sits past ``per_term`` in each of their postings, is not ranked. The
parameters are data (``plan:candidateTerms``, ``plan:candidatesPerTerm``, ``plan:candidatesRescored``
of ``<alignment-method/combined-plans>`` in alignment-methods.ttl); without them the ranking is
exact. What the approximation loses is measured against the exact ranking (recall of the top
``topK`` and the score lost) by bench/bench_scale.py ``--recall`` and tests/test_alignment_search.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from plankg.build.align.nodes import Node
from plankg.build.textsim import Vector

SLACK = 4  # postings kept per n-gram: this many times per_term (the rest is never read but past own ones)


@dataclass(frozen=True)
class SearchParameters:
    terms: int  # the source's heaviest n-grams looked up (more while fewer than rescored candidates are found)
    per_term: int  # postings of other organisations read per n-gram, heaviest first
    rescored: int  # candidates, best partial cosine first, ranked exactly


Read = tuple[str, int, float]
"""What a search read of one n-gram: the n-gram, and the last posting it read (the program's place
and weight), or place -1 when it read the postings to their end (:mod:`.searches`)."""


class ProgramIndex:
    """Every program of the plans loaded, in document order, with the organisation of each and
    the inverted index of their n-gram vectors (each n-gram's postings sorted when first read)."""

    def __init__(self, nodes: Sequence[Node], orgs: Sequence[str], vector: Callable[[Node], Vector],
                 params: SearchParameters):
        self.nodes = list(nodes)
        self.orgs = list(orgs)
        self.vector = vector
        self.params = params
        # each program's vector, and each n-gram's places: a posting's (−weight, place) is made when its
        # n-gram is looked up (made for all 2 million postings of 1,000 plans, and freed, they took a second)
        self._vectors = [vector(node) for node in self.nodes]
        self._raw: defaultdict[str, list[int]] = defaultdict(list)
        for i, v in enumerate(self._vectors):
            for gram in v:
                self._raw[gram].append(i)
        self._sorted: dict[str, list[tuple[float, int]]] = {}

    def postings(self, gram: str) -> list[tuple[float, int]]:
        """``gram``'s postings, (−weight, place), heaviest first, the first ``per_term`` × :data:`SLACK`."""
        found = self._sorted.get(gram)
        if found is None:
            vectors = self._vectors
            found = self._sorted[gram] = sorted([(-vectors[i][gram], i) for i in self._raw.get(gram, ())]
                                                )[:self.params.per_term * SLACK]
        return found

    def candidates(self, source: Node, org: str) -> list[Node]:
        """The programs of organisations other than ``org`` most like ``source`` by partial cosine,
        at most ``rescored``, in document order (the order ties are ranked in)."""
        return [self.nodes[i] for i in self.search(source, org)[0]]

    def search(self, source: Node, org: str) -> tuple[list[int], list[Read]]:
        """:meth:`candidates` as places, and what the search read of each n-gram it looked up."""
        p = self.params
        heaviest = sorted(self.vector(source).items(), key=lambda gw: (-gw[1], gw[0]))
        partial: dict[int, float] = {}
        looked: list[Read] = []
        for n, (gram, w) in enumerate(heaviest):
            if n >= p.terms and len(partial) >= p.rescored:
                break
            read, last = 0, (-1, 0.0)
            for neg, i in self.postings(gram):
                if self.orgs[i] == org:
                    continue
                partial[i] = partial.get(i, 0.0) - w * neg
                read += 1
                if read == p.per_term:
                    last = (i, -neg)
                    break
            looked.append((gram, *last))
        best = sorted(partial, key=lambda i: (-partial[i], i))[:p.rescored]
        return sorted(best), looked


__all__ = ["ProgramIndex", "SearchParameters", "SLACK", "Read"]
