"""The README is part of the product: its examples run, its tables cover what exists."""

from __future__ import annotations

import re

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from conftest import ROOT, run_plankg

README = (ROOT / "README.md").read_text(encoding="utf-8")


def examples() -> list[tuple[str, str]]:
    """(query, expected output) pairs: a ```sparql block followed by a plain ``` block."""
    return re.findall(r"```sparql\n(.*?)```\n```\n(.*?)```", README, flags=re.S)


def test_readme_examples_print_what_the_readme_shows(built_store):
    pairs = examples()
    assert len(pairs) >= 3
    for query, expected in pairs:
        out = run_plankg("query", "--store", str(built_store), query, check=True).stdout
        assert out == expected, f"README example gives different output:\n{query}"


def test_core_terms_table_lists_every_core_class_and_property():
    g = Graph().parse(ROOT / "ontology" / "plankg.ttl")
    core = ["AnnualPlan", "Goal", "Strategy", "WorkPlan", "Program", "Activity", "TargetGroup", "Law",
            "hasGoal", "hasStrategy", "hasWorkPlan", "hasProgram", "hasActivity", "ordinal", "category",
            "responsibleUnit", "targetGroup", "citesLaw", "fiscalYear", "rocYear"]
    for term in core:
        iri = URIRef("https://w3id.org/plankg/ontology#" + term)
        assert (iri, RDF.type, None) in g, term
        assert f"`plan:{term}`" in README, f"plan:{term} missing from the README table"
    assert (URIRef("https://w3id.org/plankg/ontology#hasGoal"), OWL.inverseOf, None) in g


def test_readme_documents_every_command_and_exit_code():
    from plankg.cli import EXIT_CODES, main

    for name in main.commands:
        assert f"plankg {name}" in README, name
    for code in EXIT_CODES:
        assert f"`{code}`" in README, code


def test_ci_runs_the_readme_test_command():
    assert "python3 dev.py test" in README
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text()


def test_every_server_setting_is_documented():
    from plankg.server.settings import SETTINGS

    for setting in SETTINGS:
        assert f"`{setting.name}`" in README, setting.name


def test_the_table_of_request_limits_matches_the_code():
    import importlib

    rows = re.findall(r"^\| `([A-Z_]+)` \| `([^`]+)` \| `(plankg[\w.]*)` \|", README, flags=re.M)
    assert len(rows) >= 10
    for name, value, module in rows:
        assert repr(getattr(importlib.import_module(module), name)) == value, f"{module}.{name}"
