"""The real SPARQL servers of tests/sparql_servers.py start, answer, accept authenticated writes
(SPARQL Update and a Graph Store Protocol PUT) and stop, leaving their port closed.

Skipped with the reason when a server is not installed (``python3 scripts/setup-ui.py servers``
and the ``test`` extra's ``oxigraph``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from sparql_servers import Unavailable, port_open, start_oxigraph, start_virtuoso

pytestmark = pytest.mark.slow

TTL = b'@prefix ex: <http://example.org/> .\nex:a ex:name "\xe8\xa8\x88\xe7\x95\xab"@zh-Hant ; ex:n 1 .\n'


def _opener(ends):
    if ends.auth is None:
        return urllib.request.build_opener()
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, ends.update_url.rsplit("/", 1)[0], ends.user, ends.password)
    handler = {"digest": urllib.request.HTTPDigestAuthHandler,
               "basic": urllib.request.HTTPBasicAuthHandler}[ends.auth](passwords)
    return urllib.request.build_opener(handler)


def _select(ends, query: str) -> list[dict]:
    url = ends.query_url + "?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.load(response)["results"]["bindings"]


def _send(ends, method: str, url: str, body: bytes, content_type: str) -> int:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": content_type})
    with _opener(ends).open(request, timeout=30) as response:
        return response.status


@pytest.fixture(params=["oxigraph", "virtuoso"])
def server(request, tmp_path):
    start = {"oxigraph": start_oxigraph, "virtuoso": start_virtuoso}[request.param]
    try:
        ends, stop = start(tmp_path)
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        yield ends
    finally:
        stop()
    port = urllib.parse.urlsplit(ends.query_url).port
    assert not port_open(port), f"{ends.name} still listens on {port} after stop()"


def test_select_answers(server):
    rows = _select(server, "SELECT ?x WHERE { VALUES ?x { 1 2 } }")
    assert sorted(row["x"]["value"] for row in rows) == ["1", "2"]


def test_update_is_seen(server):
    if server.name == "virtuoso":
        assert server.auth == "digest" and server.user == "dba"
    update = 'INSERT DATA { GRAPH <http://example.org/u> { <http://example.org/s> <http://example.org/p> "v" } }'
    assert _send(server, "POST", server.update_url, update.encode(), "application/sparql-update") in (200, 204)
    rows = _select(server, "SELECT ?o WHERE { GRAPH <http://example.org/u> { ?s ?p ?o } }")
    assert [row["o"]["value"] for row in rows] == ["v"]


def test_gsp_put_is_seen(server):
    url = server.gsp_url + "?" + urllib.parse.urlencode({"graph": "http://example.org/gsp"})
    assert _send(server, "PUT", url, TTL, "text/turtle") in (200, 201, 204)
    rows = _select(server, "SELECT ?p ?o WHERE { GRAPH <http://example.org/gsp> { ?s ?p ?o } } ORDER BY ?p")
    # both servers return language tags lowercased ("zh-hant"): docs/remote-servers-facts.md
    assert [(row["o"]["value"], row["o"].get("xml:lang")) for row in rows] == [("1", None), ("計畫", "zh-hant")]
    # PUT again replaces the graph
    assert _send(server, "PUT", url, b"<http://example.org/b> <http://example.org/q> 2 .\n", "text/turtle") in (200, 201, 204)
    rows = _select(server, "SELECT ?s WHERE { GRAPH <http://example.org/gsp> { ?s ?p ?o } }")
    assert [row["s"]["value"] for row in rows] == ["http://example.org/b"]


def test_virtuoso_refuses_anonymous_update(tmp_path):
    try:
        ends, stop = start_virtuoso(tmp_path)
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        update = b"INSERT DATA { GRAPH <http://example.org/x> { <http://example.org/s> <http://example.org/p> 1 } }"
        request = urllib.request.Request(ends.query_url, data=update, method="POST",
                                         headers={"Content-Type": "application/sparql-update"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        refused.value.close()
        assert refused.value.code == 500  # "SR186: SECURITY: No permission to execute procedure ..."
        assert _select(ends, "SELECT * WHERE { GRAPH <http://example.org/x> { ?s ?p ?o } }") == []
    finally:
        stop()
