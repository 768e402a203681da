"""Atomic publication of a pyoxigraph store: build beside, then switch a symlink.

Layout, for a store path ``P`` chosen by the caller (the CLI resolves ``--store``)::

    P            -> P.builds/<name>     symlink to the current build (relative target)
    P.builds/    one directory per build: a RocksDB store plus BUILD.json
    P.lock       held with an exclusive ``flock`` while a publish runs

A publish

1. takes the lock (a second publisher fails fast with :class:`StoreError`);
2. deletes the builds that are neither current nor previous (older builds and leftovers of
   killed or failed publishes) and stale temporary symlinks;
3. bulk-loads every graph into a FRESH ``P.builds/<name>``, optimizes it and closes it;
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
handle (including live query results) goes. The writer is a local of :func:`_load` whose
results are consumed there, so it is closed when :func:`_load` returns (no ``gc.collect``
needed: pyo3 objects are freed by reference counting; a test re-opens the build read-write
to prove it).
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from pyoxigraph import NamedNode, RdfFormat, Store
from pyoxigraph import __version__ as PYOXIGRAPH_VERSION

from plankg.errors import StoreError

BUILDS_SUFFIX = ".builds"
LOCK_SUFFIX = ".lock"
TMP_LINK_INFIX = ".tmp-"
BUILD_INFO = "BUILD.json"
BUILD_INFO_VERSION = 1
BUILD_NAME = re.compile(r"^\d{8}T\d{12}Z-\d+$")  # 20261125T130501123456Z-4242
_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
_GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"

NTriples = bytes | BinaryIO
"""One graph's content: N-Triples as bytes, or a binary file object reading N-Triples."""


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
    metadata: Mapping[str, Any] | None = None,
    extra_files: Mapping[str, bytes] | None = None,
) -> PublishResult:
    """Replace the store at ``path`` atomically by the given named graphs.

    ``graphs`` yields ``(named-graph IRI, N-Triples)`` pairs; each IRI may appear once, and
    the store's default graph stays empty. ``metadata`` (JSON-serialisable) is recorded in
    ``BUILD.json``. ``extra_files`` maps relative POSIX paths (in a subfolder, e.g.
    ``dumps/plankg.nq.gz``) to their content, written into the build directory before the
    switch, so they change atomically with the store. Raises :class:`StoreError` if another
    publish is running, if an extra file's path is not a plain relative path, if ``path`` is
    something publish did not create, if a graph cannot be loaded (the message names the
    graph), or if the file system refuses (no such directory, no permission, no space); in
    every failure case the published store is unchanged.
    """
    started = time.perf_counter()
    layout = _Layout(Path(os.path.abspath(path)))
    files = {_extra_path(name): data for name, data in (extra_files or {}).items()}
    try:
        layout.path.parent.mkdir(parents=True, exist_ok=True)
        with _exclusive_lock(layout.lock):
            current = _current_build(layout)
            removed = _collect_garbage(layout, keep={current, _previous_of(current)})
            build_dir = _new_build_dir(layout)
            with _discarded_on_failure(build_dir):
                counts = _load(build_dir, graphs)
                _write_extra_files(build_dir, files)
                info = _build_info(build_dir, counts, current, metadata, time.perf_counter() - started)
                _write_build_info(build_dir, info)
            _switch(layout, build_dir)  # a failure before the rename leaves garbage for next time
    except OSError as e:
        raise StoreError(f"cannot publish the store at {layout.path}: {e}") from None
    return PublishResult(
        path=layout.path,
        build_dir=build_dir,
        previous=current,
        graphs=counts,
        triples=info["triples"],
        seconds=time.perf_counter() - started,
        removed=removed,
    )


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


def _load(build_dir: Path, graphs: Iterable[tuple[str, NTriples]]) -> dict[str, int]:
    """Bulk-load ``graphs`` into a new store in ``build_dir``; return triples per graph.

    The store handle is dropped before returning, which closes RocksDB (no ``close()`` in
    pyoxigraph 0.5). On failure the handle lives on in the traceback's frames until the
    exception is gone; the directory is deleted meanwhile, which is harmless on POSIX.
    """
    store = Store(str(build_dir))
    try:
        names = _bulk_load_graphs(store, graphs)
        counts = _count_graphs(store, names)
        store.flush()
        store.optimize()
        return counts
    finally:
        del store  # closes RocksDB unless a traceback still holds a frame using it


def _bulk_load_graphs(store: Store, graphs: Iterable[tuple[str, NTriples]]) -> list[str]:
    """Load each graph with ``bulk_load`` (all-or-nothing per call); return the IRIs."""
    names: dict[str, None] = {}  # insertion-ordered set
    for iri, data in graphs:
        if iri in names:
            raise StoreError(f"graph <{iri}> is given twice; nothing was published")
        node = _graph_node(iri)
        try:
            store.bulk_load(data, RdfFormat.N_TRIPLES, to_graph=node)
        except SyntaxError as e:
            raise StoreError(f"graph <{iri}>: invalid N-Triples: {e}; nothing was published") from e
        except OSError as e:
            raise StoreError(f"graph <{iri}>: cannot load it: {e}; nothing was published") from e
        store.add_graph(node)  # so that an empty graph is listed too
        names[iri] = None
    return list(names)


def _graph_node(iri: str) -> NamedNode:
    """``iri`` as a NamedNode, or StoreError if it is not an absolute IRI."""
    try:
        return NamedNode(iri)
    except ValueError as e:
        raise StoreError(f"invalid graph IRI {iri!r}: {e}; nothing was published") from e


def _count_graphs(store: Store, names: list[str]) -> dict[str, int]:
    """Triples per graph, sorted by IRI; graphs without triples count 0."""
    counts = dict.fromkeys(names, 0)
    for row in store.query(_GRAPH_COUNTS):
        counts[row["g"].value] = int(row["n"].value)
    return dict(sorted(counts.items()))


def _extra_path(name: str) -> PurePosixPath:
    """``name`` as a path inside a subfolder of the build directory, or StoreError.

    Only subfolders: the top level belongs to RocksDB and BUILD.json.
    """
    parts = name.split("/")
    if len(parts) < 2 or any(p in ("", ".", "..") for p in parts) or "\\" in name:
        raise StoreError(f"invalid extra file path {name!r}: expected a relative path in a subfolder, "
                         "like 'dumps/file'; nothing was published")
    return PurePosixPath(name)


def _write_extra_files(build_dir: Path, files: Mapping[PurePosixPath, bytes]) -> None:
    """Write ``files`` under ``build_dir`` and fsync them and their folders."""
    folders = set()
    for rel, data in files.items():
        target = build_dir.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        folders.add(target.parent)
    for folder in sorted(folders):
        _fsync_path(folder, os.O_RDONLY | os.O_DIRECTORY)


def _build_info(
    build_dir: Path,
    counts: dict[str, int],
    previous: Path | None,
    metadata: Mapping[str, Any] | None,
    seconds: float,
) -> dict[str, Any]:
    """The content of BUILD.json."""
    return {
        "version": BUILD_INFO_VERSION,
        "build": build_dir.name,
        "published": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "previous": previous.name if previous is not None else None,
        "graphs": counts,
        "triples": sum(counts.values()),
        "pyoxigraph": PYOXIGRAPH_VERSION,
        "metadata": dict(metadata or {}),
    }


def _write_build_info(build_dir: Path, info: dict[str, Any]) -> None:
    """Write BUILD.json, then fsync every file of the build and the directories."""
    with open(build_dir / BUILD_INFO, "w", encoding="utf-8") as f:
        json.dump(info, f, ensure_ascii=False, indent=2)
        f.write("\n")
    for entry in build_dir.iterdir():
        if entry.is_file():
            _fsync_path(entry, os.O_RDONLY)
    _fsync_path(build_dir, os.O_RDONLY | os.O_DIRECTORY)
    _fsync_path(build_dir.parent, os.O_RDONLY | os.O_DIRECTORY)


def _switch(layout: _Layout, build_dir: Path) -> None:
    """Point ``layout.path`` at ``build_dir`` with one atomic rename, then make it durable."""
    tmp = layout.tmp_link()
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build_dir, layout.path.parent), tmp)
    os.replace(tmp, layout.path)
    _fsync_path(layout.path.parent, os.O_RDONLY | os.O_DIRECTORY)


def _fsync_path(path: Path, flags: int) -> None:
    """fsync a file or directory by path."""
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
