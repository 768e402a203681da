"""deploy/w3id/.htaccess covers what the site publishes under https://w3id.org/plankg/.

The RewriteRules are parsed and applied with Python ``re`` (the patterns use only syntax PCRE and
``re`` share) to a sample IRI of every kind in the store (a subject of each class under the base,
every graph name, the ontology, its terms and version IRI, the shapes) and to every URL the metadata
gives (dumps, endpoint, landing page). Each must be redirected to the site, and the site (the Flask
test client) must answer the redirected path. And every route of the server that serves a
published IRI or URL has a rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph
import pytest

from conftest import BASE, PLAN_NS, ROOT
from plankg.namespaces import ONTOLOGY_IRI, ONTOLOGY_VERSION_IRI
from plankg.server import create_app

HTACCESS = ROOT / "deploy" / "w3id" / ".htaccess"
W3ID = "https://w3id.org/plankg/"
RULE = re.compile(r"^RewriteRule\s+(\S+)\s+(\S+)(?:\s+\[([^\]]*)\])?\s*$")
SITE_ONLY = ("/doc/", "/export/", "/static/", "/assets/", "/.well-known/", "/store", "/healthz", "/query", "/search",
             "/analysis", "/data")
"""Routes that serve no IRI or metadata URL: pages and tools reached from the site itself."""


def rules(path: Path = HTACCESS) -> tuple[dict[str, str], list[tuple[re.Pattern, str, dict[str, str]]]]:
    """The environment the rules set (``[E=NAME:VALUE]``) and the redirecting rules, in order."""
    env, out = {}, []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = RULE.match(line.strip())
        if not m:
            continue
        pattern, target, flags = m.group(1), m.group(2), dict(
            (f.split("=", 1) + [""])[:2] for f in (m.group(3) or "").split(",") if f)
        if target == "-":
            for name, value in [flags["E"].split(":", 1)] if "E" in flags else []:
                env[name] = value
            continue
        out.append((re.compile(pattern), target, flags))
    return env, out


ENV, RULES = rules()
SITE = ENV["PLANKG_SITE"]


def redirect(iri: str) -> tuple[str, int] | None:
    """Where w3id.org sends ``iri`` (no fragment), and the status; None if no rule matches."""
    assert iri.startswith(W3ID), iri
    path = iri[len(W3ID):]
    for pattern, target, flags in RULES:
        m = pattern.match(path)
        if m:
            url = re.sub(r"\$(\d)", lambda g: m.group(int(g.group(1))) or "", target)
            url = re.sub(r"%\{ENV:(\w+)\}", lambda g: ENV[g.group(1)], url)
            return url, int(flags["R"])
    return None


@pytest.fixture(scope="module")
def client(built_store):
    app = create_app({"STORE": str(built_store), "TESTING": True})
    yield app.test_client()
    app.extensions["plankg"].close()


def samples(store: Path) -> set[str]:
    kg = pyoxigraph.Store.read_only(str(store.resolve()))
    found = {s["s"].value for s in kg.query(
        f"SELECT (MIN(STR(?x)) AS ?s) WHERE {{ GRAPH ?g {{ ?x a ?c }} FILTER(STRSTARTS(STR(?x), '{BASE}')) }} GROUP BY ?c")}
    found |= {g.value for g in kg.named_graphs()}
    found |= {row["u"].value for row in kg.query(
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX void: <http://rdfs.org/ns/void#> SELECT DISTINCT ?u WHERE { GRAPH ?g { "
        "?x dcat:downloadURL|dcat:accessURL|dcat:endpointURL|dcat:landingPage|void:dataDump|void:sparqlEndpoint ?u } }")}
    found |= {ONTOLOGY_IRI, ONTOLOGY_VERSION_IRI, PLAN_NS + "Goal", "https://w3id.org/plankg/shapes#SourceDocumentShape",
              W3ID + "catalog.ttl", W3ID + "catalog", W3ID + "dataset"}
    return found


def test_the_host_is_set_in_one_place():
    text = HTACCESS.read_text(encoding="utf-8")
    assert text.count(SITE) == 1 and SITE.startswith("https://")
    assert all("%{ENV:PLANKG_SITE}" in target for _, target, _ in RULES)


def test_every_kind_of_iri_and_every_published_url_is_redirected_to_what_the_site_serves(built_store, client):
    checked = 0
    for iri in sorted(samples(built_store)):
        iri = iri.split("#")[0]
        if not iri.startswith(W3ID):
            continue
        found = redirect(iri)
        assert found is not None, f"no rule for {iri}"
        url, status = found
        assert url.startswith(SITE + "/"), (iri, url)
        path = url[len(SITE):]
        assert status == (303 if path.startswith("/id/") else 307 if path == "/sparql" else status), (iri, status)
        with client.get(path, headers={"Accept": "text/turtle"}) as resp:  # closes a dump's file
            assert resp.status_code in (200, 303), (iri, path, resp.status_code)
            if resp.status_code == 303:
                assert client.get(resp.headers["Location"]).status_code == 200, (iri, resp.headers["Location"])
        checked += 1
    assert checked > 50


def test_identifiers_get_303_and_keep_their_path():
    assert redirect(BASE + "mol/108/goal/1") == (SITE + "/id/mol/108/goal/1", 303)
    assert redirect(W3ID + "ontology/0.1.0.ttl") == (SITE + "/ontology/0.1.0.ttl", 302)
    assert redirect(W3ID + "shapes") == (SITE + "/shapes", 302)
    assert redirect(W3ID + "unknown/thing") is None


def test_every_route_that_serves_a_published_iri_has_a_rule(client):
    samples_of = {"path": "mol/108", "name": "plankg.nq.gz", "ext": "ttl"}
    for rule in client.application.url_map.iter_rules():
        if rule.rule == "/" or rule.rule.startswith(SITE_ONLY):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: samples_of[m.group(1)], rule.rule)
        found = redirect(W3ID + path[1:])
        assert found is not None and found[0] == SITE + path, (rule.rule, found)
