"""Ranked pairs kept by content (issue 18): a rebuild ranks again only what it has not ranked before.

A ranking (:func:`.combine.rank`: a source's best targets, their scores and evidence) depends
on the source, the targets in their order, the weights and how many are kept, and on what the
methods weigh by: the shipped reference statistics (:mod:`.statistics`), the policy domains
(:mod:`.domain`), the id base and the methods' code. With fixed statistics, nothing else: not
the other plans of the build. So a rebuild that adds one plan to a thousand ranks the new
plan's nodes, and the programs whose plan-to-plan candidates now include one of its programs,
and takes every other ranking from here (bench/RESULTS.md, "Incremental rebuild").

The key of a ranking is the SHA-256 of all of that (:meth:`Memo.ranked`); the rankings of one
plan are kept together in one JSON file of the cache folder ``alignment``
(:mod:`plankg.build.cache`), named by the plan's IRI and the digest of the rest (:data:`CODE`,
the statistics file, the domains, the base), rewritten when the plan ranks something new. A
ranking is kept as the targets' places in their list (with the score, the methods' scores and
the evidence), so reading it back gives the same :class:`.combine.Scored` as ranking again
(tests/test_alignment_memo.py). A build with learnt statistics (``inputs(learn=True)``) keeps
nothing: its weights depend on the build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from plankg.build import cache
from plankg.build.align.nodes import Node

if TYPE_CHECKING:  # pragma: no cover
    from plankg.build.align.combine import Scored
    from plankg.build.align.methods import Corpus

KIND = "alignment"
FORMAT = 1  # of the files: raised when what a file holds changes
CODE = ("combine", "methods", "text", "concepts", "structure", "domain", "nodes", "statistics", "memo")
"""The modules of :mod:`plankg.build.align` whose source is part of every key (and :mod:`plankg.build.textsim`)."""


class Targets:
    """A list of targets, its digest (order counts: ties rank in list order) and each target's place."""

    def __init__(self, targets: Sequence[Node]):
        self.nodes = targets
        h = hashlib.sha256()
        for t in targets:
            h.update(t.digest)
        self.digest = h.digest()
        self._places: dict[int, int] | None = None

    def place(self, node: Node) -> int:
        if self._places is None:
            self._places = {id(t): i for i, t in enumerate(self.nodes)}
        return self._places[id(node)]


class Memo:
    """The rankings of one build: taken from the cache when known, kept there when new."""

    def __init__(self, folder: Path | None, fixed: bytes):
        self.folder = folder
        self.fixed = fixed
        self.hits = self.misses = 0
        self._known: dict[str, list] = {}  # the current plan's file
        self._used: dict[str, list] = {}  # what the current plan ranked this time
        self._changed = False

    @classmethod
    def of(cls, corpus: Corpus) -> Memo:
        """The memo of rankings by methods prepared on ``corpus``; one that keeps nothing unless the
        corpus weighs by the shipped reference statistics and caching is on."""
        from plankg.build import textsim
        from plankg.build.align import statistics
        from plankg.build.align.domain import domains

        folder = cache.folder(KIND)
        if corpus._statistics is not statistics.reference():
            return cls(None, b"")
        h = hashlib.sha256(f"{FORMAT}\n{corpus.base}\n".encode())
        for name in CODE:
            h.update(Path(__file__).with_name(f"{name}.py").read_bytes())
        h.update(Path(textsim.__file__).read_bytes())
        h.update(statistics.reference_path().read_bytes())
        for d in domains(corpus.vocabularies, corpus.base):
            h.update(json.dumps([d.iri, d.label, d.words], ensure_ascii=False).encode())
        return cls(folder, h.digest())

    @contextmanager
    def plan(self, iri: str) -> Iterator[None]:
        """The rankings of plan ``iri``: read before, written after if it ranked anything new (only
        those it used, so what it no longer ranks is dropped)."""
        name = hashlib.sha256(self.fixed + iri.encode()).hexdigest()
        path = None if self.folder is None else self.folder / f"{name}.json"
        self._known, self._used, self._changed = {}, {}, False
        if path is not None:
            try:
                self._known = json.loads(path.read_text(encoding="utf-8"))["rankings"]
            except (OSError, ValueError, KeyError, TypeError):
                self._known = {}
            if not isinstance(self._known, dict):
                self._known = {}
        yield
        if path is not None and (self._changed or len(self._used) != len(self._known)):
            cache.write(path, json.dumps({"format": FORMAT, "rankings": self._used}, ensure_ascii=False))
        self._known, self._used = {}, {}

    def ranked(self, source: Node, targets: Targets, weights: dict[str, float], keep: int,
               rank: Callable[[], list[Scored]]) -> list[Scored]:
        """``rank()``'s result for ``source`` and ``targets``: kept, or computed and kept."""
        from plankg.build.align.combine import Scored

        if self.folder is None:
            return rank()
        h = hashlib.sha256(self.fixed)
        h.update(json.dumps([sorted(weights.items()), keep]).encode())
        h.update(source.digest + targets.digest)
        key = h.hexdigest()
        rows = self._known.get(key)
        if rows is not None:
            try:
                out = [Scored(source, targets.nodes[i], score, r, parts, evidence, False)
                       for i, score, r, parts, evidence in rows]
                self.hits += 1
                self._used[key] = rows
                return out
            except (ValueError, TypeError, IndexError):
                pass
        out = rank()
        self.misses += 1
        self._changed = True
        self._used[key] = [[targets.place(s.target), s.score, s.rank, s.parts, s.evidence] for s in out]
        return out


__all__ = ["Memo", "Targets", "CODE", "KIND"]
