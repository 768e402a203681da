"""The queries behind the linked-data pages, run through the query executor.

Every query goes through ``runtime().executor()`` (the executor owns the store; in
update-enabled mode no other store handle may exist). Queries run against the default graph,
which is the union of all named graphs (data-model notes), hence the ``DISTINCT``s. The
CONSTRUCT result comes back as N-Triples and is serialised here, by Oxigraph, with only the
prefixes it uses.

**The RDF description of a resource R** (:func:`describe_query`; what /doc/ serves as
Turtle, JSON-LD, N-Triples and RDF/XML) is

* its Concise Bounded Description: every triple with R as subject, and recursively the
  triples of the blank nodes among their objects, followed up to :data:`CBD_BNODE_DEPTH`
  blank nodes deep (our data has at most one level outside the ontology, which is served
  from its source file);
* plus its incoming links: every triple ``?s ?p R`` with an IRI subject (at most
  :data:`MAX_INCOMING` subjects), and those subjects' ``rdfs:label``s, so that a client sees
  what points at R and what it is called without a second request.

Everything else a page shows is read by :func:`summaries` (labels, ordinals, types, source
lines and link evidence of the resources around R) and :func:`ancestors` (the breadcrumb).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse, serialize

from plankg.hierarchy import parent_path
from plankg.namespaces import DCT, PLAN, PREFIXES, RDF, RDFS, SKOS
from plankg.server import runtime

CBD_BNODE_DEPTH = 3
MAX_INCOMING = 2000
MAX_SUMMARY_IRIS = 3000
EXTRA_PREFIXES = {"void": "http://rdfs.org/ns/void#", "dcat": "http://www.w3.org/ns/dcat#",
                  "spdx": "http://spdx.org/rdf/terms#", "vann": "http://purl.org/vocab/vann/"}
TURTLE_PREFIXES = {**PREFIXES, **EXTRA_PREFIXES}

RDF_TYPE = RDF + "type"
LABEL_PREDICATES = (RDFS + "label", SKOS + "prefLabel", DCT + "title")
SUMMARY_PREDICATES = LABEL_PREDICATES + (
    RDF_TYPE, PLAN + "ordinal", PLAN + "sourceFile", PLAN + "startLine", PLAN + "endLine",
    PLAN + "matchedText", PLAN + "matchOffset", PLAN + "linkTarget", PLAN + "linkProperty",
    PLAN + "alignedFrom", PLAN + "alignedTo", PLAN + "score", PLAN + "rank", PLAN + "accepted", PLAN + "evidence",
)
"""What :func:`summaries` reads about each resource next to the one shown."""

PARENT_PATH = parent_path()
"""One step from a plan node to its parent (the evidence of a link belongs to its node)."""


def _executor():
    """The query executor of this process."""
    return runtime().executor()


def _iri(value: str) -> str:
    """``value`` as a SPARQL IRI reference; NamedNode checks it is a valid IRI."""
    return str(NamedNode(value))


def exists(iri: str) -> bool:
    """Whether any triple has ``iri`` as subject or object."""
    ref = _iri(iri)
    return bool(_executor().ask(f"ASK {{ {{ {ref} ?p ?o }} UNION {{ ?s ?p {ref} }} }}"))


def describe_query(iri: str) -> str:
    """The CONSTRUCT query of a resource's description (see the module docstring)."""
    ref = _iri(iri)
    chains = []
    for depth in range(1, CBD_BNODE_DEPTH + 1):
        hops = " ".join(f"{'?b' + str(i - 1) if i > 1 else ref} ?h{i} ?b{i} ." for i in range(1, depth + 1))
        blank = " && ".join(f"isBlank(?b{i})" for i in range(1, depth + 1))
        chains.append(f"{{ {hops} FILTER({blank}) ?b{depth} ?p{depth} ?o{depth} }}")
    template = " ".join(f"?b{d} ?p{d} ?o{d} ." for d in range(1, CBD_BNODE_DEPTH + 1))
    return f"""CONSTRUCT {{ {ref} ?p ?o . {template} ?in ?ip {ref} . ?in <{RDFS}label> ?inl . }}
WHERE {{
  {{ {ref} ?p ?o }}
  UNION {" UNION ".join(chains)}
  UNION {{ {{ SELECT DISTINCT ?in ?ip WHERE {{ ?in ?ip {ref} FILTER(isIRI(?in)) }} LIMIT {MAX_INCOMING} }}
           OPTIONAL {{ ?in <{RDFS}label> ?inl }} }}
}}"""


def description(iri: str) -> list[Triple]:
    """The triples of the description of ``iri`` (CBD + labelled incoming links)."""
    data = _executor().construct(describe_query(iri), RdfFormat.N_TRIPLES)
    return list(dict.fromkeys(parse(data, RdfFormat.N_TRIPLES)))


def serialize_description(triples: Iterable[Triple], fmt: RdfFormat) -> bytes:
    """``triples`` in ``fmt``, by Oxigraph, declaring the usual prefixes that they use."""
    triples = sorted(triples, key=str)
    iris = {term.value for tr in triples for term in (tr.subject, tr.predicate, tr.object) if isinstance(term, NamedNode)}
    iris |= {tr.object.datatype.value for tr in triples if isinstance(tr.object, Literal)}
    used = {p: ns for p, ns in TURTLE_PREFIXES.items() if any(i.startswith(ns) for i in iris)}
    return serialize(triples, format=fmt, prefixes=used)


@dataclass
class Summary:
    """What :func:`summaries` knows of one resource: values of :data:`SUMMARY_PREDICATES`."""

    iri: str
    values: dict[str, list] = field(default_factory=lambda: defaultdict(list))

    def first(self, predicate: str):
        vals = self.values.get(predicate)
        return vals[0] if vals else None

    def literal_value(self, predicate: str):
        term = self.first(predicate)
        return term.value if term is not None else None

    @property
    def types(self) -> list[str]:
        return sorted(t.value for t in self.values.get(RDF_TYPE, ()))

    @property
    def ordinal(self) -> int | None:
        value = self.literal_value(PLAN + "ordinal")
        return int(value) if value is not None else None

    @property
    def labels(self) -> list[Literal]:
        return [v for p in LABEL_PREDICATES for v in self.values.get(p, ()) if isinstance(v, Literal)]


def summaries(iris: Iterable[str]) -> dict[str, Summary]:
    """Labels, types, ordinals, source lines and evidence of each of ``iris`` (IRIs only)."""
    wanted = sorted(set(iris))[:MAX_SUMMARY_IRIS]
    out = {i: Summary(i) for i in wanted}
    if not wanted:
        return out
    values = " ".join(_iri(i) for i in wanted)
    predicates = " ".join(_iri(p) for p in SUMMARY_PREDICATES)
    query = f"SELECT DISTINCT ?x ?p ?v WHERE {{ VALUES ?x {{ {values} }} VALUES ?p {{ {predicates} }} ?x ?p ?v }}"
    for row in _executor().select(query):
        out[row["x"].value].values[row["p"].value].append(row["v"])
    return out


def ancestors(iri: str) -> list[Summary]:
    """The plan nodes above ``iri`` (its plan, goal … program), unordered, with summaries."""
    query = f"SELECT DISTINCT ?a WHERE {{ {_iri(iri)} ({PARENT_PATH})+ ?a FILTER(isIRI(?a)) }}"
    found = [row["a"].value for row in _executor().select(query)]
    return list(summaries(found).values())


__all__ = ["exists", "description", "describe_query", "serialize_description", "summaries", "ancestors",
           "Summary", "CBD_BNODE_DEPTH", "MAX_INCOMING"]
