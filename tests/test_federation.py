"""Federation: a query on one plankg endpoint joins another plankg endpoint with SERVICE.

Two real `plankg serve` processes on loopback, each with a different source loaded: A serves the
plan alone, B the 2019 enacted budget alone. A, allowed to reach B (``--allow-federation``),
answers a query that takes each work plan of the plan from its own store and the work plan's
2019 appropriation from B. Without the allowance the same query is refused (403) before B is
contacted.
"""

from __future__ import annotations

import json

import pytest

from conftest import PLAN_NS, run_plankg
from plankg import resources
from server_support import start_server, stop

QUERY = f"""PREFIX plan: <{PLAN_NS}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?workPlan ?label ?amount WHERE {{
  ?workPlan a plan:WorkPlan ; rdfs:label ?label ; plan:fundedBy ?budgetWorkPlan .
  SERVICE <{{endpoint}}> {{
    ?appropriation plan:appropriationOf ?budgetWorkPlan ; plan:budgetStage plan:Enacted ; plan:amount ?amount .
  }}
}} ORDER BY ?workPlan"""


@pytest.fixture(scope="module")
def budget_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("budget-only")
    registry = tmp / "registry.toml"
    csv = resources.budget_file("enacted-2019.csv.gz")
    registry.write_text(f'[[budget]]\nfile = "{csv}"\nyear = 2019\nstage = "enacted"\n', encoding="utf-8")
    run_plankg("build", "--registry", str(registry), "--store", str(tmp / "store"), check=True)
    return tmp / "store"


@pytest.fixture(scope="module")
def two_servers(built_store, budget_store, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("federation")
    budget = start_server(budget_store, tmp / "budget.log", "--workers", "1")
    plan = start_server(built_store, tmp / "plan.log", "--workers", "1", "--allow-federation", budget.url + "/")
    closed = start_server(built_store, tmp / "closed.log", "--workers", "1")
    yield plan, budget, closed
    for server in (plan, budget, closed):
        stop(server)


def bindings(server, query: str) -> tuple[int, list[dict[str, str]]]:
    status, _, body = server.get("/sparql", {"query": query}, headers={"Accept": "application/sparql-results+json"},
                                 timeout=60)
    if status != 200:
        return status, []
    return status, [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]


def test_each_server_holds_only_its_own_source(two_servers):
    plan, budget, _ = two_servers
    ask = f"PREFIX plan: <{PLAN_NS}> SELECT (COUNT(*) AS ?n) WHERE {{ ?x a plan:Appropriation }}"
    assert int(bindings(plan, ask)[1][0]["n"]) == 0 and int(bindings(budget, ask)[1][0]["n"]) > 1000
    ask = f"PREFIX plan: <{PLAN_NS}> SELECT (COUNT(*) AS ?n) WHERE {{ ?x a plan:WorkPlan }}"
    assert int(bindings(plan, ask)[1][0]["n"]) > 10 and int(bindings(budget, ask)[1][0]["n"]) == 0


def test_a_query_joins_the_plan_with_the_budget_of_another_endpoint(two_servers):
    plan, budget, _ = two_servers
    status, rows = bindings(plan, QUERY.replace("{endpoint}", budget.sparql))
    assert status == 200 and len(rows) >= 10
    by_label = {r["label"]: int(r["amount"]) for r in rows}
    direct = bindings(budget, f"""PREFIX plan: <{PLAN_NS}> SELECT ?amount WHERE {{
        ?a plan:appropriationOf <https://w3id.org/plankg/id/budget/work-plan/6330011100> ; plan:amount ?amount }}""")[1]
    assert by_label["綜合規劃業務"] == int(direct[0]["amount"]) > 0


def test_without_the_allowance_the_same_query_is_refused(two_servers):
    _, budget, closed = two_servers
    marked = QUERY.replace("{endpoint}", budget.sparql).replace("?appropriation", "?neverSentToB")
    status, _ = bindings(closed, marked)
    assert status == 403
    assert "neverSentToB" not in budget.log()  # refused before B was contacted
