"""The 說明 (note) of a budget row → its numbered line items, with amounts and changes.

Layout of a note (every note of the three shipped files follows it):

* an optional preamble at column 0, usually 本年度預算數之內容與上年度之比較如下：;
* items ``1.`` ``2.`` … at column 0, their wrapped lines indented by 3 spaces;
* sub-items ``(1)`` ``(2)`` … indented by 2 spaces (wrapped lines by 5), under the item above;
* sub-sub-items ``<1>`` ``<2>`` … indented by 4 spaces (wrapped lines by 7), under the sub-item above.

A marker counts only at its own indentation, so a wrapped line that happens to start with
``(1)`` stays text. No other numbering (一、, （一）, （1）, ①) occurs in the published files.
Wrapped lines are joined with no separator: the publisher wraps at a fixed width, inside words
and numbers alike ("計淨增12,4" / "94千元").

A note without any ``1.`` is a single statement about the row as a whole (本年度預算數30,000千元，
係…，與上年度同。 or 仍照上年度預算數編列。): it gives **no items**, since the row already carries
its amount; the text is kept as the row's ``preamble``.

Amount of an item (``amount_twd``), from its own text (not its sub-items'):

* the first ``N千元`` × 1000;
* but when that first amount is a multi-year total (``…計畫總經費N千元，分4年辦理…``), this
  year's share: ``本科目編列N千元`` if stated, else ``本年度續編…N千元`` / ``本年度編列…N千元``;
* 0 for a withdrawn item (上年度…預算業已編竣，所列N千元如數減列 or …本年度暫緩編列…);
* None when the text states no amount, e.g. a heading such as 本年度預算數各單位編列情形如下：
  whose amounts are in its sub-items.

Change from the previous year (``change_twd``), signed, for the item as a whole. Only the text
before the first 其中 counts: what follows 其中 ("of which") is about a part of the item, and
its own 較上年度增列/減列 is that part's change, not the item's. In that head:

1. a net change, ``淨增N千元`` (+) / ``淨減N千元`` (−), wins (計淨增 sums the clauses before it);
2. else the clauses after 較上年度: each clause (up to ，。；) with 增列/新增/增加 (+) or
   減列/減少 (−) adds all of its ``N千元`` (減列A經費1千元、B經費2千元及C經費3千元 is −6),
   multi-year totals (總經費) left out;
3. else 與上年度同 → 0;
4. else a withdrawn item → −N (所列N千元如數減列);
5. else an item that is new this year (text starting with 新增, or 新增本科目編列) → +amount;
6. else None: the item states no change (e.g. the per-unit breakdowns 陸軍司令部7,384,548千元。).

A number of more than :data:`MAX_DIGITS` digits (an item number, an amount) is an
:class:`~plankg.errors.InputError` naming its line: no budget figure is that long.

Checked on the shipped files: where every top-level item of a row has an amount, they sum to the
row's amount in all rows but one (4614029000, whose per-unit list does not add up in the source).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plankg.errors import InputError
from plankg.loaders.model import LineItem, Source

# (indentation, marker) of each level: 1. / (1) / <1>
_MARKERS = (re.compile(r"(\d+)\."), re.compile(r" {2}\((\d+)\)"), re.compile(r" {4}<(\d+)>"))
_NUM = r"(?<![\d,])(\d{1,3}(?:,\d{3})+|\d+)千元"
_AMOUNT = re.compile(_NUM)
_TOTAL = re.compile(r"總經費" + _NUM)
_THIS_YEAR = (re.compile(r"本科目(?:編列|分攤)" + _NUM),
              re.compile(r"本年度(?:續編|編列)[^，。；]*?" + _NUM))
_WITHDRAWN = re.compile(r"所列" + _NUM + "如數減列")
_NET = re.compile(r"淨(增|減)(?:列)?" + _NUM)
_CLAUSE_SPLIT = re.compile(r"[，。；]")
_UP, _DOWN = ("增列", "新增", "增加"), ("減列", "減少")


MAX_DIGITS = 30
"""The most digits an amount or item number may have: no budget figure comes near (the largest, in
TWD, has 13), and ``int()`` refuses strings of more than 4300 digits."""


class TooLong(ValueError):
    """A number of more than :data:`MAX_DIGITS` digits in a note."""


def _twd(thousands: str) -> int:
    digits = thousands.replace(",", "")
    if len(digits) > MAX_DIGITS:
        raise TooLong(f"an amount of {len(digits)} digits: expected N千元 with at most {MAX_DIGITS} digits")
    return int(digits) * 1000


def _withdrawn(text: str) -> re.Match | None:
    """The 所列N千元如數減列 of an item that is not budgeted this year, if it is one."""
    if text.startswith("上年度") or "本年度暫緩編列" in text:
        return _WITHDRAWN.search(text)
    return None


def item_amount(text: str) -> int | None:
    """This year's amount of an item, in TWD (see the module docstring)."""
    if _withdrawn(text):
        return 0
    first = _AMOUNT.search(text)
    if first is None:
        return None
    total = _TOTAL.match(text, first.start() - 3) if first.start() >= 3 else None
    if total is None:
        return _twd(first.group(1))
    rest = text[first.end():]
    for pattern in _THIS_YEAR:
        share = pattern.search(rest)
        if share:
            return _twd(share.group(1))
    return None


def item_change(text: str, amount: int | None) -> int | None:
    """The item's change from the previous year as a whole, in TWD, signed (see the module docstring)."""
    head = text.split("其中", 1)[0]
    net = _NET.search(head)
    if net:
        return _twd(net.group(2)) * (1 if net.group(1) == "增" else -1)
    at = head.find("較上年度")
    if at >= 0:
        change, found = 0, False
        for clause in _CLAUSE_SPLIT.split(head[at:]):
            sign = 1 if any(v in clause for v in _UP) else -1 if any(v in clause for v in _DOWN) else 0
            if sign == 0:
                continue
            totals = {m.start(1) for m in _TOTAL.finditer(clause)}
            for m in _AMOUNT.finditer(clause):
                if m.start(1) not in totals:
                    change, found = change + sign * _twd(m.group(1)), True
        if found:
            return change
    if "與上年度同" in head:
        return 0
    withdrawn = _withdrawn(text)
    if withdrawn:
        return -_twd(withdrawn.group(1))
    if amount is not None and (head.startswith("新增") or "新增本科目" in head):
        return amount
    return None


@dataclass
class _Open:
    """An item being read: its level, marker line and text so far, its last line, its children."""

    level: int
    ordinal: int
    first: int
    parts: list[str]
    last: int
    children: list["_Open"] = field(default_factory=list)

    def end(self) -> int:
        return max([self.last] + [c.end() for c in self.children])

    def close(self, file: str) -> LineItem:
        text = "".join(self.parts)
        try:
            amount = item_amount(text)
            change = item_change(text, amount)
        except TooLong as e:
            raise InputError(file, self.first, f"item {self.ordinal} of the note states {e}") from None
        return LineItem(self.ordinal, text, amount, change,
                        Source(file, self.first, self.end()), [c.close(file) for c in self.children])


def parse_note(note: str, file: str, first_line: int) -> tuple[str, list[LineItem]]:
    """``(preamble, items)`` of a note whose first line is line ``first_line`` of ``file``."""
    lines = note.split("\n")
    if not any(_MARKERS[0].match(line) for line in lines):
        return "".join(line.strip() for line in lines), []
    preamble: list[str] = []
    top: list[_Open] = []
    stack: list[_Open] = []  # the open item of each level, outermost first
    for n, line in enumerate(lines, start=first_line):
        for level, marker in enumerate(_MARKERS):
            m = marker.match(line)
            if m:
                break
        else:
            if stack:
                stack[-1].parts.append(line.strip())
                stack[-1].last = n
            else:
                preamble.append(line.strip())
            continue
        if len(m.group(1)) > MAX_DIGITS:
            raise InputError(file, n, f"an item number of {len(m.group(1))} digits in the note: expected items "
                                      f"numbered 1. 2. … (at most {MAX_DIGITS} digits)")
        while stack and stack[-1].level >= level:
            stack.pop()
        item = _Open(level, int(m.group(1)), n, [line[m.end():].strip()], n)
        (stack[-1].children if stack else top).append(item)
        stack.append(item)
    return "".join(preamble), [item.close(file) for item in top]


__all__ = ["parse_note", "item_amount", "item_change"]
