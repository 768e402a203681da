"""The remote store: :class:`RemoteStore`, the :class:`~plankg.store.graphstore.GraphStore` over a
SPARQL 1.1 server (Oxigraph server, Virtuoso, any other) through the SPARQL 1.1 Protocol and the
Graph Store HTTP Protocol. How it reaches the server: :mod:`plankg.store.remote_http`; its
exchanges and how a server's answers are read: :mod:`plankg.store.remote_protocol`; how a build
is published there: :mod:`plankg.store.remote_publish`.

**What readers see.** A build's graphs are published under their own names; the *control graph*
``urn:plankg:control`` names the build and lists its graphs. A store opened read-only asks for
that list once and sends it with every query that has no dataset of its own (as
``default-graph-uri`` and ``named-graph-uri``): the default graph is the union of the published
graphs, and GRAPH sees exactly those, on every server alike, whatever its own default graph is
(Virtuoso's holds its system graphs) and without the staging graphs a running build uploads.
A store opened for writing (``plankg serve`` with updates) serves all the server's graphs but its
own and plankg's (on Oxigraph server: its union, ``union-default-graph``). A remote store's own
default graph (the Graph Store's ``?default``, and the default graph of a query without the
union) is the graph ``urn:plankg:default``.

**Differences between servers**, handled here (docs/deploy.md lists them with what was measured):
language tags come back lower-cased from Oxigraph, as written from Virtuoso (compare with
``langMatches``); a result a server truncated at its row limit (Virtuoso's ``ResultSetMaxRows``,
announced by ``X-SPARQL-MaxRows``) raises :class:`ResultTruncated` instead of passing as whole;
the time limit is passed on where the server takes one per request (Virtuoso's ``timeout``) and
enforced here anyway (every exchange ends by the caller's deadline,
:func:`plankg.store.graphstore.deadline`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self

from pyoxigraph import Quad, RdfFormat, Store, parse, serialize

from plankg.errors import StoreError
from plankg.iri import named_node
from plankg.namespaces import PREFIXES
from plankg.sparql.limits import check as check_limits
from plankg.store.graphstore import QueryResult, RdfData, StoreTimeout, remaining
from plankg.store.oxigraph import UNION_TRIPLES_QUERY, has_dataset_clause
from plankg.store.remote_control import CONTROL_GRAPH, RESERVED_PREFIX, read_control
from plankg.store.remote_http import RemoteSettings
from plankg.store.remote_protocol import post_update, prologue, run_query

DEFAULT_GRAPH = "urn:plankg:default"  # what a remote store keeps as its own default graph (Graph Store ?default)
CHECK_INTERVAL_S = 1.0  # how often a read-only store asks whether a new build was published
SWITCH_POLL_S = 0.1  # how often a query waiting for a build's switch asks whether it is done
PAGE_ROWS = 10_000  # triples per request when a graph is read whole from Virtuoso (its default ResultSetMaxRows)
SYSTEM_GRAPHS = {"virtuoso": ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                              "http://localuriqaserver/")}
"""Graphs a server keeps for itself (IRI prefixes), never part of a dataset plankg serves."""


class RemoteStore:
    """A :class:`GraphStore` over the SPARQL server ``settings`` names. ``files`` is the local
    directory of the builds' files (dumps, BUILD.json: :mod:`plankg.store.publishing`'s layout,
    without a RocksDB store), or None."""

    evaluates_here = False  # the server evaluates queries: no local cap on expensive ones

    def __init__(self, settings: RemoteSettings, *, writable: bool = False, files: Path | None = None):
        self.settings = settings
        self.writable = writable
        self.files = files
        control = read_control(settings)
        self._build = control.get("build", "")
        self._info = control.get("info", {})
        self._graphs = sorted(control.get("graphs", ()))
        self._uploading = control["uploading"]
        self._switching = control["switching"]
        self._rw_graphs: list[str] | None = None  # opened for writing: graphs(), until the next write
        self._closed = False
        self._checked = time.monotonic()
        self._stale = False  # the control graph named another build: see is_current

    @property
    def build_id(self) -> str:
        return self._build or "unpublished"

    @property
    def info(self) -> dict[str, Any]:
        """The published build's BUILD.json, as recorded in the control graph."""
        return dict(self._info)

    # --- reading ---------------------------------------------------------------------------

    def query(self, sparql: str, *, union_default_graph: bool = True, default_graphs: Iterable[str] | None = None,
              named_graphs: Iterable[str] | None = None, base_iri: str | None = None,
              prefixes: Mapping[str, str] | None = None) -> QueryResult:
        check_limits(sparql, self.settings.stack_bytes)  # the server's parser has a smaller stack than ours
        self._await_switch()
        head = prologue(base_iri, prefixes)
        params: list[tuple[str, str]] = [("query", head + sparql)]
        if default_graphs is not None or named_graphs is not None:
            params += [("default-graph-uri", named_node(g).value) for g in default_graphs or ()]
            params += [("named-graph-uri", named_node(g).value) for g in
                       (named_graphs if named_graphs is not None else self.graphs())]
        elif not has_dataset_clause(sparql):
            params += self._dataset(union_default_graph)
        return run_query(self.settings, params, shift=len(head))

    def graphs(self) -> list[str]:
        """The published graphs; opened for writing, the server's graphs but its own and
        plankg's control and staging graphs (asked once, and again after a write through this store)."""
        if not self.writable:
            return list(self._graphs)
        if self._rw_graphs is None:
            hidden = (RESERVED_PREFIX, *SYSTEM_GRAPHS.get(self.settings.kind, ()))
            rows = self._select([("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")])
            self._rw_graphs = sorted(g for row in rows if not (g := row["g"].value).startswith(hidden))
        return list(self._rw_graphs)

    def count(self, graph: str | None = None) -> int:
        if graph is not None:
            query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {named_node(graph)} {{ ?s ?p ?o }} }}"
            return int(next(iter(self._select([("query", query)])))["n"].value)
        return sum(self.count(g) for g in self.graphs())

    def graph_exists(self, graph: str | None) -> bool:
        if graph is None:
            return True
        if not self.writable:
            return graph in self._graphs
        return bool(self._select([("query", f"ASK {{ GRAPH {named_node(graph)} {{ ?s ?p ?o }} }}")]))

    def dump(self, out: BinaryIO, format: RdfFormat, graph: str | None = None) -> None:
        """As :meth:`plankg.store.OxigraphStore.dump`: one graph, or every published graph (with
        their names in a dataset format, else their union as triples, each once)."""
        names = [graph] if graph is not None else self.graphs()
        if graph is None and not format.supports_datasets:
            union = Store()
            for name in names:
                union.bulk_extend(q for q in self._graph_quads(name))
            serialize(union.query(UNION_TRIPLES_QUERY, use_default_graph_as_union=True), out, format, prefixes=PREFIXES)
            return
        store = Store()
        for name in names:
            store.bulk_extend(self._graph_quads(name))
        if format.supports_datasets:
            store.dump(out, format, prefixes=PREFIXES)
        else:
            store.dump(out, format, from_graph=named_node(graph), prefixes=PREFIXES)

    # --- writing ---------------------------------------------------------------------------

    def update(self, text: str, *, base_iri: str | None = None, prefixes: Mapping[str, str] | None = None) -> None:
        self._check_writable()
        check_limits(text, self.settings.stack_bytes)
        head = prologue(base_iri, prefixes)
        self._rw_graphs = None
        post_update(self.settings, head + text, shift=len(head))

    def load(self, data: RdfData, format: RdfFormat, graph: str | None, *, replace: bool = False) -> None:
        """Read ``data`` here first (a syntax error is pyoxigraph's, with its position, and the
        server is not touched), then send it as N-Triples: on Oxigraph server in one request,
        which is one transaction; elsewhere into a staging graph, then MOVEd (``replace``) or
        ADDed over ``graph`` (Virtuoso keeps the lines before an error of a failed upload)."""
        self._check_writable()
        graph = graph or DEFAULT_GRAPH
        from plankg.store.remote_publish import STAGING_PREFIX, upload  # one place that uploads a graph

        body = serialize(parse(data if isinstance(data, bytes) else data.read(), format), format=RdfFormat.N_TRIPLES)
        self._rw_graphs = None
        if self.settings.kind == "oxigraph":
            upload(self.settings, graph, body or b"", RdfFormat.N_TRIPLES, replace=replace)
            return
        staging = f"{STAGING_PREFIX}load:{uuid.uuid4().hex}"
        if body:
            upload(self.settings, staging, body, RdfFormat.N_TRIPLES, replace=True)
        into = f"{'MOVE' if replace else 'ADD'} SILENT GRAPH <{staging}> TO GRAPH {named_node(graph)}"
        post_update(self.settings, f"{into} ; DROP SILENT GRAPH <{staging}>")

    def clear(self, graph: str | None) -> bool:
        self._check_writable()
        if graph is None:
            graph = DEFAULT_GRAPH
        existed = graph == DEFAULT_GRAPH or self.graph_exists(graph)
        self._rw_graphs = None
        post_update(self.settings, f"DROP SILENT GRAPH {named_node(graph)}")
        return existed

    def flush(self) -> None:
        """Each exchange is committed by the server when it answers."""

    # --- the build -------------------------------------------------------------------------

    def is_current(self) -> bool:
        """Whether the control graph still names this store's build: asked at most every
        ``CHECK_INTERVAL_S``, so a new build is served that long after its switch at most. Once
        it does not, it never will (the caller asks again before it reopens:
        :meth:`plankg.store.current.CurrentStore._reopen`)."""
        if self.writable or self._stale:
            return not self._stale
        if time.monotonic() - self._checked < CHECK_INTERVAL_S:
            return True
        control = read_control(self.settings)
        self._uploading, self._switching = control["uploading"], control["switching"]
        self._checked = time.monotonic()
        self._stale = control.get("build", "") != self._build
        return not self._stale

    def build_file(self, name: str) -> Path | None:
        if self.files is None or not self._build:
            return None
        from plankg.store.publishing import build_file_of  # the local layout of the builds' files

        return build_file_of(self.files, self._build, name)

    def describe(self) -> str:
        return self.settings.describe() + (", read-write" if self.writable else "")

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- HTTP ------------------------------------------------------------------------------

    def _dataset(self, union: bool) -> list[tuple[str, str]]:
        """The dataset parameters of a query without its own: the published graphs (see the
        module text). On Oxigraph server, while no build is uploading, its own union (which is
        about ten times faster than the same graphs listed: bench/RESULTS.md) and all graphs."""
        if union and self.settings.kind == "oxigraph" and (self.writable or not self._uploading):
            return [("union-default-graph", "")]
        graphs = (self.graphs() if self.writable else self._graphs) or [CONTROL_GRAPH + ":none"]  # none: empty
        default = ([*graphs, DEFAULT_GRAPH] if self.writable else graphs) if union else [DEFAULT_GRAPH]
        return [("default-graph-uri", g) for g in default] + [("named-graph-uri", g) for g in graphs]

    def _select(self, params: list[tuple[str, str]]) -> QueryResult:
        return run_query(self.settings, params)

    def _await_switch(self) -> None:
        """While a build switches readers graph by graph (on a server whose update requests are
        not transactions, such as Virtuoso: :mod:`plankg.store.remote_publish`), wait until it is
        done, within the caller's deadline, rather than read a graph half moved; past it, raise
        :class:`StoreTimeout` (a switch a killed build left unfinished keeps readers out until the
        next build: they get no answer rather than a mix, the CLI's as `plankg serve`'s)."""
        if not self._switching or self.writable:
            return
        until = time.monotonic() + remaining(self.settings.timeout_s)
        while time.monotonic() < until:
            control = read_control(self.settings)
            self._uploading, self._switching = control["uploading"], control["switching"]
            self._checked = time.monotonic()
            if not self._switching:
                return
            time.sleep(SWITCH_POLL_S)
        raise StoreTimeout(f"{self.settings.describe()}: a build is switching readers to it (or was killed while "
                           f"it did: {', '.join(self._switching)}); nothing is read until it is done or the next "
                           "build replaces every graph")

    def _graph_quads(self, graph: str) -> list[Quad]:
        """The triples of ``graph`` as quads in it: one CONSTRUCT; from Virtuoso, whose CONSTRUCT
        is cut at its row limit without a word, SELECT pages of ``PAGE_ROWS`` in a fixed order."""
        node = named_node(graph)
        if self.settings.kind != "virtuoso":
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {node} {{ ?s ?p ?o }} }}"
            return [Quad(t.subject, t.predicate, t.object, node) for t in run_query(self.settings, [("query", query)])]
        quads: list[Quad] = []
        while True:
            query = (f"SELECT ?s ?p ?o WHERE {{ GRAPH {node} {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o "
                     f"LIMIT {PAGE_ROWS} OFFSET {len(quads)}")
            page = [Quad(r["s"], r["p"], r["o"], node) for r in run_query(self.settings, [("query", query)])]
            quads += page
            if len(page) < PAGE_ROWS:
                return quads

    def _check_writable(self) -> None:
        if not self.writable:
            raise StoreError(f"the store at {self.settings.query_url} was opened read-only")
