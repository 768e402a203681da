"""Alignment: which programs carry which strategies, within a plan and across agencies.

A plan states strategies (策略) and lists programs (重要計畫項目), but never says which program
carries which strategy; nor which other agencies work on the same people, laws or purpose. This
package computes both, as data that says how sure it is and why (docs/data-model.md,
"Alignments"):

* :mod:`.nodes` reads the strategies, programs and line items from the mapped graphs;
* the methods (:mod:`.methods`: :mod:`.text`, :mod:`.concepts`, :mod:`.structure`) score pairs;
* :mod:`.combine` weighs, ranks and accepts; :mod:`.rdf` writes ``plan:Alignment`` resources;
* :mod:`.measure` compares the pairs with the gold set (docs/alignment-gold.md).
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import Graph

from plankg.build.align.combine import Scored, scored_pairs
from plankg.build.align.memo import Memo
from plankg.build.align.methods import Corpus, Method, Parameters, methods, parameters
from plankg.build.align.nodes import Node, PlanNodes, line_item_nodes, plan_nodes
from plankg.build.align.outputs import Outputs, digest_of
from plankg.build.align.rdf import add_alignments
from plankg.build.align.search import ProgramIndex
from plankg.build.align.searches import Searches
from plankg.build.align.statistics import reference
from plankg.build.budget_agencies import agencies
from plankg.build.mapped import MappedGraph
from plankg.build.ntriples import canonical
from plankg.build.progress import NO_PROGRESS, Progress
from plankg.namespaces import graph_iri

KEEP = 3  # scored pairs kept per strategy (ranks 1..KEEP), accepted or not
CROSS_STAGE = "enacted"


@dataclass
class Inputs:
    """What alignment reads: each plan (with the index of its source, :func:`inputs`), other agencies'
    line items by fiscal year."""

    plans: list[tuple[int, PlanNodes]]
    items: dict[int, list[Node]]  # fiscal year -> line items of that year's enacted budget
    topnames: dict[int, dict[str, str]]  # fiscal year -> budget code -> 主管
    corpus: Corpus
    methods: list[Method]
    base: str
    memo: Memo | None = None  # the rankings kept from earlier builds (:mod:`.memo`)
    eligible: dict = field(default_factory=dict)  # (year, excluded pattern) -> (line items, their 主管): cross_pairs'
    eligible_digests: dict = field(default_factory=dict)  # (year, excluded pattern) -> digest of those (.outputs)


def inputs(plan_graphs: Sequence[Graph | Sequence[PlanNodes]], budgets: list, budget_links: Graph | None,
           vocabularies: Graph, base: str, learn: bool = False) -> Inputs:
    """What :func:`align` reads, of the plans' graphs, or of their nodes read already (:func:`.nodes.plan_nodes`,
    whose ``agency_names`` are :func:`agency_names` of ``budgets``); the methods weigh by the shipped reference statistics
    (:mod:`.statistics`), or (``learn``) by those of these nodes; with the reference statistics, the
    rankings earlier builds made are taken from the cache (:mod:`.memo`)."""
    docs = _by_year(budgets)
    names = agency_names(docs.values(), base)
    plans = [(i, p) for i, g in enumerate(plan_graphs)
             for p in (plan_nodes(g, vocabularies, names) if isinstance(g, Graph) else g)]
    excluded = excluded_items(parameters(vocabularies, base))
    items = {year: line_item_nodes(doc, budget_links, base, excluded=excluded) for year, doc in docs.items()}
    topnames = {year: {r.code: r.topname for r in doc.rows} for year, doc in docs.items()}
    corpus = Corpus([n for _, p in plans for n in (*p.strategies, *p.programs)]
                    + [n for nodes in items.values() for n in nodes], vocabularies, base,
                    None if learn else reference())
    return Inputs(plans, items, topnames, corpus, methods(corpus), base, None if learn else Memo.of(corpus))


def _by_year(budgets: list) -> dict:
    """The budget document of each fiscal year: the enacted one, else the last given."""
    return {d.year: d for d in sorted(budgets, key=lambda d: d.stage == CROSS_STAGE)}


def budget_agency_names(budgets: list, base: str) -> dict[str, str]:
    """:func:`agency_names` of the documents alignment reads of ``budgets`` (what :func:`inputs` gives
    :func:`.nodes.plan_nodes`, and a caller reading the nodes itself must give it too)."""
    return agency_names(_by_year(budgets).values(), base)


def agency_names(docs, base: str) -> dict[str, str]:
    """The IRI (``B org/budget/{code}``, :meth:`plankg.build.vocab.Vocabularies.organisation`) and
    name of every agency of the budget documents, the latest year's name of a renamed one: the name
    its line items carry (:attr:`Node.agency`), which cross-agency ranking compares with a plan's."""
    out: dict[str, str] = {}
    for doc in sorted(docs, key=lambda d: d.year):
        out.update((f"{base}org/budget/{a.code}", a.name) for a in agencies(doc)[0].values())
    return out


def excluded_items(params: Parameters) -> re.Pattern | None:
    """The line items that are never cross-agency candidates (``plan:excludedItemPattern``), as one pattern."""
    return re.compile("|".join(f"(?:{p})" for p in params.cross_excluded)) if params.cross_excluded else None


def strategy_pairs(inp: Inputs, plan: PlanNodes, params: Parameters) -> list[Scored]:
    """Each strategy's :data:`KEEP` best programs of its own plan, accepted or not."""
    return scored_pairs(plan.strategies, plan.programs, inp.methods, params.weights, KEEP, params.threshold,
                        params.secondary, inp.memo)


def cross_pairs(inp: Inputs, plan: PlanNodes, params: Parameters, keep: int | None = None) -> list[Scored]:
    """Each program's best budget work plans and line items of other agencies' budget of the plan's
    year (not the plan's organisation or the agencies under it: its 主管; not the items the method
    excludes, such as personnel costs), ``keep`` (default topK) per program."""
    own = f"{plan.org_label}主管"
    items, tops = _eligible(inp, plan.fiscal_year, excluded_items(params))
    candidates = [n for n, top in zip(items, tops) if n.agency != plan.org_label and top != own]
    if not candidates:
        return []
    return scored_pairs(plan.programs, candidates, inp.methods, params.cross_weights, keep or params.cross_top,
                        params.cross_threshold, params.cross_secondary, inp.memo)


def _eligible(inp: Inputs, year: int | None, excluded: re.Pattern | None) -> tuple[list[Node], list[str | None]]:
    """The line items of ``year`` that ``excluded`` leaves, with the 主管 of each: the same for every
    plan of the year, so found once."""
    key = (year, excluded.pattern if excluded else None)
    if key not in inp.eligible:
        topnames = inp.topnames.get(year, {}) if year is not None else {}
        items = [n for n in inp.items.get(year, []) if not (excluded and excluded.search(n.label))] \
            if year is not None else []
        inp.eligible[key] = (items, [topnames.get(n.parent.rsplit("/", 1)[-1]) for n in items])
    return inp.eligible[key]


def _eligible_digest(inp: Inputs, plan: PlanNodes, params: Parameters) -> bytes:
    """The digest of the line items ``plan`` may be ranked against (:func:`cross_pairs` chooses among
    them by the plan's organisation), for the key of its output (:mod:`.outputs`)."""
    excluded = excluded_items(params)
    key = (plan.fiscal_year, excluded.pattern if excluded else None)
    if key not in inp.eligible_digests:
        items, tops = _eligible(inp, plan.fiscal_year, excluded)
        inp.eligible_digests[key] = digest_of(items, *(top or "" for top in tops))
    return inp.eligible_digests[key]


def plan_pairs(inp: Inputs, plan: PlanNodes, params: Parameters, index: ProgramIndex | None = None,
               found: Sequence[Sequence[Node]] | None = None) -> list[Scored]:
    """Each program's best programs of the other organisations' plans loaded (any year), scored as
    across agencies (``combined-plans``: the cross-agency weights), ``plans_top`` per program; accepted
    at ``plans_threshold`` (none today: no gold set of two real plans to set one on). Ranked among
    the candidates ``index`` finds (:mod:`.search`; ``found``: those it found already, per program),
    else among all the other organisations' programs."""
    if index is not None or found is not None:
        if found is None:
            found = [index.candidates(source, plan.org_label) for source in plan.programs]
        return [s for source, candidates in zip(plan.programs, found)
                for s in scored_pairs([source], candidates, inp.methods,
                                      params.cross_weights, params.plans_top, params.plans_threshold,
                                      params.cross_secondary, inp.memo)]
    others = [n for _, p in inp.plans if p.org_label != plan.org_label for n in p.programs]
    if not others:
        return []
    return scored_pairs(plan.programs, others, inp.methods, params.cross_weights, params.plans_top,
                        params.plans_threshold, params.cross_secondary, inp.memo)


def program_index(inp: Inputs, params: Parameters) -> ProgramIndex | None:
    """The candidate search over every plan's programs (:mod:`.search`), when alignment-methods.ttl
    gives its parameters and the plans are of more than one organisation; else None (exact ranking)."""
    if not _searched(inp, params):
        return None
    nodes = [(n, p.org_label) for _, p in inp.plans for n in p.programs]
    return ProgramIndex([n for n, _ in nodes], [o for _, o in nodes], _text(inp).vector, params.plans_search)


def _searched(inp: Inputs, params: Parameters) -> bool:
    """Whether plan-to-plan candidates are searched (:func:`program_index`), not ranked exactly."""
    return params.plans_search is not None and len({p.org_label for _, p in inp.plans}) >= 2


def _text(inp: Inputs):
    return next(m for m in inp.methods if m.name == "char-ngram")


@dataclass
class Aligned:
    """What :func:`align` makes: the alignment graphs, and the accepted pairs as plain triples (IRIs)
    for each plan's own graph, by the index of the plan in the list aligned."""

    graphs: list[MappedGraph]
    plain: dict[int, list[tuple[str, str, str]]]


def align(plan_graphs: Sequence[Graph | Sequence[PlanNodes]], budgets: list, budget_links: Graph | None,
          vocabularies: Graph, base: str, progress: Progress = NO_PROGRESS) -> Aligned:
    """Per plan, one graph of its strategies' alignments with its programs, and one of its
    programs' alignments with other agencies' line items and other organisations' programs (when
    it has any); the accepted pairs, as plain triples for the plans' own graphs (:mod:`.rdf`).
    A graph per plan, not one for all: adding a plan leaves the other plans' graphs as they were
    unless its programs are among their candidates, so a rebuild reloads only those.
    ``plan_graphs``: as :func:`inputs` takes them. ``progress`` advances by each plan aligned."""
    inp = inputs(plan_graphs, budgets, budget_links, vocabularies, base)
    out = Aligned([], {})
    if not inp.plans:
        return out
    params = parameters(vocabularies, base)
    outputs = Outputs(inp.memo, params)
    searches = Searches([(n, p.org_label) for _, p in inp.plans for n in p.programs], lambda: program_index(inp, params),
                        _text(inp).vector, outputs.folder, outputs.fixed.hex()) if _searched(inp, params) else None
    others = b"" if searches is not None or outputs.folder is None else \
        digest_of([n for _, p in inp.plans for n in p.programs], *(f"{p.org_label} {len(p.programs)}" for _, p in inp.plans))
    for source, plan in inp.plans:
        plain = out.plain.setdefault(source, [])
        found = [searches.candidates(n, plan.org_label) for n in plan.programs] if searches is not None else None
        items = _eligible_digest(inp, plan, params) if outputs.folder else b""
        key = outputs.key(plan, items, found, others) if outputs.folder else None
        kept = outputs.get(key) if key else None
        if kept is None:
            start = len(plain)
            with inp.memo.plan(plan.plan) if inp.memo is not None else nullcontext():
                between = plan_pairs(inp, plan, params, None, found) if found is not None else None
                ranked = outputs.ranked_key(plan, items, between) if key and between is not None else None
                kept = outputs.get(ranked) if ranked else None
                if kept is None:
                    graphs = _plan_graphs(inp, plan, params, plain, None, found, between)
                    if key:
                        graphs = outputs.put(ranked or key, graphs, plain[start:])
                else:
                    inp.memo.keep_unused()
            if ranked:
                outputs.alias(key, ranked)
        if kept is not None:
            graphs, rows = kept
            plain.extend(rows)
        out.graphs.extend(graphs)
        progress.advance()
    if searches is not None:
        searches.save()
    return out


def _plan_graphs(inp: Inputs, plan: PlanNodes, params: Parameters, plain: list[tuple[str, str, str]],
                 index: ProgramIndex | None, found: Sequence[Sequence[Node]] | None = None,
                 between: list[Scored] | None = None) -> list[MappedGraph]:
    """The alignment graph of ``plan`` and, when it has any pairs, the graph of its links (``found``:
    each program's plan-to-plan candidates, :func:`plan_pairs`; ``between``: their rankings, when made already)."""
    out = [_plan_graph(inp, plan, params, plain)]
    cross: list[str] = []
    pairs = cross_pairs(inp, plan, params)
    accepted = add_alignments(cross, plan.plan, "cross-alignment", pairs, inp.base, "combined-cross", plain,
                              ("relatedWork",))
    if between is None:
        between = plan_pairs(inp, plan, params, index, found)
    accepted += add_alignments(cross, plan.plan, "plan-alignment", between, inp.base, "combined-plans", plain,
                               ("relatedWork",))
    if pairs or between:
        counts = {"cross-agency alignments": len(pairs), "accepted": accepted,
                  "plan-to-plan alignments": len(between)}
        out.append(MappedGraph(links_graph_iri(inp.base, plan.plan), canonical("".join(cross)), "links", counts))
    return out


def links_graph_iri(base: str, plan: str) -> str:
    """The graph of plan ``plan``'s cross-agency and plan-to-plan alignments: ``B graph/links/alignment/{org}/{roc}``."""
    return graph_iri(base, "links", "alignment", *plan[len(base):].split("/"))


def _plan_graph(inp: Inputs, plan: PlanNodes, params: Parameters, plain: list[tuple[str, str, str]]) -> MappedGraph:
    g: list[str] = []
    pairs = strategy_pairs(inp, plan, params)
    accepted = add_alignments(g, plan.plan, "alignment", pairs, inp.base, "combined", plain,
                              ("carriedBy", "carries"))
    carried = {p.source.iri for p in pairs if p.accepted}
    counts = {"alignments": len(pairs), "accepted": accepted, "strategies": len(plan.strategies),
              "strategies carried": len(carried)}
    uncarried = len(plan.strategies) - len(carried)
    warnings = [f"{plan.plan}: {uncarried} of {len(plan.strategies)} strategies have no program at or above the "
                f"alignment threshold"] if uncarried else []
    return MappedGraph(graph_iri(inp.base, "alignment", *plan.plan[len(inp.base):].split("/")), canonical("".join(g)),
                       "alignment", counts, warnings)


__all__ = ["align", "Aligned", "budget_agency_names", "links_graph_iri", "inputs", "strategy_pairs", "cross_pairs",
           "plan_pairs", "program_index", "Inputs", "KEEP"]
