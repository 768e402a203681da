"""Publishing a build to a remote SPARQL server, atomically per graph: :class:`RemoteWriter`.

:func:`plankg.store.publishing.publishing` drives it as it drives the embedded store's writer
(the local lock, the build's files and BUILD.json stay in the local layout it keeps):

1. every graph is uploaded into a fresh *staging* graph ``urn:plankg:staging:<build>:<n>``
   (Graph Store PUT, or SPARQL Update ``INSERT DATA`` where the server has no graph store); the
   control graph records each staging graph before its upload, so a killed build's leftovers are
   dropped by the next one;
2. :meth:`RemoteWriter.close` checks that the server holds every staging graph whole (its triple
   count), which is the upload's validation (the graphs were validated against the shapes before);
3. :meth:`RemoteWriter.commit` switches readers in ONE SPARQL Update request: ``MOVE`` each
   staging graph over its graph, ``DROP`` the graphs the new build no longer has, and rewrite the
   control graph (build name, graph list, BUILD.json). Readers of :class:`~plankg.store.remote.RemoteStore`
   query only the graphs the control graph lists, so staging graphs are never part of their
   dataset.

What "atomic" means then depends on the server (docs/deploy.md has the measurements): Oxigraph
server runs one update request as one transaction, so readers see the whole old build or the whole
new one; on Virtuoso each graph's MOVE is seen whole (a reader never sees a half-loaded graph),
and the request's operations commit together. A failure or kill before the commit leaves what
readers see unchanged; the staging graphs are dropped then (or by the next build).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from pyoxigraph import RdfFormat, parse, serialize

from plankg.errors import StoreError
from plankg.store.builddir import NTriples
from plankg.store.graphstore import remaining
from plankg.store.remote import CHECK_INTERVAL_S
from plankg.store.remote_control import CONTROL, CONTROL_GRAPH, RESERVED_PREFIX, control_data, read_control
from plankg.store.remote_protocol import http_error, post_update, run_query
from plankg.store.remote_http import RemoteSettings, send

STAGING_PREFIX = RESERVED_PREFIX + "staging:"
INSERT_CHUNK_TRIPLES = 20_000  # triples per INSERT DATA request where there is no graph store
SWITCH_WAIT_S = 2 * CHECK_INTERVAL_S + 1.0  # from "switching" to the first MOVE where a request is no transaction


def upload(settings: RemoteSettings, graph: str, body: bytes, fmt: RdfFormat, *, replace: bool) -> None:
    """Put ``body`` into ``graph`` (``replace``: in place of its content): a Graph Store PUT or
    POST, else ``INSERT DATA`` in parts (a replacing one drops the graph first; a graph with blank
    nodes goes in one request, so that their labels keep meaning one node each)."""
    if settings.gsp_url:
        request = httpx.Request("PUT" if replace else "POST", settings.gsp_url, params={"graph": graph},
                                content=body, headers={"Content-Type": _upload_type(settings, fmt)})
        response = send(request, idempotent=False, seconds=remaining(settings.timeout_s), auth=settings.credentials())
        if response.status_code >= 400:
            raise http_error(settings, response, f"upload of <{graph}>")
        return
    lines = serialize(parse(body, fmt), format=RdfFormat.N_TRIPLES).decode("utf-8").splitlines()
    step = (len(lines) or 1) if any("_:" in line for line in lines) else INSERT_CHUNK_TRIPLES
    first = f"DROP SILENT GRAPH <{graph}> ;\n" if replace else ""
    for i in range(0, max(len(lines), 1), step):
        part = "\n".join(lines[i:i + step])
        post_update(settings, (first if i == 0 else "") + f"INSERT DATA {{ GRAPH <{graph}> {{\n{part}\n}} }}")


def _upload_type(settings: RemoteSettings, fmt: RdfFormat) -> str:
    """Virtuoso reads N-Triples sent as Turtle (which N-Triples is a subset of) most reliably."""
    if settings.kind == "virtuoso" and fmt == RdfFormat.N_TRIPLES:
        return "text/turtle"
    return fmt.media_type


class RemoteWriter:
    """The writer of one build on a remote server (see the module text): :meth:`load`, then
    :meth:`close` and :meth:`commit`, or :meth:`discard`."""

    def __init__(self, settings: RemoteSettings, build: str):
        self.settings = settings
        self.build = build
        self._staged: dict[str, tuple[str, int]] = {}  # graph -> (its staging graph, its triples)
        self._kept: dict[str, int] = {}  # graphs the server keeps as they are (start_from) -> their triples
        self._tag = uuid.uuid4().hex[:8]
        control = read_control(settings)
        self.current = control.get("build")  # the build readers see now
        self.previous_graphs = list(control.get("graphs", ()))
        info = control.get("info") or {}  # its BUILD.json: the digests a build may start from
        self.published = info if isinstance(info, dict) and set(info.get("graphs", ())) <= set(self.previous_graphs) else {}
        self._drop_leftovers(control["staging"], control["building"])
        self._record(f"<{CONTROL}building> {_literal(build)}")
        if settings.kind == "oxigraph":  # readers leave the server's union for the published graphs' list
            time.sleep(CHECK_INTERVAL_S + 0.5)  # (remote.RemoteStore._dataset) before anything is staged

    def load(self, graphs: Iterable[tuple[str, NTriples]] = (), quads: bytes = b"") -> None:
        """Upload ``quads`` (N-Quads of named graphs) and each of ``graphs`` (IRI, N-Triples)."""
        if quads:
            by_graph: dict[str, list] = {}
            for quad in parse(quads, RdfFormat.N_QUADS):
                by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)
            for graph, triples in by_graph.items():
                self._stage(graph, serialize(triples, format=RdfFormat.N_TRIPLES), len(set(triples)))
        for graph, data in graphs:
            body = data if isinstance(data, bytes) else data.read()
            lines = {line for line in body.splitlines() if line.strip() and not line.startswith(b"#")}
            self._stage(graph, body, len(lines))

    def start_from(self, base_dir: object, drop: Iterable[str], kept: Mapping[str, int], load: Iterable[str]) -> set[str]:
        """Keep the graphs ``kept`` (IRI → triples) of the build readers see (:attr:`published`) as
        they are on the server: only the graphs loaded after are uploaded and moved, and the
        published graphs neither kept nor loaded are dropped, at :meth:`commit`. (``base_dir``,
        ``drop`` and ``load``: as for the embedded store's writer; the server needs no copy.)

        A kept graph whose triples on the server are not as many as recorded (written to since,
        e.g. by ``plankg serve`` taking updates) is not kept: returns those, to be loaded too."""
        if self._staged:
            raise StoreError("a build can start from the published one only before anything is uploaded")
        query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        held = {row["g"].value: int(row["n"].value) for row in
                run_query(self.settings, [("query", query), *(("named-graph-uri", g) for g in kept)])} if kept else {}
        self._kept = {g: n for g, n in kept.items() if held.get(g, 0) == n}  # published graphs (self.published lists no others)
        return set(kept) - set(self._kept)

    def close(self) -> dict[str, int]:
        """Check that the server holds each staging graph whole; the triples of each graph."""
        if self._staged:
            staging = {stg: graph for graph, (stg, _) in self._staged.items()}
            query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
            held = {row["g"].value: int(row["n"].value) for row in
                    run_query(self.settings, [("query", query), *(("named-graph-uri", g) for g in staging)])}
            for stg, graph in staging.items():
                expected = self._staged[graph][1]
                if held.get(stg, 0) != expected:
                    raise StoreError(f"{self.settings.describe()} holds {held.get(stg, 0)} triples of the graph "
                                     f"<{graph}> after its upload, not {expected}: nothing was published")
        counts = {**self._kept, **{graph: n for graph, (_, n) in self._staged.items()}}
        return dict(sorted(counts.items()))

    def commit(self, info: dict[str, Any]) -> None:
        """Switch readers to this build (see the module text): on Oxigraph server in one update
        request, which is one transaction; elsewhere the request's graph operations are not one,
        so the control record says ``switching`` first and readers wait until it is rewritten."""
        ops = [f"DROP SILENT GRAPH <{g}>" for g in self.previous_graphs if g not in self._staged and g not in self._kept]
        for graph, (stg, n) in sorted(self._staged.items()):
            ops.append(f"MOVE SILENT GRAPH <{stg}> TO GRAPH <{graph}>" if n else f"DROP SILENT GRAPH <{graph}>")
        record = [f"<{CONTROL}build> {_literal(self.build)}", f"<{CONTROL}info> {_literal(json.dumps(info))}",
                  f"<{CONTROL}graphs> {_literal(json.dumps(sorted({*self._staged, *self._kept})))}"]
        ops.append(f"DELETE WHERE {{ {control_data(self.settings, f'<{CONTROL_GRAPH}> ?p ?o')} }}")
        ops.append(f"INSERT DATA {{ {control_data(self.settings, f'<{CONTROL_GRAPH}> ' + ' ; '.join(record))} }}")
        if self.settings.kind != "oxigraph":
            self._record(f"<{CONTROL}switching> {_literal(self.build)}")
            time.sleep(SWITCH_WAIT_S)  # every reader has looked at the record (CHECK_INTERVAL_S) and waits
        post_update(self.settings, " ;\n".join(ops))
        self._staged.clear()

    def discard(self) -> None:
        """Drop the staging graphs uploaded so far (best effort: the next build drops what is left)."""
        staged, self._staged = self._staged, {}
        try:
            self._drop([stg for stg, _ in staged.values()], [self.build])  # a `switching` mark stays (below)
        except StoreError:
            pass

    def _stage(self, graph: str, body: bytes, count: int) -> None:
        if graph in self._staged:
            raise StoreError(f"the graph <{graph}> is given twice")
        stg = f"{STAGING_PREFIX}{self.build}:{self._tag}:{len(self._staged)}"
        self._record(f"<{CONTROL}staging> <{stg}>")
        self._staged[graph] = (stg, count)
        if count:
            upload(self.settings, stg, body, RdfFormat.N_TRIPLES, replace=True)

    def _record(self, triples: str) -> None:
        post_update(self.settings, f"INSERT DATA {{ {control_data(self.settings, f'<{CONTROL_GRAPH}> {triples}')} }}")

    def _drop_leftovers(self, staging: list[str], building: list[str]) -> None:
        """Drop the staging graphs a killed or failed build left (the control record lists them).
        The mark of a switch that did not finish is not dropped: the graphs may be half moved, so
        readers keep waiting (and get 503) until a switch rewrites the whole record (:meth:`commit`)."""
        if staging or building:
            self._drop(staging, building)

    def _drop(self, staging: list[str], building: list[str]) -> None:
        ops = [f"DROP SILENT GRAPH <{g}>" for g in staging]
        marks = [f"<{CONTROL_GRAPH}> <{CONTROL}staging> <{g}> ." for g in staging]
        marks += [f"<{CONTROL_GRAPH}> <{CONTROL}building> {_literal(b)} ." for b in building]
        ops.append(f"DELETE DATA {{ {control_data(self.settings, ' '.join(marks))} }}")
        post_update(self.settings, " ;\n".join(ops))


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid SPARQL string literal
