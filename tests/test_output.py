"""plankg.output: every format parses back; wrong formats are clear errors."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import RdfFormat

from plankg.errors import PlanKGError, QueryError
from plankg.output import EXPORT_FORMATS, FORMATS, GRAPH, SELECT, export, write_results
from plankg.store import OxigraphStore, open_store, publish

EX = "http://example.org/"
G1, G2 = "https://w3id.org/plankg/id/graph/test/1", "https://w3id.org/plankg/id/graph/test/2"
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"
DATA = [
    (G1, f'<{EX}a> <{EX}label> "勞動部"@zh-Hant .\n<{EX}a> <{EX}year> "108"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'.encode()),
    (G2, f'<{EX}b> <{EX}label> "tab\there"@en .\n<{EX}a> <{EX}label> "勞動部"@zh-Hant .\n'.encode()),
]
SELECT_LABELS = f"SELECT DISTINCT ?s ?label ?none WHERE {{ ?s <{EX}label> ?label }} ORDER BY ?s"
ASK_A = f"ASK {{ <{EX}a> ?p ?o }}"
CONSTRUCT_A = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}"
G1_TRIPLES = {
    (rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "label"), rdflib.Literal("勞動部", lang="zh-Hant")),
    (rdflib.URIRef(EX + "a"), rdflib.URIRef(EX + "year"), rdflib.Literal(108)),
}
RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld",
                  "xml": "xml", "nquads": "nquads"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphStore]:
    path = tmp_path_factory.mktemp("output") / "store"
    publish(path, DATA)
    with open_store(path) as opened:
        yield opened


def render(store: OxigraphStore, query: str, fmt: str | None) -> bytes:
    out = io.BytesIO()
    write_results(store.query(query), out, fmt)
    return out.getvalue()


# --- SELECT ---------------------------------------------------------------------------------


def test_select_table_is_the_default(store: OxigraphStore) -> None:
    expected = f"s\tlabel\tnone\n{EX}a\t勞動部\t\n{EX}b\ttab\\there\t\n".encode()
    assert render(store, SELECT_LABELS, None) == expected
    assert render(store, SELECT_LABELS, "table") == expected


def test_table_shows_blank_nodes_with_their_label(tmp_path: Path) -> None:
    publish(tmp_path / "store", [(G1, f"_:n1 <{EX}p> <{EX}o> .\n".encode())])
    with open_store(tmp_path / "store") as store:
        text = render(store, "SELECT ?s ?o WHERE { ?s ?p ?o }", "table").decode()
    header, row = text.splitlines()
    assert header == "s\to" and row.startswith("_:") and row.endswith(f"\t{EX}o")


def test_select_json(store: OxigraphStore) -> None:
    doc = json.loads(render(store, SELECT_LABELS, "json"))
    assert doc["head"]["vars"] == ["s", "label", "none"]
    assert [b["label"] for b in doc["results"]["bindings"]] == [
        {"type": "literal", "value": "勞動部", "xml:lang": "zh-hant"},  # oxigraph lowercases tags
        {"type": "literal", "value": "tab\there", "xml:lang": "en"},
    ]


def test_select_xml(store: OxigraphStore) -> None:
    root = ET.fromstring(render(store, SELECT_LABELS, "xml"))
    assert [v.get("name") for v in root.iter(RESULTS_NS + "variable")] == ["s", "label", "none"]
    assert [u.text for u in root.iter(RESULTS_NS + "uri")] == [EX + "a", EX + "b"]
    assert [lit.text for lit in root.iter(RESULTS_NS + "literal")] == ["勞動部", "tab\there"]


def test_select_csv(store: OxigraphStore) -> None:
    table = list(csv.reader(io.StringIO(render(store, SELECT_LABELS, "csv").decode())))
    assert table == [["s", "label", "none"], [EX + "a", "勞動部", ""], [EX + "b", "tab\there", ""]]


def test_select_tsv(store: OxigraphStore) -> None:
    lines = render(store, SELECT_LABELS, "tsv").decode().splitlines()
    assert lines == ["?s\t?label\t?none", f'<{EX}a>\t"勞動部"@zh-hant\t', f'<{EX}b>\t"tab\\there"@en\t']


def test_select_output_is_streamed_row_by_row(tmp_path: Path) -> None:
    class CountingBuffer(io.BytesIO):
        writes = 0

        def write(self, data) -> int:
            self.writes += 1
            return super().write(data)

    many = b"".join(f'<{EX}s{i}> <{EX}p> "{i}" .\n'.encode() for i in range(5000))
    publish(tmp_path / "store", [(G1, many)])
    with open_store(tmp_path / "store") as store:
        for fmt in ("table", "json"):
            out = CountingBuffer()
            write_results(store.query("SELECT ?s ?o WHERE { ?s ?p ?o }"), out, fmt)
            assert out.writes > 1 and out.getvalue().count(b"http://example.org/s") == 5000


# --- ASK ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "expected"), [(None, b"true\n"), ("table", b"true\n"),
                                               ("csv", b"true"), ("tsv", b"true")])
def test_ask_plain_formats(store: OxigraphStore, fmt: str | None, expected: bytes) -> None:
    assert render(store, ASK_A, fmt) == expected


def test_ask_false(store: OxigraphStore) -> None:
    assert render(store, f"ASK {{ <{EX}nobody> ?p ?o }}", None) == b"false\n"


def test_ask_json_and_xml(store: OxigraphStore) -> None:
    assert json.loads(render(store, ASK_A, "json"))["boolean"] is True
    assert ET.fromstring(render(store, ASK_A, "xml")).find(RESULTS_NS + "boolean").text == "true"


# --- CONSTRUCT ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [None, *FORMATS[GRAPH]])
def test_construct_formats_parse_back(store: OxigraphStore, fmt: str | None) -> None:
    data = render(store, CONSTRUCT_A, fmt)
    if fmt in ("nq", "trig"):
        dataset = rdflib.Dataset()
        dataset.parse(data=data, format=RDFLIB_FORMATS[fmt])
        triples = {(s, p, o) for s, p, o, _ in dataset.quads()}
    else:
        triples = set(rdflib.Graph().parse(data=data, format=RDFLIB_FORMATS[fmt or "ttl"]))
    assert triples == G1_TRIPLES


def test_turtle_uses_the_project_prefixes(store: OxigraphStore) -> None:
    assert b"@prefix plan: <https://w3id.org/plankg/ontology#> ." in render(store, CONSTRUCT_A, "ttl")


# --- wrong formats --------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "fmt", "message"), [
    (SELECT_LABELS, "ttl",
     "format 'ttl' is for CONSTRUCT/DESCRIBE results; SELECT results can be json, xml, csv, tsv, table"),
    (ASK_A, "jsonld",
     "format 'jsonld' is for CONSTRUCT/DESCRIBE results; ASK results can be json, xml, csv, tsv, table"),
    (CONSTRUCT_A, "csv",
     "format 'csv' is for SELECT/ASK results; CONSTRUCT/DESCRIBE results can be ttl, nt, nq, trig, jsonld, xml"),
    (CONSTRUCT_A, "table",
     "format 'table' is for SELECT/ASK results; CONSTRUCT/DESCRIBE results can be ttl, nt, nq, trig, jsonld, xml"),
    (SELECT_LABELS, "yaml", "unknown format 'yaml'; SELECT results can be json, xml, csv, tsv, table"),
])
def test_a_format_that_does_not_fit_is_a_query_error(store: OxigraphStore, query: str, fmt: str,
                                                     message: str) -> None:
    out = io.BytesIO()
    with pytest.raises(QueryError) as caught:
        write_results(store.query(query), out, fmt)
    assert str(caught.value) == message
    assert out.getvalue() == b""


def test_formats_cover_every_kind() -> None:
    assert set(FORMATS[SELECT]) == {"json", "xml", "csv", "tsv", "table"}
    assert set(FORMATS[GRAPH]) == {"ttl", "nt", "nq", "trig", "jsonld", "xml"}


# --- export ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["nquads", "trig"])
def test_dataset_exports_keep_the_named_graphs(store: OxigraphStore, fmt: str) -> None:
    out = io.BytesIO()
    export(store, out, fmt)
    dataset = rdflib.Dataset()
    dataset.parse(data=out.getvalue(), format=RDFLIB_FORMATS[fmt])
    by_graph: dict[str, int] = {}
    for _, _, _, graph in dataset.quads():
        by_graph[str(graph)] = by_graph.get(str(graph), 0) + 1
    assert by_graph == {G1: 2, G2: 2}


@pytest.mark.parametrize("fmt", ["ttl", "jsonld"])
def test_union_exports_drop_the_graph_names(store: OxigraphStore, fmt: str) -> None:
    out = io.BytesIO()
    export(store, out, fmt)
    graph = rdflib.Graph().parse(data=out.getvalue(), format=RDFLIB_FORMATS[fmt])
    assert len(graph) == 3  # a's label is in both graphs, written once
    assert G1_TRIPLES <= set(graph)
    assert G1.encode() not in out.getvalue()


def test_store_dump_writes_a_json_ld_dataset(store: OxigraphStore) -> None:
    out = io.BytesIO()
    store.dump(out, RdfFormat.JSON_LD)
    dataset = rdflib.Dataset()
    dataset.parse(data=out.getvalue(), format="json-ld")
    assert {str(g) for _, _, _, g in dataset.quads()} == {G1, G2}


def test_unknown_export_format(store: OxigraphStore) -> None:
    with pytest.raises(PlanKGError, match="unknown export format 'xml'; use one of nquads, trig, ttl, jsonld, stratml"):
        export(store, io.BytesIO(), "xml")
    assert set(EXPORT_FORMATS) == {"nquads", "trig", "ttl", "jsonld"}
