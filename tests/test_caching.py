"""HTTP caching tied to the published build (server/caching.py), through real servers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import SEED, run_plankg
from server_support import start_server, stop

ASK = "/sparql?query=ASK%7B%7D"
JSON = {"Accept": "application/sparql-results+json"}


def _build_name(store: Path) -> str:
    return Path(os.path.realpath(store)).name


def test_an_answer_carries_a_validator_tied_to_the_build(sparql_server, built_store):
    status, headers, _ = sparql_server.request("GET", ASK, headers=JSON)
    assert status == 200
    assert headers["etag"].startswith(f'W/"{_build_name(built_store)}-')
    assert headers["cache-control"] == "public, max-age=60"
    assert headers["last-modified"].endswith(" GMT")


def _etag_build(etag: str) -> str:
    """The build part of ``W/"<build>-<digest>"``."""
    return etag.removeprefix('W/"').rstrip('"').rsplit("-", 1)[0]


def test_every_answer_names_the_build_its_etag_names(sparql_server, built_store):
    build = _build_name(built_store)
    first = sparql_server.request("GET", ASK, headers={**JSON, "X-Tag": "build-header"})[1]
    assert first["x-plankg-build"] == _etag_build(first["etag"]) == build
    replayed = [sparql_server.request("GET", ASK, headers=JSON)[1] for _ in range(4)]
    assert {(h["x-plankg-build"], _etag_build(h["etag"])) for h in replayed} == {(build, build)}
    assert any(h.get("x-plankg-cache") == "hit" for h in replayed)  # a replayed answer names it too
    not_modified = sparql_server.request("GET", ASK, headers={**JSON, "If-None-Match": first["etag"]})
    assert not_modified[0] == 304 and not_modified[1]["x-plankg-build"] == build
    others = [sparql_server.request("GET", "/healthz"), sparql_server.request("GET", "/sparql?query=SELEKT"),
              sparql_server.request("GET", "/no/such/page"), sparql_server.request("OPTIONS", "/sparql"),
              sparql_server.request("POST", "/sparql", body="ASK {}",
                                    headers={**JSON, "Content-Type": "application/sparql-query"})]
    assert [(status, h.get("x-plankg-build")) for status, h, _ in others] == [
        (200, build), (400, build), (404, build), (204, build), (200, build)]
    assert "X-Plankg-Build" in first["access-control-expose-headers"]


def test_a_matching_if_none_match_is_304_without_a_body(sparql_server):
    _, first, _ = sparql_server.request("GET", ASK, headers=JSON)
    status, headers, body = sparql_server.request("GET", ASK, headers={**JSON, "If-None-Match": first["etag"]})
    assert (status, body, headers["etag"]) == (304, b"", first["etag"])
    assert headers["access-control-allow-origin"] == "*"  # still through the CORS middleware


def test_if_modified_since_the_build_is_304_and_before_it_is_200(sparql_server):
    _, first, _ = sparql_server.request("GET", ASK, headers=JSON)
    assert sparql_server.request("GET", ASK, headers={**JSON, "If-Modified-Since": first["last-modified"]})[0] == 304
    earlier = {**JSON, "If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"}
    assert sparql_server.request("GET", ASK, headers=earlier)[0] == 200


def test_answers_that_differ_by_accept_or_language_have_different_etags(sparql_server):
    tags = {sparql_server.request("GET", ASK, headers=h)[1]["etag"]
            for h in (JSON, {"Accept": "text/csv"}, {**JSON, "Accept-Language": "en"})}
    assert len(tags) == 3


def test_a_repeated_small_answer_is_replayed_from_the_cache(sparql_server):
    query = "/sparql?query=SELECT%20(COUNT(*)%20AS%20%3Fn)%20%7B%3Fs%20%3Fp%20%3Fo%7D&tag=cache-replay"
    answers = [sparql_server.request("GET", query, headers=JSON) for _ in range(6)]
    assert {a[0] for a in answers} == {200} and len({a[2] for a in answers}) == 1
    hits = [a for a in answers if a[1].get("x-plankg-cache") == "hit"]
    assert len(hits) >= 4  # two workers: each computes it once at most
    assert "Accept" in hits[0][1]["vary"]  # negotiated, as when the view runs


def test_errors_and_streamed_files_get_no_build_validator(sparql_server):
    status, headers, _ = sparql_server.request("GET", "/sparql?query=SELEKT", headers=JSON)
    assert status == 400 and "etag" not in headers
    assert "etag" not in sparql_server.request("GET", "/healthz")[1]


def test_a_server_that_takes_updates_caches_nothing(update_server):
    status, headers, _ = update_server.request("GET", ASK, headers=JSON)
    assert status == 200 and "etag" not in headers and "cache-control" not in headers
    assert "x-plankg-build" not in headers  # no build: its answers change with each update
    assert "x-plankg-build" not in update_server.request("GET", "/healthz")[1]


@pytest.fixture
def own_server(tmp_path):
    store = tmp_path / "store"
    run_plankg("build", "--store", str(store), str(SEED), check=True)
    server = start_server(store, tmp_path / "server.log", "--workers", "1")
    yield server, store
    stop(server)


def test_a_new_build_changes_the_etag_and_empties_the_cache(own_server):
    server, store = own_server
    first = server.request("GET", ASK, headers=JSON)[1]["etag"]
    assert server.request("GET", ASK, headers=JSON)[1].get("x-plankg-cache") == "hit"
    run_plankg("build", "--store", str(store), str(SEED), check=True)  # a new build of the same plans
    status, headers, body = server.request("GET", ASK, headers={**JSON, "If-None-Match": first})
    assert status == 200 and json.loads(body)["boolean"] is True
    assert headers["etag"] != first and headers["etag"].startswith(f'W/"{_build_name(store)}-')
    assert headers["x-plankg-build"] == _build_name(store) == _etag_build(headers["etag"])
    assert headers.get("x-plankg-cache") != "hit"


def test_an_answer_is_not_replayed_to_another_host(built_store):
    from urllib.parse import quote

    from plankg.server import create_app

    client = create_app({"STORE": str(built_store)}).test_client()
    path = "/sparql?query=" + quote("CONSTRUCT { <s> <p> 1 } WHERE {}")  # relative IRIs: against the endpoint
    for host in ("http://a.example/", "http://b.example/", "http://a.example/"):
        resp = client.get(path, base_url=host, headers={"Accept": "application/n-triples"})
        assert resp.status_code == 200 and resp.data.startswith(f"<{host}s> <{host}p> ".encode())
    assert resp.headers.get("X-Plankg-Cache") == "hit"  # the same host again: replayed
