"""Plain objects produced by the loaders. No RDF here: the mapping lives in ``plankg.build.rdf``.

Every object records where it came from (:class:`Source`), so that provenance can be
published and errors can point at a line.
"""

from __future__ import annotations

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
