"""What the metadata says of a content graph, read from it once: :class:`Facts`.

The VoID and DCAT-AP description of a build (:mod:`plankg.build.meta`, :mod:`plankg.build.dcatap`)
and its ``prov:Activity`` (:mod:`plankg.build.build_activity`) name each graph's title, the fiscal
years it covers and the source texts it was derived from. Those few triples are read here, into
plain data, so that the metadata needs no graph: a plan kept by content
(:mod:`plankg.build.plan_units`) keeps its facts, not its rdflib graph.

Terms are kept as N-Triples text (:func:`plankg.build.ntriples.term` reads them back), so that
facts go to JSON and back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from plankg.build.ntriples import term
from plankg.namespaces import PLAN

PLAN_NS = Namespace(PLAN)
TITLED_TYPES = (PLAN_NS.AnnualPlan, SKOS.ConceptScheme, OWL.Ontology)  # a graph is titled after the first of these


_CUES = (*(f"<{RDF.type}> <{t}> ." for t in (*TITLED_TYPES, PLAN_NS.SourceDocument)),
         *(f"> <{p}> " for p in (PLAN_NS.fiscalYear, PROV.wasDerivedFrom, SKOS.prefLabel)))


@dataclass(frozen=True)
class Source:
    """A ``plan:SourceDocument`` of a graph: what derives from it, its file name, that one's title, its creators."""

    iri: str
    derived: str  # the first subject found with prov:wasDerivedFrom this source (a plan)
    identifier: str | None  # dcterms:identifier, N-Triples
    title: str | None  # the dcterms:title of ``derived``, N-Triples
    creators: tuple[str, ...]  # dcterms:creator IRIs


@dataclass(frozen=True)
class Facts:
    """A graph's title, fiscal years, source documents and preferred labels (terms as N-Triples)."""

    titles: tuple[str, ...]  # the rdfs:labels of its first titled subject (:data:`TITLED_TYPES`, sorted)
    years: tuple[int, ...]  # the years of its plan:fiscalYear values
    sources: tuple[Source, ...]
    pref_labels: tuple[tuple[str, str], ...]  # (subject IRI, label) of every skos:prefLabel

    def to_json(self) -> dict:
        return {"titles": list(self.titles), "years": list(self.years), "pref_labels": [list(p) for p in self.pref_labels],
                "sources": [[s.iri, s.derived, s.identifier, s.title, list(s.creators)] for s in self.sources]}

    @classmethod
    def from_json(cls, data: dict) -> Facts:
        return cls(tuple(data["titles"]), tuple(int(y) for y in data["years"]),
                   tuple(Source(i, d, n, t, tuple(c)) for i, d, n, t, c in data["sources"]),
                   tuple((s, label) for s, label in data["pref_labels"]))

    def title_terms(self) -> list:
        return [term(t) for t in self.titles]


EMPTY = Facts((), (), (), ())


def facts_of_lines(text: str) -> Facts:
    """The :class:`Facts` of the graph whose N-Triples are ``text`` (:mod:`plankg.build.ntriples`): read
    into rdflib only if a line states what facts are made of (a titled type or a source document, a
    fiscal year, a derivation, a preferred label), which no line of an alignment graph does."""
    if not any(cue in text for cue in _CUES):
        return EMPTY
    return facts_of(Graph().parse(data=text, format="nt"))


def _term(node) -> str:
    """``node`` in N-Triples, its language tag in lower case as the store writes it (whether the graph
    was mapped or read from lines)."""
    from plankg.build.ntriples import _term as written

    if isinstance(node, Literal) and node.language:
        return written(Literal(str(node), lang=node.language.lower()))
    return written(node)


def facts_of(graph: Graph) -> Facts:
    """The :class:`Facts` of ``graph``."""
    titled = sorted(s for t in TITLED_TYPES for s in graph.subjects(RDF.type, t))
    titles = tuple(sorted(_term(o) for o in graph.objects(titled[0], RDFS.label))) if titled else ()
    years = tuple(sorted({int(str(y)[:4]) for y in graph.objects(None, PLAN_NS.fiscalYear)}))
    documents = set(graph.subjects(RDF.type, PLAN_NS.SourceDocument))
    derived: dict = {}
    for subject, _, source in graph.triples((None, PROV.wasDerivedFrom, None)):
        if source in documents:
            derived.setdefault(source, subject)
    sources = []
    for source, subject in sorted(derived.items()):
        name, title = graph.value(source, DCTERMS.identifier), graph.value(subject, DCTERMS.title)
        sources.append(Source(str(source), str(subject), None if name is None else _term(name),
                              None if title is None else _term(title),
                              tuple(sorted(str(c) for c in graph.objects(source, DCTERMS.creator)))))
    labels = tuple(sorted((str(s), _term(o)) for s, o in graph.subject_objects(SKOS.prefLabel)
                          if isinstance(s, URIRef) and isinstance(o, Literal)))
    return Facts(titles, years, tuple(sources), labels)


__all__ = ["Facts", "Source", "facts_of", "facts_of_lines", "TITLED_TYPES", "EMPTY"]
