"""The store the executor runs on (:class:`Stores`), and the jobs that write a store's answer
as a response body.

Everything here runs on an engine thread (:mod:`plankg.server.engine.jobs`) except :class:`Stores`, which the
request thread asks for the current store. pyoxigraph's exceptions become the executor's by
:func:`translate`. The store is reached only through :class:`plankg.store.GraphStore`.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from plankg.errors import PlanKGError, QueryError, StoreError
from plankg.namespaces import PREFIXES
from plankg.server.engine.jobs import ChunkWriter
from plankg.server.engine.queryerrors import QueryFailed, QuerySyntaxError, UnsupportedFormat
from plankg.store import GraphStore, OxigraphStore, open_store

log = logging.getLogger("plankg.server")

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
        self.store = open_store(path, writable=True) if read_write else self._open()
        self._opened = _identity(self.store.build_dir)
        self._announce()

    def current(self) -> OxigraphStore:
        if not self.read_write and _identity(self.path) != self._opened:  # re-published
            self._reopen()
        return self.store

    def writable(self) -> GraphStore:
        assert self.read_write, "writable() on a read-only executor"
        return self.store

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
        log.info("serving %s from %s", self.store.build_id, where)

    def _open(self) -> OxigraphStore:
        return open_store(self.path, memory_max_quads=self.memory_max_quads)


def run_query(store: GraphStore, query: str, media_type: str, options: dict[str, Any], out: ChunkWriter) -> None:
    """``options``: those of :meth:`GraphStore.query` (the dataset, ``base_iri``, ``prefixes``)."""
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


def dump(store: GraphStore, graph: str | None, fmt: ox.RdfFormat, out: ChunkWriter) -> None:
    out.kind, out.media_type = "graph", fmt.media_type
    store.dump(out, fmt, graph)


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
