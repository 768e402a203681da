"""What a build directory holds (:mod:`plankg.store.publishing` makes one per publish): a
RocksDB store bulk-loaded with the named graphs, extra files in subfolders (the dumps) and
``BUILD.json``, each fsynced before the build is switched in."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

from pyoxigraph import DefaultGraph, NamedNode, RdfFormat, Store
from pyoxigraph import __version__ as PYOXIGRAPH_VERSION

from plankg.errors import QueryError, StoreError
from plankg.iri import named_node

BUILD_INFO = "BUILD.json"
BUILD_INFO_VERSION = 1
COMPACT_GROWTH = 2  # a build started from another compacts its store once it has this many times the files
COMPACT_SLACK = 16  # (plus these) the store had after the last compaction
_GRAPH_COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"

NTriples = bytes | BinaryIO
"""One graph's content: N-Triples as bytes, or a binary file object reading N-Triples."""


class Writer(Protocol):
    """What a build's graphs are loaded into: :meth:`load` (once or more), then :meth:`close`
    (the triples of each graph) and :meth:`commit` (make it what readers see, if that is the
    writer's to do), or :meth:`discard` on failure. A writer may also have ``start_from(base_dir,
    drop, kept, load)``, called before anything is loaded, to keep the graphs ``kept`` of the
    published build (:meth:`StoreWriter.start_from`); it returns the kept graphs it found changed."""

    def load(self, graphs: Iterable[tuple[str, NTriples]] = (), quads: bytes = b"") -> None: ...

    def close(self) -> dict[str, int]: ...

    def commit(self, info: dict[str, Any]) -> None: ...

    def discard(self) -> None: ...


class StoreWriter:
    """The RocksDB store of a new build directory, being bulk-loaded: :meth:`load` (once or more,
    from any one thread at a time), then :meth:`close`.

    Each bulk load writes new files, which :meth:`close` merges (``optimize``): many graphs
    loaded as N-Quads at once are faster than one bulk load each. Merging rewrites the whole store,
    so a store started from another build's (:meth:`start_from`) is merged only once it has more
    than ``COMPACT_GROWTH`` times (plus ``COMPACT_SLACK``) the files it had after the last merge
    (BUILD.json ``compacted_sst_files``): a few more files to read meanwhile. The store handle is dropped by
    :meth:`close` or :meth:`discard`, which closes RocksDB (no ``close()`` in pyoxigraph 0.5).
    """

    def __init__(self, build_dir: Path) -> None:
        self._dir = build_dir
        self._store: Store | None = None  # opened by the first use (start_from copies into the directory first)
        self._closed = False
        self._names: dict[str, None] = {}  # the graphs given, in order (an insertion-ordered set)
        self._kept: dict[str, int] = {}  # graphs kept from the build started from: their triples
        self._loading: list[str] = []  # and those loaded after (given by start_from, as N-Quads may hold them)
        self._from_base = False  # whether start_from made the store
        self._compacted: int | None = None  # SST files after the base's last compaction (BUILD.json)
        self.record: dict[str, int] = {}  # for BUILD.json: SST files after the last compaction

    def start_from(self, base_dir: Path, drop: Iterable[str], kept: Mapping[str, int], load: Iterable[str]) -> set[str]:
        """Make this build's store a copy of the store of the build ``base_dir`` without the graphs
        ``drop``; ``kept`` are the graphs that stay (IRI → triples, as that build recorded them),
        ``load`` those that will be loaded (their triples are counted at :meth:`close`).

        The copy is a RocksDB checkpoint (``Store.backup``) taken through a read-only handle: hard
        links to the base's files, which RocksDB never modifies, so the base (the published build,
        perhaps open in readers) is not written to; what this build deletes or loads goes to files
        of its own. Before anything is loaded."""
        if self._store is not None or self._closed or self._names:
            raise StoreError("a build can start from another one only before anything is loaded")
        self._dir.rmdir()  # the checkpoint makes the directory (it must not exist): the build's is still empty
        Store.read_only(str(base_dir)).backup(str(self._dir))  # the read-only handle closes when dropped here
        store = self._open()
        for iri in drop:
            store.remove_graph(_graph_node(iri))
        self._kept = dict(kept)
        self._loading = list(load)
        self._from_base = True
        self._compacted = _compacted_files(base_dir)
        return set()  # every kept graph is as recorded (build_record checked that nothing wrote to the store)

    def load(self, graphs: Iterable[tuple[str, NTriples]] = (), quads: bytes = b"") -> None:
        """Bulk-load ``quads`` (N-Quads of named graphs, in one bulk load), then each of ``graphs``."""
        if quads:
            _bulk_load_quads(self._open(), quads)
        _bulk_load_graphs(self._open(), graphs, self._names)

    def close(self) -> dict[str, int]:
        """Count the triples of each graph (sorted by IRI), merge the files, close the store."""
        store = self._open()
        counts = _count_graphs(store, list(dict.fromkeys([*self._loading, *self._names])), only_these=self._from_base)
        for iri, n in self._kept.items():
            counts.setdefault(iri, n)
        store.flush()
        files = _sst_files(self._dir)
        if self._compacted is None or files > COMPACT_GROWTH * self._compacted + COMPACT_SLACK:
            store.optimize()  # merges the bulk loads' files and drops what removed graphs left: time ∝ the store
            self._compacted = _sst_files(self._dir)
        self.record = {"compacted_sst_files": self._compacted}
        self.discard()
        return dict(sorted(counts.items()))

    def commit(self, info: dict[str, Any]) -> None:
        """Nothing to do: the build directory's symlink switch makes it current."""

    def discard(self) -> None:
        """Drop the store handle (on failure it may live on in a traceback's frames until the
        exception is gone; the directory is deleted meanwhile, which is harmless on POSIX)."""
        self._store = None
        self._closed = True

    def _open(self) -> Store:
        if self._closed:
            raise StoreError("the store of this build is closed")
        if self._store is None:
            self._store = Store(str(self._dir))
        return self._store


def _bulk_load_quads(store: Store, quads: bytes) -> None:
    """Load N-Quads in named graphs with one ``bulk_load``, or StoreError."""
    try:
        store.bulk_load(quads, RdfFormat.N_QUADS)
    except SyntaxError as e:
        raise StoreError(f"invalid N-Quads: {e}; nothing was published") from e
    except OSError as e:
        raise StoreError(f"cannot load the N-Quads: {e}; nothing was published") from e
    if next(iter(store.quads_for_pattern(None, None, None, DefaultGraph())), None) is not None:
        raise StoreError("the N-Quads have triples in the default graph, which stays empty; nothing was published")


def _bulk_load_graphs(store: Store, graphs: Iterable[tuple[str, NTriples]], names: dict[str, None]) -> None:
    """Load each graph with ``bulk_load`` (all-or-nothing per call); add the IRIs to ``names``."""
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


def _graph_node(iri: str) -> NamedNode:
    """``iri`` as a NamedNode, or StoreError if it is not an absolute IRI."""
    try:
        return named_node(iri)
    except QueryError as e:
        raise StoreError(f"{e}; nothing was published") from e


def _sst_files(build_dir: Path) -> int:
    return sum(1 for p in build_dir.glob("*.sst"))


def _compacted_files(build_dir: Path) -> int | None:
    """The SST files the build ``build_dir`` had after its store's last compaction, as recorded."""
    try:
        n = json.loads((build_dir / BUILD_INFO).read_text(encoding="utf-8")).get("compacted_sst_files")
    except (OSError, ValueError, AttributeError):
        return None
    return n if isinstance(n, int) else None


def _count_graphs(store: Store, names: list[str], only_these: bool = False) -> dict[str, int]:
    """Triples per graph, sorted by IRI; graphs without triples count 0. Every graph of the store,
    or with ``only_these`` only ``names`` (the others were counted before)."""
    counts = dict.fromkeys(names, 0)
    query = _GRAPH_COUNTS
    if only_these:
        if not names:
            return {}
        query = query.replace("WHERE { ", "WHERE { VALUES ?g { " + " ".join(f"<{n}>" for n in names) + " } ", 1)
    for row in store.query(query):
        counts[row["g"].value] = int(row["n"].value)
    return dict(sorted(counts.items()))


def extra_path(name: str) -> PurePosixPath:
    """``name`` as a path inside a subfolder of the build directory, or StoreError.

    Only subfolders: the top level belongs to RocksDB and BUILD.json.
    """
    parts = name.split("/")
    if len(parts) < 2 or any(p in ("", ".", "..") for p in parts) or "\\" in name:
        raise StoreError(f"invalid extra file path {name!r}: expected a relative path in a subfolder, "
                         "like 'dumps/file'; nothing was published")
    return PurePosixPath(name)


def write_extra_files(build_dir: Path, files: Mapping[PurePosixPath, bytes]) -> None:
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
        fsync_path(folder, os.O_RDONLY | os.O_DIRECTORY)


def build_info(
    build_dir: Path,
    counts: dict[str, int],
    previous: Path | None,
    metadata: Mapping[str, Any] | None,
    seconds: float,
    digests: Mapping[str, str] | None = None,
    store_record: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The content of BUILD.json; ``digests`` (graph IRI → digest of its N-Triples as loaded) lets
    the next build keep the graphs that did not change (:mod:`plankg.store.reuse`), if the store's
    files are still those listed in ``store_files`` (nothing wrote to it since); ``store_record``:
    what the writer records of its store (:attr:`StoreWriter.record`)."""
    info = {
        "version": BUILD_INFO_VERSION,
        "build": build_dir.name,
        "published": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "previous": previous.name if previous is not None else None,
        "graphs": counts,
        "triples": sum(counts.values()),
        "pyoxigraph": PYOXIGRAPH_VERSION,
        "metadata": dict(metadata or {}),
        **(store_record or {}),
    }
    if digests:
        info["digests"] = dict(sorted(digests.items()))
        info["store_files"] = store_files(build_dir)
    return info


def write_build_info(build_dir: Path, info: dict[str, Any]) -> None:
    """Write BUILD.json, then fsync every file of the build and the directories."""
    with open(build_dir / BUILD_INFO, "w", encoding="utf-8") as f:
        json.dump(info, f, ensure_ascii=False, indent=2)
        f.write("\n")
    for entry in build_dir.iterdir():
        if entry.is_file():
            fsync_path(entry, os.O_RDONLY)
    fsync_path(build_dir, os.O_RDONLY | os.O_DIRECTORY)
    fsync_path(build_dir.parent, os.O_RDONLY | os.O_DIRECTORY)


def store_files(build_dir: Path) -> list[str]:
    """The names of the files of the build's store (its top level but BUILD.json), sorted: RocksDB
    adds some (a log, a manifest) when a process opens it for writing, none when it reads."""
    return sorted(p.name for p in build_dir.iterdir() if p.is_file() and p.name != BUILD_INFO)


def fsync_path(path: Path, flags: int) -> None:
    """fsync a file or directory by path."""
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_in(build_dir: Path, name: str) -> Path | None:
    """``name`` under ``build_dir``, if it is a file there (a relative path that stays inside)."""
    path = (build_dir / name).resolve()
    if build_dir.resolve() not in path.parents or not path.is_file():
        return None
    return path
