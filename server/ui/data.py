"""What the UI pages show, read from the store with SPARQL; cached per store build.

Every query goes through :func:`select` (the server's query executor). Results are cached
per *build*: the key is the build id of the store answering (:meth:`plankg.store.GraphStore.build_id`),
which changes when ``plankg build`` publishes a new build, so the cache empties itself then. Values are plain dataclasses and strings; labels of vocabulary terms (units,
categories, the publisher, class names) are kept in every language and picked per page.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


from plankg.hierarchy import BY_CLASS, PLAN_CLASS, SEARCHED
from plankg.namespaces import PLAN, PREFIXES
from plankg.server.ui.i18n import EN, ZH
from plankg.server import runtime

KINDS = SEARCHED  # the classes shown on the search page, in the order of their groups


# ----------------------------------------------------------------------------- access + cache

def select(query: str) -> list[dict[str, Any]]:
    """Rows of a SELECT query (variable → pyoxigraph term; unbound variables absent); the
    prefixes of :data:`plankg.namespaces.PREFIXES` (``plan:``, ``rdfs:`` …) need no declaration."""
    return runtime().executor().select(query, prefixes=PREFIXES)


def build_key() -> str:
    """Identifies the store build being served (changes when a new build is published)."""
    return runtime().executor().build_id()


_cache: dict[tuple, Any] = {}
_cache_build: list[str] = [""]
_cache_lock = threading.Lock()


def cached(key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per store build and ``key``."""
    build = build_key()
    with _cache_lock:
        if _cache_build[0] != build:
            _cache.clear()
            _cache_build[0] = build
        if key in _cache:
            return _cache[key]
    value = compute()
    with _cache_lock:
        if _cache_build[0] == build:
            _cache[key] = value
    return value


def _s(row: dict[str, Any], name: str, default: str = "") -> str:
    term = row.get(name)
    return term.value if term is not None else default


def _i(row: dict[str, Any], name: str) -> int:
    term = row.get(name)
    return int(term.value) if term is not None else 0


@dataclass
class Labels:
    """A term's labels by UI language; :meth:`get` falls back to Chinese, then to ``default``."""

    by_lang: dict[str, str] = field(default_factory=dict)

    def add(self, term: Any) -> None:
        lang = EN if (term.language or "").lower().startswith("en") else ZH
        self.by_lang.setdefault(lang, term.value)

    def get(self, lang: str, default: str = "") -> str:
        return self.by_lang.get(lang) or self.by_lang.get(ZH) or default


def _labels(rows: list[dict[str, Any]], key: str = "x", label: str = "label") -> dict[str, Labels]:
    out: dict[str, Labels] = defaultdict(Labels)
    for row in rows:
        if label in row:
            out[_s(row, key)].add(row[label])
    return dict(out)


# ----------------------------------------------------------------------------- plans

@dataclass
class Plan:
    iri: str
    title: str
    publisher: str
    publisher_labels: Labels
    roc_year: int
    fiscal_year: str


def plans() -> list[Plan]:
    """The annual plans in the store, newest first, then by publisher IRI."""
    def compute() -> list[Plan]:
        rows = select("""SELECT DISTINCT ?plan ?title ?pub ?label ?roc ?fy WHERE {
            ?plan a plan:AnnualPlan ; dct:title ?title ; dct:publisher ?pub ; plan:rocYear ?roc ; plan:fiscalYear ?fy .
            OPTIONAL { ?pub skos:prefLabel ?label } }""")
        found: dict[str, Plan] = {}
        for row in rows:
            p = found.setdefault(_s(row, "plan"), Plan(_s(row, "plan"), _s(row, "title"), _s(row, "pub"), Labels(),
                                                       _i(row, "roc"), _s(row, "fy")))
            if "label" in row:
                p.publisher_labels.add(row["label"])
        return sorted(found.values(), key=lambda p: (-p.roc_year, p.publisher, p.iri))
    return cached(("plans",), compute)


@dataclass
class Node:
    """A numbered node of a plan: goal, strategy, work plan, program, activity, aim."""

    iri: str
    label: str
    ordinal: int = 0
    children: list[Node] = field(default_factory=list)
    unit: str = ""
    budget_code: str = ""
    category: str = ""
    activities: int = 0


@dataclass
class Overview:
    plan: Plan
    vision: Node | None
    aims: list[Node]
    follows: list[Node]
    goals: list[Node]
    work_plans: list[Node]
    labels: dict[str, Labels]
    """Labels of the units and categories used, by IRI."""
    links: int

    @property
    def counts(self) -> dict[str, int]:
        return {
            "goals": len(self.goals),
            "strategies": sum(len(g.children) for g in self.goals),
            "work_plans": len(self.work_plans),
            "programs": sum(len(w.children) for w in self.work_plans),
            "activities": sum(p.activities for w in self.work_plans for p in w.children),
            "links": self.links,
        }

    def categories(self) -> list[tuple[str, int]]:
        """(category IRI, number of programs), most programs first."""
        n: dict[str, int] = defaultdict(int)
        for w in self.work_plans:
            for p in w.children:
                n[p.category] += 1
        return sorted(n.items(), key=lambda kv: (-kv[1], kv[0]))

    def label(self, iri: str, lang: str) -> str:
        labels = self.labels.get(iri)
        return labels.get(lang, iri) if labels else iri


def overview(plan: Plan) -> Overview:
    """Everything the home page shows about ``plan`` (cached per build)."""
    return cached(("overview", plan.iri), lambda: _overview(plan))


def _overview(plan: Plan) -> Overview:
    p = f"<{plan.iri}>"
    # a followed document is in the order of the plan's statements naming it (it has no ordinal:
    # one document, such as 行政院 108 年度施政方針, is followed by many plans)
    top = select(f"""SELECT DISTINCT ?kind ?x ?n ?label WHERE {{
        {{ {p} plan:hasVision ?x BIND("vision" AS ?kind) }}
        UNION {{ {p} plan:hasAim ?x BIND("aim" AS ?kind) OPTIONAL {{ ?x plan:ordinal ?n }} }}
        UNION {{ {p} plan:hasPolicyReference ?r . ?r plan:referencedDocument ?x BIND("follows" AS ?kind)
                 OPTIONAL {{ ?r plan:ordinal ?n }} }}
        ?x rdfs:label ?label }} ORDER BY ?kind ?n""")
    goals: dict[str, Node] = {}
    for row in select(f"""SELECT DISTINCT ?g ?gn ?gl ?s ?sn ?sl WHERE {{
            {p} plan:hasGoal ?g . ?g plan:ordinal ?gn ; rdfs:label ?gl .
            OPTIONAL {{ ?g plan:hasStrategy ?s . ?s plan:ordinal ?sn ; rdfs:label ?sl }} }} ORDER BY ?gn ?sn"""):
        g = goals.setdefault(_s(row, "g"), Node(_s(row, "g"), _s(row, "gl"), _i(row, "gn")))
        if "s" in row:
            g.children.append(Node(_s(row, "s"), _s(row, "sl"), _i(row, "sn")))
    work_plans: dict[str, Node] = {}
    for row in select(f"""SELECT DISTINCT ?w ?wn ?wl ?unit ?code ?p ?pn ?pl ?cat (COUNT(DISTINCT ?a) AS ?acts) WHERE {{
            {p} plan:hasWorkPlan ?w . ?w plan:ordinal ?wn ; rdfs:label ?wl .
            OPTIONAL {{ ?w plan:responsibleUnit ?unit }} OPTIONAL {{ ?w plan:budgetCode ?code }}
            OPTIONAL {{ ?w plan:hasProgram ?p . ?p plan:ordinal ?pn ; rdfs:label ?pl .
                       OPTIONAL {{ ?p plan:category ?cat }} OPTIONAL {{ ?p plan:hasActivity ?a }} }}
        }} GROUP BY ?w ?wn ?wl ?unit ?code ?p ?pn ?pl ?cat ORDER BY ?wn ?pn"""):
        w = work_plans.setdefault(_s(row, "w"), Node(_s(row, "w"), _s(row, "wl"), _i(row, "wn"),
                                                     unit=_s(row, "unit"), budget_code=_s(row, "code")))
        if "p" in row:
            w.children.append(Node(_s(row, "p"), _s(row, "pl"), _i(row, "pn"), category=_s(row, "cat"),
                                   activities=_i(row, "acts")))
    labels = _labels(select(f"""SELECT DISTINCT ?x ?label WHERE {{
        {p} plan:hasWorkPlan/(plan:responsibleUnit|plan:hasProgram/plan:category) ?x .
        ?x skos:prefLabel ?label }}"""))
    links = select(f"""SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT DISTINCT ?x ?p ?c WHERE {{
        {p} (plan:hasGoal/plan:hasStrategy?)|(plan:hasWorkPlan/plan:hasProgram/plan:hasActivity?) ?x .
        ?x ?p ?c . FILTER(?p IN (plan:targetGroup, plan:citesLaw)) }} }} }}""")
    by_kind: dict[str, list[Node]] = defaultdict(list)
    for row in top:
        by_kind[_s(row, "kind")].append(Node(_s(row, "x"), _s(row, "label"), _i(row, "n")))
    return Overview(plan, (by_kind["vision"] or [None])[0], by_kind["aim"], by_kind["follows"],
                    sorted(goals.values(), key=lambda n: n.ordinal),
                    sorted(work_plans.values(), key=lambda n: n.ordinal), labels,
                    _i(links[0], "n") if links else 0)


def class_label(name: str, lang: str) -> str:
    """The ontology's label of class ``plan:<name>`` in ``lang``, first letter capitalised."""
    def compute() -> dict[str, Labels]:
        values = " ".join(f"plan:{c}" for c in (PLAN_CLASS, *BY_CLASS, "PlanCategory"))
        return _labels(select(f"SELECT ?x ?label WHERE {{ VALUES ?x {{ {values} }} ?x rdfs:label ?label }}"))
    label = cached(("classes",), compute).get(PLAN + name, Labels()).get(lang, name)
    return label[:1].upper() + label[1:]


# ----------------------------------------------------------------------------- search index

@dataclass(frozen=True)
class Item:
    """One searchable node."""

    kind: str
    iri: str
    label: str
    ordinal: int
    parent_label: str
    order: tuple[int, ...]


_NUMBERS = re.compile(r"\d+")


def search_items() -> list[Item]:
    """Goals, strategies, programs and activities of every plan, in document order (cached per build)."""
    def compute() -> list[Item]:
        values = " ".join(f"plan:{k}" for k in KINDS)
        rows = select(f"""SELECT DISTINCT ?x ?type ?label ?n ?parentLabel WHERE {{
            VALUES ?type {{ {values} }} ?x a ?type ; rdfs:label ?label .
            OPTIONAL {{ ?x plan:ordinal ?n }}
            OPTIONAL {{ ?x {"|".join("plan:" + BY_CLASS[k].is_of for k in KINDS)} ?parent .
                       ?parent rdfs:label ?parentLabel }} }}""")
        items = {}
        for row in rows:
            iri = _s(row, "x")
            items.setdefault(iri, Item(_s(row, "type")[len(PLAN):], iri, _s(row, "label"), _i(row, "n"),
                                       _s(row, "parentLabel"), tuple(int(d) for d in _NUMBERS.findall(iri))))
        return sorted(items.values(), key=lambda i: (KINDS.index(i.kind), i.order, i.iri))
    return cached(("search-items",), compute)

