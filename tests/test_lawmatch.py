"""The law-name matcher: every name of the national law index plus curated forms, leftmost-longest,
with the guards against false positives, and its speed on the seed plan."""

from __future__ import annotations

import time

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from plankg.build.lawmatch import Form, LawMatch, LawMatcher, curated_forms, curated_graph, default_matcher
from plankg.build.linker import Linker
from plankg.build.vocab import Vocabularies
from plankg.loaders.law_index import default_index
from plankg.namespaces import DEFAULT_BASE

from conftest import SEED


@pytest.fixture(scope="module")
def matcher() -> LawMatcher:
    return default_matcher()


def found(matcher: LawMatcher, text: str) -> list[tuple[str, str]]:
    return [(m.pcode, m.text) for m in matcher.find(text)]


def test_leftmost_longest_with_offsets():
    m = LawMatcher([Form("勞動基準法", "N0030001", "name"), Form("勞動基準法施行細則", "N0030002", "name"),
                    Form("基準法", "X0000001", "name")])
    text = "依勞動基準法施行細則及勞動基準法辦理"
    assert m.find(text) == [LawMatch("N0030002", "勞動基準法施行細則", 1, 10), LawMatch("N0030001", "勞動基準法", 11, 16)]
    assert all(text[x.start:x.end] == x.text for x in m.find(text))
    pcode, matched, start, end = m.find(text)[0]  # a plain tuple too
    assert (pcode, matched, start, end) == ("N0030002", "勞動基準法施行細則", 1, 10)


def test_a_short_form(matcher):
    assert found(matcher, "依勞基法第84條之1規定") == [("N0030001", "勞基法")]
    assert found(matcher, "個資法與身權法") == [("I0050021", "個資法"), ("D0050046", "身權法")]
    assert found(matcher, "修正職安法、就服法及勞保條例") == [
        ("N0060001", "職安法"), ("N0090001", "就服法"), ("N0050001", "勞保條例")]


def test_a_former_name(matcher):
    assert found(matcher, "修正性別工作平等法") == [("N0030014", "性別工作平等法")]  # laws.ttl altLabel
    assert found(matcher, "依勞工安全衛生法") == [("N0060001", "勞工安全衛生法")]  # law-short-forms.ttl


def test_a_law_absent_from_the_law_vocabulary_is_found(matcher):
    vocabulary = Vocabularies.load(DEFAULT_BASE).union
    law = URIRef(DEFAULT_BASE + "law/I0050021")
    assert (law, SKOS.prefLabel, Literal("個人資料保護法", lang="zh-Hant")) not in vocabulary
    assert found(matcher, "各機關應依個人資料保護法保護求職者資料。") == [("I0050021", "個人資料保護法")]
    assert found(matcher, "推動大量解僱勞工保護法修正") == [("N0020012", "大量解僱勞工保護法")]


def test_no_match_inside_a_longer_name(matcher):
    assert found(matcher, "全民健康保險法") == [("L0060001", "全民健康保險法")]  # not 保險法
    assert found(matcher, "勞動基準法施行細則") == [("N0030002", "勞動基準法施行細則")]  # not 勞動基準法
    assert found(matcher, "國民法官法") == [("A0030320", "國民法官法")]  # not 民法


def test_short_generic_names_are_not_matched_where_they_read_as_other_words(matcher):
    assert found(matcher, "修正保險法規") == []  # 保險 + 法規
    assert found(matcher, "醫療法人之設立") == []
    assert found(matcher, "國民法官制度、人民法院") == []  # 民法 (two characters) is never matched
    assert found(matcher, "依工會法規定辦理") == [("N0020001", "工會法")]  # 法規定: still the act
    assert found(matcher, "保險法第1條") == [("G0390002", "保險法")]
    assert found(matcher, "修正所得稅法令") == [("G0340003", "所得稅法")]  # longer names are matched


def test_two_laws_of_one_name_give_the_current_one(matcher):
    # abolished N0060042 (91.04.10) and current N0060081 (111.03.31) share the name without its parenthesis
    assert found(matcher, "修正職業災害預防及職業災害勞工重建補助辦法") == [
        ("N0060081", "職業災害預防及職業災害勞工重建補助辦法")]
    assert found(matcher, "總統副總統選舉罷免法") == [("D0020053", "總統副總統選舉罷免法")]  # 新 84.08.09, not 舊 36.03.31
    # the exact name wins over another law's name without its parenthesis
    assert found(matcher, "交通部公路總局組織法") == [("K0000058", "交通部公路總局組織法")]
    # an abolished law of its own name is still found
    assert found(matcher, "基本工資審議辦法") == [("N0030003", "基本工資審議辦法")]
    assert matcher.law("N0030003").abolished is True


def test_variants_of_parentheses_and_tai(matcher):
    assert found(matcher, "台灣地區與大陸地區人民關係條例") == [("Q0010001", "台灣地區與大陸地區人民關係條例")]
    assert [m.pcode for m in matcher.find("直轄市、縣(市)兒童及少年福利促進委員會組織規程")] == ["D0000024"]


def test_stop_forms_name_no_law(matcher):
    assert found(matcher, "說明勞動契約法制") == []  # law-short-forms.ttl: not the 1936 勞動契約法
    assert found(matcher, "研議最低工資法制") == []  # a draft of laws.ttl, not the 2023 act
    assert found(matcher, "最低工資法") == [("N0030028", "最低工資法")]


def test_the_seed_plans_laws_are_found_as_the_linker_finds_them(matcher):
    text = SEED.read_text(encoding="utf-8")
    matches = matcher.find(text)
    assert {m.pcode for m in matches} == {"N0030001", "N0050001", "N0020001", "N0050021", "N0090025", "N0060041"}
    vocab = Vocabularies.load(DEFAULT_BASE)
    linked = [(x.target.rsplit("/", 1)[-1], x.text, x.offset) for x in Linker(vocab.terms).matches(text)
              if x.prop in ("citesLaw", "reformsLaw") and "/law/draft/" not in x.target]
    assert [(m.pcode, m.text, m.start) for m in matches] == linked


def test_every_curated_form_names_a_law_of_the_index_and_hides_none():
    index = default_index()
    names = {law.name: law.pcode for law in index}
    forms = curated_forms(curated_graph())
    assert {f.text for f in forms if f.pcode is None} >= {"勞動契約法制", "最低工資法制"}
    for form in forms:
        if form.pcode is not None:
            assert form.pcode in index, form
            assert names.get(form.text, form.pcode) == form.pcode, f"{form} hides the law named so"


def test_two_laws_for_one_curated_form_is_an_error():
    with pytest.raises(ValueError, match="names two laws"):
        LawMatcher([Form("勞基法", "N0030001", "curated"), Form("勞基法", "N0030002", "curated")])


def test_the_matcher_of_the_whole_index_finds_the_plans_laws(record_property):
    """The times are recorded, not asserted (speed is measured in bench/bench_laws.py)."""
    index = default_index()
    graph = curated_graph()
    t0 = time.perf_counter()
    matcher = LawMatcher.build(index, graph)
    built = time.perf_counter() - t0
    text = SEED.read_text(encoding="utf-8")
    t0 = time.perf_counter()
    found = matcher.find(text)
    matched = time.perf_counter() - t0
    record_property("automaton_build_ms", round(built * 1000, 1))
    record_property("plan_match_ms", round(matched * 1000, 2))
    assert len(matcher) > 11_547 and len(found) >= 15, len(found)  # 17 in the seed plan
