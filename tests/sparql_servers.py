"""Start and stop real SPARQL 1.1 servers on loopback, for testing the remote store backend.

Each ``start_*`` function runs one server in a throwaway directory (its database, its log and,
for Virtuoso, its ``virtuoso.ini``) on free ``127.0.0.1`` ports and returns
``(RemoteEndpoints, stop)``. ``stop()`` shuts the server down (cleanly when possible, killed after
a timeout) and may be called more than once. Nothing listens beyond loopback.

* :func:`start_oxigraph`: ``oxigraph serve`` from the PyPI package ``oxigraph`` (the ``test``
  extra), found next to ``sys.executable`` or on PATH. No authentication: /query, /update, /store.
* :func:`start_virtuoso`: Debian's ``virtuoso-t`` (``python3 scripts/setup-ui.py servers``) with a
  random ``dba`` password. Reads are anonymous on /sparql; updates need HTTP digest auth as
  ``dba`` on /sparql-auth; the Graph Store Protocol is /sparql-graph-crud-auth (digest auth too).

A missing binary raises :class:`Unavailable` (tests turn it into ``pytest.skip(reason)``); a server
that does not come up raises :class:`ServerError` with its log tail. Measured server behaviour:
docs/remote-servers-facts.md. Server output goes to a log file in the work directory.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

START_TIMEOUT = 60.0  # seconds; Virtuoso creates its database on first start (~4 s here)
STOP_TIMEOUT = 20.0
PORT_ATTEMPTS = 5  # another process may grab a "free" port before the server binds it


class Unavailable(Exception):
    """The server's binary is not installed; ``str(exc)`` says how to install it."""


class ServerError(RuntimeError):
    """The server did not start (or stop) in time; the message ends with its log tail."""


@dataclass(frozen=True)
class RemoteEndpoints:
    """Where a running server answers. ``auth`` is "digest", "basic" or None (then user and
    password are None too); it applies to update_url and gsp_url."""

    name: str
    query_url: str
    update_url: str
    gsp_url: str
    user: str | None = None
    password: str | None = None
    auth: str | None = None

Stop = Callable[[], None]


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def log_tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.is_file() else "(no log)"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _wait_ready(proc: subprocess.Popen, ready: Callable[[], bool], log: Path, what: str) -> bool:
    """Poll ``ready()`` until it is true (True), or the process exits (False, e.g. port in use).
    Raises ServerError (after killing the process) when START_TIMEOUT passes."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            return True
        time.sleep(0.1)
    _kill(proc)
    raise ServerError(f"{what} did not answer within {START_TIMEOUT:.0f} s; log {log}:\n{log_tail(log)}")


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=STOP_TIMEOUT)


def _address_in_use(log: Path) -> bool:
    return any(s in log_tail(log, 60).lower() for s in ("address already in use", "address in use", "failed to bind"))


def oxigraph_binary() -> str:
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if not found:
        raise Unavailable("the oxigraph server CLI is not installed (pip install oxigraph==0.5.13: test extra)")
    return found


def start_oxigraph(workdir: Path, extra_args: tuple[str, ...] = ()) -> tuple[RemoteEndpoints, Stop]:
    """``oxigraph serve`` on a RocksDB store in ``workdir/oxigraph``; ``extra_args`` go to the
    command line (e.g. ``("--timeout-s", "5")``)."""
    binary = oxigraph_binary()
    workdir = Path(workdir)
    log = workdir / "oxigraph.log"
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [binary, "serve", "--location", str(workdir / "oxigraph"), "--bind", f"127.0.0.1:{port}",
                 *extra_args], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        probe = f"{base}/query?" + urllib.parse.urlencode({"query": "ASK {}"})
        if _wait_ready(proc, lambda: _answers(probe), log, "oxigraph serve"):
            break
        if not _address_in_use(log):
            raise ServerError(f"oxigraph serve exited with {proc.returncode}; log {log}:\n{log_tail(log)}")
    else:
        raise ServerError(f"oxigraph serve: no free port after {PORT_ATTEMPTS} attempts:\n{log_tail(log)}")

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()  # oxigraph has no shutdown request; SIGTERM ends it (RocksDB WAL is synced)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _kill(proc)

    endpoints = RemoteEndpoints("oxigraph", f"{base}/query", f"{base}/update", f"{base}/store")
    return endpoints, stop


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
ServerThreads = 20
CheckpointInterval = 60
; ~0.8 GB of 8 kB pages: modest for a 2-core, 24 GB test machine (the stock ini sizes for 2 GB)
NumberOfBuffers = 100000
MaxDirtyBuffers = 60000
MaxQueryMem = 1G
DirsAllowed = ., {dir}
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 20
MaxClientConnections = 20
KeepAliveTimeout = 10
MaxKeepAlives = 10
[SPARQL]
; Virtuoso silently truncates longer results to this many rows (HTTP 200 plus an
; X-SPARQL-MaxRows header): the backend must page or check that header.
ResultSetMaxRows = 100000
; seconds; a query running longer fails (or, with a timeout= parameter, returns partial "anytime" results)
MaxQueryExecutionTime = 120
; seconds of *estimated* time above which a query is refused before it runs; 0 = no check
MaxQueryCostEstimationTime = 0
"""


def _isql(isql: str, port: int, password: str, sql: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([isql, f"127.0.0.1:{port}", "dba", password, f"exec={sql}"],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def start_virtuoso(workdir: Path) -> tuple[RemoteEndpoints, Stop]:
    """``virtuoso-t +foreground`` with a fresh database in ``workdir/virtuoso``; the ``dba``
    password is set to a random value (``+pwddba`` does not take effect on a new database). ``dba``
    needs no extra grants for updates on /sparql-auth; /sparql-graph-crud-auth takes the SPARQL 1.1
    GSP ``?graph=`` as well as Virtuoso's ``?graph-uri=`` (measured)."""
    virtuoso, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if not virtuoso or not isql:
        raise Unavailable("Virtuoso is not installed (python3 scripts/setup-ui.py servers, or apt-get "
                          "install virtuoso-opensource-7-bin)")
    vdir = Path(workdir) / "virtuoso"
    vdir.mkdir(parents=True, exist_ok=True)
    log = vdir / "virtuoso.out"  # stdout/stderr; Virtuoso's own log is virtuoso.log next to it
    for _ in range(PORT_ATTEMPTS):
        shutil.rmtree(vdir)  # a half-created database from a failed attempt would be reused
        vdir.mkdir()
        isql_port, http_port = free_port(), free_port()
        ini = vdir / "virtuoso.ini"
        ini.write_text(VIRTUOSO_INI.format(dir=vdir, isql_port=isql_port, http_port=http_port))
        with log.open("ab") as out:
            proc = subprocess.Popen([virtuoso, "+foreground", "+configfile", str(ini)], cwd=vdir,
                                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{http_port}"
        probe = f"{base}/sparql?" + urllib.parse.urlencode({"query": "ASK {}"})
        if _wait_ready(proc, lambda: _answers(probe), vdir / "virtuoso.log", "virtuoso-t"):
            break
        if not (_address_in_use(vdir / "virtuoso.log") or _address_in_use(log)):
            raise ServerError(f"virtuoso-t exited with {proc.returncode}; log:\n{log_tail(vdir / 'virtuoso.log')}")
    else:
        raise ServerError(f"virtuoso-t: no free ports after {PORT_ATTEMPTS} attempts")
    password = "t-" + secrets.token_hex(12)
    done = _isql(isql, isql_port, "dba", f"USER_SET_PASSWORD('dba', '{password}');")
    if done.returncode != 0 or "Error" in done.stdout + done.stderr:
        _kill(proc)
        raise ServerError(f"isql-vt could not set the dba password: {done.stdout}{done.stderr}")

    def stop() -> None:
        if proc.poll() is not None:
            return
        try:  # clean shutdown (checkpoint); isql returns an error because the connection drops
            _isql(isql, isql_port, password, "shutdown;", timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _kill(proc)

    endpoints = RemoteEndpoints("virtuoso", f"{base}/sparql", f"{base}/sparql-auth",
                                f"{base}/sparql-graph-crud-auth", "dba", password, "digest")
    return endpoints, stop

