"""The embedded store: :class:`OxigraphStore`, the :class:`~plankg.store.graphstore.GraphStore`
over a pyoxigraph store on disk (RocksDB) or in memory.

:class:`OxigraphStore` reads a store written by :func:`publish` (see :mod:`plankg.store.publishing`),
opened read-only: a static snapshot as of opening, which several processes may hold at once;
or opened for writing (``open_store(writable=True)``) by the one process that takes updates.
A small store can be copied into memory at opening (``open_store(memory_max_quads=…)``):
pyoxigraph's in-memory store answers the same queries several times faster than RocksDB
(about 3.8× on the example queries, measured on the seed plan), for about 0.7 KiB of memory
a quad.
Oxigraph normalises language tags to lower case (``@zh-Hant`` comes back as ``@zh-hant``):
compare them with ``langMatches``, not ``=``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    RdfFormat,
    Store,
    serialize,
)

from plankg.errors import QueryError, StoreError
from plankg.iri import named_node
from plankg.namespaces import PREFIXES
from plankg.sparql.lexer import is_keyword, tokens
from plankg.store.graphstore import QueryResult, RdfData
from plankg.store.builddir import file_in
from plankg.store.publishing import BUILD_INFO

ROCKSDB_MARKER = "CURRENT"  # the file every RocksDB directory has
UNION_TRIPLES_QUERY = "CONSTRUCT { ?s ?p ?o } WHERE { { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } } }"
"""All triples of all graphs, each once (graph names dropped); run with the union default graph."""
TMP_GRAPH_PREFIX = "urn:plankg:upload:"  # graphs a replacing load stages into


class OxigraphStore:
    """A :class:`GraphStore` over an on-disk pyoxigraph store opened read-only (or for writing), or a copy of it in memory.

    ``path`` is the store path as given (usually the symlink publish maintains) and
    ``build_dir`` the directory actually opened; ``in_memory`` says whether ``store`` is a
    copy of it in memory. pyoxigraph 0.5 ``Store`` has no ``close()``: :meth:`close` drops
    the handle, and RocksDB closes once no result iterator uses it.
    """

    def __init__(self, store: Store, path: Path, build_dir: Path, in_memory: bool = False, writable: bool = False):
        self._store: Store | None = store
        self.path = path
        self.build_dir = build_dir
        self.in_memory = in_memory
        self.writable = writable
        self._identity = _identity(build_dir)

    @property
    def build_id(self) -> str:
        """The published build's directory name (a store opened outside a publish: its directory's)."""
        return self.build_dir.name

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = True,
        default_graphs: Iterable[str] | None = None,
        named_graphs: Iterable[str] | None = None,
        base_iri: str | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> QueryResult:
        """Run ``sparql``.

        The default graph is, in order of precedence: ``default_graphs`` if given; the
        query's own FROM/FROM NAMED dataset if it has one; the union of all graphs if
        ``union_default_graph``; else the store's (empty) default graph. ``named_graphs``
        restricts what GRAPH sees; it does not restrict the union. pyoxigraph's union is a
        multiset: a triple present in two graphs matches twice (use DISTINCT). Relative IRIs
        resolve against ``base_iri`` and undeclared prefixes come from ``prefixes``; a BASE or
        PREFIX in the text wins.
        """
        options: dict[str, Any] = {"base_iri": base_iri, "prefixes": prefixes}
        if default_graphs is not None:
            options["default_graph"] = [named_node(g) for g in default_graphs]
        elif union_default_graph and not has_dataset_clause(sparql):
            options["use_default_graph_as_union"] = True  # pyoxigraph would ignore FROM
        if named_graphs is not None:
            options["named_graphs"] = [named_node(g) for g in named_graphs]
        try:
            return self._open().query(sparql, **options)
        except SyntaxError as e:
            raise QueryError(f"invalid SPARQL: {e}") from None

    def graphs(self) -> list[str]:
        """The named graph IRIs, sorted."""
        return sorted(g.value for g in self._open().named_graphs() if isinstance(g, NamedNode))

    def count(self, graph: str | None = None) -> int:
        """Triples in ``graph`` (0 if absent), or quads in the whole store if None."""
        store = self._open()
        if graph is None:
            return len(store)
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {named_node(graph)} {{ ?s ?p ?o }} }}"
        return int(next(iter(store.query(query)))["n"].value)

    def graph_exists(self, graph: str | None) -> bool:
        return graph is None or self._open().contains_named_graph(named_node(graph))

    def dump(self, out: BinaryIO, format: RdfFormat, graph: str | None = None) -> None:
        """Write the store, or one ``graph``, to ``out`` in ``format``.

        Dataset formats (N-Quads, TriG, JSON-LD) keep graph names. Triple formats (Turtle,
        N-Triples, RDF/XML …) get one graph's triples, or without ``graph`` the union of all
        graphs as triples (graph names dropped, duplicates removed).
        """
        store = self._open()
        if graph is None and format.supports_datasets:
            store.dump(out, format, prefixes=PREFIXES)
        elif graph is None:
            union = store.query(UNION_TRIPLES_QUERY, use_default_graph_as_union=True)
            serialize(union, out, format, prefixes=PREFIXES)
        elif format.supports_datasets:
            quads = store.quads_for_pattern(None, None, None, named_node(graph))
            serialize(quads, out, format, prefixes=PREFIXES)
        else:
            store.dump(out, format, from_graph=named_node(graph), prefixes=PREFIXES)

    def update(self, text: str, *, base_iri: str | None = None, prefixes: Mapping[str, str] | None = None) -> None:
        self._open().update(text, base_iri=base_iri, prefixes=prefixes)

    def load(self, data: RdfData, format: RdfFormat, graph: str | None, *, replace: bool = False) -> None:
        """All or nothing: a replacing load stages ``data`` into a temporary graph, then moves it
        over ``graph`` in one transaction (:func:`open_store` removes one a killed load left)."""
        store = self._open()
        target = NamedNode(graph) if graph else DefaultGraph()
        if not replace:
            store.load(data, format, to_graph=target)
            return
        staging = NamedNode(TMP_GRAPH_PREFIX + uuid.uuid4().hex)
        store.load(data, format, to_graph=staging)  # a syntax error leaves the graph alone
        dest = f"GRAPH <{graph}>" if graph else "DEFAULT"
        create = f" ; CREATE SILENT GRAPH <{graph}>" if graph else ""
        store.update(f"MOVE SILENT GRAPH <{staging.value}> TO {dest}{create}")  # one transaction

    def clear(self, graph: str | None) -> bool:
        store = self._open()
        if graph is None:
            store.clear_graph(DefaultGraph())
            return True
        node = NamedNode(graph)
        existed = store.contains_named_graph(node)
        if existed:
            store.remove_graph(node)
        return existed

    def flush(self) -> None:
        self._open().flush()

    def is_current(self) -> bool:
        """Whether :attr:`path` still points at the build this store opened (one ``stat``)."""
        return self._identity is not None and _identity(self.path) == self._identity

    def build_file(self, name: str) -> Path | None:
        """``name`` under the build directory, if it is a file there (a relative path that stays inside)."""
        return file_in(self.build_dir, name)

    def describe(self) -> str:
        """Where the answers come from, for the log."""
        return "memory" if self.in_memory else "disk, read-write" if self.writable else "disk"

    def close(self) -> None:
        """Drop the pyoxigraph handle (there is no ``Store.close`` in pyoxigraph 0.5)."""
        self._store = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _open(self) -> Store:
        if self._store is None:
            raise ValueError(f"the store {self.path} is closed")
        return self._store


def open_store(path: str | os.PathLike[str], *, memory_max_quads: int = 0, writable: bool = False) -> OxigraphStore:
    """Open the store at ``path`` read-only; :class:`StoreError` if there is none.

    The snapshot is the build ``path`` points to when this is called; later publishes
    do not change it (see :meth:`OxigraphStore.is_current`). A build of at most
    ``memory_max_quads`` quads (by its BUILD.json) is copied into memory and the disk store
    let go; 0 never copies. ``writable``: open that build for writing instead, on disk (one
    process may), and drop the staging graphs a killed replacing load left.
    """
    given = Path(path)
    if not given.is_dir():
        raise _no_store(given, "does not exist" if not given.exists() else "is not a directory")
    build_dir = Path(os.path.realpath(given))
    if not (build_dir / ROCKSDB_MARKER).is_file():
        raise _no_store(given, "is empty or not an Oxigraph store")
    if writable:
        return _open_writable(given, build_dir)
    try:
        store = Store.read_only(str(build_dir))
    except (OSError, RuntimeError) as e:  # pyoxigraph reports corruption as RuntimeError
        raise _no_store(given, f"cannot be opened ({e})") from None
    if memory_max_quads > 0 and 0 <= _published_quads(build_dir) <= memory_max_quads:
        copy = Store()
        try:
            copy.bulk_extend(store.quads_for_pattern(None, None, None, None))
        except (OSError, RuntimeError) as e:
            raise _no_store(given, f"cannot be read ({e})") from None
        return OxigraphStore(copy, given, build_dir, in_memory=True)
    return OxigraphStore(store, given, build_dir)


def _open_writable(given: Path, build_dir: Path) -> OxigraphStore:
    try:
        store = Store(str(build_dir))
    except (OSError, RuntimeError) as e:
        raise StoreError(f"the store {given} cannot be opened for writing: {e}") from None
    for graph in list(store.named_graphs()):  # left by a replacing load that was killed
        if isinstance(graph, NamedNode) and graph.value.startswith(TMP_GRAPH_PREFIX):
            store.remove_graph(graph)
    return OxigraphStore(store, given, build_dir, writable=True)


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the directory ``path`` resolves to: one ``stat``."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _published_quads(build_dir: Path) -> int:
    """The quad count BUILD.json gives for ``build_dir``, or -1 if it gives none."""
    try:
        n = store_info(build_dir).get("triples")
    except StoreError:
        return -1
    return n if isinstance(n, int) and not isinstance(n, bool) else -1


def store_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The BUILD.json of the build ``path`` points to, plus ``build_dir``."""
    given = Path(path)
    if not given.is_dir():
        raise _no_store(given, "does not exist" if not given.exists() else "is not a directory")
    build_dir = Path(os.path.realpath(given))
    try:
        info = json.loads((build_dir / BUILD_INFO).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _no_store(given, f"has no {BUILD_INFO}, so it was not published by plankg") from None
    except (OSError, ValueError) as e:
        raise StoreError(f"{build_dir / BUILD_INFO}: cannot read it ({e})") from None
    if not isinstance(info, dict):
        raise StoreError(f"{build_dir / BUILD_INFO}: not a JSON object")
    return {**info, "build_dir": str(build_dir)}


def has_dataset_clause(sparql: str) -> bool:
    """Whether ``sparql`` has a FROM or FROM NAMED clause (ignoring strings, IRIs, comments)."""
    # most queries: no need to scan; bytes lower-case faster than str (bench/RESULTS.md, "Figures")
    if b"from" not in sparql.encode("utf-8", "surrogatepass").lower():
        return False
    return any(m.lastgroup == "name" and is_keyword(m["name"], "FROM") for m in tokens(sparql))


def _no_store(path: Path, why: str) -> StoreError:
    return StoreError(f"no plankg store at {path}: it {why}; run `plankg build` to create it")
