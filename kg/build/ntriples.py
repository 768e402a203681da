"""A graph's N-Triples as Oxigraph writes them: written once per build, then loaded into the
store, dumped (:mod:`plankg.build.dumps`) and counted (:mod:`plankg.build.meta`).

:func:`ntriples` writes the lines of an rdflib graph directly (rdflib's N-Triples serializer
does the same with more overhead per triple), then lets Oxigraph parse and write them back, so
that every term has the one spelling the store gives it: language tags in lower case, its own
escapes, each triple once. The store, the dumps and the counts therefore see the same triples; a
literal rdflib would write differently (``\\t`` unescaped, ``@zh-Hant``) is still the same term.

The result is a ``str`` of lines ``s p o .`` (single spaces, each ending in a newline: :func:`lines`);
as nothing but a literal can hold a space, :func:`split` cuts a line into its three terms.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.util import from_n3


def ntriples(graph: Graph) -> str:
    """``graph`` as N-Triples, Oxigraph's spelling (see the module docstring), in no fixed order."""
    return canonical("".join([f"<{s}> <{p}> <{o}> .\n" if type(s) is URIRef and type(o) is URIRef  # most lines
                              else f"{_term(s)} <{p}> {_term(o)} .\n" for s, p, o in graph]))


def canonical(data: str) -> str:
    """The N-Triples ``data`` as Oxigraph parses and writes them, each triple once (see the module docstring)."""
    from pyoxigraph import RdfFormat, parse, serialize

    text = serialize(parse(data.encode("utf-8"), RdfFormat.N_TRIPLES), format=RdfFormat.N_TRIPLES).decode("utf-8")
    unique = dict.fromkeys(lines(text))  # two rdflib terms may be one: ``"a"^^xsd:string`` is ``"a"``
    return text if len(unique) == text.count("\n") else "".join(line + "\n" for line in unique)


def _decimal(text: str) -> str:
    return format(Decimal(text).normalize(), "f")  # 0.3840 -> 0.384, 2.0 -> 2, 100 -> 100


_CANONICAL = {XSD.decimal: _decimal, XSD.integer: lambda text: str(int(text))}
"""Datatypes the store writes in canonical form (Oxigraph parses them into values); parse and
serialise alone keep the lexical form, so these are canonicalised here, or the dumps would say
``"0.3840"`` where the store says ``"0.384"``."""


def string_literal(text: str) -> str:
    """``text`` as an N-Triples string literal (escapes as rdflib's serializer; Oxigraph rewrites the rest)."""
    return '"%s"' % text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"').replace("\r", "\\r")


def decimal_literal(value: Decimal) -> str:
    """``value`` as an ``xsd:decimal`` literal in the canonical form the store writes."""
    return f'"{_decimal(str(value))}"^^<{XSD.decimal}>'


def _term(term) -> str:
    """``term`` in N-Triples (escapes as rdflib's serializer; Oxigraph rewrites the rest)."""
    if type(term) is URIRef:
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.datatype in _CANONICAL and not term.ill_typed:
            canonical = _CANONICAL[term.datatype](str(term))
            if canonical != str(term):
                return f'"{canonical}"^^<{term.datatype}>'  # digits, a sign and a point: nothing to escape
        text = string_literal(term)
        if term.language:
            return f"{text}@{term.language}"
        return f"{text}^^<{term.datatype}>" if term.datatype else text
    return term.n3()  # blank nodes (and URIRef subclasses: n3() checks the IRI)


TRIPLE_LINE = re.compile(r"^(\S+) (\S+) (.*) \.$", re.M)
"""Subject, predicate and object of each line of N-Triples text, as :func:`split` cuts them (one
``findall`` over a graph's text, rather than a Python loop over its lines)."""


def lines(text: str) -> list[str]:
    """The lines of N-Triples ``text``, without their newlines. (Not ``str.splitlines``, which also
    cuts at characters a literal may hold unescaped, such as U+2028.)"""
    return text.split("\n")[:-1]


def digest(text: str) -> str:
    """The SHA-256 (hex) of the lines ``text`` (as :func:`ntriples` writes them) in sorted order: the
    same for the same triples in any order, so a graph that did not change keeps its digest from one
    build to the next (:mod:`plankg.store.reuse`), unless it has blank nodes, which rdflib labels
    afresh each time (such a graph is loaded again, as it should be: its labels are new)."""
    return hashlib.sha256("".join(line + "\n" for line in sorted(lines(text))).encode("utf-8")).hexdigest()


def nquads(text: str, graph: str) -> bytes:
    """The lines ``text`` (as :func:`ntriples` writes them) as N-Quads in the named graph ``graph``.
    (A line ends in `` .`` and a newline; no literal holds a newline unescaped.)"""
    return text.replace(" .\n", f" <{graph}> .\n").encode("utf-8")


def split(line: str) -> tuple[str, str, str]:
    """Subject, predicate and object of an N-Triples line ``s p o .`` (without its newline)."""
    s, p, o = line[:-2].split(" ", 2)
    return s, p, o


def term(text: str) -> URIRef | BNode | Literal:
    """The rdflib term of an N-Triples term."""
    if text[0] == "<":
        return URIRef(text[1:-1])
    if text.startswith("_:"):
        return BNode(text[2:])
    return from_n3(text)


__all__ = ["ntriples", "canonical", "string_literal", "decimal_literal", "lines", "digest", "nquads", "split", "term"]
