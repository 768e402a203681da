"""Programs of a plan ↔ the budget line items that fund them: ``plan:fundedByItem``, scored and explained.

For each work plan of a mapped plan graph that has a ``plan:budgetCode``, the appropriation is the
row of that code in the **enacted** budget (:class:`BudgetDocument`, stage ``enacted``) of the
plan's ``plan:fiscalYear`` (Gregorian; ROC year = fiscal year − 1911). Each program of the work
plan is scored against each line item of that row (every level of the note's numbering):

* the program's text is its label and the labels of its activities (實施內容);
* the item's text is its own text without the budget formula: amounts (``2,479千元``), 較上年度,
  增列/減列/新增, 經費, 總經費, 分N年辦理, N至N年已編列, 本年度續編第N年. What the change clause
  names (減列辦理勞動議題諮詢會議等經費 → 辦理勞動議題諮詢會議) is kept: it says what the item
  pays for;
* the score is the cosine of character 2–3-gram TF-IDF vectors (:mod:`plankg.build.textsim`),
  the IDF learnt from the plan's programs and every line item of the budget rows under the same
  主管 (e.g. 勞動部主管) as the work plans' rows;
* a program's items are ranked by score (ties: item order); the item ranked 1 is linked when it
  scores at least :data:`THRESHOLD_BEST` (0.06), the items ranked 2 to :data:`TOP_K` (2) when they
  score at least :data:`THRESHOLD` (0.12). The best item needs less: every line item of a work
  plan's appropriation pays for some of that work plan's programs, so the program's best item is
  likely right on little shared text, while a second item must share more. The three figures
  were chosen on the gold set (docs/funding-gold.md, where the other settings tried are listed).

A work plan whose budget row's work-plan name (``depcat``) differs from its own is a *near* match
(勞動保險業務(二) → 勞工保險局 保險業務): its links are made all the same, and their evidence says
that the row was found by code only, so trust them less.

IRIs (B = base; ``{roc}`` the ROC year of the budget, ``{stage}`` ``enacted``):

* appropriation: ``B budget/{roc}/{stage}/{code}``;
* line item: ``B budget/{roc}/{stage}/{code}/item/{ordinal path}``, the **ordinal path** being the
  printed numbers of the item and of the items above it, outermost first, joined by ``/``: item
  ``3.`` is ``item/3``, its sub-item ``(2)`` is ``item/3/2``, and that one's ``<1>`` is
  ``item/3/2/1`` (:class:`LineItem.ordinal` at each level of ``BudgetRow.items``; unique within
  every row of the shipped budgets, which tests/test_funding.py checks);
* computed link: ``{plan IRI}/funding-link/{n}`` (``B{org}/{roc}/funding-link/{n}``), n = 1, 2, …
  over the plan's links in the order work plan ordinal, program ordinal, rank: adding another
  organisation's or year's plan renumbers nothing;
* the method: ``B funding-method/char-ngram``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import astuple, dataclass
from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from plankg.build.budget_rdf import appropriation_iri, walk  # the budget graph's IRIs
from plankg.build.mapped import MappedGraph
from plankg.build.textsim import NGRAM_RANGE, TfIdf, cosine, ngrams, shared_fragments
from plankg.loaders.model import BudgetDocument, BudgetRow, LineItem
from plankg.namespaces import PLAN, PREFIXES, graph_iri

STAGE = "enacted"
THRESHOLD_BEST = Decimal("0.06")  # lowest score of a program's best item that is linked
THRESHOLD = Decimal("0.12")  # lowest score of a program's other items that are linked
TOP_K = 2  # most items linked to one program
METHOD = "funding-method/char-ngram"

_FORMULA = re.compile(
    r"\d[\d,]*千元|較上年度|與上年度同|[增減]列|新增|(?:計畫)?總經費|經費|分\d+年辦理|\d+至\d+年已編列"
    r"|本年度(?:續編|編列)(?:第\d+年)?"
)
_SUFFIX = re.compile(r"[(（][一二三四五六七八九十]+[)）]$")  # 勞動保險業務(一): the plan's own numbering


def P(name: str) -> URIRef:
    return URIRef(PLAN + name)


def _decimal(score: float) -> Decimal:
    """A score as published: 4 decimal places (what the thresholds are compared with)."""
    return Decimal(f"{score:.4f}")


def item_text(text: str) -> str:
    """The text of a line item without amounts and the budget formula (see the module docstring)."""
    return _FORMULA.sub("，", text)


def item_paths(row: BudgetRow) -> Iterator[tuple[str, LineItem]]:
    """(ordinal path, item) of every item of ``row``, depth first: ``1``, ``1/1``, ``1/2``, ``2`` …"""
    for path, item in walk(row.items):
        yield "/".join(map(str, path)), item


@dataclass(frozen=True)
class Program:
    iri: str
    ordinal: int
    label: str
    text: str  # label and activities


@dataclass(frozen=True)
class WorkPlan:
    iri: str
    ordinal: int
    label: str
    code: str
    programs: tuple[Program, ...]


@dataclass(frozen=True)
class FundedPlan:
    """What funding reads of a plan: its IRI, fiscal year, work plans and their programs, in order."""

    iri: str
    year: int | None
    work_plans: tuple[WorkPlan, ...]

    def to_json(self) -> list:
        return [self.iri, self.year, [[w.iri, w.ordinal, w.label, w.code, [list(astuple(p)) for p in w.programs]]
                                      for w in self.work_plans]]

    @classmethod
    def from_json(cls, data: list) -> FundedPlan:
        iri, year, work_plans = data
        return cls(iri, year, tuple(WorkPlan(i, o, label, code, tuple(Program(*p) for p in programs))
                                    for i, o, label, code, programs in work_plans))


def _label(g: Graph, node) -> str:
    return str(g.value(node, RDFS.label) or "")


def _ordinal(g: Graph, node) -> int:
    return int(g.value(node, P("ordinal")) or 0)


def plans_of(g: Graph) -> Iterator[FundedPlan]:
    """What funding reads of each plan of ``g`` (:class:`FundedPlan`)."""
    for plan in sorted(g.subjects(RDF.type, P("AnnualPlan"))):
        year = g.value(plan, P("fiscalYear"))
        work_plans = []
        for wp in g.objects(plan, P("hasWorkPlan")):
            programs = []
            for prog in g.objects(wp, P("hasProgram")):
                acts = sorted(g.objects(prog, P("hasActivity")), key=lambda a: _ordinal(g, a))
                text = "\n".join([_label(g, prog), *(_label(g, a) for a in acts)])
                programs.append(Program(str(prog), _ordinal(g, prog), _label(g, prog), text))
            code = g.value(wp, P("budgetCode"))
            work_plans.append(WorkPlan(str(wp), _ordinal(g, wp), _label(g, wp), str(code) if code else "",
                                       tuple(sorted(programs, key=lambda p: p.ordinal))))
        yield FundedPlan(str(plan), int(str(year)[:4]) if year is not None else None,
                         tuple(sorted(work_plans, key=lambda w: w.ordinal)))


@dataclass
class _Builder:
    base: str
    graph: Graph
    warnings: list[str]
    links: int = 0
    linked_programs: int = 0
    programs: int = 0
    pairs: int = 0

    def link(self, n: int, plan: str, prog: Program, item: URIRef, score: float, rank: int,
             evidence: str) -> None:
        g, node, program = self.graph, URIRef(f"{plan}/funding-link/{n}"), URIRef(prog.iri)
        g.add((program, P("fundedByItem"), item))
        g.add((node, RDF.type, P("FundingLink")))
        g.add((node, P("linkFrom"), program))
        g.add((node, P("linkTo"), item))
        g.add((node, P("score"), Literal(_decimal(score), datatype=XSD.decimal)))
        g.add((node, P("rank"), Literal(rank)))
        g.add((node, P("method"), URIRef(self.base + METHOD)))
        g.add((node, P("evidence"), Literal(evidence)))
        self.links += 1


def _describe_method(g: Graph, base: str) -> None:
    m = URIRef(base + METHOD)
    lo, hi = NGRAM_RANGE
    g.add((m, RDFS.label, Literal(f"character {lo}–{hi}-gram TF-IDF cosine", lang="en")))
    g.add((m, RDFS.label, Literal(f"字元 {lo}–{hi} 元組 TF-IDF 餘弦相似度", lang="zh-Hant")))
    g.add((m, DCTERMS.description, Literal(
        f"Each program (label and activities) is compared with each line item of its work plan's enacted "
        f"appropriation (item text without amounts and the budget formula) by the cosine of character "
        f"{lo}–{hi}-gram TF-IDF vectors; per program the best item is linked if it scores at least "
        f"{THRESHOLD_BEST}, and the items ranked 2 to {TOP_K} if they score at least {THRESHOLD} "
        f"(plankg.build.funding).", lang="en")))


def funding_graph_iri(base: str, plan: str) -> str:
    """The graph of plan ``plan``'s funding links: ``B graph/links/funding/{org}/{roc}``."""
    return graph_iri(base, "links", "funding", *plan[len(base):].split("/"))


def link_funding(plan_graphs: list[Graph], budgets: list[BudgetDocument], base: str) -> MappedGraph:
    """The funding links of the programs of ``plan_graphs`` to the line items of ``budgets``, in one
    graph: the plan's funding graph (:func:`funding_graph_iri`) if there is one plan."""
    funded = [p for g in plan_graphs for p in plans_of(g)]
    return link_plans(funded, budgets, base, funding_graph_iri(base, funded[0].iri) if len(funded) == 1
                      else graph_iri(base, "links", "funding"))


def link_plans(funded: list[FundedPlan], budgets: list[BudgetDocument], base: str, into: str) -> MappedGraph:
    """The graph ``into`` (its IRI) of the funding links of the programs of the plans ``funded`` (:func:`plans_of`)
    to the line items of ``budgets``. The build makes one per plan (:mod:`plankg.build.plan_units`)."""
    out = Graph()
    for prefix, ns in PREFIXES.items():
        out.bind(prefix, ns)
    b = _Builder(base, out, [])
    enacted: dict[int, BudgetDocument] = {}
    for doc in budgets:
        if doc.stage == STAGE:
            enacted.setdefault(doc.year, doc)
    numbers: dict[str, int] = {}
    for plan, year, work_plans in ((p.iri, p.year, p.work_plans) for p in sorted(funded, key=lambda p: p.iri)):
        doc = enacted.get(year) if year is not None else None
        if doc is None:
            what = f"no enacted budget of {year} was given" if year is not None else "it has no plan:fiscalYear"
            b.warnings.append(f"{plan}: {what}; its programs are not linked")
            continue
        rows = {r.code: r for r in doc.rows}
        matched: list[tuple[WorkPlan, BudgetRow]] = []
        for wp in work_plans:
            row = rows.get(wp.code) if wp.code else None
            if row is None:
                why = "has no budget code" if not wp.code else f"code {wp.code} is not in {doc.file}"
                b.warnings.append(f"{wp.iri} ({wp.label}) {why}; its programs are not linked")
            elif not row.items:
                b.warnings.append(f"{wp.iri} ({wp.label}): budget row {row.code} ({row.depname} {row.depcat} "
                                  f"{row.name}) has no numbered line items; its programs are not linked")
            else:
                matched.append((wp, row))
        topnames = {row.topname for _, row in matched}
        corpus = [p.text for wp, _ in matched for p in wp.programs]
        corpus += [item_text(i.text) for r in doc.rows if r.topname in topnames for i in r.line_items()]
        tfidf = TfIdf(corpus)
        for wp, row in matched:
            items = [(path, item, item_text(item.text)) for path, item in item_paths(row)]
            item_vectors = [tfidf.vector(text) for _, _, text in items]
            near = row.depcat != _SUFFIX.sub("", wp.label)
            for prog in wp.programs:
                b.programs += 1
                pv = tfidf.vector(prog.text)
                scores = sorted(((cosine(pv, v), k) for k, v in enumerate(item_vectors)), key=lambda s: (-s[0], s[1]))
                b.pairs += len(scores)
                accepted = [(rank, s, k) for rank, (s, k) in enumerate(scores, 1)
                            if rank <= TOP_K and _decimal(s) >= (THRESHOLD_BEST if rank == 1 else THRESHOLD)]
                b.linked_programs += bool(accepted)
                prog_ngrams = set(ngrams(prog.text))
                for rank, s, k in accepted:
                    path, item, text = items[k]
                    numbers[plan] = numbers.get(plan, 0) + 1
                    iri = URIRef(f"{appropriation_iri(base, doc, row)}/item/{path}")
                    shared = "".join(f"「{f}」" for f in shared_fragments(text, prog_ngrams))
                    evidence = (f"shared text {shared or '(none)'}; character {NGRAM_RANGE[0]}–{NGRAM_RANGE[1]}-gram "
                                f"TF-IDF cosine {s:.4f}, rank {rank} of {len(items)} line items of "
                                f"{row.code} {row.depname} {row.depcat} ({STAGE} {year})")
                    if near:
                        evidence += (f"; near match: the budget row is named {row.depcat} ({row.depname}), "
                                     f"not {wp.label}, and was found by its code only: trust this link less")
                    b.link(numbers[plan], plan, prog, iri, s, rank, evidence)
    if b.links:
        _describe_method(out, base)
    counts = {"links": b.links, "programs": b.programs, "programs linked": b.linked_programs, "pairs scored": b.pairs}
    return MappedGraph(into, out, "links", counts, b.warnings)


__all__ = ["link_funding", "link_plans", "funding_graph_iri", "plans_of", "FundedPlan", "WorkPlan", "Program", "item_text", "item_paths",
           "THRESHOLD", "THRESHOLD_BEST", "TOP_K", "STAGE", "METHOD"]
