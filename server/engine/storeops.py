"""The store operations the executor runs as jobs, and the store they run on.

Everything here runs on an engine thread (:mod:`plankg.server.engine.jobs`) except :class:`Stores`, which the
request thread asks for the current store. pyoxigraph's exceptions become the executor's by
:func:`translate`.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from plankg.errors import PlanKGError, QueryError, StoreError
from plankg.namespaces import PREFIXES
from plankg.server.engine.jobs import ChunkWriter
from plankg.server.engine.queryerrors import QueryFailed, QuerySyntaxError, UnsupportedFormat
from plankg.store import ROCKSDB_MARKER, OxigraphStore, open_store

log = logging.getLogger("plankg.server")

TMP_GRAPH_PREFIX = "urn:plankg:upload:"  # graphs a replacing load stages into
KINDS = {ox.QueryBoolean: "boolean", ox.QuerySolutions: "solutions", ox.QueryTriples: "graph"}


class Stores:
    """The store at ``path``. Read-only: the build ``path`` points to, copied into memory if
    it has at most ``memory_max_quads`` quads, reopened when a new build is published (one
    ``stat`` per request; a failed reopen keeps the old snapshot). Read-write: opened once, for
    writing, on disk; the process must be the store's only writer."""

    def __init__(self, path: str, read_write: bool, memory_max_quads: int = 0):
        self.path = path
        self.read_write = read_write
        self.memory_max_quads = memory_max_quads
        self._lock = threading.Lock()
        self.reopen_error = ""
        self.raw: ox.Store | None = None
        if read_write:
            build = Path(os.path.realpath(path))
            if not (build / ROCKSDB_MARKER).is_file():  # pyoxigraph.Store would create one
                raise StoreError(f"no plankg store at {path}; run `plankg build` to create it")
            try:
                self.raw = ox.Store(str(build))
            except (OSError, RuntimeError) as e:
                raise StoreError(f"the store {path} cannot be opened for writing: {e}") from None
            self.store = OxigraphStore(self.raw, Path(path), build)
            for graph in list(self.raw.named_graphs()):  # left by a replacing load that was killed
                if isinstance(graph, ox.NamedNode) and graph.value.startswith(TMP_GRAPH_PREFIX):
                    self.raw.remove_graph(graph)
        else:
            self.store = self._open()
        self._opened = _identity(self.store.build_dir)
        self._announce()

    def current(self) -> OxigraphStore:
        if not self.read_write and _identity(self.path) != self._opened:  # re-published
            self._reopen()
        return self.store

    def writable(self) -> ox.Store:
        assert self.raw is not None, "writable() on a read-only executor"
        return self.raw

    def _reopen(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # another request thread is opening the new build: answer from the old one
        try:
            if _identity(self.path) == self._opened:
                return  # another request thread did it
            try:
                store = self._open()
            except StoreError as e:
                if str(e) != self.reopen_error:  # once, not on every request
                    log.warning("keeping the old store: %s", e)
                self.reopen_error = str(e)
                return
            self.store, self._opened = store, _identity(store.build_dir)
            self._announce()
        finally:
            self._lock.release()

    def _announce(self) -> None:
        where = "memory" if self.store.in_memory else "disk, read-write" if self.read_write else "disk"
        log.info("serving %s from %s", self.store.build_dir.name, where)

    def _open(self) -> OxigraphStore:
        return open_store(self.path, memory_max_quads=self.memory_max_quads)


def run_query(store: OxigraphStore, query: str, media_type: str, options: dict[str, Any], out: ChunkWriter) -> None:
    """``options``: those of :meth:`OxigraphStore.query` (the dataset, ``base_iri``, ``prefixes``)."""
    result = store.query(query, **options)
    out.kind = KINDS[type(result)]
    if isinstance(result, ox.QueryTriples):
        fmt = _rdf_format(media_type)
        out.media_type = fmt.media_type
        ox.serialize(result, out, fmt, prefixes=PREFIXES)
        return
    fmt = ox.QueryResultsFormat.from_media_type(media_type)
    if fmt is None:
        raise UnsupportedFormat(f"a {out.kind} result cannot be written as {media_type}")
    out.media_type = fmt.media_type
    result.serialize(out, fmt)


def dump(store: OxigraphStore, graph: str | None, fmt: ox.RdfFormat, out: ChunkWriter) -> None:
    out.kind, out.media_type = "graph", fmt.media_type
    store.dump(out, fmt, graph)


def graph_exists(store: OxigraphStore, graph: str | None) -> bool:
    return graph is None or graph in store.graphs()


def update(raw: ox.Store, text: str, base_iri: str | None = None, prefixes: Mapping[str, str] | None = None) -> None:
    raw.update(text, base_iri=base_iri, prefixes=prefixes)


def load(raw: ox.Store, data: bytes | BinaryIO, fmt: ox.RdfFormat, graph: str | None, replace: bool) -> None:
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    if not replace:
        raw.load(data, fmt, to_graph=target)
        return
    staging = ox.NamedNode(TMP_GRAPH_PREFIX + uuid.uuid4().hex)
    raw.load(data, fmt, to_graph=staging)  # a syntax error leaves the graph alone
    dest = f"GRAPH <{graph}>" if graph else "DEFAULT"
    create = f" ; CREATE SILENT GRAPH <{graph}>" if graph else ""
    raw.update(f"MOVE SILENT GRAPH <{staging.value}> TO {dest}{create}")  # one transaction


def clear(raw: ox.Store, graph: str | None) -> bool:
    if graph is None:
        raw.clear_graph(ox.DefaultGraph())
        return True
    node = ox.NamedNode(graph)
    existed = raw.contains_named_graph(node)
    if existed:
        raw.remove_graph(node)
    return existed


def translate(error: BaseException) -> BaseException:
    """The executor's exception for one raised by a job (others are passed on unchanged)."""
    if isinstance(error, PlanKGError) and type(error) is not QueryError:
        return error
    if isinstance(error, (SyntaxError, QueryError)):  # QueryError: OxigraphStore's "invalid SPARQL"
        return QuerySyntaxError(str(error))
    if isinstance(error, (OSError, RuntimeError, ValueError)):  # pyoxigraph's evaluation and I/O errors
        return QueryFailed(str(error))
    return error


def _rdf_format(media_type: str) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt is None:
        raise UnsupportedFormat(f"an RDF graph cannot be written or read as {media_type}")
    return fmt


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the directory ``path`` resolves to: one ``stat``."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino
