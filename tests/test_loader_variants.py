"""Template variants the plan-text loader accepts (small fixture plans in tests/data/plans/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plankg.errors import InputError
from plankg.loaders.model import Source
from plankg.loaders.plan_text import parse_plan, parse_plan_text
from plankg.loaders.plan_syntax import chinese_numeral, to_chinese_numeral

PLANS = Path(__file__).resolve().parent / "data" / "plans"
SEED = Path(__file__).resolve().parent.parent / "data" / "plans" / "mol-108.txt"


def load(name: str):
    return parse_plan(PLANS / name, name=name)


def outline(plan) -> list[tuple[int, str, list[tuple[int, str, int, int]]]]:
    return [(g.ordinal, g.text, [(s.ordinal, s.text, s.source.line, s.source.end_line) for s in g.strategies])
            for g in plan.goals]


def test_key_works_in_the_preamble_are_not_goals():
    plan = load("key-works.txt")
    pre = plan.preamble
    assert [(k.ordinal, k.text, k.source) for k in pre.key_works] == [
        (1, "推動十二年國民基本教育。", Source("key-works.txt", 6, 6)),
        (2, "強化高等教育國際競爭力。", Source("key-works.txt", 7, 7)),
        (3, "推展全民運動 2.0 計畫。", Source("key-works.txt", 8, 8))]
    assert pre.vision.text == "適性揚才"  # 「…」為施政願景
    assert [a.text for a in pre.aims] == ["優質教育", "終身學習"]  # 等二大目標
    assert pre.follows == []
    assert pre.source == Source("key-works.txt", 3, 8)
    assert outline(plan) == [(1, "深化教育品質", [(1, "落實課程綱要。", 14, 14)])]
    assert [a.text for a in plan.activities()] == ["辦理研習。", "編製教材。"]


def test_goals_heading_without_strategies_suffix_and_title_without_spaces():
    plan = load("goals-heading-short.txt")
    assert (plan.organisation, plan.roc_year, plan.title) == ("文化部", 110, "文化部110年度施政計畫")
    assert [f.text for f in plan.preamble.follows] == ["行政院 110 年度施政方針", "中程施政計畫"]  # 並配合
    assert outline(plan) == [
        (1, "厚植文化實力", [(1, "推動文化資產保存。", 9, 9), (2, "扶植藝文團隊，補助巡迴演出。", 10, 11)]),
        (2, "拓展國際交流", [(1, "參與國際藝術節。", 15, 15)])]


def test_goals_in_parentheses_with_arabic_strategies():
    plan = load("paren-goals.txt")
    assert outline(plan) == [
        (1, "推動產業創新", [(1, "發展智慧機械產業。", 9, 9), (2, "推動 5G 應用。", 10, 10),
                           (3, "輔導中小企業數位轉型。", 11, 11)]),
        (2, "穩定能源供應", [(1, "推動再生能源。", 15, 15)])]
    assert plan.goals[1].source == Source("paren-goals.txt", 13, 13)


def test_third_level_items_are_rejected_with_their_line():
    with pytest.raises(InputError) as e:
        load("third-level.txt")
    assert (e.value.file, e.value.line) == ("third-level.txt", 8)
    assert e.value.message == ("third-level item '(1) 建置測試場域。' is not supported: "
                               "expected a goal 二、 or a strategy (二)")


@pytest.mark.parametrize("goal, strategy, deeper", [
    ("一、目標", "(一) 策略：", "1、細項。"),
    ("一、目標", "(一) 策略：", "1. 細項。"),
    ("一、目標", "- (一) 策略：", "（1）細項。"),
    ("(一) 目標", "1、策略：", "(1) 細項。"),
    ("(一) 目標", "1．策略：", "① 細項。"),
])
def test_third_level_in_every_scheme(goal, strategy, deeper):
    text = f"某部 109 年度施政計畫\n壹、年度施政目標及策略\n{goal}\n{strategy}\n\n{deeper}\n貳、年度重要計畫\n"
    with pytest.raises(InputError) as e:
        parse_plan_text(text, file="t.txt")
    assert e.value.line == 6
    assert e.value.message.startswith(f"third-level item '{deeper}' is not supported")


def test_plan_without_the_table():
    plan = load("no-table.txt")
    assert plan.has_table is False
    assert plan.work_plans == [] and plan.programs() == []
    assert outline(plan) == [(1, "健全住宅政策", [(1, "推動社會住宅。", 9, 9), (2, "落實居住正義。", 10, 10)])]
    assert plan.source == Source("no-table.txt", 1, 18)


def test_heading_alone_means_no_table():
    plan = parse_plan_text("某部 109 年度施政計畫\n壹、年度施政目標\n一、目標\n貳、年度重要計畫\n", file="t")
    assert plan.has_table is False and plan.work_plans == []
    assert plan.preamble.text == "" and plan.preamble.source == Source("t", 1, 1)


def test_full_width_parentheses():
    plan = load("fullwidth-parens.txt")
    assert outline(plan) == [
        (1, "建構健康照護體系", [(1, "推動長期照顧十年計畫 2.0。", 7, 7), (2, "強化基層醫療。", 8, 8)]),
        (2, "完善社會安全網", [(1, "布建社福中心。", 12, 12)])]
    assert plan.preamble.text == ""


def test_strategies_without_dash_and_continuation_lines():
    plan = load("no-dash.txt")
    assert outline(plan) == [
        (1, "提升運輸安全", [(1, "強化道路安全。", 7, 7), (2, "推動鐵道安全改善計畫，並檢討相關法規。", 8, 10)]),
        (2, "發展觀光", [(1, "推動 Taiwan Tourism 2030。", 14, 14)])]
    (program,) = plan.programs()
    assert program.category == "公共建設"
    assert [a.text for a in program.activities] == ["改善路口設計。", "辦理安全宣導。"]


def test_sections_after_the_table_and_prose_before_it():
    seed = SEED.read_text(encoding="utf-8")
    head, table = seed.split("貳、年度重要計畫\n")
    text = head + "貳、年度重要計畫\n\n本部重要計畫如下：\n\n" + table + "\n\n參、附表\n\n" + "\t".join("甲乙丙") + "\n"
    plan = parse_plan_text(text, file="t")
    assert len(plan.programs()) == 44 and len(plan.activities()) == 140
    assert plan.work_plans[0].source.line == 96 + 3


def test_custom_categories_and_a_new_category_cut_by_a_page_break():
    text = ("某部 109 年度施政計畫\n壹、年度施政目標及策略\n一、目標\n貳、年度重要計畫\n"
            "工作計畫名稱\t重要計畫項目\t計畫類別\t實施內容\n"
            "甲業務\t計畫\t數位\t一、第一項\n\n工作計畫名稱\t重要計畫項目\t計畫類別\t實施內容\n"
            "\t名稱續\t發展\t內容。 二、第二項。\n")
    plan = parse_plan_text(text, file="t", categories=["數位發展"])
    (p,) = plan.programs()
    assert (p.name, p.category, p.source) == ("計畫名稱續", "數位發展", Source("t", 6, 9))
    assert [(a.text, a.source.line, a.source.end_line) for a in p.activities] == [
        ("第一項內容。", 6, 9), ("第二項。", 9, 9)]


def test_continuation_of_the_program_name_only():
    """A first row after the header with an empty 計畫類別 continues the name and 實施內容 above."""
    text = ("某部 109 年度施政計畫\n壹、年度施政目標及策略\n一、目標\n貳、年度重要計畫\n"
            "工作計畫名稱\t重要計畫項目\t計畫類別\t實施內容\n"
            "甲業務\t推動 AI\t科技發展\t一、建置平台\n工作計畫名稱\t重要計畫項目\t計畫類別\t實施內容\n"
            "\t應用\t\t。 二、辦理 AI 競賽。\n")
    (p,) = parse_plan_text(text, file="t").programs()
    assert p.name == "推動 AI應用"  # fragments are joined with no separator
    assert [a.text for a in p.activities] == ["建置平台。", "辦理 AI 競賽。"]


def test_same_work_plan_name_repeated_on_consecutive_rows_continues_it():
    text = ("某部 109 年度施政計畫\n壹、年度施政目標及策略\n一、目標\n貳、年度重要計畫\n"
            "工作計畫名稱\t重要計畫項目\t計畫類別\t實施內容\n"
            "甲業務\t計畫一\t社會發展\t內容。\n甲業務\t計畫二\t社會發展\t內容。\n")
    (wp,) = parse_plan_text(text, file="t").work_plans
    assert [(p.ordinal, p.name) for p in wp.programs] == [(1, "計畫一"), (2, "計畫二")]
    assert wp.source == Source("t", 6, 7)


def test_numerals_and_many_items():
    assert [chinese_numeral(s) for s in ("一", "九", "十", "十一", "二十", "二十三", "九十九", "一十")] == [
        1, 9, 10, 11, 20, 23, 99, 10]
    assert [chinese_numeral(s) for s in ("", "十十", "一一", "百", "二十十", "〇")] == [None] * 6
    assert all(chinese_numeral(to_chinese_numeral(n)) == n for n in range(1, 100))
    items = " ".join(f"{to_chinese_numeral(n)}、第{n}項。" for n in range(1, 24))
    text = ("某部 109 年度施政計畫\n壹、年度施政目標及策略\n" + "\n".join(f"{to_chinese_numeral(n)}、目標{n}" for n in range(1, 13))
            + "\n貳、年度重要計畫\n工作計畫名稱\t重要計畫項目\t計畫類別\t實施內容\n甲\t乙\t社會發展\t" + items + "\n")
    plan = parse_plan_text(text, file="t")
    assert [g.text for g in plan.goals][-2:] == ["目標11", "目標12"]
    assert [a.text for a in plan.activities()] == [f"第{n}項。" for n in range(1, 24)]
