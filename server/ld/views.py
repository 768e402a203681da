"""Linked-data site: every IRI under BASE dereferences here; the ontology; metadata and dumps.

URLs (every representation has its own URL; negotiated responses say ``Vary: Accept``):

``/id/<path>``
    The thing ``BASE + path``. **303 See Other** to ``/doc/<path>.<ext>`` chosen by ``Accept``
    (``?lang=`` is kept), or 404 if no triple has the IRI as subject or object, 406 if no
    format is acceptable.
``/doc/<path>``
    The document about it, negotiated: 200 with ``Content-Location: /doc/<path>.<ext>``.
``/doc/<path>.html|.ttl|.jsonld|.nt|.rdf``
    That format. An extension always names the format, so a resource whose IRI ends in one of
    these suffixes is reached through ``/doc/<path>.<ext>.<ext>`` (none of ours does).
``/ontology``, ``/ontology.html|.ttl|…``
    The ontology document ``https://w3id.org/plankg/ontology`` (terms are its fragments,
    ``/ontology#Goal``): it is an information resource, so 200 with Content-Location, no 303.
``/.well-known/void``, ``/dataset``, ``/catalog``
    303 to the document of ``BASE dataset`` / ``BASE catalog`` (VoID and DCAT, built by
    :mod:`plankg.build.meta`).
``/dumps/<file>``
    The dumps of the current build (``realpath(STORE)/dumps``), ``application/gzip``.
``/export/stratml/<path>``
    The plan ``BASE + path`` as a StratML Part 1 document (:mod:`plankg.stratml`, what
    ``plankg export --format stratml`` writes), a download (``Content-Disposition``); 404 if it
    is no plan. A plan's HTML page links it.

**The 303 policy.** Werkzeug picks the best offer by q-value and specificity; offers are
ordered Turtle, HTML, JSON-LD, N-Triples, RDF/XML, so ties go to Turtle; media-type parameters
(``;charset=utf-8``, a JSON-LD ``profile``) are ignored. Browsers send
``text/html`` with q=1 and ``*/*`` with q<1, so they get HTML; a client that sends ``*/*`` (curl)
or nothing is a program, and gets Turtle, the most readable RDF and what a bare
``curl -L`` user most likely wants. Every response lists the other formats in a ``Link`` header
(``rel="alternate"``), and HTML pages repeat them as ``<link rel="alternate">``.

**The RDF representations** are the resource's Concise Bounded Description plus its incoming
links' subjects with their ``rdfs:label`` (:mod:`plankg.server.ld.data`), serialised by
Oxigraph. The HTML page adds the breadcrumb, the source line, the laws and target groups with
their matched words, the children in order and, for vocabulary terms, the nodes that cite them.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, render_template, request, send_file, url_for
from werkzeug.routing import BuildError

from plankg.build.dumps import DUMPS_DIR, MEDIA_GZIP
from plankg.server import runtime
from plankg.iri import UNSAFE, is_iri
from plankg.server.ld import data as ld_data, ontology as ld_ontology, page as ld_page
from plankg import formats, stratml
from plankg.hierarchy import PLAN_CLASS
from plankg.namespaces import PLAN
from plankg.server.sparql.conneg import Representation, best_offer
from plankg.server.errors import HTTPProblem, resource_not_found
from plankg.server.http import mark_negotiated
from plankg.server.ui import i18n

bp = Blueprint("ld", __name__)

FORMATS: dict[str, Representation] = formats.page_formats()
"""Extension → representation, in the order of preference used to break ties (from :data:`plankg.formats.TABLE`)."""
_OFFERS = tuple(FORMATS.values())
FORMAT_TITLES = {ext: rep.title for ext, rep in FORMATS.items()}
EXT = re.compile(r"^(?P<path>.+)\.(?P<ext>" + "|".join(FORMATS) + r")$")
DUMP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
DATASET_PATH, CATALOG_PATH = "dataset", "catalog"
STRATML = formats.export_formats()["stratml"]


# ----------------------------------------------------------------------------- negotiation

def negotiate() -> str:
    """The extension of the best format for this request's ``Accept``, or 406."""
    mark_negotiated()
    best = best_offer(_OFFERS, request.headers.get("Accept", ""))
    if best is None:
        supported = ", ".join(rep.media_type for rep in _OFFERS)
        raise HTTPProblem(406, f"no acceptable format; supported: {supported}")
    return next(ext for ext, rep in FORMATS.items() if rep is best)


def alternates(endpoint: str, current: str, **values) -> list[dict]:
    """The other formats of a document: extension, title, media type and URL."""
    return [{"ext": ext, "title": FORMAT_TITLES[ext], "type": rep.media_type,
             "href": url_for(endpoint, **{k: v.format(ext=ext) for k, v in values.items()})}
            for ext, rep in FORMATS.items() if ext != current]


def _link_header(alts: list[dict]) -> str:
    return ", ".join(f'<{a["href"]}>; rel="alternate"; type="{a["type"]}"' for a in alts)


def _respond(body: bytes | str, ext: str, alts: list[dict], content_location: str | None) -> Response:
    resp = Response(body, mimetype=None, content_type=FORMATS[ext].content_type)
    resp.headers["Link"] = _link_header(alts)
    if content_location:
        resp.headers["Content-Location"] = content_location
    return resp


def _see_other(target: str) -> Response:
    resp = redirect(target, 303)
    resp.autocorrect_location_header = False
    return resp


def _lang_args() -> dict:
    return {"lang": request.args["lang"]} if "lang" in request.args else {}


# ----------------------------------------------------------------------------- resources

def iri_for(path: str) -> str:
    """The IRI ``BASE + path`` (characters IRIs cannot hold are percent-encoded again)."""
    return current_app.config["BASE"] + UNSAFE.sub(lambda m: quote(m.group(0)), path)


def _known(iri: str) -> bool:
    return is_iri(iri) and ld_data.exists(iri)


def not_found(iri: str) -> Response:
    """404 for an unknown IRI (made in :mod:`plankg.server.errors`, like every error response)."""
    return resource_not_found(iri)


@bp.get("/id/<path:path>")
def resource(path: str):
    """303 to the document about ``BASE + path`` in the negotiated format."""
    ext = negotiate()
    iri = iri_for(path)
    if not _known(iri):
        return not_found(iri)
    return _see_other(url_for("ld.document", path=f"{path}.{ext}", **(_lang_args() if ext == "html" else {})))


@bp.get("/doc/<path:path>")
def document(path: str):
    """The document about a resource: negotiated without an extension, else that format."""
    m = EXT.match(path)
    if m:
        path, ext, location = m.group("path"), m.group("ext"), None
    else:
        ext = negotiate()
        location = url_for("ld.document", path=f"{path}.{ext}")
    iri = iri_for(path)
    if not _known(iri):
        return not_found(iri)
    alts = alternates("ld.document", ext, path=f"{path}.{{ext}}")
    triples = ld_data.description(iri)
    if ext != "html":
        return _respond(ld_data.serialize_description(triples, FORMATS[ext].rdf_format), ext, alts, location)
    page = ld_page.build(iri, triples, current_app.config["BASE"], i18n.current_lang())
    exports = plan_exports(path) if any(t["iri"] == PLAN + PLAN_CLASS for t in page["types"]) else []
    body = render_template("ld_resource.html", page=page, alternates=alts, sparql_href=sparql_href(iri),
                           exports=exports)
    return _respond(body, ext, alts, location)


def sparql_href(iri: str) -> str:
    """The query page with ``DESCRIBE <iri>`` filled in."""
    query = f"DESCRIBE <{iri}>"
    try:
        return url_for("ui.query", query=query)
    except BuildError:  # the UI blueprint is not there (stripped-down app): the plain endpoint
        return url_for("sparql.endpoint", query=query) if "sparql.endpoint" in current_app.view_functions else "#"


def plan_exports(path: str) -> list[dict]:
    """The download links of the plan ``BASE + path`` (title, media type, URL): its StratML document."""
    return [{"title": STRATML.title, "type": STRATML.media_type, "href": url_for("ld.stratml_document", path=path)}]


@bp.get("/export/stratml/<path:path>")
def stratml_document(path: str):
    """The plan ``BASE + path`` as a StratML document, to download; 404 if it is no plan."""
    iri = iri_for(path)
    select = runtime().executor().select
    plan = next((p for p in stratml.plans(select) if p.iri == iri), None) if is_iri(iri) else None
    if plan is None:
        return not_found(iri)
    resp = Response(stratml.to_bytes(select, iri), content_type=f"{STRATML.media_type}; charset=utf-8")
    resp.headers["Content-Disposition"] = f'attachment; filename="{plan.file_name}"'
    return resp


# ----------------------------------------------------------------------------- ontology

@bp.get("/ontology")
def ontology():
    """The ontology document, negotiated (200 with Content-Location)."""
    ext = negotiate()
    return _ontology(ext, url_for("ld.ontology_as", ext=ext))


@bp.get("/ontology.<ext>")
def ontology_as(ext: str):
    """The ontology in one format: its source Turtle, generated HTML, or a conversion."""
    if ext not in FORMATS:
        raise HTTPProblem(404, f"no format .{ext}; formats: {', '.join(FORMATS)}")
    return _ontology(ext, None)


def _ontology(ext: str, location: str | None) -> Response:
    alts = alternates("ld.ontology_as", ext, ext="{ext}")
    if ext == "ttl":
        body = ld_ontology.source()
    elif ext == "html":
        body = render_template("ontology.html", doc=ld_ontology.document(i18n.current_lang()), alternates=alts)
    else:
        body = ld_ontology.convert(FORMATS[ext].rdf_format)
    return _respond(body, ext, alts, location)


# ----------------------------------------------------------------------------- metadata, dumps

@bp.get("/.well-known/void")
@bp.get("/dataset", endpoint="dataset")
def well_known_void():
    """303 to the VoID/DCAT description of the dataset, in the negotiated format."""
    return _see_other(url_for("ld.document", path=f"{DATASET_PATH}.{negotiate()}", **_lang_args()))


@bp.get("/catalog")
def catalog():
    """303 to the DCAT catalog, in the negotiated format."""
    return _see_other(url_for("ld.document", path=f"{CATALOG_PATH}.{negotiate()}", **_lang_args()))


@bp.get("/dumps/<name>")
def dump(name: str):
    """A dump file of the current build, byte for byte (checksums in the DCAT metadata)."""
    if not DUMP_NAME.match(name):
        raise HTTPProblem(404, f"no dump {name!r}")
    path = runtime().executor().build_file(f"{DUMPS_DIR}/{name}")
    if path is None:
        raise HTTPProblem(404, f"no dump {name!r}")
    mimetype = MEDIA_GZIP if name.endswith(".gz") else "application/octet-stream"
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
