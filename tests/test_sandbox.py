"""The second wall behind the SERVICE/LOAD guard (plankg.server.serving.sandbox): with no federation
allowlist a query-evaluating process cannot open an outbound connection at all.

The filter is installed only in child processes (it cannot be removed, and this test process
needs its network): `python -c …` children, and the workers of real `plankg serve` processes.
Each test that shows a connection refused also shows, in a control run without the filter,
that the same code does connect to the same listener.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from plankg.server.serving import sandbox
from server_support import copy_store, start_server, stop

pytestmark = pytest.mark.skipif(sandbox.native_abi() is None, reason="no seccomp filter for this machine")

GENEROUS_S = 30

# Run in a child: every way the project evaluates SERVICE and LOAD, with the guard out of the way.
PAST_THE_GUARD = r"""
import json, socket, sys, threading
import pyoxigraph as ox
from plankg.server.serving import sandbox
from plankg.server.engine import results
from plankg.server.engine.executor import QueryExecutor, JSON_RESULTS

port, store_path, forbid = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "forbid"
target = f"http://127.0.0.1:{port}/sparql"
query = f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"
update = f"LOAD <{target}>"
outcomes = {}

def attempt(name, fn):
    try:
        result = fn()
        outcomes[name] = f"ok: {result!r}"[:200]
    except BaseException as e:  # noqa: BLE001 - we report whatever happens
        outcomes[name] = f"{type(e).__name__}: {e}"[:200]

executor = QueryExecutor(store_path, read_write=True)  # the default allowlist: empty
executor.ask("ASK {}")  # an engine thread and the store's own threads start before the filter
earlier = threading.Event()
def earlier_thread():
    earlier.wait()
    attempt("thread started before", lambda: socket.create_connection(("127.0.0.1", port), timeout=5).close())
t = threading.Thread(target=earlier_thread)
t.start()
if forbid:
    outcomes["installed"] = sandbox.forbid_network()
earlier.set()
t.join()

memory = ox.Store()
attempt("pyoxigraph query", lambda: list(memory.query(query)))
attempt("pyoxigraph update", lambda: memory.update(update))
# The executor's own layers below the guard: its runner and engine threads, its write path.
dataset = {"union_default_graph": True, "default_graphs": None, "named_graphs": None}
store = executor._stores.current()
attempt("executor query", lambda: executor._runner.stream(
    lambda: "query", *executor._limits(None),
    lambda out: results.run_query(store, query, JSON_RESULTS, dataset, out)).read())
attempt("executor update", lambda: executor._write(lambda: "update", None, lambda store: store.update(update)))
executor.close()
print(json.dumps(outcomes))
"""
ATTEMPTS = ("thread started before", "pyoxigraph query", "pyoxigraph update", "executor query",
            "executor update")


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts (and closes them)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def writable_store(built_store, tmp_path_factory) -> Path:
    return copy_store(built_store, tmp_path_factory.mktemp("sandbox") / "store")


def run_child(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def past_the_guard(port: int, store: Path, mode: str) -> dict:
    proc = run_child(PAST_THE_GUARD, str(port), str(store), mode)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_without_the_filter_the_same_code_reaches_the_listener(listener, writable_store):
    """The control run: the child's attempts do connect, so the test below can fail."""
    outcomes = past_the_guard(listener.port, writable_store, "control")
    assert "installed" not in outcomes
    assert listener.accepted >= len(ATTEMPTS), outcomes  # each attempt connected at least once
    assert not any("Permission denied" in outcome for outcome in outcomes.values()), outcomes


def test_with_the_filter_a_query_or_update_past_the_guard_reaches_no_listener(listener, writable_store):
    outcomes = past_the_guard(listener.port, writable_store, "forbid")
    time.sleep(0.2)  # a connection would have been accepted by now
    assert outcomes["installed"] is True
    assert listener.accepted == 0, outcomes
    for name in ATTEMPTS:
        assert "Permission denied" in outcomes[name], (name, outcomes[name])  # failed at socket(), not later
        assert not outcomes[name].startswith("ok"), (name, outcomes[name])


FAMILIES = r"""
import ctypes, errno, json, socket, subprocess, sys
from plankg.server.serving import sandbox
assert sandbox.forbid_network() and sandbox.forbid_network()  # idempotent
out = {}
def sock(name, *args):
    try:
        socket.socket(*args).close()
        out[name] = "ok"
    except OSError as e:
        out[name] = errno.errorcode[e.errno]
sock("tcp", socket.AF_INET, socket.SOCK_STREAM)
sock("udp", socket.AF_INET, socket.SOCK_DGRAM)
sock("tcp6", socket.AF_INET6, socket.SOCK_STREAM)
sock("udp6", socket.AF_INET6, socket.SOCK_DGRAM)
sock("netlink", socket.AF_NETLINK, socket.SOCK_RAW)
sock("packet", socket.AF_PACKET, socket.SOCK_RAW)
sock("unix", socket.AF_UNIX, socket.SOCK_STREAM)
sock("unix dgram", socket.AF_UNIX, socket.SOCK_DGRAM)
a, b = socket.socketpair(); a.sendall(b"x"); out["socketpair"] = "ok" if b.recv(1) == b"x" else "?"
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
abi = sandbox.native_abi()
def raw(name, *numbers):
    rc = libc.syscall(*(ctypes.c_long(n) for n in numbers))
    out[name] = "ok" if rc >= 0 else errno.errorcode[ctypes.get_errno()]
raw("socket, family with high bits", abi.socket, (1 << 32) | socket.AF_INET, socket.SOCK_STREAM, 0)
params = ctypes.create_string_buffer(120)
raw("io_uring_setup", abi.io_uring_setup, 4, ctypes.addressof(params))
if abi.x32:
    raw("x32 getpid", sandbox.X32_SYSCALL_BIT | 39)
out["getpid"] = "ok" if libc.getpid() == __import__("os").getpid() else "?"
out["file"] = "ok" if open(sys.executable, "rb").read(4) == b"\x7fELF" else "?"
child = subprocess.run([sys.executable, "-c", "import socket; socket.socket()"], capture_output=True, text=True)
out["child process"] = "EACCES" if "Permission denied" in child.stderr else child.stderr or "ok"
out["status"] = [line.split()[1] for line in open("/proc/self/status") if line.startswith(("Seccomp:", "NoNewPrivs:"))]
print(json.dumps(out))
"""


def test_the_filter_refuses_network_sockets_and_io_uring_and_nothing_else():
    proc = run_child(FAMILIES)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for name in ("tcp", "udp", "tcp6", "udp6", "netlink", "packet", "socket, family with high bits"):
        assert out[name] == "EACCES", (name, out)
    assert out["io_uring_setup"] == "ENOSYS"
    assert out.get("x32 getpid", "ENOSYS") == "ENOSYS"  # another ABI's numbers are not checked: refused
    assert out["child process"] == "EACCES"  # inherited
    for name in ("unix", "unix dgram", "socketpair", "getpid", "file"):
        assert out[name] == "ok", (name, out)
    assert out["status"] == ["1", "2"]  # NoNewPrivs: 1, Seccomp: 2 (filter mode)


def test_the_program_jumps_stay_inside_it_and_end_in_a_return():
    for abi in sandbox.ABIS.values():
        prog = sandbox.program(abi)
        assert len(prog) < 20 and prog[-1] == (0x06, 0, 0, sandbox.SECCOMP_RET_ALLOW)
        for i, (code, jt, jf, _) in enumerate(prog):
            if code & 0x07 == 0x05:  # BPF_JMP
                assert i + 1 + max(jt, jf) < len(prog)


def test_where_no_filter_can_be_installed_it_says_so_once_and_goes_on(monkeypatch, caplog):
    monkeypatch.setattr(sandbox, "_state", None)
    monkeypatch.setattr(sandbox, "native_abi", lambda: None)  # as on an architecture it does not know
    with caplog.at_level(logging.WARNING, logger="plankg.server"):
        assert sandbox.forbid_network() is False
        assert sandbox.forbid_network() is False
    assert sandbox.network_forbidden() is False
    warnings = [r.getMessage() for r in caplog.records if "NOT blocked" in r.getMessage()]
    assert len(warnings) == 1 and "only the SERVICE/LOAD guard" in warnings[0]


# --- under `plankg serve` ------------------------------------------------------------------------


def seccomp_status(pid: int) -> tuple[str, str]:
    """(Seccomp, Seccomp_filters) of a process: ('2', '1') under one filter, ('0', '0') without."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return fields["Seccomp"].strip(), fields.get("Seccomp_filters", "?").strip()


def workers_of(server) -> list[int]:
    """The pids of the gunicorn workers of a `plankg serve` (the children of its process)."""
    pid = server.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


def filtered_workers(server, expected: int) -> dict[int, tuple[str, str]]:
    """The workers' seccomp status, once ``expected`` are up (another test may have made one
    retire: its successor installs the filter as it starts)."""
    deadline = time.monotonic() + GENEROUS_S
    while True:
        status = {}
        for pid in workers_of(server):
            try:
                status[pid] = seccomp_status(pid)
            except (FileNotFoundError, ProcessLookupError):
                pass  # ended meanwhile
        if (len(status) == expected and all(s == ("2", "1") for s in status.values())) or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_the_workers_of_a_server_without_an_allowlist_have_the_filter(sparql_server):
    status = filtered_workers(sparql_server, 2)
    assert list(status.values()) == [("2", "1")] * 2, status
    assert seccomp_status(sparql_server.proc.pid)[0] == "0"  # the arbiter binds and forks: no filter
    assert sparql_server.log().count("opens no outbound connections (seccomp") >= 2
    status, _, _ = sparql_server.get("/sparql", {"query": "ASK {}"})  # the worker serves as before
    assert status == 200


def test_the_worker_of_a_server_with_updates_has_the_filter(update_server):
    status = filtered_workers(update_server, 1)  # the single writer: LOAD runs here
    assert list(status.values()) == [("2", "1")], status


class _RemoteEndpoint(BaseHTTPRequestHandler):
    """A SPARQL endpoint that answers every query with one row."""

    hits = 0
    ROW = {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": "urn:remote:row"}}]}}

    def _answer(self) -> None:
        type(self).hits += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(self.ROW).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


def test_a_server_with_an_allowlist_has_no_filter_and_reaches_its_target(built_store, tmp_path):
    remote = ThreadingHTTPServer(("127.0.0.1", 0), _RemoteEndpoint)
    threading.Thread(target=remote.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{remote.server_address[1]}/"
    server = start_server(built_store, tmp_path / "server.log", "--workers", "1", "--allow-federation", target)
    try:
        for pid in workers_of(server):
            assert seccomp_status(pid)[0] == "0", pid
        assert f"may open outbound connections: SERVICE and LOAD may reach {target}" in server.log()
        query = f"SELECT ?s WHERE {{ SERVICE <{target}sparql> {{ ?s ?p ?o }} }}"
        status, _, body = server.get("/sparql", {"query": query},
                                     headers={"Accept": "application/sparql-results+json"}, timeout=GENEROUS_S)
        assert status == 200, body
        assert "urn:remote:row" in body.decode() and _RemoteEndpoint.hits >= 1
    finally:
        stop(server)
        remote.shutdown()
        remote.server_close()
