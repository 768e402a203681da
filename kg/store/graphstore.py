"""The store interface: :class:`GraphStore` is all the CLI, the build and the server use of a
store (queries, writes, the Graph Store Protocol's graph operations, the build it serves).

A second backend (a remote SPARQL server: Oxigraph server, Fuseki, Virtuoso) is one module with a
class implementing it. It returns pyoxigraph result objects, which a remote backend can build
with :func:`pyoxigraph.parse_query_results` for SELECT/ASK. (``QueryTriples`` cannot be
instantiated from Python; a remote backend can parse a CONSTRUCT response into an in-memory
``pyoxigraph.Store`` and return ``store.query("CONSTRUCT WHERE { ?s ?p ?o }")``.) The embedded
implementation is :class:`plankg.store.oxigraph.OxigraphStore`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol, Self, runtime_checkable

from pyoxigraph import QueryBoolean, QuerySolutions, QueryTriples, RdfFormat

from plankg.errors import QueryError, StoreError

QueryResult = QuerySolutions | QueryBoolean | QueryTriples
RdfData = bytes | BinaryIO
"""Data to load: bytes, or a binary file object read in chunks."""

class ResultTruncated(QueryError):
    """The store's server cut a result at its row limit (Virtuoso's ``ResultSetMaxRows``); the
    message says how to read the rest."""


class StoreTimeout(StoreError):
    """The store's server did not answer by the deadline (:func:`deadline`)."""


class ServerFailed(StoreError):
    """The store's server failed one operation (an internal error of its own), not the request."""


_DEADLINE: ContextVar[float | None] = ContextVar("plankg_store_deadline", default=None)


@contextmanager
def deadline(at: float | None) -> Iterator[None]:
    """Store operations run in this context (on this thread) should end by ``at``
    (``time.monotonic()``): a remote backend passes the time left on to its server and stops
    waiting then. The embedded store cannot stop inside a call, so it ignores it (the server's
    watchdog handles that, :mod:`plankg.server.engine.timelimit`)."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining(default: float) -> float:
    """Seconds left before the current :func:`deadline`, or ``default`` outside one."""
    at = _DEADLINE.get()
    return default if at is None else at - time.monotonic()


@runtime_checkable
class GraphStore(Protocol):
    """A SPARQL dataset of named graphs. Use as a context manager. The writes raise unless the
    store was opened for writing; each is all or nothing and visible to readers after :meth:`flush`.

    An implementation may set ``evaluates_here = False`` when queries are evaluated elsewhere (a
    remote server): the server then does not hold its cap on queries that materialise their
    results in memory (:mod:`plankg.server.engine.memory`) for it. Absent means True."""

    @property
    def build_id(self) -> str:
        """The name of the build this store serves (stable while it serves the same one)."""
        ...

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = True,
        default_graphs: Iterable[str] | None = None,
        named_graphs: Iterable[str] | None = None,
        base_iri: str | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; :class:`QueryError` if it is invalid."""
        ...

    def graphs(self) -> list[str]:
        """The named graph IRIs, sorted."""
        ...

    def count(self, graph: str | None = None) -> int:
        """Triples in ``graph``, or quads in the whole store."""
        ...

    def graph_exists(self, graph: str | None) -> bool:
        """Whether the named graph ``graph`` exists (None, the default graph, always does)."""
        ...

    def dump(self, out: BinaryIO, format: RdfFormat, graph: str | None = None) -> None:
        """Serialise the store, or one graph, to ``out``."""
        ...

    def update(self, text: str, *, base_iri: str | None = None, prefixes: Mapping[str, str] | None = None) -> None:
        """Run a SPARQL update; :class:`SyntaxError` if it is invalid."""
        ...

    def load(self, data: RdfData, format: RdfFormat, graph: str | None, *, replace: bool = False) -> None:
        """Add the triples of ``data`` to ``graph`` (None: the default graph), or with ``replace``
        put them in place of its content."""
        ...

    def clear(self, graph: str | None) -> bool:
        """Remove the named graph ``graph``, or empty the default graph (None); whether it existed."""
        ...

    def is_current(self) -> bool:
        """Whether this store still serves the build published at its location; False once a
        newer one is, so the caller opens the location again (:mod:`plankg.store.current`). A
        backend whose server switches builds itself is always current."""
        ...

    def build_file(self, name: str) -> Path | None:
        """A file published with the build (``dumps/plankg.nq.gz`` …), on this machine; None if
        there is none (a remote backend keeps such files beside its server, or has none)."""
        ...

    def describe(self) -> str:
        """Where its answers come from, in a few words for the log ("memory", a URL …)."""
        ...

    def flush(self) -> None:
        """Make the writes so far durable."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
