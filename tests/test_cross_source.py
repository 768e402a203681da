"""The cross-ministry graph, as the README's main command builds it, served by `plankg serve`:
the named example queries answer from the endpoint with the figures the README shows."""

from __future__ import annotations

import json

import pytest

from plankg.examples import example, examples
from plankg.sparql import query_form


def rows(server, query: str) -> list[dict[str, str]]:
    status, _, body = server.get("/sparql", {"query": query}, headers={"Accept": "application/sparql-results+json"},
                                 timeout=60)
    assert status == 200, body[:300]
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]


def test_the_whole_build_is_served_from_memory(full_server, full_store) -> None:
    """217k quads stay under MEMORY_MAX_QUADS, so each worker answers from a copy in memory."""
    [count] = rows(full_server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(count["n"]) > 200_000
    assert " from memory" in full_server.log()


@pytest.mark.parametrize("name", [e.name for e in examples()])
def test_every_example_query_answers_from_the_endpoint(full_server, name: str) -> None:
    query = example(name).query
    if query_form(query) == "CONSTRUCT":
        status, _, body = full_server.get("/sparql", {"query": query}, headers={"Accept": "application/n-triples"},
                                          timeout=60)
        assert status == 200 and body.count(b" .\n") > 10, body[:300]
    else:
        assert rows(full_server, query), name


def test_people_with_disabilities_across_agencies(full_server) -> None:
    found = rows(full_server, example("09").query)
    agencies = {r["agency"] for r in found if r["kind"] == "budget line item"}
    assert {"衛生福利部", "社會及家庭署", "國軍退除役官兵輔導委員會"} <= agencies
    assert any(r["kind"] == "program" and r["agency"] == "勞動部" for r in found)


def test_the_largest_social_welfare_appropriation_is_labour_insurance(full_server) -> None:
    first = rows(full_server, example("10").query)[0]
    assert (first["agency"], first["workPlan"], first["amount"]) == ("勞動部", "勞動保險業務", "124089534000")


def test_the_labour_budget_against_2018(full_server) -> None:
    by_code = {r["code"]: r for r in rows(full_server, example("11").query)}
    assert by_code["6330011100"]["amount2019"] == "14762000" and by_code["6330011100"]["change"] == "-1420000"


def test_a_program_its_money_and_its_overlaps(full_server) -> None:
    found = rows(full_server, example("13").query)
    kinds = {r["what"] for r in found}
    assert kinds == {"1 appropriation", "2 funding line item", "3 shared with other agencies"}
    assert any(r["label"].startswith("策辦勞工服務經費") for r in found if r["what"] == "2 funding line item")
