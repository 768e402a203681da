"""The search index: the texts and vocabulary concepts of the store being served, folded for matching.

Read from the store with SPARQL (the data flow is text → RDF → store → server) and kept per
store build by :func:`plankg.server.ui.data.cached`: each gunicorn worker makes its own on its
first search (about 1–2 s for the default build: ~11,800 concepts, bench/RESULTS.md), and a newly
published build (a new build id) gets a new index. Matching is :mod:`plankg.server.ui.search`.

* Texts: goals, strategies, programs and activities, by every rdfs:label / skos:prefLabel in any language.
* Concepts: target groups, laws (the whole national law index: Chinese and English names, short
  forms), draft laws, organisational units and agencies (budget agencies when the budget is
  loaded), by every ``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel`` and ``skos:hiddenLabel``.
* Synonyms: the zh-Hant prefLabel and altLabels of each concept of ``<search-synonym>``
  (ontology/vocab/search-synonyms.ttl), and of each target group.
"""

from __future__ import annotations

import threading
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

from plankg.errors import PlanKGError
from plankg.namespaces import PLAN
from plankg.server.errors import HTTPProblem
from plankg.server.ui import data as ui_data, i18n
from plankg.server.ui.data import Item, Labels

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
    if unicodedata.is_normalized("NFKC", text):  # each character is its own NFKC: casefold the whole
        folded = text.casefold()  # (per character, as casefold has no context)
        if len(folded) == len(text):  # no character became two (ß → ss): the same as the loop below
            return folded
    out = []
    for ch in text:
        f = unicodedata.normalize("NFKC", ch).casefold()
        out.append(f if len(f) == 1 else ch.casefold()[:1] or ch)
    return "".join(out)


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
    blob: str  # every concept's folded forms, one concept after another, all joined by "\n"
    starts: list[int]  # where each concept's forms begin in ``blob``
    replace: dict[str, tuple[str, ...]]  # a folded synonym form → the other forms of its concept
    equal: dict[str, tuple[str, ...]]  # a folded target-group label → its group's other labels
    canonical: dict[str, str]  # a folded synonym form → its concept's zh-Hant prefLabel


def index() -> Index:
    """The search index of the store being served (made once per build and worker)."""
    return ui_data.cached(("search-index",), _make_index)


def warm(app) -> threading.Thread:
    """Make the index of ``app``'s store in the background: a gunicorn worker calls this once its
    store is open, so that its first search does not wait for it (a later build's index is still
    made on the first search after that build is published)."""
    def run() -> None:
        with app.app_context():
            try:
                index()
            except (PlanKGError, HTTPProblem) as e:  # the store went away, a time limit: the first search retries
                app.logger.warning("search index not made in advance: %s", e)
    thread = threading.Thread(target=run, daemon=True, name="plankg-search-index")
    thread.start()
    return thread


def _make_index() -> Index:
    items = ui_data.search_items()
    concepts = _concepts()
    starts, at = [], 0
    for c in concepts:
        starts.append(at)
        at += sum(len(f) + 1 for f in c.forms)
    blob = "".join(f + "\n" for c in concepts for f in c.forms)
    return Index(items, _texts(items), concepts, blob, starts, *_synonyms())


def _texts(items: list[Item]) -> list[str]:
    """Each item's label folded, then its other labels (another language: an English rdfs:label or
    skos:prefLabel), each after a "\n"; marks are made in the first part, the label shown."""
    kinds = " ".join(f"plan:{k}" for k in ui_data.KINDS)
    others: dict[str, list[str]] = {}
    for row in ui_data.select(f"""SELECT DISTINCT ?x ?label WHERE {{
            VALUES ?type {{ {kinds} }} ?x a ?type ; rdfs:label|skos:prefLabel ?label }}"""):
        others.setdefault(ui_data._s(row, "x"), []).append(ui_data._s(row, "label"))
    return ["".join([fold(i.label), *("\n" + fold(o) for o in sorted(set(others.get(i.iri, ()))) if o != i.label)])
            for i in items]


def containing(idx: Index, needles: list[str]) -> set[int]:
    """The positions in ``idx.concepts`` of the concepts with a form containing one of ``needles``
    (no needle contains "\n": queries are split on whitespace). One ``str.find`` pass over the
    joined forms per needle, instead of a Python loop over every concept."""
    out: set[int] = set()
    for needle in needles:
        start = idx.blob.find(needle) if needle else -1
        while start >= 0:
            i = bisect_right(idx.starts, start) - 1
            out.add(i)
            start = idx.blob.find(needle, idx.starts[i + 1]) if i + 1 < len(idx.starts) else -1
    return out


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
    seen: dict[str, str] = {}
    for row in rows:
        iri, kind = ui_data._s(row, "x"), CONCEPT_KINDS[ui_data._s(row, "type")]
        kinds[iri] = min(kind, kinds.get(iri, kind), key=KIND_ORDER.index)  # a unit is an organisation too
        prop = ui_data._s(row, "p")
        if prop.endswith("#prefLabel"):
            pref.setdefault(iri, Labels()).add(row["label"])
        elif prop.endswith("#label"):
            shown.setdefault(iri, Labels()).add(row["label"])
        written = row["label"].value
        folded = seen.get(written) or seen.setdefault(written, fold(written))  # names repeat across properties
        forms.setdefault(iri, {}).setdefault(folded, written)
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
