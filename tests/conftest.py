"""Shared fixtures: a real on-disk store built once per session by the real `plankg` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "plans" / "mol-108.txt"
SHARED = ROOT.parent / "shared"
PLANKG = Path(sys.executable).with_name("plankg")
PLAN_NS = "https://w3id.org/plankg/ontology#"
BASE = "https://w3id.org/plankg/id/"


def run_plankg(*args: str, env: dict | None = None, input: str | None = None, cwd: Path | None = None,
               check: bool = False) -> subprocess.CompletedProcess:
    """Run the installed `plankg` console script as a real process."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKG_")}
    full_env.update(env or {})
    proc = subprocess.run([str(PLANKG), *args], capture_output=True, text=True, env=full_env, input=input,
                          cwd=cwd, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"plankg {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def built_store(tmp_path_factory) -> Path:
    """The bundled plan alone built into a fresh on-disk store (the tests of the plan graph count on it)."""
    store = tmp_path_factory.mktemp("kg") / "store"
    run_plankg("build", "--store", str(store), str(SEED), check=True)
    return store


@pytest.fixture(scope="session")
def full_store(tmp_path_factory) -> Path:
    """Every source of the bundled registry (the plan, the budgets, the law index), as the README's main command builds."""
    store = tmp_path_factory.mktemp("kg-full") / "store"
    run_plankg("build", "--store", str(store), check=True)
    return store


@pytest.fixture(scope="module")
def full_server(full_store, tmp_path_factory):
    """The real server (gunicorn, one worker, loopback) on :func:`full_store`, one per test module."""
    from server_support import start_server, stop

    server = start_server(full_store, tmp_path_factory.mktemp("full") / "server.log", "--workers", "1")
    yield server
    stop(server)


@pytest.fixture(scope="session")
def vocab():
    """The vocabularies at the default base, linking the shipped law index as a build with it does."""
    from plankg.build.vocab import Vocabularies
    from plankg.loaders.law_index import default_index
    from plankg.namespaces import DEFAULT_BASE

    vocabularies = Vocabularies.load(DEFAULT_BASE)
    vocabularies.law_index = default_index()
    return vocabularies


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


# HTTP servers (`plankg serve` processes), shared by every test module that uses them.
from server_support import embedded_sparql_server, embedded_update_server, sparql_server, update_server  # noqa: E402, F401
from backends import backend, backend_sparql_server, backend_update_server, remote_stores  # noqa: E402, F401
