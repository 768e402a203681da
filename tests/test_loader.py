"""The plan-text loader on the seed plan (勞動部 108 年度施政計畫): counts, texts, provenance."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from plankg.loaders.model import Plan, Program, Source
from plankg.loaders.plan_text import DEFAULT_CATEGORIES, parse_plan, parse_plan_text

SEED = Path(__file__).resolve().parent.parent / "data" / "plans" / "mol-108.txt"
NAME = "mol-108.txt"
CJK = r"[\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uffef]"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(SEED, name=NAME)


def program(plan: Plan, name: str) -> Program:
    (found,) = [p for p in plan.programs() if p.name == name]
    return found


def all_texts(plan: Plan) -> list[str]:
    p = plan.preamble
    statements = [s.text for s in [*([p.vision] if p.vision else []), *p.aims, *p.follows, *p.key_works]]
    return [plan.title, plan.organisation, *statements,
            *(g.text for g in plan.goals), *(s.text for s in plan.strategies()),
            *(w.name for w in plan.work_plans), *(p.name for p in plan.programs()),
            *(p.category for p in plan.programs()), *(a.text for a in plan.activities())]


def all_sources(plan: Plan) -> list[Source]:
    p = plan.preamble
    return [plan.source, p.source, *(s.source for s in [p.vision, *p.aims, *p.follows] if s),
            *(g.source for g in plan.goals), *(s.source for s in plan.strategies()),
            *(w.source for w in plan.work_plans), *(p.source for p in plan.programs()),
            *(a.source for a in plan.activities())]


# ----------------------------------------------------------------------------------------- counts


def test_counts(plan):
    assert len(plan.goals) == 8
    assert len(plan.strategies()) == 42
    assert [len(g.strategies) for g in plan.goals] == [3, 9, 5, 7, 8, 4, 4, 2]
    assert len(plan.work_plans) == 11
    assert len(plan.programs()) == 44
    assert Counter(p.category for p in plan.programs()) == {"社會發展": 40, "公共建設": 1, "科技發展": 3}
    assert len(plan.activities()) == 140
    assert plan.has_table


def test_title_and_whole_file_source(plan):
    assert (plan.organisation, plan.roc_year, plan.year) == ("勞動部", 108, 2019)
    assert plan.title == "勞動部 108 年度施政計畫"
    assert plan.source == Source(NAME, 1, 157)


# --------------------------------------------------------------------------------------- preamble


def test_preamble(plan):
    pre = plan.preamble
    assert pre.source == Source(NAME, 5, 7)
    assert pre.text.startswith("勞工朋友是經濟發展的重要推手")
    assert pre.text.split("\n")[1] == ("本部依據行政院 108 年度施政方針，配合中程施政計畫及核定預算額度，並針對經社情勢變化"
                                      "及本部未來發展需要，編定 108 年度施政計畫。")
    assert (pre.vision.ordinal, pre.vision.text, pre.vision.source) == (1, "更好的勞動力、更佳的勞動生活", Source(NAME, 5, 5))
    assert [(a.ordinal, a.text) for a in pre.aims] == [
        (1, "安全的職場環境"), (2, "積極的工作保障"), (3, "提升的勞動條件"), (4, "進步的勞資關係")]
    assert {a.source for a in pre.aims} == {Source(NAME, 5, 5)}
    assert [(f.ordinal, f.text, f.source.line) for f in pre.follows] == [
        (1, "行政院 108 年度施政方針", 7), (2, "中程施政計畫", 7)]
    assert pre.key_works == []


# ------------------------------------------------------------------------------ goals, strategies


def test_first_and_last_goal_and_strategy(plan):
    first, last = plan.goals[0], plan.goals[-1]
    assert (first.ordinal, first.text, first.source) == (1, "推辦職訓多元管道，推廣職能基準之產業運用", Source(NAME, 11, 11))
    assert (last.ordinal, last.text, last.source) == (8, "妥適配置預算資源，提升預算執行效率", Source(NAME, 87, 87))
    s11 = first.strategies[0]
    assert (s11.ordinal, s11.source) == (1, Source(NAME, 13, 13))
    assert s11.text == ("配合國家重點發展產業、「長期照顧十年計畫 2.0」政策及就業市場人力需求，辦理符合產業所需之訓練課程，"
                        "積極推動相關人才培訓。")
    s82 = last.strategies[-1]
    assert (s82.ordinal, s82.text, s82.source) == (2, "於中程歲出概算額度內編報概算數，節約政府支出。", Source(NAME, 91, 91))


def test_strategies_with_and_without_dash(plan):
    goal4 = plan.goals[3]
    assert goal4.text == "提升我國職業安全衛生水準，健全職業災害保險制度"
    assert goal4.strategies[4].text == "加強運用監督輔導及檢查措施，督促及協助事業單位遵守勞動法令。"  # "- (五)"
    s46 = goal4.strategies[5]  # "(六)" without the dash
    assert (s46.ordinal, s46.text, s46.source) == (6, "適時改進勞工保險職業災害保險相關規定。", Source(NAME, 45, 45))
    assert goal4.strategies[6].text == "推動職業災害保險單獨立法。"
    assert plan.goals[5].text == "鼓勵企業推動友善職場設(措)施，促進職場工作平等"


def test_ordinals_are_sequential(plan):
    assert [g.ordinal for g in plan.goals] == list(range(1, 9))
    for g in plan.goals:
        assert [s.ordinal for s in g.strategies] == list(range(1, len(g.strategies) + 1))
    assert [w.ordinal for w in plan.work_plans] == list(range(1, 12))
    for w in plan.work_plans:
        assert [p.ordinal for p in w.programs] == list(range(1, len(w.programs) + 1))
        for p in w.programs:
            assert [a.ordinal for a in p.activities] == list(range(1, len(p.activities) + 1))


# ------------------------------------------------------------------------------------------ table


def test_work_plans(plan):
    assert [(w.name, len(w.programs)) for w in plan.work_plans] == [
        ("綜合規劃業務", 4), ("勞動關係業務", 4), ("勞動條件及就業平等業務", 4), ("勞動保險業務(一)", 4),
        ("勞動福祉退休業務", 4), ("勞動法務業務", 4), ("勞動保險業務(二)", 2), ("勞動力發展業務", 7),
        ("勞動基金運用業務", 2), ("職業安全衛生業務", 6), ("勞動及職業安全衛生研究業務", 3)]
    assert plan.work_plans[0].source == Source(NAME, 96, 99)
    assert plan.work_plans[1].source == Source(NAME, 100, 106)  # a page break inside
    assert plan.work_plans[-1].source == Source(NAME, 155, 157)


def test_science_and_public_construction_programs(plan):
    assert [p.name for p in plan.programs() if p.category == "科技發展"] == [
        "強化勞動市場研究，提供優化職場的勞動政策建議，持續強化勞動關係研究，建立優質勞動環境，提升勞動條件及基準",
        "開發職場安全工程改善及管理技術，掌握職業衛生問題與開發控制技術，有害物風險評估與職場勞工健康管理，研發成果推廣與展示",
        "物聯網技術應用於職業安全衛生之創新研究"]
    assert [p.name for p in plan.programs() if p.category == "公共建設"] == ["協助青年職涯發展與適性就業"]


def test_row_cut_with_program_name_and_category_fragments(plan):
    """Lines 112/115: 完備職業災害 + 保障制度，增進職災勞工權益, 社會 + 發展."""
    p = program(plan, "完備職業災害保障制度，增進職災勞工權益")
    assert (p.ordinal, p.category, p.source) == (2, "社會發展", Source(NAME, 112, 115))
    assert [(a.ordinal, a.text, a.source) for a in p.activities] == [
        (1, "推動職業災害保險單獨立法，加強保障職災勞工及其家屬之基本生活。", Source(NAME, 112, 115)),
        (2, "適時檢討修正勞工保險職業災害保險相關規定，增進職災勞工權益。", Source(NAME, 115, 115)),
        (3, "辦理勞工保險職業災害保險法令及制度說明事宜，強化職災勞工對自身權益之瞭解。", Source(NAME, 115, 115))]
    assert plan.work_plans[3].name == "勞動保險業務(一)" and p in plan.work_plans[3].programs


def test_row_cut_between_items(plan):
    """Line 103: the next page starts with item 二 of the row of line 100."""
    p = program(plan, "營造勞工有利結社環境")
    assert p.source == Source(NAME, 100, 103)
    assert [(a.ordinal, a.source.line) for a in p.activities] == [(1, 100), (2, 103), (3, 103), (4, 103)]
    assert p.activities[0].text == "推動研修工會法制，完善工會組織制度，辦理勞工結社權益相關說明。"
    assert p.activities[1].text == "輔導勞工籌組工會，營造工會有利運作環境，提升會員知能及協助工會運作。"
    assert p.activities[3].text == "不當勞動行為案件之審理。"
    assert plan.work_plans[1].programs[1].name == "提升國民勞動權觀念"  # the row after the continuation


def test_row_cut_inside_an_item(plan):
    """Line 123 ``…加強同仁對</p>`` + line 126 ``行政法學理論…``."""
    p = program(plan, "推動勞動法規研析、整理及審議，健全勞動法制")
    assert p.source == Source(NAME, 123, 126)
    a2 = p.activities[1]
    assert (a2.ordinal, a2.source) == (2, Source(NAME, 123, 126))
    assert a2.text == "辦理本部同仁行政法理論與實務研習會，加強同仁對行政法學理論概念之了解，以健全勞動法制。"
    assert p.activities[0].text == ("辦理勞動法規制(訂)定、修正及廢止草案之審查，以利法制之完備。"
                                    "辦理年度立法、法規整理計畫及管考，以利法案之推動。")


def test_row_cut_splitting_a_word(plan):
    """Line 150 ``…職</p>`` + line 153 ``業災害勞工…``, then item 四 on the same line."""
    p = program(plan, "推動職業傷病診治網路及職災勞工個案管理與職能復健服務")
    assert p.source == Source(NAME, 150, 153)
    assert [(a.ordinal, a.text, a.source) for a in p.activities[2:]] == [
        (3, "辦理職業災害勞工保護法規檢討、職業疾病鑑定、職業災害勞工各項補助審核作業。", Source(NAME, 150, 153)),
        (4, "推動個案主動服務、職災個案慰助、績效評鑑及職能復健輔導服務。", Source(NAME, 153, 153))]


def test_rows_cut_before_an_item_with_markup(plan):
    """Lines 132/135 and 143/146: the next page resumes with ``<p>三、`` / ``<p>四、``."""
    p = program(plan, "增進就業服務效能")
    assert [(a.ordinal, a.source.line) for a in p.activities] == [(1, 132), (2, 132), (3, 135), (4, 135), (5, 135)]
    assert p.activities[2].text == "運用就業促進工具協助失業勞工就業。"
    q = program(plan, "推動職場安全管理機制及健全防災措施，強化產業安全設施")
    assert q.source == Source(NAME, 143, 146)
    assert q.activities[2].text == "辦理切割夾捲、火災、爆炸災害預防宣導、輔導，協助事業單位改善安全衛生設施及管理"
    assert q.activities[3].text == "辦理職業災害內容概況統計分析，精進職場減災作為。"
    assert len(q.activities) == 5


def test_markup_is_removed(plan):
    p = program(plan, "增進訴訟外爭議處理機制")
    assert [a.text for a in p.activities] == [
        "完善勞資爭議處理機制，提升勞資爭議調處人員專業知能。", "推動勞動訴訟調解機制，補助民間團體辦理調解業務。",
        "推廣勞資自主解決爭議能力，強化企業勞資關係之穩定。", "辦理交付仲裁業務。", "補助勞工權益基金，推動勞工訴訟扶助專案。"]
    (single,) = program(plan, "推動職能基準發展並策進產業多元應用").activities  # <p> but no numbering
    assert single.ordinal == 1
    assert single.text == "推動職能基準發展與應用，擴大產業參與與認同，以強化人才培育效能，提升勞動力整體素質。"


def test_enumerations_with_dun_comma_do_not_split(plan):
    p = program(plan, "推動國際勞動事務參與及合作，提升我國勞動事務國際能見度")
    assert len(p.activities) == 4
    assert p.activities[0].text == "推動實質參與國際組織，辦理及參與 APEC、WTO、ILO 等與勞動、就業相關議題之活動。"
    assert p.activities[3].text == "研析雙邊或區域性經貿合作協定（如 FTA、ECA、TPP、RCEP 等）勞工相關議題，以確保我國勞工之權益。"


def test_unnumbered_cell_is_one_activity(plan):
    (a,) = program(plan, "提升國民勞動權觀念").activities
    assert (a.ordinal, a.source) == (1, Source(NAME, 104, 104))
    assert a.text == "以多元管道推動勞動教育，編製勞動教育 e 化教材、辦理校園巡迴活動，深植勞動概念。"
    (b,) = program(plan, "物聯網技術應用於職業安全衛生之創新研究").activities
    assert b.text == "辦理優質物聯網人才培育和新創職場安全健康服務產業推廣，強化職場安全衛生。"


def test_spaces_between_cjk_and_ascii_are_kept(plan):
    texts = [a.text for a in plan.activities()]
    assert "提供 55 歲以上或已退休之銀髮者專屬就業媒合服務。" in texts
    assert "輔導並協助高風險、高職災、高違規（3 高）之事業單位改善安全衛生工作環境。" in texts
    assert "執行資訊安全管理系統(ISMS)續評與重評作業，落實資訊作業安全。" in texts
    assert any("勞工健康服務 E 化工具" in t for t in texts)


def test_no_markup_or_layout_artefacts_in_any_text(plan):
    for text in all_texts(plan):
        assert text == text.strip() and text
        assert not re.search(r"[<>\t\r\n]", text), text
        assert "  " not in text, text
        assert not re.search(f"{CJK} {CJK}", text), text


def test_every_source_names_the_file_and_real_lines(plan):
    for s in all_sources(plan):
        assert s.file == NAME
        assert 1 <= s.line <= s.end_line <= 157


# ----------------------------------------------------------------------------------------- API


def test_default_file_name_is_the_path_as_given():
    plan = parse_plan(str(SEED))
    assert plan.source.file == str(SEED) and plan.goals[0].source.file == str(SEED)
    assert parse_plan(SEED).source.file == str(SEED)


def test_parse_plan_text_matches_parse_plan(plan):
    text = SEED.read_text(encoding="utf-8")
    assert parse_plan_text(text, file=NAME) == plan
    assert parse_plan_text(text, file=NAME, categories=DEFAULT_CATEGORIES) == plan
    assert parse_plan_text(text, file=NAME, categories=["科技發展", "公共建設", "社會發展", "其他"]) == plan


def test_bom_and_crlf_change_nothing(plan, tmp_path):
    path = tmp_path / "mol.txt"
    path.write_bytes(b"\xef\xbb\xbf" + SEED.read_bytes().replace(b"\n", b"\r\n"))
    assert parse_plan(path, name=NAME) == plan



def test_imports_nothing_heavy():
    code = ("import sys, plankg.loaders.plan_text; "
            "print(sorted(m for m in ('rdflib', 'pyoxigraph', 'pyshacl', 'flask') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
