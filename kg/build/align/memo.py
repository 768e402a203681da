"""Ranked pairs kept by content (issue 18): a rebuild ranks again only what it has not ranked before.

A ranking (:func:`.combine.rank`: a source's best targets, their scores and evidence) depends
on the source, the targets in their order, the weights and how many are kept, and on what the
methods weigh by: the shipped reference statistics (:mod:`.statistics`), the policy domains
(:mod:`.domain`), the id base and the methods' code. With fixed statistics, nothing else: not
the other plans of the build. So a rebuild that adds one plan to a thousand ranks the new
plan's nodes, and the programs whose plan-to-plan candidates now include one of its programs,
and takes every other ranking from here (bench/RESULTS.md, "Incremental rebuild").

The key of a ranking is the SHA-256 of all of that (:meth:`Memo.ranked`); the rankings of one plan
are kept together in one file of the cache folder ``alignment`` (:mod:`plankg.build.cache`, written
with :mod:`marshal`: :func:`plankg.build.cache.write_marshal`), named by the plan's IRI and the
digest of the rest (:data:`CODE`, the statistics file, the domains, the base), rewritten when the
plan ranks something new. A ranking is kept as the targets' places in their list (with the score,
the methods' scores and the evidence), so reading it back gives the same :class:`.combine.Scored` as
ranking again (tests/test_alignment_memo.py). A build with learnt statistics
(``inputs(learn=True)``) keeps nothing: its weights depend on the build.

A source ranked against at most :data:`TOTALS_MAX` targets (a strategy against its plan's
programs, a program against its plan-to-plan candidates) also keeps each target's combined
score, and the parts and evidence of those it kept, by the first 8 bytes of the target's digest,
under the digest of the source and the weights. When its targets change (one of a new plan's
programs is now a candidate), only the new targets are scored, and only the new ones it keeps
are explained (:func:`.combine.rank_with`): a pair's score depends on the pair alone.
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
FORMAT = 4  # of the files: raised when what a file holds changes
MARSHALLED = f"rankings {FORMAT}"  # what the first line of a file says it is (plankg.build.cache.write_marshal)
TOTALS_MAX = 256  # targets of a source whose combined scores are kept one by one
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
        self._short: list[str] | None = None

    def short(self) -> list[str]:
        """The first 8 bytes of each target's digest, in hex (what a kept combined score is found by)."""
        if self._short is None:
            self._short = [t.digest[:8].hex() for t in self.nodes]
        return self._short

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
        # source and weights -> {"totals": target -> combined score, "kept": target -> [parts, evidence]}
        self._totals_known: dict[str, dict[str, dict]] = {}
        self._totals_used: dict[str, dict[str, dict]] = {}
        self._changed = False
        self._keep = False

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
        path = None if self.folder is None else self.folder / f"{name}.bin"
        self._known, self._used, self._changed = {}, {}, False
        self._totals_known, self._totals_used = {}, {}
        if path is not None:
            state = cache.read_marshal(path, MARSHALLED)
            if isinstance(state, dict):
                self._known, self._totals_known = state.get("rankings"), state.get("totals")
            if not isinstance(self._known, dict) or not isinstance(self._totals_known, dict):
                self._known, self._totals_known = {}, {}
        self._keep = False
        yield
        if path is not None and not self._keep and (self._changed or len(self._used) != len(self._known)
                                 or len(self._totals_used) != len(self._totals_known)):
            cache.write_marshal(path, MARSHALLED, {"rankings": self._used, "totals": self._totals_used})
        self._known, self._used, self._totals_known, self._totals_used = {}, {}, {}, {}

    def keep_unused(self) -> None:
        """Leave the current plan's file as it is: its output was found without most of its rankings
        (:mod:`.outputs`), and the few it made again are made from the kept scores next time too."""
        self._keep = True

    def ranked(self, source: Node, targets: Targets, weights: dict[str, float], keep: int,
               rank: Callable[[dict[int, float] | None, dict[int, tuple] | None],
                              tuple[list[Scored], list[float]]]) -> list[Scored]:
        """``rank(known, details)``'s ranking for ``source`` and ``targets``: kept, or computed and kept
        (``known``: the combined scores kept of some targets, by place, or None; ``details``: the
        parts and evidence kept of the targets an earlier ranking of the source kept, by place)."""
        from plankg.build.align.combine import Scored

        if self.folder is None:
            return rank(None, None)[0]
        weighed = json.dumps(sorted(weights.items())).encode()
        h = hashlib.sha256(self.fixed)
        h.update(json.dumps([sorted(weights.items()), keep]).encode())
        h.update(source.digest + targets.digest)
        key = h.hexdigest()
        small = len(targets.nodes) <= TOTALS_MAX
        by = hashlib.sha256(self.fixed + weighed + source.digest).hexdigest() if small else ""
        rows = self._known.get(key)
        if rows is not None:
            try:
                out = [Scored(source, targets.nodes[i], score, r, parts, evidence, False)
                       for i, score, r, parts, evidence in rows]
                self.hits += 1
                self._used[key] = rows
                if by in self._totals_known:
                    self._totals_used[by] = self._totals_known[by]
                return out
            except (ValueError, TypeError, IndexError):
                pass
        before = self._totals_known.get(by) if small else None
        known, details = None, None
        if isinstance(before, dict):
            totals_before, kept_before = before.get("totals"), before.get("kept")
            if isinstance(totals_before, dict) and isinstance(kept_before, dict):
                known = {i: total for i, short in enumerate(targets.short())
                         if type(total := totals_before.get(short)) is float}
                details = {i: (d[0], d[1]) for i, short in enumerate(targets.short())
                           if i in known and _detail(d := kept_before.get(short))}
        out, totals = rank(known or None, details or None)
        self.misses += 1
        self._changed = True
        self._used[key] = [[targets.place(s.target), s.score, s.rank, s.parts, s.evidence] for s in out]
        if small:
            self._totals_used[by] = {"totals": dict(zip(targets.short(), totals)),
                                     "kept": {s.target.digest[:8].hex(): [s.parts, s.evidence] for s in out}}
        return out


def _detail(kept) -> bool:
    """Whether ``kept`` is what :meth:`Memo.ranked` keeps of a kept target: its parts and evidence."""
    return isinstance(kept, list) and len(kept) == 2 and isinstance(kept[0], dict) and isinstance(kept[1], str) \
        and all(isinstance(k, str) and type(v) in (int, float) for k, v in kept[0].items())


__all__ = ["Memo", "Targets", "CODE", "KIND"]
