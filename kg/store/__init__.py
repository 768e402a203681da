"""The knowledge-graph store: the interface (:class:`GraphStore`, :mod:`.graphstore`), the embedded Oxigraph
implementation (:mod:`.oxigraph`), atomic publication of a build (:mod:`.publishing`), and the
store that answers now (:mod:`.current`).

:func:`open_location` is the one place that chooses a backend for a store location: a second
backend (a remote SPARQL server) is one module and one line there.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from plankg.errors import StoreError
from plankg.store.graphstore import GraphStore, QueryResult, RdfData
from plankg.store.oxigraph import (
    ROCKSDB_MARKER,
    UNION_TRIPLES_QUERY,
    OxigraphStore,
    has_dataset_clause,
    open_store,
    store_info,
)
from plankg.store.publishing import BUILD_INFO, NTriples, Publication, PublishResult, publish, publishing
from plankg.store.current import CurrentStore

Opener = Callable[..., GraphStore]
"""``opener(location, *, memory_max_quads: int, writable: bool) -> GraphStore``."""

_backends: dict[str, Opener] = {}  # location prefix (a URL scheme and its colon) → opener


def register_backend(prefix: str, opener: Opener) -> None:
    """Open the locations that start with ``prefix`` (``"http:"``, ``"https:"`` …) with ``opener``."""
    _backends[prefix.lower()] = opener


def open_location(location: str | os.PathLike[str], *, memory_max_quads: int = 0, writable: bool = False) -> GraphStore:
    """The store at ``location``, read-only unless ``writable``: the backend registered for its
    prefix, else the embedded Oxigraph store in that directory. :class:`StoreError` if there is none."""
    text = os.fspath(location)
    scheme = text.split(":", 1)[0].lower() + ":" if ":" in text else ""
    if scheme in _backends:
        return _backends[scheme](text, memory_max_quads=memory_max_quads, writable=writable)
    if scheme in ("http:", "https:"):
        raise StoreError(f"{text}: no store backend for a remote SPARQL server is installed; give a store directory")
    return open_store(os.path.abspath(text), memory_max_quads=memory_max_quads, writable=writable)


__all__ = ["GraphStore", "OxigraphStore", "CurrentStore", "QueryResult", "RdfData", "open_location", "register_backend", "open_store",
           "store_info", "has_dataset_clause", "UNION_TRIPLES_QUERY", "ROCKSDB_MARKER", "publish", "publishing",
           "Publication", "PublishResult",
           "NTriples", "BUILD_INFO"]
