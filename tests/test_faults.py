"""Faults (issue 18): SIGKILL of `plankg build` at seeded moments leaves what readers see as it
was published, on the embedded store and on a remote server; SIGKILL of a serving worker under
load loses at most the requests in flight, and the master replaces it.

The killed builds: the seed plan is built once (the *published* state) and timed; then a changed
plan (tests/test_remote_store.py's ``variant_plan``) is built ``KILLS[backend]`` times, each
build SIGKILLed (the build process alone, as the kernel's OOM killer would) at a moment drawn
from ``random.Random(RNG_SEED)``, one in each of ``KILLS`` equal slices of ``[0, 1.25 ×`` the
measured build time``]`` (start-up, the graphs' computation, the upload or load, the switch).
After each kill, what readers see is classified:

* **old**: it is the published state: the whole ``plankg export -f nquads`` (sorted lines,
  the metadata graph and its build times included) is byte-identical to the published one;
* **new**: the kill came after the switch (the embedded store's symlink, or Oxigraph server's
  one-transaction switch, names the killed build): then the killed build is the published one,
  its content graphs are the changed plan's (checked against the completed build at the end),
  and it is the reference for the next kills;
* **fail-closed** (Virtuoso only): the kill came after the build marked the record ``switching``
  (docs/deploy.md): plankg's readers answer nothing within their time limit rather than a mix;
  the next build drops the mark and the dump is then compared again. (When a reader does get an
  answer, the mark must be gone: the killed build had sent its switch, one update request, and the
  server applied it after the check; that kill counts as **new**.)

``plankg stats`` must work after every kill but a fail-closed one. Then one build runs to
completion and the content changes (so the comparison can fail).

Kills per backend: ``KILLS`` below; ``FAULTS_KILLS=N`` sets every backend's.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import signal
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backends import RemoteStoreUnderTest, remote_store
from conftest import PLANKG, SEED, run_plankg
from procstat import workers as _workers
from server_support import Load, Server, start_server, stop, wait_for_workers
from test_remote_store import variant_plan

RNG_SEED = 18  # the number: the kill moments are the same on every run (given the measured time)
KILLS = {"embedded": 20, "oxigraph": 20, "virtuoso": 8}  # Virtuoso: fewer, its dumps take 2 s each (paged reads)
if os.environ.get("FAULTS_KILLS"):
    KILLS = dict.fromkeys(KILLS, int(os.environ["FAULTS_KILLS"]))
SPREAD = 1.25  # kill moments up to SPREAD × the measured build time: builds vary under load, some land at the very end
META_GRAPH = "<https://w3id.org/plankg/id/graph/meta>"
READER_LIMIT_S = 2.0  # a reader's time limit while a switching mark is left


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PLANKG_")}


def _sorted_export(text: str) -> bytes:
    return "".join(sorted(text.splitlines(keepends=True))).encode("utf-8")


def _content(dump: bytes) -> str:
    """A hash of the content graphs, comparable between builds: the dump without the metadata
    graph (it has the build's times), its blank nodes relabelled canonically (RDFC-1.0: each
    build labels the ontology's OWL lists afresh)."""
    import pyoxigraph as ox

    lines = b"\n".join(line for line in dump.splitlines() if not line.rstrip().endswith(f"{META_GRAPH} .".encode()))
    dataset = ox.Dataset(ox.parse(lines, ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return hashlib.sha256("\n".join(sorted(str(q) for q in dataset)).encode("utf-8")).hexdigest()


def _group(pgid: int) -> list[int]:
    """The live processes of the process group ``pgid`` (one we started, in a session of its own)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


@dataclass
class Target:
    """Where builds are published and how readers read it, for one backend."""

    kind: str
    store: Path  # --store: the embedded store's path, or a remote store's files
    remote: RemoteStoreUnderTest | None = None

    def env(self) -> dict[str, str]:
        return self.remote.env() if self.remote else {}

    def plankg(self, *args: str, check: bool = False, env: dict[str, str] | None = None):
        return run_plankg(*args, "--store", str(self.store), env={**self.env(), **(env or {})}, check=check)

    def dump(self) -> bytes:
        return _sorted_export(self.plankg("export", "-f", "nquads", check=True).stdout)

    def snapshot(self) -> tuple[str, bytes | None]:
        """The build readers see and the dump of it. A remote store's export reads graph by graph,
        and a killed build's switch may still be applied by the server after the kill: the build's
        name is read before and after the dump, and the dump taken again if they differ.
        (A switching mark: no dump, readers wait.)"""
        for _ in range(5):
            before = self.published()
            if self.remote is not None and self.control()["switching"]:
                return before, None
            dump = self.dump()
            if self.published() == before:
                return before, dump
        raise AssertionError("the published build kept changing after the kill")

    def published(self) -> str:
        """The name of the build readers see."""
        if self.remote is None:
            return os.path.basename(os.readlink(self.store))
        return self.control()["build"]

    def control(self) -> dict:
        from plankg.store.remote import read_control

        return read_control(self.remote.settings())


@dataclass
class Kill:
    at: float  # seconds after the build started
    outcome: str  # old, new, fail-closed, or finished (the build ended before its kill)
    phase: str  # what the build had done, as far as can be seen from outside
    orphans: int = 0  # processes of the build's group still alive after the kill


@dataclass
class Run:
    kind: str
    build_s: float
    mark_s: float  # when the timed build took the lock (embedded) or marked itself on the server (remote)
    kills: list[Kill] = field(default_factory=list)

    def summary(self) -> str:
        counts = {o: sum(1 for k in self.kills if k.outcome.startswith(o)) for o in
                  ("old", "new", "late-new", "fail-closed", "finished")}
        lines = [f"{self.kind}: build {self.build_s:.2f} s (first mark at {self.mark_s:.2f} s); {len(self.kills)} kills: "
                 + ", ".join(f"{n} {o}" for o, n in counts.items() if n)]
        lines += [f"  kill at {k.at:5.2f} s: {k.outcome:11} ({k.phase}{f'; {k.orphans} orphans' if k.orphans else ''})"
                  for k in self.kills]
        return "\n".join(lines)


def _timed_build(target: Target) -> float:
    """Build the seed plan (the published state); return when it made its build directory
    (embedded) or marked itself ``building`` on the server (remote), as seen by polling."""
    env = {**_clean_env(), **target.env()}
    started, mark = time.monotonic(), None
    proc = subprocess.Popen([str(PLANKG), "build", "--store", str(target.store), str(SEED)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    builds = target.store.with_name(target.store.name + ".builds")
    while proc.poll() is None:
        if mark is None:
            if target.remote is None:
                marked = any(builds.glob(f"*-{proc.pid}")) if builds.is_dir() else False
            else:
                marked = bool(target.control()["building"])
            if marked:
                mark = time.monotonic() - started
        time.sleep(0.02)
    with proc.stderr:
        assert proc.wait() == 0, proc.stderr.read().decode()
    return mark if mark is not None else 0.0


def _phase(target: Target, pid: int) -> str:
    """What a killed build had done, seen from outside."""
    if target.remote is None:
        builds = [p for p in target.store.with_name(target.store.name + ".builds").glob(f"*-{pid}")]
        if not builds:
            return "before the lock"
        return "build written, not switched" if (builds[0] / "BUILD.json").exists() else "loading"
    c = target.control()
    if c["switching"]:
        return "switching"
    if c["building"]:
        return f"uploading ({len(c['staging'])} staging graphs)"
    return "before the upload" if not c["staging"] else f"leftovers ({len(c['staging'])} staging graphs)"


def _readers_answer_nothing(target: Target) -> bool:
    """While a switching mark is left, a reader (as `plankg serve` reads: under a deadline) gets no
    answer. False when the reader got one because the mark is gone: the build had sent its switch (one
    update request) before its kill, and the server applied it after the check that saw the mark."""
    from plankg.errors import StoreError
    from plankg.store.graphstore import deadline
    from plankg.store.remote import RemoteStore

    started = time.monotonic()
    try:
        with deadline(started + READER_LIMIT_S):
            with RemoteStore(target.remote.settings()) as kg:
                rows = list(kg.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
    except StoreError:
        pass
    else:
        if not target.control()["switching"]:
            return False
        pytest.fail(f"a reader got an answer while the switch was unfinished: {rows}")
    assert time.monotonic() - started < READER_LIMIT_S + 10
    # The CLI's readers too, past their time limit (PLANKG_STORE_TIMEOUT_S): a store error, no answer.
    proc = target.plankg("query", "-f", "csv", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                         env={"PLANKG_STORE_TIMEOUT_S": str(READER_LIMIT_S)})
    assert proc.returncode == 3 and not proc.stdout and "switching" in proc.stderr, (proc.returncode, proc.stdout,
                                                                                    proc.stderr)
    return True


def kill_builds(target: Target, variant: Path, workdir: Path) -> Run:
    """Publish the seed plan (timed), then kill KILLS builds of ``variant``, then build it whole."""
    started = time.monotonic()
    mark_s = _timed_build(target)
    run = Run(target.kind, time.monotonic() - started, mark_s)
    reference, name = target.dump(), target.published()
    assert target.dump() == reference, "two exports of one build differ: the comparison would mean nothing"
    seed_content, new_contents = _content(reference), set()
    rng, n = random.Random(RNG_SEED), KILLS[target.kind]
    # Moments as fractions of the build's time: half over the whole build, half from its first mark
    # to the end. The time is the measured one, or the shortest of the builds that finished before
    # their kill (a loaded machine makes one build's time a rough guide).
    half, mark = n // 2, run.mark_s / run.build_s
    fractions = [SPREAD * (i + rng.random()) / half for i in range(half)]
    fractions += [mark + (SPREAD - mark) * (i + rng.random()) / (n - half) for i in range(n - half)]
    build_s = run.build_s
    log = workdir / "killed-builds.log"
    killed: list[int] = []  # the pids of the killed builds (a build's name ends with its pid)
    late: list[str] = []
    for fraction in fractions:
        at = fraction * build_s
        with open(log, "ab") as out:
            proc = subprocess.Popen([str(PLANKG), "build", "--store", str(target.store), str(variant)],
                                    env={**_clean_env(), **target.env()}, stdout=out, stderr=out,
                                    start_new_session=True)
        t0 = time.monotonic()
        killed.append(proc.pid)
        try:
            proc.wait(timeout=at)
            outcome = "finished"
            assert proc.returncode == 0, f"the build failed on its own ({proc.returncode}); see {log}"
            build_s = min(build_s, time.monotonic() - t0)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            outcome = ""
        orphans = _group(proc.pid)
        if orphans:  # forked helpers of the build (its SHACL pool) outlive it: ours, so stop them
            os.killpg(proc.pid, signal.SIGKILL)
            deadline_at = time.monotonic() + 10
            while _group(proc.pid) and time.monotonic() < deadline_at:
                time.sleep(0.05)
        phase = "finished" if outcome == "finished" else _phase(target, proc.pid)
        now, dump = target.snapshot()
        if outcome != "finished" and target.remote is not None and target.control()["switching"]:
            assert target.kind == "virtuoso", f"a switching mark on {target.kind}, whose switch is one transaction"
            assert now == name, "the record names another build while its switch mark is still there"
            if _readers_answer_nothing(target):
                outcome = "fail-closed"
            else:  # the server has since applied the switch the build sent before its kill: a new build
                now, dump = target.snapshot()
        if outcome in ("finished", "fail-closed"):
            pass
        elif now == name:
            outcome = "old"
            if dump != reference:  # the evidence, for the report
                (workdir / f"kill-{len(killed)}-published.nq").write_bytes(reference)
                (workdir / f"kill-{len(killed)}-seen.nq").write_bytes(dump)
                time.sleep(3)
                (workdir / f"kill-{len(killed)}-seen-3s-later.nq").write_bytes(target.dump())
                (workdir / f"kill-{len(killed)}-control.txt").write_text(
                    f"at the kill: {phase}\nnow: {target.control() if target.remote else os.readlink(target.store)}\n")
            assert dump == reference, (f"kill {len(killed)} at {at:.2f} s ({phase}): readers see something else than "
                                       f"the published build (evidence in {workdir})")
        else:
            killer = int(now.rsplit("-", 1)[1])
            assert killer in killed, f"readers see {now}, neither {name} nor a killed build's"
            outcome = "new" if killer == proc.pid else f"late-new (kill {killed.index(killer) + 1})"
            if killer != proc.pid:  # the server applied an earlier killed build's switch after its checks
                late.append(f"kill {len(killed)} found the switch of kill {killed.index(killer) + 1} applied after it")
        if outcome.startswith("new") or outcome.startswith("late-new") or outcome == "finished":
            reference, name = dump, now
            new_contents.add(_content(reference))
        if outcome != "fail-closed":
            stats = target.plankg("stats")
            assert stats.returncode == 0 and "total:" in stats.stdout, f"stats after a kill at {at:.2f} s: {stats.stderr}"
        run.kills.append(Kill(round(at, 2), outcome, phase, len(orphans)))
        print(f"{target.kind}: kill at {at:.2f} s ({time.monotonic() - t0:.1f} s with the checks): {outcome}, {phase}"
              + (f", {len(orphans)} orphans" if orphans else ""), flush=True)
    target.plankg("build", str(variant), check=True)  # one build to completion: the content changes
    final = target.dump()
    assert _content(final) != seed_content, "the completed build of the changed plan changed nothing readers see"
    assert new_contents <= {_content(final)}, "a kill after the switch published something else than the plan"
    if target.remote is not None:
        c = target.control()
        assert not c["uploading"] and not c["switching"], c
        from plankg.store.remote_protocol import run_query

        graphs = {r["g"].value for r in run_query(target.remote.settings(),
                                                  [("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")])}
        assert not {g for g in graphs if g.startswith("urn:plankg:staging:")}, "staging graphs left behind"
    print("\n".join(late))
    return run


@pytest.mark.slow
def test_killed_builds_leave_the_embedded_store_as_published(tmp_path: Path) -> None:
    run = kill_builds(Target("embedded", tmp_path / "store"), variant_plan(tmp_path), tmp_path)
    print(run.summary())
    assert len(run.kills) == KILLS["embedded"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_killed_builds_leave_a_remote_store_as_published(kind: str, tmp_path: Path) -> None:
    with remote_store(kind, tmp_path) as store:
        run = kill_builds(Target(kind, store.files, store), variant_plan(tmp_path), tmp_path)
    print(run.summary())
    assert len(run.kills) == KILLS[kind]


# ---------------------------------------------------------------- a serving worker killed under load

CLIENTS = 4  # client threads; each has at most one request in flight
PER_CLIENT = 50  # requests per client and load
REPLACEMENT_S = 60  # the master must have started a replacement worker by then
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs until the time limit
LOAD_PATHS = [
    "/sparql?" + urllib.parse.urlencode({"query": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a "
                                                  "<https://w3id.org/plankg/ontology#Strategy> }"}),
    "/sparql?" + urllib.parse.urlencode({"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200"}),
    "/healthz",
]


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _replaced(master: int, killed: int, before: set[int]) -> int:
    """Wait until the master runs as many workers as before, one of them new; the new one's pid."""
    deadline = time.monotonic() + REPLACEMENT_S
    while time.monotonic() < deadline:
        now = _workers(master)
        if killed not in now and len(now) == len(before) and now - before:
            return (now - before).pop()
        time.sleep(0.05)
    raise AssertionError(f"no replacement for worker {killed} after {REPLACEMENT_S} s: workers {_workers(master)}")


@pytest.fixture()
def two_workers(built_store, tmp_path):
    server = start_server(built_store, tmp_path / "server.log", "--workers", "2", "--timeout-s", "30")
    try:
        wait_for_workers(server, 2)
        yield server
    finally:
        stop(server)


def test_a_worker_killed_under_load_loses_at_most_the_requests_in_flight(two_workers) -> None:
    server, master = two_workers, two_workers.proc.pid
    report = []

    # 1. Any worker, under load.
    before = _workers(master)
    load = Load(server, LOAD_PATHS, CLIENTS, PER_CLIENT).start()
    load.wait_for(CLIENTS * PER_CLIENT // 4)
    victim = random.Random(RNG_SEED).choice(sorted(before))
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    replacement = _replaced(master, victim, before)
    replaced_s = time.monotonic() - killed_at
    statuses = load.join()
    failed = sum(1 for s in statuses if s == 0 or s >= 500)
    report.append(f"worker {victim} killed under load: {failed} of {len(statuses)} requests failed, "
                  f"replacement {replacement} up {replaced_s:.2f} s after the kill")
    assert failed <= CLIENTS, f"{failed} requests failed, more than the {CLIENTS} that can be in flight"

    # 2. The worker evaluating a long query, under load: that query is lost, and at most the others in flight.
    before = _workers(master)
    heavy: list[int] = []
    thread = threading.Thread(target=lambda: heavy.append(_status(server, HEAVY)), daemon=True)
    ticks = {pid: _cpu_ticks(pid) for pid in before}
    thread.start()
    time.sleep(1.0)  # before the load: the busy worker is the one evaluating the query
    busy = max(before, key=lambda pid: _cpu_ticks(pid) - ticks[pid])
    load = Load(server, LOAD_PATHS, CLIENTS, PER_CLIENT).start()
    load.wait_for(CLIENTS * PER_CLIENT // 4)
    assert thread.is_alive(), f"the long query ended before its worker was killed: {heavy}"
    os.kill(busy, signal.SIGKILL)
    killed_at = time.monotonic()
    replacement = _replaced(master, busy, before)
    replaced_s = time.monotonic() - killed_at
    thread.join(60)
    statuses = load.join()
    failed = sum(1 for s in statuses if s == 0 or s >= 500)
    report.append(f"worker {busy} killed evaluating a long query, under load: the long query got "
                  f"{heavy[0] if heavy else 'nothing'}, {failed} of {len(statuses)} other requests failed, "
                  f"replacement {replacement} up {replaced_s:.2f} s after the kill")
    print("\n".join(report))
    assert heavy and heavy[0] in (0, 502, 503, 504), f"the long query's answer: {heavy}"
    assert failed <= CLIENTS, f"{failed} requests failed beside the long query, more than the {CLIENTS} that can be in flight"

    # 3. The server keeps answering, from both workers.
    statuses = Load(server, LOAD_PATHS, CLIENTS, PER_CLIENT).start().join()
    assert statuses.count(200) == len(statuses) == CLIENTS * PER_CLIENT, statuses
    assert len(_workers(master)) == 2 and server.proc.poll() is None


def _status(server: Server, query: str) -> int:
    try:
        return server.get("/sparql", {"query": query}, timeout=60)[0]
    except (OSError, http.client.HTTPException):
        return 0
