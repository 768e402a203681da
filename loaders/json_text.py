"""Reading JSON text one value at a time with the line of each, and refusing deep nesting before
:mod:`json` recurses into it: for :mod:`plankg.loaders.law_index`, whose errors name the line."""

from __future__ import annotations

import re

JSON_DEPTH_MAX = 32  # a law is a flat object: deeper nesting is refused before json parses it
_BRACKET_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def too_deep_at(text: str) -> int | None:
    """Where ``text`` first nests brackets deeper than ``JSON_DEPTH_MAX`` (strings skipped), if it does."""
    depth = 0
    for m in _BRACKET_OR_STRING.finditer(text):
        c = m[0]
        if c in "[{":
            depth += 1
            if depth > JSON_DEPTH_MAX:
                return m.start()
        elif c in "]}":
            depth -= 1
    return None


def skip_space(text: str, i: int) -> int:
    """The offset of the first character at or after ``i`` that is not JSON whitespace."""
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


class LineCounter:
    """1-based line of a character offset; offsets are asked in increasing order (amortised O(1))."""

    def __init__(self, text: str):
        self._text = text
        self._offset = 0
        self._line = 1

    def __call__(self, offset: int) -> int:
        if offset < self._offset:
            self._offset, self._line = 0, 1
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line


__all__ = ["JSON_DEPTH_MAX", "too_deep_at", "skip_space", "LineCounter"]
