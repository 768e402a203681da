"""The analysis page (/analysis) without a browser: Flask's test client on the real app and the
session's whole build (plan, budgets, law index), compared with SPARQL on the same store and with
`plankg report`, whose named queries the page runs."""

from __future__ import annotations

import csv
import io
import os
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from pyoxigraph import Store

from conftest import BASE, PLAN_NS, run_plankg
from plankg.examples import REPORTS, example
from plankg.server import create_app
from plankg.server.ui import analysis as an, i18n, views as ui
from test_ui import XSS, XSS_NODE, xss_store  # noqa: F401 - the fixture, built once for this module

PLAN = BASE + "mol/108"
HEADINGS = ("analysis_title", "heatmap_title", "coverage_title", "uncarried_strategies", "uncarried_programs",
            "shared_laws", "matrix_title")
LISTS = {"uncarried-strategies": ("coverage", "strategy"), "uncarried-programs": ("uncarried-programs", "program"),
         "shared-laws": ("laws", "law")}
"""The page's lists: section id → (report, the variable of the item linked)."""


@pytest.fixture(scope="module")
def app(full_store):
    app = create_app({"STORE": str(full_store), "TESTING": True})
    yield app
    app.extensions["plankg"].close()


@pytest.fixture()
def client(app):
    return app.test_client()


class Page(HTMLParser):
    """What a test reads of an analysis page: links, headings, heat-map and matrix cells, list items."""

    def __init__(self, html: str):
        super().__init__()
        self.hrefs: list[str] = []
        self.headings: list[str] = []
        self.cells: list[dict[str, str]] = []  # the heat map's links
        self.matrix: list[dict[str, str]] = []
        self.items: dict[str, list[str]] = {}  # list section id → data-iri of its items
        self.csv: dict[str, str] = {}  # the CSV link of each part: report name → URL
        self.empty_cells = 0
        self._sections: list[str] = []
        self._heading: list[str] | None = None
        self._in_heatmap = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        cls = a.get("class", "").split()
        if tag == "section":
            self._sections.append(a.get("id", ""))
        elif tag in ("h1", "h2", "h3"):
            self._heading = []
        elif tag == "table":
            self._in_heatmap = "heatmap" in cls
        elif tag == "td" and self._in_heatmap:
            self.empty_cells += 1
        elif tag == "li" and "data-iri" in a and self._sections:
            self.items.setdefault(self._sections[-1], []).append(a["data-iri"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
            if "hm-cell" in cls:
                self.cells.append(a)
                self.empty_cells -= 1
            elif "tg-cell" in cls:
                self.matrix.append(a)
            elif "an-csv" in cls:
                self.csv[a["download"].removesuffix(".csv")] = a["href"]

    def handle_endtag(self, tag):
        if tag == "section" and self._sections:
            self._sections.pop()
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None
        elif tag == "table":
            self._in_heatmap = False

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)


def get(client, url: str, **kw) -> str:
    resp = client.get(url, **kw)
    assert resp.status_code == 200, (url, resp.data[:300])
    return resp.get_data(as_text=True)


def sparql(full_store, query: str) -> list:
    store = Store.read_only(os.path.realpath(full_store))
    return list(store.query(f"PREFIX plan: <{PLAN_NS}> {query}", use_default_graph_as_union=True))


def count(full_store, query: str) -> int:
    store = Store.read_only(os.path.realpath(full_store))
    [row] = list(store.query(f"PREFIX plan: <{PLAN_NS}> {query}", use_default_graph_as_union=True))
    return int(row["n"].value)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def node_url(app, iri: str) -> str:
    with app.test_request_context("/"):
        return ui.node_url(iri)


# ----------------------------------------------------------------------------- the page

@pytest.mark.parametrize("lang", i18n.LANGS)
def test_the_page_is_served_in_both_languages_with_translated_headings(client, lang):
    html = get(client, "/analysis", query_string={"lang": lang})
    page = Page(html)
    assert f'<html lang="{lang}">' in html
    for key in HEADINGS:
        assert any(h.startswith(i18n.text(key, lang)) for h in page.headings), key
    other = i18n.EN if lang == i18n.ZH else i18n.ZH
    assert i18n.text("heatmap_title", other) not in page.headings
    assert i18n.text("nav_analysis", lang) in html


def test_the_site_navigation_links_to_the_page(client):
    home = get(client, "/?lang=zh-Hant")
    assert 'href="/analysis">分析</a>' in home
    html = get(client, "/analysis?lang=en")
    assert 'href="/analysis" aria-current="page">Analysis</a>' in html


def test_the_heat_map_has_one_linked_cell_per_alignment_and_marks_the_accepted(app, client, full_store):
    page = Page(get(client, "/analysis"))
    alignments = count(full_store, f"""SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{
        ?a a plan:Alignment ; plan:alignedFrom ?s ; plan:alignedTo ?p .
        ?s a plan:Strategy ; plan:isStrategyOf/plan:isGoalOf <{PLAN}> . ?p a plan:Program }}""")
    carried = count(full_store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p WHERE {{
        ?s plan:carriedBy ?p ; plan:isStrategyOf/plan:isGoalOf <{PLAN}> }} }}""")
    assert alignments == len(page.cells) == 126
    assert sum("hm-accepted" in c["class"] for c in page.cells) == carried == 43
    assert len({c["href"] for c in page.cells}) == len(page.cells)
    strategies = count(full_store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s plan:isStrategyOf/plan:isGoalOf <{PLAN}> }}")
    programs = count(full_store, f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p plan:isProgramOf/plan:isWorkPlanOf <{PLAN}> }}")
    assert page.empty_cells == strategies * programs - len(page.cells)  # every other cell is blank, without a link
    accepted = [c for c in page.cells if "hm-accepted" in c["class"]][0]
    assert "✓" in get(client, "/analysis").split(f'href="{accepted["href"]}"', 1)[1].split("</a>", 1)[0]


def test_a_cell_names_strategy_program_score_and_rank_and_links_to_its_alignment(app, client, full_store):
    page = Page(get(client, "/analysis?lang=en"))
    [row] = sparql(full_store, f"""SELECT ?a ?score ?rank ?sl ?pl WHERE {{
        ?a plan:alignedFrom <{PLAN}/goal/2/strategy/1> ; plan:rank 1 ; plan:score ?score ; plan:alignedTo ?p .
        <{PLAN}/goal/2/strategy/1> <http://www.w3.org/2000/01/rdf-schema#label> ?sl . ?p <http://www.w3.org/2000/01/rdf-schema#label> ?pl }}""")
    [cell] = [c for c in page.cells if c["href"] == node_url(app, row["a"].value)]
    link_html = get(client, "/analysis?lang=en").split(f'href="{cell["href"]}"', 1)[1].split("</a>", 1)[0]
    assert 'class="visually-hidden">Strategy 二(一) ' in link_html  # the accessible name starts with it too
    for label in (cell["title"],):
        assert label.startswith("Strategy 二(一) " + row["sl"].value[:10]) and row["pl"].value in label
        assert f"score {float(row['score'].value):.3f}" in label and "rank 1" in label and label.endswith("accepted")
    evidence = get(client, cell["href"], follow_redirects=True)
    assert "shared words" in evidence


def test_every_link_on_the_page_answers_200(app, client):
    hrefs = set()
    for lang in i18n.LANGS:
        hrefs |= set(Page(get(client, "/analysis", query_string={"lang": lang})).hrefs)
    hrefs = {h for h in hrefs if not h.startswith("#")}
    assert len(hrefs) > 300
    assert not [h for h in hrefs if urlsplit(h).netloc]  # all on this site: offline
    failed = {h: r.status_code for h in sorted(hrefs) if (r := client.get(h, follow_redirects=True)).status_code != 200}
    assert failed == {}


# ----------------------------------------------------------------------------- the same rows as the report

@pytest.fixture(scope="module")
def downloads(app):
    """Each part's CSV link and what it answers: report name → (URL, rows)."""
    client = app.test_client()
    page = Page(get(client, "/analysis?lang=zh-Hant"))
    assert set(page.csv) == set(an.PARTS)
    out = {}
    for name, url in page.csv.items():
        resp = client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "text/csv", name
        out[name] = (url, resp.get_data(as_text=True))
    return page, out


@pytest.mark.parametrize("name", an.PARTS)
def test_a_csv_link_runs_the_reports_named_query_and_answers_what_the_report_prints(downloads, full_store, name):
    _, found = downloads
    url, text = found[name]
    query = parse_qs(urlsplit(url).query)["query"][0]
    ex = example(REPORTS[name])
    # the .rq file itself, for this plan (its marked lines bound) when it covers every plan
    assert query.replace(f"VALUES ?plan {{ <{PLAN}> }}", "# VALUES ?plan { <plan IRI> }") == ex.query
    assert query == (ex.for_plan(PLAN) if ex.per_plan else ex.query)
    args = ["--plan", "mol/108"] if ex.per_plan else []
    report = run_plankg("report", name, "--format", "csv", *args, "--store", str(full_store), check=True).stdout
    assert csv_rows(text) == csv_rows(report) and len(csv_rows(text)) > 0


def test_the_heat_map_shows_the_rows_of_the_alignment_csv(app, downloads):
    page, found = downloads
    rows = csv_rows(found["alignment"][1])
    expected = {(node_url(app, r["alignment"]), float(r["score"]), int(r["rank"]), r["accepted"] == "true") for r in rows}
    shown = {(c["href"], float(c["data-score"]), int(c["data-rank"]), "hm-accepted" in c["class"]) for c in page.cells}
    assert shown == expected and len(rows) == len(page.cells)


def test_the_lists_show_the_rows_of_their_csv_in_order(downloads):
    page, found = downloads
    for section, (name, var) in LISTS.items():
        assert page.items.get(section, []) == [r[var] for r in csv_rows(found[name][1])], section


def test_the_matrix_shows_the_rows_of_the_target_groups_csv(downloads):
    page, found = downloads
    rows = csv_rows(found["target-groups"][1])
    expected = {(r["group"], r["agency"], int(r["programs"]), int(r["lineItems"]), int(r["amountTWD"])) for r in rows}
    shown = {(c["data-group"], c["data-agency"], int(c["data-programs"]), int(c["data-items"]), int(c["data-amount"]))
             for c in page.matrix}
    assert shown == expected and len(page.matrix) == len(rows) > 100


def test_the_page_says_how_to_get_the_same_report(client):
    html = get(client, "/analysis")
    for name in an.PARTS:
        plan = " --plan mol/108" if example(REPORTS[name]).per_plan else ""
        assert f"<code>plankg report {name}{plan}</code>" in html


# ----------------------------------------------------------------------------- plans, errors, escaping

def test_a_plan_is_chosen_by_its_path_or_iri_and_an_unknown_one_is_a_translated_404(client):
    first = Page(get(client, "/analysis")).cells
    assert Page(get(client, "/analysis?plan=mol/108")).cells == first
    assert Page(get(client, "/analysis", query_string={"plan": PLAN})).cells == first
    for lang, words in ((i18n.ZH, "找不到這個計畫"), (i18n.EN, "No such plan")):
        resp = client.get("/analysis", query_string={"plan": "nope/1", "lang": lang}, headers={"Accept": "text/html"})
        assert resp.status_code == 404 and resp.mimetype == "text/html"
        assert f"{words}：nope/1" in resp.get_data(as_text=True) or f"{words}: nope/1" in resp.get_data(as_text=True)


def test_labels_are_escaped(xss_store):  # noqa: F811 - the fixture imported from test_ui
    app = create_app({"STORE": str(xss_store), "TESTING": True})
    try:
        html = get(app.test_client(), "/analysis")
        with app.test_request_context("/"):
            link = ui.node_url(XSS_NODE)
    finally:
        app.extensions["plankg"].close()
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;於中程" in html  # in the list of strategies no program carries
    row = html.split(f'href="{link}"')
    assert len(row) >= 3  # the heat map's row header and the list item
    assert all(XSS not in part for part in row)
