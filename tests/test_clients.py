"""Unmodified SPARQL clients against the real server: SPARQLWrapper and rdflib's SPARQLStore, on
every store backend."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, GET, JSON, POST, POSTDIRECTLY, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper

from backends import every_backend
from conftest import PLAN_NS

sparql_server, update_server = every_backend()  # on the embedded store, Oxigraph server and Virtuoso

PLAN_COUNT = f"SELECT (COUNT(?p) AS ?n) WHERE {{ ?p a <{PLAN_NS}Program> }}"
PROGRAMS = 44
LAWS = f"CONSTRUCT {{ ?law a <{PLAN_NS}Law> }} WHERE {{ ?law a <{PLAN_NS}Law> }}"
LAW_COUNT = 54  # the curated laws of laws.ttl


def wrapper(server, fmt, method=GET, request_method=URLENCODED) -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql)
    client.setMethod(method)
    client.setRequestMethod(request_method)
    client.setReturnFormat(fmt)
    return client


@pytest.mark.parametrize("method, request_method", [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)])
def test_sparqlwrapper_json_select(sparql_server, method, request_method):
    client = wrapper(sparql_server, JSON, method, request_method)
    client.setQuery(PLAN_COUNT)
    result = client.queryAndConvert()
    assert int(result["results"]["bindings"][0]["n"]["value"]) == PROGRAMS


def test_sparqlwrapper_xml_select(sparql_server):
    client = wrapper(sparql_server, XML, POST)
    client.setQuery(PLAN_COUNT)
    doc = client.queryAndConvert()  # an xml.dom.minidom Document
    assert doc.getElementsByTagName("literal")[0].firstChild.data == str(PROGRAMS)


@pytest.mark.parametrize("fmt, sep", [(CSV, ","), (TSV, "\t")])
def test_sparqlwrapper_csv_and_tsv_select(sparql_server, fmt, sep):
    client = wrapper(sparql_server, fmt)
    client.setQuery("SELECT ?a ?b WHERE { VALUES (?a ?b) { (1 2) } }")
    lines = client.queryAndConvert().decode().splitlines()
    assert lines[0].replace("?", "") == f"a{sep}b" and len(lines) == 2


def test_sparqlwrapper_ask(sparql_server):
    client = wrapper(sparql_server, JSON)
    client.setQuery(f"ASK {{ ?p a <{PLAN_NS}Program> }}")
    assert client.queryAndConvert()["boolean"] is True


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # SPARQLWrapper 2.0's
@pytest.mark.parametrize("fmt", [TURTLE, XML])
def test_sparqlwrapper_construct_converts_to_an_rdflib_graph(sparql_server, fmt):
    client = wrapper(sparql_server, fmt)
    client.setQuery(LAWS)
    result = client.query()
    graph = result.convert()
    if isinstance(graph, bytes):  # SPARQLWrapper returns Turtle as bytes
        graph = Graph().parse(data=graph, format="turtle")
    assert len(graph) == LAW_COUNT


def test_rdflib_sparqlstore_query(sparql_server):
    store = SPARQLStore(sparql_server.sparql, returnFormat="json")
    rows = list(store.query(PLAN_COUNT))
    assert rows[0][0] == Literal(PROGRAMS)


def test_rdflib_graph_query_over_sparqlstore(sparql_server):
    graph = Graph(store=SPARQLStore(sparql_server.sparql))
    rows = list(graph.query(f"SELECT ?p WHERE {{ ?p a <{PLAN_NS}Program> }}"))
    assert len(rows) == PROGRAMS and all(isinstance(r[0], URIRef) for r in rows)
    constructed = graph.query(LAWS).graph
    assert len(constructed) == LAW_COUNT
