"""A second store backend is one class and one registration: the server serves from it unchanged.

The backend here keeps an N-Quads file in memory (location ``nq:/path/file.nq``) and counts as
re-published when the file changes. It is a real :class:`plankg.store.GraphStore`, not a stand-in
for the Oxigraph one: the app, the executor and the pages reach it through the interface only,
as they will reach a remote SPARQL server's backend.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
import pytest

from plankg import store as kgstore
from plankg.errors import StoreError
from plankg.server import create_app
from plankg.store import GraphStore, register_backend

PLAN = "https://w3id.org/plankg/id/mol/108"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


class NQuadsFileStore:
    """A read-only GraphStore over an N-Quads file, held in memory."""

    def __init__(self, path: Path):
        self.path = path
        self._stamp = path.stat().st_mtime_ns
        self._store = ox.Store()
        self._store.bulk_load(path.read_bytes(), ox.RdfFormat.N_QUADS)

    @property
    def build_id(self) -> str:
        return f"nq-{self._stamp}"

    def query(self, sparql: str, *, union_default_graph: bool = True, default_graphs: Iterable[str] | None = None,
              named_graphs: Iterable[str] | None = None, base_iri: str | None = None,
              prefixes: Mapping[str, str] | None = None):
        return self._store.query(sparql, use_default_graph_as_union=union_default_graph,
                                 default_graph=None if default_graphs is None else [ox.NamedNode(g) for g in default_graphs],
                                 named_graphs=None if named_graphs is None else [ox.NamedNode(g) for g in named_graphs],
                                 base_iri=base_iri, prefixes=dict(prefixes or {}))

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs())

    def count(self, graph: str | None = None) -> int:
        return len(self._store) if graph is None else sum(
            1 for _ in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def graph_exists(self, graph: str | None) -> bool:
        return graph is None or self._store.contains_named_graph(ox.NamedNode(graph))

    def dump(self, out: BinaryIO, format: ox.RdfFormat, graph: str | None = None) -> None:
        self._store.dump(out, format, from_graph=None if graph is None else ox.NamedNode(graph))

    def update(self, text: str, *, base_iri: str | None = None, prefixes: Mapping[str, str] | None = None) -> None:
        raise RuntimeError("this store is read-only")

    load = clear = update

    def is_current(self) -> bool:
        return self.path.stat().st_mtime_ns == self._stamp

    def build_file(self, name: str) -> Path | None:
        return None

    def describe(self) -> str:
        return f"the file {self.path}"

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_nquads(location: str, *, memory_max_quads: int = 0, writable: bool = False) -> NQuadsFileStore:
    if writable:
        raise StoreError(f"{location}: this backend is read-only")
    path = Path(location.removeprefix("nq:"))
    if not path.is_file():
        raise StoreError(f"{location}: no such file")
    return NQuadsFileStore(path)


@pytest.fixture
def nquads(built_store: Path, tmp_path: Path, monkeypatch) -> Path:
    """The session's build, dumped to an N-Quads file, and the ``nq:`` backend registered."""
    monkeypatch.setattr(kgstore, "_backends", dict(kgstore._backends))  # registered for this test only
    register_backend("nq:", open_nquads)
    path = tmp_path / "plan.nq"
    with kgstore.open_location(built_store) as source, path.open("wb") as out:
        source.dump(out, ox.RdfFormat.N_QUADS)
    return path


def test_the_test_backend_is_a_graph_store(nquads: Path) -> None:
    with kgstore.open_location(f"nq:{nquads}") as store:
        assert isinstance(store, GraphStore)
        assert store.count() > 1000 and len(store.graphs()) >= 2 and store.describe().startswith("the file")


def test_the_server_serves_queries_pages_and_errors_from_another_backend(nquads: Path) -> None:
    app = create_app({"STORE": f"nq:{nquads}", "TESTING": True})
    client = app.test_client()
    answer = client.get("/sparql", query_string={"query": f"SELECT ?l WHERE {{ <{PLAN}> <{LABEL}> ?l }}"},
                        headers={"Accept": "text/csv"})
    assert answer.status_code == 200 and "勞動部" in answer.get_data(as_text=True)
    doc = client.get("/doc/mol/108.ttl")
    assert doc.status_code == 200 and f"<{PLAN}>".encode() in doc.data
    assert client.get("/dumps/plankg.nq.gz").status_code == 404  # this backend publishes no files
    refused = client.get("/sparql", query_string={"query": "SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"})
    assert refused.status_code == 403  # the guard stands in front of every backend


def test_a_new_build_at_the_location_is_picked_up_through_is_current(nquads: Path) -> None:
    app = create_app({"STORE": f"nq:{nquads}", "TESTING": True})
    client = app.test_client()
    ask = {"query": "ASK { <urn:x:new> ?p ?o }"}
    assert b"false" in client.get("/sparql", query_string=ask, headers={"Accept": "application/sparql-results+json"}).data
    with nquads.open("ab") as out:  # "publish" a new build: the file changes
        out.write(b'<urn:x:new> <urn:x:p> "1" .\n')
    os.utime(nquads, ns=(nquads.stat().st_atime_ns, nquads.stat().st_mtime_ns + 1_000_000))
    assert b"true" in client.get("/sparql", query_string=ask, headers={"Accept": "application/sparql-results+json"}).data


def test_a_url_given_as_a_store_directory_points_at_store_url(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="give it with --store-url"):
        kgstore.open_location("http://127.0.0.1:1/sparql")
