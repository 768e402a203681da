"""SPARQL's tokens, for the few places that look at request text before pyoxigraph parses it.

One regular expression that splits text the way SPARQL's lexer does: comments ``#…`` to the
end of the line, strings ``'…'``, ``"…"``, ``'''…'''``, ``\"\"\"…\"\"\"`` with escapes, IRIs
``<…>``, variables, language tags, and *names* (keywords, words, numbers, prefixed names).
Anything else is one ``punct`` character. So a keyword inside a string, an IRI or a comment
is never taken for one. It is not exact where SPARQL's grammar decides what a token is (`<` may
start an IRI or be a comparison), so nothing that guards security rests on it. Users:
:func:`plankg.sparql.guard.query_form` (which result formats to offer),
:func:`plankg.store.has_dataset_clause` (FROM) and :mod:`plankg.server.sparql.update` (USING and WITH).

Each match covers leading whitespace and one token; ``match.lastgroup`` is the kind and
``match[match.lastgroup]`` the token. Possessive quantifiers keep it linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_LOCAL = r"(?:[\w:%-]++|\\.|\.++(?=[\w:%\\-]))*+"  # a prefixed name's local part (no final dot)
_IRI = r"""<(?:[^<>"{}|^`\\\x00-\x20]++|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>"""
_STRING = r"""
      \"\"\"(?:[^"\\]++|\\.|"(?!""))*+\"\"\"  |  '''(?:[^'\\]++|\\.|'(?!''))*+'''
    | "(?:[^"\\\r\n]++|\\.)*+"  |  '(?:[^'\\\r\n]++|\\.)*+'
"""  # long strings first: `'''` opens one, it is not an empty string and a quote
TOKEN = re.compile(
    r"[ \t\r\n]*+(?:"
    r"(?P<name>[\w.-]++(?::" + _LOCAL + r")?|:" + _LOCAL + r")"  # keyword, word, number, pname
    r"|(?P<var>[?$]\w++)"
    r"|(?P<iri>" + _IRI + r")"
    r"|(?P<comment>\#[^\r\n]*+)"
    r"|(?P<str>(?x:" + _STRING + r"))"
    r"|(?P<lang>@[A-Za-z]++(?:-[A-Za-z0-9]++)*+)"
    r"|(?P<punct>.))",
    re.DOTALL,
)
KINDS = ("name", "var", "iri", "comment", "str", "lang", "punct")


def tokens(text: str) -> Iterator[re.Match[str]]:
    """The tokens of ``text``, comments included, in order."""
    return TOKEN.finditer(text)


def is_keyword(name: str, keyword: str) -> bool:
    """Whether the name token ``name`` is ``keyword`` (SPARQL keywords are ASCII case-insensitive)."""
    return len(name) == len(keyword) and name.upper() == keyword
