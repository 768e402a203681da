"""The documents plans follow (plan:follows): 行政院 {year} 年度施政方針 is one resource for every
plan of that year; each plan keeps its own statement naming it, with the line it is printed on
(docs/data-model.md, "Followed documents")."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from conftest import BASE, SEED
from plankg.build import pipeline
from plankg.build.policy_documents import GUIDELINES_SEGMENT, add_followed
from plankg.build.sources import read_registry
from plankg.build.vocab import Vocabularies
from plankg.hierarchy import LEVELS
from plankg.namespaces import PLAN

P = lambda name: URIRef(PLAN + name)  # noqa: E731
ID = lambda path: URIRef(BASE + path)  # noqa: E731
GUIDELINES_108 = ID("ey/108/policy-guidelines")


@functools.cache
def vocabularies() -> Vocabularies:
    return Vocabularies.load(BASE)


@pytest.fixture(scope="module")
def two_ministries(tmp_path_factory):
    """The seed plan (勞動部) and the same text as 交通部's plan of 108, with the 2019 enacted budget
    (which names 交通部, so that it may publish a plan), compiled together."""
    from plankg.data import budget as budget_data

    tmp = tmp_path_factory.mktemp("two-ministries")
    other = tmp / "motc-108.txt"
    other.write_text(SEED.read_text(encoding="utf-8").replace("勞動部", "交通部"), encoding="utf-8")
    budget = Path(budget_data.__file__).parent / "enacted-2019.csv.gz"
    registry = tmp / "registry.toml"
    registry.write_text(f'[[plan]]\nfile = "{SEED}"\n\n[[plan]]\nfile = "{other}"\n\n'
                        f'[[budget]]\nfile = "{budget}"\nyear = 2019\nstage = "enacted"\n', encoding="utf-8")
    return pipeline.compile_sources(read_registry(registry), BASE)


def test_two_plans_of_a_year_follow_one_policy_guidelines_node_and_conform(two_ministries) -> None:
    compiled = two_ministries
    assert compiled.report.conforms, compiled.report.text()
    mol, motc = compiled.mapped
    assert mol.iri == ID("mol/108") and str(motc.iri).startswith(BASE + "agency-")
    for m in (mol, motc):
        assert GUIDELINES_108 in set(m.graph.objects(m.iri, P("follows")))
    # every plan graph describes the shared document with the same triples, so their union is
    # consistent: one label, one publisher, one year
    described = [{(p, o) for p, o in m.graph.predicate_objects(GUIDELINES_108)} for m in (mol, motc)]
    assert described[0] == described[1] == {
        (RDF.type, P("PolicyDocument")),
        (RDFS.label, Literal("行政院 108 年度施政方針", lang="zh-Hant")),
        (DCTERMS.title, Literal("行政院 108 年度施政方針", lang="zh-Hant")),
        (DCTERMS.publisher, ID("org/ey")),
        (P("rocYear"), Literal(108)),
        (P("fiscalYear"), Literal("2019", datatype=XSD.gYear)),
    }
    # … but each plan's statement naming it is the plan's own, with its own source line
    statements = [m.graph.value(predicate=P("referencedDocument"), object=GUIDELINES_108) for m in (mol, motc)]
    assert statements == [ID("mol/108/follows/1"), URIRef(f"{motc.iri}/follows/1")]
    for m, statement in zip((mol, motc), statements):
        assert (m.iri, P("hasPolicyReference"), statement) in m.graph
        assert str(m.graph.value(statement, PROV.wasDerivedFrom)).startswith(f"{m.iri}/source/L7-7")
    # 中程施政計畫 names no organisation: each plan's is its own
    local = [set(m.graph.objects(m.iri, P("follows"))) - {GUIDELINES_108} for m in (mol, motc)]
    assert local == [{ID("mol/108/follows/2/document")}, {URIRef(f"{motc.iri}/follows/2/document")}]


def test_the_publisher_is_the_executive_yuan_of_the_vocabularies_and_of_the_budget(two_ministries) -> None:
    compiled = two_ministries
    ey = ID("org/ey")
    assert compiled.vocab.organisation("行政院", "-") == (ey, "ey")
    budget = next(m.graph for m in compiled.others if m.kind == "budget")
    assert budget.value(ey, P("budgetAgencyCode")) == Literal("0301")  # the budget's 行政院 is the same node
    assert (ID("org/budget/0310"), URIRef("http://www.w3.org/ns/org#subOrganizationOf"), ey) in budget  # 主計總處
    assert not list(budget.subjects(P("budgetAgencyCode"), Literal("0301")))[1:]


def test_a_plan_follows_exactly_the_documents_its_statements_name(two_ministries) -> None:
    for m in two_ministries.mapped:
        named = {m.graph.value(r, P("referencedDocument")) for r in m.graph.objects(m.iri, P("hasPolicyReference"))}
        assert named == set(m.graph.objects(m.iri, P("follows"))) and len(named) == 2


def add(text: str) -> tuple[Graph, URIRef]:
    g = Graph()
    plan, statement = ID("x/108"), ID("x/108/follows/1")
    return g, add_followed(g, vocabularies(), plan, statement, text)


def test_the_guidelines_node_does_not_depend_on_how_the_plan_spaces_the_name() -> None:
    for text in ("行政院 108 年度施政方針", "行政院108年度施政方針", "行政院 １０８ 年度 施政方針"):
        g, document = add(text)
        assert document == GUIDELINES_108, text
        assert g.value(document, RDFS.label) == Literal("行政院 108 年度施政方針", lang="zh-Hant")


def test_the_year_is_part_of_the_iri() -> None:
    g, document = add("行政院 109 年度施政方針")
    assert document == ID("ey/109/policy-guidelines")
    assert g.value(document, P("fiscalYear")) == Literal("2020", datatype=XSD.gYear)


def test_a_document_of_an_unknown_organisation_or_without_year_is_the_plans_own() -> None:
    for text in ("中程施政計畫", "某某署 108 年度施政方針", "行政院施政方針"):
        g, document = add(text)
        assert document == ID("x/108/follows/1/document"), text
        assert g.value(document, RDFS.label) == Literal(text, lang="zh-Hant")
        assert g.value(document, DCTERMS.publisher) is None


def test_the_guidelines_segment_is_no_segment_of_a_plan() -> None:
    """B{pub}/{y}/policy-guidelines never collides with a node of the publisher's own plan B{pub}/{y}."""
    plan_segments = {level.segment for level in LEVELS} | {"source", "funding-link"}
    assert GUIDELINES_SEGMENT not in plan_segments


def test_two_plans_programs_are_aligned_to_the_other_organisations_programs(two_ministries) -> None:
    """With a second organisation's plan loaded, each program's three best programs of the other
    plan are candidates (``combined-plans``, none accepted). The 交通部 copy has the same text, so
    each program's best is its own copy, at the same work plan and program ordinals."""
    compiled = two_ministries
    cross = Graph()
    for m in compiled.others:
        if m.graph_iri.startswith(BASE + "graph/links/alignment/"):
            cross += m.graph
    method = URIRef(BASE + "alignment-method/combined-plans")
    mol, motc = (str(m.iri) for m in compiled.mapped)
    pairs = [(str(cross.value(a, P("alignedFrom"))), str(cross.value(a, P("alignedTo"))), int(cross.value(a, P("rank"))))
             for a in cross.subjects(P("method"), method)]
    assert len(pairs) == 2 * 44 * 3
    assert all(s.split("/work-plan/")[0] != t.split("/work-plan/")[0] for s, t, _ in pairs)  # never its own plan
    best = {s: t for s, t, r in pairs if r == 1}
    assert {s[len(mol):]: t[len(motc):] for s, t in best.items() if s.startswith(mol)} == \
        {s[len(mol):]: s[len(mol):] for s in best if s.startswith(mol)}
    assert not any((a, P("accepted"), None) in cross for a in cross.subjects(P("method"), method))
