"""The one description of a plan's shape (plankg.hierarchy) agrees with the ontology and the queries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from plankg import hierarchy, resources
from plankg.hierarchy import BY_CLASS, EVIDENCE_CLASS, EVIDENCE_PROPERTY, LEVELS, PLAN_CLASS, STRUCTURE
from plankg.namespaces import PLAN

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ontology() -> Graph:
    g = Graph()
    g.parse(resources.ontology().read_bytes(), format="turtle")
    return g


def P(name: str) -> URIRef:
    return URIRef(PLAN + name)


@pytest.mark.parametrize("level", LEVELS, ids=lambda level: level.cls)
def test_each_level_is_what_the_ontology_says(ontology, level):
    assert (P(level.cls), RDF.type, OWL.Class) in ontology
    has = P(level.has)
    assert (has, RDF.type, OWL.ObjectProperty) in ontology
    assert (has, RDFS.domain, P(level.parent)) in ontology
    assert (has, RDFS.range, P(level.cls)) in ontology
    if level.is_of is not None:
        is_of = P(level.is_of)
        assert (is_of, OWL.inverseOf, has) in ontology and (has, OWL.inverseOf, is_of) in ontology
        assert (is_of, RDFS.domain, P(level.cls)) in ontology
        assert (is_of, RDFS.range, P(level.parent)) in ontology
    else:
        assert next(ontology.objects(has, OWL.inverseOf), None) is None


def test_every_part_of_a_plan_is_a_level(ontology):
    parts = {str(p).removeprefix(PLAN) for p in ontology.subjects(RDFS.subPropertyOf, DCTERMS.hasPart)}
    assert parts == {level.has for level in LEVELS}  # plan:follows is a reference (dct:references), not a part
    inverses = {str(p).removeprefix(PLAN) for p in ontology.subjects(RDFS.subPropertyOf, DCTERMS.isPartOf)}
    assert inverses == {level.is_of for level in LEVELS}  # every level's inverse is materialised


def test_evidence_hangs_under_linked_nodes(ontology):
    assert (P(EVIDENCE_PROPERTY), RDFS.range, P(EVIDENCE_CLASS)) in ontology
    assert (P(PLAN_CLASS), RDF.type, OWL.Class) in ontology


def test_depths_and_parent_path():
    assert hierarchy.DEPTHS == {"AnnualPlan": 0, "Vision": 1, "Aim": 1, "PolicyReference": 1, "KeyWork": 1,
                                "Goal": 1, "Strategy": 2, "WorkPlan": 1, "Program": 2, "Activity": 3,
                                "LinkEvidence": 4}
    steps = set(hierarchy.parent_path().split("|"))
    assert steps == {f"<{PLAN}{lv.is_of}>" if lv.is_of else f"^<{PLAN}{lv.has}>" for lv in LEVELS} | {
        f"^<{PLAN}hasLinkEvidence>"}


_CHAIN = re.compile(r"plan:\w+\??(?:/plan:\w+\??)+")


def _chains() -> list[tuple[str, list[str]]]:
    sources = [*sorted((ROOT / "kg" / "queries").glob("*.rq")), ROOT / "server" / "ui" / "data.py",
               ROOT / "README.md"]
    return [(f"{path.name}: {m}", [step.removeprefix("plan:").rstrip("?") for step in m.split("/")])
            for path in sources for m in _CHAIN.findall(path.read_text(encoding="utf-8"))]


def test_property_paths_in_queries_follow_the_hierarchy():
    """``plan:hasA/plan:hasB`` (or ``plan:isAOf/plan:isBOf``) in a query: B's level sits under A's."""
    down = {level.has: level for level in LEVELS}
    up = {level.is_of: level for level in STRUCTURE}
    checked = 0
    for where, steps in _chains():
        for a, b in zip(steps, steps[1:]):
            if a in down and b in down:
                assert down[b].parent == down[a].cls, where
                checked += 1
            elif a in up and b in up:
                assert up[b].cls == up[a].parent, where
                checked += 1
    assert checked >= 3


def test_the_mapping_mints_iris_from_the_segments():
    from plankg.build.pipeline import compile_plans, read_inputs

    compiled = compile_plans(read_inputs(None), "https://example.org/id/")
    graph = compiled.mapped[0].graph
    for level in LEVELS:
        nodes = list(graph.subjects(RDF.type, P(level.cls)))
        assert nodes or level not in STRUCTURE, level.cls  # the bundled plan has no key works
        parents = {level.parent: [str(n) for n in graph.subjects(RDF.type, P(level.parent))]}
        for node in nodes:
            parent = str(node).rsplit(f"/{level.segment}", 1)[0]
            assert parent in parents[level.parent], node
            assert (URIRef(parent), P(level.has), node) in graph
            if level.is_of:
                assert (node, P(level.is_of), URIRef(parent)) in graph
    assert BY_CLASS["Vision"].numbered is False
