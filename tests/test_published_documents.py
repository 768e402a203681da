"""The ontology's version IRI (/ontology/0.1.0) and the SHACL shapes (/shapes): negotiated like the
other documents, each format at its own URL (Flask test client over the session store)."""

from __future__ import annotations

import pyoxigraph
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from plankg import resources
from plankg.server import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDF_FORMATS = {"ttl": pyoxigraph.RdfFormat.TURTLE, "jsonld": pyoxigraph.RdfFormat.JSON_LD,
               "nt": pyoxigraph.RdfFormat.N_TRIPLES, "rdf": pyoxigraph.RdfFormat.RDF_XML}
PLANSH = "https://w3id.org/plankg/shapes#"


@pytest.fixture(scope="module")
def client(built_store):
    app = create_app({"STORE": str(built_store), "TESTING": True})
    yield app.test_client()
    app.extensions["plankg"].close()


def test_the_version_iri_serves_the_ontology_as_the_ontology_iri_does(client):
    html = client.get("/ontology/0.1.0", headers={"Accept": BROWSER})
    assert html.status_code == 200 and html.headers["Content-Location"] == "/ontology/0.1.0.html"
    assert "Vary" in html.headers and 'rel="alternate"' in html.headers["Link"]
    ttl = client.get("/ontology/0.1.0", headers={"Accept": "text/turtle"})
    assert ttl.headers["Content-Location"] == "/ontology/0.1.0.ttl"
    assert ttl.data == client.get("/ontology/0.1.0.ttl").data == resources.ontology().read_bytes()
    for ext, fmt in RDF_FORMATS.items():
        assert client.get(f"/ontology/0.1.0.{ext}").data == client.get(f"/ontology.{ext}").data
    assert client.get("/ontology/0.2.0").status_code == 404
    assert client.get("/ontology/0.1.0.exe").status_code == 404


def test_shapes_are_negotiated_in_every_format(client):
    ttl = client.get("/shapes", headers={"Accept": "text/turtle"})
    assert ttl.status_code == 200 and ttl.headers["Content-Location"] == "/shapes.ttl"
    assert client.get("/shapes", headers={"Accept": BROWSER}).headers["Content-Location"] == "/shapes.html"
    shipped = Graph()
    for f in resources.shapes():
        shipped.parse(data=f.read_bytes(), format="turtle", publicID="https://w3id.org/plankg/id/")
    served = Graph().parse(data=ttl.data, format="turtle")
    assert len(served) == len(shipped)
    assert (URIRef(PLANSH + "SourceDocumentShape"), RDF.type, SH.NodeShape) in served
    for ext, fmt in RDF_FORMATS.items():
        resp = client.get(f"/shapes.{ext}")
        assert resp.status_code == 200 and len(list(pyoxigraph.parse(resp.data, fmt))) == len(shipped)
    assert client.get("/shapes.exe").status_code == 404


def test_the_shapes_page_lists_every_targeted_shape_with_an_anchor(client):
    body = client.get("/shapes.html").get_data(as_text=True)
    shapes = Graph()
    for f in resources.shapes():
        shapes.parse(data=f.read_bytes(), format="turtle", publicID="https://w3id.org/plankg/id/")
    targeted = {s for p in (SH.targetClass, SH.targetObjectsOf, SH.targetSubjectsOf, SH.targetNode)
                for s in shapes.subjects(p, None)}
    assert len(targeted) > 20
    for shape in targeted:
        assert f'id="{str(shape).split("#")[-1]}"' in body, shape
    assert "spdx:checksum" in body  # the source document's checksum constraint, by its path


def test_catalog_ttl_is_the_metadata_graph_with_its_declared_datatypes(client):
    resp = client.get("/catalog.ttl")
    assert resp.status_code == 200 and resp.mimetype == "text/turtle"
    g = Graph().parse(data=resp.data, format="turtle")
    byte_size = URIRef("http://www.w3.org/ns/dcat#byteSize")
    sizes = list(g.objects(None, byte_size))
    dumps = [d for d in g.subjects(byte_size, None)
             if (d, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef("http://www.w3.org/ns/dcat#Distribution")) in g]
    # the two dumps, and the build's input files (the build activity, owl16) also say their size
    assert len(dumps) == 2 and len(sizes) >= 2
    assert {s.datatype for s in sizes} == {URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")}


def test_the_served_version_iri_is_the_ontologys():
    from rdflib.namespace import OWL

    from plankg.namespaces import ONTOLOGY_IRI, ONTOLOGY_VERSION_IRI

    onto = Graph().parse(data=resources.ontology().read_bytes(), format="turtle")
    assert onto.value(URIRef(ONTOLOGY_IRI), OWL.versionIRI) == URIRef(ONTOLOGY_VERSION_IRI)
