"""The ontology document: its source Turtle, conversions, and HTML documentation made from it.

The source is the package's ``ontology/plankg.ttl`` (:func:`plankg.resources.ontology`), read
once per process: it is a file of the installed package, not the store, so serving it opens no
store handle. The HTML lists every class and property the ontology defines (``plan:`` terms),
with an anchor per term (``#Goal``), labels in English and Traditional Chinese, the definition
in the page language, domain and range (``owl:unionOf`` shown as A ∪ B), super-classes and
super-properties, sub-classes, inverses and characteristics.
"""

from __future__ import annotations

from functools import lru_cache

from flask import url_for
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from plankg import resources
from plankg.namespaces import ONTOLOGY_IRI, PLAN, PREFIXES
from plankg.server.ui import i18n
from plankg.server.ld.view import LINK_SCHEMES, curie, pick

ONTOLOGY = URIRef(ONTOLOGY_IRI)
CHARACTERISTICS = (OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.TransitiveProperty,
                   OWL.SymmetricProperty)
SECTIONS = (("classes", (OWL.Class, RDFS.Class)), ("object_properties", (OWL.ObjectProperty,)),
            ("datatype_properties", (OWL.DatatypeProperty,)),
            ("other_properties", (OWL.AnnotationProperty, RDF.Property)))


@lru_cache(maxsize=1)
def source() -> bytes:
    """The ontology Turtle exactly as shipped."""
    return resources.ontology().read_bytes()


@lru_cache(maxsize=1)
def _graph() -> Graph:
    return Graph().parse(data=source(), format="turtle", publicID=ONTOLOGY_IRI)


@lru_cache(maxsize=8)
def convert(fmt) -> bytes:
    """The ontology in another RDF format (pyoxigraph ``RdfFormat``), by Oxigraph."""
    from pyoxigraph import RdfFormat, parse, serialize

    triples = parse(source(), RdfFormat.TURTLE, base_iri=ONTOLOGY_IRI)
    return serialize(triples, format=fmt, prefixes=PREFIXES)


def _lits(g: Graph, node, predicate) -> list:
    """rdflib literals as pyoxigraph-like objects for :func:`plankg.server.ld.view.pick`."""
    from pyoxigraph import Literal as OxLiteral

    return [OxLiteral(str(o), language=o.language) if o.language else OxLiteral(str(o))
            for o in g.objects(node, predicate) if isinstance(o, Literal)]


def _text(g: Graph, node, predicate, lang: str) -> str | None:
    found = pick(_lits(g, node, predicate), lang)
    return found.value if found is not None else None


class _Doc:
    """Builds the documentation of one ontology graph in one language."""

    def __init__(self, g: Graph, lang: str):
        self.g = g
        self.lang = lang
        self.page = url_for("ld.ontology_as", ext="html")

    def link(self, iri: URIRef) -> dict:
        s = str(iri)
        if s.startswith(PLAN):
            href = "#" + s[len(PLAN):]
        elif s == ONTOLOGY_IRI:
            href = self.page
        else:
            href = s if s.split(":", 1)[0] in LINK_SCHEMES else None
        return {"kind": "iri", "iri": s, "href": href, "text": curie(s), "curie": curie(s),
                "label": _text(self.g, iri, RDFS.label, self.lang)}

    def expr(self, node) -> dict:
        """A class expression: a named class, or a union of named classes."""
        if isinstance(node, BNode):
            members = self.g.value(node, OWL.unionOf)
            if members is not None:
                return {"kind": "union", "members": [self.expr(m) for m in Collection(self.g, members)]}
            return {"kind": "other", "text": "(anonymous class)"}
        return self.link(node)

    def term(self, iri: URIRef) -> dict:
        g = self.g
        return {
            "anchor": str(iri)[len(PLAN):],
            "iri": str(iri),
            "curie": curie(str(iri)),
            "label": _text(g, iri, RDFS.label, self.lang),
            "label_en": _text(g, iri, RDFS.label, i18n.EN),
            "label_zh": _text(g, iri, RDFS.label, i18n.ZH),
            "definition": _text(g, iri, SKOS.definition, self.lang),
            "note": _text(g, iri, SKOS.scopeNote, self.lang),
            "characteristics": [self.link(c) for c in CHARACTERISTICS if (iri, RDF.type, c) in g],
            "super": [self.expr(o) for p in (RDFS.subClassOf, RDFS.subPropertyOf) for o in sorted(g.objects(iri, p))],
            "sub": [self.link(s) for p in (RDFS.subClassOf, RDFS.subPropertyOf) for s in sorted(g.subjects(p, iri))
                    if isinstance(s, URIRef)],
            "domain": [self.expr(o) for o in g.objects(iri, RDFS.domain)],
            "range": [self.expr(o) for o in g.objects(iri, RDFS.range)],
            "inverse": [self.link(o) for o in sorted(set(g.objects(iri, OWL.inverseOf)) | set(g.subjects(OWL.inverseOf, iri)))
                        if isinstance(o, URIRef)],
        }

    def build(self) -> dict:
        g = self.g
        sections, seen = [], set()
        for key, types in SECTIONS:
            terms = sorted({s for t in types for s in g.subjects(RDF.type, t)
                            if isinstance(s, URIRef) and str(s).startswith(PLAN) and s not in seen})
            seen.update(terms)
            if terms:
                sections.append({"key": key, "terms": [self.term(s) for s in terms]})
        external = sorted({s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef)
                           and not str(s).startswith(PLAN) and s != ONTOLOGY})
        license_ = g.value(ONTOLOGY, DCTERMS.license)
        return {
            "iri": ONTOLOGY_IRI,
            "title": _text(g, ONTOLOGY, DCTERMS.title, self.lang) or ONTOLOGY_IRI,
            "description": _text(g, ONTOLOGY, DCTERMS.description, self.lang),
            "version": str(g.value(ONTOLOGY, OWL.versionInfo) or ""),
            "license": self.link(license_) if isinstance(license_, URIRef) else None,
            "namespace": PLAN,
            "sections": sections,
            "external": [self.link(s) for s in external],
        }


@lru_cache(maxsize=4)
def _document(lang: str, page: str) -> dict:
    return _Doc(_graph(), lang).build()


def document(lang: str) -> dict:
    """The documentation model of the ontology in ``lang`` (cached per language)."""
    return _document(lang, url_for("ld.ontology_as", ext="html"))
