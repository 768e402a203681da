"""The linker: leftmost-longest, stop terms, explainable evidence — on the real vocabularies."""

from __future__ import annotations

import time

import pytest
from rdflib import URIRef

from plankg.build.linker import Linker
from plankg.namespaces import DEFAULT_BASE, PLAN
from plankg.build.vocab import Term

from conftest import SEED


def test_longest_match_wins_and_consumes():
    linker = Linker([Term("高齡者", "targetGroup", "x:old"), Term("中高齡者", "targetGroup", "x:mid")])
    assert [(m.target, m.text, m.offset) for m in linker.matches("推動中高齡者就業")] == [("x:mid", "中高齡者", 2)]


def test_stop_term_blocks_a_shorter_term_inside_it():
    linker = Linker([Term("勞工", "targetGroup", "x:workers"), Term("勞工保險", "targetGroup", None)])
    assert linker.matches("完善勞工保險法制") == []
    assert [m.text for m in linker.matches("協助失業勞工就業")] == ["勞工"]


def test_properties_are_matched_independently():
    linker = Linker([Term("勞動基準法", "citesLaw", "x:lsa"), Term("勞動", "targetGroup", "x:w")])
    found = {(m.prop, m.text) for m in linker.matches("落實勞動基準法")}
    assert found == {("citesLaw", "勞動基準法"), ("targetGroup", "勞動")}


def test_real_vocabularies_link_the_plan_wording(vocab):
    linker = Linker(vocab.terms)
    text = "加強推動中高齡及高齡者就業媒合，運用就業促進工具排除其就業障礙，推動中高齡者就業促進專法，營造友善就業環境。"
    found = linker.matches(text)
    assert all(text[m.offset:m.offset + len(m.text)] == m.text for m in found)
    targets = {m.target.removeprefix(DEFAULT_BASE) for m in found}
    assert any(t.startswith("law/") for t in targets), targets
    assert any(t.startswith("target-group/") for t in targets), targets


def test_labour_standards_act_is_cited_by_its_name(vocab):
    linker = Linker(vocab.terms)
    found = [m for m in linker.matches("督導地方主管機關落實勞動基準法業務。") if m.prop == "citesLaw"]
    assert [m.target for m in found] == [DEFAULT_BASE + "law/N0030001"]


# --------------------------------------------------------------------------------------------
# Every law of the national index, the kinds of law links, and their speed
# --------------------------------------------------------------------------------------------

from plankg.build.linker import reform_cue  # noqa: E402

LAW = DEFAULT_BASE + "law/"


def law_links(linker: Linker, text: str) -> list[tuple[str, str, str, str | None]]:
    return [(m.prop, m.target.removeprefix(LAW), m.rule, m.cue) for m in linker.matches(text) if m.prop != "targetGroup"]


@pytest.fixture(scope="module")
def linker(vocab) -> Linker:
    return Linker(vocab.terms)


def test_a_law_absent_from_the_law_vocabulary_is_linked(linker, vocab):
    assert (URIRef(LAW + "I0050021"), None, None) not in vocab.union  # not in ontology/vocab/laws.ttl
    assert law_links(linker, "各機關應依個人資料保護法保護求職者資料。") == [("citesLaw", "I0050021", "label", None)]
    assert law_links(linker, "依勞基法及個資法辦理") == [("citesLaw", "N0030001", "label", None),
                                                     ("citesLaw", "I0050021", "label", None)]


@pytest.mark.parametrize("text,expected", [
    ("推動研修工會法制，完善工會組織制度", [("reformsLaw", "N0020001", "reform-cue", "研修")]),
    ("賡續檢討修正勞工保險條例相關法規", [("reformsLaw", "N0050001", "reform-cue", "修正")]),
    ("辦理職業災害勞工保護法規檢討、職業疾病鑑定", [("reformsLaw", "N0060041", "reform-cue", "檢討"),
                                              ("legalBasis", "N0060041", "legal-basis", None)]),
    ("研議修正公害糾紛處理法相關規範", [("reformsLaw", "O0080001", "reform-cue", "修正")]),
    ("落實勞動基準法，保障勞工法定權益", [("citesLaw", "N0030001", "label", None)]),
    ("辦理勞動基準法令研習，督促雇主遵守法令", [("citesLaw", "N0030001", "label", None)]),
    ("檢討勞保給付，落實勞動基準法", [("citesLaw", "N0030001", "label", None)]),  # the cue is in another clause
    ("研修工會法並落實團體協約法", [("reformsLaw", "N0020001", "reform-cue", "研修"),
                                 ("citesLaw", "N0020006", "label", None)]),  # 落實 between cue and name
    ("檢討依勞動基準法規定之工時", [("citesLaw", "N0030001", "label", None)]),  # 依: the rule applied
    ("勞動基準法第三十條規定之檢討", [("citesLaw", "N0030001", "label", None)]),  # 檢討 beyond the window
    ("推動中高齡者就業促進專法", [("reformsLaw", "draft/middle-aged-elderly-employment-promotion", "draft-law", None)]),
    ("研議最低工資法制", [("reformsLaw", "draft/minimum-wage", "draft-law", "研議")]),
    ("落實身心障礙者定額進用制度", [("legalBasis", "D0050046", "legal-basis", None)]),
    ("召開性別工作平等會", [("legalBasis", "N0030014", "legal-basis", None)]),
    ("依勞工退休準備金提撥及管理辦法查核", [("citesLaw", "N0030004", "label", None)]),  # not the reserve inside the name
    ("依勞動部組織法設立", []),  # plan:linkable false: consumed, never linked
    ("說明勞動契約法制", []),  # a stop term
])  # fmt: skip
def test_kinds_of_law_links(linker, text, expected):
    assert law_links(linker, text) == expected


def test_cue_offsets_point_at_the_cue():
    text = "適時檢討修正勞工保險職業災害保險相關規定"
    start = text.index("勞工保險")
    cue, at = reform_cue(text, start, len(text))
    assert (cue, text[at:at + len(cue)]) == ("修正", "修正")


def test_a_plan_citing_a_law_outside_the_vocabulary_validates_with_the_law_graph(vocab):
    """The linker and shapes/links.ttl agree: a link to any law of the index, its matched text and
    its kind validate once the law graph (here: the part of it the plan links to) is in the data."""
    from plankg import resources
    from plankg.build.law_rdf import linked_laws, map_laws
    from plankg.build.rdf import map_plan
    from plankg.build.validate import load_shapes, validate
    from plankg.loaders import registry
    from plankg.loaders.law_index import default_index

    plan = registry.load("mol-108.txt", resources.bundled_plans()[0].read_bytes(), list(vocab.categories))
    activity = plan.work_plans[0].programs[0].activities[0]
    activity.text = "研議修正個人資料保護法，並依勞基法辦理定額進用查核。"
    mapped = map_plan(plan, vocab, Linker(vocab.terms), "0" * 64)
    node = URIRef(f"{mapped.iri}/work-plan/1/program/1/activity/1")
    g = mapped.graph
    assert (node, URIRef(PLAN + "reformsLaw"), URIRef(LAW + "I0050021")) in g
    assert (node, URIRef(PLAN + "citesLaw"), URIRef(LAW + "I0050021")) in g
    assert (node, URIRef(PLAN + "citesLaw"), URIRef(LAW + "N0030001")) in g
    assert (node, URIRef(PLAN + "legalBasis"), URIRef(LAW + "D0050046")) in g
    laws = map_laws(default_index(), vocab).graph
    report = validate(g + vocab.union + linked_laws(laws, g), vocab.ontology, load_shapes(DEFAULT_BASE))
    assert report.conforms, report.text()
    without = validate(g + vocab.union, vocab.ontology, load_shapes(DEFAULT_BASE))
    assert not without.conforms  # without the law graph, I0050021 is no plan:Law of the data


def test_the_linker_reads_every_text(linker, record_property):
    """Every text of the seed plan and the shipped budgets; the time is recorded, not asserted
    (speed is measured in bench/bench_laws.py)."""
    from plankg.loaders.budget_csv import shipped_documents

    texts = [i.text for d in shipped_documents() for i in d.line_items()]
    texts += [line for line in SEED.read_text(encoding="utf-8").splitlines()]
    t0 = time.perf_counter()
    found = sum(len(linker.matches(t)) for t in texts)
    seconds = time.perf_counter() - t0
    record_property("linker_seconds_all_texts", round(seconds, 3))
    assert found > 500, found
