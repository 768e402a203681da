"""Tag texts with the target groups and laws they name, explainably.

Matching is leftmost-longest over the surface forms of the vocabularies (:attr:`Vocabularies.terms`):
at each position the longest term that starts there wins and its characters are consumed, so
中高齡者 is not also read as 高齡者, and a stop term such as 勞工保險 keeps 勞工 from matching
inside it. Each match is a :class:`Match` that names the words matched and where.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from plankg.build.vocab import Term


@dataclass(frozen=True)
class Match:
    prop: str  # "targetGroup" or "citesLaw"
    target: str  # IRI of the concept or law
    text: str  # the words matched
    offset: int  # 0-based character offset in the text


class Linker:
    """A matcher for one or more term sets; terms of each ``prop`` are matched independently."""

    def __init__(self, terms: Iterable[Term]):
        self._index: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for term in terms:
            if term.text:
                self._index[term.prop][term.text[0]].append(term)
        for by_char in self._index.values():
            for bucket in by_char.values():
                bucket.sort(key=lambda t: (-len(t.text), t.text))

    def matches(self, text: str) -> list[Match]:
        """All matches in ``text``, ordered by offset then property."""
        found: list[Match] = []
        for prop in sorted(self._index):
            found.extend(self._scan(text, self._index[prop]))
        return sorted(found, key=lambda m: (m.offset, m.prop, m.target))

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
