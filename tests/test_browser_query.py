"""The query page (/query) in a real headless Chromium against a real `plankg serve`, as
tests/test_browser.py drives it: YASGUI's strings in zh-Hant, tab names that follow the language
and mark an edited example, a page that fits 390 px, local links for the site's and the
ontology's IRIs, and the server's short explanation of a syntax error."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from plankg.examples import QUERIES_DIR
from test_browser import YASGUI, browser, offline, rows_of, shot, sync_api  # noqa: F401 - the fixtures, shared

pytestmark = pytest.mark.slow
SHARED_FIXTURES = (browser, offline)  # test_browser's, used here by name

TARGET_GROUPS = "05-target-groups-by-activities"
TARGET_GROUPS_ZH = "哪些施政對象被最多實施內容提及？"
TARGET_GROUPS_EN = "Which target groups do the most activities address?"
OUTLINE = "08-work-plan-outline"  # a CONSTRUCT
TAB_NAMES = ".yasgui .tabsList .tab a > span"
ACTIVE_YASR = ".tabPanel.active .yasr"


@pytest.fixture()
def page(offline):  # noqa: F811 - test_browser's fixture
    if not YASGUI.exists():
        pytest.skip("YASGUI is not installed: run `python3 scripts/setup-ui.py assets` (npm ci)")
    page, _, errors = offline
    yield page
    assert errors == []


def open_query_page(page, server, lang: str | None = None, **params) -> None:
    query = {"lang": lang, **params} if lang else params
    page.goto(server.url + "/query" + ("?" + urlencode(query) if query else ""))
    page.wait_for_selector(".tabPanel.active .CodeMirror")


def run_example(page, name: str) -> None:
    page.locator(f'a.example[data-name="{name}"]').click()
    sync_api.expect(page.locator(f"{ACTIVE_YASR} table.dataTable tbody tr").first).to_be_visible()


def test_zh_mode_shows_yasguis_table_strings_translated(page, sparql_server, built_store):
    open_query_page(page, sparql_server)
    run_example(page, TARGET_GROUPS)
    n = rows_of(built_store, (QUERIES_DIR / f"{TARGET_GROUPS}.rq").read_text(encoding="utf-8"))
    yasr = page.locator(ACTIVE_YASR)
    sync_api.expect(yasr.locator(".dt-info")).to_have_text(f"顯示第 1 至 {n} 筆，共 {n} 筆")
    sync_api.expect(yasr.locator(".select_table span")).to_have_text("表格")
    sync_api.expect(yasr.locator(".select_response span")).to_have_text("原始回應")
    sync_api.expect(yasr.locator(".yasr_response_chip")).to_have_text(re.compile(rf"^{n} 筆結果，耗時 [\d.]+ 秒$"))
    sync_api.expect(yasr.locator(".tableControls .switch .label")).to_have_text(["簡易檢視", "截斷長值"])
    sync_api.expect(yasr.locator(".tableControls .pageSizerLabel")).to_have_text("每頁筆數：")
    sync_api.expect(yasr.locator('.tableControls option[value="-1"]')).to_have_text("全部")
    assert yasr.locator(".tableFilter").get_attribute("placeholder") == "篩選查詢結果"
    sync_api.expect(page.locator(".yasgui .addTab")).to_have_attribute("title", "新增分頁")
    shot(page, "query-zh.png")

    yasr.locator(".tableFilter").press_sequentially("no-such-group")  # YASR filters on keyup
    sync_api.expect(yasr.locator("td.dt-empty")).to_have_text("沒有符合篩選的結果")
    for english in ("Showing", "entries", "Simple view", "Page size", "Table", "results in"):
        assert english not in yasr.inner_text(), english


def test_a_query_without_results_says_so_in_zh(page, sparql_server):
    open_query_page(page, sparql_server, query='SELECT ?s WHERE { ?s ?p "這個值不存在" }')
    sync_api.expect(page.locator(f"{ACTIVE_YASR} td.dt-empty")).to_have_text("查詢沒有結果")


def test_english_mode_keeps_yasguis_english(page, sparql_server):
    open_query_page(page, sparql_server, lang="en")
    run_example(page, TARGET_GROUPS)
    sync_api.expect(page.locator(f"{ACTIVE_YASR} .dt-info")).to_contain_text("Showing 1 to")
    sync_api.expect(page.locator(f"{ACTIVE_YASR} .select_table span")).to_have_text("Table")


def test_switching_language_renames_example_and_default_tabs(page, sparql_server):
    open_query_page(page, sparql_server, lang="en")
    run_example(page, TARGET_GROUPS)
    sync_api.expect(page.locator(TAB_NAMES)).to_have_text(["SPARQL query", TARGET_GROUPS_EN])
    open_query_page(page, sparql_server, lang="zh-Hant")  # the tabs come back from localStorage
    sync_api.expect(page.locator(TAB_NAMES)).to_have_text(["SPARQL 查詢", TARGET_GROUPS_ZH])
    open_query_page(page, sparql_server, lang="en")
    sync_api.expect(page.locator(TAB_NAMES)).to_have_text(["SPARQL query", TARGET_GROUPS_EN])


def test_an_edited_example_tab_is_marked_and_no_longer_highlighted(page, sparql_server):
    open_query_page(page, sparql_server)
    run_example(page, TARGET_GROUPS)
    example = page.locator(f'a.example[data-name="{TARGET_GROUPS}"]')
    sync_api.expect(example).to_have_class(re.compile(r"\bcurrent\b"))
    sync_api.expect(page.locator(".tab.active a > span")).to_have_text(TARGET_GROUPS_ZH)
    page.locator(".tabPanel.active .CodeMirror-code").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nLIMIT 5")
    sync_api.expect(page.locator(".tab.active a > span")).to_have_text(TARGET_GROUPS_ZH + "（已修改）")
    sync_api.expect(example).not_to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("Control+Enter")  # the edited query runs, and is remembered
    sync_api.expect(page.locator(f"{ACTIVE_YASR} table.dataTable tbody tr")).to_have_count(5)
    open_query_page(page, sparql_server, lang="en")
    sync_api.expect(page.locator(".tab.active a > span")).to_have_text(TARGET_GROUPS_EN + " (edited)")
    for _ in "\nLIMIT 5":  # undo the edit: the tab is the example again
        page.locator(".tabPanel.active .CodeMirror-code").click()
        page.keyboard.press("Control+End")
        page.keyboard.press("Backspace")
    sync_api.expect(page.locator(".tab.active a > span")).to_have_text(TARGET_GROUPS_EN)
    sync_api.expect(page.locator(f'a.example[data-name="{TARGET_GROUPS}"]')).to_have_class(re.compile(r"\bcurrent\b"))


def test_the_page_fits_a_390_px_screen_and_its_tabs_scroll_in_their_strip(page, sparql_server):
    page.set_viewport_size({"width": 390, "height": 844})
    open_query_page(page, sparql_server)
    run_example(page, OUTLINE)  # a long tab name and IRIs in the results
    for _ in range(3):
        page.locator(".yasgui .addTab").click()
    sync_api.expect(page.locator(TAB_NAMES)).to_have_count(5)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    strip = page.locator(".yasgui .tabsList")
    assert strip.evaluate("el => el.scrollWidth > el.clientWidth")  # it scrolls, not the page
    page.locator(".tab a > span").first.click()
    run_example(page, OUTLINE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "query-390.png")


def test_construct_results_link_site_and_ontology_iris_locally_and_wrap_between_words(page, sparql_server):
    open_query_page(page, sparql_server)
    run_example(page, OUTLINE)
    links = page.locator(f"{ACTIVE_YASR} a.iri")
    hrefs = links.evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if h.startswith("https://w3id.org/plankg/")]
    assert "/ontology#Activity" in hrefs and "/ontology#ordinal" in hrefs
    assert any(re.fullmatch(r"/id/mol/108/work-plan/\d+/program/\d+", h) for h in hrefs)
    # every part of an IRI between / and # stays on one line (YASR's break-all would cut "work-pl|an")
    assert links.evaluate_all("as => as.every(a => Array.from(a.querySelectorAll('.iri-part')).every("
                              "p => p.getClientRects().length === 1))")
    cell = page.locator(f"{ACTIVE_YASR} table.dataTable tbody td div").first
    assert cell.evaluate("d => getComputedStyle(d).wordBreak") == "normal"
    page.locator(f'{ACTIVE_YASR} a.iri[href="/ontology#Activity"]').first.click()
    page.wait_for_url(re.compile(r"/ontology#Activity$"))
    sync_api.expect(page.locator("#Activity")).to_be_visible()


def test_the_ontology_and_its_version_iri_link_locally(page, sparql_server):
    query = ("SELECT * WHERE { VALUES (?ontology ?version ?other) { (<https://w3id.org/plankg/ontology> "
             "<https://w3id.org/plankg/ontology/0.1.0> <https://w3id.org/plankg/ontologyX>) } }")
    open_query_page(page, sparql_server, query=query)
    links = page.locator(f"{ACTIVE_YASR} table.dataTable tbody a.iri")
    sync_api.expect(links).to_have_count(3)
    assert sorted(links.evaluate_all("as => as.map(a => a.getAttribute('href'))")) == [
        "/ontology", "/ontology/0.1.0", "https://w3id.org/plankg/ontologyX"]  # not a page of ours


def test_a_syntax_error_shows_the_short_message(page, sparql_server):
    open_query_page(page, sparql_server, query="SELECT * WHERE {\n  ?s ?p ?o .\n  ?s foaf:name ?o }")
    error = page.locator(f"{ACTIVE_YASR} .plankg-error")
    sync_api.expect(error.locator("pre.short")).to_contain_text(
        "未宣告的前綴 foaf:（第 3 行第 6 欄），請加入 PREFIX foaf: <http://xmlns.com/foaf/0.1/>")
    sync_api.expect(error.locator("details pre")).not_to_be_visible()  # the parser's message, folded
    sync_api.expect(error.locator("summary")).to_have_text("解析器的完整訊息：")
    open_query_page(page, sparql_server, lang="en", query="SELECT * WHERE {\n  ?s ?p ?o .\n   )")
    sync_api.expect(page.locator(f"{ACTIVE_YASR} .plankg-error pre.short")).to_contain_text(
        "SPARQL syntax error at line 3, column 5.")
