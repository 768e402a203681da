"""The VoID statistics of the content graphs (:mod:`plankg.build.meta`), counted on their N-Triples.

The lines are those the store loads (:func:`plankg.build.ntriples.ntriples`: one spelling per
term), so a triple is a line and the RDF merge of the graphs is the union of their lines: the
counts are what SPARQL over the store gives. Each graph is read once into a summary
(:mod:`plankg.build.void_summary`: hashes of its lines and terms, kept by content between builds);
the counts are those of the union of the summaries. Terms stay N-Triples text (``<iri>``, ``_:b``,
``"text"@zh-hant``) while counting; only those that end up in the metadata become rdflib terms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import URIRef

from plankg.build.ntriples import term
from plankg.build.void_summary import Summary, hash64, summaries as summaries_of


@dataclass(frozen=True)
class Merge:
    """Counts of the RDF merge of the content graphs; classes and properties are rdflib terms."""

    triples: int
    subjects: int
    objects: int
    entities: int  # subjects that are IRIs under the id base
    classes: Counter  # class -> its instances
    properties: Counter  # property -> its triples
    listed: dict[str, list[str]]  # class (N-Triples) -> its instances (N-Triples, sorted), of the classes listed

    def instances(self, cls: URIRef) -> list:
        """The instances of ``cls``, one of the classes :func:`merge` was asked to list, sorted, as rdflib terms."""
        if f"<{cls}>" not in self.listed:
            raise KeyError(f"{cls} is not among the classes listed")
        return sorted(term(s) for s in self.listed[f"<{cls}>"])


def merge(lines: Mapping[str, str], base: str, listed: Iterable[URIRef] = (),
          summaries: Mapping[str, Summary] | None = None) -> Merge:
    """The counts of the merge of the graphs' N-Triples ``lines`` (graph IRI → lines), and the instances
    of the classes ``listed``; from their ``summaries`` when given (:func:`plankg.build.void_summary.summaries`,
    asked for those classes)."""
    wanted = [f"<{c}>" for c in listed]
    if summaries is None:
        summaries = summaries_of(lines, base, listed=wanted)
    properties: dict[str, int] = {}
    for p in {p for s in summaries.values() for p in s.triples}:
        properties[p] = _distinct(s.triples.get(p) for s in summaries.values())
    classes = {c: _distinct(s.typed.get(c) for s in summaries.values())
               for c in {c for s in summaries.values() for c in s.typed}}
    found: dict[str, set[str]] = {c: set() for c in wanted}
    for s in summaries.values():
        for c, members in s.listed.items():
            found.setdefault(c, set()).update(members)
    return Merge(
        triples=sum(properties.values()),
        subjects=_distinct(s.subjects for s in summaries.values()),
        objects=_distinct(s.objects for s in summaries.values()),
        entities=_distinct(s.entities for s in summaries.values()),
        classes=Counter({term(c): n for c, n in classes.items()}),
        properties=Counter({term(p): n for p, n in properties.items()}),
        listed={c: sorted(members) for c, members in found.items()},
    )


def _distinct(arrays) -> int:
    """How many distinct hashes ``arrays`` hold together."""
    seen: set[int] = set()
    for a in arrays:
        if a is not None:
            seen.update(a)
    return len(seen)


@dataclass(frozen=True)
class Links:
    """The triples of one link predicate across the graphs."""

    triples: int  # distinct (subject, object) pairs
    subjects_in: list[str]  # the graphs (IRIs, sorted) where a link's subject has the predicate
    objects_in: list[str]  # the graphs where a link's object is a subject


def links(lines: Mapping[str, str], predicates: Iterable[tuple[URIRef, str | None]],
          summaries: Mapping[str, Summary] | None = None, base: str = "") -> dict[URIRef, Links]:
    """For each (predicate, target) the links of ``predicate`` in the graphs' N-Triples ``lines``:
    those whose object's IRI (or text) starts with ``target``, every one if ``target`` is None; from
    the graphs' ``summaries`` when given (asked for those predicates)."""
    predicates = list(predicates)
    if summaries is None:
        summaries = summaries_of(lines, base, linked=[f"<{p}>" for p, _ in predicates])
    each = []  # per predicate: the graphs with its pairs, the links, their objects' hashes
    for predicate, target in predicates:
        p = f"<{predicate}>"
        by_graph = {iri: {(s, o) for s, o in summary.pairs.get(p, ())} for iri, summary in summaries.items()
                    if summary.pairs.get(p)}
        found = {(s, o) for pairs in by_graph.values() for s, o in pairs
                 if target is None or str(term(o)).startswith(target)}
        each.append((predicate, by_graph, found, {hash64(o) for _, o in found}))
    objects = set().union(*(link_objects for *_, link_objects in each))
    # each graph's subjects that are some link's object: one pass over the subjects of every graph
    hits = {iri: hit for iri, summary in summaries.items() if (hit := objects.intersection(summary.subjects))}
    out = {}
    for predicate, by_graph, found, link_objects in each:
        link_subjects = {s for s, _ in found}
        out[predicate] = Links(
            triples=len(found),
            subjects_in=sorted(iri for iri, pairs in by_graph.items() if any(s in link_subjects for s, _ in pairs)),
            objects_in=sorted(iri for iri, hit in hits.items() if not hit.isdisjoint(link_objects)),
        )
    return out


__all__ = ["Merge", "merge", "Links", "links"]
