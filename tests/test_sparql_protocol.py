"""The SPARQL 1.1 Protocol endpoint over real HTTP, case by case after Oxigraph server's tests.

Every test talks to a real `plankg serve` (gunicorn) on a loopback port: ``sparql_server`` is
read-only, ``update_server`` accepts writes with its bearer token; each on every store backend
(tests/backends.py): the embedded store, Oxigraph server and Virtuoso.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import urllib.parse
import uuid

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import Namespace

from backends import every_backend
from conftest import BASE, PLAN_NS, run_plankg

sparql_server, update_server = every_backend()  # on the embedded store, Oxigraph server and Virtuoso

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
LAWS = BASE + "graph/vocab/laws"
MOL = BASE + "graph/mol/108"
JSON_RESULTS = "application/sparql-results+json"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}
SELECT_LAWS = f"SELECT ?law WHERE {{ ?law a <{PLAN_NS}Law> }} ORDER BY ?law LIMIT 3"
TYPES = "SELECT DISTINCT ?t WHERE { ?s a ?t }"
CONSTRUCT = f"CONSTRUCT {{ ?law ?p ?o }} WHERE {{ ?law a <{PLAN_NS}Law> ; ?p ?o }} LIMIT 40"
ONE_MIB = 1 << 20


def form(**params) -> str:
    return urllib.parse.urlencode(params, doseq=True)


def bindings(body: bytes, var: str) -> list[str]:
    return [b[var]["value"] for b in json.loads(body)["results"]["bindings"] if var in b]


def query(server, text: str, accept: str | None = None, timeout: float = 30, **params):
    return server.get("/sparql", {"query": text, **params}, headers={"Accept": accept} if accept else None,
                      timeout=timeout)


# --- the three ways to send a query -----------------------------------------------------------

def test_get_query_answers_json_results_when_no_accept_is_given(sparql_server):
    status, headers, body = query(sparql_server, SELECT_LAWS)
    assert status == 200
    assert headers["content-type"] == JSON_RESULTS
    assert len(bindings(body, "law")) == 3


def test_post_form_query(sparql_server):
    status, _, body = sparql_server.request("POST", "/sparql", form(query=SELECT_LAWS), FORM)
    assert status == 200 and len(bindings(body, "law")) == 3


def test_post_direct_query(sparql_server):
    status, _, body = sparql_server.request("POST", "/sparql", SELECT_LAWS, DIRECT)
    assert status == 200 and len(bindings(body, "law")) == 3


def test_form_body_is_percent_decoded_exactly_once(sparql_server):
    status, _, body = sparql_server.request("POST", "/sparql", form(query='SELECT ("50%41 年" AS ?x) {}'), FORM)
    assert status == 200 and bindings(body, "x") == ["50%41 年"]


def test_query_given_twice_is_400(sparql_server):
    assert sparql_server.get("/sparql", [("query", "ASK {}"), ("query", "ASK {}")])[0] == 400
    assert sparql_server.request("POST", "/sparql?" + form(query="ASK {}"), form(query="ASK {}"), FORM)[0] == 400
    assert sparql_server.request("POST", "/sparql?" + form(query="ASK {}"), "ASK {}", DIRECT)[0] == 400


def test_query_missing_is_400(sparql_server):
    assert sparql_server.get("/sparql", {"default-graph-uri": LAWS})[0] == 400
    assert sparql_server.request("POST", "/sparql", form(foo="bar"), FORM)[0] == 400


def test_query_and_update_together_are_400(sparql_server):
    status, _, body = sparql_server.request("POST", "/sparql", form(query="ASK {}", update="CLEAR ALL"), FORM)
    assert status == 400 and b"both" in body


def test_update_with_get_is_400(sparql_server):
    assert sparql_server.get("/sparql", {"update": "CLEAR ALL"})[0] == 400


def test_other_methods_are_405(sparql_server):
    status, headers, _ = sparql_server.request("PUT", "/sparql?" + form(query="ASK {}"), "", FORM)
    assert status == 405 and "GET" in headers["allow"]


# --- content negotiation ------------------------------------------------------------------------

@pytest.mark.parametrize("accept, expected", [
    ("*/*", JSON_RESULTS),
    ("application/*", JSON_RESULTS),
    ("text/csv;q=0, */*;q=0.1", JSON_RESULTS),
    ("text/*", "text/csv; charset=utf-8"),
    ("text/*, text/csv;q=0", "text/tab-separated-values; charset=utf-8"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("application/json", JSON_RESULTS),
    ("application/xml", "application/sparql-results+xml"),
    ("application/sparql-results+json;charset=utf-8", JSON_RESULTS),
    ("text/tab-separated-values;q=0.5, text/csv;q=0.4", "text/tab-separated-values; charset=utf-8"),
])
def test_accept_picks_the_results_format(sparql_server, accept, expected):
    status, headers, _ = query(sparql_server, SELECT_LAWS, accept)
    assert status == 200 and headers["content-type"] == expected


@pytest.mark.parametrize("accept", ["image/png", "*/*;q=0", "text/turtle"])
def test_unacceptable_results_are_406_naming_the_supported_types(sparql_server, accept):
    status, _, body = query(sparql_server, SELECT_LAWS, accept)
    assert status == 406 and b"application/sparql-results+json" in body and b"text/csv" in body


def test_construct_refuses_a_results_only_accept_with_406(sparql_server):
    status, _, body = query(sparql_server, CONSTRUCT, "text/csv")
    assert status == 406 and b"text/turtle" in body


def test_format_parameter_overrides_accept(sparql_server):
    assert query(sparql_server, SELECT_LAWS, JSON_RESULTS, format="csv")[1]["content-type"].startswith("text/csv")
    assert query(sparql_server, SELECT_LAWS, None, format="text/tab-separated-values")[1]["content-type"].startswith(
        "text/tab-separated-values")
    assert query(sparql_server, CONSTRUCT, "text/turtle", format="nt")[1]["content-type"] == "application/n-triples"
    assert query(sparql_server, SELECT_LAWS, None, format="ttl")[0] == 406
    status, headers, _ = sparql_server.request("POST", "/sparql", form(query=SELECT_LAWS, format="xml"), FORM)
    assert status == 200 and headers["content-type"] == "application/sparql-results+xml"


@pytest.mark.parametrize("accept, rdflib_format, dataset", [
    ("text/turtle", "turtle", False),
    ("application/n-triples", "nt", False),
    ("application/ld+json", "json-ld", False),
    ("application/rdf+xml", "xml", False),
    ("application/n-quads", "nquads", True),
    ("application/trig", "trig", True),
])
def test_construct_is_served_in_every_rdf_format(sparql_server, accept, rdflib_format, dataset):
    _, _, reference = query(sparql_server, CONSTRUCT, "application/n-triples")
    status, headers, body = query(sparql_server, CONSTRUCT, accept)
    assert status == 200 and headers["content-type"].split(";")[0] == accept
    expected = Graph().parse(data=reference, format="nt")
    if dataset:
        got = Graph()
        for s, p, o, _ in Dataset().parse(data=body, format=rdflib_format).quads():
            got.add((s, p, o))
    else:
        got = Graph().parse(data=body, format=rdflib_format)
    assert len(expected) == 40 and isomorphic(got, expected)  # 40 distinct solutions, one triple each


def test_negotiated_responses_vary_on_accept(sparql_server):
    assert "Accept" in query(sparql_server, SELECT_LAWS)[1]["vary"]
    assert "Accept" in sparql_server.get("/sparql")[1]["vary"]


# --- errors -------------------------------------------------------------------------------------

def test_syntax_error_is_400_with_the_parsers_message_and_position(sparql_server, backend):
    status, headers, body = query(sparql_server, "SELECT * WHERE { ?s ?p }")
    assert status == 400 and headers["content-type"].startswith("text/plain")
    if backend == "virtuoso":  # Virtuoso's parser names the line only
        assert b"SP030" in body and b"line 1" in body, body
        assert b"line 3" in query(sparql_server, "SELECT * WHERE {\n ?s ?p \n}")[2]
        return
    assert b"error at 1:25: expected" in body, body  # the column of the query as sent
    assert b"error at 3:2" in query(sparql_server, "SELECT * WHERE {\n ?s ?p \n}")[2]


def test_relative_iris_resolve_against_the_endpoint(sparql_server):
    status, _, body = query(sparql_server, "CONSTRUCT { <s> <p> 1 } WHERE {}", "application/n-triples")
    assert status == 200 and body.startswith(f"<{sparql_server.url}/s> <{sparql_server.url}/p> ".encode())


def test_head_with_a_query_sends_no_body_and_leaves_the_server_usable(sparql_server):
    for _ in range(12):  # each job is cancelled when its unsent body is closed
        status, headers, body = sparql_server.request("HEAD", "/sparql?" + form(query=SELECT_LAWS))
        assert status == 200 and headers["content-type"] == JSON_RESULTS and body == b""
    assert query(sparql_server, "ASK {}", timeout=5)[0] == 200


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/sparql-query; charset=UTF-16"])
def test_wrong_or_missing_content_type_is_415(sparql_server, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    status, _, _ = sparql_server.request("POST", "/sparql", "ASK {}", headers)
    assert status == 415


def test_oversized_body_is_413_naming_the_limit(sparql_server):
    padding = "#" + "x" * ONE_MIB + "\n"
    status, _, body = sparql_server.request("POST", "/sparql", padding + "ASK {}", DIRECT)
    assert status == 413 and str(ONE_MIB).encode() in body


def test_oversized_chunked_body_is_413_not_cut_to_the_limit(sparql_server):
    conn = http.client.HTTPConnection("127.0.0.1", sparql_server.port, timeout=30)
    chunks = [b"#" + b"x" * ONE_MIB, b"\nASK {}"]
    conn.request("POST", "/sparql", body=iter(chunks), headers=DIRECT, encode_chunked=True)
    resp = conn.getresponse()
    assert resp.status == 413 and str(ONE_MIB).encode() in resp.read()
    conn.close()


@pytest.mark.parametrize(("request_head", "status"), [
    (b"GET /sparql?query=" + b"%23" * 6000 + b"%0AASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n", b"414 "),
    (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", b"431 "),
    (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n", b"431 "),
])
def test_oversized_urls_and_headers_are_refused_and_the_server_keeps_serving(sparql_server, request_head, status):
    """The request-size limits (README, "Limits") hold whatever the store: they are the server's
    own, checked before any store is asked."""
    with socket.create_connection(("127.0.0.1", sparql_server.port), timeout=30) as sock:
        sock.sendall(request_head)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
    assert sparql_server.request("GET", "/sparql?query=ASK%7B%7D", None, {"Accept": "text/csv"})[0] == 200


# --- dataset ------------------------------------------------------------------------------------

def test_default_graph_uri_restricts_the_default_graph(sparql_server):
    everything = set(bindings(query(sparql_server, TYPES)[2], "t"))
    laws_only = set(bindings(query(sparql_server, TYPES, **{"default-graph-uri": LAWS})[2], "t"))
    assert PLAN_NS + "Goal" in everything and PLAN_NS + "Law" in laws_only
    assert PLAN_NS + "Goal" not in laws_only and laws_only < everything


def test_named_graph_uri_restricts_graph_patterns(sparql_server):
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert set(bindings(query(sparql_server, graphs, **{"named-graph-uri": LAWS})[2], "g")) == {LAWS}
    body = form(query=graphs, **{"named-graph-uri": [LAWS, MOL]})
    assert set(bindings(sparql_server.request("POST", "/sparql", body, FORM)[2], "g")) == {LAWS, MOL}


def test_dataset_parameters_of_a_direct_post_come_from_the_url(sparql_server):
    path = "/sparql?" + form(**{"default-graph-uri": LAWS})
    status, _, body = sparql_server.request("POST", path, TYPES, DIRECT)
    assert status == 200 and PLAN_NS + "Goal" not in bindings(body, "t")


# --- service description ------------------------------------------------------------------------

def test_get_without_query_returns_the_service_description(sparql_server):
    status, headers, body = sparql_server.get("/sparql")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    sd = Graph().parse(data=body, format="turtle")
    service = next(sd.subjects(SD.endpoint, URIRef(sparql_server.sparql)))
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in sd
    assert (service, SD.feature, SD.UnionDefaultGraph) in sd
    assert (service, SD.feature, SD.BasicFederatedQuery) not in sd
    assert len(list(sd.objects(service, SD.resultFormat))) == 10
    assert {URIRef(LAWS), URIRef(MOL)} <= set(sd.objects(None, SD.name))


@pytest.mark.parametrize("accept, rdflib_format", [
    ("application/rdf+xml", "xml"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld")])
def test_service_description_in_other_rdf_formats(sparql_server, accept, rdflib_format):
    status, headers, body = sparql_server.get("/sparql", headers={"Accept": accept})
    assert status == 200 and headers["content-type"] == accept
    assert (None, SD.endpoint, URIRef(sparql_server.sparql)) in Graph().parse(data=body, format=rdflib_format)


def test_service_description_for_a_browser_is_html(sparql_server):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, body = sparql_server.get("/sparql", headers={"Accept": browser})
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert sparql_server.sparql in page and 'href="/query"' in page and "curl" in page and LAWS in page


def test_head_on_the_endpoint_is_the_service_description_without_body(sparql_server):
    status, headers, body = sparql_server.request("HEAD", "/sparql")
    assert status == 200 and headers["content-type"].startswith("text/turtle") and body == b""


def test_update_server_advertises_sparql_update(update_server):
    sd = Graph().parse(data=update_server.get("/sparql")[2], format="turtle")
    assert (None, SD.supportedLanguage, SD.SPARQL11Update) in sd


# --- cross-cutting HTTP ---------------------------------------------------------------------------

def test_cors_preflight_and_header(sparql_server):
    status, headers, _ = sparql_server.request("OPTIONS", "/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert status == 204 and "POST" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()
    assert query(sparql_server, "ASK {}")[1]["access-control-allow-origin"] == "*"


def test_healthz(sparql_server):
    assert sparql_server.get("/healthz")[:3:2] == (200, b"ok\n")


def test_query_time_header(sparql_server):
    headers = query(sparql_server, "ASK {}")[1]
    assert float(headers["x-plankg-query-ms"]) >= 0
    assert "X-Plankg-Query-Ms" in headers["access-control-expose-headers"]


# --- writes: refused, authorised ------------------------------------------------------------------

def test_update_on_a_read_only_server_is_403(sparql_server):
    direct = {"Content-Type": "application/sparql-update"}
    for body, headers in ((form(update="CLEAR ALL"), FORM), ("CLEAR ALL", direct)):
        status, _, text = sparql_server.request("POST", "/sparql", body, {**headers, "Authorization": "Bearer x"})
        assert status == 403 and b"read-only" in text
    assert sparql_server.request("PUT", "/store?default", "", {"Content-Type": "text/turtle"})[0] == 403


def test_update_without_a_token_is_401_with_a_bearer_challenge(update_server):
    status, headers, _ = update_server.request("POST", "/sparql", "CLEAR ALL",
                                               {"Content-Type": "application/sparql-update"})
    assert status == 401 and headers["www-authenticate"] == 'Bearer realm="plankg"'


def test_update_with_a_wrong_token_is_403(update_server):
    status, _, _ = update_server.request("POST", "/sparql", form(update="CLEAR ALL"),
                                         {**FORM, "Authorization": "Bearer not-the-token"})
    assert status == 403


def test_update_with_the_token_is_applied(update_server):
    graph = f"http://example.org/test/{uuid.uuid4()}"
    update = f'INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/s> <http://example.org/p> "一" }} }}'
    status, _, _ = update_server.request("POST", "/sparql", update,
                                         {"Content-Type": "application/sparql-update", **update_server.auth()})
    assert status == 204
    assert bindings(query(update_server, f"SELECT ?o {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")[2], "o") == ["一"]


def test_an_updates_relative_iris_resolve_against_the_endpoint_and_its_errors_point_into_it(update_server, backend):
    headers = {"Content-Type": "application/sparql-update", **update_server.auth()}
    graph = f"http://example.org/test/{uuid.uuid4()}"
    update = f"INSERT DATA {{ GRAPH <{graph}> {{ <s> <p> 1 }} }}"
    assert update_server.request("POST", "/sparql", update, headers)[0] == 204
    assert bindings(query(update_server, f"SELECT ?s {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")[2], "s") == [
        f"{update_server.url}/s"]
    status, _, body = update_server.request("POST", "/sparql", "INSERT DATA { <s> <p> }", headers)
    position = b"line 1" if backend == "virtuoso" else b"error at 1:23"  # the column of the update as sent
    assert status == 400 and position in body, body


def test_using_graph_uri_with_a_with_clause_is_400(update_server):
    path = "/sparql?" + form(**{"using-graph-uri": "http://example.org/g"})
    update = "WITH <http://example.org/h> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"
    status, _, _ = update_server.request("POST", path, update,
                                         {"Content-Type": "application/sparql-update", **update_server.auth()})
    assert status == 400


# --- federation: refused before any connection -----------------------------------------------------

@pytest.fixture
def listener():
    """A local TCP listener that records whether anything connected to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def test_service_to_a_target_outside_the_allowlist_is_403_and_never_contacted(sparql_server, listener):
    target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    status, _, body = query(sparql_server, f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}")
    assert status == 403 and target.encode() in body
    assert query(sparql_server, f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}")[0] == 403
    assert connections(listener) == 0


def test_load_from_a_target_outside_the_allowlist_is_403_and_never_contacted(update_server, listener):
    target = f"http://127.0.0.1:{listener.getsockname()[1]}/data.ttl"
    status, _, _ = update_server.request("POST", "/sparql", f"LOAD <{target}>",
                                         {"Content-Type": "application/sparql-update", **update_server.auth()})
    assert status == 403 and connections(listener) == 0


# --- Graph Store Protocol ------------------------------------------------------------------------

TURTLE = {"Content-Type": "text/turtle"}
DATA = '<http://example.org/s> <http://example.org/p> "二" .\n'


def test_graph_store_put_get_post_delete_round_trip(update_server):
    graph = f"http://example.org/gsp/{uuid.uuid4()}"
    path = "/store?" + form(graph=graph)
    auth = update_server.auth()
    assert update_server.request("GET", path)[0] == 404
    assert update_server.request("PUT", path, DATA, {**TURTLE, **auth})[0] == 201
    assert update_server.request("PUT", path, DATA, {**TURTLE, **auth})[0] == 204
    more = '<http://example.org/s> <http://example.org/p> "三" .\n'
    assert update_server.request("POST", path, more, {"Content-Type": "application/n-triples", **auth})[0] == 204
    status, headers, body = update_server.request("GET", path, headers={"Accept": "text/turtle"})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    assert len(Graph().parse(data=body, format="turtle")) == 2
    status, headers, body = update_server.request("HEAD", path)
    assert status == 200 and headers["content-type"].startswith("text/turtle") and body == b""
    assert update_server.request("DELETE", path, headers=auth)[0] == 204
    assert update_server.request("DELETE", path, headers=auth)[0] == 404


def test_graph_store_post_without_a_graph_creates_one(update_server):
    status, headers, _ = update_server.request("POST", "/store", DATA, {**TURTLE, **update_server.auth()})
    assert status == 201
    created = headers["location"]
    status, _, body = update_server.request("GET", "/store?" + form(graph=created),
                                            headers={"Accept": "application/n-triples"})
    assert status == 200 and "二" in body.decode()


def test_graph_store_writes_need_the_token(update_server):
    path = "/store?" + form(graph="http://example.org/gsp/x")
    assert update_server.request("PUT", path, DATA, TURTLE)[0] == 401
    assert update_server.request("PUT", path, DATA, {**TURTLE, "Authorization": "Bearer wrong"})[0] == 403


def test_graph_store_read_is_allowed_on_a_read_only_server(sparql_server):
    status, headers, body = sparql_server.get("/store", {"graph": LAWS}, headers={"Accept": "application/n-triples"})
    assert status == 200 and headers["content-type"] == "application/n-triples" and len(body.splitlines()) == 518


def test_graph_store_put_of_malformed_data_is_400_and_keeps_the_graph(update_server):
    graph = f"http://example.org/gsp/{uuid.uuid4()}"
    path = "/store?" + form(graph=graph)
    assert update_server.request("PUT", path, DATA, {**TURTLE, **update_server.auth()})[0] == 201
    status, _, body = update_server.request("PUT", path, "<http://a> <http://b> .", {**TURTLE, **update_server.auth()})
    assert status == 400 and b"line 1" in body
    kept = update_server.get("/store", {"graph": graph}, headers={"Accept": "application/n-triples"})[2]
    assert "二" in kept.decode()


def test_graph_store_refuses_unsupported_uploads_with_415(update_server):
    path = "/store?" + form(graph="http://example.org/gsp/q")
    for content_type in ("application/n-quads", "text/csv", None):
        headers = {**update_server.auth(), **({"Content-Type": content_type} if content_type else {})}
        assert update_server.request("PUT", path, DATA, headers)[0] == 415


def test_graph_store_default_is_the_stores_own_default_graph(update_server):
    auth = update_server.auth()
    assert update_server.request("PUT", "/store?default", DATA, {**TURTLE, **auth})[0] == 204
    status, _, body = update_server.get("/store", {"default": ""}, headers={"Accept": "application/n-triples"})
    assert status == 200 and body.decode().count("\n") == 1
    assert update_server.request("DELETE", "/store?default", headers=auth)[0] == 204


def test_whole_dataset_is_served_as_n_quads(sparql_server):
    status, headers, body = sparql_server.get("/store", headers={"Accept": "application/n-quads"})
    assert status == 200 and headers["content-type"] == "application/n-quads"
    assert f"<{LAWS}> .".encode() in body and f"<{MOL}> .".encode() in body


# --- plankg serve ---------------------------------------------------------------------------------

def test_serve_refuses_a_short_update_token(built_store):
    proc = run_plankg("serve", "--store", str(built_store), "--port", "0", env={"PLANKG_UPDATE_TOKEN": "short"})
    assert proc.returncode == 2 and "shorter than 16" in proc.stderr


def test_serve_logs_each_request_and_runs_one_worker_when_writable(sparql_server, update_server):
    query(sparql_server, "ASK { ?s ?p ?o }")
    assert re.search(r"plankg\.access: GET /sparql\?query=ASK\S* 200 \d+ bytes", sparql_server.log())
    assert re.search(r"read-write .*, 1 worker\(s\)", update_server.log())


def test_each_worker_copies_a_small_store_into_memory_at_start_and_a_writable_one_stays_on_disk(
        sparql_server, update_server, backend):
    if backend != "embedded":
        pytest.skip("the embedded store's memory copy: a remote store is queried on its server")
    build = sparql_server.store.resolve().name
    assert sparql_server.log().count(f"serving {build} from memory") >= 2  # one per worker
    assert "from disk, read-write" in update_server.log() and "from memory" not in update_server.log()


@pytest.mark.slow
def test_serve_builds_the_bundled_plans_when_the_store_is_missing(tmp_path):
    from server_support import start_server, stop

    server = start_server(tmp_path / "store", tmp_path / "server.log", "--workers", "1")
    try:
        status, _, body = query(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?p a <{PLAN_NS}Program> }}")
        assert status == 200 and bindings(body, "n") == ["44"]
        assert "building the bundled plans first" in server.log()
        # The build ran in a process of its own: the one that forks the workers has no engine threads.
        assert len(os.listdir(f"/proc/{server.proc.pid}/task")) == 1
    finally:
        stop(server)
    assert "SIGSEGV" not in server.log()


def test_graph_store_direct_identification_and_multipart_post(update_server):
    path = f"/store/direct/{uuid.uuid4()}"
    auth = update_server.auth()
    assert update_server.request("PUT", path, DATA, {**TURTLE, **auth})[0] == 201
    boundary = "plankg-test-boundary"
    part = ('--{b}\r\nContent-Disposition: form-data; name="f{i}"; filename="f{i}.nt"\r\n'
            'Content-Type: application/n-triples\r\n\r\n<http://example.org/s> <http://example.org/p> "{i}" .\r\n')
    body = "".join(part.format(b=boundary, i=i) for i in (1, 2)) + f"--{boundary}--\r\n"
    status, _, _ = update_server.request("POST", path, body,
                                         {"Content-Type": f"multipart/form-data; boundary={boundary}", **auth})
    assert status == 204
    graph = Graph().parse(data=update_server.get(path, headers={"Accept": "text/turtle"})[2], format="turtle")
    assert len(graph) == 3
    status, _, body = update_server.get("/store", {"graph": update_server.url + path},
                                        headers={"Accept": "application/n-triples"})
    assert status == 200 and len(body.splitlines()) == 3


def test_small_result_is_sent_whole_with_a_content_length(sparql_server):
    status, headers, body = query(sparql_server, SELECT_LAWS)
    assert status == 200
    assert int(headers["content-length"]) == len(body)
    assert "chunked" not in headers.get("transfer-encoding", "")


def test_large_result_is_streamed_in_chunks(sparql_server):
    cross = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 20000"
    status, headers, body = query(sparql_server, cross, accept="text/csv")
    assert status == 200
    assert "content-length" not in headers  # streamed: the size is not known when headers go out
    assert body.count(b"\r\n") == 20001


def test_a_store_that_cannot_be_opened_is_503_with_the_reason(tmp_path):
    from plankg.server import create_app

    app = create_app({"STORE": str(tmp_path)})  # `plankg serve` refuses this at start; the store may go later
    try:
        client = app.test_client()
        resp = client.get("/sparql", query_string={"query": "ASK {}"})
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "60"
        assert resp.get_data(as_text=True).startswith(f"the store is not available: no plankg store at {tmp_path}")
        assert client.get("/healthz").status_code == 503
    finally:
        app.extensions["plankg"].close()
