"""The home page's picture (server/ui/sunburst.py) in a real headless Chromium, as tests/test_browser.py
drives the other pages: readable labels, the full text of a hovered or focused segment, keyboard
access, colours that tell goals and work plans apart, one numbering, a text version."""

from __future__ import annotations

import pytest

from test_browser import browser, offline, shot, sync_api  # noqa: F401 - the fixtures, shared

pytestmark = pytest.mark.slow

PROGRAM = 'svg.sunburst a.seg-program[href$="/work-plan/4/program/2"]'
MIN_LEAF_PX = 13.0
"""The smallest rendered font size of a leaf label at a 1400 px wide window."""


def rendered_px(page, selector: str) -> list[float]:
    """The font sizes of ``selector``'s texts as drawn: the SVG's user units scaled to the screen."""
    return page.evaluate("""sel => {
        const svg = document.querySelector('svg.sunburst');
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return [...svg.querySelectorAll(sel)].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    }""", selector)


def test_labels_are_large_enough_to_read(offline, sparql_server):
    page, _, errors = offline
    page.goto(sparql_server.url + "/")
    leaves = rendered_px(page, "text.sb-leaf")
    assert len(leaves) >= 86 and min(leaves) >= MIN_LEAF_PX, min(leaves)
    assert min(rendered_px(page, "text.sb-ring1")) >= 12.0
    fill = page.evaluate("getComputedStyle(document.querySelector('text.sb-leaf')).fill")
    assert fill == "rgb(29, 39, 51)"  # the ink, not a faint grey
    assert errors == []


def test_focusing_a_segment_shows_its_full_text(offline, sparql_server):
    page, _, _ = offline
    page.goto(sparql_server.url + "/")
    segment = page.locator(PROGRAM)
    tip = segment.locator("g.sb-tip")
    sync_api.expect(tip).to_be_hidden()
    segment.focus()
    sync_api.expect(tip).to_be_visible()
    sync_api.expect(tip).to_contain_text("4.2 完備職業災害保障制度，增進職災勞工權益")
    assert "完備職業災害保障制度，增進職災勞工權益" in segment.locator("title").text_content()
    stroke = page.evaluate("getComputedStyle(document.activeElement.querySelector('path')).strokeWidth")
    assert float(stroke.removesuffix("px")) >= 3  # a visible focus style
    page.set_viewport_size({"width": 1400, "height": 1400})
    shot(page, "home-sunburst-focus.png", full_page=False)
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement.blur()")
    sync_api.expect(tip).to_be_hidden()


def test_tab_reaches_the_segments(offline, sparql_server):
    page, _, _ = offline
    page.goto(sparql_server.url + "/")
    page.locator("body").focus()
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('svg.sunburst a.seg')"):
            break
    else:
        pytest.fail("120 presses of Tab never reached a segment of the picture")
    sync_api.expect(page.locator("svg.sunburst a.seg:focus g.sb-tip")).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('svg.sunburst a.seg')")  # the next segment


def test_colours_tell_goals_and_work_plans_apart(offline, sparql_server):
    page, _, _ = offline
    page.goto(sparql_server.url + "/")
    fills = page.evaluate("""() => {
        const f = sel => [...document.querySelectorAll(sel)].map(a => a.querySelector('path').getAttribute('fill'));
        return {goals: f('a.seg-goal'), work_plans: f('a.seg-work-plan'), strategies: f('a.seg-strategy'),
                programs: f('a.seg-program')};
    }""")
    assert len(fills["goals"]) == 8 and len(set(fills["goals"])) == 8
    assert len(fills["work_plans"]) == 11 and len(set(fills["work_plans"])) == 11
    assert not set(fills["goals"]) & set(fills["work_plans"])
    # a strategy is a tint of its goal's hue, a program of its work plan's: no two parents share one
    for kind, parent in (("strategy", "/goal/"), ("program", "/work-plan/")):
        tints = page.evaluate("""([kind, parent]) => {
            const out = {};
            for (const a of document.querySelectorAll('a.seg-' + kind)) {
                const key = a.getAttribute('href').split(parent)[1].split('/')[0];
                (out[key] = out[key] || []).push(a.querySelector('path').getAttribute('fill'));
            }
            return out;
        }""", [kind, parent])
        seen: dict[str, str] = {}
        for key, colours in tints.items():
            for c in set(colours):
                assert seen.setdefault(c, key) == key, (kind, c, key, seen[c])
    # the plan category is a patterned ring, and the legend shows the same patterns
    rings = page.locator("svg.sunburst a.seg-program path.sb-cat")
    assert rings.count() >= 44
    patterns = {rings.nth(i).get_attribute("fill") for i in range(rings.count())}
    assert {"url(#sb-cat-social-development)", "url(#sb-cat-science-technology)"} <= patterns
    assert page.locator(".legend svg.swatch rect[fill^='url(#sb-cat-']").count() == 3


def test_one_numbering_in_the_chart_and_the_lists(offline, sparql_server):
    page, _, _ = offline
    page.goto(sparql_server.url + "/")
    goal = page.locator('svg.sunburst a.seg-goal[href$="/goal/1"] title').text_content()
    strategy = page.locator('svg.sunburst a.seg-strategy[href$="/goal/1/strategy/1"] title').text_content()
    assert goal.startswith("一、") and strategy.startswith("一、(一)")
    assert page.locator(PROGRAM + " title").text_content().startswith("4.2 ")
    sync_api.expect(page.locator("#goal-1 .strategies .num").first).to_have_text("(一)")
    sync_api.expect(page.locator("#work-plan-4 .programs .num").nth(1)).to_have_text("4.2")
    sync_api.expect(page.locator("#work-plan-4 h3 .num")).to_have_text("4")


def test_the_picture_has_a_text_version(offline, sparql_server):
    page, _, _ = offline
    page.goto(sparql_server.url + "/?lang=en")
    svg = page.locator("svg.sunburst")
    assert svg.get_attribute("role") == "group" and svg.get_attribute("aria-label")
    for ref in svg.get_attribute("aria-describedby").split():
        sync_api.expect(page.locator(f"#{ref}")).to_have_count(1)
    text = page.locator("details.sb-text")
    text.locator("summary").click()
    sync_api.expect(text.locator("a[href$='/goal/1/strategy/1']")).to_contain_text("(一)")
    assert text.locator("a").count() == 8 + 42 + 11 + page.locator("svg.sunburst a.seg-program").count()
    sync_api.expect(text).to_contain_text("4.2 完備職業災害保障制度")
    # on the English page the plan's Chinese text says which language it is in (WCAG 3.1.2)
    assert text.locator("a[href$='/goal/1']").get_attribute("lang") == "zh-Hant"
    assert svg.locator("a.seg-goal").first.evaluate("a => a.closest('[lang]').getAttribute('lang')") == "zh-Hant"
    page.goto(sparql_server.url + "/?lang=zh-Hant")
    assert page.locator("svg.sunburst [lang], details.sb-text [lang]").count() == 0
