"""More documents of the linked-data site (blueprint ``published``, beside :mod:`plankg.server.ld.views`).

``/catalog.ttl``
    The whole metadata graph (VoID + DCAT, the catalog record), as the build wrote it
    (:data:`plankg.build.publication.CATALOG_FILE`): what a DCAT-AP harvester reads. Unlike
    the store (and so /doc/ and SPARQL), it keeps ``dcat:byteSize`` typed ``xsd:nonNegativeInteger``.
``/ontology/0.1.0``, ``/ontology/0.1.0.<ext>``
    The ontology's ``owl:versionIRI``: the same representations as ``/ontology`` (this version
    is the one shipped; another version number is 404).
``/shapes``, ``/shapes.<ext>``
    The SHACL shapes the build validates with (``https://w3id.org/plankg/shapes``, the shapes are
    its fragments, ``/shapes#SourceDocumentShape``): Turtle (the shipped files merged), the
    other RDF formats, and an HTML listing; negotiated as the other pages are (:mod:`plankg.formats`).
"""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, Response, current_app, render_template, url_for

from plankg import resources
from plankg.build.publication import CATALOG_FILE
from plankg.namespaces import ONTOLOGY_VERSION_IRI, PREFIXES, SH
from plankg.server import runtime
from plankg.server.errors import HTTPProblem
from plankg.server.ld import views
from plankg.server.ld.view import curie
from plankg.server.ld.views import FORMATS, _ontology, _respond, alternates, negotiate

bp = Blueprint("published", __name__)

VERSION = ONTOLOGY_VERSION_IRI.rsplit("/", 1)[1]
SHAPES_IRI = "https://w3id.org/plankg/shapes"
SHAPES_PREFIXES = {**PREFIXES, "sh": SH, "plansh": SHAPES_IRI + "#"}


@bp.get("/catalog.ttl")
def catalog_file():
    """The metadata graph of the current build as Turtle, byte for byte as the build wrote it."""
    path = runtime().executor().build_file(CATALOG_FILE)
    if path is None:
        raise HTTPProblem(404, "this build has no catalog file; rebuild the store")
    return Response(path.read_bytes(), content_type=FORMATS["ttl"].content_type)


@bp.get(f"/ontology/{VERSION}")
def ontology_version():
    """The ontology at its version IRI, negotiated (200 with Content-Location)."""
    ext = negotiate()
    return _ontology(ext, url_for("published.ontology_version_as", ext=ext))


@bp.get(f"/ontology/{VERSION}.<ext>")
def ontology_version_as(ext: str):
    return views.ontology_as(ext)


def shapes_turtle() -> bytes:
    """The shipped shapes files merged into one Turtle document (by Oxigraph); their relative
    IRIs (vocabulary terms) resolve against the id base, as in the build."""
    return _shapes_turtle(current_app.config["BASE"])


@lru_cache(maxsize=2)
def _shapes_turtle(base: str) -> bytes:
    from pyoxigraph import RdfFormat, parse, serialize

    triples = [q.triple for f in resources.shapes() for q in parse(f.read_bytes(), RdfFormat.TURTLE, base_iri=base)]
    return serialize(triples, format=RdfFormat.TURTLE, prefixes=SHAPES_PREFIXES)


@lru_cache(maxsize=8)
def _shapes_as(turtle: bytes, fmt) -> bytes:
    from pyoxigraph import RdfFormat, parse, serialize

    return serialize(parse(turtle, RdfFormat.TURTLE), format=fmt, prefixes=SHAPES_PREFIXES)


def shapes_listing() -> list[dict]:
    return _shapes_listing(shapes_turtle())


@lru_cache(maxsize=2)
def _shapes_listing(turtle: bytes) -> list[dict]:
    """The node shapes, their targets and property constraints, for the HTML page."""
    from rdflib import Graph
    from rdflib.namespace import RDFS, SH as RSH

    g = Graph().parse(data=turtle, format="turtle")
    out = []
    for shape in sorted(set(g.subjects(RSH.targetClass, None)) | set(g.subjects(RSH.targetObjectsOf, None))
                        | set(g.subjects(RSH.targetSubjectsOf, None)) | set(g.subjects(RSH.targetNode, None))):
        props = []
        for p in g.objects(shape, RSH.property):
            path = g.value(p, RSH.path)
            props.append({"path": curie(str(path)) if path is not None and not path.startswith("_:") else "(path)",
                          "label": str(g.value(p, RDFS.label) or ""), "min": g.value(p, RSH.minCount),
                          "max": g.value(p, RSH.maxCount), "message": str(g.value(p, RSH.message) or "")})
        targets = [f"{kind} {curie(str(o))}" for kind, pred in (("class", RSH.targetClass), ("objects of", RSH.targetObjectsOf),
                   ("subjects of", RSH.targetSubjectsOf), ("node", RSH.targetNode)) for o in g.objects(shape, pred)]
        out.append({"iri": str(shape), "anchor": str(shape).split("#")[-1], "label": str(g.value(shape, RDFS.label) or ""),
                    "targets": targets, "properties": sorted(props, key=lambda d: d["path"])})
    return out


@bp.get("/shapes")
def shapes():
    """The shapes, negotiated (200 with Content-Location)."""
    ext = negotiate()
    return _shapes(ext, url_for("published.shapes_as", ext=ext))


@bp.get("/shapes.<ext>")
def shapes_as(ext: str):
    if ext not in FORMATS:
        raise HTTPProblem(404, f"no format .{ext}; formats: {', '.join(FORMATS)}")
    return _shapes(ext, None)


def _shapes(ext: str, location: str | None) -> Response:
    alts = alternates("published.shapes_as", ext, ext="{ext}")
    if ext == "ttl":
        body = shapes_turtle()
    elif ext == "html":
        body = render_template("shapes.html", iri=SHAPES_IRI, shapes=shapes_listing(), alternates=alts)
    else:
        body = _shapes_as(shapes_turtle(), FORMATS[ext].rdf_format)
    return _respond(body, ext, alts, location)
