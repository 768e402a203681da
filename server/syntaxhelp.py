"""A short explanation of pyoxigraph's SPARQL syntax errors, put before its own message.

pyoxigraph says where the parser stopped and what its grammar could have read there
(``error at 1:25: expected one of LATERAL, SERVICE, [_]``); for a prefix that is not declared it
lists ten lines of Unicode ranges and never names the prefix. :func:`explain` gives the
line and column, the line itself with a caret, and, when the query uses a prefix it does not
declare, that prefix and the ``PREFIX`` line to add (with its IRI when the prefix is one of
the project's, :data:`plankg.namespaces.PREFIXES`). It is called by
:func:`plankg.server.errors.syntax_problem`, the one place where a syntax error becomes a 400.
"""

from __future__ import annotations

import re
import unicodedata

from plankg.namespaces import PREFIXES
from plankg.server.ui import i18n

_POSITION = re.compile(r"\berror at (\d+):(\d+):")
# IRIs, strings and comments: no prefixed name is inside them (masked with spaces, newlines kept)
_OPAQUE = re.compile(r"<[^<>\"{}|^`\\\s]*>|\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:[^\"\\\n]|\\.)*\""
                     r"|'(?:[^'\\\n]|\\.)*'|#[^\n]*")
_DECLARATION = re.compile(r"\bPREFIX\s+((?:[^\W\d_][\w.-]*)?):", re.IGNORECASE)
_USE = re.compile(r"(?<![\w.:?$@<-])((?:[^\W\d_](?:[\w.-]*[\w-])?)?):")
EXCERPT_BEFORE, EXCERPT_AFTER = 60, 30  # characters of the error's line shown around the column


def explain(message: str, text: str, lang: str) -> str | None:
    """The short explanation (a few lines, no trailing newline) of pyoxigraph's syntax error
    ``message`` about the SPARQL ``text``; None if the message gives no position."""
    m = _POSITION.search(message)
    if not m:
        return None
    lines = text.split("\n")
    line = min(max(int(m.group(1)), 1), len(lines))
    col = min(max(int(m.group(2)), 1), len(lines[line - 1]) + 1)
    offset = sum(len(s) + 1 for s in lines[:line - 1]) + col - 1
    undeclared = first_undeclared(text, offset, "Prefix not found" in message)
    if undeclared is not None:
        prefix, at = undeclared
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        iri = PREFIXES.get(prefix)
        key = "undeclared_prefix" if iri else "undeclared_prefix_unknown"
        head = i18n.text(key, lang, prefix=prefix, iri=iri, line=line, col=col)
    else:
        head = i18n.text("syntax_error", lang, line=line, col=col)
    return "\n".join([head, *excerpt(lines[line - 1], col)])


def first_undeclared(text: str, offset: int, prefix_not_found: bool) -> tuple[str, int] | None:
    """(prefix, position) of the first use of a prefix the query does not declare, if it is
    where the parser stopped or before it (anywhere, when pyoxigraph said "Prefix not found")."""
    masked = _OPAQUE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    declared, spans = set(), []
    for d in _DECLARATION.finditer(masked):
        declared.add(d.group(1))
        spans.append(d.span())
    for u in _USE.finditer(masked):
        if u.group(1) in declared or any(a <= u.start() < b for a, b in spans):
            continue
        if prefix_not_found or u.start() <= offset:
            return u.group(1), u.start()
        return None
    return None


def excerpt(line: str, col: int) -> list[str]:
    """The error's line (cut around ``col`` when long) and a caret under column ``col``."""
    start = max(0, col - 1 - EXCERPT_BEFORE)
    shown = line[start:col - 1 + EXCERPT_AFTER].replace("\t", " ")
    lead = "…" if start else ""
    tail = "…" if col - 1 + EXCERPT_AFTER < len(line) else ""
    pad = width(lead + shown[:col - 1 - start])
    return ["  " + lead + shown + tail, "  " + " " * pad + "^"]


def width(s: str) -> int:
    """Columns ``s`` takes in a monospaced font (wide CJK characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)
