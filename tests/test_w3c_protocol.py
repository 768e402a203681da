"""The W3C SPARQL 1.1 Protocol, Service Description and Graph Store suites, run by `rdf-test-suite`.

The manifests come from ``../shared/data/w3c`` (a copy of w3c/rdf-tests); the runner is the
npm package ``rdf-test-suite`` 2.8.0, pinned by ``tests/w3c/package-lock.json`` and installed
with ``npm ci`` on first use. It runs fully offline through a URL → path mapping.

The protocol runner first POSTs ``DROP SILENT ALL ; INSERT DATA {…}`` to the endpoint, so it
runs against a server with updates enabled, on its own copy of the store. rdf-test-suite has
no option to send an ``Authorization`` header, so Node is started with a small preload
script (``--require``) that adds ``Authorization: Bearer <token>`` to the runner's requests to
that server. The server's authentication is exactly the production one.

The Graph Store manifests crash the runner's bundled Turtle parser (n3 2.13), so they are
re-serialised to N-Triples with rdflib, under their original IRIs, into a temporary folder.
"""

from __future__ import annotations

import json
import os
import secrets
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from backends import BACKENDS, remote_store
from server_support import start_server, start_writable_server, stop

W3C_DIR = ROOT / "tests" / "w3c"
RUNNER = W3C_DIR / "node_modules" / ".bin" / "rdf-test-suite"
SUITE = "http://w3c.github.io/rdf-tests/sparql/sparql11/"
PROTOCOL = SUITE + "protocol/manifest.ttl"
SERVICE_DESCRIPTION = SUITE + "service-description/manifest.ttl"
GRAPH_STORE = SUITE + "graph-store-protocol/"
GSP_MANIFESTS = ("manifest.ttl", "manifest-direct.ttl", "manifest-indirect.ttl")
EXPECTED = {"protocol": 34, "service description": 3, "graph store": 13}
RUN_TIMEOUT_S = 300
TEST_TIMEOUT_MS = 20000
ENGINE_JS = "module.exports = { parse: async () => [], query: async () => { throw new Error('not used'); } };\n"
BEARER_JS = """// Adds the test server's bearer token to the runner's requests to that server.
const token = process.env.PLANKG_W3C_TOKEN, origin = process.env.PLANKG_W3C_ORIGIN;
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const url = typeof input === 'string' ? input : String(input.url || input);
  if (token && url.startsWith(origin)) {
    const headers = new Headers(init.headers || {});
    headers.set('authorization', `Bearer ${token}`);
    init = { ...init, headers };
  }
  return realFetch(input, init);
};
"""
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RESULT = re.compile(r"^(?P<mark>[✔✖]) (?P<name>.+) \((?P<iri>http[^()\s]+)\)(?: [\d.]+ms)?$", re.MULTILINE)

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def runner() -> Path:
    """The rdf-test-suite executable, installed from the lock file if needed."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("the W3C protocol tests need Node.js and npm on PATH (rdf-test-suite is an npm package)")
    if not RUNNER.exists():
        proc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=W3C_DIR, capture_output=True,
                              text=True, timeout=RUN_TIMEOUT_S)
        if proc.returncode != 0:
            pytest.fail(f"`npm ci` in {W3C_DIR} failed:\n{proc.stdout}\n{proc.stderr}")
    return RUNNER


@pytest.fixture(scope="module", params=BACKENDS)
def w3c_server(request, built_store, tmp_path_factory):
    """A server that takes updates, on a store of its own (the runner's DROP ALL), on each backend."""
    if request.param == "embedded":
        server = start_writable_server(built_store, tmp_path_factory.mktemp("w3c"))
        yield server
        stop(server)
        return
    workdir = tmp_path_factory.mktemp(f"w3c-{request.param}")
    with remote_store(request.param, workdir) as store:
        server = start_server(store.files, workdir / "server.log", env=store.env(), token=secrets.token_urlsafe(24))
        try:
            yield server
        finally:
            stop(server)


def run_suite(runner: Path, manifest: str, mapping: str, options: dict, server, tmp: Path) -> dict[str, list[str]]:
    """Run one manifest: the names of the passed and failed tests, and the runner's output."""
    (tmp / "engine.js").write_text(ENGINE_JS)
    (tmp / "bearer.cjs").write_text(BEARER_JS)
    env = {**os.environ, "NODE_OPTIONS": f"--require {tmp / 'bearer.cjs'}",
           "PLANKG_W3C_TOKEN": server.token, "PLANKG_W3C_ORIGIN": server.url + "/"}
    proc = subprocess.run([str(runner), "engine.js", manifest, "-m", mapping, "-i", json.dumps(options),
                           "-d", str(TEST_TIMEOUT_MS), "-e"],
                          cwd=tmp, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    output = _ANSI.sub("", proc.stdout + proc.stderr)
    results = {"passed": [], "failed": [], "output": [output]}
    for m in _RESULT.finditer(output.split("\n\n", 1)[0]):
        results["passed" if m.group("mark") == "✔" else "failed"].append(m.group("name"))
    return results


def gsp_manifests(shared: Path, dest: Path) -> Path:
    """The Graph Store manifests as N-Triples (same file names and base IRIs) in ``dest``."""
    from rdflib import Graph

    dest.mkdir()
    for name in GSP_MANIFESTS:
        graph = Graph().parse(shared / "data" / "w3c" / "sparql" / "sparql11" / "graph-store-protocol" / name,
                              format="turtle", publicID=GRAPH_STORE + name)
        (dest / name).write_bytes(graph.serialize(format="nt", encoding="utf-8"))
    return dest


def test_w3c_protocol_service_description_and_graph_store_suites_pass(runner, w3c_server, shared_dir, tmp_path):
    local = f"{SUITE}~{shared_dir / 'data' / 'w3c' / 'sparql' / 'sparql11'}/"
    suites = {
        "protocol": (PROTOCOL, local, {"protocolEndpoint": w3c_server.sparql}),
        "service description": (SERVICE_DESCRIPTION, local, {"serviceDescriptionEndpoint": w3c_server.sparql}),
        "graph store": (GRAPH_STORE + "manifest.ttl", f"{GRAPH_STORE}~{gsp_manifests(shared_dir, tmp_path / 'gsp')}/",
                        {"graphStoreEndpoint": w3c_server.store_url}),
    }
    report, failures = [], []
    for label, (manifest, mapping, options) in suites.items():
        results = run_suite(runner, manifest, mapping, options, w3c_server, tmp_path)
        passed, failed = len(results["passed"]), len(results["failed"])
        report.append(f"W3C SPARQL 1.1 {label}: {passed}/{EXPECTED[label]} passed")
        if passed != EXPECTED[label] or failed:
            failures.append(f"{label}: failed {results['failed']}\n{results['output'][0][-6000:]}")
    print("\n".join(report))
    assert not failures, "\n\n".join(failures)
