"""Read an annual administrative plan (年度施政計畫) printed as text into :class:`Plan` objects.

Grammar (line based; blank lines are ignored unless said otherwise)::

    plan      := title preamble goals table [later sections]
    title     := first non-blank line "<機關> <年> 年度施政計畫" (spaces optional), e.g. 勞動部 108 年度施政計畫
    preamble  := every line up to the 壹 heading: prose paragraphs, and optionally a 重點工作 list
                 (lines numbered 一、二、… or (一)(二)…, one style, in sequence) → Preamble.key_works;
                 a preamble line numbered in another style is an error
    goals     := "壹、年度施政目標及策略" | "壹、年度施政目標", then goal and strategy items
    table     := "貳、年度重要計畫", then optional prose, then the table (see plankg.loaders.table)

Section headings are lines starting 壹、貳、參、…; 壹 must come first and 貳 second. A later
heading (參、…) ends the table; what follows it is ignored.

Goals section (:mod:`plankg.loaders.goals`). The outermost numbering style used fixes the scheme:

* goals ``一、`` with strategies ``(一)``/``（一）``, or
* goals ``(一)`` with strategies ``1、``/``1.``/``1．`` (when no line is numbered ``一、``).

Strategies may carry a leading list dash ``- ``. Numbers must run 1, 2, 3 … (goals through the
section, strategies within their goal): a gap or a repeat is an error. A marker of a deeper style
(``(1)``, ``1、`` under ``(一)`` strategies, ``①`` …) is a third-level item and is rejected,
never folded into the strategy. An un-numbered line continues the strategy just above it (joined
with no separator) **only if that strategy's text does not yet end with sentence-final punctuation
(。！？)**; any other un-numbered line (prose after a goal, after a finished strategy, before the
first goal) is an error.

Preamble. ``vision`` is the 「…」 phrase followed by 作為/為施政願景; ``aims`` are the 「…」 phrases
chained (by 、及與和) right before 等X大目標; ``follows`` comes from 依據X，配合Y…: X (split at 、)
and Y (up to the first 及/與/、) — e.g. 行政院 108 年度施政方針, 中程施政計畫. ``Preamble.text``
holds every non-blank preamble line (key-work lines included), normalised, joined with "\\n".

Every text is normalised by :mod:`plankg.loaders.plan_syntax` (markup removed, whitespace runs
collapsed, no space between two CJK characters). Every bad input raises
:class:`plankg.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from plankg.errors import InputError
from plankg.loaders.goals import check_number, check_text, parse_goals
from plankg.loaders.model import Plan, Preamble, Source, Statement
from plankg.loaders.plan_syntax import Kind, label, match_item, quote, render, words
from plankg.loaders.registry import Loader
from plankg.loaders.table import parse_table

DEFAULT_CATEGORIES: tuple[str, ...] = ("社會發展", "公共建設", "科技發展")

GOALS_TITLES = ("年度施政目標及策略", "年度施政目標")
TABLE_TITLE = "年度重要計畫"

Line = tuple[int, str]  # (1-based line number, text without the line break)

_TITLE_RE = re.compile(r"(?P<org>\S(?:.*?\S)?)\s*(?P<year>[0-9０-９]{1,3})\s*年度\s*施政計畫")
_HEADING_RE = re.compile(r"\s*(?P<num>[壹貳參肆伍陸柒捌玖拾])、\s*(?P<title>.*?)\s*")


# ------------------------------------------------------------------------------------ public API


def parse_plan(path: str | os.PathLike[str], *, categories: Collection[str] | None = None,
               name: str | None = None) -> Plan:
    """Read and parse the plan text file at ``path``; ``name`` (default: ``path``) goes in sources."""
    file = name if name is not None else os.fsdecode(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(file, None, f"cannot read the plan file: {e.strerror or e}") from None
    return parse_plan_bytes(data, file=file, categories=categories)


def parse_plan_bytes(data: bytes, *, file: str, categories: Collection[str] | None = None) -> Plan:
    """Decode (:func:`decode`) and parse the bytes of a plan file."""
    return parse_plan_text(decode(data, file), file=file, categories=categories)


LOADER = Loader("plan-text", sniff=lambda file, head: True, parse=parse_plan_bytes, fallback=True)
"""Reads what no other loader claims (see :mod:`plankg.loaders.registry`)."""


def decode(data: bytes, file: str) -> str:
    """UTF-8 text, with or without a byte-order mark; anything else is an InputError."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(file, line, f"expected UTF-8 text, found byte 0x{data[e.start]:02X} "
                                     f"(offset {e.start}) that is not valid UTF-8") from None


def parse_plan_text(text: str, *, file: str, categories: Collection[str] | None = None) -> Plan:
    """Parse the text of a plan; ``file`` is recorded in every :class:`Source` and error."""
    known = _category_labels(categories)
    lines = split_lines(text)
    layout = _layout(lines, file)
    title_line, title = layout.title
    organisation, roc_year = parse_title(title, file, title_line)
    work_plans, has_table = parse_table(layout.table, file, known, layout.table_end)
    return Plan(
        organisation=organisation,
        roc_year=roc_year,
        title=title,
        source=Source(file, 1, len(lines)),
        preamble=parse_preamble(layout.preamble, file, title_line),
        goals=parse_goals(layout.goals, file, layout.goals_heading),
        work_plans=work_plans,
        has_table=has_table,
    )


def _category_labels(categories: Collection[str] | None) -> tuple[str, ...]:
    """The known 計畫類別 labels, in a stable order (a set is sorted, a sequence kept as given)."""
    if categories is None:
        return DEFAULT_CATEGORIES
    if isinstance(categories, str):
        return (categories,)
    return tuple(categories) if isinstance(categories, Sequence) else tuple(sorted(categories))


# -------------------------------------------------------------------------------------- sections


def split_lines(text: str) -> list[Line]:
    """Numbered lines; only ``\\n`` (and ``\\r\\n``) end a line, as in editors and ``cat -n``."""
    raw = text.removeprefix("\ufeff").split("\n")
    if len(raw) > 1 and raw[-1] == "":
        raw.pop()  # the final line break does not start a new line
    return [(i, t.removesuffix("\r")) for i, t in enumerate(raw, start=1)]


@dataclass
class _Layout:
    title: Line
    preamble: list[Line]
    goals_heading: int
    goals: list[Line]
    table: list[Line]
    table_end: str  # what ends the table, for messages: the end of the file or the next heading


def _layout(lines: list[Line], file: str) -> _Layout:
    """Cut the document into title, preamble, 壹 and 貳 (up to the next heading)."""
    content = [(n, t) for n, t in lines if t.strip()]
    if not content:
        found = "an empty file" if not any(t for _, t in lines) else "only whitespace"
        raise InputError(file, 1, f"expected a title line '<機關> <年> 年度施政計畫', found {found}")
    title_line, title = content[0]
    headings = [(i, n, m) for i, (n, t) in enumerate(lines)
                if n > title_line and (m := _HEADING_RE.fullmatch(t))]
    last = len(lines)
    if not headings or headings[0][2]["num"] != "壹":
        where, found = (headings[0][1], quote(lines[headings[0][0]][1])) if headings else (last, "the end of the file")
        raise InputError(file, where, f"missing section 壹: expected '壹、{GOALS_TITLES[0]}' before the table, "
                                      f"found {found}")
    i1, n1, m1 = headings[0]
    if m1["title"] not in GOALS_TITLES:
        raise InputError(file, n1, f"expected the heading '壹、{GOALS_TITLES[0]}' (or '壹、{GOALS_TITLES[1]}'), "
                                   f"found {quote(lines[i1][1])}")
    if len(headings) < 2:
        raise InputError(file, last, f"truncated file: expected the section '貳、{TABLE_TITLE}' after 壹, "
                                     f"found the end of the file")
    i2, n2, m2 = headings[1]
    if m2["num"] != "貳" or m2["title"] != TABLE_TITLE:
        raise InputError(file, n2, f"expected the heading '貳、{TABLE_TITLE}', found {quote(lines[i2][1])}")
    end = headings[2][0] if len(headings) > 2 else len(lines)
    table_end = f"the next section {quote(lines[end][1])}" if end < len(lines) else "the end of the file"
    return _Layout(
        title=(title_line, title.strip()),
        preamble=lines[title_line:i1],
        goals_heading=n1,
        goals=lines[i1 + 1 : i2],
        table=lines[i2 + 1 : end],
        table_end=table_end,
    )


def parse_title(title: str, file: str, line: int) -> tuple[str, int]:
    """(organisation, ROC year) from '勞動部 108 年度施政計畫' or '勞動部108年度施政計畫'."""
    m = _TITLE_RE.fullmatch(title)
    if m is None:
        raise InputError(file, line, f"expected a title line '<機關> <年> 年度施政計畫', found {quote(title)}")
    return m["org"], int(m["year"])


# -------------------------------------------------------------------------------------- preamble

_VISION_RE = re.compile(r"「(?P<text>[^「」]+)」\s*(?:作為|做為|為)施政願景")
_AIMS_RE = re.compile(r"(?P<chain>(?:「[^「」]+」\s*(?:、|及|與|和|以及)?\s*)+)等\s*"
                      r"[一二三四五六七八九十0-9０-９]+\s*大(?:施政)?目標")
_QUOTED_RE = re.compile(r"「([^「」]+)」")
_FOLLOWS_RE = re.compile(r"依據\s*(?P<x>[^，,。；;]+)(?:[，,]\s*(?:並)?配合\s*(?P<y>[^，,。；;及與、]+))?")


def parse_preamble(lines: Sequence[Line], file: str, title_line: int) -> Preamble:
    """The prose between the title and 壹, with its vision, aims, followed documents and key works."""
    paras = [(n, render(words(t))) for n, t in lines if t.strip()]
    source = Source(file, paras[0][0], paras[-1][0]) if paras else Source.at(file, title_line)
    preamble = Preamble(text="\n".join(p for _, p in paras), source=source)
    preamble.key_works = _key_works(paras, file)
    for n, para in paras:
        if preamble.vision is None and (m := _VISION_RE.search(para)):
            preamble.vision = Statement(1, m["text"].strip(), Source.at(file, n))
        if not preamble.aims and (m := _AIMS_RE.search(para)):
            phrases = _QUOTED_RE.findall(m["chain"])
            preamble.aims = [Statement(i, p.strip(), Source.at(file, n)) for i, p in enumerate(phrases, 1)]
        if not preamble.follows and (m := _FOLLOWS_RE.search(para)):
            docs = [d.strip() for d in m["x"].split("、")] + ([m["y"].strip()] if m["y"] else [])
            preamble.follows = [Statement(i, d, Source.at(file, n)) for i, d in enumerate(filter(None, docs), 1)]
    return preamble


def _key_works(paras: Sequence[Line], file: str) -> list[Statement]:
    """The 重點工作 list: numbered preamble lines, one style, numbered in sequence."""
    out: list[Statement] = []
    kind: Kind | None = None
    for n, para in paras:
        item = match_item(para)
        if item is None:
            continue
        if kind is None:
            if item.kind not in (Kind.CN_COMMA, Kind.CN_PAREN):
                raise InputError(file, n, f"expected a key work numbered '一、' or '(一)' in the preamble, "
                                          f"found {quote(para)}")
            kind = item.kind
        if item.kind is not kind:
            raise InputError(file, n, f"nested or mixed numbering in the preamble's key works is not supported: "
                                      f"expected {label(kind, len(out) + 1)}, found {quote(para)}")
        check_number(file, n, "key work", "", kind, len(out) + 1, item.number, para)
        check_text(file, n, item.text, para)
        out.append(Statement(item.number, item.text, Source.at(file, n)))
    return out
