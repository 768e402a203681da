"""A SPARQL syntax error is a 400 with a short explanation first and pyoxigraph's full message after it.

Over real HTTP against a real `plankg serve` (``sparql_server``): the body starts with the line
and column (and, for a prefix the query does not declare, the prefix and the PREFIX line to add,
with its IRI when it is one of the project's prefixes), in the UI's language (``?lang=``, the
``lang`` cookie, else zh-Hant); then pyoxigraph's own message, unchanged. Unmodified clients
(SPARQLWrapper) see the same body.
"""

from __future__ import annotations

import ast

import pytest
from SPARQLWrapper import JSON, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from test_sparql_protocol import FORM, form, query

FOAF = "http://xmlns.com/foaf/0.1/"
UNKNOWN_PREFIX = "SELECT * WHERE { ?s foaf:name ?o }"
LINE_3_COL_5 = "SELECT * WHERE {\n  ?s ?p ?o .\n   )"


def lines(body: bytes) -> list[str]:
    return body.decode("utf-8").splitlines()


def test_an_unknown_well_known_prefix_is_named_with_its_prefix_line(sparql_server):
    status, headers, body = query(sparql_server, UNKNOWN_PREFIX)
    assert status == 400 and headers["content-type"].startswith("text/plain")
    first = lines(body)[0]
    assert first == f"未宣告的前綴 foaf:（第 1 行第 21 欄），請加入 PREFIX foaf: <{FOAF}>"
    assert lines(body)[1:3] == ["  " + UNKNOWN_PREFIX, "  " + " " * 20 + "^"]
    assert "解析器的完整訊息：" in lines(body)
    assert b"error at 1:30: expected one of Prefix not found" in body  # pyoxigraph's message follows, whole
    assert len(first) < 100  # short: the Unicode ranges come only after it


def test_the_explanation_follows_the_ui_language(sparql_server):
    for path, headers in ((f"/sparql?{form(query=UNKNOWN_PREFIX, lang='en')}", {}),
                          (f"/sparql?{form(query=UNKNOWN_PREFIX)}", {"Cookie": "lang=en"})):
        status, got, body = sparql_server.request("GET", path, headers=headers)
        assert status == 400
        assert lines(body)[0] == f"Undeclared prefix foaf: (line 1, column 21); add PREFIX foaf: <{FOAF}>"
        assert "Cookie" in got["vary"]


def test_an_unknown_prefix_outside_the_table_asks_for_its_iri(sparql_server):
    text = "PREFIX x: <http://example.org/x#>\nSELECT * WHERE {\n  ?s ?p ?o .\n  ?s ex:knows ?o }"
    status, _, body = sparql_server.request("POST", "/sparql", form(query=text), FORM)
    assert status == 400
    assert lines(body)[0] == "未宣告的前綴 ex:（第 4 行第 6 欄），請在查詢開頭以 PREFIX ex: <…> 宣告其 IRI"


def test_a_syntax_error_gives_its_line_and_column_and_the_line_itself(sparql_server):
    status, headers, body = query(sparql_server, LINE_3_COL_5)
    assert status == 400 and headers["content-type"].startswith("text/plain")
    assert lines(body)[:3] == ["SPARQL 語法錯誤：第 3 行第 5 欄。", "     )", "      ^"]
    assert lines(body)[-1] == "invalid SPARQL: error at 3:5: expected [_]"
    status, _, body = query(sparql_server, LINE_3_COL_5, lang="en")
    assert lines(body)[0] == "SPARQL syntax error at line 3, column 5."


def test_a_prefix_in_an_iri_string_or_comment_is_no_prefix(sparql_server):
    text = 'SELECT * WHERE {\n  # foaf:name\n  ?s <http://a/b:c> "foaf:x" \n  )'
    status, _, body = query(sparql_server, text)
    assert status == 400 and lines(body)[0].startswith("SPARQL 語法錯誤：第 4 行")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_reports_the_short_message(sparql_server, method):
    client = SPARQLWrapper(sparql_server.sparql)
    client.setMethod(method)
    client.setReturnFormat(JSON)
    client.setQuery(UNKNOWN_PREFIX)
    with pytest.raises(QueryBadFormed) as error:
        client.queryAndConvert()
    body = ast.literal_eval(str(error.value).split("Response:\n", 1)[1])  # the body, as a bytes repr
    assert lines(body)[0] == f"未宣告的前綴 foaf:（第 1 行第 21 欄），請加入 PREFIX foaf: <{FOAF}>"


def test_a_browser_gets_the_explanation_in_an_error_page_with_its_lines(sparql_server):
    accept = "text/html,application/xhtml+xml,*/*;q=0.8"
    status, headers, body = query(sparql_server, UNKNOWN_PREFIX, accept)
    assert status == 400 and headers["content-type"].startswith("text/html")
    page = body.decode("utf-8")
    assert '<pre class="error">未宣告的前綴 foaf:（第 1 行第 21 欄），請加入 PREFIX foaf: &lt;http://xmlns.com/foaf/0.1/&gt;\n' in page
    assert "\n" + " " * 22 + "^\n" in page


def test_an_update_gets_the_same_explanation(update_server):
    headers = {"Content-Type": "application/sparql-update", **update_server.auth()}
    update = "INSERT DATA {\n  GRAPH <http://example.org/g> { <s> skos:prefLabel 1 }\n}"
    status, _, body = update_server.request("POST", "/sparql", update, headers)
    assert status == 400
    assert lines(body)[0] == ("未宣告的前綴 skos:（第 2 行第 38 欄），請加入 "
                              "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>")
