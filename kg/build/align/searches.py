"""Plan-to-plan candidate searches kept from the last build when they cannot have changed (issue 18).

The candidate search (:mod:`.search`) of a program reads, for each n-gram it looks up, the
heaviest postings of other organisations' programs up to a last one (or to the end of the kept
postings). What it finds depends on nothing else: not on postings past the last read, not on the
n-grams it did not look up. So when programs are added or removed, a search is the same as
before unless an added program has one of its n-grams with a key ``(−weight, place)`` before the
last posting it read there, or a removed one had one at or before it, or it read an n-gram to the
end and any program of that n-gram came or went. Those searches are run again; every other one is
taken as it was. The rule is conservative (an own-organisation program before the last posting
also reruns the search, since it may push that posting out of the kept ones) and exact otherwise;
tests/test_alignment_searches.py compares the candidates with searching everything afresh.

The state of the last build (each program's IRI, organisation, digest and text, in document order;
what each search found and read) is one file of the cache folder ``aligned``
(:mod:`plankg.build.cache`), named by the digest of everything a search depends on beside the
programs (:attr:`.outputs.Outputs.fixed`, which holds the search parameters and this code). It is
written with :mod:`marshal` (20 MB at 1,000 plans: a tenth of the time JSON takes to write, two
thirds to read), after a line naming the format, the Python version (marshal's format is
Python's) and the CRC-32 of the rest, which is checked before the rest is read
(:func:`plankg.build.cache.write_marshal`). Places are positions in that order, each search's
packed as 32-bit integers (a million Python integers made the state slow to write and read);
when the programs kept are not in the same order as before, nothing is taken. The index itself
(:class:`.search.ProgramIndex`) is built only when a search must run.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable
from pathlib import Path

from plankg.build import cache
from plankg.build.align.nodes import Node
from plankg.build.align.search import ProgramIndex, Read

FORMAT = 3
MARSHALLED = f"searches {FORMAT} {sys.byteorder}"  # the first line of a state file (plankg.build.cache.write_marshal)
Programs = list[tuple[Node, str]]  # each program, with its organisation, in document order


class Searches:
    """The candidates of every program of one build: kept ones, or searched."""

    def __init__(self, programs: Programs, index: Callable[[], ProgramIndex], vector, folder: Path | None, fixed: str):
        self.programs = programs
        self.places = {n.iri: k for k, (n, _) in enumerate(programs)}
        self._make_index = index
        self._index: ProgramIndex | None = None
        self.vector = vector
        self.path = folder / f"search-{fixed}.bin" if folder is not None and fixed else None
        self.found: dict[str, tuple[list[int], list[Read]]] = {}  # program IRI -> places found, what it read
        self._identical = False  # the programs are those of the last build, in its order
        self.kept: dict[str, tuple[list[int], list[Read]]] = self._load()
        self.reused = self.searched = 0

    def candidates(self, source: Node, org: str) -> list[Node]:
        """``source``'s plan-to-plan candidates: as the last build found them when they cannot have changed."""
        found = self.kept.get(source.iri)
        if found is None:
            if self._index is None:
                self._index = self._make_index()
            found = self._index.search(source, org)
            self.searched += 1
        else:
            self.reused += 1
        self.found[source.iri] = found
        return [self.programs[i][0] for i in found[0]]

    def save(self) -> None:
        """Keep what this build found, for the next."""
        if self.path is None or (self._identical and not self.searched):
            return
        cache.write_marshal(self.path, MARSHALLED, {
            "programs": [[n.iri, org, n.digest.hex(), n.text] for n, org in self.programs],
            "found": {iri: [array("i", places).tobytes(), [list(r) for r in read]]
                      for iri, (places, read) in self.found.items()},
        })

    def _load(self) -> dict[str, tuple[list[int], list[Read]]]:
        """The searches of the last build that are the same now, with their places in this build's order."""
        if self.path is None:
            return {}
        state = cache.read_marshal(self.path, MARSHALLED)
        try:
            return self._unchanged(state["programs"], state["found"]) if state is not None else {}
        except (ValueError, KeyError, TypeError, IndexError):
            return {}

    def _unchanged(self, old: list, found: dict) -> dict[str, tuple[list[int], list[Read]]]:
        now = {n.iri: (org, n.digest.hex()) for n, org in self.programs}
        same = {iri for iri, org, digest, _ in old if now.get(iri) == (org, digest)}
        self._identical = len(same) == len(old) == len(self.programs)
        kept_order = [k for k, (iri, *_) in enumerate(old) if iri in same]
        if [old[k][0] for k in kept_order] != [n.iri for n, _ in self.programs if n.iri in same]:
            return {}  # the programs kept are in another order: places cannot be compared
        added: dict[str, list[tuple[float, int]]] = {}  # n-gram -> (−weight, place now) of the programs added
        for k, (node, _) in enumerate(self.programs):
            if node.iri not in same:
                for gram, w in self.vector(node).items():
                    added.setdefault(gram, []).append((-w, k))
        removed: dict[str, list[tuple[float, int]]] = {}  # n-gram -> (−weight, place then) of those removed
        for k, (iri, _, _, text) in enumerate(old):
            if iri not in same:
                for gram, w in self.vector(Node(iri, "program", "", text, "", frozenset(), "")).items():
                    removed.setdefault(gram, []).append((-w, k))
        remap = [self.places[iri] if iri in same else None for iri, *_ in old]  # place then -> place now
        moved = remap != list(range(len(old)))  # not when programs are only added after the last kept one
        out = {}
        for iri, (packed, read) in found.items():
            if iri not in same:
                continue
            now_read = _still(read, remap, added, removed)
            if now_read is not None:
                places = array("i")
                places.frombytes(packed)
                if places and (min(places) < 0 or max(places) >= len(old)):
                    continue  # not a place of the last build: searched again
                now_places = [remap[p] for p in places] if moved else places.tolist()
                if None not in now_places:
                    out[iri] = (now_places, now_read)
        return out


def _still(read: list, remap: list[int | None], added: dict, removed: dict) -> list[Read] | None:
    """What a search read, with places now (``remap``: each place then's place now, None for a
    program removed), if no program added or removed changes it; else None."""
    out = []
    for gram, last, weight in read:
        place = remap[last] if last >= 0 else -1
        if place is None:  # the last posting read is gone
            return None
        if gram in added or gram in removed:
            if last < 0:  # read to the end: any program of the n-gram that comes or goes may be read
                return None
            if any(key <= (-weight, last) for key in removed.get(gram, ())) or \
                    any(key < (-weight, place) for key in added.get(gram, ())):
                return None
        out.append((gram, place, weight))
    return out


__all__ = ["Searches"]
