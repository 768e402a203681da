"""The VoID statistics of the content graphs (:mod:`plankg.build.meta`), counted on their N-Triples.

The lines are those the store loads (:func:`plankg.build.ntriples.ntriples`: one spelling per
term), so a triple is a line and the RDF merge of the graphs is the union of their lines: the
counts are what SPARQL over the store gives. Terms stay N-Triples text (``<iri>``, ``_:b``,
``"text"@zh-hant``) while counting; only those that end up in the metadata become rdflib terms.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import RDF

from plankg.build.ntriples import lines as lines_of, term

_TYPE = f"<{RDF.type}>"
_TRIPLE = re.compile(r"^(\S+) (\S+) (.*) \.$", re.M)  # subject, predicate, object of each line
_TYPED = re.compile(rf"^(\S+) {re.escape(_TYPE)} (.*) \.$", re.M)  # subject, class of each rdf:type line


@dataclass(frozen=True)
class Merge:
    """Counts of the RDF merge of the content graphs; classes and properties are rdflib terms."""

    triples: int
    subjects: int
    objects: int
    entities: int  # subjects that are IRIs under the id base
    classes: Counter  # class -> its instances
    properties: Counter  # property -> its triples
    typed: dict[str, set[str]]  # class (N-Triples) -> its instances (N-Triples)

    def instances(self, cls: URIRef) -> list:
        """The instances of ``cls``, sorted, as rdflib terms."""
        return sorted(term(s) for s in self.typed.get(f"<{cls}>", ()))


def merge(lines: Mapping[str, str], base: str) -> Merge:
    """The counts of the merge of the graphs' N-Triples ``lines`` (graph IRI → lines).

    The lines are cut into terms by regular expressions over the union's text, not line by line in
    Python (:func:`plankg.build.ntriples.split` cuts the same way: three terms, the object up to the
    final `` .``): at 1,000 plans the union holds 3 million lines."""
    union: set[str] = set()
    for text in lines.values():
        union.update(text.split("\n"))
    union.discard("")
    text = "\n".join(union)
    subjects, predicates, objects = zip(*_TRIPLE.findall(text)) if union else ((), (), ())
    typed: dict[str, set[str]] = {}
    for s, o in _TYPED.findall(text):
        typed.setdefault(o, set()).add(s)
    distinct = set(subjects)
    prefix = f"<{base}"
    return Merge(
        triples=len(union),
        subjects=len(distinct),
        objects=len(set(objects)),
        entities=sum(1 for s in distinct if s.startswith(prefix)),
        classes=Counter({term(c): len(s) for c, s in typed.items()}),
        properties=Counter({term(p): n for p, n in Counter(predicates).items()}),
        typed=typed,
    )


@dataclass(frozen=True)
class Links:
    """The triples of one link predicate across the graphs."""

    triples: int  # distinct (subject, object) pairs
    subjects_in: list[str]  # the graphs (IRIs, sorted) where a link's subject has the predicate
    objects_in: list[str]  # the graphs where a link's object is a subject


def links(lines: Mapping[str, str], predicates: Iterable[tuple[URIRef, str | None]]) -> dict[URIRef, Links]:
    """For each (predicate, target) the links of ``predicate`` in the graphs' N-Triples ``lines``:
    those whose object's IRI (or text) starts with ``target``, every one if ``target`` is None."""
    wanted = {f"<{p}>": (p, target) for p, target in predicates}
    subjects: dict[str, set[str]] = {}  # graph -> its subjects
    pairs: dict[str, dict[str, set[tuple[str, str]]]] = {p: {} for p in wanted}  # predicate -> graph -> (s, o)
    for iri, text in lines.items():
        own = subjects[iri] = set()
        for line in lines_of(text):
            s, p, rest = line.split(" ", 2)
            own.add(s)
            if p in wanted:
                pairs[p].setdefault(iri, set()).add((s, rest[:-2]))
    out = {}
    for p, (predicate, target) in wanted.items():
        found = {(s, o) for by_graph in pairs[p].values() for s, o in by_graph
                 if target is None or str(term(o)).startswith(target)}
        link_subjects, link_objects = {s for s, _ in found}, {o for _, o in found}
        out[predicate] = Links(
            triples=len(found),
            subjects_in=sorted(iri for iri, by_graph in pairs[p].items() if any(s in link_subjects for s, _ in by_graph)),
            objects_in=sorted(iri for iri, own in subjects.items() if not own.isdisjoint(link_objects)),
        )
    return out


__all__ = ["Merge", "merge", "Links", "links"]
