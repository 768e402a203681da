"""The UI pages without a browser: Flask's test client on the real app and a real built store."""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store

from backends import every_backend_app
from conftest import ROOT, SEED, run_plankg
from plankg.examples import QUERIES_DIR, examples
from plankg.server import create_app
from plankg.server.ui import i18n, views as ui, data as ui_data, search

SERVER = ROOT / "server"
EXAMPLES = sorted(QUERIES_DIR.glob("*.rq"))
XSS = "<script>alert(1)</script>"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ATTR = re.compile(r'\b(?:src|href|action)\s*=\s*"([^"]*)"')


def make_app(store: Path, **config):
    return create_app({"STORE": str(store), "TESTING": True, **config})


app = every_backend_app()  # the app on the seed plan's build, on each store backend


@pytest.fixture()
def client(app):
    return app.test_client()


XSS_NODE = "https://w3id.org/plankg/id/mol/108/goal/8/strategy/2"


def build_xss_store(tmp: Path) -> Path:
    """The seed plan with ``<script>alert(1)</script>`` and ``&amp;`` in a strategy.

    Built by the real ``plankg build`` from a modified plan. The loader removes markup tags from
    plan text (leaving ``alert(1)``), so the tags are then put back into the label in the built
    store, as another loader or a SPARQL update could; ``&amp;`` survives the loader as typed.
    """
    plan = tmp / "mol-108.txt"
    text = SEED.read_text(encoding="utf-8")
    plan.write_text(text.replace("(二) 於中程歲出概算額度內編報概算數", f"(二) {XSS}於中程歲出概算額度內編報概算數&amp;", 1),
                    encoding="utf-8")
    run_plankg("build", "--store", str(tmp / "store"), str(plan), check=True)
    store = Store(os.path.realpath(tmp / "store"))
    store.update(f"""DELETE {{ GRAPH ?g {{ <{XSS_NODE}> <{RDFS_LABEL}> ?l }} }}
        INSERT {{ GRAPH ?g {{ <{XSS_NODE}> <{RDFS_LABEL}> ?new }} }}
        WHERE {{ GRAPH ?g {{ <{XSS_NODE}> <{RDFS_LABEL}> ?l }}
                BIND(STRLANG(CONCAT("{XSS}", STRAFTER(STR(?l), "alert(1)")), "zh-Hant") AS ?new) }}""")
    store.flush()
    del store
    return tmp / "store"


@pytest.fixture(scope="module")
def xss_store(tmp_path_factory) -> Path:
    return build_xss_store(tmp_path_factory.mktemp("xss"))


def page(client, url: str, **kw) -> str:
    resp = client.get(url, **kw)
    assert resp.status_code == 200, resp.data[:500]
    return resp.get_data(as_text=True)


# ----------------------------------------------------------------------------- home

def test_home_shows_the_plan_in_chinese(client):
    html = page(client, "/")
    assert '<html lang="zh-Hant">' in html
    assert "勞動部 108 年度施政計畫" in html and "民國 108 年（西元 2019 年）" in html
    assert "更好的勞動力、更佳的勞動生活" in html
    assert all(aim in html for aim in ("安全的職場環境", "積極的工作保障", "提升的勞動條件", "進步的勞資關係"))
    assert html.count('<article class="goal"') == 8
    assert html.count('<article class="work-plan"') == 11
    assert html.count('class="program"') == 44
    assert '<span class="num">八、</span>' in html and '<span class="num">(九)</span>' in html
    for n, what in ((8, "年度施政目標"), (42, "策略"), (11, "工作計畫"), (44, "重要計畫"), (140, "實施內容")):
        assert f"<strong>{n}</strong><span>{what}</span>" in html
    assert "綜合規劃司" in html and "6330011100" in html and "社會發展" in html


def test_home_sunburst_has_a_linked_segment_per_node(client):
    svg = re.search(r"<svg class=\"sunburst\".*?</svg>", page(client, "/"), re.S).group(0)
    for kind, n in (("goal", 8), ("strategy", 42), ("work-plan", 11), ("program", 44)):
        assert svg.count(f'class="seg seg-{kind}"') == n
    hrefs = ATTR.findall(svg)
    assert len(hrefs) == 8 + 42 + 11 + 44 + 1
    assert all(h.startswith("/id/mol/108") for h in hrefs)
    assert "<title>一、(一)配合國家重點發展產業" in svg  # the goal's number too: (一) alone repeats under every goal


def test_home_in_english_uses_the_vocabulary_labels_and_remembers(client):
    resp = client.get("/?lang=en")
    html = resp.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Social development" in html and "Department of General Planning" in html
    assert "Ministry of Labor" in html and "ROC year 108 (2019)" in html
    assert "勞動部 108 年度施政計畫" in html  # plan texts stay Chinese
    assert "lang=en" in resp.headers["Set-Cookie"]
    assert '<html lang="en">' in page(client, "/")  # the cookie
    assert '<html lang="zh-Hant">' in page(client, "/?lang=zh-Hant")


def test_home_is_fast(client):
    page(client, "/")
    times = []
    for _ in range(15):
        t0 = time.perf_counter()
        page(client, "/")
        times.append(time.perf_counter() - t0)
    assert statistics.median(times) < 0.05, times


def test_unknown_plan_is_404(client):
    assert client.get("/?plan=nope/1").status_code == 404


def test_several_plans_are_listed_and_chosen(built_store, tmp_path):
    """A second plan (the seed's plan graph copied to year 109) is listed; ?plan= picks it."""
    seed = Store.read_only(os.path.realpath(built_store))
    plan_graph = NamedNode("https://w3id.org/plankg/id/graph/mol/108")
    nt = seed.dump(format=RdfFormat.N_TRIPLES, from_graph=plan_graph).decode()
    nt = nt.replace("/mol/108", "/mol/109").replace("108 年度", "109 年度")
    nt = nt.replace('"108"^^', '"109"^^').replace('"2019"^^', '"2020"^^')
    store = Store(str(tmp_path / "two"))
    store.load(seed.dump(format=RdfFormat.N_QUADS), format=RdfFormat.N_QUADS)
    store.load(nt.encode(), format=RdfFormat.N_TRIPLES, to_graph=NamedNode("https://w3id.org/plankg/id/graph/mol/109"))
    store.flush()
    del store, seed
    app = make_app(tmp_path / "two")
    try:
        client = app.test_client()
        html = page(client, "/")
        assert 'class="plan-list"' in html and "勞動部 109 年度施政計畫" in html
        assert '<h1><a href="/id/mol/109">' in html  # newest first
        assert '<h1><a href="/id/mol/108">' in page(client, "/?plan=mol/108")
    finally:
        app.extensions["plankg"].close()


# ----------------------------------------------------------------------------- search

def test_search_finds_programs_and_activities_with_highlights(client):
    html = page(client, "/search?q=職災")
    assert "完備<mark>職業災害</mark>保障制度，增進<mark>職災</mark>勞工權益" in html  # 職災 also searches 職業災害
    assert html.count('class="hit exact"') >= 5
    assert 'data-kind="Program"' in html and 'data-kind="Activity"' in html
    assert "/id/mol/108/work-plan/4/program/2" in html


def test_search_ranks_exact_matches_before_bigram_matches(app):
    with app.test_request_context("/"):
        hits = search.find(ui_data.search_items(), "職業災害保險")
    exact = [h for h in hits if h.exact]
    assert exact and all(h.exact for h in hits[:len(exact)])
    partial = [h.score for h in hits[len(exact):]]
    assert partial and partial == sorted(partial, reverse=True) and min(partial) >= 3  # half of 5 bigrams
    assert all("職業災害保險" in h.item.label for h in exact)


def test_search_needs_every_term(app):
    with app.test_request_context("/"):
        hits = search.find(ui_data.search_items(), "青年  就業")
    assert hits and all("青年" in h.item.label and "就業" in h.item.label for h in hits)
    assert all(h.exact for h in hits)


def test_search_is_case_and_width_insensitive(app):
    with app.test_request_context("/"):
        assert search.find(ui_data.search_items(), "apec")[0].marked.count("<mark>APEC</mark>") == 1
        assert search.find(ui_data.search_items(), "ＡＰＥＣ")


def test_mark_escapes_before_marking():
    label = f"A{XSS} & <b>"
    marked = search.mark(label, search.fold(label), ["script", "&"])
    assert str(marked) == ("A&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; <mark>&amp;</mark> "
                           "&lt;b&gt;")


def test_search_cap_says_how_many_are_shown(built_store):
    app = make_app(built_store, MAX_HTML_ROWS=5)
    try:
        html = page(app.test_client(), "/search?q=勞工")
        total = len(_hits(app, "勞工"))  # with the target group's other labels (受僱者, 員工 …)
        assert total > 5
        assert f"顯示 5 筆，共 {total} 筆符合「勞工」（每頁上限 5 筆）。" in html
        assert html.count('class="hit ') == 5
        assert app.test_client().get("/search?q=勞工").headers["X-Plankg-Truncated"] == f"5 of {total}"
        assert "Showing 5 of" in page(app.test_client(), "/search?q=勞工&lang=en")
    finally:
        app.extensions["plankg"].close()


def _hits(app, q):
    with app.test_request_context("/"):
        idx = search.index()
        return search.find(idx.items, search.parse(q, idx), idx.texts)


def test_search_without_results_and_without_query(client):
    assert "沒有符合「量子計算」的項目。" in page(client, "/search?q=量子計算")
    html = page(client, "/search")
    assert 'class="hit' not in html and "result-count" not in html


def test_data_markup_is_escaped_everywhere(xss_store):
    app = make_app(xss_store)
    try:
        client = app.test_client()
        for url in ("/", "/?lang=en"):
            html = page(client, url)
            assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;於中程" in html, url
            assert "概算數&amp;amp;" in html, url  # the text "&amp;" shown as typed
        html = page(client, "/search?q=script")
        assert XSS not in html and "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in html
        assert "<mark>&amp;amp;</mark>" in page(client, "/search?q=%26amp%3B")
    finally:
        app.extensions["plankg"].close()


# ----------------------------------------------------------------------------- query page

def test_query_page_offers_the_examples_and_yasgui(client):
    html = page(client, "/query")
    assert "/assets/yasgui/yasgui.min.js" in html and "/static/query.js" in html
    for example in examples():
        assert example.get("title", i18n.ZH) in html
    assert 'id="yasgui"' in html
    with client.get("/assets/yasgui/yasgui.min.js") as js:
        assert js.status_code == 200 and "javascript" in js.mimetype and len(js.data) > 100_000
    assert client.get("/assets/yasgui/yasgui.esm.js").status_code == 404
    assert client.get("/assets/yasgui/../package.json").status_code == 404


def test_query_link_carries_the_query_and_its_downloads(client):
    html = page(client, "/query", query_string={"query": "SELECT ?s WHERE { ?s a ?t } LIMIT 3"})
    assert '"query": "SELECT ?s WHERE { ?s a ?t } LIMIT 3"' in html
    for fmt in ("csv", "tsv", "json", "xml"):
        assert f"format={fmt}" in html
    html = page(client, "/query", query_string={"query": "CONSTRUCT WHERE { ?s a ?t } LIMIT 3"})
    for fmt in ("ttl", "nt", "jsonld", "rdfxml"):
        assert f"format={fmt}" in html
    csv = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s a ?t } LIMIT 3", "format": "csv"})
    assert csv.status_code == 200 and csv.mimetype == "text/csv"


def test_query_form_ignores_iris_strings_and_comments():
    assert ui.query_form("# SELECT\nPREFIX a: <http://x/CONSTRUCT#> CONSTRUCT { ?s ?p 'ASK' } WHERE {}") == "CONSTRUCT"
    assert ui.query_form("prefix p: <p:> select * {}") == "SELECT"


@pytest.mark.parametrize("checkout", [True, False], ids=["source-checkout", "installed-wheel"])
def test_query_page_without_the_assets_says_how(checkout, built_store, monkeypatch, tmp_path):
    """Neither the wheel's copy nor an npm install: the fix named is the one for this kind of install."""
    monkeypatch.setattr(ui, "YASGUI_DIRS", (tmp_path / "packaged", tmp_path / "node_modules"))
    monkeypatch.setattr(ui, "SOURCE_CHECKOUT", checkout)
    assert ui.yasgui_dir() is None
    app = make_app(built_store)  # its own app: the shared one may have kept the page with the assets
    try:
        client = app.test_client()
        html = page(client, "/query")
        assert client.get("/assets/yasgui/yasgui.min.js").status_code == 404
    finally:
        app.extensions["plankg"].close()
    fix, other = (ui.INSTALL_COMMAND, ui.REINSTALL_COMMAND) if checkout else (ui.REINSTALL_COMMAND, ui.INSTALL_COMMAND)
    assert fix in html and other not in html and 'class="plain-query"' in html
    assert "yasgui.min.js" not in html


def test_yasgui_is_read_from_package_data_first(monkeypatch, tmp_path):
    assert ui.YASGUI_DIRS == (ui.YASGUI_PACKAGED, ui.YASGUI_BUILD)
    packaged, npm = tmp_path / "packaged", tmp_path / "node_modules"
    monkeypatch.setattr(ui, "YASGUI_DIRS", (packaged, npm))
    npm.mkdir()
    (npm / "yasgui.min.js").write_text("// npm")
    assert ui.yasgui_dir() == npm
    packaged.mkdir()
    (packaged / "yasgui.min.js").write_text("// wheel")
    assert ui.yasgui_dir() == packaged
    assert ui.SOURCE_CHECKOUT  # the suite runs from a checkout (an editable install)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_query_has_a_header_and_results(path, full_store):
    (example,) = [e for e in examples() if e.name == path.stem]
    assert all(example.title.get(lang) and example.description.get(lang) for lang in i18n.LANGS)
    store = Store.read_only(os.path.realpath(full_store))
    result = store.query(example.query, use_default_graph_as_union=True)
    assert len(list(result)) > 0


# ----------------------------------------------------------------------------- offline, strings

EXTERNAL = [re.compile(p) for p in (
    r"""\b(?:src|href|action|srcset)\s*=\s*["']?\s*(?:https?:)?//""",
    r"""url\(\s*["']?\s*(?:https?:)?//""",
    r"@import",
    r"""(?:fetch|XMLHttpRequest|open)\(\s*["']https?:""",
)]
NAMESPACES = ("http://www.w3.org/2000/svg",)


def test_no_external_urls_in_templates_or_static_files():
    files = [*SERVER.glob("templates/*.html"), *SERVER.glob("static/*")]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        for pattern in EXTERNAL:
            assert not pattern.search(text), f"{path.name}: {pattern.pattern}"
        for url in re.findall(r"https?://[^\s\"'<>)]+", text):
            assert url in NAMESPACES, f"{path.name}: {url}"


def test_rendered_pages_reference_no_external_host(client):
    for url in ("/", "/?lang=en", "/query", "/search?q=青年"):
        for ref in ATTR.findall(page(client, url)):
            assert not re.match(r"(?:[a-z]+:)?//", ref) or ref.startswith("http://localhost/"), (url, ref)


def test_every_ui_string_has_both_languages_and_templates_use_known_keys():
    assert all(zh.strip() and en.strip() for zh, en in i18n.STRINGS.values())
    for path in SERVER.glob("templates/*.html"):
        for key in re.findall(r"\bt\('([a-z_]+)'", path.read_text(encoding="utf-8")):
            assert key in i18n.STRINGS, f"{path.name}: {key}"
