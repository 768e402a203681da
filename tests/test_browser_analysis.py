"""The analysis page (/analysis) in a real headless Chromium against a real `plankg serve` of the
session's whole build (plan, budgets, law index), as tests/test_browser.py drives the other pages:
Debian's chromium through playwright's ``executable_path``, every request to another host refused
and recorded, screenshots in ``tests/artifacts/``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_browser import ARTIFACTS, browser, offline, shot, sync_api  # noqa: F401 - the fixtures, shared

pytestmark = pytest.mark.slow

CELL = "table.heatmap a.hm-cell"
ALIGNMENT_PAGE = re.compile(r"/doc/mol/108/alignment/\d+(\.html)?$")


@pytest.fixture()
def watched(offline):  # noqa: F811 - the fixture imported from test_browser
    """``offline``'s page, also recording console errors and Content-Security-Policy violations."""
    page, attempted, errors = offline
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.add_init_script("window.plankgCsp = []; document.addEventListener('securitypolicyviolation', "
                         "e => window.plankgCsp.push(e.violatedDirective + ' ' + e.blockedURI));")
    yield page, console, errors
    assert attempted == []


def test_the_page_loads_with_the_heat_map_and_no_console_error(watched, full_server):
    page, console, errors = watched
    response = page.goto(full_server.url + "/analysis")
    assert response.status == 200 and page.locator("html").get_attribute("lang") == "zh-Hant"
    sync_api.expect(page.locator("h1")).to_contain_text("計畫分析")
    heatmap = page.locator("table.heatmap")
    sync_api.expect(heatmap).to_be_visible()
    box = heatmap.bounding_box()
    assert box["width"] > 900 and box["height"] > 1000  # 42 rows × 44 columns, not a thumbnail
    sync_api.expect(page.locator(CELL)).to_have_count(126)
    sync_api.expect(page.locator(CELL + ".hm-accepted")).to_have_count(43)
    sync_api.expect(page.locator("table.tg-matrix a.tg-cell").first).to_be_visible()
    assert page.locator("script").count() == 0  # nothing to run: the page is server-side HTML
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.plankgCsp") == []
    shot(page, "analysis.png")
    page.locator("#heatmap").screenshot(path=str(ARTIFACTS / "analysis-heatmap.png"))
    assert console == [] and errors == []


def test_hovering_and_focusing_a_cell_exposes_what_it_stands_for(watched, full_server):
    page, console, _ = watched
    page.goto(full_server.url + "/analysis?lang=en")
    cell = page.locator(CELL + ".hm-accepted").first
    cell.hover()
    title = cell.get_attribute("title")
    assert re.match(r"Strategy \S+ .+ \| program \d+\.\d+ .+ \| score 0\.\d{3} \| rank [123] \| accepted$", title)
    # its accessible name: the full text (visually hidden) and the visible number (WCAG 2.5.3)
    assert cell.locator(".visually-hidden").text_content() == title + " · "
    sync_api.expect(page.get_by_role("link", name=title)).to_have_count(1)
    cell.focus()
    assert page.evaluate("document.activeElement.title") == title
    assert page.evaluate("getComputedStyle(document.activeElement).boxShadow") != "none"  # a visible focus
    assert console == []


def test_tab_reaches_a_cell_from_the_top_of_the_page(watched, full_server):
    page, _, _ = watched
    page.goto(full_server.url + "/analysis")
    page.locator("body").focus()
    for presses in range(1, 200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('hm-cell')"):
            break
    else:
        pytest.fail("200 presses of Tab never reached a heat-map cell")
    label = page.evaluate("document.activeElement.title")
    assert label.startswith("策略 一(一) ") and "分數 0." in label
    page.keyboard.press("Enter")  # a link: Enter follows it
    page.wait_for_url(ALIGNMENT_PAGE)


def test_clicking_a_cell_opens_its_alignment_page(watched, full_server):
    page, console, errors = watched
    page.goto(full_server.url + "/analysis")
    cell = page.locator(CELL + ".hm-accepted").first
    label = cell.get_attribute("title")
    with page.expect_navigation() as navigation:
        cell.click()
    page.wait_for_url(ALIGNMENT_PAGE)
    assert navigation.value.status == 200
    body = page.locator("body")
    sync_api.expect(body).to_contain_text("shared words")  # the evidence
    strategy = label.split("｜")[0].split(" ", 2)[2]
    sync_api.expect(body).to_contain_text(strategy.rstrip("…")[:12])
    assert console == [] and errors == []


def test_every_csv_link_downloads_its_rows_from_the_real_server(watched, full_server):
    """The links carry the whole named query in the URL: under gunicorn's request-line limit."""
    page, _, _ = watched
    page.goto(full_server.url + "/analysis")
    links = page.locator("a.an-csv")
    sync_api.expect(links).to_have_count(5)
    for i in range(links.count()):
        response = page.request.get(full_server.url + links.nth(i).get_attribute("href"))
        assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
        assert len(response.text().strip().splitlines()) > 1
    with page.expect_download() as download:
        page.locator("#heatmap a.an-csv").click()
    assert download.value.suggested_filename == "alignment.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("strategy,strategyLabel,rank,program")
    assert len(text.strip().splitlines()) == 1 + page.locator(CELL).count()
