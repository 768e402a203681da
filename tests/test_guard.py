"""plankg.server.guard: the lexical SERVICE/LOAD inspector, checked against pyoxigraph itself."""

from __future__ import annotations

import random
import socket
import threading

import pyoxigraph
import pytest

from plankg.server.guard import (
    QueryInfo,
    Refused,
    check_federation,
    inspect_query,
    inspect_update,
    validate_allowlist,
)

EX = "http://example.org/"
P = f"PREFIX : <{EX}> PREFIX ex: <{EX}ex/> "


# --- query forms -----------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "form"), [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("select*{?s ?p ?o}", "SELECT"),
    ("ASK{}", "ASK"),
    ("ask { ?s ?p ?o }", "ASK"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("construct { ?s ?p ?o } where { ?s ?p ?o }", "CONSTRUCT"),
    ("DESCRIBE <http://example.org/a>", "DESCRIBE"),
    ("describe ?s where { ?s ?p ?o }", "DESCRIBE"),
    ("# SELECT in a comment\nBASE <http://example.org/>\nPREFIX ask: <http://x/>\n"
     "prefix select:<http://y/> PREFIX:<http://z/> PREFIXe:<http://e/> DESCRIBE <a>", "DESCRIBE"),
    ("VERSION '1.2' ASK {}", "ASK"),
    ("PREFIX ex: <http://x/> INSERT DATA { ex:a ex:b ex:c }", None),
    ("{ ?s ?p ?o }", None),
    ("", None),
    ("'SELECT' ASK {}", None),
    ("?x SELECT", None),
])
def test_form_is_the_first_form_keyword_after_the_prologue(query: str, form: str | None) -> None:
    assert inspect_query(query).form == form


# --- SERVICE ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "services"), [
    ("SELECT * { SERVICE <http://a.org/sparql> { ?s ?p ?o } }", ["http://a.org/sparql"]),
    ("select * { service <http://a.org/sparql> { ?s ?p ?o } }", ["http://a.org/sparql"]),
    ("SELECT * { SeRvIcE SiLeNt <http://a.org/> { } }", ["http://a.org/"]),
    ("SELECT * { SERVICE#comment\n<http://a.org/>#comment\n{ } }", ["http://a.org/"]),
    ("ASK{SERVICE<http://a.org/>{}}", ["http://a.org/"]),
    (P + "SELECT * { SERVICE :sparql { } }", [EX + "sparql"]),
    (P + "SELECT * { SERVICE ex:q\\~x { } }", [EX + "ex/q~x"]),
    (P + "SELECT * { SERVICE:sparql{} }", [EX + "sparql"]),  # oxigraph reads SERVICE + :sparql
    (P + "SELECT * { SERVICESILENT:x {} }", [None, EX + "x"]),
    (P + "SELECT * { SERVICE SILENT:x {} }", [None, EX + "x"]),
    (P + "SELECT * { ?s ?p 1.SERVICE <http://a.org/> {} }", ["http://a.org/"]),
    (P + "SELECT * { ?s ?p true SERVICE <http://a.org/> {} }", ["http://a.org/"]),
    (P + "SELECT * { ?s ?p trueSERVICE<http://a.org/> {} }", ["http://a.org/"]),
    (P + "SELECT * { ?s ?p ?o FILTER(EXISTS { SERVICE <http://a.org/> {} }) }", ["http://a.org/"]),
    (P + "SELECT * { OPTIONAL { SERVICE <http://a.org/> {} } MINUS { SERVICE <http://b.org/> {} } }",
     ["http://a.org/", "http://b.org/"]),
    ("SELECT * { SERVICE ?endpoint { } }", [None]),
    ("SELECT * { SERVICE $endpoint { } }", [None]),
    ("SELECT * { SERVICE undeclared:x { } }", [None]),
    ("SELECT * { SERVICE <http://a.org/\\u0073parql> { } }", ["http://a.org/sparql"]),
    ("PREFIX e: <http://a.org/> PREFIX e: <http://b.org/> SELECT * { SERVICE e:x { } }",
     ["http://a.org/x", "http://b.org/x"]),  # the later declaration wins; both are reported
    ("PREFIXe:<http://a.org/> SELECT * { SERVICE e:x { } }", ["http://a.org/x"]),
    ("BASE <http://a.org/> SELECT * { SERVICE <relative> { } }", ["relative"]),
    ("SELECT * { ?s ?p ?o FILTER(?s<?o)SERVICE:x#>\n{ } }", [None]),  # `<…>` that is not an IRI
])
def test_service_is_found_in_every_syntax(query: str, services: list) -> None:
    assert list(inspect_query(query).services) == services


@pytest.mark.parametrize("query", [
    "SELECT * { ?s ?p 'SERVICE <http://a.org/> {}' }",
    'SELECT * { ?s ?p "SERVICE <http://a.org/> {} \\" SERVICE <http://b.org/> {}" }',
    "SELECT * { ?s ?p '''SERVICE\n<http://a.org/> {}''' }",
    'SELECT * { ?s ?p """a""SERVICE <http://a.org/> {}""" }',
    "SELECT * { ?s ?p ?o } # SERVICE <http://a.org/> {}",
    "SELECT * { ?s ?p ?o #\r} ",
    "SELECT * { ?s <http://a.org/SERVICE> <http://www.w3.org/ns/sparql-service-description#Service> }",
    "SELECT * { ?s <http://a.org/service#x> ?o }",
    P + "SELECT * { ?s ?p :SERVICE . ?s ex:service ?o . ?s ?p ex:SERVICE }",
    "PREFIX service: <http://a.org/> SELECT * { ?s service:x ?o . ?s ?p service:y }",
    "PREFIX service: <http://a.org/> SELECT * { GRAPH service:g { ?s ?p ?o } }",
    "SELECT ?service WHERE { ?service ?p $SERVICE }",
    "SELECT * { ?s ?p 'x'@service . _:service ?p ?o }",
])
def test_service_is_not_found_where_it_is_not_a_keyword(query: str) -> None:
    assert inspect_query(query).services == ()
    pyoxigraph.Store().query(query)  # and these are valid queries


def test_a_query_without_service_costs_only_its_prologue() -> None:
    info = inspect_query("PREFIX ex: <http://x/> SELECT * WHERE { " + "?s ex:p ?o . " * 1000 + "}")
    assert info == QueryInfo("SELECT", ())


# --- LOAD ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("update", "loads"), [
    ("LOAD <http://a.org/data.ttl>", ["http://a.org/data.ttl"]),
    ("load silent <http://a.org/d> into graph <http://g>", ["http://a.org/d"]),
    ("LOAD<http://a.org/d>", ["http://a.org/d"]),
    ("LOADSILENT<http://a.org/d>", ["http://a.org/d"]),
    ("LOAD#c\n<http://a.org/d>", ["http://a.org/d"]),
    (P + "LOAD :d", [EX + "d"]),
    (P + "LOAD:d", [EX + "d"]),  # oxigraph reads LOAD + :d
    (P + "INSERT DATA { <http://a> <http://b> 'c' } ; LOAD ex:d", [EX + "ex/d"]),
    (P + "INSERT DATA { <http://a> <http://b> 'c' } ;LOAD:d", [EX + "d"]),
    ("LOAD <file:///etc/passwd>", ["file:///etc/passwd"]),
    ("LOAD ?x", [None]),
    ("LOAD nope:x", [None]),
])
def test_load_is_found_in_every_syntax(update: str, loads: list) -> None:
    assert inspect_update(update).loads == loads


def test_update_services_are_found() -> None:
    info = inspect_update("DELETE { ?s ?p ?o } WHERE { SERVICE <http://a.org/> { ?s ?p ?o } }")
    assert info.services == ["http://a.org/"] and info.loads == []


@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://a> <http://b> 'LOAD <http://x/>' }",
    "INSERT DATA { <http://a> <http://b> <http://a.org/load> } # LOAD <http://x/>",
    "PREFIX load: <http://a.org/> INSERT DATA { <http://a> load:x load:y }",
    "PREFIX : <http://a.org/> INSERT DATA { <http://a> <http://b> :LOAD }",
    "DELETE WHERE { ?load ?p ?o }",
])
def test_load_is_not_found_where_it_is_not_a_keyword(update: str) -> None:
    assert inspect_update(update).loads == []
    pyoxigraph.Store().update(update)


# --- the allowlist ---------------------------------------------------------------------------


ALLOW = ("https://query.wikidata.org/sparql", "http://10.0.0.5:7878/")


@pytest.mark.parametrize("target", [
    "https://query.wikidata.org/sparql",
    "https://query.wikidata.org/sparql?x=1",
    "HTTPS://Query.Wikidata.org:443/sparql",
    "http://10.0.0.5:7878/query",  # private, but the operator allowed it
])
def test_allowlisted_targets_are_accepted(target: str) -> None:
    check_federation([target], ALLOW)


@pytest.mark.parametrize("target", [
    None,  # a variable or an unknown prefix
    "https://evil.org/sparql",
    "https://query.wikidata.org.evil.org/sparql",
    "https://query.wikidata.org@evil.org/sparql",
    "https://evil.org/?https://query.wikidata.org/sparql",
    "http://query.wikidata.org/sparql",  # scheme differs
    "https://query.wikidata.org:8443/sparql",
    "https://query.wikidata.org/other",
    "https://query.wikidata.org/sparql/../admin",
    "https://query.wikidata.org/sparql/%2E%2E/admin",
    "http://10.0.0.5:7879/",
    "file:///etc/passwd",
    "ftp://query.wikidata.org/sparql",
    "relative/path",
    "//query.wikidata.org/sparql",
])
def test_other_targets_are_refused(target: str | None) -> None:
    with pytest.raises(Refused):
        check_federation([target], ALLOW)


def test_an_empty_allowlist_refuses_every_target_and_none_is_fine() -> None:
    check_federation([], ())
    with pytest.raises(Refused, match="allowlist"):
        check_federation(["https://query.wikidata.org/sparql"], ())


def test_allowlist_entries_must_be_http_iris() -> None:
    assert validate_allowlist(list(ALLOW)) == ALLOW
    for bad in ("file:///", "query.wikidata.org", "http://", "http://u@h/"):
        with pytest.raises(ValueError):
            validate_allowlist([bad])


# --- against pyoxigraph: nothing it would fetch goes unseen ------------------------------------


class _Listener:
    """A TCP server that counts connections and closes them: where pyoxigraph's SERVICE/LOAD go."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/x"
        self.hits = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1  # before close: pyoxigraph returns only after the close
            conn.close()


@pytest.fixture(scope="module")
def listener():
    lst = _Listener()
    yield lst
    lst.sock.close()


def _contacts(listener: _Listener, store: pyoxigraph.Store, text: str, update: bool) -> bool:
    before = listener.hits
    try:
        if update:
            store.update(text)
        else:
            result = store.query(text)
            if not isinstance(result, pyoxigraph.QueryBoolean):
                list(result)
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    return listener.hits > before


def _fragments(url: str) -> dict[str, list[str]]:
    iri = f"<{url}>"
    return {
        "prologue": ["", f"PREFIX : <{url}> ", f"PREFIX:<{url}>", f"PREFIX service: <{url}> PREFIX : <{url}> ",
                     f"PREFIXfoo:<{url}> PREFIX : <{url}> ", f"PREFIX load: <{url}> PREFIX : <{url}> "],
        "start": ["SELECT * WHERE { ?s ?p 'c' . ", "SELECT * { ", "ASK{", "SELECT * WHERE { ?s ?p 1 "],
        "before": ["", " ", ".", "1", "1.", "true", "false", "_:b", "_:b.", ":a", ":a.", "?o", "?o.", "'c'",
                   "'c'@en", "'c'^^:d", ")", "}", "{}", "FILTER(?s<?s)", "FILTER(?o<1)", "#x\n", "'''x'''",
                   '"""a""""', "'a\\'", "?s ?p", "?s ?p 'c'", "GRAPH", "OPTIONAL", "MINUS", "~", "<<( ?s ?p ?o )>>"],
        "service": ["SERVICE", "service", "SeRvIcE", "SERVICE SILENT", "SERVICESILENT", "SERVICE\tsilent",
                    "SERVICE#c\n", "ſERVICE", "SERVIC\\u0045", "SERVICEfoo", "SILENT"],
        "target": [iri, " " + iri, ":x", " :x", "foo:x", "service:x", "SILENT:x", ":x#>\n", "#>\n:x",
                   "#>\n" + iri, "?v", f"<{url[:-1]}\\u0078>", ":x.y", ":\\~x"],
        "after": ["{}", " {}", "#c\n{}", " { ?s ?p ?o }", "."],
        "op": ["", "INSERT DATA { <http://a> <http://b> 'd' } ;", "CLEAR DEFAULT ;#c\n",
               "INSERT DATA { <http://a> <http://b> 1 } ", "DELETE WHERE { ?s ?p 'zz' FILTER(?s<?s)};"],
        "load": ["LOAD", "load", "LoAd", "LOAD SILENT", "LOADSILENT", "LOAD#c\n", "LOAD\tsilent", "LOADfoo", "SILENT"],
        "source": [iri, " " + iri, ":x", " :x", "foo:x", "load:x", "SILENT:x", "?v"],
        "tail": ["", " INTO GRAPH <http://g>", " ;", "INTO GRAPH<http://g>"],
    }


def test_every_service_pyoxigraph_calls_is_found(listener: _Listener) -> None:
    """Thousands of tricky spellings: whenever pyoxigraph connects, the guard saw a SERVICE."""
    store = pyoxigraph.Store()
    store.add(pyoxigraph.Quad(pyoxigraph.NamedNode("http://a"), pyoxigraph.NamedNode("http://b"),
                              pyoxigraph.Literal("c")))
    store.add(pyoxigraph.Quad(pyoxigraph.NamedNode("http://a"), pyoxigraph.NamedNode("http://b"),
                              pyoxigraph.Literal(1)))
    f = _fragments(listener.url)
    rng = random.Random(20261125)
    contacted = 0
    for _ in range(6000):
        query = (rng.choice(f["prologue"]) + rng.choice(f["start"]) + rng.choice(f["before"]) + rng.choice(["", " "])
                 + rng.choice(f["service"]) + rng.choice(["", " "]) + rng.choice(f["target"]) + rng.choice(f["after"])
                 + " }")
        if _contacts(listener, store, query, update=False):
            contacted += 1
            assert inspect_query(query).services, f"missed a SERVICE pyoxigraph runs: {query!r}"
    assert contacted > 300  # the generator does reach pyoxigraph's SERVICE often


def test_every_load_pyoxigraph_runs_is_found(listener: _Listener) -> None:
    store = pyoxigraph.Store()
    f = _fragments(listener.url)
    rng = random.Random(20261126)
    contacted = 0
    for _ in range(3000):
        update = (rng.choice(f["prologue"]) + rng.choice(f["op"]) + rng.choice(["", " "]) + rng.choice(f["load"])
                  + rng.choice(["", " "]) + rng.choice(f["source"]) + rng.choice(f["tail"]))
        if _contacts(listener, store, update, update=True):
            contacted += 1
            assert inspect_update(update).loads, f"missed a LOAD pyoxigraph runs: {update!r}"
    assert contacted > 300
