"""Plain objects produced by the loaders. No RDF here: the mapping lives in ``plankg.build.rdf``.

Plans (施政計畫) are :class:`Plan`; the central budget is :class:`BudgetDocument`.

Every object records where it came from (:class:`Source`), so that provenance can be
published and errors can point at a line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """Where an object came from: a file and a 1-based, inclusive line range."""

    file: str
    line: int
    end_line: int

    @classmethod
    def at(cls, file: str, line: int, end_line: int | None = None) -> "Source":
        return cls(file, line, line if end_line is None else end_line)

    def span(self, other: "Source") -> "Source":
        """The smallest source covering both ``self`` and ``other`` (same file)."""
        return Source(self.file, min(self.line, other.line), max(self.end_line, other.end_line))


@dataclass
class Strategy:
    """策略: (一)(二)… under a goal. ``ordinal`` is 1 for (一)."""

    ordinal: int
    text: str
    source: Source


@dataclass
class Goal:
    """目標: 一、二、… in 壹、年度施政目標及策略."""

    ordinal: int
    text: str
    source: Source
    strategies: list[Strategy] = field(default_factory=list)


@dataclass
class Activity:
    """One numbered item (or the whole un-numbered cell) of 實施內容."""

    ordinal: int
    text: str
    source: Source


@dataclass
class Program:
    """重要計畫項目: a row of the table (possibly cut across pages)."""

    ordinal: int  # order within its work plan, 1-based
    name: str
    category: str  # label as printed, e.g. 社會發展
    source: Source
    activities: list[Activity] = field(default_factory=list)


@dataclass
class WorkPlan:
    """工作計畫: a budget work plan of the table, with its programs."""

    ordinal: int  # order in the table, 1-based
    name: str
    source: Source
    programs: list[Program] = field(default_factory=list)


@dataclass
class Statement:
    """A short text of the preamble (vision, aim, key work, followed document)."""

    ordinal: int
    text: str
    source: Source


@dataclass
class Preamble:
    """The text between the title and 壹: vision, aims and the documents the plan follows."""

    text: str
    source: Source
    vision: Statement | None = None
    aims: list[Statement] = field(default_factory=list)
    follows: list[Statement] = field(default_factory=list)
    key_works: list[Statement] = field(default_factory=list)  # 重點工作 (template variant)


@dataclass
class Plan:
    """A whole annual plan: 機關 + 年度, preamble, goals and the table of work plans."""

    organisation: str  # as printed in the title, e.g. 勞動部
    roc_year: int  # 民國 year as printed, e.g. 108
    title: str
    source: Source  # the whole file
    preamble: Preamble
    goals: list[Goal] = field(default_factory=list)
    work_plans: list[WorkPlan] = field(default_factory=list)
    has_table: bool = True  # False for plans published without 貳's table

    @property
    def year(self) -> int:
        """Gregorian fiscal year (ROC year + 1911)."""
        return self.roc_year + 1911

    def strategies(self) -> list[Strategy]:
        return [s for g in self.goals for s in g.strategies]

    def programs(self) -> list[Program]:
        return [p for w in self.work_plans for p in w.programs]

    def activities(self) -> list[Activity]:
        return [a for p in self.programs() for a in p.activities]


# The central budget (中央政府總預算): read by plankg.loaders.budget_csv; not mapped to RDF yet.


@dataclass
class LineItem:
    """A numbered item of a budget row's 說明 (note): ``1.``, nested ``(1)`` and ``<1>`` under it.

    ``text`` is the item's own text, its wrapped lines joined, without its sub-items (``items``).
    ``amount_twd`` is this year's amount and ``change_twd`` the change from the previous year as a
    whole, signed, both in TWD; None when the text states none that the rules of
    :mod:`plankg.loaders.budget_notes` can read. ``source`` covers the item and its sub-items.
    """

    ordinal: int  # as printed: 3 for ``3.``, ``(3)`` or ``<3>``
    text: str
    amount_twd: int | None
    change_twd: int | None
    source: Source
    items: list["LineItem"] = field(default_factory=list)

    @property
    def parsed(self) -> bool:
        return self.amount_twd is not None

    def walk(self) -> Iterator["LineItem"]:
        """This item, then its sub-items, depth first."""
        yield self
        for item in self.items:
            yield from item.walk()


@dataclass
class BudgetRow:
    """A row of the budget: one work plan (工作計畫) or its 節-level part, under a 10-digit code."""

    code: str  # 10 characters: digits, e.g. 6330011100, or with a capital letter (classified: 391101A000)
    amount: int  # TWD
    name: str  # 節-level item, 無細項 when the work plan has none
    topname: str  # 主管, e.g. 勞動部主管
    depname: str  # agency (機關), e.g. 勞動部
    depcat: str  # work plan (工作計畫), e.g. 綜合規劃業務
    cat: str  # 政事別, e.g. 福利服務支出
    ref: str  # 款.項.目(.節) as printed, e.g. 15.1.3
    note: str  # 說明, as published (line breaks kept)
    source: Source
    items: list[LineItem] = field(default_factory=list)  # the note's numbered items (top level)
    preamble: str = ""  # the note's text before item 1, or the whole of an unnumbered note

    def line_items(self) -> list[LineItem]:
        """Every item of the note, sub-items included, in order."""
        return [i for item in self.items for i in item.walk()]


@dataclass(frozen=True)
class ItemCounts:
    parsed: int
    unparsed: int


@dataclass
class BudgetDocument:
    """A budget file: the proposed (預算案) or enacted (法定預算) central budget of one year."""

    file: str
    year: int  # Gregorian fiscal year
    stage: str  # "proposed" or "enacted"
    rows: list[BudgetRow]
    source: Source  # the whole file

    def line_items(self) -> list[LineItem]:
        return [i for row in self.rows for i in row.line_items()]

    def item_counts(self) -> ItemCounts:
        """Items of every level whose amount was read (``parsed``) or not."""
        items = self.line_items()
        parsed = sum(1 for i in items if i.parsed)
        return ItemCounts(parsed, len(items) - parsed)
