"""Nesting pyoxigraph cannot survive is refused before it parses (issue 12): plankg.sparql.limits.

Unit tests of the checker for each shape, just over each limit and at a realistic depth; then a
real `plankg serve`: every shape at the size that crashes a thread of 8 MiB gets a 400 with its
reason, the worker survives, and a chain deeper than 8 MiB survives runs (big stacks).
"""

from __future__ import annotations

import re

import pytest

from plankg.sparql import limits as L
from plankg.errors import QueryError
from plankg.sparql.limits import NESTING_MAX, OPENERS_MAX, OPERATORS_MAX, PAREN_TERMS_MAX, QueryTooComplex
from backends import every_backend

sparql_server, update_server = every_backend()  # the hostile-input checks on every store backend


W = "SELECT * WHERE "
P = "PREFIX : <http://e/> "
_BOOTED = re.compile(r"Booting worker with pid: (\d+)")

# name -> n -> text nested n deep (or a chain n long)
SHAPES = {
    "braces": lambda n: W + "{" * n + "}" * n,
    "parens": lambda n: W + "{ FILTER(" + "(" * n + "1" + ")" * n + ") }",
    "bang": lambda n: W + "{ FILTER(" + "!" * n + "true) }",
    "subqueries": lambda n: W + "{SELECT * WHERE " * n + "{}" + "}" * n,
    "optional": lambda n: W + "{OPTIONAL " * n + "{}" + "}" * n,
    "not_exists": lambda n: W + "{FILTER NOT EXISTS " * n + "{}" + "}" * n,
    "collection": lambda n: W + "{ ?s ?p " + "(" * n + "1" + ")" * n + " }",
    "path_parens": lambda n: P + W + "{ ?s " + "(" * n + ":p" + ")" * n + " ?o }",
    "bnode": lambda n: P + W + "{ ?s :p " + "[:p " * n + "1" + "]" * n + " }",
    "triple_terms": lambda n: W + "{ " + "<< " * n + "?s ?p ?o" + " >> ?p ?o" * n + " }",
}
# the smallest sizes that crash a thread of 8 MiB (bench/probe_nesting.py; the numbers)
CRASH_8MIB = {"braces": 2246, "parens": 4687, "bang": 9375, "subqueries": 2544, "optional": 2928,
              "not_exists": 840, "collection": 4096, "path_parens": 13824, "bnode": 3456, "triple_terms": 8192}
CHAINS = {  # crash sizes at 8 MiB
    "union": (6592, lambda n: W + "{ " + "{} UNION " * n + "{} }"),
    "plus": (6912, lambda n: W + "{ FILTER(" + "1+" * n + "1) }"),
    "and": (9408, lambda n: W + "{ FILTER(" + "true&&" * n + "true) }"),
    "path_seq": (8192, lambda n: P + W + "{ ?s " + ":p/" * n + ":p ?o }"),
    "path_alt": (10944, lambda n: P + W + "{ ?s " + ":p|" * n + ":p ?o }"),
    "optional_chain": (6592, lambda n: W + "{ " + "OPTIONAL{} " * n + "}"),
    "triple_patterns": (10000, lambda n: W + "{ " + "?s ?p ?o . " * n + "}"),
    "predicate_list": (8192, lambda n: P + W + "{ ?s " + ":p 1;" * n + ":p 1 }"),
    "flat_collection": (4096, lambda n: W + "{ ?s ?p (" + "1 " * n + ") }"),
    "glued_collection": (4096, lambda n: W + "{ ?s ?p (" + "true1" * (n // 2) + ") }"),
}


def refusal(text: str) -> str:
    with pytest.raises(QueryTooComplex) as e:
        L.check(text)
    return str(e.value)


# --- the checker --------------------------------------------------------------------------

@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_nested_one_past_the_limit_is_refused_naming_the_limit(shape):
    message = refusal(SHAPES[shape](NESTING_MAX + 1))
    assert f"nests {NESTING_MAX + 1} deep at line 1, column" in message
    assert f"the limit is {NESTING_MAX} (NESTING_MAX)" in message


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_nested_well_within_the_limit_passes(shape):
    L.check(SHAPES[shape](NESTING_MAX // 2))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_at_its_crash_depth_is_refused(shape):
    message = refusal(SHAPES[shape](CRASH_8MIB[shape]))
    assert "can be parsed safely" in message or "(NESTING_MAX)" in message


@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_each_chain_a_quarter_as_long_as_crashes_the_big_stack_is_refused(chain):
    crash, shape = CHAINS[chain]
    big = crash * (L.STACK_BYTES >> 20) // 8  # crash lengths grow with the stack (measured: 8 -> 256 MiB, x32)
    assert "parsed safely" in refusal(shape(big // L.MARGIN))


def test_the_refusal_is_a_query_error_with_position_on_later_lines():
    text = "PREFIX : <http://e/>\nSELECT * WHERE\n" + "{" * 200 + "}" * 200
    with pytest.raises(QueryError) as e:
        L.check(text)
    assert "at line 3, column 129;" in str(e.value)
    assert (e.value.line, e.value.column) == (3, 129)


def test_the_position_on_line_one_is_in_the_text_as_given():
    with pytest.raises(QueryTooComplex) as e:
        L.check("{" * 200)
    assert "at line 1, column 129;" in str(e.value)


def test_a_string_hiding_braces_from_the_lexer_cannot_fool_the_count():
    # oxigraph reads `1<'>'` as a comparison with the string '>'; the lexer reads an IRI <'> and
    # then pairs the quotes wrongly. The count of openers does not tokenise at all.
    text = W + "{ BIND(1<'>' AS ?a) " + "'" + "{" * 50_000 + "}" * 50_000 + " }"
    assert f"at most {OPENERS_MAX:,} can be parsed safely (OPENERS_MAX)" in refusal(text)


def test_openers_inside_strings_and_comments_count_too():
    text = W + "{ BIND('" + "(" * (OPENERS_MAX + 1) + "' AS ?a) }"
    assert "(OPENERS_MAX)" in refusal(text)
    assert "(OPERATORS_MAX)" in refusal(W + "{ # " + "+" * (OPERATORS_MAX + 1) + "\n}")


def test_a_long_text_whose_iri_could_hide_a_string_is_refused():
    text = W + "{ FILTER(1<'>') ?s ?p ?o } " + "# padding\n" * 2000
    assert "could also be read as a comparison" in refusal(text)


def test_juxtaposed_terms_past_the_limit_are_refused():
    assert "(PAREN_TERMS_MAX)" in refusal(W + "{ ?s ?p (" + "1 " * (PAREN_TERMS_MAX + 2) + ") }")
    L.check(W + "{ ?s ?p (" + "1 " * (PAREN_TERMS_MAX // 2) + ") }")


def test_realistic_queries_pass(tmp_path):
    from conftest import ROOT

    for path in sorted((ROOT / "kg" / "queries").glob("*.rq")):
        L.check(path.read_text(encoding="utf-8"))
    values = W + "{ VALUES ?x { " + " ".join(f"<http://e/{i}>" for i in range(2000)) + " } ?x ?p ?o }"
    L.check(values)
    L.check(W + "{ FILTER(" + "1+" * 10_000 + "1) }")  # a long chain: fine on a big stack


def test_on_big_stack_runs_what_would_crash_a_default_thread():
    import pyoxigraph as ox

    text = W + "{ FILTER(" + "1+" * 10_000 + "1) }"  # crashes a thread of 8 MiB at 6,912
    L.check(text)
    assert len(L.on_big_stack(lambda: list(ox.Store().query(text)))) == 1  # one empty solution
    with pytest.raises(ValueError):
        L.on_big_stack(lambda: int("x"))


# --- a real server ------------------------------------------------------------------------

def _booted(server) -> list[str]:
    return _BOOTED.findall(server.log())


def _still_serving(server, booted):
    assert server.get("/healthz")[0] == 200
    status, _, body = server.get("/sparql", {"query": "ASK { ?s ?p ?o }"})
    assert status == 200 and b"true" in body
    assert _booted(server) == booted, "a worker was replaced"
    assert "SIGSEGV" not in server.log() and "was sent" not in server.log()


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_server_refuses_each_crashing_shape_with_400_and_keeps_its_workers(sparql_server, shape):
    booted = _booted(sparql_server)
    text = SHAPES[shape](CRASH_8MIB[shape])
    status, headers, body = sparql_server.request("POST", "/sparql", text, {"Content-Type": "application/sparql-query"})
    assert status == 400, body
    assert b"can be parsed safely" in body or b"(NESTING_MAX)" in body
    _still_serving(sparql_server, booted)


@pytest.mark.parametrize("chain", ["union", "optional_chain", "triple_patterns", "flat_collection", "glued_collection"])
def test_server_refuses_crashing_chains_with_400(sparql_server, chain):
    booted = _booted(sparql_server)
    crash, shape = CHAINS[chain]
    # 10,000 triple patterns or 4,096 collection elements crash 8 MiB but not 256 MiB, where they
    # are only slow (the time limit's business); twice the limit of them is refused
    n = {"triple_patterns": 2 * OPERATORS_MAX, "flat_collection": 2 * PAREN_TERMS_MAX,
         "glued_collection": 4 * PAREN_TERMS_MAX}.get(chain, crash)
    status, _, body = sparql_server.request("POST", "/sparql", shape(n),
                                            {"Content-Type": "application/sparql-query"})
    assert status == 400, body
    assert b"parsed safely" in body
    _still_serving(sparql_server, booted)


def test_server_refuses_deep_nesting_with_the_position_in_the_users_text(sparql_server):
    status, _, body = sparql_server.get("/sparql", {"query": "{" * 200})
    assert status == 400
    assert body == (b"the request nests 129 deep at line 1, column 129; the limit is 128 (NESTING_MAX): "
                    b"split it or flatten it\n")


def test_server_threads_have_big_stacks_a_chain_that_crashes_8_mib_runs(sparql_server, backend):
    booted = _booted(sparql_server)
    text = W + "{ FILTER(" + "1+" * 10_000 + "1) }"  # crashes a thread of 8 MiB at 6,912
    if backend != "embedded":  # the store's server parses it, on its own threads: it would end Oxigraph server
        status, _, body = sparql_server.request("POST", "/sparql", text, {"Content-Type": "application/sparql-query"})
        assert status == 400 and b"for a parser stack of 8 MiB" in body, body  # it ended an Oxigraph server
        assert sparql_server.get("/sparql", {"query": "ASK { ?s ?p ?o }"})[0] == 200  # the server is still there
        return
    for _ in range(4):  # more than one worker and thread
        status, _, body = sparql_server.request("POST", "/sparql", text, {"Content-Type": "application/sparql-query"})
        assert status == 200, body
    _still_serving(sparql_server, booted)


def test_server_refuses_a_deep_update_with_400(update_server):
    text = "INSERT { <http://e/s> <http://e/p> 1 } WHERE " + "{" * 2246 + "}" * 2246
    status, _, body = update_server.request("POST", "/sparql", text,
                                            {"Content-Type": "application/sparql-update", **update_server.auth()})
    assert status == 400 and b"(OPENERS_MAX)" in body
    assert update_server.get("/healthz")[0] == 200


def test_the_bounds_shrink_with_the_stack_of_a_servers_parser():
    """A remote store checks a request against its server's parser stack (8 MiB by default,
    PLANKG_STORE_STACK_MIB): its openers and operators together may need at most 80 % of it, at
    the most stack each was measured to take. A chain of 4,000 '1+' did not end an Oxigraph
    server (10,000 did); 4,500 is refused."""
    small = 8 << 20
    L.check(W + "{ FILTER(" + "1+" * 4000 + "1) }", small)
    with pytest.raises(QueryTooComplex, match=r"together more than the server can be sure to parse, for a parser "
                                              r"stack of 8 MiB \(PLANKG_STORE_STACK_MIB\)"):
        L.check(W + "{ FILTER(" + "1+" * 4500 + "1) }", small)
    L.check(W + "{ } " * 400, small)  # 400 openers
    with pytest.raises(QueryTooComplex, match="for a parser stack of 8 MiB"):
        L.check(W + "{ } " * 600, small)
    L.check(W + "{ FILTER(" + "1+" * 4300 + "1) }")  # our own threads' stack takes it
    page = "SELECT * WHERE { VALUES ?x { " + " ".join(f"<https://w3id.org/plankg/id/mol/108/goal/{i}>" for i in range(60))
    L.check(page + " } ?x ?p ?o }", small)  # a page's query: 60 IRIs of 6 '/', '.' each
