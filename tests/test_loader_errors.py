"""Bad input: every class of error names the file and line and says what was expected and found.

The fuzz tests at the end check that a damaged seed only ever gives an InputError or a Plan.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from plankg.errors import InputError
from plankg.loaders.model import Plan
from plankg.loaders.plan_text import parse_plan, parse_plan_text

SEED = Path(__file__).resolve().parent.parent / "data" / "plans" / "mol-108.txt"
SEED_LINES = SEED.read_text(encoding="utf-8").split("\n")
HEADER = "工作計畫名稱\t重要計畫項目\t計畫類別\t實施內容"
KNOWN = "(社會發展, 公共建設, 科技發展)"

# A minimal valid plan; the cases below damage one part of it. Line numbers:
#  1 title  3 preamble  5 壹  7 一、  9-10 (一)(二)  12 二、  14 (一)  16 貳  18 header  19-21 rows
MINI = f"""勞動部 109 年度施政計畫

本部以「更好的勞動力」作為施政願景。

壹、年度施政目標及策略

一、目標一

- (一) 策略一。
- (二) 策略二。

二、目標二

(一) 策略。

貳、年度重要計畫

{HEADER}
甲業務\t計畫甲\t社會發展\t一、活動一。 二、活動二。
\t計畫乙\t科技發展\t活動。
乙業務\t計畫丙\t公共建設\t<p>一、活動。</p>
"""
MINI_LINES = MINI.split("\n")


def replace(line: int, *new: str) -> str:
    """MINI with its line ``line`` (1-based) replaced by the lines ``new`` (none: deleted)."""
    lines = list(MINI_LINES)
    lines[line - 1 : line] = new
    return "\n".join(lines)


def error_of(text: str, file: str = "p.txt") -> InputError:
    with pytest.raises(InputError) as e:
        parse_plan_text(text, file=file)
    return e.value


def test_the_minimal_plan_is_valid():
    plan = parse_plan_text(MINI, file="p.txt")
    assert [len(g.strategies) for g in plan.goals] == [2, 1]
    assert [len(p.activities) for p in plan.programs()] == [2, 1, 1]


CASES = [
    # --- empty input, title, sections
    pytest.param("", 1, "expected a title line '<機關> <年> 年度施政計畫', found an empty file", id="empty-file"),
    pytest.param(" \n\t\n\u3000\n", 1, "expected a title line '<機關> <年> 年度施政計畫', found only whitespace",
                 id="whitespace-only"),
    pytest.param(replace(1, "勞動部施政計畫"), 1,
                 "expected a title line '<機關> <年> 年度施政計畫', found '勞動部施政計畫'", id="title-without-year"),
    pytest.param(replace(1, "勞動部 108 年度預算書"), 1,
                 "expected a title line '<機關> <年> 年度施政計畫', found '勞動部 108 年度預算書'", id="title-other-document"),
    pytest.param(replace(1), 2, "expected a title line '<機關> <年> 年度施政計畫', found "
                                "'本部以「更好的勞動力」作為施政願景。'", id="title-missing"),
    pytest.param(replace(5), 15, "missing section 壹: expected '壹、年度施政目標及策略' before the table, "
                                 "found '貳、年度重要計畫'", id="missing-section-1"),
    pytest.param(replace(5, "壹、施政重點"), 5, "expected the heading '壹、年度施政目標及策略' (or '壹、年度施政目標'), "
                                              "found '壹、施政重點'", id="wrong-section-1-heading"),
    pytest.param("\n".join(MINI_LINES[:14]), 14, "truncated file: expected the section '貳、年度重要計畫' after 壹, "
                                                 "found the end of the file", id="truncated-missing-section-2"),
    pytest.param("\n".join(MINI_LINES[:4]), 3, "missing section 壹: expected '壹、年度施政目標及策略' before the "
                                               "table, found the end of the file", id="truncated-in-preamble"),
    pytest.param(replace(16, "貳、年度計畫"), 16, "expected the heading '貳、年度重要計畫', found '貳、年度計畫'",
                 id="wrong-section-2-heading"),
    pytest.param(replace(16, "參、年度重要計畫"), 16, "expected the heading '貳、年度重要計畫', found '參、年度重要計畫'",
                 id="section-3-instead-of-2"),
    # --- goals and strategies
    pytest.param(replace(12, "三、目標二"), 12, "numbering gap: expected goal 二、, found 三、 in '三、目標二'",
                 id="goal-gap"),
    pytest.param(replace(12, "一、目標二"), 12,
                 "repeated or out-of-order number: expected goal 二、, found 一、 in '一、目標二'", id="goal-repeat"),
    pytest.param(replace(10, "- (三) 策略二。"), 10,
                 "numbering gap: expected strategy (二) of goal 1, found (三) in '- (三) 策略二。'", id="strategy-gap"),
    pytest.param(replace(10, "- (一) 策略二。"), 10, "repeated or out-of-order number: expected strategy (二) of goal 1, "
                                                 "found (一) in '- (一) 策略二。'", id="strategy-repeat"),
    pytest.param(replace(7), 8, "strategy before any goal: expected a goal '一、…', found '- (一) 策略一。'",
                 id="strategy-before-goal"),
    pytest.param(replace(7, "一、"), 7, "expected text after the number, found only '一、'", id="goal-without-text"),
    pytest.param("\n".join(MINI_LINES[:6] + MINI_LINES[15:]), 5, "expected at least one goal under 壹, found none",
                 id="no-goal"),
    pytest.param(replace(8, "本目標說明文字。"), 8, "unrecognised line in 壹: expected a goal 二、 or a strategy (一), "
                                               "found '本目標說明文字。'", id="prose-after-goal"),
    pytest.param(replace(11, "補充說明。"), 11, "unrecognised line in 壹: expected a goal 二、 or a strategy (三), "
                 "found '補充說明。' (an un-numbered line continues a strategy only when that strategy does not end "
                 "with 。)", id="prose-after-finished-strategy"),
    pytest.param(replace(6, "說明。"), 6, "unrecognised line in 壹: expected the first goal '一、…' or '(一)…', "
                                        "found '說明。'", id="prose-before-first-goal"),
    pytest.param(replace(11, "- 1. 細項。"), 11, "third-level item '- 1. 細項。' is not supported: expected a goal 二、 "
                                              "or a strategy (三)", id="third-level"),
    pytest.param(replace(8, "(1) 細項。"), 8, "unexpected numbering '(1)' in 壹: expected a goal 二、 or a strategy (一), "
                                          "found '(1) 細項。'", id="deeper-item-right-under-a-goal"),
    pytest.param(replace(4, "一、甲。", "三、乙。"), 5, "numbering gap: expected key work 二、, found 三、 in '三、乙。'",
                 id="key-work-gap"),
    pytest.param(replace(4, "一、甲。", "(一) 乙。"), 5, "nested or mixed numbering in the preamble's key works is not "
                                                   "supported: expected 二、, found '(一) 乙。'", id="key-work-nested"),
    # --- the table: header, cells, categories, work plans
    pytest.param(replace(18, "工作計畫名稱\t重要計畫項目\t實施內容"), 18,
                 "expected the table header '工作計畫名稱\\t重要計畫項目\\t計畫類別\\t實施內容' (4 tab-separated columns), "
                 "found 3 column(s): '工作計畫名稱\\t重要計畫項目\\t實施內容'", id="header-3-columns"),
    pytest.param(replace(18, "工作計畫名稱 重要計畫項目 計畫類別 實施內容"), 18,
                 "expected the table header '工作計畫名稱\\t重要計畫項目\\t計畫類別\\t實施內容' (4 tab-separated columns), "
                 "found 1 column(s): '工作計畫名稱 重要計畫項目 計畫類別 實施內容'", id="header-with-spaces"),
    pytest.param(replace(18), 18, "expected the table header '工作計畫名稱\\t重要計畫項目\\t計畫類別\\t實施內容' "
                 "(4 tab-separated columns), found 4 column(s): '甲業務\\t計畫甲\\t社會發展\\t一、活動一。 二、活動二。'",
                 id="row-before-any-header"),
    pytest.param(replace(20, "\t計畫乙\t科技發展"), 20, "expected 4 tab-separated cells (工作計畫名稱, 重要計畫項目, "
                 "計畫類別, 實施內容), found 3: '\\t計畫乙\\t科技發展'", id="row-3-cells"),
    pytest.param(replace(20, "\t計畫乙\t科技發展\t活動。\t備註"), 20, "expected 4 tab-separated cells (工作計畫名稱, "
                 "重要計畫項目, 計畫類別, 實施內容), found 5: '\\t計畫乙\\t科技發展\\t活動。\\t備註'", id="row-5-cells"),
    pytest.param(replace(20, "\t計畫乙\t文化發展\t活動。"), 20,
                 f"category '文化發展' outside the known list {KNOWN} in '\\t計畫乙\\t文化發展\\t活動。'",
                 id="unknown-category"),
    pytest.param(replace(20, "\t計畫乙\t\t活動。"), 20,
                 "expected a 計畫類別, found an empty cell in '\\t計畫乙\\t\\t活動。'", id="empty-category"),
    pytest.param(replace(20, "\t\t科技發展\t活動。"), 20,
                 "expected a 重要計畫項目, found an empty cell in '\\t\\t科技發展\\t活動。'", id="empty-program"),
    pytest.param(replace(19, "\t計畫甲\t社會發展\t活動。"), 19, "expected a 工作計畫名稱 in the first row of the "
                 "table, found an empty cell in '\\t計畫甲\\t社會發展\\t活動。'", id="first-row-without-work-plan"),
    pytest.param(replace(21, "乙業務\t計畫丙\t公共建設\t活動。", "甲業務\t計畫丁\t公共建設\t活動。"), 22,
                 "work plan '甲業務' (first at line 19) reappears after '乙業務': expected each work plan's rows together",
                 id="work-plan-reappears"),
    pytest.param(replace(19, "甲業務\t計畫甲\t社會發展\t<p>"), 19, "expected the 實施內容 of this row, found an empty "
                                                             "cell", id="empty-content"),
    # --- activities
    pytest.param(replace(19, "甲業務\t計畫甲\t社會發展\t一、活動一。 三、活動三。"), 19,
                 "numbering gap in 實施內容: expected activity 二、, found '三、活動三。'", id="activity-gap"),
    pytest.param(replace(19, "甲業務\t計畫甲\t社會發展\t<p>一、活動一。</p><p>一、活動二。</p>"), 19,
                 "repeated or out-of-order number in 實施內容: expected activity 二、, found '一、活動二。'",
                 id="activity-repeat"),
    pytest.param(replace(19, "甲業務\t計畫甲\t社會發展\t二、活動。"), 19, "numbering gap in 實施內容: expected the cell "
                 "to start with activity 一、 or to carry no numbering, found '二、活動。'", id="activity-starts-at-2"),
    pytest.param(replace(19, "甲業務\t計畫甲\t社會發展\t說明： 一、活動。"), 19, "numbered item after un-numbered text in "
                 "實施內容: expected the cell to start with activity 一、 or to carry no numbering, found '一、活動。'",
                 id="activity-after-prose"),
    pytest.param(replace(19, "甲業務\t計畫甲\t社會發展\t一、 二、活動二。"), 19,
                 "expected the text of activity 一、, found nothing", id="activity-without-text"),
    # --- page breaks
    pytest.param(replace(20, "\t\t\t活動三。"), 20, "expected a 計畫類別, found an empty cell in '\\t\\t\\t活動三。' (a row "
                 "with empty 工作計畫名稱, 重要計畫項目 and 計畫類別 continues a cut row only as the first row after a "
                 "repeated page header)", id="continuation-without-page-break"),
    pytest.param(replace(21, "乙業務\t計畫丙\t公共\t一、活動。", "\t續\t建設\t二、活動。"), 21,
                 f"category '公共' outside the known list {KNOWN} (a row cut by a page break must continue right after "
                 "the repeated header, found '\\t續\\t建設\\t二、活動。' at line 22)", id="cut-row-without-page-header"),
    pytest.param(replace(21, "乙業務\t計畫丙\t公共\t一、活動。", HEADER, "丙業務\t續\t建設\t二、活動。"), 23,
                 "expected an empty 工作計畫名稱 in the row continuing line 21 after the page break, found "
                 "'丙業務\\t續\\t建設\\t二、活動。'", id="cut-row-continued-by-a-new-work-plan"),
    pytest.param(replace(21, "乙業務\t計畫丙\t公共\t一、活動。", HEADER, "\t續\t發展\t二、活動。"), 23,
                 f"category '公共發展' outside the known list {KNOWN} (joined across the page break from line 21)",
                 id="cut-category-joins-to-unknown"),
    pytest.param(replace(21, "乙業務\t計畫丙\t公共建設\t一、活動。", HEADER, "\t\t\t三、活動。"), 23,
                 "numbering gap in 實施內容: expected activity 二、, found '三、活動。'", id="continuation-numbering-gap"),
    pytest.param(replace(21, "乙業務\t計畫丙\t公共\t一、活動。", ""), 21, "truncated table: this row is cut by a page "
                 "break (category '公共' is only the start of a known one), expected its continuation after the "
                 "repeated header, found the end of the file", id="truncated-after-cut-row"),
    pytest.param(replace(21, "乙業務\t計畫丙\t公共\t一、活動。", "", HEADER), 21, "truncated table: this row is cut by "
                 "a page break (category '公共' is only the start of a known one), expected its continuation after "
                 "the repeated header, found the end of the file", id="truncated-after-page-header-of-cut-row"),
    pytest.param(replace(22, "", HEADER), 23, "truncated table: expected a row after this page header, found the end "
                                              "of the file", id="truncated-after-page-header"),
    pytest.param("\n".join(MINI_LINES[:18]), 18, "truncated table: expected a row after the table header, found the "
                                                 "end of the file", id="truncated-after-first-header"),
    pytest.param(replace(22, "", HEADER, "", "參、附錄"), 23, "truncated table: expected a row after this page header, "
                 "found the next section '參、附錄'", id="page-header-before-next-section"),
]


@pytest.mark.parametrize("text, line, message", CASES)
def test_bad_input(text, line, message):
    e = error_of(text)
    assert (e.file, e.line, e.message) == ("p.txt", line, message)
    assert str(e) == f"p.txt:{line}: {message}"
    assert "\n" not in message


# -------------------------------------------------------------------------- the seed, damaged


def seed_with(lines: list[str]) -> str:
    return "\n".join(lines)


def test_seed_truncated_after_a_page_break_fragment():
    e = error_of(seed_with(SEED_LINES[:112]), "mol-108.txt")
    assert (e.file, e.line) == ("mol-108.txt", 112)
    assert e.message == ("truncated table: this row is cut by a page break (category '社會' is only the start of a "
                         "known one), expected its continuation after the repeated header, found the end of the file")
    e = error_of(seed_with(SEED_LINES[:114]), "mol-108.txt")
    assert e.line == 112 and e.message.startswith("truncated table: this row is cut by a page break")
    e = error_of(seed_with(SEED_LINES[:125]), "mol-108.txt")
    assert (e.line, e.message) == (125, "truncated table: expected a row after this page header, "
                                        "found the end of the file")


def test_seed_with_a_page_header_deleted():
    e = error_of(seed_with(SEED_LINES[:113] + SEED_LINES[114:]))  # line 114 (header before 社會|發展) deleted
    assert e.line == 112
    assert e.message.startswith(f"category '社會' outside the known list {KNOWN} (a row cut by a page break must "
                                "continue right after the repeated header, found '\\t保障制度，增進職災勞工權益")
    e = error_of(seed_with(SEED_LINES[:124] + SEED_LINES[125:]))  # line 125 (header before 126) deleted
    assert e.line == 125 and e.message.startswith("expected a 計畫類別, found an empty cell in '\\t\\t\\t行政法學")


def test_seed_with_the_first_half_of_a_cut_row_deleted():
    e = error_of(seed_with(SEED_LINES[:111] + SEED_LINES[112:]))
    assert e.line == 114
    assert e.message == (f"category '發展' outside the known list {KNOWN} in "
                         "'\\t保障制度，增進職災勞工權益\\t發展\\t<p>家屬之基本生…'")


def test_custom_categories_appear_in_the_message():
    with pytest.raises(InputError) as e:
        parse_plan_text(SEED.read_text(encoding="utf-8"), file="m", categories=("社會發展", "科技發展"))
    assert e.value.line == 136
    assert e.value.message.startswith("category '公共建設' outside the known list (社會發展, 科技發展) in ")


# ------------------------------------------------------------------------------- files, bytes


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "big5.txt"
    path.write_bytes("勞動部 108 年度施政計畫\n\n".encode() + "壹、年度施政目標".encode("big5"))
    with pytest.raises(InputError) as e:
        parse_plan(path, name="big5.txt")
    assert (e.value.file, e.value.line) == ("big5.txt", 3)
    assert e.value.message == "expected UTF-8 text, found byte 0xB3 (offset 34) that is not valid UTF-8"


def test_empty_file_on_disk_uses_the_path_as_given(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(InputError) as e:
        parse_plan(str(path))
    assert (e.value.file, e.value.line) == (str(path), 1)
    assert e.value.message == "expected a title line '<機關> <年> 年度施政計畫', found an empty file"


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as e:
        parse_plan(tmp_path / "nope.txt", name="nope.txt")
    assert (e.value.file, e.value.line) == ("nope.txt", None)
    assert e.value.message == "cannot read the plan file: No such file or directory"


# ------------------------------------------------------------------------------------- fuzzing


def outcome(text: str, n_lines: int) -> Plan | InputError:
    """Parse; anything but a Plan or a well-formed InputError fails the test."""
    try:
        return parse_plan_text(text, file="fuzz.txt")
    except InputError as e:
        assert e.file == "fuzz.txt"
        assert e.line is None or 1 <= e.line <= max(n_lines, 1), (e.line, n_lines)
        assert e.message and "\n" not in e.message
        return e


@pytest.mark.parametrize("step, offset", [(7, 0), (7, 3), (11, 5)])
def test_truncating_the_seed_never_crashes(step, offset):
    errors = 0
    for n in range(offset, len(SEED_LINES) + 1, step):
        result = outcome("\n".join(SEED_LINES[:n]), n)
        errors += isinstance(result, InputError)
    assert errors  # most truncations are detectable


def test_truncating_the_seed_by_characters_never_crashes():
    text = SEED.read_text(encoding="utf-8")
    for cut in range(0, len(text), 37):
        outcome(text[:cut], text[:cut].count("\n") + 1)


@pytest.mark.parametrize("first, last", [(1, 20), (40, 50), (86, 118), (120, 157)])
def test_deleting_any_single_line_never_crashes(first, last):
    for n in range(first, last + 1):
        lines = SEED_LINES[: n - 1] + SEED_LINES[n:]
        outcome("\n".join(lines), len(lines))


def test_random_damage_never_crashes():
    rnd = random.Random(20190101)
    inserts = ["\t", " ", "、", "<p>", "</p>", "一、", "(一)", "1、", "。", "\u3000", "社會", "\n", ""]
    for _ in range(300):
        lines = list(SEED_LINES)
        j = rnd.randrange(len(lines))
        op = rnd.randrange(4)
        if op == 0:
            lines[j] = lines[j].replace("\t", "", 1)
        elif op == 1:
            lines.insert(j, rnd.choice(lines))
        elif op == 2:
            del lines[j]
        else:
            p = rnd.randrange(len(lines[j]) + 1)
            lines[j] = lines[j][:p] + rnd.choice(inserts) + lines[j][p:]
        text = "\n".join(lines)
        outcome(text, text.count("\n") + 1)
