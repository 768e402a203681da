"""Each plan's alignment graphs kept by content (issue 18): a rebuild writes again only the plans
whose alignments can differ.

What :func:`plankg.build.align.align` makes of one plan (its alignment graph, the graph of its
links, the accepted pairs as plain triples) depends on: the plan's nodes, its organisation and
year; the line items of that year it is ranked against (other agencies' enacted budget, less the
excluded items); for each program, the candidates the plan-to-plan search finds (or, with exact
ranking, every program loaded); and on what every ranking depends on (:mod:`.memo`: the methods'
code, the reference statistics, the domains, the base), the parameters of alignment-methods.ttl
and the code that writes the graphs. The key of a plan's output is the SHA-256 of all of that
(:meth:`Outputs.key`), so an output found under it is what aligning the plan again would give:
a rebuild takes it without reading the plan's rankings (:mod:`.memo`), writing its lines or
canonicalising them (tests/test_alignment_memo.py compares it with aligning afresh).

A plan whose candidates changed is looked up again by its plan-to-plan rankings instead
(:meth:`Outputs.ranked_key`: the candidates' scores and places, made from the kept scores, of
which only the new candidates' are computed, :mod:`.memo`): adding a plan gives hundreds of
other plans' programs a new candidate, but changes few of their rankings. The output found so is
then linked under the new candidate key too (:meth:`Outputs.alias`), and is not written again.

Outputs live in the cache folder ``aligned`` (:mod:`plankg.build.cache`), one file per key, as
:mod:`plankg.build.graph_files` writes graphs (with the plain triples). Nothing is kept when the memo keeps nothing (learnt
statistics, or caching off).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from plankg.build import cache, graph_files
from plankg.build.align.combine import Scored
from plankg.build.align.memo import Memo
from plankg.build.align.methods import Parameters
from plankg.build.align.nodes import Node, PlanNodes
from plankg.build.mapped import MappedGraph

KIND = "aligned"
FORMAT = 4  # of the files: raised when what a file holds changes
CODE = ("__init__", "rdf", "search", "searches", "outputs")
"""The modules of :mod:`plankg.build.align` whose source is part of every key (beside :data:`.memo.CODE`)."""

Triple = tuple[str, str, str]


class Outputs:
    """The plans' outputs of one build: taken from the cache when known, kept there when new."""

    def __init__(self, memo: Memo | None, params: Parameters):
        self.folder = cache.folder(KIND) if memo is not None and memo.folder is not None else None
        self.hits = self.misses = 0
        if self.folder is None:
            self.fixed = b""
            return
        h = hashlib.sha256(f"{FORMAT}\n".encode() + memo.fixed)
        for name in CODE:
            h.update(Path(__file__).with_name(f"{name}.py").read_bytes())
        h.update(json.dumps(asdict(params), sort_keys=True, default=str).encode())
        self.fixed = h.digest()

    def key(self, plan: PlanNodes, items: bytes, candidates: Sequence[Sequence[Node]] | None, others: bytes) -> str:
        """The key of ``plan``'s output: ``items``, the digest of the line items of its year it may be
        ranked against; ``candidates``, each program's plan-to-plan candidates (None: exact ranking,
        against the programs whose digest is ``others``)."""
        h = hashlib.sha256(self.fixed)
        h.update(json.dumps([plan.plan, plan.org_label, plan.fiscal_year, len(plan.strategies),
                             len(plan.programs)]).encode())
        h.update(b"".join(node.digest for node in (*plan.strategies, *plan.programs)))
        h.update(items)
        if candidates is None:
            h.update(b"exact" + others)
        else:
            for found in candidates:
                h.update(len(found).to_bytes(4, "little") + b"".join(node.digest for node in found))
        return h.hexdigest()

    def ranked_key(self, plan: PlanNodes, items: bytes, between: Sequence[Scored]) -> str:
        """The key of ``plan``'s output by what its programs' plan-to-plan rankings are (``between``,
        :func:`plankg.build.align.plan_pairs`) rather than by their candidates: a plan one of whose
        programs has a new candidate that ranks below its kept ones is known under it."""
        h = hashlib.sha256(self.fixed + b"ranked")
        h.update(json.dumps([plan.plan, plan.org_label, plan.fiscal_year, len(plan.strategies),
                             len(plan.programs), len(between)]).encode())
        for node in (*plan.strategies, *plan.programs):
            h.update(node.digest)
        h.update(items)
        for s in between:
            h.update(s.source.digest + s.target.digest)
            h.update(json.dumps([s.score, s.rank, s.evidence, s.accepted], ensure_ascii=False).encode())
        return h.hexdigest()

    def alias(self, key: str, kept: str) -> None:
        """Make the output kept under ``kept`` found under ``key`` too."""
        if self.folder is not None:
            cache.link(self.folder / f"{kept}.nt", self.folder / f"{key}.nt")

    def get(self, key: str) -> tuple[list[MappedGraph], list[Triple]] | None:
        """The output kept under ``key``, or None (none, or one that cannot be read)."""
        if self.folder is None:
            return None
        found = graph_files.read(self.folder / f"{key}.nt", FORMAT)
        if found is None:
            return None
        graphs, extra = found
        plain = [tuple(t) for t in extra.get("plain", ())] if isinstance(extra.get("plain"), list) else None
        if plain is None or any(len(t) != 3 for t in plain):
            return None
        self.hits += 1
        return graphs, plain

    def put(self, key: str, graphs: list[MappedGraph], plain: list[Triple]) -> list[MappedGraph]:
        """Keep ``graphs`` (made as lines) and ``plain`` under ``key``; ``graphs`` with their digests
        (:func:`plankg.build.ntriples.digest`, kept with them)."""
        self.misses += 1
        if self.folder is None:
            return graphs
        return graph_files.write(self.folder / f"{key}.nt", graphs, {"plain": plain}, FORMAT)


def digest_of(nodes: Sequence[Node], *extra: str) -> bytes:
    """The SHA-256 of ``nodes``' digests in order (and of ``extra`` strings)."""
    h = hashlib.sha256(json.dumps(extra).encode())
    for node in nodes:
        h.update(node.digest)
    return h.digest()


__all__ = ["Outputs", "digest_of", "KIND"]
