"""The linker: leftmost-longest, stop terms, explainable evidence — on the real vocabularies."""

from __future__ import annotations

import pytest

from plankg.build.linker import Linker
from plankg.namespaces import DEFAULT_BASE
from plankg.build.vocab import Term, Vocabularies


@pytest.fixture(scope="module")
def vocab() -> Vocabularies:
    return Vocabularies.load(DEFAULT_BASE)


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
