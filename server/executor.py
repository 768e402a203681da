"""Run SPARQL in a pool of killable query processes (the other end: :mod:`.queryworker`).

pyoxigraph cannot cancel a query, and aggregates and ORDER BY compute inside ``query()``, so
the only hard time limit is to kill the process running it (engines reference §1.5).
:class:`QueryExecutor` keeps ``processes`` worker processes, each holding the store. A request
checks one out (waiting, within its deadline, if all are busy), talks to it over its pipes and
gives it back; after a timeout, a client that went away or a dead worker, the process is killed
and a supervisor thread starts a replacement, so requests never wait for a spawn they did not
need. Thread-safe; create one per server process (after gunicorn forks), share it.

Every query and update passes :mod:`.guard` first: SERVICE and LOAD targets must be on the
``allowlist`` (empty by default: none), so no caller can bypass the check.

Exceptions (all :class:`plankg.errors.PlanKGError`; the first five are ``QueryError``s):

=====================  ======================================================================
``QuerySyntaxError``   pyoxigraph rejected the query, update or data (the message has the
                       position)
``QueryFailed``        evaluation failed (a failed SERVICE, an I/O error), or the process died
``QueryTimeout``       over the time limit; the process was killed. From ``execute`` before
                       the first chunk, from the chunk iterator after it (body truncated)
``UnsupportedFormat``  the media type does not fit the result or the upload
``QueryError``         a bad argument: a graph name that is not an absolute IRI
``Overloaded``         no process became free before the deadline
``ReadOnly``           a write on an executor that opened the store read-only
``Refused``            a SERVICE/LOAD target not on the allowlist
``StoreError``         (constructor) the processes could not open the store
=====================  ======================================================================
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from pyoxigraph import NamedNode, QueryResultsFormat, RdfFormat, parse_query_results

from plankg.errors import QueryError
from plankg.server import queryworker as qw
from plankg.server.guard import Refused, check_federation, inspect_query, inspect_update, validate_allowlist
from plankg.server.lease import Lease, Rest
from plankg.server.pool import CLOSE_GRACE_S, RESPAWN_BACKOFF_S, SPAWN_TIMEOUT_S, ProcessPool  # noqa: F401
from plankg.server.queryerrors import (
    Overloaded,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    ReadOnly,
    UnsupportedFormat,
)
from plankg.server.workerproc import READ_BYTES, WORKER_SCRIPT  # noqa: F401 - the former home of these

JSON_RESULTS = "application/sparql-results+json"

__all__ = ["QueryExecutor", "Execution", "QuerySyntaxError", "QueryFailed", "QueryTimeout",
           "UnsupportedFormat", "Overloaded", "ReadOnly", "Refused"]


class Execution:
    """A running query whose first chunk is ready: ``first``, then ``chunks()``; or iterate it.

    ``kind`` is "solutions", "boolean" or "graph"; ``media_type`` is pyoxigraph's name for the
    body's format (``text/csv; charset=utf-8`` …); ``elapsed_ms`` is the time to the first
    chunk. Iterate to the end or :meth:`close` (``with`` does; so does werkzeug, which calls
    ``close()`` on a response iterable): until then it holds a query process.
    """

    def __init__(self, kind: str, media_type: str, first: bytes, elapsed_ms: float, rest: Rest):
        self.kind, self.media_type, self.first, self.elapsed_ms = kind, media_type, first, elapsed_ms
        self._rest = rest

    def chunks(self) -> Iterator[bytes]:
        """The chunks after ``first`` (≤ CHUNK_BYTES each); an iterator with ``close()``."""
        return self._rest

    def __iter__(self) -> Iterator[bytes]:
        try:
            if self.first:
                yield self.first
            yield from self._rest
        finally:  # a consumer that stops early (the generator is closed) recycles the process
            self._rest.close()

    def read(self) -> bytes:
        """The whole body (for small results)."""
        with self:
            return b"".join(self)

    def close(self) -> None:
        self._rest.close()

    def __enter__(self) -> Execution:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class QueryExecutor:
    """A pool of query processes over the store at ``store_path``.

    ``processes`` workers (always 1 with ``read_write``: a single writer runs everything in
    order); ``timeout_s`` is the default wall-clock limit of a request, waiting for a free
    process included; ``allowlist`` holds the IRI prefixes SERVICE and LOAD may reach.
    Raises StoreError if the processes cannot open the store.
    """

    def __init__(self, store_path: str | os.PathLike[str], *, processes: int = 4, timeout_s: float = 30.0,
                 read_write: bool = False, allowlist: Iterable[str] = ()):
        if processes < 1 or timeout_s <= 0:
            raise ValueError("processes must be ≥ 1 and timeout_s > 0")
        self.store_path = os.path.abspath(os.fspath(store_path))
        self.read_write = read_write
        self.processes = 1 if read_write else processes
        self.timeout_s = timeout_s
        self.allowlist = validate_allowlist(allowlist)
        self._write_lock = threading.Lock()
        self._pool = ProcessPool(self.store_path, self.processes, read_write)

    # --- queries -------------------------------------------------------------------------

    def execute(self, query: str, *, result_format: str | QueryResultsFormat | RdfFormat,
                union_default_graph: bool = True, default_graphs: Iterable[str] | None = None,
                named_graphs: Iterable[str] | None = None, timeout_s: float | None = None) -> Execution:
        """Start ``query``; return once its first chunk (or its empty end) is computed.

        ``result_format``: a media type (``application/sparql-results+json``, ``…+xml``,
        ``text/csv``, ``text/tab-separated-values``; ``text/turtle``, ``application/n-triples``,
        ``application/n-quads``, ``application/trig``, ``application/rdf+xml``,
        ``application/ld+json``, ``text/n3``) or a pyoxigraph format object. It must suit the
        query form (``guard.inspect_query(q).form``), else UnsupportedFormat. The dataset
        options behave as in :meth:`plankg.store.OxigraphStore.query`.
        """
        info = inspect_query(query)
        check_federation(info.services, self.allowlist)
        media_type = _media_type(result_format, info.form)
        request = {"op": "query", "query": query, "format": media_type, "union": union_default_graph,
                   "default_graphs": _graphs(default_graphs), "named_graphs": _graphs(named_graphs)}
        return self._stream(request, timeout_s)

    def select(self, query: str, **options: Any) -> list[dict[str, Any]]:
        """SELECT rows as {variable: pyoxigraph term} (unbound variables absent). ``options``:
        those of :meth:`execute` but ``result_format``."""
        body = self.execute(query, result_format=JSON_RESULTS, **options).read()
        results = parse_query_results(body, QueryResultsFormat.JSON)
        names = [v.value for v in results.variables]
        return [{n: t for n, t in zip(names, row) if t is not None} for row in results]

    def ask(self, query: str, **options: Any) -> bool:
        body = self.execute(query, result_format=JSON_RESULTS, **options).read()
        return bool(parse_query_results(body, QueryResultsFormat.JSON))

    def construct(self, query: str, result_format: str | RdfFormat = "application/n-triples", **options: Any) -> bytes:
        """A CONSTRUCT or DESCRIBE result, whole."""
        return self.execute(query, result_format=result_format, **options).read()

    # --- writes and the Graph Store Protocol -----------------------------------------------

    def update(self, text: str, *, timeout_s: float | None = None) -> None:
        """Run a SPARQL update and flush it; all or nothing (also when killed at the deadline)."""
        info = inspect_update(text)
        check_federation(info.loads + info.services, self.allowlist)
        self._write({"op": "update", "update": text}, timeout_s)

    def load(self, data: bytes | BinaryIO, format: str | RdfFormat, graph: str | None = None, *,
             replace: bool = False, timeout_s: float | None = None) -> None:
        """Add the triples in ``data`` (bytes, or a binary file read in chunks) to ``graph``
        (None: the default graph). ``replace`` drops the old content in the same transaction
        (Graph Store PUT). Malformed data → QuerySyntaxError, and nothing changes."""
        media_type = format if isinstance(format, str) else format.media_type
        if RdfFormat.from_media_type(media_type) is None:
            raise UnsupportedFormat(f"cannot load {media_type}")
        self._write({"op": "load", "format": media_type, "graph": _graph(graph), "replace": replace},
                    timeout_s, data)

    def clear(self, graph: str | None, *, timeout_s: float | None = None) -> bool:
        """Remove a named graph (None: empty the default graph); whether it existed."""
        return self._write({"op": "clear", "graph": _graph(graph)}, timeout_s)["existed"]

    def graph_exists(self, graph: str | None, *, timeout_s: float | None = None) -> bool:
        return self._call({"op": "exists", "graph": _graph(graph)}, timeout_s)["exists"]

    def dump_graph(self, graph: str | None, format: str | RdfFormat, *, timeout_s: float | None = None) -> bytes:
        """One named graph, serialised whole; None: the whole store as in
        :meth:`plankg.store.OxigraphStore.dump` (graph names kept in N-Quads/TriG/JSON-LD)."""
        request = {"op": "dump", "graph": _graph(graph), "format": _media_type(format, "CONSTRUCT")}
        return self._stream(request, timeout_s).read()

    # --- the pool ------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Processes idle/busy/running (a request in flight)/starting, spawned/killed so far, pids."""
        return self._pool.stats()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until all ``processes`` are up (after a kill, say); whether they are."""
        return self._pool.wait_ready(timeout)

    def close(self) -> None:
        """Stop all processes: idle ones exit on EOF, busy ones are killed. Idempotent."""
        self._pool.close()

    def __enter__(self) -> QueryExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stream(self, request: dict[str, Any], timeout_s: float | None) -> Execution:
        """Send a request answered by HEADER DATA* END; return at the first chunk."""
        started = time.monotonic()
        with self._lease(started, timeout_s) as lease:
            lease.send(request)
            header = json.loads(lease.frame(qw.FRAME_HEADER))
            first = lease.proc.read_frame(lease.deadline)
            following = lease.proc.buffered_frame() if first[0] == qw.FRAME_DATA else first
            if following is not None and following[0] != qw.FRAME_DATA:
                lease.frame(qw.FRAME_END, following)  # all there already: release now
            body = first[1] if first[0] == qw.FRAME_DATA else b""
            return Execution(header["kind"], header["media_type"], body, (time.monotonic() - started) * 1000,
                             Rest(lease, following))

    def _call(self, request: dict[str, Any], timeout_s: float | None, data: bytes | BinaryIO | None = None,
              started: float | None = None) -> dict[str, Any]:
        """Send a request (and a load's data) answered by END; its payload."""
        with self._lease(started or time.monotonic(), timeout_s) as lease:
            lease.send(request, data)
            return json.loads(lease.frame(qw.FRAME_END))

    def _write(self, request: dict[str, Any], timeout_s: float | None, data: bytes | BinaryIO | None = None
               ) -> dict[str, Any]:
        if not self.read_write:
            raise ReadOnly("this endpoint is read-only")
        started = time.monotonic()
        if not self._write_lock.acquire(timeout=timeout_s or self.timeout_s):
            raise Overloaded("other writes held the store until the deadline")
        try:
            return self._call(request, timeout_s, data, started)
        finally:
            self._write_lock.release()

    def _lease(self, started: float, timeout_s: float | None) -> Lease:
        """Check out a free process, waiting until the deadline at most."""
        limit = timeout_s or self.timeout_s
        deadline = started + limit
        return Lease(self._pool, self._pool.checkout(deadline, limit), deadline, limit)


def _media_type(fmt: str | QueryResultsFormat | RdfFormat, form: str | None) -> str:
    """The media type of ``fmt``; UnsupportedFormat if it cannot hold a ``form`` result."""
    media_type = fmt if isinstance(fmt, str) else fmt.media_type
    results = QueryResultsFormat.from_media_type(media_type) is not None
    graph = RdfFormat.from_media_type(media_type) is not None
    if not {"SELECT": results, "ASK": results, "CONSTRUCT": graph, "DESCRIBE": graph}.get(form, results or graph):
        raise UnsupportedFormat(f"a {form or 'SPARQL'} result cannot be written as {media_type}")
    return media_type


def _graph(iri: str | None) -> str | None:
    if iri is None:
        return None
    try:
        return NamedNode(iri).value
    except ValueError as e:
        raise QueryError(f"invalid graph IRI {iri!r}: {e}") from None


def _graphs(iris: Iterable[str] | None) -> list[str] | None:
    return None if iris is None else [_graph(i) for i in iris]

