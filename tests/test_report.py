"""plankg report: thin commands over named example queries, so the CLI and the UI never disagree."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import run_plankg
from plankg.examples import REPORTS

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
