"""Search: the plan's texts and the vocabulary concepts, with synonyms, from an in-memory index.

The index is read from the store with SPARQL (the data flow is text → RDF → store → server) and
kept per store build by :func:`plankg.server.ui.data.cached`: each gunicorn worker makes its own
on its first search, and a newly published build (a new build id) gets a new index. Matching is
a scan of case- and width-folded strings (:func:`fold`), which for the ~15,000 strings of the
default build takes a few milliseconds (bench/bench_search.py, bench/RESULTS.md).

* Texts: goals, strategies, programs and activities, by every label in any language.
* Concepts: target groups, laws (the whole national law index: Chinese and English names, short
  forms), draft laws, organisational units and agencies (budget agencies when the budget is
  loaded), by every ``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel`` and ``skos:hiddenLabel``.
* Expansion: a query term containing a zh-Hant form of a concept of ``<search-synonym>``
  (ontology/vocab/search-synonyms.ttl) is also searched with each other form of that concept in
  its place; a term equal to a zh-Hant prefLabel or altLabel of a target group is also searched
  as the group's other such labels.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

from plankg.namespaces import PLAN
from plankg.server.ui import data as ui_data, i18n
from plankg.server.ui.data import Item, Labels

MAX_QUERY_CHARS = 200  # a longer ?q= is answered 400 (no label of the store is near that long)
ORG = "http://www.w3.org/ns/org#"
CONCEPT_KINDS = {  # rdf:type → kind, in the order of their rank among equally used concepts
    PLAN + "TargetGroup": "TargetGroup",
    ORG + "OrganizationalUnit": "Unit",
    ORG + "Organization": "Agency",
    PLAN + "DraftLaw": "DraftLaw",
    PLAN + "Law": "Law",
}
KIND_ORDER = list(dict.fromkeys(CONCEPT_KINDS.values()))


def kind_names(lang: str) -> dict[str, str]:
    """What a concept is, by kind, in ``lang`` (the i18n strings ``concept_<kind>``)."""
    return {kind: i18n.text("concept_" + kind, lang) for kind in KIND_ORDER}
USES = "|".join(f"plan:{p}" for p in ("targetGroup", "citesLaw", "reformsLaw", "legalBasis", "responsibleUnit",
                                      "agency"))


def fold(text: str) -> str:
    """Per-character NFKC + casefold, keeping one character per character (offsets stay valid)."""
    out = []
    for ch in text:
        f = unicodedata.normalize("NFKC", ch).casefold()
        out.append(f if len(f) == 1 else ch.casefold()[:1] or ch)
    return "".join(out)


_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+$")


# ----------------------------------------------------------------------------- the index

@dataclass(frozen=True)
class Concept:
    iri: str
    kind: str
    labels: Labels  # display names (prefLabel, else rdfs:label) by UI language
    forms: tuple[str, ...]  # every label, folded
    names: tuple[str, ...]  # every label, as written (same order)
    uses: int  # links to it from the plans and budgets


@dataclass(frozen=True)
class Index:
    items: list[Item]
    texts: list[str]  # the items' labels, folded
    concepts: list[Concept]
    concept_texts: list[str]  # each concept's forms, folded, joined by "\n"
    replace: dict[str, tuple[str, ...]]  # a folded synonym form → the other forms of its concept
    equal: dict[str, tuple[str, ...]]  # a folded target-group label → its group's other labels
    canonical: dict[str, str]  # a folded synonym form → its concept's zh-Hant prefLabel


def index() -> Index:
    """The search index of the store being served (made once per build and worker)."""
    return ui_data.cached(("search-index",), _make_index)


def _make_index() -> Index:
    items = ui_data.search_items()
    concepts = _concepts()
    return Index(items, [fold(i.label) for i in items], concepts, ["\n".join(c.forms) for c in concepts],
                 *_synonyms())


def _concepts() -> list[Concept]:
    types = " ".join(f"<{t}>" for t in CONCEPT_KINDS)
    rows = ui_data.select(f"""SELECT DISTINCT ?x ?type ?p ?label WHERE {{
        VALUES ?type {{ {types} }} VALUES ?p {{ skos:prefLabel rdfs:label skos:altLabel skos:hiddenLabel }}
        ?x a ?type ; ?p ?label }}""")
    uses = {ui_data._s(r, "x"): ui_data._i(r, "n") for r in ui_data.select(
        f"SELECT ?x (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s {USES} ?x }} GROUP BY ?x")}
    kinds: dict[str, str] = {}
    pref: dict[str, Labels] = {}
    shown: dict[str, Labels] = {}
    forms: dict[str, dict[str, str]] = {}
    for row in rows:
        iri, kind = ui_data._s(row, "x"), CONCEPT_KINDS[ui_data._s(row, "type")]
        kinds[iri] = min(kind, kinds.get(iri, kind), key=KIND_ORDER.index)  # a unit is an organisation too
        prop = ui_data._s(row, "p")
        if prop.endswith("#prefLabel"):
            pref.setdefault(iri, Labels()).add(row["label"])
        elif prop.endswith("#label"):
            shown.setdefault(iri, Labels()).add(row["label"])
        forms.setdefault(iri, {}).setdefault(fold(row["label"].value), row["label"].value)
    out = [Concept(iri, kinds[iri], _merge(pref.get(iri), shown.get(iri)), tuple(f), tuple(f.values()),
                   uses.get(iri, 0)) for iri, f in forms.items()]
    return sorted(out, key=lambda c: c.iri)


def _merge(first: Labels | None, then: Labels | None) -> Labels:
    return Labels({**(then.by_lang if then else {}), **(first.by_lang if first else {})})


def _synonyms() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], dict[str, str]]:
    from flask import current_app

    scheme = current_app.config["BASE"] + "search-synonym"
    rows = ui_data.select(f"""SELECT DISTINCT ?kind ?c ?form ?pref WHERE {{
        {{ ?c skos:inScheme <{scheme}> BIND("replace" AS ?kind) }} UNION {{ ?c a plan:TargetGroup BIND("equal" AS ?kind) }}
        ?c skos:prefLabel|skos:altLabel ?form FILTER(LANGMATCHES(LANG(?form), "zh"))
        ?c skos:prefLabel ?pref FILTER(LANGMATCHES(LANG(?pref), "zh")) }}""")
    groups: dict[tuple[str, str], list[str]] = {}
    canonical: dict[str, str] = {}
    for row in rows:
        form = fold(ui_data._s(row, "form"))
        groups.setdefault((ui_data._s(row, "kind"), ui_data._s(row, "c")), []).append(form)
        canonical[form] = ui_data._s(row, "pref")
    out: dict[str, dict[str, list[str]]] = {"replace": {}, "equal": {}}
    for (kind, _), forms in sorted(groups.items()):
        for form in forms:
            others = out[kind].setdefault(form, [])
            others.extend(o for o in sorted(set(forms)) if o != form and o not in others)
    return ({k: tuple(v) for k, v in out["replace"].items()}, {k: tuple(v) for k, v in out["equal"].items()},
            canonical)


# ----------------------------------------------------------------------------- matching

@dataclass(frozen=True)
class Query:
    terms: list[str]  # folded, as typed
    alternatives: list[list[str]]  # per term: the term, then its expansions

    @property
    def expansions(self) -> list[str]:
        return list(dict.fromkeys(a for alts in self.alternatives for a in alts[1:]))

    def needles(self) -> list[str]:
        return [a for alts in self.alternatives for a in alts]


def parse(q: str, idx: Index | None = None) -> Query:
    """The whitespace-separated terms of ``q``, each with its synonyms (none without an index)."""
    terms = [fold(t) for t in q.split()]
    return Query(terms, [[t, *(expand(t, idx) if idx else [])] for t in terms])


def expand(term: str, idx: Index) -> list[str]:
    """Other strings that mean ``term``: synonym forms in its place, a target group's other labels."""
    out: dict[str, None] = {}
    for form, others in idx.replace.items():
        if form in term:
            for other in others:
                if form not in other:  # an other form containing the form is found by the term itself
                    out[term.replace(form, other)] = None
    for other in idx.equal.get(term, ()):
        if term not in other:
            out[other] = None
    out.pop(term, None)
    return list(out)


@dataclass(frozen=True)
class Hit:
    item: Item
    exact: bool
    score: int
    marked: Markup


def find(items: list[Item], q: str | Query, texts: list[str] | None = None) -> list[Hit]:
    """Items whose text contains every term of ``q`` or one of its expansions (case- and width-insensitive).

    Chinese has no spaces, so terms are matched as substrings. A query that is one run of three
    or more Han characters also accepts items containing at least half of its character
    bigrams (「職業災害保險」 → 職業, 業災, 災害, 害保, 保險): exact matches rank first, the
    others by the number of bigrams they contain. Ties keep document order.
    """
    query = parse(q) if isinstance(q, str) else q
    if not query.terms:
        return []
    texts = texts if texts is not None else [fold(i.label) for i in items]
    first = query.terms[0]
    bigrams: list[str] = []
    if len(query.terms) == 1 and len(first) >= 3 and _HAN.match(first):
        bigrams = list(dict.fromkeys(first[i:i + 2] for i in range(len(first) - 1)))
    need = max(1, (len(bigrams) + 1) // 2)
    hits = []
    for item, text in zip(items, texts):
        if all(any(a in text for a in alts) for alts in query.alternatives):
            hits.append(Hit(item, True, len(bigrams) + 1, mark(item.label, text, query.needles())))
        elif bigrams:
            matched = [b for b in bigrams if b in text]
            if len(matched) >= need:
                hits.append(Hit(item, False, len(matched), mark(item.label, text, matched)))
    return sorted(hits, key=lambda h: -h.score)  # stable: document order within a score


def mark(label: str, folded: str, needles: list[str]) -> Markup:
    """``label`` escaped, with every occurrence of a needle (found in ``folded``) in ``<mark>``."""
    hit = [False] * len(label)
    for needle in needles:
        start = folded.find(needle) if needle else -1
        while start >= 0:
            hit[start:start + len(needle)] = [True] * len(needle)
            start = folded.find(needle, start + 1)
    out, i = [], 0
    while i < len(label):
        j = i
        while j < len(label) and hit[j] == hit[i]:
            j += 1
        piece = escape(label[i:j])
        out.append(Markup("<mark>{}</mark>").format(piece) if hit[i] else piece)
        i = j
    return Markup("").join(out)


@dataclass(frozen=True)
class ConceptHit:
    concept: Concept
    name: str  # the display name in the page's language
    marked: Markup
    via: str  # the label that matched, when the name does not show it ("" otherwise)


def find_concepts(idx: Index, query: Query, lang: str) -> list[ConceptHit]:
    """Concepts with a label containing every term (or an expansion): a label equal to the query
    first, then the most used in the plans and budgets, target groups before units, agencies and laws."""
    hits = []
    needles = query.needles()
    whole = set(query.alternatives[0]) if len(query.terms) == 1 else set()
    for concept, text in zip(idx.concepts, idx.concept_texts):
        if not all(any(a in text for a in alts) for alts in query.alternatives):
            continue
        name = concept.labels.get(lang, concept.iri)
        folded = fold(name)
        via = "" if any(n in folded for n in needles) else next(
            (name for f, name in zip(concept.forms, concept.names) if any(n in f for n in needles)), "")
        equal = bool(whole.intersection(concept.forms))
        hits.append((not equal, -concept.uses, KIND_ORDER.index(concept.kind), len(name), concept.iri,
                     ConceptHit(concept, name, mark(name, folded, needles), via)))
    return [h[-1] for h in sorted(hits, key=lambda h: h[:-1])]


# ----------------------------------------------------------------------------- nothing found

def suggestions(idx: Index, query: Query, lang: str, n: int = 5) -> tuple[list[str], list[ConceptHit]]:
    """For an empty result: the canonical terms of synonym forms in the query (each a search of its
    own), and the ``n`` concepts sharing most character bigrams with it (the most used first)."""
    canonical = list(dict.fromkeys(idx.canonical[form] for term in query.terms for form in idx.replace
                                   if form in term and fold(idx.canonical[form]) != term))
    text = "".join(query.terms)
    grams = list(dict.fromkeys(text[i:i + 2] for i in range(len(text) - 1))) or [text]
    scored = []
    for concept, forms in zip(idx.concepts, idx.concept_texts):
        matched = [g for g in grams if g and g in forms]
        if matched:
            name = concept.labels.get(lang, concept.iri)
            scored.append((-len(matched), -concept.uses, len(name), concept.iri,
                           ConceptHit(concept, name, mark(name, fold(name), matched), "")))
    scored.sort(key=lambda s: s[:-1])
    return canonical, [s[-1] for s in scored[:n]]
