"""The law graph (plankg.build.law_rdf.map_laws): every law of the national index as a plan:Law with
ELI terms, merged with the curated laws; what it counts; and that it agrees with the linker and the
shapes (a matched text is a label of its target)."""

from __future__ import annotations

import time
from datetime import date

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from plankg.build.law_rdf import IN_FORCE, NOT_IN_FORCE, in_force, linked_laws, map_laws
from plankg.build.mapped import MappedGraph
from plankg.loaders.law_index import default_index
from plankg.loaders.law_model import NOT_YET_EFFECTIVE, Law, LawIndex
from plankg.loaders.model import Source
from plankg.namespaces import DEFAULT_BASE, ELI, PLAN

ZH = "zh-Hant"
E = lambda name: URIRef(ELI + name)  # noqa: E731
P = lambda name: URIRef(PLAN + name)  # noqa: E731
LAW = lambda pcode: URIRef(f"{DEFAULT_BASE}law/{pcode}")  # noqa: E731


@pytest.fixture(scope="module")
def laws(vocab) -> MappedGraph:
    return map_laws(default_index(), vocab)


def test_every_law_of_the_index_is_a_law_of_the_law_graph(laws):
    g = laws.graph
    assert laws.graph_iri == DEFAULT_BASE + "graph/laws" and laws.kind == "laws" and not laws.warnings
    assert laws.counts["laws"] == 11_547 == len(default_index())
    enacted = set(g.subjects(RDF.type, P("Law")))
    assert len(enacted) == 11_547
    for law in default_index().laws[::97]:  # a spread of them
        s = LAW(law.pcode)
        assert g.value(s, E("id_local")) == Literal(law.pcode)
        assert (s, SKOS.inScheme, URIRef(DEFAULT_BASE + "law")) in g
        assert (s, RDFS.seeAlso, URIRef(f"https://law.moj.gov.tw/LawClass/LawAll.aspx?pcode={law.pcode}")) in g
        assert Literal(law.name, lang=ZH) in set(g.objects(s, SKOS.prefLabel)) | set(g.objects(s, SKOS.altLabel))
        if law.english:
            assert Literal(law.english, lang="en") in set(g.objects(s, SKOS.prefLabel))


def test_the_counts_by_type_and_status(laws):
    c = laws.counts
    assert (c["type 法律"], c["type 命令"], c["type 憲法"], c["type unknown"]) == (1_313, 9_594, 0, 640)
    # not in force: 109 abolished, 2 never took effect, N0060041 (curated: no longer applies)
    assert (c["in force"], c["not in force"], c["in force unknown"]) == (271, 112, 11_164)
    assert c["with English name"] == 3_089 and c["curated"] == 54 and c["draft laws"] == 5


def test_eli_terms(laws):
    g = laws.graph
    lsa = LAW("N0030001")
    assert g.value(lsa, E("type_document")) == URIRef(DEFAULT_BASE + "law-type/statute")
    assert g.value(lsa, E("in_force")) == IN_FORCE
    assert g.value(lsa, E("version_date")) == Literal("2024-07-31", datatype=XSD.date)
    assert g.value(LAW("N0030002"), E("type_document")) == URIRef(DEFAULT_BASE + "law-type/order")  # 施行細則
    # abolished (廢): not in force, and no date of it from the index
    assert g.value(LAW("N0000001"), E("in_force")) == NOT_IN_FORCE
    assert g.value(LAW("N0000001"), E("date_no_longer_in_force")) is None
    # never took effect (99991231)
    assert g.value(LAW("N0030010"), E("in_force")) == NOT_IN_FORCE
    # not in the MOL metadata: the index does not say
    assert g.value(LAW("A0030057"), E("in_force")) is None
    assert not list(g.subject_objects(E("date_document")))


def test_in_force_from_the_law_objects():
    law = Law("N0000000", "測試法", None, None, "法律", None, None, Source.at("x", 1))
    assert in_force(law) is None
    assert in_force(law.__class__(**{**law.__dict__, "abolished": False})) == IN_FORCE
    assert in_force(law.__class__(**{**law.__dict__, "abolished": True})) == NOT_IN_FORCE
    assert in_force(law.__class__(**{**law.__dict__, "abolished": False, "effective": NOT_YET_EFFECTIVE})) == NOT_IN_FORCE
    assert in_force(law.__class__(**{**law.__dict__, "abolished": False, "effective": date(2025, 1, 1)})) == IN_FORCE


def test_curated_data_wins_and_is_merged(laws):
    g = laws.graph
    gender = LAW("N0030014")
    assert set(g.objects(gender, SKOS.prefLabel)) == {Literal("性別平等工作法", lang=ZH),
                                                      Literal("Gender Equality in Employment Act", lang="en")}
    assert {Literal("性別工作平等法", lang=ZH), Literal("兩性工作平等法", lang=ZH)} <= set(g.objects(gender, SKOS.altLabel))
    assert Literal("性工法", lang=ZH) in set(g.objects(gender, SKOS.hiddenLabel))  # law-short-forms.ttl
    # the index calls it 最低工資法（112.12.27制定）: laws.ttl's name wins, the index's is an altLabel
    mw = LAW("N0030028")
    assert Literal("最低工資法", lang=ZH) in set(g.objects(mw, SKOS.prefLabel))
    assert Literal("最低工資法（112.12.27制定）", lang=ZH) in set(g.objects(mw, SKOS.altLabel))
    assert [o for o in g.objects(mw, SKOS.prefLabel) if o.language == ZH] == [Literal("最低工資法", lang=ZH)]
    # curated ELI facts win: N0060041 no longer applies though the database does not mark it abolished
    assert list(g.objects(LAW("N0060041"), E("in_force"))) == [NOT_IN_FORCE]
    assert g.value(LAW("N0030003"), E("date_no_longer_in_force")) == Literal("2024-03-08", datatype=XSD.date)
    # no official English name: the curated translation is the English rdfs:label, no English prefLabel
    assert not [o for o in g.objects(LAW("N0050025"), SKOS.prefLabel) if o.language == "en"]
    # the scheme, its stop terms and the drafts are there too
    assert (URIRef(DEFAULT_BASE + "law"), P("linkerStopTerm"), Literal("勞動契約法制", lang=ZH)) in g
    assert len(set(g.subjects(RDF.type, P("DraftLaw")))) == 5
    assert (LAW("N0000030"), P("linkable"), Literal(False)) in g


def test_one_prefLabel_per_language_and_labels_disjoint(laws):
    g = laws.graph
    for s in g.subjects(RDF.type, P("Law")):
        langs = [o.language for o in g.objects(s, SKOS.prefLabel)]
        assert len(langs) == len(set(langs)) and ZH in langs, s
        pref, alt, hidden = (set(g.objects(s, p)) for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel))
        assert not (pref & alt) and not (pref & hidden) and not (alt & hidden), s


def test_every_form_the_linker_matches_is_a_label_of_its_target(laws, vocab):
    g = laws.graph
    labels = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
    checked = 0
    for term in vocab.terms:
        if term.prop in ("citesLaw", "reformsLaw") and term.target is not None:
            assert any((URIRef(term.target), p, Literal(term.text, lang=ZH)) in g for p in labels), term
            checked += 1
    assert checked > 12_000


def test_no_form_names_two_laws(laws):
    forms: dict[str, URIRef] = {}
    for s, p, o in laws.graph:
        if p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel) and o.language == ZH:
            assert forms.setdefault(str(o), s) == s, (str(o), s, forms[str(o)])


def test_a_smaller_index_maps_alone(vocab):
    index = LawIndex("mini", [Law("Z0000001", "測試法", "Test Act", date(2020, 1, 2), "法律", None, False,
                                  Source.at("mini", 1))])
    mapped = map_laws(index, vocab)
    assert mapped.counts["laws"] == 1 and mapped.counts["in force"] == 1
    assert any("not in the law index mini" in w for w in mapped.warnings)  # the curated laws


def test_linked_laws_is_what_the_links_point_to(laws):
    plan = Graph()
    step = URIRef(DEFAULT_BASE + "mol/108/goal/3/strategy/3")
    plan.add((step, P("reformsLaw"), URIRef(DEFAULT_BASE + "law/draft/minimum-wage")))
    closure = linked_laws(laws.graph, plan)
    subjects = set(closure.subjects())
    assert URIRef(DEFAULT_BASE + "law/draft/minimum-wage") in subjects
    assert LAW("N0030028") in subjects  # its plan:laterEnactedAs
    assert URIRef(DEFAULT_BASE + "law") in subjects
    assert len(subjects) < 10


@pytest.mark.slow
def test_the_whole_law_graph_conforms_to_the_shapes(laws, vocab, record_property):
    """The law graph of the shipped data with every shape (about 20 s with pySHACL: docs/data-model.md,
    Validation); builds validate plans with the laws they link to (linked_laws) instead."""
    from plankg.build.validate import load_shapes, validate

    t0 = time.perf_counter()
    report = validate(laws.graph + vocab.union, vocab.ontology, load_shapes(DEFAULT_BASE))
    record_property("law_graph_shacl_seconds", round(time.perf_counter() - t0, 1))
    assert report.conforms and not report.findings, report.text()[:2000]
