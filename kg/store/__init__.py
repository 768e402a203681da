"""The knowledge-graph store: the interface (:class:`GraphStore`, :mod:`.graphstore`), the embedded Oxigraph
implementation (:mod:`.oxigraph`), the remote one over a SPARQL server (:mod:`.remote`), atomic
publication of a build (:mod:`.publishing`; on a server, :mod:`.remote_publish`), and the store
that answers now (:mod:`.current`).

:func:`open_location` is the one place that chooses a backend for a store location: a
directory (the embedded store), a :class:`RemoteLocation` (a SPARQL server), or a location
another backend registered (:func:`register_backend`). :func:`store_info` and
:func:`publishing_to` choose the same way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plankg.errors import StoreError
from plankg.store.graphstore import GraphStore, QueryResult, RdfData
from plankg.store.oxigraph import (
    ROCKSDB_MARKER,
    UNION_TRIPLES_QUERY,
    OxigraphStore,
    has_dataset_clause,
    open_store,
    store_info as _directory_info,
)
from plankg.store.publishing import BUILD_INFO, NTriples, Publication, PublishResult, publish, publishing
from plankg.store.current import CurrentStore


@dataclass(frozen=True)
class RemoteLocation:
    """A store on a SPARQL server: its query endpoint ``url`` (the rest of its settings come from
    the environment, :mod:`plankg.store.remote_http`), and ``files``, the local directory that
    keeps its builds' files (dumps, BUILD.json) in :mod:`.publishing`'s layout."""

    url: str
    files: Path | None = None

    def __str__(self) -> str:
        return self.url


Location = str | os.PathLike[str] | RemoteLocation


class NothingPublished(StoreError):
    """The SPARQL server holds no plankg build yet."""

Opener = Callable[..., GraphStore]
"""``opener(location, *, memory_max_quads: int, writable: bool) -> GraphStore``."""

_backends: dict[str, Opener] = {}  # location prefix (a URL scheme and its colon) → opener


def register_backend(prefix: str, opener: Opener) -> None:
    """Open the locations that start with ``prefix`` (``"http:"``, ``"https:"`` …) with ``opener``."""
    _backends[prefix.lower()] = opener


def open_location(location: Location, *, memory_max_quads: int = 0, writable: bool = False) -> GraphStore:
    """The store at ``location``, read-only unless ``writable``: a :class:`RemoteLocation`'s
    server, the backend registered for its prefix, else the embedded Oxigraph store in that
    directory. :class:`StoreError` if there is none."""
    if isinstance(location, RemoteLocation):
        from plankg.store.remote import RemoteStore
        from plankg.store.remote_http import settings_from_env

        return RemoteStore(settings_from_env(location.url), writable=writable, files=location.files)
    text = os.fspath(location)
    scheme = text.split(":", 1)[0].lower() + ":" if ":" in text else ""
    if scheme in _backends:
        return _backends[scheme](text, memory_max_quads=memory_max_quads, writable=writable)
    if scheme in ("http:", "https:"):
        raise StoreError(f"{text} is a URL: give it with --store-url (env PLANKG_STORE_URL), and --store the directory "
                         "of the builds' files")
    return open_store(os.path.abspath(text), memory_max_quads=memory_max_quads, writable=writable)


def store_info(location: Location) -> dict[str, Any]:
    """What the build published at ``location`` recorded (BUILD.json, plus ``build_dir`` for a
    directory); StoreError if nothing was published there."""
    if not isinstance(location, RemoteLocation):
        return _directory_info(location)
    with open_location(location) as store:
        info = store.info  # type: ignore[attr-defined]
    if not info:
        raise NothingPublished(f"nothing was published to the SPARQL server at {location.url}: run `plankg build --store-url …`")
    return info


@contextmanager
def publishing_to(location: Location) -> Iterator[Publication]:
    """:func:`publishing` to ``location``: into a new embedded store beside the current one, or
    onto a :class:`RemoteLocation`'s server (its files into ``files``, default ``var/store``)."""
    if not isinstance(location, RemoteLocation):
        with publishing(location) as publication:
            yield publication
        return
    from plankg.store.remote_http import settings_from_env
    from plankg.store.remote_publish import RemoteWriter

    settings = settings_from_env(location.url)
    with publishing(location.files or Path("var/store"), lambda build_dir: RemoteWriter(settings, build_dir.name)) as p:
        yield p


__all__ = ["GraphStore", "RemoteLocation", "NothingPublished", "Location", "publishing_to", "OxigraphStore", "CurrentStore", "QueryResult", "RdfData", "open_location", "register_backend", "open_store",
           "store_info", "has_dataset_clause", "UNION_TRIPLES_QUERY", "ROCKSDB_MARKER", "publish", "publishing",
           "Publication", "PublishResult",
           "NTriples", "BUILD_INFO"]
