"""Run SPARQL on the store within time limits: the server's query executor.

Each operation runs as a job on an engine thread of this process
(:mod:`plankg.server.engine.timelimit`), and the request thread waits for its first chunk until
the deadline. pyoxigraph releases the GIL while it evaluates and serialises, so jobs run in
parallel, and a request costs no pipe, no copy and no second process. Results stream in chunks
of at most ``CHUNK_BYTES`` (:mod:`plankg.server.engine.results`).

Time limits: at its deadline a request gets :class:`QueryTimeout` and its job is cancelled; a
streaming result stops at its next write. pyoxigraph cannot cancel work inside one call
(aggregates, ORDER BY, updates compute inside ``query()``/``update()``), so a job still
running ``STUCK_GRACE_S`` after its deadline is *stuck* and the executor calls ``on_stuck``:
under ``plankg serve`` the worker process then retires (:mod:`plankg.server.serving.worker`), which ends the work;
its other requests finish first and gunicorn starts a fresh process. Elsewhere (the Flask dev
server, a script) the default only logs: the work runs on until it ends.

Writes (read-write mode) run one at a time, in order, behind a lock; an update or load is all
or nothing, also when its process ends mid-way. Every query and update passes
:func:`plankg.sparql.check_query` / ``check_update`` first, the one check of its text: the
nesting limits, then SERVICE and LOAD targets must be on the ``allowlist`` (empty by default:
none).

Exceptions (all :class:`plankg.errors.PlanKGError`; the first five are ``QueryError``s):

=====================  ======================================================================
``QuerySyntaxError``   pyoxigraph rejected the query, update or data (the message has the
                       position)
``QueryFailed``        evaluation failed (a failed SERVICE, an I/O error)
``QueryTimeout``       over the time limit. From ``execute`` before the first chunk, from
                       the chunk iterator after it (body truncated)
``UnsupportedFormat``  the media type does not fit the result or the upload
``QueryError``         a bad argument: a graph name that is not an absolute IRI
``ReadOnly``           a write on an executor that opened the store read-only
``Refused``            a SERVICE/LOAD target not on the allowlist
``StoreError``         (constructor) the store could not be opened
=====================  ======================================================================
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

from pyoxigraph import QueryResultsFormat, RdfFormat, parse_query_results

from plankg.iri import named_node
from plankg.sparql import Refused, check_query, check_update, validate_allowlist
from plankg.store import CurrentStore, GraphStore, RemoteLocation
from plankg.store.graphstore import deadline as store_deadline
from plankg.server.engine.memory import ExpensiveGate, is_expensive
from plankg.server.engine import results
from plankg.server.engine.results import CHUNK_BYTES, Cancelled, Execution
from plankg.server.engine.timelimit import STUCK_GRACE_S, Runner
from plankg.server.engine.queryerrors import (
    QueryFailed,
    QuerySyntaxError,
    OverMemory,
    QueryTimeout,
    ReadOnly,
    UnsupportedFormat,
)

log = logging.getLogger("plankg.server")

JSON_RESULTS = "application/sparql-results+json"

__all__ = ["QueryExecutor", "Execution", "QuerySyntaxError", "QueryFailed", "QueryTimeout", "OverMemory",
           "UnsupportedFormat", "ReadOnly", "Refused", "CHUNK_BYTES", "STUCK_GRACE_S"]


class QueryExecutor:
    """Runs queries and writes on the store at ``store_path``, in this process.

    ``timeout_s`` is the default wall-clock limit of a request; ``read_write`` opens the store
    for writing (one process may); ``allowlist`` holds the IRI prefixes SERVICE and LOAD may
    reach; ``on_stuck(what)`` is called for work that outlived its deadline (see the module
    text); a read-only store of at most ``memory_max_quads`` quads is queried from a copy in
    memory; at most ``max_expensive`` queries that pyoxigraph materialises before their first
    row run at once (0: no cap; :mod:`plankg.server.engine.memory`). Raises StoreError if the store cannot be opened.
    """

    def __init__(self, store_path: str | os.PathLike[str] | RemoteLocation, *, timeout_s: float = 30.0, read_write: bool = False,
                 allowlist: Iterable[str] = (), on_stuck: Callable[[str], Any] | None = None,
                 memory_max_quads: int = 0, max_expensive: int = 0):
        if timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.store_path = store_path if isinstance(store_path, RemoteLocation) else os.fspath(store_path)
        self.read_write = read_write
        self.timeout_s = timeout_s
        self.allowlist = validate_allowlist(allowlist)
        self.on_stuck = on_stuck or log_stuck
        self._stores = CurrentStore(self.store_path, read_write, memory_max_quads)
        self._write_lock = threading.Lock()
        self._runner = Runner(lambda what: self.on_stuck(what))
        self._gate = ExpensiveGate(max_expensive)

    # --- queries -------------------------------------------------------------------------

    def execute(self, query: str, *, result_format: str | QueryResultsFormat | RdfFormat,
                union_default_graph: bool = True, default_graphs: Iterable[str] | None = None,
                named_graphs: Iterable[str] | None = None, base_iri: str | None = None,
                prefixes: Mapping[str, str] | None = None, timeout_s: float | None = None) -> Execution:
        """Start ``query``; return once its first chunk (or its end) is computed.

        ``result_format``: a media type (``application/sparql-results+json``, ``…+xml``,
        ``text/csv``, ``text/tab-separated-values``; ``text/turtle``, ``application/n-triples``,
        ``application/n-quads``, ``application/trig``, ``application/rdf+xml``,
        ``application/ld+json``, ``text/n3``) or a pyoxigraph format object. It must suit the
        query form, else UnsupportedFormat. The dataset options, ``base_iri`` and ``prefixes``
        behave as in :meth:`plankg.store.OxigraphStore.query`.

        """
        form = check_query(query, self.allowlist).form
        media_type = _media_type(result_format, form)
        options = {"union_default_graph": union_default_graph, "default_graphs": _graphs(default_graphs),
                   "named_graphs": _graphs(named_graphs), "base_iri": _graph(base_iri, "base"), "prefixes": prefixes}
        store = self._stores.current()
        what = lambda: f"query {_brief(query)}"  # noqa: E731
        started, deadline = self._limits(timeout_s)
        produce = _within(deadline, lambda out: results.run_query(store, query, media_type, options, out))
        # an expensive query holds this process's CPU (a remote server's CPU and memory are its own) for
        # as long as it runs: at a lower priority than cheap ones (timelimit.LOW_PRIORITY_NICE), and
        # it may hold much memory before its first row: it waits for a slot of the gate
        expensive = getattr(store, "evaluates_here", True) and is_expensive(query)
        if expensive and self._gate.size:
            produce = self._gate.wrap(produce, deadline)
        return self._runner.stream(what, started, deadline, produce, low_priority=expensive)

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

    def update(self, text: str, *, base_iri: str | None = None, prefixes: Mapping[str, str] | None = None,
               timeout_s: float | None = None) -> None:
        """Run a SPARQL update and flush it; all or nothing. ``base_iri`` and ``prefixes`` as in :meth:`execute`."""
        check_update(text, self.allowlist)
        base = _graph(base_iri, "base")
        self._write(lambda: f"update {_brief(text)}", timeout_s, lambda s: s.update(text, base_iri=base, prefixes=prefixes))

    def load(self, data: bytes | BinaryIO, format: str | RdfFormat, graph: str | None = None, *,
             replace: bool = False, timeout_s: float | None = None) -> None:
        """Add the triples in ``data`` (bytes, or a binary file read in chunks) to ``graph``
        (None: the default graph). ``replace`` drops the old content in the same transaction
        (Graph Store PUT). Malformed data → QuerySyntaxError, and nothing changes."""
        fmt = RdfFormat.from_media_type(format if isinstance(format, str) else format.media_type)
        if fmt is None:
            raise UnsupportedFormat(f"cannot load {format}")
        if fmt.supports_datasets:
            raise UnsupportedFormat(f"{fmt.name} holds a dataset; load one graph at a time")
        graph = _graph(graph)
        self._write(lambda: f"load into {graph or 'the default graph'}", timeout_s,
                    lambda store: store.load(data, fmt, graph, replace=replace))

    def clear(self, graph: str | None, *, timeout_s: float | None = None) -> bool:
        """Remove a named graph (None: empty the default graph); whether it existed."""
        graph = _graph(graph)
        return self._write(lambda: f"clear {graph or 'the default graph'}", timeout_s,
                           lambda store: store.clear(graph))

    def graphs(self, *, timeout_s: float | None = None) -> list[str]:
        """The named graphs of the store answering now (:meth:`plankg.store.GraphStore.graphs`)."""
        store = self._stores.current()
        started, deadline = self._limits(timeout_s)
        return self._runner.call(lambda: "graph list", started, deadline, _within(deadline, store.graphs))

    def graph_exists(self, graph: str | None, *, timeout_s: float | None = None) -> bool:
        graph = _graph(graph)
        store = self._stores.current()
        started, deadline = self._limits(timeout_s)
        return self._runner.call(lambda: "graph lookup", started, deadline,
                                 _within(deadline, lambda: store.graph_exists(graph)))

    def dump_graph(self, graph: str | None, format: str | RdfFormat, *, timeout_s: float | None = None) -> bytes:
        """One named graph, serialised whole; None: the whole store as in
        :meth:`plankg.store.OxigraphStore.dump` (graph names kept in N-Quads/TriG/JSON-LD)."""
        fmt = RdfFormat.from_media_type(_media_type(format, "CONSTRUCT"))
        graph = _graph(graph)
        store = self._stores.current()
        started, deadline = self._limits(timeout_s)
        return self._runner.stream(lambda: f"dump {graph or 'store'}", started, deadline,
                                   _within(deadline, lambda out: results.dump(store, graph, fmt, out))).read()

    # --- state -----------------------------------------------------------------------------

    def build_id(self) -> str:
        """The build answers come from now (:attr:`plankg.store.GraphStore.build_id`); after a re-publish, the new one."""
        return self._stores.current().build_id

    def build_file(self, name: str):
        """A file published with the build answers come from (:meth:`plankg.store.GraphStore.build_file`)."""
        return self._stores.current().build_file(name)

    def stats(self) -> dict[str, Any]:
        """Jobs running now, jobs reported stuck so far, engine threads started so far."""
        return self._runner.stats()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job runs (stuck ones excepted); whether that happened in time."""
        return self._runner.wait_idle(timeout)

    def stop_all(self, error: BaseException) -> int:
        """Stop every running query and write now, as at its deadline; a request waiting for
        one on an engine thread gets ``error`` (the server's memory bound, :mod:`plankg.server.engine.memory`). How many."""
        return self._runner.stop_all(error)

    def close(self) -> None:
        """Stop taking work; idle engine threads end. Idempotent."""
        self._runner.close()

    def __enter__(self) -> QueryExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- running jobs ------------------------------------------------------------------------

    def _limits(self, timeout_s: float | None) -> tuple[float, float]:
        """(started, deadline) of an operation that starts now."""
        started = time.monotonic()
        return started, started + (timeout_s or self.timeout_s)

    def _write(self, what: Callable[[], str], timeout_s: float | None, fn: Callable[[GraphStore], Any]) -> Any:
        """Run the write ``fn(store)`` as a job, after the writes before it; then flush. A
        write still waiting for the ones before it at its deadline is dropped (QueryTimeout)."""
        if not self.read_write:
            raise ReadOnly("this endpoint is read-only")
        limit, started = timeout_s or self.timeout_s, time.monotonic()
        store = self._stores.writable()

        def locked() -> Any:
            if not self._write_lock.acquire(timeout=max(0.0, started + limit - time.monotonic())):
                raise Cancelled  # the request has had its QueryTimeout: this write never happens
            try:
                if time.monotonic() >= started + limit:
                    raise Cancelled
                out = fn(store)
                store.flush()
                return out
            finally:
                self._write_lock.release()

        return self._runner.call(what, started, started + limit, _within(started + limit, locked))

def _within(deadline: float, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run within ``deadline`` for the store (:func:`plankg.store.graphstore.deadline`: a
    remote store passes the time left on to its server and stops waiting at the deadline)."""
    def run(*args: Any) -> Any:
        with store_deadline(deadline):
            return fn(*args)
    return run


def log_stuck(what: str) -> None:
    log.warning("%s outlived its time limit and cannot be stopped in this process; it runs until it ends "
                "(under `plankg serve` the worker process would retire)", what)


def _brief(text: str, n: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= n else flat[:n] + "…")


def _media_type(fmt: str | QueryResultsFormat | RdfFormat, form: str | None) -> str:
    """The media type of ``fmt``; UnsupportedFormat if it cannot hold a ``form`` result."""
    media_type = fmt if isinstance(fmt, str) else fmt.media_type
    results = QueryResultsFormat.from_media_type(media_type) is not None
    graph = RdfFormat.from_media_type(media_type) is not None
    if not {"SELECT": results, "ASK": results, "CONSTRUCT": graph, "DESCRIBE": graph}.get(form, results or graph):
        raise UnsupportedFormat(f"a {form or 'SPARQL'} result cannot be written as {media_type}")
    return media_type


def _graph(iri: str | None, what: str = "graph") -> str | None:
    return None if iri is None else named_node(iri, what).value


def _graphs(iris: Iterable[str] | None) -> list[str] | None:
    return None if iris is None else [_graph(i) for i in iris]
