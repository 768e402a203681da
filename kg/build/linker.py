"""Tag texts with the target groups and laws they name, explainably.

Matching is leftmost-longest over the terms of the vocabularies (:attr:`Vocabularies.terms`): at
each position the longest term that starts there wins and its characters are consumed, so
中高齡者 is not also read as 高齡者, and a stop term such as 勞工保險 keeps 勞工 from matching
inside it. Target groups, laws and legal basis terms are matched independently of each other.
Each match is a :class:`Match` that names the words matched, where, and the rule that made it.

**Laws.** The names and forms of every law of the national index, the labels of draft laws and the
law scheme's stop terms are matched in one pass (:class:`plankg.build.lawmatch.Automaton`, with its
guard against short names followed by 法令, 法規 …). A match is one of three kinds of link
(docs/data-model.md, "Kinds of law links"):

* ``citesLaw``, rule ``label``: the text names the law;
* ``reformsLaw`` (⊑ citesLaw), rule ``reform-cue``: the text names the law as something to enact,
  amend or review. The rule looks at the words around the name, within its clause (clauses end at
  ，。；：！？ and a line break; 、 does not end one): a word of :data:`REFORM_CUES` before the
  name, with none of :data:`NEUTRAL` (落實, 依 …) between it and the name, and the name not
  preceded by 依/依據/根據; or a word of :data:`AFTER_CUES` within :data:`AFTER_WINDOW` characters
  after it (職業災害勞工保護法規檢討). The cue and its offset are part of the evidence;
* ``reformsLaw``, rule ``draft-law``: the text names a draft law (a law the plan is preparing; the
  cue is given where the words around it have one);
* ``legalBasis``, rule ``legal-basis``: the text names a body or measure that exists under the law
  (a plan:legalBasisTerm, e.g. 定額進用); never inside a matched law name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Iterable

from plankg.build.lawmatch import Automaton
from plankg.build.vocab import Term

LAW_PROPS = ("citesLaw", "reformsLaw")
"""Term properties matched with the law automaton (``reformsLaw``: labels of draft laws)."""

REFORM_CUES = ("修正", "修法", "修訂", "修改", "增修", "研修", "翻修", "制定", "制訂", "訂定", "研訂",
               "研擬", "研議", "立法", "檢討", "改進", "完善", "健全", "廢止")
"""Words that, before a law's name in its clause, make the name something to enact, amend or review."""

AFTER_CUES = ("修正", "修法", "修訂", "研修", "檢討", "草案", "立法", "制定")
"""Words that do so within :data:`AFTER_WINDOW` characters after the name (…法修正草案, …法規檢討)."""

AFTER_WINDOW = 6

NEUTRAL = ("落實", "執行", "宣導", "說明", "遵守", "依據", "依照", "根據", "依")
"""Words that, between a cue and the name, make the name the rule applied, not the one reformed."""

CLAUSE_END = "，。；：！？,;:!?\n"

_BEFORE = re.compile("|".join(REFORM_CUES + NEUTRAL))
_AFTER = re.compile("|".join(AFTER_CUES))
_CLAUSE_END = re.compile(f"[{re.escape(CLAUSE_END)}]")


@dataclass(frozen=True)
class Match:
    prop: str  # "targetGroup", "citesLaw", "reformsLaw" or "legalBasis"
    target: str  # IRI of the concept or law
    text: str  # the words matched
    offset: int  # 0-based character offset in the text
    rule: str = "label"  # "label", "reform-cue", "draft-law" or "legal-basis"
    cue: str | None = None  # the words around the match that decided its kind
    cue_offset: int | None = None


def reform_cue(text: str, start: int, end: int) -> tuple[str, int] | None:
    """The cue (word, offset) that makes ``text[start:end]``, a law's name, something to reform."""
    clause_start = 0
    for m in _CLAUSE_END.finditer(text, 0, start):
        clause_start = m.end()
    before = text[clause_start:start]
    if not before.endswith(("依", "依據", "根據", "依照")):
        last = None
        for m in _BEFORE.finditer(before):
            last = m
        if last is not None and last.group() in REFORM_CUES:
            return last.group(), clause_start + last.start()
    stop = _CLAUSE_END.search(text, end)
    window_end = min(end + AFTER_WINDOW, stop.start() if stop else len(text))
    m = _AFTER.search(text, end, window_end)
    return (m.group(), m.start()) if m else None


class Linker:
    """A matcher for one or more term sets; terms of each ``prop`` are matched independently,
    except ``citesLaw`` and ``reformsLaw`` terms, which are one set (the laws)."""

    def __init__(self, terms: Iterable[Term]):
        self._index: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        laws: dict[str, tuple[str, str] | None] = {}
        for term in terms:
            if not term.text:
                continue
            if term.prop in LAW_PROPS:
                laws.setdefault(term.text, (term.prop, term.target) if term.target is not None else None)
            else:
                self._index[term.prop][term.text[0]].append(term)
        for by_char in self._index.values():
            for bucket in by_char.values():
                bucket.sort(key=lambda t: (-len(t.text), t.text))
        self._laws: Automaton[tuple[str, str]] = Automaton(laws.items())

    def matches(self, text: str) -> list[Match]:
        """All matches in ``text``, ordered by offset then property."""
        found = self._law_matches(text)
        taken = [(m.offset, m.offset + len(m.text)) for m in found] + self._laws.stop_spans(text)
        for prop in sorted(self._index):
            for m in self._scan(text, self._index[prop]):
                if prop == "legalBasis":
                    if any(s < m.offset + len(m.text) and m.offset < e for s, e in taken):
                        continue  # a body or measure named inside a law's name
                    m = replace(m, rule="legal-basis")
                found.append(m)
        return sorted(found, key=lambda m: (m.offset, m.prop, m.target))

    def _law_matches(self, text: str) -> list[Match]:
        out = []
        for (prop, target), matched, start, end in self._laws.find(text):
            cue = reform_cue(text, start, end)
            if prop == "reformsLaw":
                out.append(Match(prop, target, matched, start, "draft-law", *(cue or (None, None))))
            elif cue is not None:
                out.append(Match("reformsLaw", target, matched, start, "reform-cue", *cue))
            else:
                out.append(Match("citesLaw", target, matched, start))
        return out

    @staticmethod
    def _scan(text: str, by_char: dict[str, list[Term]]) -> Iterable[Match]:
        i = 0
        while i < len(text):
            for term in by_char.get(text[i], ()):
                if text.startswith(term.text, i):
                    if term.target is not None:
                        yield Match(term.prop, term.target, term.text, i)
                    i += len(term.text)
                    break
            else:
                i += 1
