"""The remote store backend on real servers (Oxigraph server, Virtuoso): publishing is atomic per
graph for readers, a killed build changes nothing readers see, the CLI works through
``--store-url``, and what differs between servers is handled (docs/deploy.md).

The behaviours every backend shares (the protocol, the pages, the UI's data) are tested by the
modules that ask for ``backend_sparql_server`` (tests/backends.py).
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from backends import REMOTE, RemoteStoreUnderTest, remote_store
from conftest import PLANKG, SEED, run_plankg

PLAN_GRAPH = "https://w3id.org/plankg/id/graph/mol/108"
COUNT_PLAN = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{PLAN_GRAPH}> {{ ?s ?p ?o }} }}"
COUNT_UNION = ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o "
               "FILTER(STRSTARTS(STR(?s), 'https://w3id.org/plankg/id/mol/108/')) }")
COUNT_BOTH = ("SELECT ?plan ?union WHERE { "  # in one query: one moment of the store
              f"{{ SELECT (COUNT(*) AS ?plan) WHERE {{ GRAPH <{PLAN_GRAPH}> {{ ?s ?p ?o }} }} }} "
              "{ SELECT (COUNT(*) AS ?union) WHERE { ?s ?p ?o "
              "FILTER(STRSTARTS(STR(?s), 'https://w3id.org/plankg/id/mol/108/')) } } }")
POLL_LIMIT_S = 120  # a publish under observation must end by then


@pytest.fixture(params=REMOTE)
def fresh(request, tmp_path) -> RemoteStoreUnderTest:
    """A fresh server of each remote kind, with the seed plan built onto it."""
    with remote_store(request.param, tmp_path) as store:
        yield store


def variant_plan(tmp_path: Path) -> Path:
    """The seed plan with 青年 written otherwise: the same graphs, with other content (fewer links)."""
    path = tmp_path / "variant" / "mol-108.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(SEED.read_text(encoding="utf-8").replace("青年", "年輕人"), encoding="utf-8")
    return path


def count(store: RemoteStoreUnderTest, query: str) -> int:
    from plankg.store.remote import RemoteStore

    with RemoteStore(store.settings()) as kg:
        return int(next(iter(kg.query(query)))["n"].value)


def control(store: RemoteStoreUnderTest) -> dict:
    from plankg.store.remote import read_control

    return read_control(store.settings())


def test_build_and_stats_through_store_url(fresh: RemoteStoreUnderTest, built_store: Path) -> None:
    """The remote build holds the same graphs, triple for triple, as the embedded one."""
    remote = fresh.plankg("stats", check=True).stdout
    embedded = run_plankg("stats", "--store", str(built_store), check=True).stdout
    graphs = lambda text: sorted(l for l in text.splitlines() if l.startswith("graph <"))  # noqa: E731
    assert graphs(remote) == graphs(embedded)
    plan_line = [l for l in remote.splitlines() if l.startswith("勞動部 108")]
    assert plan_line and "8 Goal, 42 Strategy" in plan_line[0]


def test_query_and_export_through_store_url(fresh: RemoteStoreUnderTest, built_store: Path) -> None:
    q = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a <https://w3id.org/plankg/ontology#Strategy> }"
    assert fresh.plankg("query", "-f", "csv", q, check=True).stdout.split() == ["n", "42"]
    remote = set(fresh.plankg("export", "-f", "nquads", check=True).stdout.splitlines())
    embedded = set(run_plankg("export", "-f", "nquads", "--store", str(built_store), check=True).stdout.splitlines())
    in_plan = lambda lines: {l for l in lines if l.endswith(f"<{PLAN_GRAPH}> .")}  # noqa: E731
    assert in_plan(remote) == in_plan(embedded) and len(in_plan(remote)) > 4000


def test_a_reader_polling_during_a_publish_never_sees_a_half_loaded_plan(fresh: RemoteStoreUnderTest,
                                                                        tmp_path: Path) -> None:
    old_plan, old_union = count(fresh, COUNT_PLAN), count(fresh, COUNT_UNION)
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def poll() -> None:
        from plankg.store.remote import RemoteStore

        deadline = time.monotonic() + POLL_LIMIT_S
        kg = RemoteStore(fresh.settings())
        while not done.is_set() and time.monotonic() < deadline:
            if not kg.is_current():
                kg = RemoteStore(fresh.settings())  # as plankg.store.current reopens after a publish
            row = next(iter(kg.query(COUNT_BOTH)))
            seen.append((int(row["plan"].value), int(row["union"].value)))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        fresh.plankg("build", str(variant_plan(tmp_path)), check=True)
    finally:
        done.set()
        reader.join()
    new_plan, new_union = count(fresh, COUNT_PLAN), count(fresh, COUNT_UNION)
    assert (old_plan, old_union) != (new_plan, new_union) and len(seen) > 10
    print(f"{fresh.kind}: {len(seen)} observations during the publish, "
          f"{sum(1 for o in seen if o == (old_plan, old_union))} old, {sum(1 for o in seen if o == (new_plan, new_union))} new")
    # Oxigraph: the switch is one transaction; Virtuoso: readers wait while it moves graph by graph
    assert set(seen) <= {(old_plan, old_union), (new_plan, new_union)}, f"a half-switched store was seen: {set(seen)}"
    assert not control(fresh)["uploading"] and not control(fresh)["switching"]


def test_the_servers_current_store_takes_up_a_new_build(fresh: RemoteStoreUnderTest, monkeypatch) -> None:
    """As `plankg serve` does: plankg.store.current.CurrentStore asks is_current() on each
    request and again before it reopens; the second question must not hide the first's answer."""
    from plankg.store import RemoteLocation
    from plankg.store.current import CurrentStore
    from plankg.store.remote import CHECK_INTERVAL_S

    for name, value in fresh.env().items():
        monkeypatch.setenv(name, value)
    current = CurrentStore(RemoteLocation(fresh.env()["PLANKG_STORE_URL"], fresh.files), False)
    old = current.current().build_id
    fresh.plankg("build", str(SEED), check=True)
    new = control(fresh)["build"]
    assert new != old
    deadline = time.monotonic() + 3 * CHECK_INTERVAL_S + 5
    while current.current().build_id != new:
        assert time.monotonic() < deadline, f"still serving {old} after the switch to {new}"
        time.sleep(0.05)


def test_a_killed_build_changes_nothing_readers_see_and_the_next_build_cleans_up(fresh: RemoteStoreUnderTest,
                                                                                  tmp_path: Path) -> None:
    before = (control(fresh)["build"], count(fresh, COUNT_PLAN), count(fresh, COUNT_UNION))
    proc = subprocess.Popen([str(PLANKG), "build", "--store", str(fresh.files), str(variant_plan(tmp_path))],
                            env={**_clean_env(), **fresh.env()}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + POLL_LIMIT_S
        while not control(fresh)["staging"]:  # kill it once it has uploaded into staging graphs
            assert proc.poll() is None and time.monotonic() < deadline, "the build ended before it staged a graph"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = control(fresh)
    assert left["staging"] and (left["build"], count(fresh, COUNT_PLAN), count(fresh, COUNT_UNION)) == before
    fresh.plankg("build", str(variant_plan(tmp_path)), check=True)
    after = control(fresh)
    assert not after["uploading"] and after["build"] != before[0]
    from plankg.store.remote_protocol import run_query

    graphs = {r["g"].value for r in run_query(fresh.settings(),
                                              [("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")])}
    assert not {g for g in graphs if g.startswith("urn:plankg:staging:")}, "staging graphs left behind"


def test_credentials_come_from_the_environment_and_never_show(fresh: RemoteStoreUnderTest) -> None:
    e = fresh.endpoints
    with_userinfo = e.query_url.replace("http://", "http://someone:secret@")
    proc = fresh.plankg("stats", env={"PLANKG_STORE_URL": with_userinfo})
    assert proc.returncode == 3 and "not in the URL" in proc.stderr and "secret" not in proc.stderr
    if e.user:  # Virtuoso: a wrong password is refused, and the message does not repeat it
        proc = fresh.plankg("build", str(SEED), env={"PLANKG_STORE_PASSWORD": "wrong-password-xyz"})
        assert proc.returncode == 3 and "refused" in proc.stderr and "wrong-password-xyz" not in proc.stderr


def test_a_server_that_is_down_is_a_store_problem(tmp_path: Path) -> None:
    proc = run_plankg("stats", "--store-url", "http://127.0.0.1:9/sparql", "--store", str(tmp_path))
    assert proc.returncode == 3 and "does not answer" in proc.stderr and "Traceback" not in proc.stderr


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PLANKG_")}


def test_the_build_record_is_on_the_server(fresh: RemoteStoreUnderTest) -> None:
    """``plankg serve`` on another machine reads BUILD.json from the server (public URL check)."""
    info = control(fresh)["info"]
    assert info["build"] == control(fresh)["build"] and info["triples"] > 4000
    assert json.loads(json.dumps(info)) == info


def test_the_time_limit_holds_in_front_of_a_remote_server(fresh: RemoteStoreUnderTest, tmp_path: Path) -> None:
    """A query past ``--timeout-s`` gets 503, the worker does not retire (the remote call ends by
    the deadline: nothing is stuck), and the next query is answered."""
    from server_support import start_server, stop

    server = start_server(fresh.files, tmp_path / "serve.log", "--workers", "1", "--timeout-s", "2", env=fresh.env())
    try:
        heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        status, _, body = server.get("/sparql", {"query": heavy}, timeout=60)
        assert status == 503 and b"limit of 2 s" in body, body
        assert server.get("/sparql", {"query": "ASK { ?s ?p ?o }"})[0] == 200
        assert "stuck" not in server.log() and "retir" not in server.log(), server.log()
    finally:
        stop(server)


def test_a_result_virtuoso_cut_at_its_row_limit_is_an_error_not_a_short_answer(tmp_path: Path) -> None:
    """Virtuoso's ResultSetMaxRows (100,000 in tests/sparql_servers.py) cuts a result without an
    error; plankg says so instead of passing the rows on as the whole answer."""
    from server_support import start_server, stop

    with remote_store("virtuoso", tmp_path) as store:
        server = start_server(store.files, tmp_path / "serve.log", env=store.env())
        try:
            many = ("SELECT * WHERE { ?s ?p ?o . ?x a <https://w3id.org/plankg/ontology#Strategy> }")  # 42 × 4,000+
            status, _, body = server.get("/sparql", {"query": many}, timeout=120)
            assert status == 500 and b"maximum of 100000 rows" in body and b"LIMIT and OFFSET" in body, body
            paged = many + " LIMIT 1000 OFFSET 120000"
            status, _, body = server.get("/sparql", {"query": paged}, timeout=120)
            assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 1000
        finally:
            stop(server)


def test_a_servers_own_failure_is_not_blamed_on_the_query(remote_stores) -> None:
    """Virtuoso 7.2.5 fails example query 12 with an internal compiler error (SQ156, in its
    error class 37000 like its syntax errors): that is the server's failure, not a 400."""
    store = remote_stores["virtuoso"]
    proc = store.plankg("query", "-e", "12-laws-cited-by-several-agencies")
    assert proc.returncode == 3 and "failed the query" in proc.stderr and "SQ156" in proc.stderr, proc.stderr
    assert "invalid SPARQL" not in proc.stderr and "Traceback" not in proc.stderr
