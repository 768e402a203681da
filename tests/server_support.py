"""Real `plankg serve` processes on loopback ports, for tests that talk HTTP to the server.

`start_server` runs the installed console script (gunicorn, plankg's worker class) with ``--port 0``:
gunicorn binds a free port and logs it, so there is no race for a port. The server's stderr
(gunicorn's log and plankg's access log) goes to a file the tests can read. `stop` sends
SIGTERM to the process we started (a graceful gunicorn shutdown) and waits for it.

Fixtures (imported into conftest.py so that every test module shares one server each):
  * ``sparql_server`` - read-only, on the session's built store;
  * ``update_server`` - updates enabled with a random bearer token, on a copy of that store.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import PLANKG

STARTUP_TIMEOUT_S = 60.0
SHUTDOWN_TIMEOUT_S = 30.0
POLL_S = 0.05
TOKEN_ENV = "PLANKG_TEST_UPDATE_TOKEN"
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@dataclass
class Server:
    """A running `plankg serve`: its base URL, process and log."""

    url: str
    proc: subprocess.Popen
    log_path: Path
    token: str | None = None
    store: Path | None = None
    args: tuple[str, ...] = field(default_factory=tuple)

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def store_url(self) -> str:
        return self.url + "/store"

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def auth(self) -> dict[str, str]:
        """The Authorization header with this server's token."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request on a fresh connection: (status, headers with lower-case names, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body.encode("utf-8") if isinstance(body, str) else body,
                         headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def get(self, path: str, params: dict | list | None = None, headers: dict[str, str] | None = None,
            **kw) -> tuple[int, dict[str, str], bytes]:
        query = ("?" + urllib.parse.urlencode(params, doseq=True)) if params else ""
        return self.request("GET", path + query, headers=headers, **kw)


@dataclass
class Load:
    """``clients`` threads, ``per_client`` requests each (GETs of ``paths`` in turn), a new
    connection each; ``statuses`` gets each answer's status, 0 for no HTTP answer."""

    server: Server
    paths: list[str]
    clients: int
    per_client: int
    accept: str = "application/sparql-results+json"
    statuses: list[int] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> "Load":
        self.threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(self.clients)]
        for t in self.threads:
            t.start()
        return self

    def _client(self, n: int) -> None:
        for i in range(self.per_client):
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
            try:
                conn.request("GET", self.paths[(i + n) % len(self.paths)], headers={"Accept": self.accept})
                response = conn.getresponse()
                response.read()
                self.statuses.append(response.status)
            except (OSError, http.client.HTTPException):
                self.statuses.append(0)
            finally:
                conn.close()

    def wait_for(self, answers: int) -> None:
        deadline = time.monotonic() + 60
        while len(self.statuses) < answers and time.monotonic() < deadline:
            time.sleep(0.01)

    def join(self) -> list[int]:
        for t in self.threads:
            t.join(120)
        assert not any(t.is_alive() for t in self.threads), "the load did not finish"
        return self.statuses


def start_server(store: Path | None, log_path: Path, *args: str, token: str | None = None,
                 env: dict[str, str] | None = None, plankg: Path = PLANKG, cwd: Path | None = None) -> Server:
    """Start `plankg serve --store STORE --port 0 ARGS…` and wait until /healthz answers
    (``plankg``: another installation's console script; ``cwd``: the server's working directory;
    ``store`` None: ARGS say where the store is)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKG_")}
    full_env.update(env or {})
    cmd = [str(plankg), "serve", *(("--store", str(store)) if store is not None else ()),
           "--host", "127.0.0.1", "--port", "0", *args]
    if token is not None:
        full_env[TOKEN_ENV] = token
        cmd += ["--update-token-env", TOKEN_ENV]
    log_file = open(log_path, "wb")  # noqa: SIM115 - the child writes to it until stop()
    proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=full_env, start_new_session=True,
                            cwd=cwd)
    log_file.close()
    server = Server("", proc, log_path, token, store, tuple(args))
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"plankg serve exited with {proc.returncode}:\n{server.log()}")
        if not server.url and (m := _LISTENING.search(server.log())):
            server.url = f"http://127.0.0.1:{m.group(1)}"
        if server.url and _healthy(server):
            return server
        time.sleep(POLL_S)
    stop(server)
    raise AssertionError(f"plankg serve did not become healthy in {STARTUP_TIMEOUT_S} s:\n{server.log()}")


def stop(server: Server) -> None:
    """SIGTERM (graceful shutdown) to the server we started; SIGKILL if it does not exit."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, signal.SIGKILL)  # its own session: only our server and its children
            server.proc.wait()


def kill(server: Server) -> None:
    """SIGKILL to the server's whole process group (gunicorn's master and its workers: a crash)."""
    if server.proc.poll() is None:
        os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait()


def wait_for_workers(server: Server, count: int, timeout: float = 30.0) -> None:
    """Wait until the server's master runs ``count`` workers (it starts them one by one)."""
    from procstat import workers

    deadline = time.monotonic() + timeout
    while len(workers(server.proc.pid)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} workers after {timeout} s:\n{server.log()}"
        time.sleep(POLL_S)


def copy_store(store: Path, dest: Path) -> Path:
    """A writable copy of a built store (the build directory itself, not the publish symlink)."""
    shutil.copytree(store.resolve(), dest)
    return dest


def _healthy(server: Server) -> bool:
    try:
        status, _, _ = server.request("GET", "/healthz", timeout=5)
    except OSError:
        return False
    return status == 200


@pytest.fixture(scope="session")
def embedded_sparql_server(built_store, tmp_path_factory):
    """A read-only `plankg serve` (2 workers x 4 threads) on the session's store."""
    server = start_server(built_store, tmp_path_factory.mktemp("serve") / "server.log", "--workers", "2")
    yield server
    stop(server)


@pytest.fixture(scope="session")
def embedded_update_server(built_store, tmp_path_factory):
    """A read-write `plankg serve` (a random token in the environment) on a copy of the store."""
    server = start_writable_server(built_store, tmp_path_factory.mktemp("serve-rw"))
    yield server
    stop(server)


@pytest.fixture(scope="session")
def sparql_server(embedded_sparql_server):
    """The read-only server on the embedded store (a module that covers every backend overrides
    it with ``backend_sparql_server``, tests/backends.py)."""
    return embedded_sparql_server


@pytest.fixture(scope="session")
def update_server(embedded_update_server):
    """The read-write server on the embedded store (or ``backend_update_server``, as above)."""
    return embedded_update_server


def start_writable_server(built_store, tmp, *args: str):
    """A read-write `plankg serve ARGS…` with a random token, on its own copy of ``built_store`` in ``tmp``."""
    return start_server(copy_store(built_store, tmp / "store"), tmp / "server.log", *args,
                        token=secrets.token_urlsafe(24))
