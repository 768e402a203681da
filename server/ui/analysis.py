"""What the analysis page (``/analysis``) shows, each part read with one named example query.

Every figure on the page is a row of the query a ``plankg report`` runs (:data:`plankg.examples.REPORTS`):
the strategy × program heat map is ``alignment`` (query 14), the coverage lists are ``coverage`` (15),
``uncarried-programs`` (18) and ``laws`` (12), the target group × agency matrix is ``target-groups`` (17).
The queries that cover every plan are limited to the chosen one with :meth:`plankg.examples.Example.for_plan`,
as ``plankg report NAME --plan`` does, and the page's CSV links run that same text on ``/sparql``: the page,
its downloads and the report cannot disagree. Only labels in the page's language (for the matrix's target
groups and agencies) are read separately; they change no figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from plankg.examples import REPORTS, example
from plankg.server.ui import data as ui_data
from plankg.server.ui.data import Labels, Plan
from plankg.server.ui.i18n import EN, ZH

PARTS = ("alignment", "coverage", "uncarried-programs", "laws", "target-groups")
"""The reports the page shows, in its order."""


def query_text(report: str, plan: Plan) -> str:
    """The text of ``report``'s named query the page runs, for ``plan`` when the query covers every plan."""
    ex = example(REPORTS[report])
    return ex.for_plan(plan.iri) if ex.per_plan else ex.query


def per_plan(report: str) -> bool:
    return example(REPORTS[report]).per_plan


def title(report: str, lang: str) -> str:
    """The title of ``report``'s named query in ``lang``."""
    return example(REPORTS[report]).get("title", lang)


def rows(report: str, plan: Plan) -> list[dict[str, str]]:
    """``report``'s rows for ``plan``: variable → the plain value (unbound variables absent), cached per build."""
    def compute() -> list[dict[str, str]]:
        return [{name: term.value for name, term in row.items()} for row in ui_data.select(query_text(report, plan))]
    return ui_data.cached(("analysis", report, plan.iri if per_plan(report) else ""), compute)


# ----------------------------------------------------------------------------- the heat map

@dataclass(frozen=True)
class Cell:
    """One computed alignment of a strategy with a program (a row of query 14)."""

    alignment: str
    strategy: str
    program: str
    score: float
    rank: int
    accepted: bool
    evidence: str


def cells(plan: Plan) -> dict[tuple[str, str], Cell]:
    """(strategy, program) → its alignment, for every row of the ``alignment`` report of ``plan``."""
    out: dict[tuple[str, str], Cell] = {}
    for r in rows("alignment", plan):
        cell = Cell(r["alignment"], r["strategy"], r["program"], float(r["score"]), int(r["rank"]),
                    r.get("accepted") == "true", r.get("evidence", ""))
        out[(cell.strategy, cell.program)] = cell
    return out


# ----------------------------------------------------------------------------- target groups × agencies

@dataclass
class Figures:
    """A target group's figures for one agency (a row of query 17)."""

    programs: int
    line_items: int
    amount: Decimal


@dataclass
class Matrix:
    groups: list[str]
    """Target group IRIs, in the query's order (by Chinese name)."""
    agencies: list[str]
    """Agency IRIs: the most target groups first, then the largest amount, then by name."""
    cells: dict[tuple[str, str], Figures]
    labels: dict[str, Labels] = field(default_factory=dict)

    def label(self, iri: str, lang: str) -> str:
        labels = self.labels.get(iri)
        return labels.get(lang, iri) if labels else iri


def matrix(plan: Plan) -> Matrix:
    """The ``target-groups`` report as a matrix (it covers every agency: ``plan`` only keys the cache)."""
    found = rows("target-groups", plan)

    def compute() -> Matrix:
        groups: dict[str, None] = {}
        labels: dict[str, Labels] = defaultdict(Labels)
        cells: dict[tuple[str, str], Figures] = {}
        for r in found:
            groups.setdefault(r["group"], None)
            labels[r["group"]].by_lang.setdefault(ZH, r["groupName"])
            labels[r["agency"]].by_lang.setdefault(ZH, r["agencyName"])
            cells[(r["group"], r["agency"])] = Figures(int(r["programs"]), int(r["lineItems"]),
                                                       Decimal(r.get("amountTWD", "0")))
        by_agency: dict[str, list[Figures]] = defaultdict(list)
        for (_, agency), figures in cells.items():
            by_agency[agency].append(figures)
        agencies = sorted(by_agency, key=lambda a: (-len(by_agency[a]), -sum(f.amount for f in by_agency[a]),
                                                    labels[a].get(ZH), a))
        for iri, english in _english(list(labels)).items():
            labels[iri].by_lang.setdefault(EN, english.get(EN))
        return Matrix(list(groups), agencies, cells, dict(labels))
    return ui_data.cached(("analysis-matrix",), compute)


def _english(iris: list[str]) -> dict[str, Labels]:
    """English labels (skos:prefLabel, else rdfs:label) of ``iris``: the names in the page's other language."""
    if not iris:
        return {}
    values = " ".join(f"<{iri}>" for iri in iris)
    found: dict[str, Labels] = defaultdict(Labels)
    for row in ui_data.select(f"""SELECT ?x ?label WHERE {{ VALUES ?x {{ {values} }}
            ?x skos:prefLabel|rdfs:label ?label . FILTER(langMatches(lang(?label), "en")) }} ORDER BY ?x ?label"""):
        found[row["x"].value].add(row["label"])
    return dict(found)


# ----------------------------------------------------------------------------- numbers as the page prints them

def score(value: float | str) -> str:
    """A score with three decimals (0.114)."""
    return f"{float(value):.3f}"


def amount_short(value: Decimal, lang: str) -> str:
    """An amount in NT$ made short: 億 and 萬 in Chinese, bn/m/k in English."""
    v = float(value)
    if lang == EN:
        for size, unit in ((1e9, " bn"), (1e6, " m"), (1e3, " k")):
            if v >= size:
                return f"{_trim(v / size)}{unit}"
        return f"{v:,.0f}"
    for size, unit in ((1e8, " 億"), (1e4, " 萬")):
        if v >= size:
            return f"{_trim(v / size)}{unit}"
    return f"{v:,.0f}"


def _trim(v: float) -> str:
    return f"{v:,.1f}".removesuffix(".0")


def amount_full(value: Decimal) -> str:
    return f"{int(value):,}"

