"""The UI: the plan at a glance (``/``), its analysis (``/analysis``), the SPARQL query page (``/query``) and search (``/search``).

Pages speak zh-Hant first; ``?lang=en`` switches to English and is remembered in the ``lang``
cookie (:mod:`plankg.server.ui.i18n`). The language, the translator ``t`` and the switch link are
given to every template of the app (the linked-data pages extend the same ``base.html``).

The query page runs YASGUI from ``server/ui-assets/node_modules`` (installed with ``npm ci``
from the committed lock file), served by :func:`yasgui_asset`: no CDN, it works offline.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, make_response, render_template, request,
                   send_from_directory, url_for)
from markupsafe import Markup, escape

from plankg import formats
from plankg.examples import examples
from plankg.server.ui import analysis as an, datapage, heatmap, i18n, sunburst, data as ui_data
from plankg.server.errors import HTTPProblem

bp = Blueprint("ui", __name__)

ASSETS = Path(__file__).resolve().parents[1] / "ui-assets"
YASGUI_BUILD = ASSETS / "node_modules" / "@zazuko" / "yasgui" / "build"
YASGUI_FILES = frozenset({"yasgui.min.js", "yasgui.min.css", "yasgui.min.js.map"})
INSTALL_COMMAND = "npm ci --prefix server/ui-assets --ignore-scripts --no-audit --no-fund"
COOKIE_MAX_AGE = 365 * 24 * 3600
RESULT_DOWNLOADS = formats.downloads(formats.RESULTS)  # (title, format= name), from plankg.formats.TABLE
GRAPH_DOWNLOADS = formats.downloads(formats.TRIPLES, formats.QUADS)


# ----------------------------------------------------------------------------- language, links

def _switch_url(lang: str) -> str:
    """This page in ``lang``."""
    values: dict = {**request.args.to_dict(flat=False), "lang": [lang]}
    if request.endpoint and request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        return url_for(request.endpoint, **{**values, **(request.view_args or {})})
    return url_for("ui.home", lang=lang)


def node_url(iri: str) -> str:
    """The linked-data page of ``iri`` (``/id/<path>`` for IRIs under BASE), else ``iri`` itself."""
    base = current_app.config["BASE"]
    if not iri.startswith(base):
        return iri
    path = iri[len(base):]
    endpoint = _ld_endpoint()
    if endpoint is None:  # an app without the linked-data blueprint: the IRI is all we have
        return iri
    name, arg = endpoint
    return url_for(name, **{arg: path})


def plan_exports(iri: str) -> list[dict]:
    """The download links of the plan ``iri`` (StratML): routes of the linked-data blueprint, none without it."""
    base = current_app.config["BASE"]
    if not iri.startswith(base) or "ld.stratml_document" not in current_app.view_functions:
        return []
    from plankg.server.ld.views import plan_exports as exports

    return exports(iri[len(base):])


def _ld_endpoint() -> tuple[str, str] | None:
    """(endpoint, argument) of the app's ``/id/<path:…>`` route, found once in the URL map."""
    cache = current_app.extensions.setdefault("plankg-ui", {})
    if "ld" not in cache:
        cache["ld"] = next(((rule.endpoint, next(iter(rule.arguments))) for rule in current_app.url_map.iter_rules()
                            if rule.rule.startswith("/id/<") and len(rule.arguments) == 1), None)
    return cache["ld"]


@bp.app_context_processor
def _template_globals() -> dict:
    if not request:
        return {}
    lang = i18n.current_lang()
    other = i18n.EN if lang == i18n.ZH else i18n.ZH
    return {"lang": lang, "t": lambda key, **kw: i18n.text(key, lang, **kw), "node_url": node_url,
            "plan_exports": plan_exports, "switch_url": _switch_url(other), "switch_lang": other}


@bp.after_app_request
def _remember_lang(resp: Response) -> Response:
    wanted = i18n.normalise(request.args["lang"]) if "lang" in request.args else None
    if wanted and wanted != request.cookies.get(i18n.COOKIE):
        resp.set_cookie(i18n.COOKIE, wanted, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    if resp.mimetype == "text/html":
        resp.vary.add("Cookie")
    return resp


# ----------------------------------------------------------------------------- home

@bp.get("/")
def home():
    """The plan at a glance: titles, vision, aims, goals and strategies, work plans, the sunburst."""
    lang = i18n.current_lang()
    plans = ui_data.plans()
    if not plans:
        return render_template("home.html", plans=[], plan=None, ov=None)
    plan = _chosen_plan(plans, request.args.get("plan"))
    ov = ui_data.overview(plan)
    key = ("svg", plan.iri, lang, request.script_root, current_app.config["BASE"])
    svg = ui_data.cached(key, lambda: _sunburst(ov, lang))
    return render_template("home.html", plans=plans, plan=plan, ov=ov, svg=svg, sb=sunburst,
                           goal_number=i18n.goal_number, strategy_number=i18n.strategy_number)


def _chosen_plan(plans: list[ui_data.Plan], wanted: str | None) -> ui_data.Plan:
    if not wanted:
        return plans[0]
    base = current_app.config["BASE"]
    for p in plans:
        if wanted in (p.iri, p.iri[len(base):] if p.iri.startswith(base) else None):
            return p
    raise HTTPProblem(404, i18n.text("unknown_plan", i18n.current_lang(), plan=wanted))


def _sunburst(ov: ui_data.Overview, lang: str) -> Markup:
    left, right = sunburst.branches(ov, lambda iri: ov.label(iri, lang))
    publisher = ov.plan.publisher_labels.get(lang, ov.plan.title)
    year = i18n.text("centre_year", lang, roc=ov.plan.roc_year, ad=ov.plan.fiscal_year)
    return sunburst.render((publisher, year), ov.plan.iri, left, right, node_url,
                           i18n.text("sunburst_label", lang), described_by="glance-help sb-text-h",
                           text_lang="zh-Hant" if lang != "zh-Hant" else "")


# ----------------------------------------------------------------------------- analysis

@bp.get("/analysis")
def analysis():
    """The chosen plan's strategy × program heat map, target groups × agencies and coverage lists, each
    with its CSV: every figure a row of the named query of a ``plankg report`` (:mod:`.analysis`)."""
    lang = i18n.current_lang()
    plans = ui_data.plans()
    if not plans:
        return render_template("analysis.html", plans=[], plan=None)
    plan = _chosen_plan(plans, request.args.get("plan"))
    ov = ui_data.overview(plan)
    cells = an.cells(plan)
    text = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    key = ("heatmap", plan.iri, lang, request.script_root, current_app.config["BASE"])
    table = ui_data.cached(key, lambda: heatmap.render(ov.goals, ov.work_plans, cells, node_url, text,
                                                       text("hm_caption", plan=plan.title)))
    best = max((c.score for c in cells.values()), default=0.0)
    path = plan_path(plan)
    links = {name: {"csv": url_for("sparql.endpoint", query=an.query_text(name, plan), format="csv"),
                    "query": url_for("ui.query", query=an.query_text(name, plan), title=an.title(name, lang)),
                    "command": f"plankg report {name}" + (f" --plan {path}" if an.per_plan(name) else "")}
             for name in an.PARTS}
    return render_template("analysis.html", plans=plans, plan=plan, ov=ov, table=table, cells=cells,
                           legend=heatmap.legend(best or 1.0, text), links=links, rows=lambda name: an.rows(name, plan),
                           matrix=an.matrix(plan), amount_short=an.amount_short, amount_full=an.amount_full,
                           score=an.score, plan_path=plan_path, codes=heatmap.codes(ov.goals, ov.work_plans))


def plan_path(plan: ui_data.Plan) -> str:
    """What ``?plan=`` takes for ``plan``: its path under BASE (``mol/108``), else its IRI."""
    base = current_app.config["BASE"]
    return plan.iri[len(base):] if plan.iri.startswith(base) else plan.iri


# ----------------------------------------------------------------------------- data and API

bp.add_url_rule("/data", "data", datapage.view, methods=["GET"])


# ----------------------------------------------------------------------------- query page

@bp.get("/query")
def query():
    """YASGUI on our /sparql, with the example queries; ``?query=`` loads (and runs) a query."""
    text = request.args.get("query", "")
    return render_template("query.html", query=text, title=request.args.get("title", ""),
                           examples=examples(), downloads=downloads(text) if text.strip() else [],
                           assets_ok=(YASGUI_BUILD / "yasgui.min.js").is_file(), install_command=INSTALL_COMMAND,
                           result_formats=RESULT_DOWNLOADS, graph_formats=GRAPH_DOWNLOADS,
                           id_prefix=node_url(current_app.config["BASE"] + "_")[:-1])


_NOT_KEYWORD = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*")
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword outside IRIs, strings and comments."""
    m = _FORM.search(_NOT_KEYWORD.sub(" ", text))
    return m.group(1).upper() if m else "SELECT"


def downloads(text: str) -> list[tuple[str, str]]:
    """(label, URL) of the query's results from /sparql in every format of its kind."""
    links = GRAPH_DOWNLOADS if query_form(text) in ("CONSTRUCT", "DESCRIBE") else RESULT_DOWNLOADS
    return [(label, url_for("sparql.endpoint", query=text, format=name)) for label, name in links]


@bp.get("/assets/yasgui/<path:filename>")
def yasgui_asset(filename: str):
    """YASGUI's built files from the npm install (only those, never other node_modules files)."""
    if filename not in YASGUI_FILES:
        abort(404)
    return send_from_directory(YASGUI_BUILD, filename, max_age=24 * 3600)


# ----------------------------------------------------------------------------- search

@dataclass(frozen=True)
class Hit:
    item: ui_data.Item
    exact: bool
    score: int
    marked: Markup


def fold(text: str) -> str:
    """Per-character NFKC + casefold, keeping one character per character (offsets stay valid)."""
    out = []
    for ch in text:
        f = unicodedata.normalize("NFKC", ch).casefold()
        out.append(f if len(f) == 1 else ch.casefold()[:1] or ch)
    return "".join(out)


_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+$")


def find(items: list[ui_data.Item], q: str) -> list[Hit]:
    """Items whose text contains every whitespace-separated term of ``q`` (case- and width-insensitive).

    Chinese has no spaces, so terms are matched as substrings. A query that is one run of three
    or more Han characters also accepts items containing at least half of its character
    bigrams (「職業災害保險」 → 職業, 業災, 災害, 害保, 保險): exact matches rank first, the
    others by the number of bigrams they contain. Ties keep document order.
    """
    terms = [fold(t) for t in q.split()]
    if not terms:
        return []
    bigrams: list[str] = []
    if len(terms) == 1 and len(terms[0]) >= 3 and _HAN.match(terms[0]):
        bigrams = list(dict.fromkeys(terms[0][i:i + 2] for i in range(len(terms[0]) - 1)))
    need = max(1, (len(bigrams) + 1) // 2)
    hits = []
    for item in items:
        text = fold(item.label)
        if all(t in text for t in terms):
            hits.append(Hit(item, True, len(bigrams) + 1, mark(item.label, text, terms)))
        elif bigrams:
            matched = [b for b in bigrams if b in text]
            if len(matched) >= need:
                hits.append(Hit(item, False, len(matched), mark(item.label, text, matched)))
    return sorted(hits, key=lambda h: -h.score)  # stable: document order within a score


def mark(label: str, folded: str, needles: list[str]) -> Markup:
    """``label`` escaped, with every occurrence of a needle (found in ``folded``) in ``<mark>``."""
    hit = [False] * len(label)
    for needle in needles:
        start = folded.find(needle)
        while start >= 0:
            hit[start:start + len(needle)] = [True] * len(needle)
            start = folded.find(needle, start + 1)
    out, i = [], 0
    while i < len(label):
        j = i
        while j < len(label) and hit[j] == hit[i]:
            j += 1
        piece = escape(label[i:j])
        out.append(Markup("<mark>{}</mark>").format(piece) if hit[i] else piece)
        i = j
    return Markup("").join(out)


@bp.get("/search")
def search():
    """Goals, strategies, programs and activities matching ``?q=``, grouped by kind, at most MAX_HTML_ROWS."""
    q = request.args.get("q", "").strip()
    cap = int(current_app.config["MAX_HTML_ROWS"])
    hits = find(ui_data.search_items(), q) if q else []
    shown = hits[:cap]
    groups = []
    for kind in ui_data.KINDS:
        in_kind = [h for h in shown if h.item.kind == kind]
        total = sum(1 for h in hits if h.item.kind == kind)
        if total:
            in_kind.sort(key=lambda h: (-h.score, h.item.order))
            groups.append((kind, ui_data.class_label(kind, i18n.current_lang()), in_kind, total))
    resp = make_response(render_template("search.html", q=q, groups=groups, total=len(hits), shown=len(shown),
                                         cap=cap, strategy_number=i18n.strategy_number,
                                         goal_number=i18n.goal_number))
    if len(hits) > len(shown):  # never truncate silently: the page says so, and so does this header
        resp.headers["X-Plankg-Truncated"] = f"{len(shown)} of {len(hits)}"
    return resp
