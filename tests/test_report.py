"""plankg report: thin commands over named example queries, so the CLI and the UI never disagree."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import run_plankg
from plankg.examples import REPORTS, example

UNCARRIED = {"7/2", "7/3", "7/4", "8/1", "8/2"}  # tests/data/alignment/strategy-gold.tsv, kind "none"


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_a_report_prints_exactly_the_rows_of_its_example_query(full_store, name):
    report = run_plankg("report", name, "--format", "csv", "--store", str(full_store), check=True).stdout
    query = run_plankg("query", "--example", REPORTS[name], "--format", "csv", "--store", str(full_store),
                       check=True).stdout
    rows = list(csv.reader(io.StringIO(report)))
    assert len(rows) > 1 and report == query


def test_the_coverage_report_lists_the_strategies_no_program_carries(full_store):
    out = run_plankg("report", "coverage", "--format", "json", "--store", str(full_store), check=True).stdout
    strategies = {b["strategy"]["value"].split("/goal/")[1].replace("/strategy/", "/")
                  for b in json.loads(out)["results"]["bindings"]}
    assert UNCARRIED <= strategies


def test_a_markdown_report_is_a_table_with_a_header_rule(full_store):
    out = run_plankg("report", "laws", "--format", "md", "--store", str(full_store), check=True).stdout
    lines = out.splitlines()
    assert lines[0].startswith("| law | name |") and set(lines[1].replace(" ", "")) == {"|", "-"}
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)


def test_an_unknown_report_is_a_usage_error(full_store):
    result = run_plankg("report", "budgets", "--store", str(full_store))
    assert result.returncode == 2 and "Invalid value" in result.stderr and "Traceback" not in result.stderr


PER_PLAN = sorted(name for name in REPORTS if example(REPORTS[name]).per_plan)


def test_the_reports_of_one_plan_are_the_strategy_and_program_reports():
    assert PER_PLAN == ["alignment", "coverage", "uncarried-programs"]


@pytest.mark.parametrize("name", PER_PLAN)
def test_a_report_for_one_plan_keeps_its_rows_and_no_other(full_store, name):
    every = run_plankg("report", name, "--format", "csv", "--store", str(full_store), check=True).stdout
    for plan in ("mol/108", "https://w3id.org/plankg/id/mol/108"):
        one = run_plankg("report", name, "--format", "csv", "--plan", plan, "--store", str(full_store), check=True)
        assert one.stdout == every  # the whole build has this plan only
    none = run_plankg("report", name, "--format", "csv", "--plan", "mol/107", "--store", str(full_store), check=True)
    assert none.stdout.splitlines() == every.splitlines()[:1]  # the header: no row of another plan


def test_a_report_across_agencies_takes_no_plan_and_a_plan_must_be_an_iri(full_store):
    laws = run_plankg("report", "laws", "--plan", "mol/108", "--store", str(full_store))
    assert laws.returncode == 2 and "takes no --plan" in laws.stderr
    bad = run_plankg("report", "coverage", "--plan", "mol/108> } <x", "--store", str(full_store))
    assert bad.returncode == 2 and "not an IRI" in bad.stderr and "Traceback" not in bad.stderr


def test_the_uncarried_programs_report_lists_the_programs_no_strategy_is_carried_by(full_store):
    out = run_plankg("report", "uncarried-programs", "--format", "json", "--store", str(full_store), check=True).stdout
    listed = {b["program"]["value"] for b in json.loads(out)["results"]["bindings"]}
    carrying = run_plankg("query", "--format", "csv", "--store", str(full_store),
                          "PREFIX plan: <https://w3id.org/plankg/ontology#> SELECT DISTINCT ?p WHERE { ?p plan:carries ?s }",
                          check=True).stdout.split()[1:]
    programs = run_plankg("query", "--format", "csv", "--store", str(full_store),
                          "PREFIX plan: <https://w3id.org/plankg/ontology#> SELECT ?p WHERE { ?p a plan:Program }",
                          check=True).stdout.split()[1:]
    assert listed and listed == set(programs) - set(carrying)


def test_the_target_groups_report_has_one_row_per_group_and_agency_counted_once(full_store):
    """An agency's label is stated in each budget graph that names it (three for most), and the union
    default graph gives one solution per graph: the names are joined after the sums, not before."""
    out = run_plankg("report", "target-groups", "--format", "csv", "--store", str(full_store), check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len({(r["group"], r["agency"]) for r in rows}) == len(rows) > 100
    smes = "https://w3id.org/plankg/id/target-group/smes"
    [sme_office] = [r for r in rows if r["group"] == smes and r["agencyName"] == "中小企業處"]
    items = run_plankg("query", "--format", "csv", "--store", str(full_store), f"""
        PREFIX plan: <https://w3id.org/plankg/ontology#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        SELECT DISTINCT ?item ?amount WHERE {{
          ?item plan:targetGroup <{smes}> ; plan:isLineItemOf+ ?app .
          ?app plan:fiscalYear "2019"^^xsd:gYear ; plan:budgetStage plan:Enacted ; plan:appropriationOf/plan:agency <{sme_office["agency"]}> .
          FILTER NOT EXISTS {{ ?item plan:isLineItemOf+ ?up . ?up plan:targetGroup <{smes}> }}
          OPTIONAL {{ ?item plan:amount ?amount }} }}""", check=True).stdout
    found = list(csv.DictReader(io.StringIO(items)))
    assert int(sme_office["lineItems"]) == len(found) == 3
    assert int(sme_office["amountTWD"]) == sum(int(r["amount"] or 0) for r in found)
    renamed = [r for r in rows if "／" in r["agencyName"]]
    assert renamed and all(r["agencyName"].count("／") == 1 for r in renamed)
