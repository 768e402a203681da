"""The linked-data site: /id/ → 303 → /doc/, formats, pages, the ontology, escaping.

Most tests use the app's test client on the session store (``built_store``, default BASE);
the expected values are read from the same store with SPARQL, not hard-coded. The last tests
talk HTTP to a real `plankg serve` (``sparql_server``) and to a store built from a modified
plan under a literally dereferenceable BASE.
"""

from __future__ import annotations

import html
import re
import uuid
from pathlib import Path
from urllib.parse import unquote_plus

import pyoxigraph
import pytest
from markupsafe import escape
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from backends import every_backend_app
from conftest import BASE, PLAN_NS, SEED, run_plankg
from plankg import resources
from plankg.server import create_app

PROGRAM = "mol/108/work-plan/3/program/1"
LAW = "law/N0030001"
TARGET_GROUP = "target-group/workers"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
EXTENSIONS = {"ttl": "text/turtle", "jsonld": "application/ld+json", "nt": "application/n-triples",
              "rdf": "application/rdf+xml", "html": "text/html"}
RDF_FORMATS = {"ttl": pyoxigraph.RdfFormat.TURTLE, "jsonld": pyoxigraph.RdfFormat.JSON_LD,
               "nt": pyoxigraph.RdfFormat.N_TRIPLES, "rdf": pyoxigraph.RdfFormat.RDF_XML}
SCRIPT = '<script>alert("x&y")</script>'
LOCAL_BASE = "http://127.0.0.1:8000/id/"


app = every_backend_app()  # the app on the seed plan's build, on each store backend


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def kg(built_store):
    """The session store, read-only, for the expected values."""
    return pyoxigraph.Store.read_only(str(built_store.resolve()))


def select(kg, query: str) -> list[dict]:
    sols = kg.query(f"PREFIX plan: <{PLAN_NS}> PREFIX rdfs: <{RDFS}> " + query, use_default_graph_as_union=True)
    names = [v.value for v in sols.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in sols]


def text_of(body: bytes) -> str:
    """The page with tags removed and entities decoded, for 'does it show X' checks."""
    return html.unescape(re.sub(r"<[^>]+>", " ", body.decode()))


# ----------------------------------------------------------------------------- /id/ and 303

@pytest.mark.parametrize(("accept", "ext"), [
    ("text/html", "html"), (BROWSER, "html"), ("text/turtle", "ttl"), ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"), ("application/rdf+xml", "rdf"), ("*/*", "ttl"), (None, "ttl"),
    ("application/json", "jsonld"), ("text/turtle;q=0.5, application/ld+json", "jsonld"),
    ("text/turtle; charset=utf-8", "ttl"), ('application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"', "jsonld"),
    ("text/*", "ttl"), ("text/turtle;q=0, */*;q=0.1", "html"),
])
def test_id_redirects_303_by_accept(client, accept, ext):
    resp = client.get(f"/id/{PROGRAM}", headers={"Accept": accept} if accept else {})
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/doc/{PROGRAM}.{ext}"
    assert "Accept" in resp.headers["Vary"]


def test_id_keeps_the_language_for_html(client):
    resp = client.get(f"/id/{LAW}?lang=en", headers={"Accept": "text/html"})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/doc/{LAW}.html?lang=en"


def test_unacceptable_is_406(client):
    resp = client.get(f"/id/{PROGRAM}", headers={"Accept": "image/png"})
    assert resp.status_code == 406 and "text/turtle" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/id/nope/nothing", "/doc/nope/nothing", "/doc/nope/nothing.ttl",
                                  "/id/mol/108/goal/99", "/id/bad%20iri"])
def test_unknown_resource_is_404_text_for_programs(client, path):
    resp = client.get(path, headers={"Accept": "*/*"})
    assert resp.status_code == 404 and resp.mimetype == "text/plain"
    assert BASE in resp.get_data(as_text=True)


def test_unknown_resource_is_a_404_page_for_browsers(client):
    resp = client.get("/id/nope/a&b%3Cc", headers={"Accept": BROWSER})
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    body = resp.get_data(as_text=True)
    assert f"{BASE}nope/a&amp;b%3Cc" in body  # the IRI (< is not an IRI character: re-encoded), escaped


# ----------------------------------------------------------------------------- /doc/ representations

def test_doc_without_extension_negotiates_with_content_location(client):
    resp = client.get(f"/doc/{PROGRAM}", headers={"Accept": "text/turtle"})
    assert resp.status_code == 200 and resp.mimetype == "text/turtle"
    assert resp.headers["Content-Location"] == f"/doc/{PROGRAM}.ttl"
    assert "Accept" in resp.headers["Vary"]
    browser = client.get(f"/doc/{PROGRAM}", headers={"Accept": BROWSER})
    assert browser.mimetype == "text/html" and browser.headers["Content-Location"] == f"/doc/{PROGRAM}.html"


@pytest.mark.parametrize("ext", list(EXTENSIONS))
def test_every_extension_serves_its_format_with_alternates(client, ext):
    resp = client.get(f"/doc/{PROGRAM}.{ext}", headers={"Accept": BROWSER})
    assert resp.status_code == 200 and resp.mimetype == EXTENSIONS[ext]
    assert "Content-Location" not in resp.headers and "Accept" not in resp.headers.get("Vary", "")
    links = dict(re.findall(r'<([^>]+)>; rel="alternate"; type="([^"]+)"', resp.headers["Link"]))
    assert links == {f"/doc/{PROGRAM}.{e}": mt for e, mt in EXTENSIONS.items() if e != ext}
    if ext == "html":
        body = resp.get_data(as_text=True)
        for href, mt in links.items():
            assert f'<link rel="alternate" type="{mt}" href="{href}"' in body
        return
    triples = {q.triple for q in pyoxigraph.parse(resp.data, RDF_FORMATS[ext])}
    me = pyoxigraph.NamedNode(BASE + PROGRAM)
    assert pyoxigraph.Triple(me, pyoxigraph.NamedNode(str(RDF.type)), pyoxigraph.NamedNode(PLAN_NS + "Program")) in triples


def test_rdf_is_the_cbd_plus_labelled_incoming_links(client, kg):
    ttl = client.get(f"/doc/{PROGRAM}.ttl").get_data(as_text=True)
    g = Graph().parse(data=ttl, format="turtle")
    me = URIRef(BASE + PROGRAM)
    out = select(kg, f"SELECT ?p ?o WHERE {{ <{me}> ?p ?o }}")
    incoming = select(kg, f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p <{me}> }}")
    assert {(str(p), str(o)) for p, o in g.predicate_objects(me)} == {(r["p"], r["o"]) for r in out}
    assert {(str(s), str(p)) for s, p in g.subject_predicates(me)} == {(r["s"], r["p"]) for r in incoming}
    for r in incoming:  # every incoming subject comes with its label
        assert g.value(URIRef(r["s"]), RDFS.label) is not None
    assert "@prefix plan:" in ttl and "@prefix void:" not in ttl  # only the prefixes it uses


# ----------------------------------------------------------------------------- HTML pages

def test_program_page_shows_path_source_activities_and_links(client, kg):
    body = client.get(f"/doc/{PROGRAM}.html").get_data(as_text=True)
    text = text_of(body.encode())
    # the path: plan → work plan → this program, in that order, with the program marked current
    plan, wp = (select(kg, f"SELECT ?l WHERE {{ <{BASE}{iri}> rdfs:label ?l }}")[0]["l"]
                for iri in ("mol/108", "mol/108/work-plan/3"))
    crumbs = body[body.index('class="crumbs"'):body.index("</nav>", body.index('class="crumbs"'))]
    assert crumbs.index(plan) < crumbs.index(wp) < crumbs.index('aria-current="page"')
    # the source line
    loc = select(kg, f"SELECT ?f ?n WHERE {{ <{BASE}{PROGRAM}> <http://www.w3.org/ns/prov#wasDerivedFrom> ?l . "
                     f"?l plan:sourceFile ?f ; plan:startLine ?n }}")[0]
    assert f"{loc['f']}:{loc['n']}" in text
    # the activities, in ordinal order
    acts = select(kg, f"SELECT ?l WHERE {{ <{BASE}{PROGRAM}> plan:hasActivity ?a . ?a rdfs:label ?l ; plan:ordinal ?o }} ORDER BY ?o")
    assert len(acts) == 4
    positions = [body.index(html.escape(a["l"], quote=False)) for a in acts]
    assert positions == sorted(positions)
    # laws and target groups with the matched words and offsets
    evidence = select(kg, f"SELECT ?t ?tl ?m ?o WHERE {{ <{BASE}{PROGRAM}> plan:hasLinkEvidence ?e . ?e plan:linkTarget ?t ; "
                          f"plan:matchedText ?m ; plan:matchOffset ?o . ?t rdfs:label ?tl FILTER(langMatches(lang(?tl), 'zh-Hant')) }}")
    assert {e["t"] for e in evidence} >= {BASE + LAW, BASE + TARGET_GROUP}
    for e in evidence:
        assert f'href="/id/{e["t"][len(BASE):]}"' in body and e["tl"] in text
        assert f"<mark>{e['m']}</mark>" in body and f"{e['o']}" in text
    assert "<mark" in body[body.index('class="marked"'):]  # the label with the matched words marked
    sparql = re.search(r'href="(/query\?query=[^"]+)"', body).group(1)
    assert unquote_plus(html.unescape(sparql)) == f"/query?query=DESCRIBE <{BASE}{PROGRAM}>"


def test_law_page_shows_see_also_and_citing_nodes_by_kind(client, kg):
    body = client.get(f"/doc/{LAW}.html").get_data(as_text=True)
    see_also = select(kg, f"SELECT ?x WHERE {{ <{BASE}{LAW}> rdfs:seeAlso ?x }}")[0]["x"]
    assert f'href="{html.escape(see_also)}"' in body and "law.moj.gov.tw" in see_also
    citing = select(kg, f"SELECT ?n ?k WHERE {{ ?n plan:citesLaw <{BASE}{LAW}> ; a ?k }}")
    section = body[body.index('class="cited-by"'):body.index("</section>", body.index('class="cited-by"'))]
    for row in citing:
        assert f'href="/id/{row["n"][len(BASE):]}"' in section
        assert f'href="/ontology#{row["k"][len(PLAN_NS):]}"' in section  # a heading per kind
    assert "<mark>勞動基準法" in section  # with the words that matched


def test_target_group_page_lists_the_nodes_that_target_it(client, kg):
    body = client.get(f"/doc/{TARGET_GROUP}.html").get_data(as_text=True)
    nodes = select(kg, f"SELECT ?n WHERE {{ ?n plan:targetGroup <{BASE}{TARGET_GROUP}> }}")
    section = body[body.index('class="cited-by"'):]
    assert nodes and all(f'href="/id/{n["n"][len(BASE):]}"' in section for n in nodes)


def test_english_labels_with_lang_parameter_or_cookie(client):
    zh = client.get(f"/doc/{LAW}.html").get_data(as_text=True)
    assert "<h1" in zh and ">勞動基準法</h1>" in zh and "法規" in zh
    en = client.get(f"/doc/{LAW}.html?lang=en").get_data(as_text=True)
    assert ">Labor Standards Act</h1>" in en and '>law</a>' in en  # the class label in English
    fresh = client.application.test_client()
    fresh.set_cookie("lang", "en")
    assert ">Labor Standards Act</h1>" in fresh.get(f"/doc/{LAW}.html").get_data(as_text=True)


def test_vocabulary_pages_dereference(client):
    for path in ("plan-category/social-development", "org/mol", "target-group", "law", "mol/108/source"):
        resp = client.get(f"/doc/{path}.html")
        assert resp.status_code == 200, path


# ----------------------------------------------------------------------------- ontology

def test_ontology_is_negotiated_with_content_location(client):
    resp = client.get("/ontology", headers={"Accept": BROWSER})
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert resp.headers["Content-Location"] == "/ontology.html"
    vary = [v.strip() for v in resp.headers.get_all("Vary") for v in v.split(",")]
    assert sorted(vary) == ["Accept", "Cookie"]  # the page's language may come from a cookie
    ttl = client.get("/ontology", headers={"Accept": "*/*"})
    assert ttl.headers["Content-Location"] == "/ontology.ttl"
    assert ttl.data == client.get("/ontology.ttl").data == resources.ontology().read_bytes()
    assert 'rel="alternate"; type="text/html"' in ttl.headers["Link"]
    for ext in ("jsonld", "nt", "rdf"):
        assert len(list(pyoxigraph.parse(client.get(f"/ontology.{ext}").data, RDF_FORMATS[ext]))) > 500
    assert client.get("/ontology.exe").status_code == 404


def test_ontology_page_documents_every_term_with_an_anchor(client):
    body = client.get("/ontology.html").get_data(as_text=True)
    onto = Graph().parse(data=resources.ontology().read_bytes(), format="turtle")
    terms = {s for t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty) for s in onto.subjects(RDF.type, t)
             if str(s).startswith(PLAN_NS)}
    assert len(terms) > 40
    for term in terms:
        anchor = str(term)[len(PLAN_NS):]
        assert f'id="{anchor}"' in body, anchor
        for label in onto.objects(term, RDFS.label):
            assert html.escape(str(label), quote=False) in body
    assert 'href="#Strategy"' in body and "∪" in body  # unions in domains


def test_plan_terms_link_to_the_ontology_page(client):
    body = client.get(f"/doc/{PROGRAM}.html").get_data(as_text=True)
    assert 'href="/ontology#Program"' in body and 'href="/ontology#hasActivity"' in body


# ----------------------------------------------------------------------------- metadata entry points

@pytest.mark.parametrize(("path", "target"), [("/.well-known/void", "dataset"), ("/dataset", "dataset"),
                                              ("/catalog", "catalog")])
def test_metadata_entry_points_303(client, path, target):
    resp = client.get(path, headers={"Accept": "text/turtle"})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/doc/{target}.ttl"
    assert client.get(resp.headers["Location"]).status_code == 200
    assert client.get(path, headers={"Accept": BROWSER}).headers["Location"] == f"/doc/{target}.html"


# ----------------------------------------------------------------------------- escaping, custom BASE

@pytest.fixture(scope="module")
def script_store(tmp_path_factory) -> Path:
    """A store built from the seed plan with markup in strategy 1 of goal 1, under a local BASE.

    The loader removes tags from plan texts (``alert("x&y")`` is what remains), so a second
    store, :func:`markup_store`, puts the whole ``<script>`` back into that label.
    """
    tmp = tmp_path_factory.mktemp("script")
    seed = SEED.read_text(encoding="utf-8")
    plan = tmp / "mol-108.txt"
    plan.write_text(seed.replace("- (一) 配合國家重點發展產業", f"- (一) {SCRIPT}配合國家重點發展產業", 1), encoding="utf-8")
    run_plankg("build", "--store", str(tmp / "store"), "--base", LOCAL_BASE, str(plan), check=True)
    return tmp / "store"


@pytest.fixture(scope="module")
def markup_store(script_store, tmp_path_factory) -> Path:
    """The script store's quads with ``<script>…</script>`` in a strategy label and a law label."""
    nquads = run_plankg("export", "--store", str(script_store), check=True).stdout
    assert 'alert(\\"x&y\\")' in nquads and "<script>" not in nquads  # the loader dropped the tags
    label = f"<{LOCAL_BASE}mol/108/goal/1/strategy/1> <{RDFS.label}> "  # the strategy's own label, not the
    lines = [line.replace('alert(\\"x&y\\")', SCRIPT.replace('"', '\\"'), 1) if line.startswith(label) else line
             for line in nquads.splitlines(keepends=True)]  # alignments that quote it
    assert lines != nquads.splitlines(keepends=True)
    nquads = "".join(lines)
    nquads = nquads.replace('"勞動基準法"@zh-hant', f'"勞動基準法{SCRIPT.replace(chr(34), chr(92) + chr(34))}"@zh-hant')
    path = tmp_path_factory.mktemp("markup") / "store"
    store = pyoxigraph.Store(str(path))
    store.bulk_load(nquads.encode(), pyoxigraph.RdfFormat.N_QUADS)
    store.flush()
    del store  # closes RocksDB
    return path


def test_markup_in_the_data_is_shown_as_text(markup_store):
    app = create_app({"STORE": str(markup_store), "BASE": LOCAL_BASE, "TESTING": True})
    try:
        client = app.test_client()
        for path in ("mol/108/goal/1/strategy/1", "mol/108/goal/1", "law/N0030001", "mol/108/work-plan/3/program/1"):
            body = client.get(f"/doc/{path}.html").get_data(as_text=True)
            assert "<script" not in body, path
            assert str(escape(SCRIPT)) in body, path  # shown as text: &lt;script&gt;alert(&#34;x&amp;y&#34;)…
        ttl = client.get("/doc/mol/108/goal/1/strategy/1.ttl").get_data(as_text=True)
        assert SCRIPT.replace('"', '\\"') in ttl  # RDF keeps the text as it is
    finally:
        app.extensions["plankg"].close()


def test_a_local_base_is_literally_dereferenceable(script_store):
    app = create_app({"STORE": str(script_store), "BASE": LOCAL_BASE, "TESTING": True})
    try:
        client = app.test_client()
        resp = client.get("/id/mol/108", headers={"Accept": "text/turtle"})
        assert resp.status_code == 303 and resp.headers["Location"] == "/doc/mol/108.ttl"
        g = Graph().parse(data=client.get("/doc/mol/108.ttl").get_data(as_text=True), format="turtle")
        assert (None, None, None) in g and all(str(s).startswith(LOCAL_BASE) for s in g.subjects())
        assert 'href="/id/mol/108/goal/1"' in client.get("/doc/mol/108.html").get_data(as_text=True)
        void = client.get("/doc/dataset.ttl").get_data(as_text=True)
        assert "<http://127.0.0.1:8000/sparql>" in void and "<http://127.0.0.1:8000/dumps/plankg.nq.gz>" in void
    finally:
        app.extensions["plankg"].close()


# ----------------------------------------------------------------------------- over real HTTP

def test_dereferencing_over_http(sparql_server):
    status, headers, _ = sparql_server.get(f"/id/{PROGRAM}", headers={"Accept": "text/turtle"})
    assert status == 303 and headers["location"].endswith(f"/doc/{PROGRAM}.ttl")
    assert "accept" in headers["vary"].lower()
    status, headers, body = sparql_server.get(f"/doc/{PROGRAM}.ttl")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    assert 'rel="alternate"' in headers["link"]
    assert len(list(pyoxigraph.parse(body, pyoxigraph.RdfFormat.TURTLE))) > 10
    status, headers, body = sparql_server.get(f"/doc/{PROGRAM}.html", headers={"Accept": BROWSER})
    assert status == 200 and b"<mark>" in body
    status, _, body = sparql_server.get("/id/no/such/thing", headers={"Accept": "*/*"})
    assert status == 404


def test_pages_follow_updates_in_update_mode(update_server):
    """With updates enabled the pages read through the one writer process, and see its writes."""
    node = f"{BASE}test/{uuid.uuid4()}"
    path = node[len(BASE):]
    sparql = {"Content-Type": "application/sparql-update", **update_server.auth()}
    assert update_server.get(f"/id/{path}", headers={"Accept": "*/*"})[0] == 404
    insert = f'INSERT DATA {{ GRAPH <{BASE}graph/test> {{ <{node}> <{RDFS.label}> "新節點 <b>"@zh-Hant }} }}'
    assert update_server.request("POST", "/sparql", insert, sparql)[0] == 204
    try:
        status, headers, _ = update_server.get(f"/id/{path}", headers={"Accept": "text/html"})
        assert status == 303 and headers["location"].endswith(f"/doc/{path}.html")
        status, _, body = update_server.get(f"/doc/{path}.html")
        assert status == 200 and "新節點 &lt;b&gt;" in body.decode()
    finally:
        update_server.request("POST", "/sparql", f"DROP SILENT GRAPH <{BASE}graph/test>", sparql)
    assert update_server.get(f"/id/{path}", headers={"Accept": "*/*"})[0] == 404


def test_a_strategy_page_lists_its_ranked_programs_accepted_first(client):
    body = client.get("/doc/mol/108/goal/2/strategy/1.html").get_data(as_text=True)
    section = body[body.index('<section class="alignments">'):]
    section = section[:section.index("</section>")]
    rows = re.findall(r'<tr class="(accepted|candidate)">(.*?)</tr>', section, re.S)
    assert len(rows) == 3 and rows[0][0] == "accepted"
    assert 'href="/id/mol/108/work-plan/8/program/2"' in rows[0][1]  # 增進就業服務效能 (the gold program)
    assert re.search(r'href="/id/mol/108/alignment/\d+">1</a>', rows[0][1]) and "shared words:" in rows[0][1]


def test_a_program_page_lists_the_strategies_it_carries(client):
    body = client.get("/doc/mol/108/work-plan/8/program/2.html?lang=en").get_data(as_text=True)
    section = body[body.index('<section class="alignments">'):]
    section = section[:section.index("</section>")]
    assert "Computed alignments" in section
    assert 'href="/id/mol/108/goal/2/strategy/1"' in section and '<tr class="accepted">' in section
