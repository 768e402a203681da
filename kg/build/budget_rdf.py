"""Map a central budget document (:class:`plankg.loaders.model.BudgetDocument`) to RDF.

One document (the proposed or the enacted budget of one year) becomes one named graph,
``{base}graph/budget/{roc}/{stage}``, as docs/data-model.md ("The budget graphs") lays down:

* each row's budget work plan ``<budget/work-plan/{code}>`` (year-independent: the code is its
  identity), with its agency and its function of government (``<budget-function/{2 digits}>``);
* the row's appropriation ``<budget/{roc}/{stage}/{code}>``: amount, stage, year;
* the line items of the row's note (說明), ``…/{code}/item/{n}`` and ``…/item/{n}/{m}`` below;
* the agencies, ``<org/budget/{agency code}>``, or the IRI that ontology/mappings/budget-agencies.ttl
  gives an organisation plankg already describes (the Ministry of Labor and its agencies).

IRIs depend only on the base, the year, the stage, the budget codes and the items' printed
ordinals, so the same input gives the same IRIs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS, XSD

from plankg.build.budget_agencies import Agency, agencies, agency_code, function_code
from plankg.build.mapped import MappedGraph
from plankg.build.vocab import Vocabularies
from plankg.errors import InputError
from plankg.loaders.model import BudgetDocument, BudgetRow, LineItem
from plankg.namespaces import PLAN, PREFIXES, graph_iri

ZH = "zh-Hant"
KIND = "budget"
STAGES = {"proposed": ("Proposed", "預算案"), "enacted": ("Enacted", "法定預算")}
NO_SECTION = "無細項"  # the `name` of a row that is a whole work plan


def P(name: str) -> URIRef:
    return URIRef(PLAN + name)


def budget_work_plan_iri(base: str, code: str) -> URIRef:
    """The year-independent IRI of the budget work plan with budget code ``code``."""
    return URIRef(f"{base}budget/work-plan/{code}")


def budget_agency_iri(base: str, agency_code: str) -> URIRef:
    """The IRI of an agency that the mappings do not give an IRI of its own."""
    return URIRef(f"{base}org/budget/{agency_code}")


def appropriation_iri(base: str, doc: BudgetDocument, row: BudgetRow) -> str:
    """``{base}budget/{roc}/{stage}/{code}``: the row of ``doc`` with budget code ``row.code``."""
    return f"{base}budget/{doc.year - 1911}/{doc.stage}/{row.code}"


def item_iri(base: str, doc: BudgetDocument, row: BudgetRow, path: tuple[int, ...]) -> str:
    """``{appropriation}/item/{ordinal path}``: ``.../item/3`` for item ``3.``, ``.../item/3/2`` for
    its sub-item ``(2)``, ``.../item/3/2/1`` for ``<1>`` under that."""
    return f"{appropriation_iri(base, doc, row)}/item/{'/'.join(str(n) for n in path)}"


def walk(items: list[LineItem], path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], LineItem]]:
    """Every item and sub-item with its ordinal path, depth first (as ``LineItem.walk``)."""
    for item in items:
        here = (*path, item.ordinal)
        yield here, item
        yield from walk(item.items, here)


def budget_graph_iri(base: str, year: int, stage: str) -> str:
    return graph_iri(base, "budget", year - 1911, stage)


# the terms, made once
A, LABEL, PREF = RDF.type, RDFS.label, SKOS.prefLabel
T_WORK_PLAN, T_APPROPRIATION, T_ITEM = P("BudgetWorkPlan"), P("Appropriation"), P("BudgetLineItem")
BUDGET_CODE, AGENCY, FUNCTION = P("budgetCode"), P("agency"), P("functionCategory")
HAS_APPROPRIATION, APPROPRIATION_OF = P("hasAppropriation"), P("appropriationOf")
FISCAL_YEAR, STAGE, AMOUNT, SECTION = P("fiscalYear"), P("budgetStage"), P("amount"), P("budgetSection")
HAS_ITEM, ITEM_OF, ORDINAL, CHANGE = P("hasLineItem"), P("isLineItemOf"), P("ordinal"), P("changeFromPreviousYear")
AGENCY_CODE = P("budgetAgencyCode")


# Literals, made once: a budget's texts, amounts and ordinals recur in the row's other years and stages
@lru_cache(maxsize=1 << 16)
def _twd(value: int) -> Literal:
    return Literal(Decimal(value), datatype=XSD.decimal)


@lru_cache(maxsize=1 << 16)
def _zh(text: str) -> Literal:
    return Literal(text, lang=ZH)


@lru_cache(maxsize=1 << 12)
def _plain(value: str | int) -> Literal:
    return Literal(value)


class _BudgetMapper:
    def __init__(self, doc: BudgetDocument, vocab: Vocabularies):
        if doc.stage not in STAGES:
            raise InputError(doc.file, None, f"unknown budget stage {doc.stage!r}: expected proposed or enacted")
        self.doc, self.vocab, self.base = doc, vocab, vocab.base
        self.roc = doc.year - 1911
        self.root = f"{self.base}budget/{self.roc}/{doc.stage}"
        stage_term, stage_zh = STAGES[doc.stage]
        self.stage, self.stage_zh = P(stage_term), stage_zh
        self.year = Literal(str(doc.year), datatype=XSD.gYear)
        self.g = Graph()
        for prefix, ns in PREFIXES.items():
            self.g.bind(prefix, ns)
        self.add = self.g.add
        self.counts: Counter[str] = Counter()
        self.warnings: list[str] = []

    # --- agencies --------------------------------------------------------------------
    def map_agencies(self) -> dict[str, URIRef]:
        """Every agency of the document as an organisation; agency code -> IRI."""
        found, warnings = agencies(self.doc)
        self.warnings += warnings
        mapped = self.vocab.budget_agencies
        iri = {a: mapped.get(a) or budget_agency_iri(self.base, a) for a in found}
        known = self.vocab.union
        for a, agency in found.items():
            node = iri[a]
            self.add((node, AGENCY_CODE, Literal(a)))
            if a not in mapped:
                self.add((node, A, ORG.Organization))
                self.add((node, A, ORG.FormalOrganization))
                name = Literal(agency.name, lang=ZH)
                self.add((node, PREF, name))
                self.add((node, LABEL, name))
            self._supervisor(agency, node, iri, mapped, known)
        self.counts["agencies"] = len(found)
        return iri

    def _supervisor(self, agency: Agency, node: URIRef, iri: dict[str, URIRef], mapped: dict, known: Graph) -> None:
        if agency.supervisor is None:
            return
        parent = iri[agency.supervisor]
        if agency.code in mapped and agency.supervisor in mapped:
            # both are described in the vocabularies, which must say how they relate
            if (node, ORG.subOrganizationOf, parent) not in known and (node, ORG.unitOf, parent) not in known:
                self.warnings.append(f"{self.doc.file}: {agency.name} ({agency.code}) is under {parent} in the "
                                     f"budget, but ontology/vocab/organisations.ttl does not say so for {node}")
            return
        self.add((node, ORG.subOrganizationOf, parent))
        self.add((parent, ORG.hasSubOrganization, node))

    # --- rows ------------------------------------------------------------------------
    def function(self, row: BudgetRow) -> URIRef:
        code = function_code(row.code)
        found = self.vocab.budget_functions.get(code)
        if found is None:
            raise InputError(row.source.file, row.source.line,
                             f"function of government {row.cat!r} (budget code {row.code}, prefix {code}) is not in "
                             "ontology/vocab/budget-functions.ttl: add it as a plan:BudgetFunction with skos:notation "
                             f'"{code}"')
        concept, label = found
        if label != row.cat:
            self.warnings.append(f"{row.source.file}:{row.source.line}: budget code {row.code} is of function {code} "
                                 f"{label}, but the row says {row.cat}; the code's function is used")
        return concept

    def map_row(self, row: BudgetRow, agency: URIRef) -> None:
        add, code = self.add, row.code
        wp = budget_work_plan_iri(self.base, code)
        ap = URIRef(f"{self.root}/{code}")
        add((wp, A, T_WORK_PLAN))
        add((wp, BUDGET_CODE, _plain(code)))
        add((wp, LABEL, _zh(row.depcat)))
        add((wp, AGENCY, agency))
        add((wp, FUNCTION, self.function(row)))
        add((wp, HAS_APPROPRIATION, ap))
        add((ap, A, T_APPROPRIATION))
        add((ap, LABEL, Literal(f"{row.depname} {row.depcat} {self.roc} 年度{self.stage_zh}", lang=ZH)))
        add((ap, APPROPRIATION_OF, wp))
        add((ap, FISCAL_YEAR, self.year))
        add((ap, STAGE, self.stage))
        add((ap, AMOUNT, _twd(row.amount)))
        if row.name and row.name != NO_SECTION:
            add((ap, SECTION, _zh(row.name)))
        if row.preamble:
            add((ap, DCTERMS.description, _zh(row.preamble)))
        self.items(ap, f"{ap}/item", row.items, row)
        self.counts["budget work plans"] += 1
        self.counts["appropriations"] += 1

    def items(self, parent: URIRef, path: str, items: list[LineItem], row: BudgetRow) -> None:
        add, seen = self.add, set()
        for position, item in enumerate(items, start=1):
            segment = str(item.ordinal)
            if item.ordinal in seen:  # never in the shipped files; keep both items apart
                segment = f"{item.ordinal}-{position}"
                self.warnings.append(f"{item.source.file}:{item.source.line}: item {item.ordinal} of budget code "
                                     f"{row.code} is numbered like an item before it; its IRI ends in /{segment}")
            seen.add(item.ordinal)
            node = URIRef(f"{path}/{segment}")
            add((node, A, T_ITEM))
            add((node, LABEL, _zh(item.text)))
            add((node, ORDINAL, _plain(item.ordinal)))
            add((node, ITEM_OF, parent))
            add((parent, HAS_ITEM, node))
            if item.amount_twd is not None:
                add((node, AMOUNT, _twd(item.amount_twd)))
            else:
                self.counts["line items unparsed"] += 1
            if item.change_twd is not None:
                add((node, CHANGE, _twd(item.change_twd)))
            self.counts["line items"] += 1
            self.items(node, str(node), item.items, row)

    def map(self) -> MappedGraph:
        agency_iris = self.map_agencies()
        for row in self.doc.rows:
            self.map_row(row, agency_iris[agency_code(row.code)])
        counts = {k: self.counts[k] for k in ("agencies", "budget work plans", "appropriations", "line items",
                                               "line items unparsed")}
        return MappedGraph(budget_graph_iri(self.base, self.doc.year, self.doc.stage), self.g, KIND, counts,
                           self.warnings)


def map_budget(doc: BudgetDocument, vocab: Vocabularies) -> MappedGraph:
    """The RDF graph of the budget document ``doc``, with counts and warnings."""
    return _BudgetMapper(doc, vocab).map()


__all__ = ["map_budget", "budget_work_plan_iri", "budget_agency_iri", "budget_graph_iri"]
