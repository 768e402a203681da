"""The UI: the plan at a glance (``/``), its analysis (``/analysis``), the SPARQL query page (``/query``) and search (``/search``).

Pages speak zh-Hant first; ``?lang=en`` switches to English and is remembered in the ``lang``
cookie (:mod:`plankg.server.ui.i18n`). The language, the translator ``t`` and the switch link are
given to every template of the app (the linked-data pages extend the same ``base.html``).

The query page runs YASGUI, served by :func:`yasgui_asset` from :func:`yasgui_dir`: no CDN, it works
offline. An installed wheel carries YASGUI's files as package data (``ui-assets/yasgui/``, put there by
setup.py's build step with their licence notices); a source checkout (an editable install) reads
``server/ui-assets/node_modules``, installed with ``npm ci`` from the committed lock file.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, make_response, render_template, request,
                   send_from_directory, url_for)
from markupsafe import Markup

from plankg import formats
from plankg.examples import examples
from plankg.namespaces import ONTOLOGY_IRI
from plankg.server.ui import analysis as an, datapage, heatmap, i18n, i18n_yasgui, sunburst
from plankg.server.ui import data as ui_data, search as search_index
from plankg.server.errors import HTTPProblem

bp = Blueprint("ui", __name__)

ASSETS = Path(__file__).resolve().parents[1] / "ui-assets"
YASGUI_PACKAGED = ASSETS / "yasgui"  # in a wheel (setup.py's build step)
YASGUI_BUILD = ASSETS / "node_modules" / "@zazuko" / "yasgui" / "build"  # in a source checkout, after npm ci
YASGUI_DIRS = (YASGUI_PACKAGED, YASGUI_BUILD)  # where yasgui_dir looks, in this order
YASGUI_FILES = frozenset({"yasgui.min.js", "yasgui.min.css", "yasgui.min.js.map"})  # = setup.py's FILES
SOURCE_CHECKOUT = (ASSETS.parents[1] / "pyproject.toml").is_file()  # server/ui-assets/../../pyproject.toml
INSTALL_COMMAND = "npm ci --prefix server/ui-assets --ignore-scripts --no-audit --no-fund"
REINSTALL_COMMAND = "python -m pip install --force-reinstall --no-deps plankg-*.whl"
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
    text, listed = request.args.get("query", ""), examples()
    ontology = (ONTOLOGY_IRI, url_for("ld.ontology")) if "ld.ontology" in current_app.view_functions else None
    return render_template("query.html", query=text, title=request.args.get("title", ""), ontology=ontology,
                           yasgui=i18n_yasgui.for_page(i18n.current_lang(), listed), examples=listed,
                           downloads=downloads(text) if text.strip() else [],
                           assets_ok=yasgui_dir() is not None, source_checkout=SOURCE_CHECKOUT,
                           install_command=INSTALL_COMMAND if SOURCE_CHECKOUT else REINSTALL_COMMAND,
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


def yasgui_dir() -> Path | None:
    """The folder with YASGUI's built files: the wheel's package data, else a source checkout's
    ``npm ci`` install; None when neither has them (the query page then says how to install them)."""
    return next((d for d in YASGUI_DIRS if (d / "yasgui.min.js").is_file()), None)


@bp.get("/assets/yasgui/<path:filename>")
def yasgui_asset(filename: str):
    """YASGUI's built files (only those, never other files of the folder or of node_modules)."""
    folder = yasgui_dir()
    if filename not in YASGUI_FILES or folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=24 * 3600)


# ----------------------------------------------------------------------------- search

CONCEPT_CAP = 50  # concepts shown above the texts (a common word matches hundreds of law names)


@bp.get("/search")
def search():
    """Concepts, then goals, strategies, programs and activities matching ``?q=`` (with synonyms),
    grouped by kind, at most MAX_HTML_ROWS texts; suggestions when nothing matches."""
    q = request.args.get("q", "").strip()
    lang = i18n.current_lang()
    if len(q) > search_index.MAX_QUERY_CHARS:
        raise HTTPProblem(400, i18n.text("search_too_long", lang, n=len(q), max=search_index.MAX_QUERY_CHARS))
    cap = int(current_app.config["MAX_HTML_ROWS"])
    idx = search_index.index() if q else None
    query = search_index.parse(q, idx)
    hits = search_index.find(idx.items, query, idx.texts) if idx else []
    concepts, concept_total = search_index.find_concepts(idx, query, lang, CONCEPT_CAP) if idx else ([], 0)
    canonical, similar = search_index.suggestions(idx, query, lang) if idx and not hits and not concepts else ([], [])
    shown = hits[:cap]
    groups = []
    for kind in ui_data.KINDS:
        in_kind = [h for h in shown if h.item.kind == kind]
        total = sum(1 for h in hits if h.item.kind == kind)
        if total:
            in_kind.sort(key=lambda h: (-h.score, h.item.order))
            groups.append((kind, ui_data.class_label(kind, lang), in_kind, total))
    resp = make_response(render_template(
        "search.html", q=q, groups=groups, total=len(hits), shown=len(shown), cap=cap,
        concepts=concepts, concept_total=concept_total, also=query.expansions,
        canonical=canonical, similar=similar, concept_kinds=search_index.kind_names(lang), examples=i18n.text("search_examples", lang).split("|"),
        strategy_number=i18n.strategy_number, goal_number=i18n.goal_number))
    if len(hits) > len(shown):  # never truncate silently: the page says so, and so does this header
        resp.headers["X-Plankg-Truncated"] = f"{len(shown)} of {len(hits)}"
    return resp
