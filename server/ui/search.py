"""Search: the plan's texts and the vocabulary concepts, with synonyms, over :mod:`~plankg.server.ui.searchindex`.

Matching is a scan of case- and width-folded strings (:func:`fold`): the texts one by one (a few
hundred), the concepts by ``str.find`` over their joined forms (:func:`searchindex.containing`),
a millisecond or two for the default build (bench/bench_search.py, bench/RESULTS.md).

Expansion: a query term containing a zh-Hant form of a concept of ``<search-synonym>``
(ontology/vocab/search-synonyms.ttl) is also searched with each other form of that concept in its
place; a term equal to a zh-Hant prefLabel or altLabel of a target group is also searched as the
group's other such labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from plankg.server.ui.data import Item
from plankg.server.ui.searchindex import KIND_ORDER, Concept, Index, containing, fold, index, kind_names

__all__ = ["MAX_QUERY_CHARS", "fold", "index", "kind_names", "parse", "expand", "find", "mark", "find_concepts",
           "suggestions"]
MAX_QUERY_CHARS = 200  # a longer ?q= is answered 400 (no label of the store is near that long)

_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+$")

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
    return [o for o in out if not any(other != o and other in o for other in out)]  # 勞工 covers 勞工朋友


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
            hits.append(Hit(item, True, len(bigrams) + 1, mark(item.label, text[:len(item.label)], query.needles())))
        elif bigrams:
            matched = [b for b in bigrams if b in text]
            if len(matched) >= need:
                hits.append(Hit(item, False, len(matched), mark(item.label, text[:len(item.label)], matched)))
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


def find_concepts(idx: Index, query: Query, lang: str, limit: int | None = None) -> tuple[list[ConceptHit], int]:
    """The first ``limit`` concepts with a label containing every term (or an expansion), and how
    many there are: a label equal to the query first, then the most used in the plans and budgets,
    target groups before units, agencies and laws, short names before long ones."""
    whole = set(query.alternatives[0]) if len(query.terms) == 1 else set()
    found = set.intersection(*(containing(idx, alts) for alts in query.alternatives)) if query.terms else set()
    ranked = sorted((not whole.intersection(c.forms), -c.uses, KIND_ORDER.index(c.kind),
                     len(c.labels.get(lang, c.iri)), c.iri, i) for i, c in ((i, idx.concepts[i]) for i in found))
    needles = query.needles()
    hits = []
    for *_, i in ranked[:limit]:  # marked up only when shown: 勞工 is in 170 names
        concept = idx.concepts[i]
        name = concept.labels.get(lang, concept.iri)
        folded = fold(name)
        via = "" if any(n in folded for n in needles) else next(
            (written for f, written in zip(concept.forms, concept.names) if any(n in f for n in needles)), "")
        hits.append(ConceptHit(concept, name, mark(name, folded, needles), via))
    return hits, len(ranked)


# ----------------------------------------------------------------------------- nothing found

def suggestions(idx: Index, query: Query, lang: str, n: int = 5) -> tuple[list[str], list[ConceptHit]]:
    """For an empty result: the canonical terms of synonym forms in the query (each a search of its
    own), and the ``n`` concepts sharing most character bigrams with it (the most used first)."""
    canonical = list(dict.fromkeys(idx.canonical[form] for term in query.terms for form in idx.replace
                                   if form in term and fold(idx.canonical[form]) != term))
    text = "".join(query.terms)
    grams = list(dict.fromkeys(text[i:i + 2] for i in range(len(text) - 1))) or [text]
    matched: dict[int, list[str]] = {}
    for gram in grams:
        for i in containing(idx, [gram]):
            matched.setdefault(i, []).append(gram)
    scored = []
    for i, found in matched.items():
        concept = idx.concepts[i]
        scored.append((-len(found), -concept.uses, len(concept.labels.get(lang, concept.iri)), concept.iri, i))
    scored.sort()
    out = []
    for *_, i in scored[:n]:
        concept = idx.concepts[i]
        name = concept.labels.get(lang, concept.iri)
        out.append(ConceptHit(concept, name, mark(name, fold(name), matched[i]), ""))
    return canonical, out
