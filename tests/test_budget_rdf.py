"""The central budget as RDF (plankg.build.budget_rdf), on the three shipped budget documents.

Checks the counts, a row of the Ministry of Labor read by hand from the published note, the
year-independent budget work plans, the functions of government, the agency codes and their
mapping to the organisations plankg already describes, the plan's plan:fundedBy links, and how
long mapping and serialising take.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import time
from decimal import Decimal

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import ORG, RDF, RDFS, SKOS, XSD

from conftest import BASE, SEED
from plankg.build.budget_agencies import agencies, check_agency_codes
from plankg.build.budget_rdf import map_budget
from plankg.build.linker import Linker
from plankg.build.mapped import MappedGraph
from plankg.build.rdf import map_plan
from plankg.build.vocab import Vocabularies
from plankg.errors import InputError
from plankg.loaders import registry
from plankg.loaders.budget_csv import shipped_documents

PLAN = Namespace("https://w3id.org/plankg/ontology#")
ID = Namespace(BASE)
DOCS = [("enacted", 2018), ("proposed", 2019), ("enacted", 2019)]


@functools.cache
def vocab() -> Vocabularies:
    return Vocabularies.load(BASE)


@functools.cache
def documents() -> dict[tuple[str, int], object]:
    return {(d.stage, d.year): d for d in shipped_documents()}


@functools.cache
def mapped(stage: str, year: int) -> MappedGraph:
    return map_budget(documents()[(stage, year)], vocab())


@functools.cache
def plan_graph() -> Graph:
    data = SEED.read_bytes()
    plan = registry.load(str(SEED), data, list(vocab().categories))
    return map_plan(plan, vocab(), Linker(vocab().terms), hashlib.sha256(data).hexdigest()).graph


def enacted_2019() -> Graph:
    return mapped("enacted", 2019).graph


# ------------------------------------------------------------------------------------------------
# Counts and graph IRIs
# ------------------------------------------------------------------------------------------------

EXPECTED_COUNTS = {
    ("enacted", 2018): {"agencies": 232, "budget work plans": 1151, "appropriations": 1151, "line items": 2734,
                        "line items unparsed": 13},
    ("proposed", 2019): {"agencies": 235, "budget work plans": 1177, "appropriations": 1177, "line items": 2720,
                         "line items unparsed": 13},
    ("enacted", 2019): {"agencies": 235, "budget work plans": 1177, "appropriations": 1177, "line items": 2719,
                        "line items unparsed": 13},
}  # fmt: skip


@pytest.mark.parametrize("stage,year", DOCS)
def test_counts_and_graph_iri(stage: str, year: int) -> None:
    m = mapped(stage, year)
    assert m.kind == "budget"
    assert m.graph_iri == f"{BASE}graph/budget/{year - 1911}/{stage}"
    assert m.counts == EXPECTED_COUNTS[(stage, year)]
    assert m.warnings == []
    g = m.graph
    assert len(set(g.subjects(RDF.type, PLAN.Appropriation))) == m.counts["appropriations"]
    assert len(set(g.subjects(RDF.type, PLAN.BudgetWorkPlan))) == m.counts["budget work plans"]
    assert len(set(g.subjects(RDF.type, PLAN.BudgetLineItem))) == m.counts["line items"]
    assert len(set(g.subjects(PLAN.budgetAgencyCode, None))) == m.counts["agencies"]
    # the loader's own tally of the notes' items agrees
    items = documents()[(stage, year)].item_counts()
    assert (items.parsed + items.unparsed, items.unparsed) == (m.counts["line items"], m.counts["line items unparsed"])
    unparsed = [i for i in g.subjects(RDF.type, PLAN.BudgetLineItem) if g.value(i, PLAN.amount) is None]
    assert len(unparsed) == m.counts["line items unparsed"]
    assert all(g.value(i, RDFS.label) for i in unparsed), "an unparsed item keeps its text"


def test_mapping_is_deterministic() -> None:
    again = map_budget(documents()[("enacted", 2019)], vocab())
    assert sorted(again.graph.serialize(format="nt").splitlines()) == sorted(
        enacted_2019().serialize(format="nt").splitlines())


# ------------------------------------------------------------------------------------------------
# The Ministry of Labor's 綜合規劃業務, 6330011100, as published
# ------------------------------------------------------------------------------------------------


def test_mol_general_planning_row() -> None:
    g = enacted_2019()
    wp, ap = ID["budget/work-plan/6330011100"], ID["budget/108/enacted/6330011100"]
    assert (wp, RDF.type, PLAN.BudgetWorkPlan) in g and (ap, RDF.type, PLAN.Appropriation) in g
    assert g.value(wp, PLAN.budgetCode) == Literal("6330011100")
    assert g.value(wp, RDFS.label) == Literal("綜合規劃業務", lang="zh-Hant")
    assert g.value(wp, PLAN.agency) == ID["org/mol"]
    assert (wp, PLAN.hasAppropriation, ap) in g and g.value(ap, PLAN.appropriationOf) == wp
    assert g.value(ap, PLAN.amount) == Literal(Decimal(14762000), datatype=XSD.decimal)
    assert g.value(ap, PLAN.fiscalYear) == Literal("2019", datatype=XSD.gYear)
    assert g.value(ap, PLAN.budgetStage) == PLAN.Enacted
    items = sorted(g.objects(ap, PLAN.hasLineItem), key=lambda i: g.value(i, PLAN.ordinal).toPython())
    assert [g.value(i, PLAN.ordinal).toPython() for i in items] == [1, 2, 3, 4, 5]
    first = items[0]
    assert first == ID["budget/108/enacted/6330011100/item/1"]
    assert str(g.value(first, RDFS.label)).startswith("策劃政策推展經費")
    assert g.value(first, RDFS.label).language == "zh-Hant"
    assert g.value(first, PLAN.amount).toPython() == Decimal(2479000)
    assert g.value(first, PLAN.changeFromPreviousYear).toPython() == Decimal(-576000)
    assert g.value(first, PLAN.isLineItemOf) == ap


def test_nested_items_hang_under_their_item() -> None:
    g = enacted_2019()
    item = ID["budget/108/enacted/6130100100/item/3"]  # 勞工保險局 一般行政: 3. 資訊業務經費 with (1) (2)
    subs = set(g.objects(item, PLAN.hasLineItem))
    assert subs == {ID["budget/108/enacted/6130100100/item/3/1"], ID["budget/108/enacted/6130100100/item/3/2"]}
    assert all(g.value(s, PLAN.isLineItemOf) == item for s in subs)
    assert g.value(item, PLAN.amount).toPython() == Decimal(393662000)


def test_a_2018_appropriation_is_of_the_same_budget_work_plan() -> None:
    old = mapped("enacted", 2018).graph
    ap = ID["budget/107/enacted/6330011100"]
    assert old.value(ap, PLAN.appropriationOf) == ID["budget/work-plan/6330011100"]
    assert old.value(ap, PLAN.fiscalYear) == Literal("2018", datatype=XSD.gYear)
    assert (ID["budget/work-plan/6330011100"], PLAN.hasAppropriation, ap) in old
    proposed = mapped("proposed", 2019).graph
    assert proposed.value(ID["budget/108/proposed/6330011100"], PLAN.budgetStage) == PLAN.Proposed


def test_a_section_row_says_which_section() -> None:
    g = enacted_2019()  # 6430200200 is the 節 綜合規劃 of 勞動力發展業務, not the whole work plan
    assert g.value(ID["budget/108/enacted/6430200200"], PLAN.budgetSection) == Literal("綜合規劃", lang="zh-Hant")
    assert g.value(ID["budget/108/enacted/6330011100"], PLAN.budgetSection) is None


# ------------------------------------------------------------------------------------------------
# Functions of government
# ------------------------------------------------------------------------------------------------


def test_function_of_6330011100_is_welfare_services() -> None:
    concept = enacted_2019().value(ID["budget/work-plan/6330011100"], PLAN.functionCategory)
    assert concept == ID["budget-function/63"]
    v = vocab().union
    assert (concept, RDF.type, PLAN.BudgetFunction) in v and (concept, SKOS.inScheme, ID["budget-function"]) in v
    assert Literal("福利服務支出", lang="zh-Hant") in set(v.objects(concept, SKOS.prefLabel))


def test_every_cat_value_is_one_function_and_one_code_prefix() -> None:
    pairs = {(r.code[:2], r.cat) for d in documents().values() for r in d.rows}
    assert len(pairs) == len({c for c, _ in pairs}) == len({cat for _, cat in pairs}) == 32
    functions = vocab().budget_functions
    assert {code: label for code, (_, label) in functions.items()} == dict(pairs)
    for code, (concept, _) in functions.items():
        assert concept == ID[f"budget-function/{code}"]
        assert {o.language for o in vocab().union.objects(concept, SKOS.prefLabel)} == {"en", "zh-Hant"}


# ------------------------------------------------------------------------------------------------
# Agencies
# ------------------------------------------------------------------------------------------------

MAPPED_AGENCIES = {  # agency code -> (IRI, depname in all three documents)
    "0301": ("org/ey", "行政院"),
    "3001": ("org/mol", "勞動部"), "3010": ("org/mol/bli", "勞工保險局"),
    "3020": ("org/mol/wda", "勞動力發展署及所屬"), "3030": ("org/mol/osha", "職業安全衛生署"),
    "3040": ("org/mol/blf", "勞動基金運用局"), "3050": ("org/mol/ilosh", "勞動及職業安全衛生研究所"),
}  # fmt: skip


def test_every_depname_has_one_agency_code_and_renames_are_the_exceptions() -> None:
    problems = check_agency_codes(documents().values())
    assert not [p for p in problems if not p.startswith("agency code ")], "a depname with two agency codes"
    renamed = [p for p in problems if p.startswith("agency code ")]
    # the prosecutors' offices renamed in 2018 (法院組織法) and three science parks (…及所屬)
    assert len(renamed) == 33
    assert any(p.startswith("agency code 2320 has 2 names: 最高法院檢察署 (enacted-2018); 最高檢察署") for p in renamed)
    for doc in documents().values():
        found, warnings = agencies(doc)
        assert warnings == [] and len({a.name for a in found.values()}) == len(found)


def test_mapped_agency_codes_map_to_the_existing_organisations() -> None:
    assert vocab().budget_agencies == {code: ID[iri] for code, (iri, _) in MAPPED_AGENCIES.items()}
    for doc in documents().values():
        names = {r.code[2:6]: r.depname for r in doc.rows}
        assert {code: names[code] for code in MAPPED_AGENCIES} == {c: n for c, (_, n) in MAPPED_AGENCIES.items()}
    g = enacted_2019()
    for code, (iri, _) in MAPPED_AGENCIES.items():
        assert g.value(ID[iri], PLAN.budgetAgencyCode) == Literal(code)
        assert g.value(ID[iri], RDFS.label) is None, "labels of mapped agencies come from organisations.ttl"
    assert not set(g.subjects(RDF.type, ORG.Organization)) & {ID[iri] for iri, _ in MAPPED_AGENCIES.values()}
    assert g.value(ID["budget/work-plan/6130101100"], PLAN.agency) == ID["org/mol/bli"]
    assert g.value(ID["budget/work-plan/6430200200"], PLAN.agency) == ID["org/mol/wda"]


def test_other_agencies_are_formal_organisations_under_their_supervisor() -> None:
    g = enacted_2019()
    dgbas, ey = ID["org/budget/0310"], ID["org/ey"]  # 行政院 is mapped (budget-agencies.ttl)
    assert {(dgbas, RDF.type, ORG.FormalOrganization), (dgbas, RDF.type, ORG.Organization)} <= set(g)
    assert set(g.objects(dgbas, SKOS.prefLabel)) == {Literal("主計總處", lang="zh-Hant")}  # no English: unverified
    assert g.value(dgbas, PLAN.budgetAgencyCode) == Literal("0310")
    assert (dgbas, ORG.subOrganizationOf, ey) in g and (ey, ORG.hasSubOrganization, dgbas) in g
    assert g.value(ey, ORG.subOrganizationOf) is None  # 行政院 is a 主管 itself
    assert not list(g.subject_objects(ORG.unitOf)), "budget agencies are never units"
    local = ID["org/budget/7118"]  # 補助直轄市及縣市政府, under 省市地方政府: no 主管 organisation
    assert g.value(local, PLAN.budgetAgencyCode) == Literal("7118") and g.value(local, ORG.subOrganizationOf) is None


def test_a_depname_with_two_codes_is_reported() -> None:
    doc = documents()[("enacted", 2019)]
    row = copy.deepcopy(doc.rows[0])
    row.code = "31" + "9999" + row.code[6:]  # 總統府 under a second agency code
    m = map_budget(dataclasses.replace(doc, rows=[*doc.rows, row]), vocab())
    assert any("總統府 has budget codes of 2 agencies (0201, 9999)" in w for w in m.warnings), m.warnings


def test_an_unknown_function_of_government_names_file_and_line() -> None:
    doc = documents()[("enacted", 2019)]
    row = copy.deepcopy(doc.rows[0])
    row.code = "99" + row.code[2:]
    with pytest.raises(InputError) as e:
        map_budget(dataclasses.replace(doc, rows=[row]), vocab())
    assert e.value.file == doc.file and e.value.line == row.source.line
    assert "budget-functions.ttl" in str(e.value)


# ------------------------------------------------------------------------------------------------
# The plan's work plans and the budget
# ------------------------------------------------------------------------------------------------


def test_the_plan_work_plan_is_funded_by_its_budget_work_plan() -> None:
    g = plan_graph()
    wp = next(w for w in g.subjects(RDF.type, PLAN.WorkPlan) if str(g.value(w, RDFS.label)) == "綜合規劃業務")
    assert set(g.objects(wp, PLAN.fundedBy)) == {ID["budget/work-plan/6330011100"]}
    assert g.value(wp, PLAN.budgetCode) == Literal("6330011100")  # kept for compatibility
    match = g.value(wp, PLAN.hasBudgetMatch)
    assert match == URIRef(f"{wp}/budget-match/1")
    assert (match, RDF.type, PLAN.BudgetMatch) in g
    assert g.value(match, PLAN.budgetMatchTarget) == ID["budget/work-plan/6330011100"]
    assert g.value(match, PLAN.budgetMatchKind) == PLAN.ExactNameMatch


def test_near_matches_say_how_they_were_matched() -> None:
    g = plan_graph()
    kinds = {str(g.value(w, RDFS.label)): g.value(g.value(w, PLAN.hasBudgetMatch), PLAN.budgetMatchKind)
             for w in g.subjects(PLAN.fundedBy, None)}
    assert len(kinds) == 11
    assert {n for n, k in kinds.items() if k == PLAN.NearNameMatch} == {"勞動保險業務(二)", "勞動及職業安全衛生研究業務"}
    near = next(w for w in g.subjects(PLAN.fundedBy, None) if str(g.value(w, RDFS.label)) == "勞動保險業務(二)")
    assert g.value(near, PLAN.fundedBy) == ID["budget/work-plan/6130101100"]
    comment = g.value(g.value(near, PLAN.hasBudgetMatch), RDFS.comment)
    assert "保險業務" in comment and "勞工保險局" in comment


def test_every_funding_target_is_a_budget_work_plan_of_2019() -> None:
    targets = set(plan_graph().objects(None, PLAN.fundedBy))
    g = enacted_2019()
    assert targets and all((t, RDF.type, PLAN.BudgetWorkPlan) in g for t in targets)


# ------------------------------------------------------------------------------------------------
# Time
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage,year", DOCS)
def test_each_shipped_budget_maps_and_serialises(stage: str, year: int, record_property) -> None:
    """The times are recorded, not asserted (speed is measured in bench/bench_build.py)."""
    doc = documents()[(stage, year)]
    start = time.perf_counter()
    m = map_budget(doc, vocab())
    mapped_at = time.perf_counter()
    nt = m.graph.serialize(format="nt", encoding="utf-8")
    done = time.perf_counter()
    record_property("map_seconds", round(mapped_at - start, 2))
    record_property("ntriples_seconds", round(done - mapped_at, 2))
    record_property("triples", len(m.graph))
    assert nt.count(b" .\n") == len(m.graph) and 30_000 < len(m.graph) < 40_000


@pytest.mark.slow
def test_the_2019_enacted_graph_conforms_to_the_shapes(record_property) -> None:
    from plankg.build.validate import load_shapes, validate

    start = time.perf_counter()
    report = validate(enacted_2019() + vocab().union, vocab().ontology, load_shapes(BASE))
    record_property("validation_seconds", round(time.perf_counter() - start, 2))
    assert report.conforms and not report.findings, report.text()


@pytest.mark.parametrize("name, notation", [("勞工保險局", "mol-bli"), ("勞動部勞動力發展署", "mol-wda"),
                                            ("勞動基金運用局", "mol-blf"), ("職業安全衛生署", "mol-osha"),
                                            ("勞動及職業安全衛生研究所", "mol-ilosh")])
def test_the_ministrys_agencies_publish_plans_under_their_own_notation(name: str, notation: str) -> None:
    """Each third-level agency of the Ministry of Labor has a skos:notation, the `{org}` segment of
    its plans' IRIs (one segment: organisation and year stay apart), so it may publish a plan."""
    org, segment = vocab().organisation(name, "plan.txt")
    assert segment == notation and "/" not in segment
    assert str(org) == BASE + "org/mol/" + notation.removeprefix("mol-")
