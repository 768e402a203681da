"""Validating a rebuild against the published build (issue 18): the graphs that changed, and those
whose context they change, and no other.

A graph is validated with its *context*: :data:`plankg.build.checking.CONTEXT_PREDICATES` of the
IRIs it points to but does not describe, from the build's other content graphs. Its report is
kept under the digest of its data, its context and the rest (:mod:`.validation_cache`). The
published build recorded each content graph's digest (BUILD.json ``digests``) and validation key
(``metadata.validation``); a rebuild whose graph has the recorded digest keeps that key, and its
report, unless its context changed. A context changes only where a graph that changed (or went)
says what something is or is called, and only for the graphs that point to that something. So:

1. the graphs that changed: those whose digest is not the one recorded, and those that went;
2. the IRIs whose context triples changed there: their new lines against their old graphs in the
   published store;
3. the unchanged graphs that point to one of those IRIs (the published store finds them);
4. the contexts of the graphs of 1 and 3: from the published store for the unchanged graphs,
   from the new lines for the changed ones; and their keys, as a whole validation computes them
   (tests/test_recheck.py compares both).

Where this would not pay, or cannot be relied on, :func:`contexts` gives None and every graph is
validated with the whole build (:class:`plankg.build.checking.Dataset`): no record, another
``fixed`` digest (other shapes, ontology, vocabularies or code), more than
:data:`CHANGED_MAX_SHARE` of the graphs changed, or more than :data:`DESCRIBED_MAX` IRIs to look up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from plankg.build.ntriples import lines, split

CHANGED_MAX_SHARE = 0.3
DESCRIBED_MAX = 200_000
BATCH = 2000  # IRIs per VALUES block sent to the store


@dataclass(frozen=True)
class Previous:
    """The published build a rebuild is validated against: its content graphs' digests and
    validation keys, the digest of the rest every key depended on (hex), and its store."""

    digests: Mapping[str, str]
    keys: Mapping[str, str]
    fixed: str
    store: object  # plankg.store.GraphStore


def fixed_hex(fixed: bytes) -> str:
    return hashlib.sha256(fixed).hexdigest()


class Contexts:
    """The context of each graph of a rebuild: recorded for the unchanged graphs it need not
    recompute (:meth:`kept_key`), else computed (:meth:`context`)."""

    def __init__(self, iris: Sequence[str], texts: Sequence[str], changed: set[int], checked: set[int],
                 previous: Previous, predicates: Sequence[str]):
        from pyoxigraph import NamedNode, RdfFormat, Store

        self.iris, self.texts, self.previous = list(iris), texts, previous  # texts: read when asked for
        self.changed, self.checked = changed, checked
        self.predicates = ", ".join(f"<{p}>" for p in predicates)
        self.unchanged = {iris[i] for i in range(len(iris)) if i not in changed}
        self.new = Store()  # the changed graphs as they are now
        for i in changed:
            self.new.load(texts[i].encode("utf-8"), format=RdfFormat.N_TRIPLES, to_graph=NamedNode(iris[i]))
        self._contexts: dict[int, bytes] = {}
        self._refs: dict[int, list[str]] = {}  # graph -> the IRIs its context is looked up for
        self._looked: set[str] = set()
        self._found: tuple[dict, dict] = ({}, {})  # in the published store, in the new one: IRI -> [(line, graph)]

    def kept_key(self, i: int) -> str | None:
        """The key graph ``i`` was validated under, if neither it nor its context changed."""
        return None if i in self.checked else self.previous.keys.get(self.iris[i])

    def context(self, i: int) -> bytes:
        """Graph ``i``'s context as N-Triples, as :class:`plankg.build.checking.Dataset` gives it."""
        if i not in self._contexts:
            if not self._refs:  # the first asked: the IRIs of every graph to check, looked up at once
                self._look_up(sorted(self.checked))  # (graphs pointing to what changed point to much the same)
            self._look_up([i])
            own = self.iris[i]
            found: set[str] = set()
            for rows, keep in ((self._found[0], self.unchanged), (self._found[1], None)):
                for n in self._refs[i]:
                    for line, h in rows.get(n, ()):
                        if h != own and (keep is None or h in keep):
                            found.add(line)
            self._contexts[i] = "".join(sorted(found)).encode("utf-8")
        return self._contexts[i]

    def _look_up(self, indices: list[int]) -> None:
        """Find the context triples, in every graph, of the IRIs graphs ``indices`` point to (:func:`_refs`)."""
        wanted: set[str] = set()
        for j in indices:
            if j not in self._refs:
                self._refs[j] = _refs(self.texts[j])
                wanted.update(self._refs[j])
        todo = sorted(wanted - self._looked)
        self._looked.update(todo)
        for store, rows in ((self.previous.store, self._found[0]), (self.new, self._found[1])):
            for row in _rows(store, f"SELECT ?n ?p ?o ?h WHERE {{ VALUES ?n {{ {{}} }} GRAPH ?h {{ ?n ?p ?o }} "
                                    f"FILTER(?p IN ({self.predicates})) }}", todo):
                rows.setdefault(row[0].value, []).append((f"{row[0]} {row[1]} {row[2]} .\n", row[3].value))


def contexts(iris: Sequence[str], texts: Sequence[str], digests: Sequence[str], previous: Previous | None,
             fixed: bytes, predicates: Sequence[str]) -> Contexts | None:
    """The contexts of a rebuild of the graphs ``iris`` (with their N-Triples ``texts`` and
    digests, :func:`plankg.build.ntriples.digest`) against ``previous``; None: validate with the whole build."""
    if previous is None or previous.fixed != fixed_hex(fixed):
        return None
    if any(iri not in previous.keys for iri in iris if previous.digests.get(iri) is not None):
        return None
    changed = {i for i, iri in enumerate(iris) if previous.digests.get(iri) != digests[i] or iri not in previous.keys}
    present = set(iris)
    gone = [iri for iri in previous.keys if iri not in present]
    if len(changed) + len(gone) > CHANGED_MAX_SHARE * max(1, len(iris)):
        return None
    described = _described(iris, texts, changed, gone, previous, predicates)
    if len(described) > DESCRIBED_MAX:
        return None
    index = {iri: i for i, iri in enumerate(iris)}
    pointing = {index[row[0].value] for row in _rows(
        previous.store, "SELECT DISTINCT ?g WHERE { VALUES ?n { {} } GRAPH ?g { ?s ?p ?n } }", sorted(described))
        if row[0].value in index}
    return Contexts(iris, texts, changed, changed | pointing, previous, predicates)


def _described(iris: Sequence[str], texts: Sequence[str], changed: set[int], gone: list[str], previous: Previous,
               predicates: Sequence[str]) -> set[str]:
    """The IRIs whose context triples (:data:`predicates`) changed: in the changed graphs as they
    are now against what they were, and in the graphs that went."""
    now: dict[str, set[str]] = {iri: set() for iri in gone}
    for i in changed:
        now[iris[i]] = {line for line in lines(texts[i]) if line[0] == "<" and split(line)[1][1:-1] in predicates}
    before: dict[str, set[str]] = {iri: set() for iri in now}
    predicate_list = ", ".join(f"<{p}>" for p in predicates)
    for g, n, p, o in _rows(previous.store, "SELECT ?g ?n ?p ?o WHERE { VALUES ?g { {} } GRAPH ?g { ?n ?p ?o } "
                                            f"FILTER(isIRI(?n) && ?p IN ({predicate_list})) }}",
                            [iri for iri in now if iri in previous.keys]):
        before[g.value].add(f"{n} {p} {o} .")
    return {split(line)[0][1:-1] for iri in now for line in now[iri] ^ before[iri]}


def _refs(text: str) -> list[str]:
    """The IRIs graph ``text`` has as objects but not as subjects (what a context is looked up for)."""
    subjects, objects = set(), set()
    for line in lines(text):
        s, _, o = split(line)
        subjects.add(s)
        if o[0] == "<":
            objects.add(o)
    return sorted(o[1:-1] for o in objects - subjects)


def _rows(store, template: str, iris: Sequence[str]):
    """The solutions of ``template`` (its ``{}``: a VALUES block) over ``iris`` in batches of :data:`BATCH`."""
    for start in range(0, len(iris), BATCH):
        block = " ".join(f"<{iri}>" for iri in iris[start:start + BATCH])
        yield from store.query(template.replace("{ {} }", "{ " + block + " }", 1))


@contextmanager
def published(location) -> Iterator[Previous | None]:
    """The build published at ``location`` (a store directory or a
    :class:`plankg.store.RemoteLocation`) as a :class:`Previous`, its store open for reading while
    in the block; None if there is none, or it recorded no validation keys."""
    from plankg.store import open_location, store_info
    from plankg.errors import StoreError

    try:
        store = open_location(location)
    except (StoreError, OSError):
        yield None
        return
    with store:
        try:
            info = store_info(location)
            record = info["metadata"]["validation"]
            digests, keys, fixed = info["digests"], record["keys"], record["fixed"]
            if info.get("build") != store.build_id:  # published again since opened
                raise ValueError(info.get("build"))
            if not (isinstance(digests, dict) and isinstance(keys, dict) and isinstance(fixed, str)):
                raise TypeError(fixed)
        except (StoreError, OSError, KeyError, TypeError, ValueError):
            yield None
            return
        yield Previous(digests, keys, fixed, store)


__all__ = ["Previous", "Contexts", "contexts", "published", "fixed_hex", "CHANGED_MAX_SHARE", "DESCRIBED_MAX"]
