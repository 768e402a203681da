"""The served catalog record conforms to the official DCAT-AP 3.0.1 SHACL shapes (tests/data/dcat-ap/,
from SEMICeu/DCAT-AP, CC-BY 4.0: see SOURCE.md): the main shapes and the range shapes, zero results.

The record is fetched from a real `plankg serve` (``sparql_server``) at ``/catalog.ttl``, the
metadata graph as the build wrote it (the store's copy has ``dcat:byteSize`` normalised to
``xsd:integer``, which DCAT-AP refuses; see :mod:`plankg.build.publication`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SH, XSD

from conftest import BASE

SHAPES = Path(__file__).parent / "data" / "dcat-ap"
DATASET = URIRef(BASE + "dataset")
EU = "http://publications.europa.eu/resource/authority/"


def dcat_ap_shapes() -> Graph:
    g = Graph().parse(SHAPES / "dcat-ap-SHACL.ttl").parse(SHAPES / "ranges.ttl")
    for shape, prop in list(g.subject_objects(SH.property)):
        if g.value(prop, SH.path) is None:  # referenced, defined nowhere (SOURCE.md)
            g.remove((shape, SH.property, prop))
    return g


@pytest.fixture(scope="module")
def record(sparql_server) -> Graph:
    status, headers, body = sparql_server.get("/catalog.ttl")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    return Graph().parse(data=body, format="turtle")


def test_the_served_catalog_record_conforms_to_dcat_ap_3_0_1(record):
    conforms, report, text = validate(record, shacl_graph=dcat_ap_shapes(), inference="none", allow_warnings=True)
    results = list(report.subjects(RDF.type, SH.ValidationResult))
    assert conforms and not results, text


def test_the_record_has_the_recommended_values(record):
    assert record.value(URIRef(BASE + "catalog"), DCTERMS.publisher) == URIRef(BASE + "agent/plankg")
    assert set(record.objects(None, DCTERMS.publisher)) >= {URIRef(BASE + "agent/plankg")}
    assert len({o for o in record.objects(None, DCTERMS.publisher) if o == URIRef(BASE + "agent/plankg")}) == 1
    assert not [o for o in record.objects(None, DCTERMS.publisher) if not isinstance(o, URIRef)]
    assert set(record.objects(DATASET, DCAT.theme)) == {URIRef(EU + "data-theme/GOVE"), URIRef(EU + "data-theme/SOCI")}
    assert record.value(DATASET, DCTERMS.spatial) == URIRef(EU + "country/TWN")
    period = record.value(DATASET, DCTERMS.temporal)
    assert record.value(period, DCAT.startDate) == Literal("2019-01-01", datatype=XSD.date)  # fiscal year 108
    assert record.value(period, DCAT.endDate) == Literal("2019-12-31", datatype=XSD.date)
    contact = record.value(DATASET, DCAT.contactPoint)
    assert contact is not None and record.value(contact, URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"))
    formats = {record.value(d, DCTERMS.format) for d in record.objects(DATASET, DCAT.distribution)} - {None}
    assert formats == {URIRef(EU + "file-type/RDF_N_QUADS"), URIRef(EU + "file-type/RDF_TRIG")}
    for d in record.objects(DATASET, DCAT.distribution):
        for size in record.objects(d, DCAT.byteSize):
            assert size.datatype == XSD.nonNegativeInteger


def test_the_ministry_of_labor_is_credited_as_creator_of_its_source_text(record):
    source = URIRef(BASE + "mol/108/source")
    assert (DATASET, DCTERMS.source, source) in record
    assert (source, RDF.type, DCAT.Dataset) in record
    assert record.value(source, DCTERMS.creator) == URIRef(BASE + "org/mol")
    assert Literal("勞動部", lang="zh-Hant") in set(record.objects(URIRef(BASE + "org/mol"), FOAF.name))
