"""What alignment compares: the strategies and programs of a plan, and other agencies' budget
line items, as plain objects read from the mapped graphs (:class:`Node`).

A node's *text* is what it says: a strategy's label; a program's label and its activities'
labels (實施內容); a line item's text without the budget formula (:func:`plankg.build.funding.item_text`).
Its *concepts* are what the linker found in those texts: target groups and laws
(``plan:targetGroup``, ``plan:citesLaw``, ``plan:reformsLaw``, ``plan:legalBasis``). Its *theme*
is the text of the level above it: a strategy's goal, a program's work plan (its label and every
program's text), a line item's budget work plan and agency.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from plankg.build.funding import item_text
from plankg.namespaces import PLAN

_AMOUNT = re.compile(r"\d[\d,]*千元")
CONCEPT_LINKS = tuple(URIRef(PLAN + p) for p in ("targetGroup", "citesLaw", "reformsLaw", "legalBasis"))


def P(name: str) -> URIRef:
    return URIRef(PLAN + name)


@dataclass(frozen=True)
class Node:
    iri: str
    kind: str  # "strategy", "program", "budget work plan", "line item"
    label: str
    text: str
    theme: str
    concepts: frozenset[str]  # IRIs of target groups and laws
    parent: str  # the goal, work plan or appropriation
    agency: str = ""  # the budget agency of a line item

    @cached_property
    def digest(self) -> bytes:
        """The SHA-256 of everything the node says (what :mod:`.memo` keys rankings by)."""
        fields = [self.iri, self.kind, self.label, self.text, self.theme, sorted(self.concepts), self.parent,
                  self.agency]
        return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).digest()

    def to_json(self) -> list:
        """The node, and its :attr:`digest` (hex), as JSON."""
        return [self.iri, self.kind, self.label, self.text, self.theme, sorted(self.concepts), self.parent,
                self.agency, self.digest.hex()]

    @classmethod
    def from_json(cls, data: list) -> Node:
        """The node :meth:`to_json` wrote, with the digest it kept (kept by content, not computed again)."""
        iri, kind, label, text, theme, concepts, parent, agency, digest = data
        node = cls(iri, kind, label, text, theme, frozenset(concepts), parent, agency)
        node.__dict__["digest"] = bytes.fromhex(digest)  # the cached property
        return node


@dataclass(frozen=True)
class PlanNodes:
    plan: str
    org_label: str
    fiscal_year: int | None
    strategies: list[Node]
    programs: list[Node]

    def to_json(self) -> list:
        return [self.plan, self.org_label, self.fiscal_year, [n.to_json() for n in self.strategies],
                [n.to_json() for n in self.programs]]

    @classmethod
    def from_json(cls, data: list) -> PlanNodes:
        plan, org, year, strategies, programs = data
        return cls(plan, org, year, [Node.from_json(n) for n in strategies], [Node.from_json(n) for n in programs])


def heading(node: Node) -> str:
    """What ``node`` says it is for: a line item's text before its first amount (what follows is
    the budget formula and the year's changes, 較上年度增列…), any other node's label."""
    return item_heading(node.label) if node.kind == "line item" else node.label


def item_heading(text: str) -> str:
    """A line item's text before its first amount: 「施政計畫管制」 of 「施政計畫管制經費4,896千元，…」."""
    found = _AMOUNT.search(text)
    return (text[:found.start()] if found else text).removesuffix("經費").removesuffix("總")


def _label(g: Graph, node) -> str:
    return str(g.value(node, RDFS.label) or "")


def _ordinal(g: Graph, node) -> int:
    return int(g.value(node, P("ordinal")) or 0)


def _children(g: Graph, node, prop: str) -> list:
    return sorted(g.objects(node, P(prop)), key=lambda n: _ordinal(g, n))


def _concepts(g: Graph, *nodes) -> frozenset[str]:
    return frozenset(str(o) for n in nodes for p in CONCEPT_LINKS for o in g.objects(n, p))


def plan_nodes(g: Graph, vocabularies: Graph, agency_names: Mapping[str, str] | None = None) -> Iterator[PlanNodes]:
    """The strategies and programs of each plan of ``g``, in document order (the organisation's
    name from ``vocabularies``, else from ``agency_names``: IRI -> name of the budget agencies
    that organisations.ttl does not describe, whose plans name them by their budget ``depname``)."""
    for plan in sorted(g.subjects(RDF.type, P("AnnualPlan"))):
        org = g.value(plan, DCTERMS.publisher)
        year = g.value(plan, P("fiscalYear"))
        strategies, programs = [], []
        for goal in _children(g, plan, "hasGoal"):
            for s in _children(g, goal, "hasStrategy"):
                strategies.append(Node(str(s), "strategy", _label(g, s), _label(g, s), _label(g, goal),
                                       _concepts(g, s), str(goal)))
        for wp in _children(g, plan, "hasWorkPlan"):
            texts = {}
            for prog in _children(g, wp, "hasProgram"):
                acts = _children(g, prog, "hasActivity")
                texts[prog] = ("\n".join([_label(g, prog), *(_label(g, a) for a in acts)]), _concepts(g, prog, *acts))
            theme = "\n".join([_label(g, wp), *(t for t, _ in texts.values())])
            for prog, (text, concepts) in texts.items():
                programs.append(Node(str(prog), "program", _label(g, prog), text, theme, concepts, str(wp)))
        name = _org_label(vocabularies, org) or (agency_names or {}).get(str(org), "")
        yield PlanNodes(str(plan), name, int(str(year)[:4]) if year is not None else None,
                        strategies, programs)


def _org_label(g: Graph, org) -> str:
    if org is None:
        return ""
    names = [o for p in (SKOS.prefLabel, RDFS.label) for o in g.objects(org, p)]
    return str(next((n for n in names if getattr(n, "language", None) == "zh-Hant"), names[0] if names else ""))


def line_item_nodes(budget, links: Graph | None, base: str, exclude_topname: str = "",
                    excluded: re.Pattern | None = None) -> list[Node]:
    """The budget work plans and line items of one budget document (every level), except those
    under ``exclude_topname`` (a plan's own 主管, e.g. 勞動部主管), with the concepts the budget
    linker found in them."""
    from plankg.build.budget_rdf import appropriation_iri, item_iri, walk

    out = []
    for row in budget.rows:
        if exclude_topname and row.topname == exclude_topname:
            continue
        appropriation = appropriation_iri(base, budget, row)
        theme = f"{row.depname} {row.depcat}"
        out.append(_work_plan_node(base, row, appropriation, links, excluded))
        for path, item in walk(row.items):
            iri = item_iri(base, budget, row, path)
            concepts = _concepts(links, URIRef(iri)) if links is not None else frozenset()
            out.append(Node(iri, "line item", item.text, item_text(item.text), theme, concepts, appropriation,
                            row.depname))
    return out


def _work_plan_node(base: str, row, appropriation: str, links: Graph | None, excluded: re.Pattern | None) -> Node:
    """A budget work plan as a node: its name (and its section's, 節), what its items are for (their
    headings, not the year's changes; not the ``excluded`` ones), and the concepts of its items.
    Some counterparts are whole work plans, or rows without items."""
    from plankg.build.budget_rdf import NO_SECTION, budget_work_plan_iri, walk

    label = row.depcat if row.name in ("", NO_SECTION) else f"{row.depcat} {row.name}"
    text = "\n".join([label, *(item_heading(i.text) for _, i in walk(row.items)
                              if not (excluded and excluded.search(i.text)))])
    iri = budget_work_plan_iri(base, row.code)
    items = [URIRef(f"{appropriation}/item/{'/'.join(map(str, p))}") for p, _ in walk(row.items)]
    concepts = _concepts(links, iri, *items) if links is not None else frozenset()
    return Node(str(iri), "budget work plan", label, text, row.depname, concepts, appropriation, row.depname)


__all__ = ["Node", "PlanNodes", "plan_nodes", "line_item_nodes", "CONCEPT_LINKS"]
