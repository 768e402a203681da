"""plankg.store and plankg.store.publishing against real pyoxigraph stores on disk (no mocks)."""

from __future__ import annotations

import ast
import fcntl
import io
import json
import os
import signal
from pathlib import Path

import pyoxigraph
import pytest

from killed import kill_at_first_line
from plankg.errors import QueryError, StoreError
from plankg.store.publishing import BUILD_INFO
from plankg.examples import QUERIES_DIR
from plankg.store import (
    GraphStore,
    OxigraphStore,
    has_dataset_clause,
    open_store,
    publish,
    store_info,
)

EX = "http://example.org/"
G1, G2, G3 = (f"https://w3id.org/plankg/id/graph/test/{n}" for n in (1, 2, 3))
SELECT_ALL = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s ?o"
KILL_TEST_TRIPLES = 300_000


def nt(*pairs: tuple[str, str]) -> bytes:
    """N-Triples ``<EX s> <EX p> "o" .`` for each (s, o)."""
    return b"".join(f'<{EX}{s}> <{EX}p> "{o}" .\n'.encode() for s, o in pairs)


V1 = [(G1, nt(("a", "1"), ("b", "2"))), (G2, nt(("c", "3")))]
V2 = [(G1, nt(("a", "new"))), (G3, nt(("d", "4")))]


def rows(result) -> list[tuple[str, ...]]:
    """SELECT rows as tuples of plain values."""
    return [tuple(t.value for t in row) for row in result]


def builds(path: Path) -> set[str]:
    """Names in ``<path>.builds``."""
    return {p.name for p in path.with_name(path.name + ".builds").iterdir()}


def nquads(path: Path) -> bytes:
    """The published dataset as sorted N-Quads lines."""
    out = io.BytesIO()
    with open_store(path) as store:
        store.dump(out, pyoxigraph.RdfFormat.N_QUADS)
    return b"".join(sorted(out.getvalue().splitlines(keepends=True)))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "store"


@pytest.fixture
def published(path: Path) -> Path:
    publish(path, V1, metadata={"base": "https://w3id.org/plankg/id/"})
    return path


# --- querying -------------------------------------------------------------------------------


def test_union_default_graph_named_graphs_and_explicit_default_graphs(published: Path) -> None:
    with open_store(published) as store:
        assert isinstance(store, GraphStore)
        assert rows(store.query(SELECT_ALL)) == [(EX + "a", "1"), (EX + "b", "2"), (EX + "c", "3")]
        assert rows(store.query(SELECT_ALL, union_default_graph=False)) == []
        assert rows(store.query(SELECT_ALL, default_graphs=[G2])) == [(EX + "c", "3")]
        assert rows(store.query(SELECT_ALL, default_graphs=[G1, G2], union_default_graph=False)) == [
            (EX + "a", "1"), (EX + "b", "2"), (EX + "c", "3")]
        by_graph = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
        assert rows(store.query(by_graph, union_default_graph=False)) == [(G1,), (G2,)]
        assert rows(store.query(by_graph, named_graphs=[G2])) == [(G2,)]
        assert bool(store.query(f"ASK {{ GRAPH <{G1}> {{ <{EX}a> ?p '1' }} }}")) is True


def test_the_union_default_graph_is_a_multiset(path: Path) -> None:
    # pyoxigraph behaviour we rely on being aware of: a triple in two graphs matches twice
    publish(path, [(G1, nt(("a", "1"))), (G2, nt(("a", "1")))])
    with open_store(path) as store:
        assert rows(store.query(SELECT_ALL)) == [(EX + "a", "1")] * 2
        assert rows(store.query(SELECT_ALL.replace("SELECT", "SELECT DISTINCT"))) == [(EX + "a", "1")]


def test_a_from_clause_wins_over_the_union_default_graph(published: Path) -> None:
    # pyoxigraph alone ignores FROM when use_default_graph_as_union is set
    with open_store(published) as store:
        query = f"SELECT ?s ?o FROM <{G2}> WHERE {{ ?s ?p ?o }} ORDER BY ?s"
        assert rows(store.query(query)) == [(EX + "c", "3")]
        # an explicit default graph (the protocol's default-graph-uri) overrides FROM
        assert rows(store.query(query, default_graphs=[G1])) == [(EX + "a", "1"), (EX + "b", "2")]


@pytest.mark.parametrize(("query", "expected"), [
    (f"SELECT * FROM <{G1}> {{ ?s ?p ?o }}", True),
    (f"select * from named <{G1}> {{ graph ?g {{ ?s ?p ?o }} }}", True),
    ("SELECT * WHERE { ?s <http://ex/FROM> 'FROM' } # FROM <x>", False),
    ("PREFIX from: <http://ex/> SELECT ?from WHERE { ?from from:FROM \"\"\"a\nFROM\"\"\" }", False),
    ("SELECT ?from WHERE { ?from <http://x/FROM> ?o }", False),
    ("SELECT * WHERE { ?s ?p ?o }", False),
    (f"# 計畫目標\nSELECT * FrOm <{G1}> {{ ?s ?p ?o }}", True),
    ("# 計畫目標\nSELECT * WHERE { ?s ?p '計畫' }", False),
])
def test_has_dataset_clause(query: str, expected: bool) -> None:
    assert has_dataset_clause(query) is expected


def test_syntax_error_is_a_query_error_with_position(published: Path) -> None:
    with open_store(published) as store, pytest.raises(QueryError, match=r"error at 1:26: expected"):
        store.query("SELECT ?x WHERE { ?x ?y }")


def test_invalid_graph_iri_is_a_query_error(published: Path) -> None:
    with open_store(published) as store, pytest.raises(QueryError, match="invalid graph IRI 'not an iri'"):
        store.query(SELECT_ALL, default_graphs=["not an iri"])


def test_graphs_counts_and_dump_of_one_graph(published: Path) -> None:
    with open_store(published) as store:
        assert store.graphs() == [G1, G2]
        assert (store.count(), store.count(G1), store.count(G2), store.count(G3)) == (3, 2, 1, 0)
        out = io.BytesIO()
        store.dump(out, pyoxigraph.RdfFormat.N_QUADS, graph=G2)
        assert out.getvalue() == f'<{EX}c> <{EX}p> "3" <{G2}> .\n'.encode()
        out = io.BytesIO()
        store.dump(out, pyoxigraph.RdfFormat.N_TRIPLES, graph=G2)
        assert out.getvalue() == f'<{EX}c> <{EX}p> "3" .\n'.encode()


def test_closed_store_refuses_use(published: Path) -> None:
    store = open_store(published)
    store.close()
    with pytest.raises(ValueError, match="closed"):
        store.graphs()


# --- publishing -----------------------------------------------------------------------------


def test_publish_layout_build_info_and_store_info(published: Path) -> None:
    assert published.is_symlink() and not os.path.isabs(os.readlink(published))
    info = store_info(published)
    build_dir = Path(info["build_dir"])
    assert build_dir.parent == published.with_name("store.builds")
    assert json.loads((build_dir / BUILD_INFO).read_text()) | {"build_dir": str(build_dir)} == info
    assert info["graphs"] == {G1: 2, G2: 1} and info["triples"] == 3
    assert info["build"] == build_dir.name and info["previous"] is None
    assert info["metadata"] == {"base": "https://w3id.org/plankg/id/"}
    assert {"published", "seconds", "pyoxigraph"} <= info.keys()


def test_publish_closes_its_write_handle(path: Path) -> None:
    result = publish(path, V1)
    # a second read-write handle in this process fails if publish's handle were still open
    writable = pyoxigraph.Store(str(result.build_dir))
    assert len(writable) == 3
    del writable


def test_republish_replaces_the_graphs_completely(published: Path) -> None:
    first = store_info(published)["build"]
    result = publish(published, V2)
    assert result.previous is not None and result.previous.name == first
    assert result.graphs == {G1: 1, G3: 1}
    with open_store(published) as store:
        assert store.graphs() == [G1, G3]
        assert rows(store.query(SELECT_ALL)) == [(EX + "a", "new"), (EX + "d", "4")]
    assert store_info(published)["previous"] == first


@pytest.mark.parametrize(("limit", "in_memory"), [(3, True), (2, False), (0, False)])
def test_a_store_within_the_memory_limit_is_copied_into_memory(published: Path, limit: int, in_memory: bool) -> None:
    with open_store(published) as disk, open_store(published, memory_max_quads=limit) as store:
        assert store.in_memory is in_memory and not disk.in_memory
        assert store.build_dir == disk.build_dir and store.is_current()
        assert store.graphs() == [G1, G2] and store.count() == 3 and store.count(G1) == 2
        assert rows(store.query(SELECT_ALL)) == [(EX + "a", "1"), (EX + "b", "2"), (EX + "c", "3")]
        assert rows(store.query(SELECT_ALL, default_graphs=[G2])) == [(EX + "c", "3")]
        assert rows(store.query(SELECT_ALL, union_default_graph=False)) == []
        assert rows(store.query(f"SELECT ?s ?o FROM <{G2}> WHERE {{ ?s ?p ?o }}")) == [(EX + "c", "3")]
        dumps = []
        for s in (disk, store):
            out = io.BytesIO()
            s.dump(out, pyoxigraph.RdfFormat.N_QUADS)
            dumps.append(sorted(out.getvalue().splitlines()))
        assert dumps[0] == dumps[1] and len(dumps[0]) == 3


def test_a_build_without_a_quad_count_stays_on_disk(published: Path) -> None:
    info = published.resolve() / BUILD_INFO
    info.write_text(json.dumps({k: v for k, v in json.loads(info.read_text()).items() if k != "triples"}))
    with open_store(published, memory_max_quads=1_000_000) as store:
        assert not store.in_memory and store.count() == 3


def test_a_memory_copy_keeps_its_snapshot_across_a_republish(published: Path) -> None:
    with open_store(published, memory_max_quads=100) as old:
        publish(published, V2)
        assert not old.is_current() and old.in_memory
        assert rows(old.query(SELECT_ALL)) == [(EX + "a", "1"), (EX + "b", "2"), (EX + "c", "3")]


def test_a_reader_keeps_its_snapshot_across_a_republish(published: Path) -> None:
    with open_store(published) as old:
        publish(published, V2)
        assert not old.is_current()
        assert old.graphs() == [G1, G2]
        assert rows(old.query(SELECT_ALL)) == [(EX + "a", "1"), (EX + "b", "2"), (EX + "c", "3")]
        with open_store(published) as new:
            assert new.is_current() and new.graphs() == [G1, G3]


def test_a_failed_publish_leaves_the_store_unchanged(published: Path) -> None:
    before, builds_before = nquads(published), builds(published)
    broken = [(G1, nt(("x", "1"))), (G2, b'<http://example.org/y> <http://example.org/p> oops .\n')]
    with pytest.raises(StoreError, match=rf"graph <{G2}>: invalid N-Triples: .*line 1"):
        publish(published, broken)
    assert nquads(published) == before
    assert builds(published) == builds_before  # the half-built directory is gone
    publish(published, V2)  # and the lock was released


@pytest.mark.parametrize(("graphs", "message"), [
    ([(G1, b""), (G1, b"")], f"graph <{G1}> is given twice"),
    ([("no iri", b"")], "invalid graph IRI 'no iri'"),
])
def test_bad_graph_lists_are_refused(published: Path, graphs, message: str) -> None:
    before = nquads(published)
    with pytest.raises(StoreError, match=message):
        publish(published, graphs)
    assert nquads(published) == before


def test_empty_graphs_and_file_objects(path: Path) -> None:
    publish(path, [(G1, b""), (G2, io.BytesIO(nt(("c", "3"))))])
    with open_store(path) as store:
        assert store.graphs() == [G1, G2]
        assert (store.count(G1), store.count(G2)) == (0, 1)


def test_many_graphs_as_n_quads_in_one_bulk_load(path: Path) -> None:
    quads = b"".join(line.replace(b" .\n", f" <{g}> .\n".encode())
                     for g, data in V1 for line in data.splitlines(keepends=True))
    result = publish(path, [(G3, nt(("d", "4")))], quads=quads)
    assert result.graphs == {G1: 2, G2: 1, G3: 1} and result.triples == 4
    with open_store(path) as store:
        assert store.graphs() == [G1, G2, G3]


@pytest.mark.parametrize(("quads", "message"), [
    (f'<{EX}a> <{EX}p> "1" .\n'.encode(), "triples in the default graph"),
    (f'<{EX}a> <{EX}p> oops <{G1}> .\n'.encode(), "invalid N-Quads: .*line 1"),
])
def test_bad_n_quads_are_refused(published: Path, quads: bytes, message: str) -> None:
    before, builds_before = nquads(published), builds(published)
    with pytest.raises(StoreError, match=message):
        publish(published, [], quads=quads)
    assert nquads(published) == before and builds(published) == builds_before


def test_garbage_collection_keeps_current_and_previous(path: Path) -> None:
    names = [publish(path, V1).build_dir.name for _ in range(3)]
    assert builds(path) == set(names)  # the 3rd publish started with current=2, previous=1
    fourth = publish(path, V2)
    assert builds(path) == {names[1], names[2], fourth.build_dir.name}
    assert [p.name for p in fourth.removed] == [names[0]]


def test_a_second_publisher_is_refused_while_one_runs(path: Path) -> None:
    def graphs():
        yield G1, nt(("a", "1"))
        with pytest.raises(StoreError, match=rf"another build is running \(pid {os.getpid()} holds"):
            publish(path, V2)
        yield G2, nt(("c", "3"))

    publish(path, graphs())
    with open_store(path) as store:
        assert store.graphs() == [G1, G2]


def test_a_lock_held_by_someone_else_refuses_publish(published: Path) -> None:
    before = nquads(published)
    with open(published.with_name("store.lock"), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="another build is running"):
            publish(published, V2)
    assert nquads(published) == before
    publish(published, V2)


def test_a_real_directory_is_refused_and_left_intact(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "precious.txt").write_text("user data")
    with pytest.raises(StoreError, match="was not created by plankg"):
        publish(path, V1)
    assert [p.name for p in path.iterdir()] == ["precious.txt"]


def test_a_foreign_symlink_is_refused(path: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    path.parent.mkdir(parents=True)
    path.symlink_to(elsewhere)
    with pytest.raises(StoreError, match="not to a build in"):
        publish(path, V1)
    assert path.is_symlink() and path.resolve() == elsewhere


# --- missing stores -------------------------------------------------------------------------


@pytest.mark.parametrize(("setup", "why"), [
    ("missing", "does not exist"),
    ("empty", "is empty or not an Oxigraph store"),
    ("other", "is empty or not an Oxigraph store"),
    ("file", "is not a directory"),
])
def test_no_store_is_a_store_error(path: Path, setup: str, why: str) -> None:
    path.parent.mkdir(parents=True)
    if setup in ("empty", "other"):
        path.mkdir()
    if setup == "other":
        (path / "notes.txt").write_text("hello")
    if setup == "file":
        path.write_text("hello")
    with pytest.raises(StoreError, match=rf"no plankg store at {path}: it {why}; run `plankg build`"):
        open_store(path)
    with pytest.raises(StoreError, match=rf"no plankg store at {path}"):
        store_info(path)


def test_an_unpublished_oxigraph_store_opens_but_has_no_build_info(path: Path) -> None:
    path.parent.mkdir(parents=True)
    writable = pyoxigraph.Store(str(path))
    writable.add(pyoxigraph.Quad(pyoxigraph.NamedNode(EX + "a"), pyoxigraph.NamedNode(EX + "p"),
                                 pyoxigraph.Literal("1"), pyoxigraph.NamedNode(G1)))
    del writable
    with open_store(path) as store:
        assert isinstance(store, OxigraphStore) and store.count() == 1
    with pytest.raises(StoreError, match="has no BUILD.json"):
        store_info(path)


# --- the interface -------------------------------------------------------------------------

USED = ("build_id", "query", "graphs", "count", "graph_exists", "dump", "update", "load", "clear", "flush", "close",
        "__enter__", "__exit__")
"""What the CLI, the build and the server (plankg.server.engine) use of a store."""


def test_graph_store_declares_everything_used_and_oxigraph_store_has_it(published: Path) -> None:
    assert set(USED) <= set(dir(GraphStore))
    for store in (open_store(published), open_store(published, memory_max_quads=100),
                  open_store(published, writable=True)):
        with store:
            assert isinstance(store, GraphStore)
            assert all(hasattr(store, name) for name in USED)
            assert store.build_id == Path(store_info(published)["build_dir"]).name


def _write_through_the_interface(store: GraphStore) -> list[tuple[str, ...]]:
    store.update("INSERT DATA { GRAPH <g:new> { <s:1> <p:1> 'x' } }")
    store.update("INSERT DATA { GRAPH <g:new> { <s:2> <p:1> ex:y } }", base_iri=EX, prefixes={"ex": EX})
    store.load(nt(("c", "replaced")), pyoxigraph.RdfFormat.N_TRIPLES, G2, replace=True)
    store.load(nt(("d", "added")), pyoxigraph.RdfFormat.N_TRIPLES, G2)
    store.load(nt(("e", "default")), pyoxigraph.RdfFormat.N_TRIPLES, None)
    assert store.clear(G1) is True and store.clear(G1) is False and store.clear(None) is True
    assert store.graph_exists(G2) and store.graph_exists(None) and not store.graph_exists(G1)
    store.flush()
    return rows(store.query("SELECT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g ?o"))


def test_writes_through_the_interface(published: Path) -> None:
    with open_store(published, writable=True) as store:
        assert _write_through_the_interface(store) == [
            ("g:new", "http://example.org/y"), ("g:new", "x"), (G2, "added"), (G2, "replaced")]
        assert store.graphs() == sorted([G2, "g:new"])  # no staging graph left
    with open_store(published) as store:  # flushed, and seen by the next reader
        assert store.count() == 4


def test_a_failed_replacing_load_changes_nothing_and_a_leftover_staging_graph_is_dropped(published: Path) -> None:
    with open_store(published, writable=True) as store, pytest.raises(SyntaxError):
        store.load(b"<a> <b> garbage", pyoxigraph.RdfFormat.N_TRIPLES, G1, replace=True)
    raw = pyoxigraph.Store(os.path.realpath(published))  # as a replacing load killed after staging leaves it
    raw.add(pyoxigraph.Quad(pyoxigraph.NamedNode(EX + "a"), pyoxigraph.NamedNode(EX + "p"), pyoxigraph.Literal("1"),
                            pyoxigraph.NamedNode("urn:plankg:upload:0123")))
    del raw
    with open_store(published, writable=True) as store:
        assert store.graphs() == [G1, G2] and store.count(G1) == 2


def test_writes_on_a_read_only_store_fail(published: Path) -> None:
    with open_store(published) as store, pytest.raises(RuntimeError, match="read-write"):
        store.update("INSERT DATA { <s:1> <p:1> 'x' }")


STORE_READERS = {
    "server/__init__.py": "hands the location to the executor, which opens it with plankg.store.open_location",
    "serving/serve.py": "names the location in the start-up log line",
}


def test_the_server_reaches_a_store_only_through_the_interface() -> None:
    """No module of plankg.server imports pyoxigraph's Store or the Oxigraph backend, or calls
    them, or looks into the store's directory itself: a second backend is one module
    (tests/test_store_backend.py serves from one)."""
    import plankg.server

    backend_names = {"Store", "OxigraphStore", "open_store"}
    offenders = []
    for source in sorted(Path(plankg.server.__file__).parent.rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        tree = ast.parse(text, str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("pyoxigraph", "plankg.store", "plankg.store.oxigraph"):
                offenders += [f"{source}:{node.lineno}" for a in node.names if a.name in backend_names]
            elif isinstance(node, ast.Attribute) and node.attr in backend_names:
                offenders.append(f"{source}:{node.lineno}")
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "STORE":
                if source.relative_to(source.parents[1]).as_posix() not in STORE_READERS:
                    offenders.append(f"{source}:{node.lineno} reads config['STORE']")
    assert offenders == []


# --- crash safety ---------------------------------------------------------------------------

KILLED_PUBLISHER = r'''
import io, sys, threading
from plankg.store import publish

data = b"".join(b'<http://example.org/s%d> <http://example.org/p> "%d" .\n' % (i, i)
                for i in range(int(sys.argv[2])))


class StallingReader(io.RawIOBase):
    """Says "loading" on its first read, serves half of the data, then blocks forever."""

    def __init__(self, data):
        self._data, self._half, self._started = io.BytesIO(data), len(data) // 2, False

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self._started:
            self._started = True
            print("loading", flush=True)
        if self._data.tell() >= self._half:
            threading.Event().wait()  # until SIGKILL
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


publish(sys.argv[1], [("http://example.org/graph/big", data),
                      ("http://example.org/graph/stalled", StallingReader(data))])
print("finished", flush=True)
'''


@pytest.mark.slow
def test_a_publish_killed_while_loading_leaves_the_old_store(published: Path, tmp_path: Path) -> None:
    before, current = nquads(published), store_info(published)["build"]
    # killed once the big graph is on disk and the 2nd is loading
    signalled, stderr, returncode = kill_at_first_line(KILLED_PUBLISHER, str(published), str(KILL_TEST_TRIPLES),
                                                       cwd=tmp_path)
    assert signalled == "loading\n", stderr
    assert returncode == -signal.SIGKILL

    leftovers = builds(published) - {current}
    assert len(leftovers) == 1
    leftover = published.with_name("store.builds") / leftovers.pop()
    assert sum(f.stat().st_size for f in leftover.iterdir()) > 1_000_000  # data was written
    assert nquads(published) == before and store_info(published)["build"] == current

    result = publish(published, V2)
    assert leftover in result.removed and not leftover.exists()
    assert builds(published) == {current, result.build_dir.name}
    with open_store(published) as store:
        assert store.graphs() == [G1, G3] and store.count() == 2


def test_dataset_clause_scan_consumes_a_long_word_in_one_match():
    """A long identifier is one token: the scan is linear (it was quadratic: ~50 s for 100 kB)."""
    from plankg.sparql.lexer import tokens

    word = "x" * 100_000
    assert [m.span() for m in tokens(word)] == [(0, len(word))]
    # 'from' in a string makes it scan the whole text, and the word is not FROM
    assert has_dataset_clause("SELECT * WHERE { ?s ?p 'from' . ?s ?p " + word + " }") is False
    assert has_dataset_clause("SELECT * WHERE { ?s ?p 'x' . ?s ?p " + word + " } # from") is False
    assert has_dataset_clause("SELECT * fRoM <g> WHERE { ?s ?p " + word + " }") is True


def _answers(result) -> list:
    """A query result as a sorted list of plain values (an ASK result as a one-item list).
    The order of GROUP_CONCAT's parts is not defined (SPARQL 1.1 §18.5.1.7): the example
    queries join them with 、, so each value's 、-separated parts are sorted."""
    if isinstance(result, pyoxigraph.QueryBoolean):
        return [bool(result)]
    if isinstance(result, pyoxigraph.QueryTriples):
        return sorted(str(t) for t in result)
    return sorted(tuple(_sorted_parts(v) for v in row) for row in result)


def _sorted_parts(term) -> str:
    if not isinstance(term, pyoxigraph.Literal):
        return str(term)
    return "、".join(sorted(term.value.split("、"))) + f"@{term.language}^^{term.datatype.value}"


@pytest.mark.parametrize("name", sorted(p.name for p in QUERIES_DIR.glob("*.rq")))
def test_every_example_query_answers_the_same_from_memory_as_from_disk(full_store: Path, name: str) -> None:
    query = (QUERIES_DIR / name).read_text(encoding="utf-8")
    with open_store(full_store) as disk, open_store(full_store, memory_max_quads=1_000_000) as memory:
        assert memory.in_memory and memory.count() == disk.count()
        expected = _answers(disk.query(query))
        assert expected and _answers(memory.query(query)) == expected
