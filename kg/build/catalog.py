"""The DCAT part of the dataset metadata (:mod:`plankg.build.meta`): the SPARQL service, the
distributions (the dumps, with size and checksum, and the endpoint) and the catalog with its
record, the metadata graph itself."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, VOID, XSD

from plankg.build.dcatap import FILE_TYPE, SPDX, publisher
from plankg.build.dumps import MEDIA_GZIP, Dump

FILE_TYPES = {"nq": "RDF_N_QUADS", "trig": "RDF_TRIG"}  # dump name's format -> EU file-type authority code
IANA_MEDIA = "https://www.iana.org/assignments/media-types/"
SPARQL_PATH = "sparql"
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
DUMP_DESCRIPTION = "All content graphs of the dataset, with their graph names; not the metadata graph."
DATA_LICENSE = URIRef("https://data.gov.tw/license")
"""Open Government Data License, version 1.0 (政府資料開放授權條款－第1版): the plan texts are
published by government agencies; the ontology itself is MIT (see its dct:license)."""


ABOUT_GRAPH = "dataset"
"""The content graph ``{base}graph/dataset`` that travels with the data, in the dumps: the
dataset's title, licence, publisher and where it lives, and the dump files ``void:inDataset`` it.
The full VoID/DCAT description (counts, checksums) is the metadata graph, which the dumps cannot
hold (it describes them)."""


def about_graph(base: str, site: str, dump_paths: Iterable[str], titles) -> Graph:
    """The graph :data:`ABOUT_GRAPH`: enough for a dump found alone to say what it is and its licence."""
    g = Graph()
    dataset = URIRef(base + "dataset")
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, RDF.type, DCAT.Dataset))
    texts(g, dataset, DCTERMS.title, titles)
    g.add((dataset, DCTERMS.license, DATA_LICENSE))
    g.add((dataset, DCTERMS.publisher, publisher(g, base)))
    g.add((dataset, VOID.uriSpace, Literal(base)))
    g.add((dataset, VOID.sparqlEndpoint, URIRef(site + SPARQL_PATH)))
    g.add((dataset, DCAT.landingPage, URIRef(site)))
    for path in dump_paths:
        g.add((dataset, VOID.dataDump, URIRef(site + path)))
        g.add((URIRef(site + path), VOID.inDataset, dataset))
    return g


def add_catalog(g: Graph, dataset: URIRef, base: str, site: str, dumps: Iterable[Dump], record: URIRef,
                when: Literal) -> None:
    """The service, the distributions of ``dataset`` and the catalog whose record is ``record``."""
    service = _add_service(g, dataset, base, site)
    for dump in dumps:
        _add_dump(g, dataset, base, site, dump)
    sparql = URIRef(f"{base}dataset/distribution/sparql")
    g.add((dataset, DCAT.distribution, sparql))
    g.add((sparql, RDF.type, DCAT.Distribution))
    g.add((sparql, DCTERMS.title, Literal("SPARQL endpoint", lang="en")))
    g.add((sparql, DCAT.accessURL, URIRef(site + SPARQL_PATH)))
    g.add((sparql, DCAT.accessService, service))
    _add_catalog(g, dataset, base, site, service, record, when)


def texts(g: Graph, node, predicate, texts) -> None:
    for text, lang in texts:
        g.add((node, predicate, Literal(text, lang=lang)))


def _add_service(g: Graph, dataset: URIRef, base: str, site: str) -> URIRef:
    service = URIRef(f"{base}dataset/service/sparql")
    endpoint = URIRef(site + SPARQL_PATH)
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("plankg SPARQL 1.1 endpoint", lang="en")))
    g.add((service, DCAT.endpointURL, endpoint))
    g.add((service, DCAT.endpointDescription, endpoint))  # the service description (GET, no query)
    g.add((service, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    g.add((service, DCAT.servesDataset, dataset))
    g.add((service, DCTERMS.publisher, publisher(g, base)))
    g.add((service, DCTERMS.license, DATA_LICENSE))
    return service


def _add_dump(g: Graph, dataset: URIRef, base: str, site: str, dump: Dump) -> None:
    """A dcat:Distribution of a dump file, with its size and SHA-256 checksum."""
    kind = dump.name.split('.')[1]
    node = URIRef(f"{base}dataset/distribution/{kind}")
    url = URIRef(site + dump.path)
    g.add((dataset, DCAT.distribution, node))
    g.add((dataset, VOID.dataDump, url))
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCTERMS.title, Literal(dump.title, lang="en")))
    g.add((node, DCTERMS.description, Literal(DUMP_DESCRIPTION, lang="en")))
    g.add((node, DCAT.downloadURL, url))
    g.add((node, DCAT.accessURL, url))
    g.add((node, DCAT.mediaType, URIRef(IANA_MEDIA + dump.media_type)))
    g.add((node, DCAT.compressFormat, URIRef(IANA_MEDIA + MEDIA_GZIP)))
    if kind in FILE_TYPES:
        g.add((node, DCTERMS.format, URIRef(FILE_TYPE + FILE_TYPES[kind])))
    g.add((node, DCAT.byteSize, Literal(dump.byte_size, datatype=XSD.nonNegativeInteger)))
    g.add((node, DCTERMS.license, DATA_LICENSE))
    checksum = BNode()
    g.add((node, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))


def _add_catalog(g: Graph, dataset: URIRef, base: str, site: str, service: URIRef, record: URIRef,
                 when: Literal) -> None:
    catalog = URIRef(base + "catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    texts(g, catalog, DCTERMS.title, (("plankg 資料目錄", "zh-Hant"), ("plankg data catalog", "en")))
    texts(g, catalog, RDFS.label, (("plankg 資料目錄", "zh-Hant"), ("plankg data catalog", "en")))
    g.add((catalog, DCTERMS.description, Literal("The datasets and services of this plankg site.", lang="en")))
    g.add((catalog, DCTERMS.publisher, publisher(g, base)))
    g.add((catalog, DCTERMS.license, DATA_LICENSE))
    g.add((catalog, DCTERMS.issued, when))
    g.add((catalog, DCTERMS.modified, when))
    g.add((catalog, FOAF.homepage, URIRef(site)))
    g.add((catalog, DCAT.dataset, dataset))
    g.add((catalog, DCAT.service, service))
    g.add((catalog, DCAT.record, record))
    g.add((record, RDF.type, DCAT.CatalogRecord))
    g.add((record, FOAF.primaryTopic, dataset))
    g.add((record, DCTERMS.modified, when))
    g.add((record, DCTERMS.issued, when))
    texts(g, record, DCTERMS.title, (("plankg 後設資料（VoID 與 DCAT）", "zh-Hant"),
                                      ("plankg metadata record (VoID and DCAT); also the named graph that holds it", "en")))
