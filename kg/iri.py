"""The one check of an IRI that comes from outside: a request, a build's graph list, an API caller.

An IRI is accepted when pyoxigraph accepts it as a ``NamedNode``: absolute (it has a scheme)
and in RFC 3987 syntax, so it is also safe to write between ``<>`` in SPARQL. The protocol
(``default-graph-uri``, ``using-graph-uri``, the Graph Store's ``graph``), the executor, the
store and the linked-data pages all ask this module, so they agree on what an IRI is.
"""

from __future__ import annotations

import re

from pyoxigraph import NamedNode

from plankg.errors import QueryError

UNSAFE = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f]")
"""Characters no IRI can hold (a path that has them is percent-encoded before it becomes an IRI)."""


def is_iri(value: str) -> bool:
    """Whether ``value`` is an absolute IRI."""
    try:
        NamedNode(value)
    except ValueError:
        return False
    return True


def named_node(iri: str, what: str = "graph") -> NamedNode:
    """``iri`` as a NamedNode, or :class:`QueryError` ("invalid {what} IRI …", saying why) if it is not an absolute IRI."""
    try:
        return NamedNode(iri)
    except ValueError as e:
        raise QueryError(f"invalid {what} IRI {iri!r}: {e}") from None
