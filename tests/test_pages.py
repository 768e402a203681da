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


# ----------------------------------------------------------------------------- resource pages

PROGRAM = "mol/108/work-plan/4/program/2"
WORK_PLAN = "mol/108/work-plan/4"
CATEGORY = "plan-category/social-development"
SOURCE = "mol/108/source/L112-115"
EXTERNAL_NAMES = ("rdf:type", "rdfs:label", "skos:prefLabel", "dct:source", "dct:isPartOf", "prov:wasDerivedFrom",
                  "dcat:", "foaf:")


@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
@pytest.mark.parametrize("path", [PROGRAM, WORK_PLAN, CATEGORY, SOURCE, "catalog", "dataset", "mol/108",
                                  "target-group/occupational-accident-workers"])
def test_resource_pages_name_every_property_and_language(client, lang, path):
    html = page(client, f"/doc/{path}.html?lang={lang}")
    text = words(html)
    for name in EXTERNAL_NAMES:
        assert name not in text, (path, name)
    assert "@zh-hant" not in text and "@en" not in text
    assert "/link/" not in text  # link evidence is shown as the words it matched, not as nodes


def test_property_labels_ship_in_both_languages():
    from plankg.server.ld.labels import term_labels

    labels = term_labels()
    assert len(labels) > 100
    for iri, found in labels.items():
        assert sorted(l.language.lower() for l in found) == ["en", "zh-hant"], iri


def test_every_property_and_class_of_the_graph_has_a_name(built_store):
    import pyoxigraph

    from plankg.server.ld.labels import term_labels

    store = pyoxigraph.Store.read_only(str(built_store.resolve()))
    rows = store.query("""SELECT DISTINCT ?t WHERE { { ?s ?t ?o } UNION { ?s a ?t }
        FILTER NOT EXISTS { ?t <http://www.w3.org/2000/01/rdf-schema#label> ?l } }""")
    unnamed = sorted(r["t"].value for r in rows if r["t"].value not in term_labels())
    assert unnamed == []


def test_matched_words_are_shown_in_context_on_their_node(client):
    html = page(client, f"/doc/{PROGRAM}.html?lang=zh-Hant")
    assert '<q class="context" lang="zh-Hant">…備職業災害保障制度，增進<mark>職災勞工</mark>權益</q>' in html
    assert "hasLinkEvidence" not in html and "有連結依據" not in html


def test_a_program_shows_the_laws_and_target_groups_of_its_activities(client):
    html = page(client, f"/doc/{PROGRAM}.html?lang=zh-Hant")
    section = html.split('<section class="rolled-up">', 1)[1].split("</section>", 1)[0]
    assert "勞工保險條例" in section and "職業災害勞工" in section
    assert f'/id/{PROGRAM}/activity/1"' in section and f'/id/{PROGRAM}/activity/3"' in section


@pytest.mark.parametrize("path, child, n", [(WORK_PLAN, f"/id/{WORK_PLAN}/program/1", 4),
                                            (CATEGORY, "/id/mol/108/work-plan/1/program/1", 40)])
def test_each_relation_is_shown_once(client, path, child, n):
    html = page(client, f"/doc/{path}.html?lang=zh-Hant")
    if '<section class="rolled-up">' in html:  # the items that name a law or target group, not a relation
        before, rest = html.split('<section class="rolled-up">', 1)
        html = before + rest.split("</section>", 1)[1]
    assert html.count(f'href="{child}"') == 1
    programs = set(re.findall(r'href="(/id/mol/108/work-plan/\d+/program/\d+)"', html))
    assert len(programs) == n
    assert sum(html.count(f'href="{p}"') for p in programs) == n


def test_source_location_shows_its_lines_start_before_end(client):
    html = page(client, f"/doc/{SOURCE}.html?lang=zh-Hant")
    assert [int(n) for n in re.findall(r'<span class="ln" data-line="(\d+)">', html)] == [112, 113, 114, 115]
    assert "完備職業災害" in html.split('class="source-lines"', 1)[1].split("</pre>", 1)[0]
    text = words(html.split('<section class="properties">', 1)[1])
    assert text.index("起始行") < text.index("結束行")


def test_catalog_names_its_homepage_once(client):
    html = page(client, "/doc/catalog.html")
    section = html.split('<section class="see-also">', 1)[1].split("</section>", 1)[0]
    assert words(section).count("https://w3id.org/plankg/") == 1


@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
def test_500_page_is_translated_and_in_the_frame(app, lang):
    from plankg.server import errors

    with app.test_request_context(f"/?lang={lang}", headers={"Accept": HTML}):
        resp = errors.problem_response(500, "internal server error (logged)", generic=True)
    html = resp.get_data(as_text=True)
    title, explanation = i18n.error_text(500, i18n.normalise(lang))
    assert resp.status_code == 500 and f"<h1>500 · {title}</h1>" in html and explanation in html
    assert 'class="topbar"' in html and "internal server error (logged)" not in html
    with app.test_request_context("/", headers={"Accept": "*/*"}):
        plain = errors.problem_response(500, "internal server error (logged)", generic=True)
    assert plain.mimetype == "text/plain" and plain.get_data(as_text=True) == "internal server error (logged)\n"


@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
def test_a_work_plans_budget_match_is_named_not_a_raw_path(client, lang):
    text = words(page(client, f"/doc/mol/108/work-plan/4.html?lang={lang}"))
    assert "budget-match/1" not in text
    assert ("預算對應：" if lang == "zh-Hant" else "Budget match: ") in text
