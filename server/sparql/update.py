"""Writes: SPARQL 1.1 Update (POSTed to ``/sparql``) and the Graph Store Protocol (``/store``).

Writes are enabled only when ``UPDATE_TOKEN`` is configured, and then need
``Authorization: Bearer <token>``: no token → 401 with ``WWW-Authenticate: Bearer``, a wrong
one → 403. Without ``UPDATE_TOKEN`` every write is 403 "read-only server"; reading the
Graph Store (GET/HEAD) is always allowed. LOAD and SERVICE targets must be under
``FEDERATION_ALLOWLIST`` (403 otherwise, before anything is contacted). Every write goes
through the executor's single-writer path.

``using-graph-uri`` / ``using-named-graph-uri`` are applied by adding ``USING`` clauses to
every ``DELETE``/``INSERT … WHERE`` operation of the request (see :func:`with_using`);
combined with ``USING`` or ``WITH`` in the text they are a 400, as the protocol requires.

Graph Store: ``?default`` (the store's own default graph, not the union that queries see),
``?graph=IRI`` or the URL itself (``/store/…``, direct identification) name one graph; GET of
``/store`` alone returns the whole dataset as N-Quads or TriG.
PUT replaces a graph in one transaction (201 new, 204 replaced); POST merges (201 if it
created the graph); POST without a graph creates a new graph under ``BASE`` and answers 201
with its IRI in ``Location``; DELETE answers 204, or 404 for a graph that does not exist.
Uploads are one graph in Turtle, N-Triples, RDF/XML or JSON-LD, at most ``MAX_UPLOAD_BYTES``;
a POST may also be ``multipart/form-data`` (a browser form), each file part merged in turn.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request
from pyoxigraph import RdfFormat

from plankg.server.sparql import conneg
from plankg.sparql.lexer import tokens
from plankg.server.errors import HTTPProblem
from plankg.server import runtime
from plankg.server.sparql.protocol import (
    USING_GRAPH_URI,
    USING_NAMED_GRAPH_URI,
    Operation,
    absolute_iri,
    base_iri,
    executor_errors,
    read_body,
)

bp = Blueprint("update", __name__)

REALM = "plankg"
NEW_GRAPH_PATH = "graph/upload/"  # under BASE: IRIs of graphs created by POST /store
GRAPH_PARAM, DEFAULT_PARAM = "graph", "default"
DEFAULT_GRAPH_QUERY = "CONSTRUCT WHERE { ?s ?p ?o }"
GSP_METHODS = ["GET", "PUT", "POST", "DELETE"]  # HEAD comes with GET
MULTIPART = "multipart/form-data"


def require_writer() -> None:
    """401/403 unless writes are enabled and the request carries the update token."""
    token = current_app.config.get("UPDATE_TOKEN")
    if not token:
        raise HTTPProblem(403, "read-only server: SPARQL Update and Graph Store writes are disabled")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise HTTPProblem(401, "writes need the update token: send Authorization: Bearer <token>",
                          {"WWW-Authenticate": f'Bearer realm="{REALM}"'})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise HTTPProblem(403, "the update token is not valid")


def run_update(op: Operation) -> Response:
    """Run the SPARQL Update of ``op`` (already authorised or not: checked here first; the executor
    checks its limits and LOAD/SERVICE targets)."""
    require_writer()
    text = with_using(op.text, op.params.getlist(USING_GRAPH_URI), op.params.getlist(USING_NAMED_GRAPH_URI))
    with executor_errors(text=text):
        runtime().executor().update(text, base_iri=base_iri())
    return Response(status=204)


# --- using-graph-uri / using-named-graph-uri --------------------------------------------------

@dataclass
class _Op:
    """One operation of an update request: its top-level keywords and brace groups."""

    words: list[tuple[str, int]]  # (KEYWORD, offset)
    groups: dict[int, tuple[int, int]]  # index in words of the keyword before a group → (start, end)


def with_using(text: str, using: list[str], using_named: list[str]) -> str:
    """``text`` with ``USING <g>`` / ``USING NAMED <g>`` added to each DELETE/INSERT … WHERE.

    400 if the text already has USING or WITH (the protocol forbids combining them) or a
    graph IRI is not absolute. ``DELETE WHERE { P }`` becomes ``DELETE { P } USING … WHERE { P }``,
    its definition in SPARQL 1.1 Update §3.1.3.3.
    """
    if not using and not using_named:
        return text
    clause = " ".join([f"USING <{absolute_iri(g)}>" for g in using]
                      + [f"USING NAMED <{absolute_iri(g)}>" for g in using_named])
    inserts: list[tuple[int, str]] = []
    for op in _operations(text):
        keys = [w for w, _ in op.words]
        if not {"DELETE", "INSERT"} & set(keys) or "DATA" in keys:
            continue
        if {"USING", "WITH"} & set(keys):
            raise HTTPProblem(400, f"{USING_GRAPH_URI}/{USING_NAMED_GRAPH_URI} given together with USING or "
                                   "WITH in the update: use one or the other")
        if "WHERE" not in keys:
            continue  # malformed: the executor reports the syntax error
        where = keys.index("WHERE")
        offset = op.words[where][1]
        if where > 0 and keys[where - 1] == "DELETE" and where in op.groups:  # DELETE WHERE shorthand
            start, end = op.groups[where]
            inserts.append((offset, f"{text[start:end]} {clause} "))
        else:
            inserts.append((offset, f"{clause} "))
    for offset, piece in sorted(inserts, reverse=True):
        text = text[:offset] + piece + text[offset:]
    return text


def _operations(text: str) -> Iterator[_Op]:
    op, depth, group_start = _Op([], {}), 0, 0
    for m in tokens(text):
        kind, token = m.lastgroup, m[m.lastgroup]
        if kind == "name" and depth == 0 and token.isascii() and token.isalpha():
            op.words.append((token.upper(), m.start(kind)))
        elif kind != "punct":
            continue
        elif token == "{":
            if depth == 0:
                group_start = m.start(kind)
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0 and op.words:
                op.groups[len(op.words) - 1] = (group_start, m.end())
        elif token == ";" and depth == 0:
            yield op
            op = _Op([], {})
    yield op


# --- Graph Store Protocol -------------------------------------------------------------------

@dataclass(frozen=True)
class _Target:
    """What a Graph Store request is about: one graph (None = the default graph) or the dataset."""

    graph: str | None = None
    dataset: bool = False


@bp.route("/store", methods=GSP_METHODS)
@bp.route("/store/<path:path>", methods=GSP_METHODS)
def graph_store(path: str | None = None) -> Response:
    """The SPARQL 1.1 Graph Store HTTP Protocol, indirect (``?graph=``) and direct (``/store/…``)."""
    target = _target(direct=path is not None)
    if request.method in ("GET", "HEAD"):
        return _read(target)
    require_writer()
    if target.dataset and request.method != "POST":
        raise HTTPProblem(400, f"{request.method} needs ?default or ?graph=IRI")
    ex = runtime().executor()
    if request.method == "DELETE":
        with executor_errors():
            if not ex.clear(target.graph):
                raise HTTPProblem(404, f"no graph {target.graph}")
        return Response(status=204)
    uploads = _uploads()
    location = None
    if target.dataset:  # POST to the store itself: a new graph (GSP §5.5)
        target = _Target(current_app.config["BASE"] + NEW_GRAPH_PATH + str(uuid.uuid4()))
        location = target.graph
    with executor_errors(unsupported=415):
        created = location is not None or (target.graph is not None and not ex.graph_exists(target.graph))
        for i, (rep, data) in enumerate(uploads):  # several only for a multipart POST (a merge)
            ex.load(data, rep.rdf_format, target.graph, replace=request.method == "PUT" and i == 0)
    resp = Response(status=201 if created else 204)
    if location:
        resp.headers["Location"] = location
    return resp


def _target(direct: bool) -> _Target:
    graphs = request.args.getlist(GRAPH_PARAM)
    if len(graphs) + (DEFAULT_PARAM in request.args) + direct > 1:
        raise HTTPProblem(400, "name one graph: ?default, ?graph=IRI or the /store/… URL itself, once")
    if direct:
        return _Target(request.base_url)  # direct identification: the graph IRI is the request URL
    if graphs:
        return _Target(absolute_iri(graphs[0]))
    return _Target() if DEFAULT_PARAM in request.args else _Target(dataset=True)


def _read(target: _Target) -> Response:
    """GET/HEAD: one graph in a triple format, or the whole dataset in N-Quads/TriG."""
    ex = runtime().executor()
    rep = conneg.negotiate(conneg.DATASET if target.dataset else conneg.GRAPH_KIND)
    with executor_errors():
        if target.graph is not None and not ex.graph_exists(target.graph):
            raise HTTPProblem(404, f"no graph {target.graph}")
        if request.method == "HEAD":
            body = b""
        elif target.dataset or target.graph is not None:
            body = ex.dump_graph(target.graph, rep.rdf_format)  # None: every graph, names kept
        else:  # the store's own default graph, not the union that queries see
            body = ex.construct(DEFAULT_GRAPH_QUERY, rep.rdf_format, union_default_graph=False)
    resp = Response(body, content_type=rep.content_type)
    if request.method == "HEAD":
        resp.automatically_set_content_length = False
    return resp


def _uploads() -> list[tuple[conneg.Representation, bytes]]:
    """The uploaded graph: the body, or for a multipart/form-data POST each of its parts."""
    data = read_body(current_app.config["MAX_UPLOAD_BYTES"], "MAX_UPLOAD_BYTES")  # the parts parse from it
    if request.mimetype == MULTIPART and request.method == "POST":
        parts = [(_format(f.content_type, f.filename), f.read()) for f in request.files.values()]
        if not parts:
            raise HTTPProblem(400, "multipart/form-data POST without a file part")
        return parts
    return [(_format(request.headers.get("Content-Type")), data)]


def _format(content_type: str | None, filename: str | None = None) -> conneg.Representation:
    """The upload format, from the media type or else the file name's extension; 415 if unknown."""
    rep = conneg.representation_for(content_type, conneg.GRAPH_STORE) if content_type else None
    if rep is None and filename and "." in filename:
        fmt = RdfFormat.from_extension(filename.rsplit(".", 1)[1])
        rep = conneg.representation_for(fmt.media_type, conneg.GRAPH_STORE) if fmt else None
    if rep is None:
        raise HTTPProblem(415, f"unsupported Content-Type {content_type or 'none'}: send one graph as one of "
                               f"{', '.join(r.media_type for r in conneg.GRAPH_STORE)}")
    return rep
