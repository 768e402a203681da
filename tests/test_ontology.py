"""The ontology, the vocabularies and the work plan mappings: syntax, contract IRIs, term
documentation, and the facts the vocabularies must get right.

Every Turtle file under ontology/ and shapes/ is covered by globbing the folders, so a new file is
tested without touching this module. Files with relative IRIs are read with the id base as base
IRI, as every reader of them must (docs/data-model.md).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/plankg/id/"
ONTOLOGY_IRI = URIRef("https://w3id.org/plankg/ontology")
ONTOLOGY = ROOT / "ontology" / "plankg.ttl"
VOCAB_DIR = ROOT / "ontology" / "vocab"
MAPPING_DIR = ROOT / "ontology" / "mappings"
SHAPES_DIR = ROOT / "shapes"
QUERY_DIR = Path(__file__).resolve().parent / "queries"
PLAN_TEXT = ROOT / "data" / "plans" / "mol-108.txt"

VOCAB_FILES = sorted(VOCAB_DIR.glob("*.ttl"))
MAPPING_FILES = sorted(MAPPING_DIR.glob("*.ttl"))
SHAPES_FILES = sorted(SHAPES_DIR.glob("*.ttl"))
ALL_TTL = [ONTOLOGY, *VOCAB_FILES, *MAPPING_FILES, *SHAPES_FILES]

PLAN = Namespace("https://w3id.org/plankg/ontology#")
ORG = Namespace("http://www.w3.org/ns/org#")
PROV = Namespace("http://www.w3.org/ns/prov#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
ID = Namespace(BASE)

DECLARATION_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
BUILT_IN_NAMESPACES = (str(RDF), str(RDFS), str(OWL))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@functools.cache
def graph_of(path: Path) -> Graph:
    return Graph().parse(path, format="turtle", publicID=BASE)


@functools.cache
def ontology() -> Graph:
    return graph_of(ONTOLOGY)


@functools.cache
def vocabularies() -> Graph:
    g = Graph()
    for path in VOCAB_FILES:
        g += graph_of(path)
    return g


@functools.cache
def everything() -> Graph:
    """Ontology + vocabularies + mappings."""
    g = Graph()
    for path in [ONTOLOGY, *VOCAB_FILES, *MAPPING_FILES]:
        g += graph_of(path)
    return g


def plan_terms() -> list[URIRef]:
    g = ontology()
    return sorted(
        {s for t in DECLARATION_TYPES for s in g.subjects(RDF.type, t) if str(s).startswith(str(PLAN))}
    )


# --------------------------------------------------------------------------------------------
# Syntax: every file parses in rdflib and in pyoxigraph, to the same number of triples
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_TTL, ids=_rel)
def test_parses_in_rdflib_and_pyoxigraph(path: Path) -> None:
    g = graph_of(path)
    assert len(g) > 0
    quads = list(ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=BASE))
    assert len(quads) == len(g)


@pytest.mark.parametrize("path", [*VOCAB_FILES, *MAPPING_FILES, *SHAPES_FILES], ids=_rel)
def test_no_base_directive(path: Path) -> None:
    """Relative IRIs must resolve against the configured id base, so no file may fix its own."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(@base|BASE)\b", text, flags=re.M | re.I)


@pytest.mark.parametrize("path", [*VOCAB_FILES, *MAPPING_FILES], ids=_rel)
def test_vocabulary_resources_live_under_the_id_base(path: Path) -> None:
    g = graph_of(path)
    subjects = {s for s in g.subjects() if isinstance(s, URIRef)}
    assert all(str(s).startswith(BASE) for s in subjects), sorted(subjects)
    references = {o for p, o in g.predicate_objects() if p != RDF.type and isinstance(o, URIRef)}
    local = {o for o in references | subjects if str(o).startswith(BASE)}  # described or referred to
    assert local, "the file names resources relative to the id base"


@pytest.mark.parametrize("path", [ONTOLOGY, *VOCAB_FILES, *MAPPING_FILES], ids=_rel)
def test_language_tags_are_exactly_en_or_zh_hant(path: Path) -> None:
    tags = {o.language for o in graph_of(path).objects() if isinstance(o, Literal) and o.language}
    assert tags <= {"en", "zh-Hant"}, tags


# --------------------------------------------------------------------------------------------
# The ontology
# --------------------------------------------------------------------------------------------


def test_ontology_header() -> None:
    g = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in g
    assert g.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")
    assert g.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef("https://w3id.org/plankg/ontology/0.1.0")
    for prop in (DCTERMS.title, DCTERMS.description):
        assert {o.language for o in g.objects(ONTOLOGY_IRI, prop)} >= {"en", "zh-Hant"}, prop
    creator = g.value(ONTOLOGY_IRI, DCTERMS.creator)  # an agent, named in both languages
    assert isinstance(creator, URIRef) and (creator, RDF.type, FOAF.Agent) in g
    assert {o.language for o in g.objects(creator, FOAF.name)} >= {"en", "zh-Hant"}
    assert g.value(ONTOLOGY_IRI, DCTERMS.license) is not None
    assert not list(g.objects(ONTOLOGY_IRI, OWL.imports)), "the ontology stands alone"


CORE_CLASSES = {
    "AnnualPlan": None, "Goal": None, "Strategy": None, "WorkPlan": None, "Program": None,
    "Activity": None, "TargetGroup": SKOS.Concept, "Law": ELI.LegalResource,
    "Vision": None, "Aim": None, "PolicyDocument": None, "PolicyReference": None, "KeyWork": None,
    "PlanCategory": SKOS.Concept, "DraftLaw": PLAN.Law, "LinkEvidence": None, "LawType": SKOS.Concept,
    "SourceDocument": PROV.Entity, "SourceLocation": PROV.Entity, "WorkPlanAssignment": None,
    "BudgetWorkPlan": None, "Appropriation": None, "BudgetLineItem": None, "BudgetStage": None,
    "BudgetFunction": SKOS.Concept, "BudgetMatch": None, "BudgetMatchKind": None,
}  # fmt: skip

# property -> (type, domain, range); a tuple domain or range means owl:unionOf those classes
CORE_PROPERTIES = {
    "hasGoal": (OWL.ObjectProperty, PLAN.AnnualPlan, PLAN.Goal),
    "hasStrategy": (OWL.ObjectProperty, PLAN.Goal, PLAN.Strategy),
    "hasWorkPlan": (OWL.ObjectProperty, PLAN.AnnualPlan, PLAN.WorkPlan),
    "hasProgram": (OWL.ObjectProperty, PLAN.WorkPlan, PLAN.Program),
    "hasActivity": (OWL.ObjectProperty, PLAN.Program, PLAN.Activity),
    "isGoalOf": (OWL.ObjectProperty, PLAN.Goal, PLAN.AnnualPlan),
    "isStrategyOf": (OWL.ObjectProperty, PLAN.Strategy, PLAN.Goal),
    "isWorkPlanOf": (OWL.ObjectProperty, PLAN.WorkPlan, PLAN.AnnualPlan),
    "isProgramOf": (OWL.ObjectProperty, PLAN.Program, PLAN.WorkPlan),
    "isActivityOf": (OWL.ObjectProperty, PLAN.Activity, PLAN.Program),
    "ordinal": (OWL.DatatypeProperty, None, XSD.integer),
    "category": (OWL.ObjectProperty, PLAN.Program, PLAN.PlanCategory),
    "responsibleUnit": (OWL.ObjectProperty, (PLAN.WorkPlan, PLAN.WorkPlanAssignment), ORG.Organization),
    "targetGroup": (OWL.ObjectProperty, None, PLAN.TargetGroup),  # plan nodes and budget line items
    "citesLaw": (OWL.ObjectProperty, None, PLAN.Law),
    "reformsLaw": (OWL.ObjectProperty, None, PLAN.Law),
    "legalBasis": (OWL.ObjectProperty, None, PLAN.Law),
    "legalBasisTerm": (OWL.DatatypeProperty, PLAN.Law, None),
    # no range: xsd:gYear is outside the OWL 2 datatype map (the shapes require it of the values)
    "fiscalYear": (OWL.DatatypeProperty, (PLAN.AnnualPlan, PLAN.Appropriation, PLAN.PolicyDocument), None),
    "rocYear": (OWL.DatatypeProperty, (PLAN.AnnualPlan, PLAN.WorkPlanAssignment, PLAN.PolicyDocument), XSD.integer),
    "hasVision": (OWL.ObjectProperty, PLAN.AnnualPlan, PLAN.Vision),
    "hasAim": (OWL.ObjectProperty, PLAN.AnnualPlan, PLAN.Aim),
    "follows": (OWL.ObjectProperty, PLAN.AnnualPlan, PLAN.PolicyDocument),
    "hasPolicyReference": (OWL.ObjectProperty, PLAN.AnnualPlan, PLAN.PolicyReference),
    "referencedDocument": (OWL.ObjectProperty, PLAN.PolicyReference, PLAN.PolicyDocument),
    "hasKeyWork": (OWL.ObjectProperty, PLAN.AnnualPlan, PLAN.KeyWork),
    "laterEnactedAs": (OWL.ObjectProperty, PLAN.DraftLaw, PLAN.Law),
    "budgetCode": (OWL.DatatypeProperty, (PLAN.WorkPlan, PLAN.WorkPlanAssignment, PLAN.BudgetWorkPlan), XSD.string),
    "hasLinkEvidence": (OWL.ObjectProperty, None, PLAN.LinkEvidence),
    "linkRule": (OWL.DatatypeProperty, PLAN.LinkEvidence, XSD.string),
    "cueText": (OWL.DatatypeProperty, PLAN.LinkEvidence, None),
    "cueOffset": (OWL.DatatypeProperty, PLAN.LinkEvidence, XSD.integer),
    "linkProperty": (OWL.ObjectProperty, PLAN.LinkEvidence, None),
    "linkTarget": (OWL.ObjectProperty, PLAN.LinkEvidence, SKOS.Concept),
    "matchedText": (OWL.DatatypeProperty, PLAN.LinkEvidence, None),
    "matchOffset": (OWL.DatatypeProperty, PLAN.LinkEvidence, XSD.integer),
    "sourceFile": (OWL.DatatypeProperty, PLAN.SourceLocation, XSD.string),
    "startLine": (OWL.DatatypeProperty, PLAN.SourceLocation, XSD.integer),
    "endLine": (OWL.DatatypeProperty, PLAN.SourceLocation, XSD.integer),
    "linkable": (OWL.DatatypeProperty, SKOS.Concept, XSD.boolean),
    "linkerStopTerm": (OWL.DatatypeProperty, SKOS.ConceptScheme, None),
    "organisation": (OWL.ObjectProperty, PLAN.WorkPlanAssignment, ORG.Organization),
    "workPlanName": (OWL.DatatypeProperty, PLAN.WorkPlanAssignment, None),
    # the central budget (issue 14: terms fixed by the issue)
    "agency": (OWL.ObjectProperty, PLAN.BudgetWorkPlan, ORG.Organization),
    "functionCategory": (OWL.ObjectProperty, PLAN.BudgetWorkPlan, PLAN.BudgetFunction),
    "appropriationOf": (OWL.ObjectProperty, PLAN.Appropriation, PLAN.BudgetWorkPlan),
    "hasAppropriation": (OWL.ObjectProperty, PLAN.BudgetWorkPlan, PLAN.Appropriation),
    "budgetStage": (OWL.ObjectProperty, PLAN.Appropriation, PLAN.BudgetStage),
    "hasLineItem": (OWL.ObjectProperty, (PLAN.Appropriation, PLAN.BudgetLineItem), PLAN.BudgetLineItem),
    "isLineItemOf": (OWL.ObjectProperty, PLAN.BudgetLineItem, (PLAN.Appropriation, PLAN.BudgetLineItem)),
    "amount": (OWL.DatatypeProperty, (PLAN.Appropriation, PLAN.BudgetLineItem), XSD.decimal),
    "changeFromPreviousYear": (OWL.DatatypeProperty, PLAN.BudgetLineItem, XSD.decimal),
    "budgetSection": (OWL.DatatypeProperty, PLAN.Appropriation, None),
    "budgetAgencyCode": (OWL.DatatypeProperty, ORG.Organization, XSD.string),
    "fundedBy": (OWL.ObjectProperty, PLAN.WorkPlan, PLAN.BudgetWorkPlan),
    "hasBudgetMatch": (OWL.ObjectProperty, PLAN.WorkPlan, PLAN.BudgetMatch),
    "budgetMatchTarget": (OWL.ObjectProperty, PLAN.BudgetMatch, PLAN.BudgetWorkPlan),
    "budgetMatchKind": (OWL.ObjectProperty, (PLAN.BudgetMatch, PLAN.WorkPlanAssignment), PLAN.BudgetMatchKind),
}  # fmt: skip

STRUCTURAL = {
    "hasGoal": "isGoalOf", "hasStrategy": "isStrategyOf", "hasWorkPlan": "isWorkPlanOf",
    "hasProgram": "isProgramOf", "hasActivity": "isActivityOf", "hasVision": "isVisionOf",
    "hasAim": "isAimOf", "hasKeyWork": "isKeyWorkOf", "hasPolicyReference": "isPolicyReferenceOf",
}  # fmt: skip


def _union_members(g: Graph, node) -> tuple | None:
    lst = g.value(node, OWL.unionOf)
    if lst is None:
        return None
    members, cell = [], lst
    while cell != RDF.nil:
        members.append(g.value(cell, RDF.first))
        cell = g.value(cell, RDF.rest)
    return tuple(members)


@pytest.mark.parametrize("name", sorted(CORE_CLASSES))
def test_core_class(name: str) -> None:
    g = ontology()
    term = PLAN[name]
    assert (term, RDF.type, OWL.Class) in g
    parent = CORE_CLASSES[name]
    if parent is not None:
        assert (term, RDFS.subClassOf, parent) in g


@pytest.mark.parametrize("name", sorted(CORE_PROPERTIES))
def test_core_property(name: str) -> None:
    g = ontology()
    term = PLAN[name]
    kind, domain, range_ = CORE_PROPERTIES[name]
    assert (term, RDF.type, kind) in g
    declared_domain = g.value(term, RDFS.domain)
    if isinstance(domain, tuple):
        assert isinstance(declared_domain, BNode) and _union_members(g, declared_domain) == domain
    else:
        assert declared_domain == domain
    declared_range = g.value(term, RDFS.range)
    if isinstance(range_, tuple):
        assert isinstance(declared_range, BNode) and _union_members(g, declared_range) == range_
    else:
        assert declared_range == range_


def test_ordinal_is_functional() -> None:
    assert (PLAN.ordinal, RDF.type, OWL.FunctionalProperty) in ontology()


@pytest.mark.parametrize("down", sorted(STRUCTURAL))
def test_structural_properties_are_parts_with_declared_inverses(down: str) -> None:
    g = ontology()
    up = STRUCTURAL[down]
    assert (PLAN[down], RDFS.subPropertyOf, DCTERMS.hasPart) in g
    assert (PLAN[up], RDFS.subPropertyOf, DCTERMS.isPartOf) in g
    assert (PLAN[down], OWL.inverseOf, PLAN[up]) in g
    assert (PLAN[up], OWL.inverseOf, PLAN[down]) in g
    assert g.value(PLAN[down], RDFS.domain) == g.value(PLAN[up], RDFS.range)
    assert g.value(PLAN[down], RDFS.range) == g.value(PLAN[up], RDFS.domain)


def test_every_plan_term_is_documented() -> None:
    g = ontology()
    problems = []
    for term in plan_terms():
        for prop in (RDFS.label, SKOS.definition):
            languages = {o.language for o in g.objects(term, prop)}
            if not {"en", "zh-Hant"} <= languages:
                problems.append(f"{term}: {prop} in {sorted(filter(None, languages))}")
        if (term, RDFS.isDefinedBy, ONTOLOGY_IRI) not in g:
            problems.append(f"{term}: no rdfs:isDefinedBy")
    assert not problems, problems
    assert len(plan_terms()) >= len(CORE_CLASSES) + len(CORE_PROPERTIES)


def test_no_undeclared_plan_term_is_used_in_the_ontology() -> None:
    g = ontology()
    declared = set(plan_terms())
    used = {t for triple in g for t in triple if isinstance(t, URIRef) and str(t).startswith(str(PLAN))}
    assert used <= declared, sorted(used - declared)


@pytest.mark.parametrize("path", [*VOCAB_FILES, *MAPPING_FILES], ids=_rel)
def test_every_property_and_class_used_is_declared(path: Path) -> None:
    """Predicates and classes of the data files are declared in the ontology (plan: terms and
    the external terms it declares minimally), unless they are RDF/RDFS/OWL vocabulary."""
    g, onto = graph_of(path), ontology()
    declared = {s for t in DECLARATION_TYPES for s in onto.subjects(RDF.type, t)}
    used = set(g.predicates()) | set(g.objects(None, RDF.type))
    undeclared = {t for t in used if not str(t).startswith(BUILT_IN_NAMESPACES) and t not in declared}
    assert not undeclared, sorted(undeclared)


# --------------------------------------------------------------------------------------------
# Violation queries: each tests/queries/*-violation.rq must return no row over the ontology, the
# vocabularies and the mappings (evaluated by Oxigraph, the store we serve from)
# --------------------------------------------------------------------------------------------

QUERIES = sorted(QUERY_DIR.glob("*-violation.rq"))


@functools.cache
def oxigraph_store() -> ox.Store:
    store = ox.Store()
    for path in [ONTOLOGY, *VOCAB_FILES, *MAPPING_FILES]:
        store.bulk_load(path=path, format=ox.RdfFormat.TURTLE, base_iri=BASE)
    return store


def run_query(store: ox.Store, path: Path) -> list[str]:
    return [str(row) for row in store.query(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("query", QUERIES, ids=lambda p: p.stem)
def test_violation_query_finds_nothing(query: Path) -> None:
    assert run_query(oxigraph_store(), query) == []


def test_violation_queries_exist() -> None:
    assert len(QUERIES) >= 10


# Each query can fail: a small defect added to the real files makes it return a row. Several
# defects per query where the query checks several things.
S = "http://www.w3.org/2004/02/skos/core#"
P = "https://w3id.org/plankg/ontology#"
E = "http://data.europa.eu/eli/ontology#"
BROKEN = {
    "term-without-definition-violation": [f'<{P}Extra> a <{OWL.Class}> ; <{RDFS.label}> "extra"@en, "額外"@zh-Hant .'],
    "term-without-label-violation": [f"<{P}Extra> a <{OWL.Class}> ."],
    "term-not-defined-by-ontology-violation": [f"<{P}Extra> a <{OWL.Class}> ."],
    "undeclared-term-violation": [
        f'<target-group/youth> <{P}ageBand> "15-29" .',
        '<target-group/youth> <http://example.org/undeclared> "x" .',
    ],
    "literal-language-violation": [
        f'<target-group/youth> <{S}altLabel> "young people" .',
        f'<target-group/youth> <{S}altLabel> "jeunes"@fr .',
    ],
    "concept-not-in-scheme-violation": [
        f"<target-group/nobody> a <{P}TargetGroup> .",
        f"<target-group/thing> <{S}inScheme> <target-group> .",
    ],
    "concept-pref-label-violation": [
        f'<target-group/youth> <{S}prefLabel> "年輕人"@zh-Hant .',
        f'<target-group/x> a <{P}TargetGroup> ; <{S}inScheme> <target-group> ; <{S}prefLabel> "某"@zh-Hant .',
    ],
    "surface-form-shared-violation": [f'<target-group/women> <{S}hiddenLabel> "青年"@zh-Hant .'],
    "stop-term-is-surface-form-violation": [
        f'<target-group> <{P}linkerStopTerm> "青年"@zh-Hant .',
        f'<target-group> <{P}linkerStopTerm> "勞工福利" .',
    ],
    "law-identifier-violation": [
        f"<law/N0030001> <{E}id_local> \"N0030002\" .",
        f"<law/N9999999> a <{P}Law> ; <{S}inScheme> <law> .",
        f"<law/N0030099> a <{P}Law> ; <{E}id_local> \"N0030099\" .",
        f"<law/draft/minimum-wage> <{E}id_local> \"N0030028\" .",
        f"<law/D1> a <{P}DraftLaw> .",
        f"<law/draft/x> a <{P}DraftLaw> ; <{P}laterEnactedAs> <law/draft/minimum-wage> .",
    ],
    "hierarchy-inconsistent-violation": [
        f"<target-group/youth> <{S}broader> <target-group/workers> .",
        f"<target-group/workers> <{S}broader> <target-group/youth> .",
        f"<target-group/x> <{S}inScheme> <target-group> .",
    ],
    "organisation-inconsistent-violation": [
        "<org/mol/statistics> <http://www.w3.org/ns/org#subOrganizationOf> <org/mol> .",
        "<org/mol/x> a <http://www.w3.org/ns/org#OrganizationalUnit> .",
    ],
    "dangling-reference-violation": ["<org/mol> <http://purl.org/dc/terms/source> <law/N9999999> ."],
    "work-plan-assignment-violation": [
        f"[] a <{P}WorkPlanAssignment> ; <{P}organisation> <org/mol> ; <{P}responsibleUnit> <target-group/youth> .",
        f'[] a <{P}WorkPlanAssignment> ; <{P}budgetCode> "63300111" .',
        f'[] a <{P}WorkPlanAssignment> ; <{P}organisation> <org/mol> ; <{P}rocYear> 108 ; <{P}workPlanName> "綜合規劃業務"@zh-Hant .',
    ],
}


def test_every_violation_query_has_broken_examples() -> None:
    assert sorted(BROKEN) == sorted(q.stem for q in QUERIES)


@pytest.mark.parametrize(
    "name,defect", [(n, d) for n, ds in sorted(BROKEN.items()) for d in ds], ids=lambda x: x[:40]
)
def test_violation_query_can_fail(name: str, defect: str) -> None:
    store = ox.Store()
    for path in [ONTOLOGY, *VOCAB_FILES, *MAPPING_FILES]:
        store.bulk_load(path=path, format=ox.RdfFormat.TURTLE, base_iri=BASE)
    store.load(input=defect, format=ox.RdfFormat.TURTLE, base_iri=BASE)
    assert run_query(store, QUERY_DIR / f"{name}.rq")


# --------------------------------------------------------------------------------------------
# Plan categories
# --------------------------------------------------------------------------------------------


def test_plan_categories_closed_list() -> None:
    g = vocabularies()
    concepts = {str(c)[len(BASE):]: c for c in g.subjects(RDF.type, PLAN.PlanCategory)}
    assert sorted(concepts) == [
        "plan-category/public-construction", "plan-category/science-technology", "plan-category/social-development",
    ]  # fmt: skip
    zh = {str(o) for c in concepts.values() for o in g.objects(c, SKOS.prefLabel) if o.language == "zh-Hant"}
    assert zh == {"社會發展", "公共建設", "科技發展"}
    for c in concepts.values():
        assert (c, SKOS.topConceptOf, ID["plan-category"]) in g
        assert {o.language for o in g.objects(c, SKOS.definition)} == {"en", "zh-Hant"}


# --------------------------------------------------------------------------------------------
# Target groups
# --------------------------------------------------------------------------------------------


def surface_forms(g: Graph, scheme: URIRef) -> dict[str, list[URIRef]]:
    forms: dict[str, list[URIRef]] = {}
    for concept in g.subjects(SKOS.inScheme, scheme):
        if (concept, PLAN.linkable, Literal(False)) in g:
            continue
        for prop in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
            for label in g.objects(concept, prop):
                if label.language == "zh-Hant":
                    forms.setdefault(str(label), []).append(concept)
    return forms


@pytest.mark.parametrize("scheme", ["target-group", "law"])
def test_no_surface_form_is_shared(scheme: str) -> None:
    forms = surface_forms(vocabularies(), ID[scheme])
    shared = {f: cs for f, cs in forms.items() if len(set(cs)) > 1}
    assert not shared


# surface form in the 108 plan -> concept slug
REQUIRED_TARGET_GROUP_FORMS = {
    "青年": "youth", "中高齡者": "middle-aged", "中高齡": "middle-aged", "高齡者": "older-persons",
    "銀髮者": "senior-jobseekers", "婦女": "women", "女性": "women", "二度就業婦女": "women-returning-to-work",
    "身心障礙者": "persons-with-disabilities", "失業者": "unemployed", "失業勞工": "unemployed",
    "求職者": "jobseekers", "派遣勞工": "dispatched-workers", "部分工時勞工": "part-time-workers",
    "特殊工作者": "special-workers", "特定工作者": "special-workers",
    "職災勞工": "occupational-accident-workers", "職業災害勞工": "occupational-accident-workers",
    "外國專業人士": "foreign-professionals", "獨立專業人士": "independent-professionals",
    "僑外生": "overseas-chinese-foreign-students", "特定對象": "specific-target-groups",
    "弱勢者": "disadvantaged-persons", "雇主": "employers", "僱主": "employers",
    "事業單位": "business-entities", "企業": "enterprises", "中小企業": "smes",
    "微型企業": "micro-enterprises", "中小型與微型企業": "smes", "工會": "labour-unions",
    "民間團體": "civil-society-organisations", "勞雇團體": "worker-employer-organisations",
    "照顧服務工作者": "care-workers", "長照人力": "care-workers", "勞工": "workers",
}  # fmt: skip


def test_required_target_group_forms() -> None:
    forms = surface_forms(vocabularies(), ID["target-group"])
    actual = {f: str(forms[f][0])[len(BASE) + len("target-group/"):] for f in REQUIRED_TARGET_GROUP_FORMS if f in forms}
    assert actual == REQUIRED_TARGET_GROUP_FORMS


def test_target_groups_hierarchy_and_labels() -> None:
    g = vocabularies()
    scheme = ID["target-group"]
    concepts = set(g.subjects(RDF.type, PLAN.TargetGroup))
    assert len(concepts) >= 30
    for c in concepts:
        assert (c, SKOS.inScheme, scheme) in g
        assert sorted(o.language for o in g.objects(c, SKOS.prefLabel)) == ["en", "zh-Hant"], c
        assert {o.language for o in g.objects(c, SKOS.definition)} == {"en", "zh-Hant"}, c
        assert g.value(c, SKOS.broader) is not None or (c, SKOS.topConceptOf, scheme) in g, c
    assert (ID["target-group/middle-aged"], SKOS.broader, ID["target-group/specific-target-groups"]) in g
    assert (ID["target-group/women-returning-to-work"], SKOS.broader, ID["target-group/women"]) in g
    middle_aged = ID["target-group/middle-aged"]
    assert g.value(middle_aged, URIRef("http://schema.org/suggestedMinAge")) == Literal(45)
    assert g.value(middle_aged, URIRef("http://schema.org/suggestedMaxAge")) == Literal(65)


# --------------------------------------------------------------------------------------------
# A tiny leftmost-longest matcher, as the linker specification describes it, run over phrases of
# the 108 plan: the vocabularies must link what the text names and nothing it does not.
# --------------------------------------------------------------------------------------------


def match(text: str, scheme: str) -> list[tuple[str, str, int]]:
    g = vocabularies()
    forms = {f: str(cs[0])[len(BASE):] for f, cs in surface_forms(g, ID[scheme]).items()}
    stops = {str(s) for s in g.objects(ID[scheme], PLAN.linkerStopTerm)}
    keys = sorted(set(forms) | stops, key=len, reverse=True)
    found, i = [], 0
    while i < len(text):
        key = next((k for k in keys if text.startswith(k, i)), None)
        if key is None:
            i += 1
            continue
        if key in forms:
            found.append((forms[key], key, i))
        i += len(key)
    return found


LINKER_CASES = [
    # (phrase of the plan, scheme, expected concepts in order)
    ("完善勞工保險法制，研議改進勞保加保制度", "target-group", []),
    ("完善勞工保險法制，研議改進勞保加保制度", "law", ["law/N0050001"]),
    ("賡續檢討修正勞工保險條例相關法規及解釋函令", "target-group", []),
    ("協助失業勞工就業及鼓勵僱主僱用勞工從事照顧服務工作", "target-group",
     ["target-group/unemployed", "target-group/employers", "target-group/workers"]),
    ("加強推動中高齡及高齡者就業媒合", "target-group", ["target-group/middle-aged", "target-group/older-persons"]),
    ("推動中高齡者就業促進專法，營造友善就業環境", "law", ["law/draft/middle-aged-elderly-employment-promotion"]),
    ("推動派遣勞工保護法制化，保障派遣勞工權益", "law", ["law/draft/dispatched-workers-protection"]),
    ("推動最低工資法制，保障勞工基本生活", "law", ["law/draft/minimum-wage"]),
    ("推動職業災害保險單獨立法", "law", ["law/draft/occupational-accident-insurance"]),
    ("研擬部分工時勞工保護法制，強化部分工時勞工權益", "law", ["law/draft/part-time-workers-protection"]),
    ("研擬部分工時勞工保護法制，強化部分工時勞工權益", "target-group",
     ["target-group/part-time-workers", "target-group/part-time-workers"]),
    ("補助勞工權益基金，推動勞工訴訟扶助專案", "target-group", ["target-group/workers"]),
    ("促進勞工行政人員及勞雇團體參與國際事務能力", "target-group", ["target-group/worker-employer-organisations"]),
    ("辦理勞工退休金制度及法令宣導，提升勞雇雙方對勞工退休制度及法令瞭解，鼓勵勞工自願提繳退休金", "target-group",
     ["target-group/workers"]),
    ("提供 55 歲以上或已退休之銀髮者專屬就業媒合服務", "target-group", ["target-group/senior-jobseekers"]),
    ("主動協助在地中小型與微型企業建立職場健康管理", "target-group", ["target-group/smes"]),
    ("落實勞動基準法，保障勞工法定權益", "law", ["law/N0030001"]),
    ("辦理職業災害勞工保護法規檢討", "law", ["law/N0060041"]),
    ("依據就業促進津貼實施辦法運用臨時工作津貼", "law", ["law/N0090025"]),
    ("推動研修工會法制，完善工會組織制度", "law", ["law/N0020001"]),
    ("整合勞工特殊健檢結果與職業健康相關報備資訊，提升勞工健康檢查品質", "target-group", []),
    ("參與國際間勞工議題之諮商談判", "target-group", []),
]  # fmt: skip


@pytest.mark.parametrize("phrase,scheme,expected", LINKER_CASES)
def test_linker_reading_of_plan_phrases(phrase: str, scheme: str, expected: list[str]) -> None:
    assert phrase.replace(" ", "") in PLAN_TEXT.read_text(encoding="utf-8").replace(" ", "").replace("<p>", "").replace("</p>", "")
    assert [concept for concept, _, _ in match(phrase, scheme)] == expected


# --------------------------------------------------------------------------------------------
# Laws
# --------------------------------------------------------------------------------------------

PCODE = re.compile(r"^[A-Z][0-9]{7}$")


def test_pcodes_and_law_iris() -> None:
    g = vocabularies()
    laws = set(g.subjects(RDF.type, PLAN.Law))
    drafts = set(g.subjects(RDF.type, PLAN.DraftLaw))
    assert len(laws) >= 40 and len(drafts) == 5
    for law in laws:
        pcode = g.value(law, ELI.id_local)
        assert PCODE.match(str(pcode)) and pcode.datatype in (None, XSD.string), law
        assert law == ID[f"law/{pcode}"]
        assert (law, RDFS.seeAlso, URIRef(f"https://law.moj.gov.tw/LawClass/LawAll.aspx?pcode={pcode}")) in g
        assert (law, SKOS.inScheme, ID["law"]) in g
    for draft in drafts:
        assert g.value(draft, ELI.id_local) is None
        assert str(draft).startswith(BASE + "law/draft/")
        assert {o.language for o in g.objects(draft, RDFS.label)} == {"en", "zh-Hant"}


KEY_LAWS = {
    "N0030001": ("勞動基準法", "Labor Standards Act"),
    "N0050001": ("勞工保險條例", "Labor Insurance Act"),
    "N0090025": ("就業促進津貼實施辦法", "Regulations for the Implementation of the Employment Promotion Allowances"),
    "N0090055": ("中高齡者及高齡者就業促進法", "Middle-aged and Elderly Employment Promotion Act"),
    "N0050031": ("勞工職業災害保險及保護法", "Labor Occupational Accident Insurance and Protection Act"),
    "N0030028": ("最低工資法", "Minimum Wage Act"),
    "N0030014": ("性別平等工作法", "Gender Equality in Employment Act"),
    "N0060041": ("職業災害勞工保護法", "Act for Protecting Worker of Occupational Accidents"),
    "N0000030": ("勞動部組織法", "Organization Act of the Ministry of Labor"),
}  # fmt: skip


@pytest.mark.parametrize("pcode", sorted(KEY_LAWS))
def test_key_law_names(pcode: str) -> None:
    g = vocabularies()
    law = ID[f"law/{pcode}"]
    zh, en = KEY_LAWS[pcode]
    assert set(g.objects(law, SKOS.prefLabel)) == {Literal(zh, lang="zh-Hant"), Literal(en, lang="en")}
    assert set(g.objects(law, RDFS.label)) == {Literal(zh, lang="zh-Hant"), Literal(en, lang="en")}


def test_law_history_facts() -> None:
    g = vocabularies()
    assert Literal("性別工作平等法", lang="zh-Hant") in set(g.objects(ID["law/N0030014"], SKOS.altLabel))
    assert g.value(ID["law/N0030003"], ELI.date_no_longer_in_force) == Literal("2024-03-08", datatype=XSD.date)
    # 職業災害勞工保護法 no longer applies since 2022-05-01 but was never repealed: no repeal facts.
    for prop in (ELI.date_no_longer_in_force, ELI.repealed_by):
        assert g.value(ID["law/N0060041"], prop) is None
    assert g.value(ID["law/N0060041"], DCTERMS.isReplacedBy) == ID["law/N0050031"]


def test_drafts_and_their_later_statutes() -> None:
    g = vocabularies()
    later = {
        str(d)[len(BASE):]: (str(g.value(d, PLAN.laterEnactedAs))[len(BASE):] if g.value(d, PLAN.laterEnactedAs) else None)
        for d in g.subjects(RDF.type, PLAN.DraftLaw)
    }
    assert later == {
        "law/draft/minimum-wage": "law/N0030028",
        "law/draft/middle-aged-elderly-employment-promotion": "law/N0090055",
        "law/draft/occupational-accident-insurance": "law/N0050031",
        "law/draft/dispatched-workers-protection": None,
        "law/draft/part-time-workers-protection": None,
    }
    assert str(g.value(ID["law/draft/dispatched-workers-protection"], SKOS.prefLabel)) in {
        "派遣勞工保護法（草案）", "Dispatched Workers Protection Act (draft)",
    }  # fmt: skip


def test_organisation_legal_bases_are_unlinkable_laws() -> None:
    g = vocabularies()
    sources = set(g.objects(None, DCTERMS.source))
    org_sources = {o for s, o in g.subject_objects(DCTERMS.source) if str(s).startswith(BASE + "org/")}
    assert org_sources, "organisations cite their legal basis"
    for law in sources:
        assert (law, RDF.type, PLAN.Law) in g, law
    for law in org_sources:
        assert (law, PLAN.linkable, Literal(False)) in g, law


# --------------------------------------------------------------------------------------------
# Organisations and the work plan mapping
# --------------------------------------------------------------------------------------------

UNITS = {
    "general-planning": "綜合規劃司", "labor-relations": "勞動關係司", "labor-insurance": "勞動保險司",
    "welfare-retirement": "勞動福祉退休司", "labor-standards-equal-employment": "勞動條件及就業平等司",
    "legal-affairs": "勞動法務司", "bli": "勞動部勞工保險局", "wda": "勞動部勞動力發展署",
    "blf": "勞動部勞動基金運用局", "osha": "勞動部職業安全衛生署", "ilosh": "勞動部勞動及職業安全衛生研究所",
}  # fmt: skip


def test_ministry_and_units() -> None:
    g = vocabularies()
    mol = ID["org/mol"]
    assert {(mol, RDF.type, ORG.Organization), (mol, RDF.type, ORG.FormalOrganization)} <= set(g)
    assert g.value(mol, SKOS.notation) == Literal("mol")
    assert g.value(mol, DCTERMS.source) == ID["law/N0000030"]
    agencies = ("bli", "wda", "blf", "osha", "ilosh")
    for slug, zh in UNITS.items():
        unit = ID[f"org/mol/{slug}"]
        assert Literal(zh, lang="zh-Hant") in set(g.objects(unit, SKOS.prefLabel))
        assert {o.language for o in g.objects(unit, SKOS.prefLabel)} == {"en", "zh-Hant"}
        if slug in agencies:
            continue
        assert (unit, RDF.type, ORG.OrganizationalUnit) in g
        assert (unit, ORG.unitOf, mol) in g and (mol, ORG.hasUnit, unit) in g
    # W3C ORG: agencies are legal entities (FormalOrganization) under the ministry, not units of it
    for agency in agencies:
        unit = ID[f"org/mol/{agency}"]
        assert (unit, RDF.type, ORG.FormalOrganization) in g
        assert (unit, ORG.subOrganizationOf, mol) in g and (mol, ORG.hasSubOrganization, unit) in g
        assert (unit, RDF.type, ORG.OrganizationalUnit) not in g
        assert (unit, ORG.unitOf, mol) not in g and (mol, ORG.hasUnit, unit) not in g


def test_org_axioms_relied_on_are_declared() -> None:
    g = ontology()
    assert (ORG.unitOf, RDFS.subPropertyOf, ORG.subOrganizationOf) in g
    assert (ORG.hasUnit, RDFS.subPropertyOf, ORG.hasSubOrganization) in g
    assert (ORG.FormalOrganization, RDFS.subClassOf, ORG.Organization) in g
    assert (ORG.OrganizationalUnit, RDFS.subClassOf, ORG.Organization) in g


EXPECTED_ASSIGNMENTS = {
    "綜合規劃業務": ("general-planning", "6330011100"),
    "勞動關係業務": ("labor-relations", "6330011200"),
    "勞動條件及就業平等業務": ("labor-standards-equal-employment", "6330011500"),
    "勞動保險業務(一)": ("labor-insurance", "6130011300"),
    "勞動福祉退休業務": ("welfare-retirement", "6330011400"),
    "勞動法務業務": ("legal-affairs", "6330011600"),
    "勞動保險業務(二)": ("bli", "6130101100"),
    "勞動力發展業務": ("wda", "6430200200"),
    "勞動基金運用業務": ("blf", "6330400200"),
    "職業安全衛生業務": ("osha", "6330300200"),
    "勞動及職業安全衛生研究業務": ("ilosh", "5230501100"),
}  # fmt: skip


def work_plan_names_in_plan_text() -> list[str]:
    """First column of the rows of the table of important programs (貳、年度重要計畫)."""
    names = []
    for line in PLAN_TEXT.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) >= 3 and cells[0].strip() and cells[0] != "工作計畫名稱":
            names.append(cells[0].strip())
    return names


def test_the_eleven_work_plan_assignments() -> None:
    g = graph_of(MAPPING_DIR / "mol-108-work-plans.ttl")
    assignments = list(g.subjects(RDF.type, PLAN.WorkPlanAssignment))
    assert len(assignments) == 11
    actual = {}
    for a in assignments:
        assert g.value(a, PLAN.organisation) == ID["org/mol"]
        assert g.value(a, PLAN.rocYear) == Literal(108)
        name = g.value(a, PLAN.workPlanName)
        assert name.language == "zh-Hant"
        unit = str(g.value(a, PLAN.responsibleUnit))
        actual[str(name)] = (unit[len(BASE + "org/mol/"):], str(g.value(a, PLAN.budgetCode)))
    assert actual == EXPECTED_ASSIGNMENTS
    assert sorted(work_plan_names_in_plan_text()) == sorted(EXPECTED_ASSIGNMENTS)
    units = {ID[f"org/mol/{u}"] for u, _ in actual.values()}
    v, mol = vocabularies(), ID["org/mol"]
    # a department of the ministry, or one of its agencies
    assert all((u, ORG.unitOf, mol) in v or (u, ORG.subOrganizationOf, mol) in v for u in units)
    kinds = {str(g.value(a, PLAN.workPlanName)): g.value(a, PLAN.budgetMatchKind) for a in assignments}
    assert {n for n, k in kinds.items() if k == PLAN.NearNameMatch} == {"勞動保險業務(二)", "勞動及職業安全衛生研究業務"}
    assert all(k == PLAN.ExactNameMatch for n, k in kinds.items() if n not in {"勞動保險業務(二)", "勞動及職業安全衛生研究業務"})
