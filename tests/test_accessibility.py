"""Every kind of page passes axe-core's WCAG 2.0/2.1 level A and AA rules in both languages.

Taiwan's government web accessibility guidelines (網站無障礙規範) are built on WCAG 2.1 and expect
level AA. axe-core (pinned in server/ui-assets/package.json and its lock, installed by
``python3 scripts/setup-ui.py assets``) is used only here: playwright adds it to the page as a
script tag; the site never serves it. Pages run in Debian's headless Chromium against a real
`plankg serve` of the whole build, as in tests/test_browser.py.

A failure lists each violated rule with its number of nodes and the first node's selector.
"""

from __future__ import annotations

import pytest

from conftest import ROOT

from test_browser import YASGUI, browser, offline_page  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.slow

AXE = ROOT / "server" / "ui-assets" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = {
    "home": "/",
    "program": "/doc/mol/108/work-plan/4/program/2.html",
    "target-group": "/doc/target-group/occupational-accident-workers.html",
    "search": "/search?q=職災",
    "ontology": "/ontology",
    "sparql": "/sparql",
    "query": "/query",
    "query-results": "/query",
    "data": "/data",
    "analysis": "/analysis",
    "not-found": "/no/such/page",
}
EXCLUDE: list[list[str]] = [
    # CodeMirror (inside YASGUI's editor) gives its scrolling area tabindex=-1 on purpose: the editor
    # is one tab stop, its hidden textarea, whose cursor keys scroll this area. Making the area
    # focusable too would add a second, useless tab stop; the rule's concern (keyboard access to
    # the scrolled content) is met, but axe cannot see the textarea as part of the region.
    [".yasqe .CodeMirror-scroll"],
]
"""Selectors axe skips, each with the reason it cannot be fixed by our CSS, markup or config."""


@pytest.fixture()
def offline(browser):
    """As tests/test_browser.py's ``offline``, but the context bypasses the site's CSP so that
    playwright can add axe-core as an inline script tag (the site itself never loads axe)."""
    with offline_page(browser, bypass_csp=True) as found:
        yield found


def violations(page) -> list[dict]:
    """axe-core's violations on the page as loaded, with the WCAG 2.0/2.1 A and AA rules only."""
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    return page.evaluate("([exclude, options]) => axe.run({include: [document], exclude}, options)"
                         ".then(r => r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)})))",
                         [EXCLUDE, options])


def summary(found: list[dict]) -> str:
    return "; ".join(f"{v['id']} ×{len(v['nodes'])} (first: {v['nodes'][0]})" for v in found)


@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_page_has_no_wcag_a_or_aa_violation(offline, full_server, kind, lang):
    if not AXE.exists():
        pytest.skip(f"{AXE.relative_to(ROOT)} is missing: run `python3 scripts/setup-ui.py assets` (npm ci)")
    page, _, errors = offline
    path = PAGES[kind]
    response = page.goto(full_server.url + path + ("&" if "?" in path else "?") + f"lang={lang}")
    assert response.status == (404 if kind == "not-found" else 200)
    if kind.startswith("query") and YASGUI.exists():
        page.wait_for_selector(".yasgui .CodeMirror")
        if kind == "query-results":  # an example run: the results table, its menus, a second tab
            page.locator('a.example[data-name="05-target-groups-by-activities"]').click()
            page.locator(".yasr table.dataTable tbody tr").first.wait_for()
    page.wait_for_load_state("networkidle")
    found = violations(page)
    assert found == [], f"{kind} ({lang}): {summary(found)}"
    assert errors == []


def test_axe_is_not_served_by_the_site(offline, full_server):
    page, _, _ = offline
    for path in ("/assets/yasgui/axe.min.js", "/assets/axe-core/axe.min.js", "/static/axe.min.js"):
        assert page.request.get(full_server.url + path).status == 404, path


def test_axe_finds_a_planted_violation(offline, full_server):
    """The check itself works: an image without a text alternative is reported."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed")
    page, _, _ = offline
    page.goto(full_server.url + "/data")
    page.evaluate("document.querySelector('main, body').append(Object.assign(document.createElement('img'), "
                  "{src: '/static/favicon.svg'}))")
    assert "image-alt" in [v["id"] for v in violations(page)]

