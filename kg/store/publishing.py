"""Atomic publication of a pyoxigraph store: build beside, then switch a symlink.

Layout, for a store path ``P`` chosen by the caller (the CLI resolves ``--store``)::

    P            -> P.builds/<name>     symlink to the current build (relative target)
    P.builds/    one directory per build: a RocksDB store plus BUILD.json
    P.lock       held with an exclusive ``flock`` while a publish runs

A publish

1. takes the lock (a second publisher fails fast with :class:`StoreError`);
2. deletes the builds that are neither current nor previous (older builds and leftovers of
   killed or failed publishes) and stale temporary symlinks;
3. bulk-loads every graph into a FRESH ``P.builds/<name>`` (N-Quads of many graphs at once, or
   N-Triples graph by graph), optimizes it and closes it; with :func:`publishing`, the caller
   loads (and may compute the rest meanwhile). Or, when the caller gives each graph's digest
   (:meth:`Publication.reuse`) and few graphs changed, ``P.builds/<name>`` starts as a copy of the
   current build's store (a RocksDB checkpoint through a read-only handle: hard links to files
   RocksDB never modifies), the changed and removed graphs are dropped from the copy and the
   changed and new ones loaded (:mod:`plankg.store.reuse`);
4. writes the extra files (e.g. ``dumps/plankg.nq.gz``), then ``BUILD.json``, and fsyncs the build;
5. creates a new symlink beside ``P`` and ``os.replace``-s it over ``P`` (an atomic rename on
   POSIX), then fsyncs the parent directory.

Nothing touches the published build before step 5, so a failure (or SIGKILL) at any point
leaves ``P`` readable with its old content. The previous build is kept, so a reader that
opened it before the switch keeps working until the publish after next deletes it; the
server should reopen when ``P`` points elsewhere (:meth:`OxigraphStore.is_current`).

Blank node labels are shared by the whole dataset: ``_:b1`` in two graphs is one node.
The build must give distinct labels to distinct nodes (rdflib's generated labels are).

pyoxigraph 0.5 ``Store`` has no ``close()``: RocksDB closes when the last reference to the
handle (including live query results) goes. The writer (:class:`plankg.store.builddir.StoreWriter`)
holds the only handle and drops it when the build is finished or discarded, which closes it (no
``gc.collect`` needed: pyo3 objects are freed by reference counting; a test re-opens the build
read-write to prove it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from plankg.errors import StoreError
from plankg.store import reuse
from plankg.store.builddir import (
    BUILD_INFO,
    NTriples,
    StoreWriter,
    Writer,
    build_info,
    file_in,
    extra_path,
    write_build_info,
    write_extra_files,
)
from plankg.store.layout import (
    BUILD_NAME,
    Layout,
    collect_garbage,
    current_build,
    discarded_on_failure,
    exclusive_lock,
    new_build_dir,
    previous_of,
    switch,
)


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish` did."""

    path: Path
    build_dir: Path
    previous: Path | None
    graphs: Mapping[str, int]
    triples: int
    seconds: float
    removed: tuple[Path, ...] = field(default=())


def publish(
    path: str | os.PathLike[str],
    graphs: Iterable[tuple[str, NTriples]],
    *,
    quads: bytes = b"",
    metadata: Mapping[str, Any] | None = None,
    extra_files: Mapping[str, bytes] | None = None,
) -> PublishResult:
    """Replace the store at ``path`` atomically by the given named graphs.

    ``graphs`` yields ``(named-graph IRI, N-Triples)`` pairs; each IRI may appear once, and
    the store's default graph stays empty. ``quads`` is N-Quads of more named graphs (a graph is
    given there or in ``graphs``), loaded first in one bulk load, which is faster than one for
    each graph. ``metadata`` (JSON-serialisable) is recorded in
    ``BUILD.json``. ``extra_files`` maps relative POSIX paths (in a subfolder, e.g.
    ``dumps/plankg.nq.gz``) to their content, written into the build directory before the
    switch, so they change atomically with the store. Raises :class:`StoreError` if another
    publish is running, if an extra file's path is not a plain relative path, if ``path`` is
    something publish did not create, if a graph cannot be loaded (the message names the
    graph), or if the file system refuses (no such directory, no permission, no space); in
    every failure case the published store is unchanged.
    """
    files = dict(extra_files or {})
    for name in files:
        extra_path(name)  # refused before anything is touched
    with publishing(path) as publication:
        publication.load(graphs, quads)
        publication.add_files(files)
        publication.metadata.update(metadata or {})
    assert publication.result is not None
    return publication.result


class Publication:
    """A build being made by :func:`publishing`: graphs to load into its fresh store (from any
    one thread at a time, e.g. a worker while the caller computes the rest), files and metadata
    to add. ``result`` is set once the build is switched in."""

    def __init__(self, build_dir: Path, writer: Writer, current: Path | None = None) -> None:
        self.build_dir = build_dir
        self.metadata: dict[str, Any] = {}  # recorded in BUILD.json
        self.digests: dict[str, str] = {}  # graph IRI -> digest of its N-Triples, recorded in BUILD.json
        self.result: PublishResult | None = None
        self._writer = writer
        self._current = current
        self._files: dict[PurePosixPath, bytes] = {}

    @property
    def current(self) -> Path | None:
        """The build directory published when this build began (its files: dumps, BUILD.json), if any."""
        return self._current

    def reuse(self, digests: Mapping[str, str | None], triples: Mapping[str, int]) -> set[str]:
        """Which of the graphs ``digests`` (IRI → digest of its N-Triples, None where it is not
        known yet: loaded anyway) to load: those that changed or are new, if this build can start
        from a copy of the current build (:mod:`plankg.store.reuse`), else all. ``triples``: their
        triples (IRI → count). Call it once, before loading; the graphs of the current build that
        are not kept are not in this build unless loaded. Records the digests and what was reused
        (BUILD.json ``digests`` and ``load``)."""
        self.digests.update({g: d for g, d in digests.items() if d is not None})
        start_from = getattr(self._writer, "start_from", None)
        if start_from is None:
            record, why_not = None, "the store's writer loads every graph"
        elif hasattr(self._writer, "published"):  # a server's: the build its readers see
            record, why_not = reuse.published_record(self._writer.published)
        else:
            record, why_not = reuse.build_record(self._current)
        plan, summary = reuse.plan(record, why_not, digests, triples)
        self.metadata["load"] = summary
        if plan is None:
            return set(digests)
        changed = start_from(self._current, plan.drop, plan.kept, sorted(plan.load)) or set()  # found changed after all
        summary.update(reused=summary["reused"] - len(changed), reloaded=summary["reloaded"] + len(changed))
        if changed:
            summary["changed"] = sorted({*summary["changed"], *changed})
        return plan.load | changed

    def load(self, graphs: Iterable[tuple[str, NTriples]] = (), quads: bytes = b"") -> None:
        """Bulk-load ``quads`` (N-Quads of named graphs, at once), then each of ``graphs`` (as in :func:`publish`)."""
        self._writer.load(graphs, quads)

    def add_files(self, files: Mapping[str, bytes]) -> None:
        """Files to write into the build directory (as ``extra_files`` of :func:`publish`)."""
        self._files.update({extra_path(name): data for name, data in files.items()})


@contextmanager
def publishing(path: str | os.PathLike[str], writer: Callable[[Path], Writer] | None = None) -> Iterator[Publication]:
    """Replace the store at ``path`` atomically by what the body loads into the :class:`Publication`
    it is given, as :func:`publish` does (the lock is held from the start). If the body raises,
    the build is discarded and the published store is unchanged.

    ``writer(build_dir)`` makes what the graphs are loaded into: by default a RocksDB store in the
    build directory (:class:`StoreWriter`); a remote store's writer
    (:class:`plankg.store.remote_publish.RemoteWriter`) uploads them to its server, and its
    ``commit`` switches the server's readers just before the local switch."""
    started = time.perf_counter()
    layout = Layout(Path(os.path.abspath(path)))
    try:
        layout.path.parent.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(layout.lock):
            current = current_build(layout)
            build_dir = new_build_dir(layout)
            with discarded_on_failure(build_dir):
                publication = Publication(build_dir, (writer or StoreWriter)(build_dir), current)
                remote_current = getattr(publication._writer, "current", None)  # the build a server's readers see
                keep = {current, previous_of(current), build_dir, layout.builds / remote_current if remote_current else None}
                removed = collect_garbage(layout, keep=keep)
                try:
                    yield publication
                    counts = publication._writer.close()
                    write_extra_files(build_dir, publication._files)
                    info = build_info(build_dir, counts, current, publication.metadata, time.perf_counter() - started,
                                      publication.digests, getattr(publication._writer, "record", None))
                    write_build_info(build_dir, info)
                    publication._writer.commit(info)
                except BaseException:
                    publication._writer.discard()
                    raise
            switch(layout, build_dir)  # a failure before the rename leaves garbage for next time
    except OSError as e:
        raise StoreError(f"cannot publish the store at {layout.path}: {e}") from None
    publication.result = PublishResult(
        path=layout.path,
        build_dir=build_dir,
        previous=current,
        graphs=counts,
        triples=info["triples"],
        seconds=time.perf_counter() - started,
        removed=removed,
    )


def build_file_of(path: str | os.PathLike[str], build: str, name: str) -> Path | None:
    """The file ``name`` of the build ``build`` of the store at ``path`` (a remote store's
    builds keep their files in this layout), if there is one."""
    if not BUILD_NAME.match(build):
        return None
    return file_in(Layout(Path(os.path.abspath(path))).builds / build, name)


__all__ = ["BUILD_INFO", "BUILD_NAME", "NTriples", "Publication", "PublishResult", "build_file_of", "publish",
           "publishing"]
