"""The public URL (``--public-url``, ``PLANKG_PUBLIC_URL``) vs the identifier base: every access
and download URL of the metadata derives from the public URL, the store records it, and
``plankg serve`` names it in the service description and refuses a store built for another one."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, VOID

from conftest import BASE, SEED, run_plankg
from plankg.config import check_public_url, resolve
from plankg.errors import PlanKGError
from server_support import start_server, stop

PUBLIC = "http://plankg.example.org/"
SD_ENDPOINT = URIRef("http://www.w3.org/ns/sparql-service-description#endpoint")


@pytest.fixture(scope="module")
def public_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("public") / "store"
    run_plankg("build", "--store", str(store), str(SEED), env={"PLANKG_PUBLIC_URL": PUBLIC.rstrip("/")}, check=True)
    return store


def _urls(store, predicate) -> set[str]:
    proc = run_plankg("query", "--store", str(store), "--format", "tsv",
                      f"SELECT ?o WHERE {{ GRAPH <{BASE}graph/meta> {{ ?s <{predicate}> ?o }} }}", check=True)
    return {line.strip("<>") for line in proc.stdout.splitlines()[1:]}


def test_access_and_download_urls_derive_from_the_public_url_and_iris_from_the_base(public_store):
    downloads = _urls(public_store, DCAT.downloadURL)
    assert downloads == {PUBLIC + "dumps/plankg.nq.gz", PUBLIC + "dumps/plankg.trig.gz"}
    assert _urls(public_store, VOID.dataDump) == downloads
    assert _urls(public_store, DCAT.endpointURL) == {PUBLIC + "sparql"}
    assert _urls(public_store, VOID.sparqlEndpoint) == {PUBLIC + "sparql"}
    assert _urls(public_store, DCAT.landingPage) == {PUBLIC}
    assert all(url.startswith(PUBLIC) for url in _urls(public_store, DCAT.accessURL))
    info = json.loads((public_store / "BUILD.json").read_text(encoding="utf-8"))
    assert info["metadata"]["public_url"] == PUBLIC and info["metadata"]["base"] == BASE


def test_by_default_the_site_is_the_base_without_its_id_segment(built_store):
    assert _urls(built_store, DCAT.endpointURL) == {"https://w3id.org/plankg/sparql"}
    info = json.loads((built_store / "BUILD.json").read_text(encoding="utf-8"))
    assert info["metadata"]["public_url"] == "https://w3id.org/plankg/"


def test_serve_names_the_public_endpoint_in_the_service_description(public_store, tmp_path):
    server = start_server(public_store, tmp_path / "server.log", "--public-url", PUBLIC, "--workers", "1")
    try:
        status, _, body = server.get("/sparql", headers={"Accept": "text/turtle"})
    finally:
        stop(server)
    assert status == 200
    assert (None, SD_ENDPOINT, URIRef(PUBLIC + "sparql")) in Graph().parse(data=body, format="turtle")


def test_serve_refuses_a_store_built_for_another_public_url(built_store):
    proc = run_plankg("serve", "--store", str(built_store), "--port", "0", "--public-url", PUBLIC)
    assert proc.returncode == 2
    assert "built for the public URL https://w3id.org/plankg/" in proc.stderr
    assert f"--public-url {PUBLIC}" in proc.stderr


@pytest.mark.parametrize("url", ["ftp://x/", "plankg.example.org", "https://x/?a=1", "https://x/#top", "https:///"])
def test_a_public_url_must_be_an_http_site_root(url):
    with pytest.raises(PlanKGError):
        check_public_url(url)


def test_the_argument_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("PLANKG_PUBLIC_URL", "https://env.example/")
    assert resolve(public_url="https://arg.example").public_url == "https://arg.example/"
    assert resolve().public_url == "https://env.example/"
    monkeypatch.delenv("PLANKG_PUBLIC_URL")
    assert resolve().public_url is None
