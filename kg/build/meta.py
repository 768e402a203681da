"""Dataset metadata: a VoID description and a DCAT catalog of the published graphs
(the distributions, the service and the catalog itself: :mod:`plankg.build.catalog`).

:func:`metadata_graph` describes the content graphs of a build (everything but the metadata
graph itself) and the dumps made from them (:mod:`plankg.build.dumps`). The build publishes the
result as the named graph ``{BASE}graph/meta`` (:func:`meta_graph_iri`), so the dataset, the
catalog and the distributions dereference like any other resource (``/id/dataset``).

Resources (B = id base, S = site, see :func:`site_for`)::

    B dataset                       void:Dataset, dcat:Dataset: counts, partitions, subsets
    B dataset/linkset/{name}        void:Linkset (law database, cites-law, target-group, wikidata,
                                    eurovoc-exact, eurovoc-close)
    B dataset/distribution/{name}   dcat:Distribution (nquads, trig: the dumps; sparql)
    B dataset/service/sparql        dcat:DataService: the SPARQL endpoint S sparql
    B dataset/period/{y0}-{y1}      dct:PeriodOfTime: the fiscal years present (DCAT-AP, plankg.build.dcatap)
    B agent/plankg                  foaf:Agent: the publisher (its contact point: B agent/plankg/contact)
    B catalog                       dcat:Catalog
    B graph/meta                    dcat:CatalogRecord (the metadata graph is the record)
    B graph/...                     each content graph, a void:Dataset subset with its triples

**Counts** are those of the RDF merge of the content graphs (a triple in two graphs counts
once), which is what ``SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } }`` over the store
minus the metadata graph gives: they are counted on the N-Triples the store loads
(:mod:`plankg.build.voidstats`). Subsets count the triples of their graph.

**Absolute IRIs of the endpoint and the dumps.** Metadata is written at build time, when no
request tells us the host, yet VoID and DCAT need absolute IRIs: they derive from the site
root S, the public URL (``plankg build --public-url``, ``PLANKG_PUBLIC_URL``, :mod:`plankg.config`).
The endpoint is ``S sparql``, the dumps ``S dumps/<file>``, the landing page S. Unset, S is
derived from the id base: the server maps ``BASE + path`` to ``/id/path``, so the site root is
BASE without its final ``id/`` segment (``https://w3id.org/plankg/id/`` → ``https://w3id.org/plankg/``;
``http://127.0.0.1:8000/id/`` → ``http://127.0.0.1:8000/``); the w3id redirects of
deploy/w3id/ make the default ones resolve. A base that does not end in ``id/`` gives its
origin (``scheme://host/``) as the site.

**Datatypes.** ``dcat:byteSize`` is written as ``xsd:nonNegativeInteger`` (DCAT 3); Oxigraph
stores subtypes of ``xsd:integer`` as ``xsd:integer`` (same value), so SPARQL and the /doc/
pages return it typed ``xsd:integer``; ``/catalog.ttl`` serves the graph as the build wrote it
(:data:`plankg.build.publication.CATALOG_FILE`), which DCAT-AP 3.0.1 accepts.

**Dates.** ``dct:issued``/``dct:modified`` are the build time, so two builds of the same input
differ in these two values only (the dumps do not: they exclude this graph). Set
``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) to pin them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from urllib.parse import urlsplit

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, VOID, XSD

from plankg import formats
from plankg.build import dcatap, void_summary, voidstats
from plankg.build.build_activity import BuildRun, add_build
from plankg.build.catalog import DATA_LICENSE, SPARQL_PATH, SPDX, add_catalog, texts
from plankg.build.dumps import Dump
from plankg.build.facts import Facts, facts_of
from plankg.build.lines import triples
from plankg.build.ntriples import ntriples
from plankg.errors import PlanKGError
from plankg.namespaces import ONTOLOGY_IRI, PLAN, PREFIXES, graph_iri

PLAN_NS = Namespace(PLAN)
SITE_ID_SEGMENT = "id/"
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
META_GRAPH = "meta"

LANGUAGE = URIRef("http://id.loc.gov/vocabulary/iso639-1/zh")

LAW_DB = URIRef("https://law.moj.gov.tw/")
LAW_DB_TITLES = (("全國法規資料庫", "zh-Hant"), ("Laws & Regulations Database of The Republic of China (Taiwan)", "en"))
WIKIDATA = URIRef("https://www.wikidata.org/")
EUROVOC = URIRef("http://eurovoc.europa.eu/")
EXTERNAL = {  # outside datasets our links point into: dataset -> (homepage, uriSpace, titles)
    LAW_DB: (LAW_DB, "https://law.moj.gov.tw/", LAW_DB_TITLES),
    WIKIDATA: (WIKIDATA, "http://www.wikidata.org/entity/", (("Wikidata", "en"), ("維基數據", "zh-Hant"))),
    EUROVOC: (URIRef("https://op.europa.eu/en/web/eu-vocabularies/eurovoc"), "http://eurovoc.europa.eu/",
              (("EuroVoc, the EU's multilingual thesaurus", "en"), ("EuroVoc 歐盟多語詞庫", "zh-Hant"))),
}

TITLE = (("plankg: 中華民國政府機關年度施政計畫知識圖譜", "zh-Hant"),
         ("plankg: knowledge graph of the annual administrative plans of Taiwanese government agencies", "en"))
DESCRIPTION = (
    ("年度施政計畫（目標、策略、工作計畫、重要計畫項目及實施內容）與其提及之施政對象及法規，"
     "附原文行號出處；並含本體及控制詞彙。下載檔案含上述所有具名圖，不含本後設資料圖。", "zh-Hant"),
    ("Annual administrative plans (goals, strategies, work plans, programs and activities) with the "
     "target groups and laws their texts name and line-level provenance, plus the ontology and the "
     "controlled vocabularies. The dumps hold all these named graphs, but not this metadata graph "
     "(graph/meta), which describes them.", "en"),
)
KEYWORDS = (("施政計畫", "zh-Hant"), ("annual plan", "en"), ("linked data", "en"), ("Taiwan", "en"))

LINKSETS = (
    # name, link predicate, external target dataset (None: the objects are in our graphs)
    ("law-database", RDFS.seeAlso, LAW_DB),
    ("cites-law", PLAN_NS.citesLaw, None),
    ("target-group", PLAN_NS.targetGroup, None),
    ("wikidata", OWL.sameAs, WIKIDATA),
    ("eurovoc-exact", SKOS.exactMatch, EUROVOC),
    ("eurovoc-close", SKOS.closeMatch, EUROVOC),
)
LISTED = (PLAN_NS.SourceDocument, PLAN_NS.AnnualPlan)  # the classes whose instances the metadata names


def site_for(base: str) -> str:
    """The site root that serves ``base`` at ``/id/`` (see the module docstring)."""
    if base.endswith("/" + SITE_ID_SEGMENT):
        return base[: -len(SITE_ID_SEGMENT)]
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}/"


def build_time(environ: Mapping[str, str] | None = None) -> datetime:
    """When this build happened: ``SOURCE_DATE_EPOCH`` (reproducible builds) if set, else now (UTC)."""
    raw = (os.environ if environ is None else environ).get(SOURCE_DATE_EPOCH)
    if raw is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        return datetime.fromtimestamp(int(raw), timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise PlanKGError(f"{SOURCE_DATE_EPOCH}={raw!r} is not a Unix timestamp") from None


def meta_graph_iri(base: str) -> str:
    """The IRI of the named graph that holds the metadata."""
    return graph_iri(base, META_GRAPH)


def metadata_graph(graphs: Mapping[str, Graph | Facts], base: str, dumps: Iterable[Dump], *,
                   site: str | None = None, issued: datetime | None = None,
                   lines: Mapping[str, str] | None = None, run: BuildRun | None = None,
                   digests: Mapping[str, str | None] | None = None) -> Graph:
    """VoID + DCAT description of the content ``graphs`` (graph IRI → graph, or what the graph says
    of itself, :class:`plankg.build.facts.Facts`) and their ``dumps``; with ``run``, the build as a
    ``prov:Activity`` (:mod:`plankg.build.build_activity`).

    The counts are taken from ``lines``, the graphs' N-Triples as the store loads them
    (:func:`plankg.build.ntriples.ntriples`, graph IRI → text), written here when not given (then
    every value of ``graphs`` must be a graph). ``digests`` (graph IRI → :func:`plankg.build.ntriples.digest`
    of its lines) let the counts take each graph's summary from the cache (:mod:`plankg.build.void_summary`).
    """
    site = site or site_for(base)
    when = Literal((issued or build_time()).replace(microsecond=0).isoformat(), datatype=XSD.dateTime)
    if lines is None:
        lines = {iri: ntriples(graph) for iri, graph in graphs.items()}
    g = Graph()
    for prefix, ns in {**PREFIXES, "void": str(VOID), "dcat": str(DCAT), "spdx": str(SPDX)}.items():
        g.bind(prefix, ns)
    dataset = URIRef(base + "dataset")
    facts = {iri: f if isinstance(f, Facts) else facts_of(f) for iri, f in graphs.items()}
    summaries = void_summary.summaries(lines, base, linked=[f"<{p}>" for _, p, _ in LINKSETS],
                                       listed=[f"<{c}>" for c in LISTED], digests=digests)
    merge = voidstats.merge(lines, base, LISTED, summaries)
    _describe_dataset(g, dataset, base, site, merge, when)
    dcatap.add_profile(g, dataset, base, facts, merge.instances(PLAN_NS.SourceDocument))
    _add_subsets(g, dataset, facts, lines)
    _add_linksets(g, dataset, base, lines, summaries)
    add_catalog(g, dataset, base, site, dumps, URIRef(meta_graph_iri(base)), when)
    dcatap.type_values(g)
    if run is not None:
        add_build(g, dataset, base, run)
    return g


def _count(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def _describe_dataset(g: Graph, dataset: URIRef, base: str, site: str, merge: voidstats.Merge,
                      when: Literal) -> None:
    """Types, titles, statistics, partitions and pointers of the dataset itself."""
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, RDF.type, DCAT.Resource))  # what a catalog record's foaf:primaryTopic is (DCAT-AP)
    texts(g, dataset, DCTERMS.title, TITLE)
    texts(g, dataset, RDFS.label, TITLE)
    texts(g, dataset, DCTERMS.description, DESCRIPTION)
    texts(g, dataset, DCAT.keyword, KEYWORDS)
    g.add((dataset, DCTERMS.license, DATA_LICENSE))
    g.add((dataset, DCTERMS.language, LANGUAGE))
    g.add((dataset, DCTERMS.publisher, dcatap.publisher(g, base)))
    g.add((dataset, DCTERMS.issued, when))
    g.add((dataset, DCTERMS.modified, when))
    g.add((dataset, DCTERMS.conformsTo, URIRef(ONTOLOGY_IRI)))
    g.add((dataset, DCAT.landingPage, URIRef(site)))
    g.add((dataset, FOAF.homepage, URIRef(site)))
    g.add((dataset, VOID.uriSpace, Literal(base)))
    g.add((dataset, VOID.sparqlEndpoint, URIRef(site + SPARQL_PATH)))
    for iri in formats.w3c_iris(formats.carrying(formats.TRIPLES, formats.QUADS)):  # the RDF formats served
        g.add((dataset, VOID.feature, URIRef(iri)))

    types, predicates = merge.classes, merge.properties
    g.add((dataset, VOID.triples, _count(merge.triples)))
    g.add((dataset, VOID.distinctSubjects, _count(merge.subjects)))
    g.add((dataset, VOID.distinctObjects, _count(merge.objects)))
    g.add((dataset, VOID.properties, _count(len(predicates))))
    g.add((dataset, VOID.classes, _count(len(types))))
    g.add((dataset, VOID.entities, _count(merge.entities)))
    for cls, n in sorted(types.items()):
        part = BNode()
        g.add((dataset, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, _count(n)))
    for prop, n in sorted(predicates.items()):
        part = BNode()
        g.add((dataset, VOID.propertyPartition, part))
        g.add((part, VOID.property, prop))
        g.add((part, VOID.triples, _count(n)))
    for vocabulary in sorted(_vocabularies(set(predicates) | set(types))):
        g.add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    for s in merge.instances(PLAN_NS.AnnualPlan):
        g.add((dataset, VOID.exampleResource, s))


def _vocabularies(terms: set) -> set[str]:
    """The namespaces of ``terms``: a known prefix's IRI, else the IRI up to its last # or /."""
    known = sorted(PREFIXES.values(), key=len, reverse=True)
    out = set()
    for term in terms:
        ns = next((k for k in known if term.startswith(k)), None)
        out.add(ns or term[: max(term.rfind("#"), term.rfind("/")) + 1])
    return out


def _add_subsets(g: Graph, dataset: URIRef, facts: Mapping[str, Facts], lines: Mapping[str, str]) -> None:
    """Each content graph is a void:Dataset subset, titled after its plan, scheme or ontology."""
    for iri, found in sorted(facts.items()):
        node = URIRef(iri)
        g.add((dataset, VOID.subset, node))
        g.add((node, RDF.type, VOID.Dataset))
        g.add((node, VOID.triples, _count(triples(lines, iri))))
        for label in found.title_terms():
            g.add((node, DCTERMS.title, label))


def _target(dataset: URIRef, iris: list[str]) -> URIRef:
    """The one graph a side of a linkset lives in, or the whole dataset if several or none."""
    return URIRef(iris[0]) if len(iris) == 1 else dataset


def _add_linksets(g: Graph, dataset: URIRef, base: str, lines: Mapping[str, str],
                  summaries: Mapping[str, void_summary.Summary]) -> None:
    """Linksets: laws → law database (rdfs:seeAlso), plan nodes → laws and → target groups,
    organisations → Wikidata (owl:sameAs), target groups → EuroVoc (skos:exactMatch, closeMatch)."""
    for external, (homepage, space, titles) in EXTERNAL.items():
        g.add((external, RDF.type, VOID.Dataset))
        texts(g, external, DCTERMS.title, titles)
        g.add((external, FOAF.homepage, homepage))
        g.add((external, VOID.uriSpace, Literal(space)))
    found = voidstats.links(lines, [(p, None if external is None else EXTERNAL[external][1])
                                    for _, p, external in LINKSETS], summaries)
    for name, predicate, external in LINKSETS:
        links = found[predicate]
        objects = external if external is not None else _target(dataset, links.objects_in)
        linkset = URIRef(f"{base}dataset/linkset/{name}")
        g.add((dataset, VOID.subset, linkset))
        g.add((linkset, RDF.type, VOID.Linkset))
        g.add((linkset, VOID.linkPredicate, predicate))
        g.add((linkset, VOID.subjectsTarget, _target(dataset, links.subjects_in)))
        g.add((linkset, VOID.objectsTarget, objects))
        g.add((linkset, VOID.target, _target(dataset, links.subjects_in)))
        g.add((linkset, VOID.target, objects))
        g.add((linkset, VOID.triples, _count(links.triples)))
        g.add((linkset, DCTERMS.title, Literal(f"{name} links ({predicate.n3(g.namespace_manager)})", lang="en")))


__all__ = ["metadata_graph", "meta_graph_iri", "site_for", "build_time", "META_GRAPH", "SPDX", "DATA_LICENSE"]
