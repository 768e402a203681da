"""The table of 貳、年度重要計畫: work plans → programs → activities, across page breaks.

Layout. Lines before the first header row are prose (allowed; a plan without a header row has no
table: ``has_table=False``). A line that starts with 工作計畫名稱 or contains a tab before the first
header must *be* the header: exactly the four tab-separated columns
``工作計畫名稱 \\t 重要計畫項目 \\t 計畫類別 \\t 實施內容``. After it every non-blank line is either the
header again (a page break: the source was cut into pages and each page repeats the header) or a
row of exactly four cells. Blank lines (also lines of only tabs/spaces) carry no meaning.

Rows. An empty 工作計畫名稱 continues the work plan above; a work-plan name that reappears after
another work plan is an error. Cells may carry ``<p>…</p>`` markup, which is removed.

Page breaks. A row cut by a page break continues in the *first row after the repeated header*:

* when the previous row's 計畫類別 is not a known category but a proper prefix of one (社會 …),
  that row is cut: the next page's first row must continue it — its 重要計畫項目, 計畫類別 and
  實施內容 cells are appended to the cut row's (社會 + 發展 = 社會發展, which must then be known).
  If the header does not follow, or the file ends first, it is an error; a category that is neither
  known nor a prefix is an error too;
* otherwise, a first row whose 計畫類別 cell is empty (typically all three first cells empty)
  continues the row above: its 重要計畫項目 (if any) and 實施內容 are appended. Anywhere else a row
  with an empty 計畫類別 is an error.

Fragments are joined with no separator (a cut may split a word: 職 + 業災害 = 職業災害). A header
with no row after it (the file ends at a page break) is an error: the file is truncated.

Activities. 實施內容 items are numbered 一、二、…; an item starts at an item boundary (start of the
cell, after whitespace, after a tag, at a page-break join) with the *expected next* numeral followed
by 、 — so ``APEC、WTO`` never splits. A numeral+、 at a boundary that is not the expected one is
a numbering error (gap or repeat). A cell that does not start with 一、 is one activity (ordinal 1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from plankg.errors import InputError
from plankg.loaders.model import Activity, Program, Source, WorkPlan
from plankg.loaders.plan_syntax import Word, chinese_numeral, quote, render, to_chinese_numeral, words

HEADER = ("工作計畫名稱", "重要計畫項目", "計畫類別", "實施內容")

Line = tuple[int, str]

_ITEM_RE = re.compile(r"(?P<n>[一二三四五六七八九十]{1,3})、")


def parse_table(lines: Sequence[Line], file: str, categories: tuple[str, ...],
                end: str = "the end of the file") -> tuple[list[WorkPlan], bool]:
    """(work plans, has_table) of the lines of 貳 (heading excluded, up to the next section).

    ``end`` says what ends these lines, for messages about a truncated table.
    """
    builder: _TableBuilder | None = None
    for n, raw in lines:
        if not raw.strip():
            continue
        if builder is None:
            if "\t" in raw or raw.strip().startswith(HEADER[0]):
                _check_header(raw, file, n)
                builder = _TableBuilder(file, categories, end, n)
            continue  # prose before the table
        if raw.lstrip().startswith(HEADER[0]):
            _check_header(raw, file, n)
            builder.page_break(n)
        else:
            builder.row(n, raw)
    if builder is None:
        return [], False
    return builder.finish(), True


def _check_header(raw: str, file: str, n: int) -> None:
    cells = tuple(_plain(c) for c in raw.split("\t"))
    if cells != HEADER:
        expected = "\\t".join(HEADER)
        raise InputError(file, n, f"expected the table header '{expected}' ({len(HEADER)} tab-separated "
                                  f"columns), found {len(cells)} column(s): {quote(raw, 60)}")


def _plain(cell: str) -> str:
    """A name-like cell: markup removed, whitespace normalised."""
    return render(words(cell))


@dataclass
class _Draft:
    """A program being read: its row(s) and raw 實施內容 fragments."""

    program: Program
    work_plan: WorkPlan
    fragments: list[Line] = field(default_factory=list)


class _TableBuilder:
    """Reads rows one by one, keeping track of page breaks and cut rows."""

    def __init__(self, file: str, categories: tuple[str, ...], end: str, header_line: int):
        self.file = file
        self.end = end  # what ends the table, for messages
        self.first_header = header_line
        self.categories = categories
        self.work_plans: list[WorkPlan] = []
        self.first_seen: dict[str, int] = {}
        self.draft: _Draft | None = None
        self.cut = False  # the draft's category is a proper prefix of a known one
        self.header_line: int | None = None  # a repeated header not yet followed by a row

    # -- events

    def page_break(self, n: int) -> None:
        if self.draft is not None:
            self.header_line = n

    def row(self, n: int, raw: str) -> None:
        cells = raw.split("\t")
        if len(cells) != len(HEADER):
            raise InputError(self.file, n, f"expected {len(HEADER)} tab-separated cells ({', '.join(HEADER)}), "
                                           f"found {len(cells)}: {quote(raw, 40)}")
        work_plan, name, category = (_plain(c) for c in cells[:3])
        after_header, self.header_line = self.header_line is not None, None
        if self.cut and not after_header:
            assert self.draft is not None
            raise InputError(self.file, self.draft.program.source.line,
                             f"{self._unknown(self.draft.program.category)} (a row cut by a page break must "
                             f"continue right after the repeated header, found {quote(raw)} at line {n})")
        if after_header and (self.cut or not category):
            self._continue_row(n, raw, work_plan, name, category, cells[3])
        else:
            self._new_row(n, raw, work_plan, name, category, cells[3])

    def finish(self) -> list[WorkPlan]:
        if self.draft is None:
            raise InputError(self.file, self.first_header, "truncated table: expected a row after the table header, "
                                                   f"found {self.end}")
        if self.cut:
            program = self.draft.program
            raise InputError(self.file, program.source.end_line,
                             f"truncated table: this row is cut by a page break (category "
                             f"{quote(program.category)} is only the start of a known one), expected its "
                             f"continuation after the repeated header, found {self.end}")
        if self.header_line is not None:
            raise InputError(self.file, self.header_line, "truncated table: expected a row after this page "
                                                          f"header, found {self.end}")
        self._close()
        return self.work_plans

    # -- rows

    def _new_row(self, n: int, raw: str, work_plan: str, name: str, category: str, content: str) -> None:
        if not category:
            hint = (" (a row with empty 工作計畫名稱, 重要計畫項目 and 計畫類別 continues a cut row only as the "
                    "first row after a repeated page header)" if not work_plan and not name else "")
            raise InputError(self.file, n, f"expected a 計畫類別, found an empty cell in {quote(raw)}{hint}")
        if not name:
            raise InputError(self.file, n, f"expected a 重要計畫項目, found an empty cell in {quote(raw)}")
        self.cut = category not in self.categories
        if self.cut and not any(k.startswith(category) for k in self.categories):
            raise InputError(self.file, n, f"{self._unknown(category)} in {quote(raw)}")
        self._close()
        wp = self._work_plan(n, work_plan, raw)
        program = Program(len(wp.programs) + 1, name, category, Source.at(self.file, n))
        wp.programs.append(program)
        self.draft = _Draft(program, wp, [(n, content)])

    def _continue_row(self, n: int, raw: str, work_plan: str, name: str, category: str, content: str) -> None:
        assert self.draft is not None
        program = self.draft.program
        if work_plan:
            raise InputError(self.file, n, f"expected an empty 工作計畫名稱 in the row continuing line "
                                           f"{program.source.end_line} after the page break, found {quote(raw)}")
        if not (name or category or _plain(content)):
            raise InputError(self.file, n, f"expected the continuation of line {program.source.end_line}, "
                                           f"found an empty row")
        program.name += name
        program.category += category
        if self.cut and program.category not in self.categories:
            raise InputError(self.file, n, f"{self._unknown(program.category)} (joined across the page break "
                                           f"from line {program.source.end_line})")
        self.cut = False
        program.source = Source(self.file, program.source.line, n)
        wp = self.draft.work_plan
        wp.source = Source(self.file, wp.source.line, n)
        self.draft.fragments.append((n, content))

    def _work_plan(self, n: int, name: str, raw: str) -> WorkPlan:
        current = self.work_plans[-1] if self.work_plans else None
        if not name:
            if current is None:
                raise InputError(self.file, n, f"expected a 工作計畫名稱 in the first row of the table, "
                                               f"found an empty cell in {quote(raw)}")
            current.source = Source(self.file, current.source.line, n)
            return current
        if current is not None and name == current.name:
            current.source = Source(self.file, current.source.line, n)
            return current
        if name in self.first_seen:
            previous = quote(current.name) if current else "another work plan"
            raise InputError(self.file, n, f"work plan {quote(name)} (first at line {self.first_seen[name]}) "
                                           f"reappears after {previous}: expected each work plan's rows together")
        self.first_seen[name] = n
        wp = WorkPlan(len(self.work_plans) + 1, name, Source.at(self.file, n))
        self.work_plans.append(wp)
        return wp

    def _close(self) -> None:
        """Split the finished program's 實施內容 into activities."""
        if self.draft is not None:
            self.draft.program.activities = split_activities(self.draft.fragments, self.file,
                                                             self.draft.program.source.line)
            self.draft = None

    def _unknown(self, category: str) -> str:
        return f"category {quote(category)} outside the known list ({', '.join(self.categories)})"


# ------------------------------------------------------------------------------------ activities


def split_activities(fragments: Sequence[Line], file: str, row_line: int) -> list[Activity]:
    """The activities of a 實施內容 cell given as (line, raw text) fragments cut by page breaks."""
    ws = [w for i, (n, text) in enumerate(fragments) for w in words(text, n, cut=i > 0)]
    if not ws:
        raise InputError(file, row_line, "expected the 實施內容 of this row, found an empty cell")
    if _item_number(ws[0]) != 1:
        for w in ws:
            if (found := _item_number(w)) is not None:
                what = "numbering gap" if found > 1 else "numbered item after un-numbered text"
                raise InputError(file, w.line, f"{what} in 實施內容: expected the cell to start with activity 一、 "
                                               f"or to carry no numbering, found {quote(w.text)}")
        return [_activity(1, ws, file)]
    items: list[list[Word]] = []
    for w in ws:
        found = _item_number(w)
        if found is None:
            items[-1].append(w)
            continue
        expected = len(items) + 1
        if found != expected:
            what = "numbering gap" if found > expected else "repeated or out-of-order number"
            raise InputError(file, w.line, f"{what} in 實施內容: expected activity {to_chinese_numeral(expected)}、, "
                                           f"found {quote(w.text)}")
        marker = _ITEM_RE.match(w.text)
        assert marker is not None
        items.append([Word(w.text[marker.end():], w.line, w.gap)])
    return [_activity(i, item, file) for i, item in enumerate(items, 1)]


def _item_number(w: Word) -> int | None:
    """The numeral of an item marker 一、 at the start of a word (every word starts at a boundary)."""
    m = _ITEM_RE.match(w.text)
    return chinese_numeral(m["n"]) if m else None


def _activity(ordinal: int, item: list[Word], file: str) -> Activity:
    text = render([w for w in item if w.text])
    if not text:
        raise InputError(file, item[0].line, f"expected the text of activity {to_chinese_numeral(ordinal)}、, "
                                             f"found nothing")
    lines = [w.line for w in item]
    return Activity(ordinal, text, Source(file, min(lines), max(lines)))
