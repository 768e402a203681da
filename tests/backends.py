"""The store backends the suite runs over: the embedded store, Oxigraph server and Virtuoso.

A test module that covers a behaviour on every backend overrides ``sparql_server`` and
``update_server`` with :data:`EVERY_BACKEND`'s fixtures: ``backend_sparql_server`` (a read-only
``plankg serve`` on the seed plan's build) and ``backend_update_server`` (one that takes updates,
on a build of its own), parametrised over :data:`BACKENDS`::

    from backends import every_backend

    sparql_server, update_server = every_backend() For a remote backend, a real
server (``tests/sparql_servers.py``) holds the graphs, ``plankg build --store-url`` published them
there, and ``plankg serve --store-url`` answers from it; a server that is not installed makes its
tests skip with the reason (``python3 scripts/setup-ui.py servers`` installs them).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import SEED, run_plankg
from sparql_servers import RemoteEndpoints, Unavailable, start_oxigraph, start_virtuoso

BACKENDS = ("embedded", "oxigraph", "virtuoso")
REMOTE = BACKENDS[1:]
_STARTERS = {"oxigraph": start_oxigraph, "virtuoso": start_virtuoso}


@dataclass(frozen=True)
class RemoteStoreUnderTest:
    """A SPARQL server holding a plankg build: its endpoints, and the directory of the builds' files."""

    kind: str
    endpoints: RemoteEndpoints
    files: Path

    def env(self) -> dict[str, str]:
        """The PLANKG_STORE_* variables that point plankg at this server."""
        e = self.endpoints
        env = {"PLANKG_STORE_URL": e.query_url, "PLANKG_STORE_UPDATE_URL": e.update_url,
               "PLANKG_STORE_GSP_URL": e.gsp_url, "PLANKG_STORE_KIND": self.kind}
        if e.user:
            env.update({"PLANKG_STORE_USER": e.user, "PLANKG_STORE_PASSWORD": e.password or "",
                        "PLANKG_STORE_AUTH": e.auth or "basic"})
        return env

    def settings(self):
        """The backend's settings, as ``plankg`` reads them from :meth:`env`."""
        from plankg.store.remote_http import settings_from_env

        return settings_from_env(self.endpoints.query_url, self.env())

    def plankg(self, *args: str, check: bool = False, env: dict[str, str] | None = None):
        """``plankg ARGS… --store FILES`` pointed at this server."""
        return run_plankg(*args, "--store", str(self.files), env={**self.env(), **(env or {})}, check=check)


def start_remote(kind: str, workdir: Path):
    """Start a ``kind`` server in ``workdir``: (endpoints, stop); skip the test if it is not installed."""
    try:
        return _STARTERS[kind](workdir)
    except Unavailable as e:
        pytest.skip(f"{kind} server not available: {e}")


@contextmanager
def remote_store(kind: str, workdir: Path, *plans: Path) -> Iterator[RemoteStoreUnderTest]:
    """A fresh ``kind`` server with ``plans`` (default: the seed plan) built onto it."""
    endpoints, stop = start_remote(kind, workdir)
    try:
        store = RemoteStoreUnderTest(kind, endpoints, workdir / "files")
        store.plankg("build", *map(str, plans or (SEED,)), check=True)
        yield store
    finally:
        stop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def remote_stores(tmp_path_factory) -> Iterator[dict[str, RemoteStoreUnderTest]]:
    """The read-only remote builds, started once each when first asked for."""
    started: dict[str, RemoteStoreUnderTest] = {}
    contexts = []

    class Lazy(dict):
        def __missing__(self, kind: str) -> RemoteStoreUnderTest:
            ctx = remote_store(kind, tmp_path_factory.mktemp(f"remote-{kind}"))
            started[kind] = self[kind] = ctx.__enter__()
            contexts.append(ctx)
            return started[kind]

    yield Lazy()
    for ctx in reversed(contexts):
        ctx.__exit__(None, None, None)


@pytest.fixture(scope="session")
def backend_sparql_server(backend, request, remote_stores, tmp_path_factory):
    """A read-only ``plankg serve`` (2 workers) on the seed plan's build, on ``backend``."""
    if backend == "embedded":
        yield request.getfixturevalue("embedded_sparql_server")
        return
    from server_support import start_server, stop

    store = remote_stores[backend]
    server = start_server(store.files, tmp_path_factory.mktemp(f"serve-{backend}") / "server.log", "--workers", "2",
                          env=store.env())
    yield server
    stop(server)


@pytest.fixture(scope="session")
def backend_update_server(backend, request, tmp_path_factory):
    """A ``plankg serve`` that takes updates (a random token), on a build of its own, on ``backend``."""
    if backend == "embedded":
        yield request.getfixturevalue("embedded_update_server")
        return
    from server_support import start_server, stop

    workdir = tmp_path_factory.mktemp(f"remote-rw-{backend}")
    with remote_store(backend, workdir) as store:
        server = start_server(store.files, workdir / "server.log", env=store.env(), token=secrets.token_urlsafe(24))
        try:
            yield server
        finally:
            stop(server)


def every_backend():
    """Fixtures ``sparql_server`` and ``update_server`` for a test module, over every backend."""
    @pytest.fixture(scope="session")
    def sparql_server(backend_sparql_server):
        return backend_sparql_server

    @pytest.fixture(scope="session")
    def update_server(backend_update_server):
        return backend_update_server

    return sparql_server, update_server


@contextmanager
def app_config(kind: str, built_store: Path, remote_stores: dict[str, RemoteStoreUnderTest]) -> Iterator[dict]:
    """``create_app`` settings for the seed plan's build on ``kind`` (for a remote one, its
    PLANKG_STORE_* variables are set in this process meanwhile)."""
    if kind == "embedded":
        yield {"STORE": str(built_store)}
        return
    store = remote_stores[kind]
    with pytest.MonkeyPatch.context() as mp:
        for name, value in store.env().items():
            mp.setenv(name, value)
        yield {"STORE": str(store.files), "STORE_URL": store.endpoints.query_url}


def every_backend_app(**extra):
    """A module-scoped ``app`` fixture: ``create_app`` on the seed plan's build, on each backend."""
    @pytest.fixture(scope="module", params=BACKENDS)
    def app(request, built_store, remote_stores):
        from plankg.server import create_app

        with app_config(request.param, built_store, remote_stores) as config:
            app = create_app({**config, "TESTING": True, **extra})
            yield app
            app.extensions["plankg"].close()

    return app
