"""Find the laws a text names, among all the laws of the national law index, in one pass.

:class:`LawMatcher` looks for every surface form at once with an Aho–Corasick automaton
(``ahocorasick_rs``, leftmost-longest) and returns :class:`LawMatch` tuples
``(pcode, text, start, end)``: the law's PCode, the words matched, and their 0-based character
offsets in the text (``text == haystack[start:end]``). :func:`default_matcher` builds it from the
shipped index and the curated forms.

**Surface forms**, from the most trusted to the least; one form means one law:

1. *curated*: the zh-Hant ``skos:prefLabel``, ``altLabel`` and ``hiddenLabel`` of ``<law/{PCode}>``
   in ``ontology/vocab/laws.ttl`` (e.g. the 2019 name 性別工作平等法 of N0030014) and in
   ``ontology/mappings/law-short-forms.ttl`` (short forms such as 勞基法, former names). The
   labels of draft laws (``<law/draft/…>``, no PCode) and the law scheme's ``plan:linkerStopTerm``
   are *stop* forms: matched, so that no law name inside them is, but not reported;
2. *name*: the name of every law of the index (11,547 in the shipped one);
3. *base name*: the name without the parenthesis that tells two laws of one name apart
   (最低工資法（112.12.27制定） → 最低工資法). Sixty base names are shared by two or three laws; the
   form goes to the law that is current: not abolished before abolished or unknown, then the later
   date in the parenthesis (新 84.08.09 before 舊 36.03.31), then the later amendment;
4. *variant*: names and base names written with half-width parentheses, or with 台 for 臺.

**Leftmost-longest.** At each position the longest form that starts there wins and its characters
are consumed: 勞動基準法施行細則 is one match (N0030002), not 勞動基準法 and 施行細則, and 全民健康保險法
is not also read as 保險法.

**False positives.** Names shorter than :data:`MIN_NAME_LENGTH` characters are not matched (the
index has one: 民法, which occurs in 國民法官, 人民法院, 公民法治 …); curated forms are matched
whatever their length. A form of at most :data:`SHORT_FORM_LENGTH` characters that ends in 法 is
not matched where the next character makes 法 the first of another word (法令, 法制, 法規, 法人,
法治, 法律, 法院, 法官, 法學, 法案; 法規定 is still a match): 保險法規 reads 保險 + 法規 (insurance
rules), not 保險法 (the Insurance Act); 醫療法人 is a kind of legal person. The search then goes on
from the next character. Longer names are matched there as well, since 勞動基準法令 and 勞動基準法規
are how plans refer to that act's body of rules.

The matcher does not decide what a text cites: it finds names. :class:`Automaton` is the search
itself (leftmost-longest, the 法 guard) over strings that stand for any key; ``plankg.build.linker``
runs one over the law terms of the vocabularies (:attr:`plankg.build.vocab.Vocabularies.terms`,
built from :meth:`LawMatcher.build`'s forms), keyed by the linked IRI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Generic, Literal, NamedTuple, TypeVar

import ahocorasick_rs
from rdflib import Graph, Literal as RDFLiteral, URIRef
from rdflib.namespace import SKOS

from plankg import resources
from plankg.loaders.law_index import default_index
from plankg.loaders.law_model import PCODE, Law, LawIndex
from plankg.namespaces import DEFAULT_BASE, ELI, PLAN

MIN_NAME_LENGTH = 3
"""Index names shorter than this are not matched (curated forms are)."""

SHORT_FORM_LENGTH = 3
"""Forms this short that end in 法 are not matched where 法 starts another word (see the module)."""

WORD_AFTER_FA = frozenset("令制規人治律院官學案")
"""Characters that, after a short name's final 法, make 法 the first character of another word."""

LAWS_VOCABULARY = "laws.ttl"
ZH = "zh-Hant"
_LABELS = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
_PAREN_DATE = re.compile(r"（[^（）]*?(\d{2,3})\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})[^（）]*）\s*$")

Origin = Literal["curated", "stop", "name", "base-name", "variant"]
_RANK: dict[str, int] = {"curated": 0, "stop": 0, "name": 1, "base-name": 2, "variant": 3}


class LawMatch(NamedTuple):
    """A law named in a text: its PCode, the words matched, and where (``haystack[start:end]``)."""

    pcode: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Form:
    """A string the matcher looks for: the law it names (None for a stop form) and its origin."""

    text: str
    pcode: str | None
    origin: Origin


K = TypeVar("K")


class Automaton(Generic[K]):
    """Leftmost-longest search for strings, each standing for a key (None: a stop string).

    ``entries`` are ``(text, key)`` pairs with distinct texts. A stop string is matched (so nothing
    inside it is) but not reported. A text of at most :data:`SHORT_FORM_LENGTH` characters ending
    in 法 is not matched where 法 starts another word (see the module).
    """

    def __init__(self, entries: Iterable[tuple[str, K | None]]):
        entries = list(entries)
        texts = [text for text, _ in entries]
        if len(set(texts)) != len(texts):
            raise ValueError("an automaton's texts must be distinct")
        self.keys: tuple[K | None, ...] = tuple(key for _, key in entries)
        self._guarded = tuple(len(t) <= SHORT_FORM_LENGTH and t.endswith("法") for t in texts)
        self._automaton = ahocorasick_rs.AhoCorasick(texts, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest) \
            if texts else None

    def find(self, text: str) -> list[tuple[K, str, int, int]]:
        """``(key, matched, start, end)`` of every string found in ``text``, in text order, stops left out."""
        return [hit for hit in self._hits(text) if hit[0] is not None]

    def stop_spans(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of the stop strings found in ``text`` (what :meth:`find` consumed silently)."""
        return [(start, end) for key, _, start, end in self._hits(text) if key is None]

    def _hits(self, text: str) -> list[tuple[K | None, str, int, int]]:
        found: list[tuple[K | None, str, int, int]] = []
        if self._automaton is None:
            return found
        pos = 0
        while True:
            restart = None
            for i, start, end in self._automaton.find_matches_as_indexes(text[pos:] if pos else text):
                start, end = start + pos, end + pos
                if self._guarded[i] and _starts_another_word(text, end):
                    restart = start + 1
                    break
                found.append((self.keys[i], text[start:end], start, end))
            if restart is None:
                return found
            pos = restart


class LawMatcher:
    """Leftmost-longest matching of law names and forms; see the module's documentation."""

    def __init__(self, forms: Iterable[Form], index: LawIndex | None = None):
        chosen = _choose(forms, index)
        self.forms: tuple[Form, ...] = tuple(chosen[text] for text in sorted(chosen))
        self.index = index
        self._automaton = Automaton((f.text, f.pcode) for f in self.forms)

    @classmethod
    def build(cls, index: LawIndex, curated: Graph | None = None, base: str = DEFAULT_BASE) -> "LawMatcher":
        """A matcher for every law of ``index`` and the curated forms of ``curated`` (read with ``base``)."""
        forms = list(index_forms(index))
        if curated is not None:
            forms.extend(curated_forms(curated, base))
        return cls(forms, index)

    def __len__(self) -> int:
        return len(self.forms)

    def law(self, pcode: str) -> Law | None:
        """The law of ``pcode`` in the matcher's index (None without an index or when unknown)."""
        return self.index.get(pcode) if self.index is not None else None

    def find(self, text: str) -> list[LawMatch]:
        """Every law named in ``text``, in text order, leftmost-longest, without overlaps."""
        return [LawMatch(*hit) for hit in self._automaton.find(text)]


# --------------------------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------------------------


def index_forms(index: Iterable[Law]) -> Iterable[Form]:
    """The names, base names and variants of the laws of ``index`` (names of ≥ MIN_NAME_LENGTH)."""
    for law in index:
        names = [(law.name, "name")]
        if law.base_name != law.name:
            names.append((law.base_name, "base-name"))
        for text, origin in names:
            if len(text) < MIN_NAME_LENGTH:
                continue
            yield Form(text, law.pcode, origin)
            for variant in _variants(text):
                yield Form(variant, law.pcode, "variant")


def curated_forms(graph: Graph, base: str = DEFAULT_BASE) -> list[Form]:
    """The zh-Hant labels of ``<law/…>`` resources in ``graph`` and the law scheme's stop terms.

    A resource with a PCode (``eli:id_local``, or an IRI ``<law/{PCode}>``) gives curated forms of
    that law; one without (a draft law) gives stop forms.
    """
    prefix = base + "law/"
    out: list[Form] = []
    for label_prop in _LABELS:
        for subject, label in graph.subject_objects(label_prop):
            if not (isinstance(subject, URIRef) and str(subject).startswith(prefix)):
                continue
            if not (isinstance(label, RDFLiteral) and label.language == ZH and str(label).strip()):
                continue
            local = graph.value(subject, URIRef(ELI + "id_local"))
            pcode = str(local) if local is not None else str(subject)[len(prefix):]
            if PCODE.fullmatch(pcode):
                out.append(Form(str(label).strip(), pcode, "curated"))
            else:
                out.append(Form(str(label).strip(), None, "stop"))
    for stop in graph.objects(URIRef(base + "law"), URIRef(PLAN + "linkerStopTerm")):
        if isinstance(stop, RDFLiteral) and stop.language == ZH:
            out.append(Form(str(stop).strip(), None, "stop"))
    return out


def _variants(text: str) -> list[str]:
    out = []
    half = text.replace("（", "(").replace("）", ")")
    for v in (half, text.replace("臺", "台"), half.replace("臺", "台")):
        if v != text and v not in out:
            out.append(v)
    return out


def _choose(forms: Iterable[Form], index: LawIndex | None) -> dict[str, Form]:
    """One form per text: the most trusted origin, then the current law (see the module)."""
    chosen: dict[str, Form] = {}
    for form in forms:
        if not form.text:
            continue
        held = chosen.get(form.text)
        if held is None:
            chosen[form.text] = form
            continue
        if held.pcode == form.pcode:
            if _RANK[form.origin] < _RANK[held.origin]:
                chosen[form.text] = form
            continue
        if _RANK[form.origin] == _RANK[held.origin] == 0:
            raise ValueError(f"the curated form {form.text!r} names two laws: {held.pcode or 'none (stop)'} "
                             f"and {form.pcode or 'none (stop)'}")
        if (_RANK[form.origin], _currency(form.pcode, index)) < (_RANK[held.origin], _currency(held.pcode, index)):
            chosen[form.text] = form
    return chosen


def _currency(pcode: str | None, index: LawIndex | None) -> tuple:
    """Sort key: the current law of two sharing a name first (not abolished, later, then PCode)."""
    law = index.get(pcode) if (index is not None and pcode is not None) else None
    if law is None:
        return (True, True, 0, 0, pcode or "")
    return (law.abolished is True, law.abolished is None, -_date_in_parenthesis(law.name),
            -(law.last_amended or date.min).toordinal(), law.pcode)


def _date_in_parenthesis(name: str) -> int:
    """The ROC date of a disambiguating parenthesis (``（新 84.08.09 制定）``) as an ordinal, else 0."""
    m = _PAREN_DATE.search(name)
    if not m:
        return 0
    year, month, day = int(m.group(1)) + 1911, int(m.group(2)), int(m.group(3))
    try:
        return date(year, month, day).toordinal()
    except ValueError:
        return 0


def _starts_another_word(text: str, end: int) -> bool:
    """Whether the character after a name's final 法 makes 法 the first of another word (法規定 does not)."""
    return end < len(text) and text[end] in WORD_AFTER_FA and not text.startswith("規定", end)


# --------------------------------------------------------------------------------------------
# The shipped matcher
# --------------------------------------------------------------------------------------------


def curated_graph(base: str = DEFAULT_BASE) -> Graph:
    """``ontology/vocab/laws.ttl`` and the mappings (with ``law-short-forms.ttl``), read with ``base``."""
    g = Graph()
    sources = [r for r in resources.vocabularies() if r.name == LAWS_VOCABULARY] + resources.mappings()
    for resource in sources:
        with resource.open("rb") as f:
            g.parse(f, format="turtle", publicID=base)
    return g


@cache
def default_matcher() -> LawMatcher:
    """The matcher of the shipped law index and curated forms (built once)."""
    return LawMatcher.build(default_index(), curated_graph(DEFAULT_BASE), DEFAULT_BASE)


__all__ = ["LawMatch", "Form", "LawMatcher", "Automaton", "index_forms", "curated_forms", "curated_graph", "default_matcher",
           "MIN_NAME_LENGTH", "SHORT_FORM_LENGTH"]
