"""The site as a user reads it (issue 16): the data and API page, words and plurals, error pages
in the site's frame, the /sparql page in a browser, the linked-data pages' labels and layout.

Flask's test client on the real app and the session's built store (the seed plan)."""

from __future__ import annotations

import re

import pytest

from plankg.server import create_app
from plankg.server.ui import i18n

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
TAGS = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def app(built_store):
    app = create_app({"STORE": str(built_store), "TESTING": True})
    yield app
    app.extensions["plankg"].close()


@pytest.fixture()
def client(app):
    return app.test_client()


def page(client, path: str, status: int = 200) -> str:
    resp = client.get(path, headers={"Accept": HTML})
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def words(html: str) -> str:
    return re.sub(r"\s+", " ", TAGS.sub(" ", html))


def hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]*)"', html))


# ----------------------------------------------------------------------------- discoverability

@pytest.mark.parametrize("path", ["/", "/query", "/search?q=勞工", "/ontology", "/data", "/sparql",
                                  "/doc/mol/108/goal/1.html"])
def test_every_page_links_the_data_page_the_endpoint_and_the_ontology(client, path):
    links = hrefs(page(client, path))
    assert {"/data", "/sparql", "/ontology", "/data#dumps"} <= links


@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
def test_data_page_lists_endpoint_ontology_dumps_void_catalog_stratml_cite_licence(client, built_store, lang):
    html = page(client, f"/data?lang={lang}")
    links = hrefs(html)
    assert {"/sparql", "/query", "/ontology", "/ontology.ttl", "/.well-known/void", "/catalog",
            "/export/stratml/mol/108", "/dumps/plankg.nq.gz", "/dumps/plankg.trig.gz",
            "https://data.gov.tw/license"} <= links
    text = words(html)
    assert "curl http://localhost/sparql" in text and "SPARQLWrapper(" in text
    # the sizes are the files' own, from the DCAT metadata, humanised
    dumps = (built_store.resolve() / "dumps")
    for name in ("plankg.nq.gz", "plankg.trig.gz"):
        size = (dumps / name).stat().st_size
        assert f'data-bytes="{size}">{i18n.human_bytes(size)}<' in html
    assert i18n.text("data_cite", i18n.normalise(lang)) in text
    assert i18n.text("data_license_text", i18n.normalise(lang)) in text.replace("&#34;", '"')
    for name in ("plankg.nq.gz", "plankg.trig.gz"):
        resp = client.get(f"/dumps/{name}")
        assert resp.status_code == 200 and len(resp.get_data()) == (dumps / name).stat().st_size
        resp.close()


def test_human_bytes():
    assert i18n.human_bytes(1048576) == "1 MiB"
    assert i18n.human_bytes(1536) == "1.5 KiB"
    assert i18n.human_bytes(1) == "1 byte" and i18n.human_bytes(1000) == "1000 bytes"


# ----------------------------------------------------------------------------- words

def test_home_calls_the_goals_annual_goals_and_the_aims_aims(client):
    html = page(client, "/?lang=zh-Hant")
    assert '<p class="aims-label">施政目標</p>' in html
    assert "<strong>8</strong><span>年度施政目標</span>" in html
    assert "<span>施政目標</span>" not in html


def test_english_counts_are_singular_for_one(client):
    text = words(page(client, "/?lang=en"))
    assert not re.search(r"\b1 (programs|activities|strategies|results)\b", text)
    assert re.search(r"\b1 activity\b", text) or re.search(r"\b1 program\b", text)
    assert i18n.text("programs_n", i18n.EN, n=1) == "1 program"
    assert i18n.text("activities_n", i18n.EN, n=2) == "2 activities"
    assert i18n.text("search_count", i18n.EN, m=1, q="x") == "1 result for “x”."


def test_english_pages_say_once_that_the_plan_is_chinese_only(client):
    note = i18n.text("zh_only", i18n.EN)
    for path in ("/?lang=en", "/doc/mol/108.html?lang=en"):
        assert page(client, path).count(note) == 1
    assert 'class="lang-note"' not in page(client, "/?lang=zh-Hant")


@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
@pytest.mark.parametrize("path, status", [("/no/such/page", 404), ("/data/nope", 404), ("/ontology.exe", 404),
                                          ("/dumps/nope.gz", 404)])
def test_error_pages_are_translated_and_in_the_frame(client, lang, path, status):
    html = page(client, f"{path}?lang={lang}", status)
    title, explanation = i18n.error_text(status, i18n.normalise(lang))
    assert f"<h1>{status} · {title}</h1>" in html and explanation in html
    assert 'class="topbar"' in html and 'class="footer"' in html
    other = i18n.EN if i18n.normalise(lang) == i18n.ZH else i18n.ZH
    assert i18n.error_text(status, other)[0] not in html
    assert "The requested URL was not found on the server" not in html


@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
def test_405_page_is_translated(client, lang):
    resp = client.delete(f"/data?lang={lang}", headers={"Accept": HTML})
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]
    title, _ = i18n.error_text(405, i18n.normalise(lang))
    assert title in resp.get_data(as_text=True)


def test_errors_stay_text_for_programs(client):
    resp = client.get("/no/such/page", headers={"Accept": "*/*"})
    assert resp.status_code == 404 and resp.mimetype == "text/plain"
    assert "<" not in resp.get_data(as_text=True)


# ----------------------------------------------------------------------------- /sparql in a browser

@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
def test_sparql_page_is_translated_framed_humanised_and_links_its_graphs(client, lang):
    html = page(client, f"/sparql?lang={lang}")
    code = i18n.normalise(lang)
    for key in ("sd_title", "sd_use", "sd_formats", "sd_limits", "sd_graphs", "sd_read_only"):
        assert i18n.text(key, code) in html
    other = i18n.EN if code == i18n.ZH else i18n.ZH
    assert i18n.text("sd_use_text", other) not in html
    assert '<article class="ld service">' in html and "ld.css" in html  # the pages' width, not the full window
    assert "1 MiB" in html and "1048576" not in html and "bytes" not in words(html).replace("SPARQL", "")
    graphs = re.findall(r'<a href="(/id/graph/[^"]+)"><code>https://w3id.org/plankg/id/graph/', html)
    assert "/id/graph/mol/108" in graphs
    assert all(client.get(g, headers={"Accept": HTML}).status_code == 303 for g in graphs)
