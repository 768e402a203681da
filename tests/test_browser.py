"""The UI in a real headless Chromium against a real `plankg serve` on a loopback port.

Chromium is Debian's ``chromium`` package (``/usr/bin/chromium``, or ``$PLANKG_CHROMIUM``),
driven by the ``playwright`` Python package; Playwright's own browser download is never used.
``python3 scripts/setup-ui.py`` installs both prerequisites (chromium with apt-get when it runs as
root, YASGUI with npm); without them these tests are skipped and say why.

Every browser context refuses requests to hosts other than 127.0.0.1/localhost and records them:
the pages must work offline, so a test fails if anything else was even attempted. Screenshots
of the pages go to ``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

from contextlib import contextmanager

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pyoxigraph import Store

from conftest import ROOT
from plankg.examples import QUERIES_DIR
from server_support import start_server, stop
from test_ui import XSS, build_xss_store

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed "
                               "(pip install playwright; never `playwright install`)")

CHROMIUM = Path(os.environ.get("PLANKG_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "tests" / "artifacts"
YASGUI = ROOT / "server" / "ui-assets" / "node_modules" / "@zazuko" / "yasgui" / "build" / "yasgui.min.js"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
TIMEOUT_MS = 20_000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `python3 scripts/setup-ui.py browser` "
                    "(installs Debian's chromium with apt-get as root)")
    with sync_api.sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except sync_api.Error as e:
            pytest.skip(f"{CHROMIUM} did not start: {e}")
        yield browser
        browser.close()


@pytest.fixture()
def offline(browser):
    """A page whose context refuses every non-loopback request; ``attempted`` lists them."""
    with offline_page(browser, accept_downloads=True) as found:
        yield found


@contextmanager
def offline_page(browser, **options):
    """(page, attempted, errors) of a new context (``options`` added) that refuses every non-loopback
    request; on exit, no such request may have been attempted."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, **options)
    context.set_default_timeout(TIMEOUT_MS)
    attempted: list[str] = []

    def guard(route):
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page, attempted, errors
    context.close()
    assert attempted == [], f"requests to other hosts were attempted: {attempted}"


def shot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def rows_of(built_store: Path, query: str) -> int:
    store = Store.read_only(os.path.realpath(built_store))
    return len(list(store.query(query, use_default_graph_as_union=True)))


def test_home_shows_vision_goals_work_plans_and_the_sunburst(offline, sparql_server):
    page, _, errors = offline
    page.goto(sparql_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    sync_api.expect(page.locator(".vision")).to_have_text("更好的勞動力、更佳的勞動生活")
    sync_api.expect(page.locator("article.goal")).to_have_count(8)
    sync_api.expect(page.locator("article.work-plan")).to_have_count(11)
    assert page.locator("svg.sunburst a.seg-program").count() >= 44
    assert page.locator("svg.sunburst a.seg-strategy").count() == 42
    box = page.locator("svg.sunburst").bounding_box()
    assert box["width"] > 600 and box["height"] > 600  # a real picture, not a thumbnail
    shot(page, "home.png")
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.locator("section.glance").screenshot(path=str(ARTIFACTS / "home-sunburst.png"))
    assert errors == []


def test_clicking_a_program_segment_opens_its_page_with_its_activities(offline, sparql_server):
    page, _, _ = offline
    page.goto(sparql_server.url + "/")
    segment = page.locator('svg.sunburst a.seg-program[href$="/work-plan/4/program/2"]')
    assert "完備職業災害保障制度" in segment.locator("title").text_content()
    segment.click()
    page.wait_for_url(re.compile(r"/doc/mol/108/work-plan/4/program/2(\.html)?$"))
    sync_api.expect(page.locator("body")).to_contain_text("完備職業災害保障制度，增進職災勞工權益")
    sync_api.expect(page.locator("body")).to_contain_text("推動職業災害保險單獨立法，加強保障職災勞工及其家屬之基本生活。")
    sync_api.expect(page.locator("body")).to_contain_text("辦理勞工保險職業災害保險法令及制度說明事宜")


def test_query_page_runs_an_example_offline_shares_and_downloads(offline, sparql_server, built_store):
    if not YASGUI.exists():
        pytest.skip("YASGUI is not installed: run `python3 scripts/setup-ui.py assets` (npm ci)")
    page, attempted, errors = offline
    page.goto(sparql_server.url + "/query")
    page.wait_for_selector(".yasgui .CodeMirror")
    example = page.locator('a.example[data-name="05-target-groups-by-activities"]')
    query = (QUERIES_DIR / "05-target-groups-by-activities.rq").read_text(encoding="utf-8")
    expected = rows_of(built_store, query)
    example.click()
    rows = page.locator(".yasr table.dataTable tbody tr")
    sync_api.expect(rows).to_have_count(expected)
    sync_api.expect(rows.first).to_contain_text("勞工")
    assert page.evaluate("window.plankgYasgui.getTab().getQuery()") == query
    shot(page, "query.png")

    share = page.locator("#share-url").input_value()
    assert urlsplit(share).path == "/query" and "query=" in share
    other = page.context.new_page()
    other.goto(share)
    sync_api.expect(other.locator(".yasr table.dataTable tbody tr")).to_have_count(expected)
    assert other.evaluate("window.plankgYasgui.getTab().getQuery()") == query

    link = page.locator('#downloads a[data-format="csv"]')
    with page.expect_download() as download:
        link.click()
    csv = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv.splitlines()[0] == "targetGroup,english,activities,programs"
    assert len(csv.strip().splitlines()) == expected + 1
    assert attempted == [] and errors == []


def test_query_page_downloads_a_construct_in_rdf_formats(offline, sparql_server):
    if not YASGUI.exists():
        pytest.skip("YASGUI is not installed: run `python3 scripts/setup-ui.py assets` (npm ci)")
    page, _, _ = offline
    page.goto(sparql_server.url + "/query")
    page.locator('a.example[data-name="08-work-plan-outline"]').click()
    links = page.locator("#downloads a")
    sync_api.expect(links).to_have_text(["Turtle", "N-Triples", "JSON-LD", "RDF/XML"])
    response = page.request.get(page.locator('#downloads a[data-format="ttl"]').get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"].startswith("text/turtle")
    assert "職業安全衛生業務" in response.text()


def test_search_finds_the_occupational_accident_program_and_activities(offline, sparql_server):
    page, _, _ = offline
    page.goto(sparql_server.url + "/")
    page.locator(".topsearch input[name=q]").fill("職災")
    page.locator(".topsearch input[name=q]").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    programs = page.locator('section.hits[data-kind="Program"]')
    sync_api.expect(programs).to_contain_text("完備職業災害保障制度，增進職災勞工權益")
    assert page.locator('section.hits[data-kind="Activity"] li.hit').count() >= 3
    sync_api.expect(page.locator("p.also")).to_have_text("也搜尋：職業災害")  # the synonym, searched too
    sync_api.expect(programs.locator("mark").filter(has_text="職災").first).to_have_text("職災")
    sync_api.expect(page.locator("section.concepts li.concept").first).to_contain_text("職業災害勞工")
    shot(page, "search.png")


def test_english_switch_changes_labels_and_is_remembered(offline, sparql_server):
    page, _, _ = offline
    page.goto(sparql_server.url + "/")
    page.locator("a.langswitch").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    sync_api.expect(page.locator("a.badge").first).to_have_text("Social development")
    sync_api.expect(page.locator(".work-plan .meta").first).to_contain_text("Department of General Planning")
    page.goto(sparql_server.url + "/")  # no ?lang=: the cookie
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "home-en.png", full_page=False)
    page.locator("a.langswitch").click()
    sync_api.expect(page.locator("a.badge").first).to_have_text("社會發展")


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xss-browser")
    server = start_server(build_xss_store(tmp), tmp / "server.log", "--workers", "1")
    yield server
    stop(server)


def test_script_in_a_label_is_shown_as_text_and_never_runs(offline, xss_server):
    page, _, errors = offline
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("/", "/search?q=script", "/?lang=en"):
        page.goto(xss_server.url + path)
        sync_api.expect(page.locator("body")).to_contain_text(f"{XSS}於中程歲出概算額度內編報概算數")
        page.wait_for_timeout(300)
    assert page.locator("script:not([src])").count() == 0
    assert dialogs == [] and errors == []


def test_pages_load_with_no_content_security_policy_violation(offline, sparql_server):
    """The Content-Security-Policy (server/http.py) allows all that the pages and YASGUI use."""
    if not YASGUI.exists():
        pytest.skip("YASGUI is not installed: run `python3 scripts/setup-ui.py assets` (npm ci)")
    page, _, errors = offline
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.add_init_script("window.plankgCsp = []; document.addEventListener('securitypolicyviolation', "
                         "e => window.plankgCsp.push(e.violatedDirective + ' ' + e.blockedURI));")
    for path in ("/", "/doc/mol/108/work-plan/4/program/2.html", "/search?q=職災", "/ontology"):
        response = page.goto(sparql_server.url + path)
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.plankgCsp") == [], path
    page.goto(sparql_server.url + "/query")
    page.wait_for_selector(".yasgui .CodeMirror")
    page.locator('a.example[data-name="05-target-groups-by-activities"]').click()
    sync_api.expect(page.locator(".yasr table.dataTable tbody tr").first).to_contain_text("勞工")
    page.locator(".yasgui .CodeMirror-focused").click()
    page.keyboard.type(" ")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.plankgCsp") == []
    assert [m for m in console if "Content Security Policy" in m] == []
    assert errors == []


def test_data_page_is_linked_from_every_page_and_its_dumps_download(offline, sparql_server, built_store):
    page, _, errors = offline
    page.goto(sparql_server.url + "/doc/mol/108/work-plan/4.html")
    page.locator("nav.mainnav a", has_text="資料與 API").click()
    page.wait_for_url(re.compile(r"/data$"))
    for section in ("sparql", "ontology", "dumps", "metadata", "stratml", "cite", "license"):
        sync_api.expect(page.locator(f"section#{section}")).to_be_visible()
    sync_api.expect(page.locator("section#sparql pre").first).to_contain_text("curl " + sparql_server.url + "/sparql")
    name = "plankg.nq.gz"
    size = (built_store.resolve() / "dumps" / name).stat().st_size
    cell = page.locator(f'section#dumps td.size[data-bytes="{size}"]')
    sync_api.expect(cell).to_have_text(re.compile(r"^\d+(\.\d)? (KiB|MiB)$"))
    with page.expect_download() as download:
        page.locator(f'section#dumps a[href="/dumps/{name}"]').click()
    assert Path(download.value.path()).stat().st_size == size
    shot(page, "data.png")
    page.goto(sparql_server.url + "/data?lang=en")
    sync_api.expect(page.locator("h1")).to_have_text("Data and API")
    sync_api.expect(page.locator("p.lang-note")).to_have_count(1)
    page.locator("footer.footer a", has_text="SPARQL endpoint").click()
    page.wait_for_url(re.compile(r"/sparql$"))
    sync_api.expect(page.locator("h1")).to_have_text("SPARQL endpoint")
    assert page.locator("article.ld").bounding_box()["width"] < 1400 * 0.8  # the pages' width, not the window's
    sync_api.expect(page.locator("article.ld")).to_contain_text("1 MiB")
    page.locator("ul.graphs a", has_text="/graph/mol/108").first.click()
    page.wait_for_url(re.compile(r"/doc/graph/mol/108"))
    assert errors == []


def test_program_page_names_its_properties_and_rolls_up_its_activities(offline, sparql_server):
    page, _, errors = offline
    page.goto(sparql_server.url + "/doc/mol/108/work-plan/4/program/2.html?lang=zh-Hant")
    headers = page.locator("section.properties table.props > tbody > tr > th").all_inner_texts()
    assert headers and "類型" in headers and not [h for h in headers if ":" in h]
    sync_api.expect(page.locator("section.links q.context mark")).to_have_text("職災勞工")
    rolled = page.locator("section.rolled-up")
    sync_api.expect(rolled).to_contain_text("勞工保險條例")
    sync_api.expect(rolled).to_contain_text("推動職業災害保險單獨立法")
    assert "@zh-hant" not in page.locator("article.ld").inner_text()
    shot(page, "program.png")
    page.locator("section.source a").first.click()
    page.wait_for_url(re.compile(r"/source/L112-115"))
    sync_api.expect(page.locator("pre.source-lines")).to_contain_text("完備職業災害")
    sync_api.expect(page.locator("pre.source-lines .ln")).to_have_text(["112", "113", "114", "115"])
    page.goto(sparql_server.url + "/doc/mol/108/work-plan/4/program/2.html?lang=en")
    sync_api.expect(page.locator("section.rolled-up")).to_contain_text("Labor Insurance Act")
    assert errors == []


def test_unknown_path_is_a_translated_page_in_the_frame(offline, sparql_server):
    page, _, _ = offline
    for lang, title in (("zh-Hant", "找不到此頁"), ("en", "Page not found")):
        response = page.goto(sparql_server.url + f"/no/such/page?lang={lang}")
        assert response.status == 404
        sync_api.expect(page.locator("h1")).to_have_text(f"404 · {title}")
        sync_api.expect(page.locator("header.topbar nav.mainnav")).to_be_visible()
        assert "requested URL" not in page.locator("body").inner_text()
