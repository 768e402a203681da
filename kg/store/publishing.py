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
   loads (and may compute the rest meanwhile);
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

import fcntl
import glob
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from plankg.errors import StoreError
from plankg.store.builddir import (
    BUILD_INFO,
    NTriples,
    StoreWriter,
    Writer,
    build_info,
    file_in,
    extra_path,
    fsync_path,
    write_build_info,
    write_extra_files,
)

BUILDS_SUFFIX = ".builds"
LOCK_SUFFIX = ".lock"
TMP_LINK_INFIX = ".tmp-"
BUILD_NAME = re.compile(r"^\d{8}T\d{12}Z-\d+$")  # 20261125T130501123456Z-4242
_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"



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


@dataclass(frozen=True)
class _Layout:
    """The paths that belong to the store path ``path``."""

    path: Path

    @property
    def builds(self) -> Path:
        return self.path.with_name(self.path.name + BUILDS_SUFFIX)

    @property
    def lock(self) -> Path:
        return self.path.with_name(self.path.name + LOCK_SUFFIX)

    def tmp_link(self) -> Path:
        return self.path.with_name(f"{self.path.name}{TMP_LINK_INFIX}{os.getpid()}")

    def stale_tmp_links(self) -> list[Path]:
        pattern = glob.escape(self.path.name) + TMP_LINK_INFIX + "*"
        return [p for p in self.path.parent.glob(pattern) if p.is_symlink()]


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

    def __init__(self, build_dir: Path, writer: Writer) -> None:
        self.build_dir = build_dir
        self.metadata: dict[str, Any] = {}  # recorded in BUILD.json
        self.result: PublishResult | None = None
        self._writer = writer
        self._files: dict[PurePosixPath, bytes] = {}

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
    layout = _Layout(Path(os.path.abspath(path)))
    try:
        layout.path.parent.mkdir(parents=True, exist_ok=True)
        with _exclusive_lock(layout.lock):
            current = _current_build(layout)
            build_dir = _new_build_dir(layout)
            with _discarded_on_failure(build_dir):
                publication = Publication(build_dir, (writer or StoreWriter)(build_dir))
                remote_current = getattr(publication._writer, "current", None)  # the build a server's readers see
                keep = {current, _previous_of(current), build_dir, layout.builds / remote_current if remote_current else None}
                removed = _collect_garbage(layout, keep=keep)
                try:
                    yield publication
                    counts = publication._writer.close()
                    write_extra_files(build_dir, publication._files)
                    info = build_info(build_dir, counts, current, publication.metadata, time.perf_counter() - started)
                    write_build_info(build_dir, info)
                    publication._writer.commit(info)
                except BaseException:
                    publication._writer.discard()
                    raise
            _switch(layout, build_dir)  # a failure before the rename leaves garbage for next time
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
    return file_in(_Layout(Path(os.path.abspath(path))).builds / build, name)


@contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking ``flock`` on ``lock_path`` (released on exit or death)."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise StoreError(
                f"another build is running (pid {holder} holds {lock_path}); "
                "wait for it to finish and try again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)


def _current_build(layout: _Layout) -> Path | None:
    """The build ``layout.path`` points to, or None; refuse anything publish did not create."""
    path = layout.path
    if not os.path.lexists(path):
        return None
    if not path.is_symlink():
        raise StoreError(
            f"{path} exists and was not created by plankg (it is not a symlink into "
            f"{layout.builds}); refusing to replace it: move it away or choose another store path"
        )
    target = Path(os.path.normpath(path.parent / os.readlink(path)))
    if target.parent.resolve() != layout.builds.resolve() or not BUILD_NAME.match(target.name):
        raise StoreError(
            f"{path} is a symlink to {target}, not to a build in {layout.builds}; "
            "refusing to replace it: move it away or choose another store path"
        )
    return layout.builds / target.name


def _previous_of(build: Path | None) -> Path | None:
    """The build that was current before ``build``, as recorded in its BUILD.json."""
    if build is None:
        return None
    try:
        info = json.loads((build / BUILD_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or unreadable: no previous build to keep
        return None
    name = info.get("previous") if isinstance(info, dict) else None
    return build.parent / name if isinstance(name, str) and BUILD_NAME.match(name) else None


def _collect_garbage(layout: _Layout, keep: set[Path | None]) -> tuple[Path, ...]:
    """Delete builds other than ``keep`` and stale temporary symlinks; return what went."""
    removed: list[Path] = []
    for link in layout.stale_tmp_links():
        link.unlink(missing_ok=True)
        removed.append(link)
    if not layout.builds.is_dir():
        return tuple(removed)
    keep_names = {p.name for p in keep if p is not None}
    for entry in sorted(layout.builds.iterdir()):
        if BUILD_NAME.match(entry.name) and entry.name not in keep_names:
            shutil.rmtree(entry, ignore_errors=True)  # best effort: retried next publish
            if not entry.exists():
                removed.append(entry)
    return tuple(removed)


def _new_build_dir(layout: _Layout) -> Path:
    """Create an empty, uniquely named build directory in ``layout.builds``."""
    layout.builds.mkdir(exist_ok=True)
    name = f"{datetime.now(timezone.utc).strftime(_TIME_FORMAT)}-{os.getpid()}"
    build_dir = layout.builds / name
    build_dir.mkdir()
    return build_dir


@contextmanager
def _discarded_on_failure(build_dir: Path) -> Iterator[None]:
    """Delete ``build_dir`` unless the body completes (the next publish retries if this fails)."""
    finished = False
    try:
        yield
        finished = True
    finally:
        if not finished:
            shutil.rmtree(build_dir, ignore_errors=True)


def _switch(layout: _Layout, build_dir: Path) -> None:
    """Point ``layout.path`` at ``build_dir`` with one atomic rename, then make it durable."""
    tmp = layout.tmp_link()
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build_dir, layout.path.parent), tmp)
    os.replace(tmp, layout.path)
    fsync_path(layout.path.parent, os.O_RDONLY | os.O_DIRECTORY)
