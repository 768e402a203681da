"""The remote store: :class:`RemoteStore`, the :class:`~plankg.store.graphstore.GraphStore` over a
SPARQL 1.1 server (Oxigraph server, Virtuoso, any other) through the SPARQL 1.1 Protocol and the
Graph Store HTTP Protocol. How it reaches the server: :mod:`plankg.store.remote_http`; how a
build is published there: :mod:`plankg.store.remote_publish`.

**What readers see.** A build's graphs are published under their own names; the *control graph*
``urn:plankg:control`` names the build and lists its graphs. A store opened read-only asks for
that list once and sends it with every query that has no dataset of its own (as
``default-graph-uri`` and ``named-graph-uri``): the default graph is the union of the published
graphs, and GRAPH sees exactly those, on every server alike, whatever its own default graph is
(Virtuoso's holds its system graphs) and without the staging graphs a running build uploads.
A store opened for writing (``plankg serve`` with updates) sends no dataset: the server's union
(Oxigraph's ``union-default-graph``; Virtuoso's default graph) and all its named graphs.

**Differences between servers**, handled here (docs/deploy.md lists them with what was measured):
language tags come back lower-cased from Oxigraph, as written from Virtuoso (compare with
``langMatches``); a result a server truncated at its row limit (Virtuoso's ``ResultSetMaxRows``,
announced by ``X-SPARQL-MaxRows``) raises :class:`ResultTruncated` instead of passing as whole;
the time limit is passed on where the server takes one per request (Virtuoso's ``timeout``) and
enforced here anyway (every exchange ends by the caller's deadline,
:func:`plankg.store.graphstore.deadline`).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self

import httpx
from pyoxigraph import Quad, QueryResultsFormat, RdfFormat, Store, parse, parse_query_results, serialize

from plankg.errors import QueryError, StoreError
from plankg.iri import named_node
from plankg.namespaces import PREFIXES
from plankg.store.graphstore import QueryResult, RdfData, remaining
from plankg.store.oxigraph import UNION_TRIPLES_QUERY, has_dataset_clause
from plankg.store.remote_http import RemoteSettings, describe_error, send

CONTROL_GRAPH = "urn:plankg:control"  # the control record's node, and its graph (not on Oxigraph: see control_data)
CHECK_INTERVAL_S = 1.0  # how often a read-only store asks whether a new build was published
SWITCH_POLL_S = 0.1  # how often a query waiting for a build's switch asks whether it is done
PAGE_ROWS = 10_000  # triples per request when a graph is read whole from Virtuoso (its default ResultSetMaxRows)
RESERVED_PREFIX = "urn:plankg:"  # control and staging graphs: never part of a published dataset
CONTROL = "urn:plankg:"  # the control record's predicates: build, graphs, info, building, staging
_RESULT_TYPES = {"application/sparql-results+json": QueryResultsFormat.JSON,
                 "application/sparql-results+xml": QueryResultsFormat.XML,
                 "text/tab-separated-values": QueryResultsFormat.TSV}
_ACCEPT = ("application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8, "
           "application/rdf+xml;q=0.5, application/sparql-results+xml;q=0.5")


class ResultTruncated(QueryError):
    """The server cut the result at its row limit; the message says how to get the rest."""


class RemoteStore:
    """A :class:`GraphStore` over the SPARQL server ``settings`` names. ``files`` is the local
    directory of the builds' files (dumps, BUILD.json: :mod:`plankg.store.publishing`'s layout,
    without a RocksDB store), or None."""

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
        self._await_switch()
        params: list[tuple[str, str]] = [("query", _prologue(base_iri, prefixes) + sparql)]
        if default_graphs is not None or named_graphs is not None:
            params += [("default-graph-uri", named_node(g).value) for g in default_graphs or ()]
            params += [("named-graph-uri", named_node(g).value) for g in
                       (named_graphs if named_graphs is not None else self.graphs())]
        elif not has_dataset_clause(sparql):
            params += self._dataset(union_default_graph)
        return self._select(params)

    def graphs(self) -> list[str]:
        if not self.writable:
            return list(self._graphs)
        rows = self._select([("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")])
        return sorted(g for row in rows if not (g := row["g"].value).startswith(RESERVED_PREFIX))

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
        self.post_update(_prologue(base_iri, prefixes) + text)

    def load(self, data: RdfData, format: RdfFormat, graph: str | None, *, replace: bool = False) -> None:
        self._check_writable()
        body = data if isinstance(data, bytes) else data.read()
        if graph is None:
            raise QueryError("a remote store's default graph is the union of its graphs: load into a named graph")
        from plankg.store.remote_publish import upload  # one place that uploads a graph

        upload(self.settings, graph, body, format, replace=replace)

    def clear(self, graph: str | None) -> bool:
        self._check_writable()
        if graph is None:
            return True  # the default graph holds nothing of its own
        existed = self.graph_exists(graph)
        self.post_update(f"DROP SILENT GRAPH {named_node(graph)}")
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
        if self.writable or (self.settings.kind == "oxigraph" and not self._uploading):
            return [("union-default-graph", "")] if union and self.settings.kind == "oxigraph" else []
        graphs = self._graphs or [CONTROL_GRAPH + ":none"]  # nothing published: an empty dataset
        return ([("default-graph-uri", g) for g in graphs] if union else []) + [("named-graph-uri", g) for g in graphs]

    def _select(self, params: list[tuple[str, str]]) -> QueryResult:
        return run_query(self.settings, params)

    def _await_switch(self) -> None:
        """While a build switches readers graph by graph (on a server whose update requests are
        not transactions, such as Virtuoso: :mod:`plankg.store.remote_publish`), wait until it is
        done, within the caller's deadline, rather than read a graph half moved."""
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

    def post_update(self, text: str) -> None:
        post_update(self.settings, text)

    def _check_writable(self) -> None:
        if not self.writable:
            raise StoreError(f"the store at {self.settings.query_url} was opened read-only")


def run_query(settings: RemoteSettings, params: list[tuple[str, str]]) -> QueryResult:
    """POST a query (form-encoded) and read its result as pyoxigraph objects: SELECT and ASK
    stream from the response; CONSTRUCT and DESCRIBE are read whole into memory."""
    seconds = remaining(settings.timeout_s)
    if settings.kind == "virtuoso":
        params = [*params, ("timeout", str(max(1, int(seconds * 1000))))]  # milliseconds
    request = httpx.Request("POST", settings.query_url, data=_form(params), headers={"Accept": _ACCEPT})
    response = send(request, idempotent=True, seconds=seconds, stream=True)
    streaming = False
    try:
        if response.status_code >= 400:
            response.read()
            raise _http_error(settings, response, "query")
        _check_complete(settings, response)
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "application/sparql-results+json" and settings.kind == "virtuoso" and _is_ask(params):
            return _virtuoso_ask(response.read())
        if media in _RESULT_TYPES:
            rewrite = _VIRTUOSO_BNODE if settings.kind == "virtuoso" and media.endswith("json") else None
            result = parse_query_results(io.BufferedReader(_Body(response, rewrite)), _RESULT_TYPES[media])
            streaming = True  # the body is read as the rows are: _Body closes the response
            return result
        fmt = RdfFormat.from_media_type(media) or (RdfFormat.N_TRIPLES if media == "text/plain" else None)
        if fmt is None:
            raise QueryError(f"{settings.describe()} answered with {media or 'no content type'}, "
                             "which is neither SPARQL results nor RDF")
        graph = Store()
        graph.bulk_extend(parse(response.read(), fmt))
        return graph.query("CONSTRUCT WHERE { ?s ?p ?o }")
    except SyntaxError as e:
        raise StoreError(f"{settings.describe()} sent a result that cannot be read: {e}") from None
    except httpx.HTTPError as e:
        raise StoreError(f"{settings.describe()}: {describe_error(e)}") from None
    finally:
        if not streaming:
            response.close()


def _is_ask(params: list[tuple[str, str]]) -> bool:
    from plankg.sparql import query_form

    return (query_form(next(v for k, v in params if k == "query")) or "").upper() == "ASK"


def _virtuoso_ask(body: bytes) -> QueryResult:
    """Virtuoso answers ASK in JSON as a one-row SELECT of ``__ASK_RETVAL`` (1 or 0)."""
    try:
        data = json.loads(body)
        value = data["boolean"] if "boolean" in data else \
            data["results"]["bindings"][0]["__ASK_RETVAL"]["value"] in ("1", "true")
    except (ValueError, KeyError, IndexError, TypeError):
        raise StoreError(f"Virtuoso's answer to an ASK query cannot be read: {body[:200]!r}") from None
    return parse_query_results(json.dumps({"head": {}, "boolean": bool(value)}), QueryResultsFormat.JSON)


def post_update(settings: RemoteSettings, text: str) -> None:
    """Run a SPARQL update (never retried); QueryError if the server refuses it."""
    request = httpx.Request("POST", settings.update_url, content=text.encode("utf-8"),
                            headers={"Content-Type": "application/sparql-update; charset=utf-8"})
    response = send(request, idempotent=False, seconds=remaining(settings.timeout_s), auth=settings.credentials())
    if response.status_code >= 400:
        raise _http_error(settings, response, "update")


def read_control(settings: RemoteSettings) -> dict[str, Any]:
    """The control record: ``build`` (name), ``graphs`` (the published IRIs), ``info``
    (BUILD.json), ``staging`` (graphs a build is uploading or a killed one left), ``building`` and
    ``switching`` (the builds uploading, and switching readers graph by graph) and ``uploading``
    (whether a build is uploading or left staging graphs)."""
    query = f"SELECT ?p ?o WHERE {{ {control_data(settings, f'<{CONTROL_GRAPH}> ?p ?o')} }}"
    rows = run_query(settings, [("query", query), *control_dataset(settings)])
    out: dict[str, Any] = {"graphs": [], "staging": [], "building": [], "switching": []}
    for row in rows:
        name, value = row["p"].value.removeprefix(CONTROL), row["o"].value
        if name in ("staging", "building", "switching"):
            out[name].append(value)
        elif name in ("info", "graphs"):
            try:
                out[name] = json.loads(value)
            except ValueError:
                raise StoreError(f"{settings.describe()}: the control record's {name} is not JSON") from None
        elif name == "build":
            out[name] = value
    out["uploading"] = bool(out["staging"] or out["building"])
    return out


def control_data(settings: RemoteSettings, triples: str) -> str:
    """``triples`` (about the control node) placed where the control record lives: in the graph
    ``urn:plankg:control``; on Oxigraph server in its default graph, so that its own union can
    serve the published graphs (the record's three triples are then part of that union: a query
    for every triple sees them; GRAPH never does)."""
    return triples if settings.kind == "oxigraph" else f"GRAPH <{CONTROL_GRAPH}> {{ {triples} }}"


def control_dataset(settings: RemoteSettings) -> list[tuple[str, str]]:
    """The dataset parameters of a query of the control record."""
    return [] if settings.kind == "oxigraph" else [("named-graph-uri", CONTROL_GRAPH)]


def _check_complete(settings: RemoteSettings, response: httpx.Response) -> None:
    """Refuse a result the server says it cut (Virtuoso: ``X-SPARQL-MaxRows``; a partial
    "anytime" answer: ``X-SQL-State``)."""
    max_rows = response.headers.get("x-sparql-maxrows")
    if max_rows:
        response.close()
        raise ResultTruncated(f"{settings.describe()} returned only its maximum of {max_rows} rows (its result-set "
                              "limit, e.g. Virtuoso's ResultSetMaxRows): add LIMIT and OFFSET to read the result in parts")
    if response.headers.get("x-sql-state") or response.headers.get("x-sparql-anytime"):
        response.close()
        raise QueryError(f"{settings.describe()} stopped the query at its time limit and sent a partial result")


def _http_error(settings: RemoteSettings, response: httpx.Response, what: str) -> Exception:
    body = response.text.strip().replace("\r", "")
    brief = body[:400] + ("…" if len(body) > 400 else "")
    if response.status_code in (401, 403):
        return StoreError(f"{settings.describe()} refused the {what} ({response.status_code}): "
                          "check PLANKG_STORE_USER and the password")
    if response.status_code >= 500 and not _looks_like_syntax(brief):
        return StoreError(f"{settings.describe()} failed the {what} ({response.status_code}): {brief}")
    return QueryError(f"invalid SPARQL ({settings.kind} server, {response.status_code}): {brief}")


def _looks_like_syntax(text: str) -> bool:
    """Virtuoso answers a syntax error with a 400 or a 500 whose text says SP030/37000."""
    return "SP030" in text or "37000" in text or "syntax error" in text.lower()


def _prologue(base_iri: str | None, prefixes: Mapping[str, str] | None) -> str:
    """BASE and PREFIX declarations before the text (its own, later ones, win)."""
    parts = [f"BASE {named_node(base_iri)}"] if base_iri else []
    parts += [f"PREFIX {name}: <{iri}>" for name, iri in (prefixes or {}).items()]
    return " ".join(parts) + (" " if parts else "")


def _form(params: list[tuple[str, str]]) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    for name, value in params:
        form.setdefault(name, []).append(value)
    return form


_VIRTUOSO_BNODE = (b'"type": "bnode", "value": "nodeID://', b'"type": "bnode", "value": "')
"""Virtuoso names blank nodes ``nodeID://b10000`` in JSON results, which is no blank node label."""


class _Body(io.RawIOBase):
    """A streamed response body as the binary file pyoxigraph's result parser reads, with
    ``rewrite`` (old, new) replaced throughout; closes the response at its end (or when dropped)."""

    def __init__(self, response: httpx.Response, rewrite: tuple[bytes, bytes] | None = None):
        self._response = response
        chunks = response.iter_raw(64 * 1024) if not response.headers.get("content-encoding") \
            else response.iter_bytes(64 * 1024)
        self._chunks = _rewritten(chunks, *rewrite) if rewrite else chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                self._response.close()
                return 0
            except httpx.HTTPError as e:
                self._response.close()
                raise OSError(f"the SPARQL server's answer broke off: {describe_error(e)}") from None
        n = min(len(buffer), len(self._pending))
        buffer[:n], self._pending = self._pending[:n], self._pending[n:]
        return n

    def close(self) -> None:
        self._response.close()
        super().close()


def _rewritten(chunks, old: bytes, new: bytes):
    """``chunks`` with ``old`` replaced by ``new``, also where it spans two chunks."""
    carry = b""
    keep = len(old) - 1
    for chunk in chunks:
        data = (carry + chunk).replace(old, new)
        carry = data[len(data) - keep:] if len(data) > keep else data
        if len(data) > keep:
            yield data[:len(data) - keep]
    if carry:
        yield carry.replace(old, new)
