"""The SPARQL 1.1 Protocol endpoint, ``/sparql``, and its service description.

Queries: ``GET ?query=``, ``POST`` ``application/x-www-form-urlencoded`` (``query=``) or
``POST`` ``application/sparql-query`` (the body, UTF-8). ``default-graph-uri`` and
``named-graph-uri`` (repeatable) replace the query's own dataset, as the protocol says;
without them the default graph is the union of the named graphs. Updates POSTed here (form
``update=`` or ``application/sparql-update``) go to :mod:`plankg.server.sparql.update`.

Status codes follow Oxigraph server: 400 for a malformed request or query (pyoxigraph's
message, with its position), 403 for a refused SERVICE target or a write to a read-only
server, 406 when no result format is acceptable, 413 for a body over ``MAX_BODY_BYTES``, 415
for a wrong Content-Type or charset, 503 (with ``Retry-After``) for a query over
``QUERY_TIMEOUT_S`` or stopped by its worker's memory bound (``MEMORY_LIMIT_MIB``,
:mod:`plankg.server.engine.memory`). The first chunk of the results is computed before the
status line is sent, so a timeout is a 503, never a 200 with a broken body; a result that
is complete by then (most are) goes out whole, with a Content-Length.

``GET /sparql`` without a query returns the SPARQL 1.1 Service Description (:mod:`plankg.server.sparql.service`).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.utils import get_current_url

from plankg.server.sparql import conneg


from plankg.server.engine import memory
from plankg.server.errors import HTTPProblem, syntax_problem
from plankg.errors import QueryError
from plankg.iri import is_iri
from plankg.server.engine.executor import (
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    ReadOnly,
    Refused,
    UnsupportedFormat,
)
from plankg.sparql.guard import query_form
from plankg.server import runtime

log = logging.getLogger("plankg.server")

bp = Blueprint("sparql", __name__)

QUERY, UPDATE = "query", "update"
DEFAULT_GRAPH_URI, NAMED_GRAPH_URI = "default-graph-uri", "named-graph-uri"
USING_GRAPH_URI, USING_NAMED_GRAPH_URI = "using-graph-uri", "using-named-graph-uri"
PROTOCOL_PARAMS = (QUERY, UPDATE, DEFAULT_GRAPH_URI, NAMED_GRAPH_URI, USING_GRAPH_URI, USING_NAMED_GRAPH_URI)
FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
UTF8 = ("utf-8", "utf8")
QUERY_MS_HEADER = "X-Plankg-Query-Ms"
URL_CACHE_SIZE = 64  # distinct endpoint URLs (hosts, proxies) remembered


@dataclass(frozen=True)
class Operation:
    """A query or update request: which one, its text, and its protocol parameters."""

    name: str  # QUERY or UPDATE
    text: str
    params: MultiDict  # dataset parameters: the URL's, plus the form's for a form POST


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """Answer a query, pass an update on, or describe the service."""
    op = read_operation()
    if op is None:
        from plankg.server.sparql.service import service_description  # it uses this module

        return service_description()
    if op.name == UPDATE:
        from plankg.server.sparql import update  # update imports this module

        return update.run_update(op)
    return run_query(op)


def read_operation() -> Operation | None:
    """The operation in the request; None for a GET with no protocol parameter (→ service description)."""
    if request.method in ("GET", "HEAD"):
        if UPDATE in request.args:
            raise HTTPProblem(400, "SPARQL Update requests must use POST")
        if QUERY not in request.args:
            if any(p in request.args for p in PROTOCOL_PARAMS):
                raise HTTPProblem(400, "no query given: add the query=… parameter")
            return None
        return Operation(QUERY, _exactly_once(request.args, QUERY), request.args)
    mimetype = request.mimetype
    if mimetype == FORM:
        _check_charset()
        read_body(current_app.config["MAX_BODY_BYTES"], "MAX_BODY_BYTES")  # cached; the form is parsed from it
        form = request.form
        params = MultiDict(list(request.args.items(multi=True)) + list(form.items(multi=True)))
        if QUERY in params and UPDATE in params:
            raise HTTPProblem(400, "both query= and update= given: send one operation per request")
        name = UPDATE if UPDATE in params else QUERY
        return Operation(name, _exactly_once(params, name), params)
    if mimetype in (QUERY_TYPE, UPDATE_TYPE):
        name = QUERY if mimetype == QUERY_TYPE else UPDATE
        if name == UPDATE:
            from plankg.server.sparql.update import require_writer

            require_writer()  # before reading a body the client may not send
        _check_charset()
        for param in (QUERY, UPDATE):
            if param in request.args:
                raise HTTPProblem(400, f"{param}= given in the URL of a {mimetype} POST: send the "
                                       "operation once, in the body")
        data = read_body(current_app.config["MAX_BODY_BYTES"], "MAX_BODY_BYTES")
        try:
            return Operation(name, data.decode("utf-8"), request.args)
        except UnicodeDecodeError as e:
            raise HTTPProblem(400, f"the request body is not UTF-8 (byte {e.start}): send UTF-8") from None
    given = request.headers.get("Content-Type") or "none"
    raise HTTPProblem(415, f"unsupported Content-Type {given}: POST a query as {QUERY_TYPE} or {FORM} "
                           f"(query=…), an update as {UPDATE_TYPE} or {FORM} (update=…)")


def run_query(op: Operation) -> Response:
    """Execute and stream the query of ``op`` (the executor checks its limits and SERVICE targets)."""
    form = query_form(op.text)
    kind = form or conneg.SELECT  # None: no query form, so the executor reports a syntax error
    rep = conneg.negotiate(kind) if form else conneg.OFFERS[kind][0]
    with executor_errors(text=op.text):
        execution = runtime().executor().execute(op.text, result_format=result_format(rep, kind), base_iri=base_iri(),
                                                 **dataset(op.params))
        rest = execution.chunks()
        try:
            second = None if execution.complete else next(rest, None)  # small results go out whole
        except BaseException:
            execution.close()
            raise
    headers = {QUERY_MS_HEADER: f"{execution.elapsed_ms:.1f}"}
    if second is None:  # the whole result is in hand: one write, with a Content-Length
        execution.close()
        return Response(execution.first, content_type=rep.content_type, headers=headers)
    resp = Response(_stream(execution.first, second, rest), content_type=rep.content_type, headers=headers)
    resp.call_on_close(execution.close)  # cancels the job even if the body is never read (HEAD)
    return resp


def base_iri() -> str | None:
    """The endpoint's URL, which relative IRIs in a request resolve against, as in Oxigraph
    server (a BASE in the text wins); None if it cannot be an IRI."""
    base = endpoint_url()
    return base if is_iri(base) else None


def endpoint_url() -> str:
    """``request.base_url``, remembered: Werkzeug rebuilds it (IRI decoding included) on every call."""
    return _current_url(request.scheme, request.host, request.root_path, request.path)


@functools.lru_cache(maxsize=URL_CACHE_SIZE)
def _current_url(scheme: str, host: str, root_path: str, path: str) -> str:
    return get_current_url(scheme, host, root_path, path)


def result_format(rep: conneg.Representation, kind: str):
    """The pyoxigraph format the executor serialises ``kind`` results to."""
    return rep.results_format if kind in (conneg.SELECT, conneg.ASK) else rep.rdf_format


def dataset(params: MultiDict) -> dict:
    """The protocol dataset: the given graphs replace the query's FROM/FROM NAMED entirely."""
    default = [absolute_iri(g) for g in params.getlist(DEFAULT_GRAPH_URI)]
    named = [absolute_iri(g) for g in params.getlist(NAMED_GRAPH_URI)]
    if not default and not named:
        return {"union_default_graph": True}
    return {"union_default_graph": False, "default_graphs": default, "named_graphs": named}


def absolute_iri(value: str) -> str:
    """``value`` if it is an absolute IRI (so also safe between ``<>``); else 400."""
    if not is_iri(value):
        raise HTTPProblem(400, f"not an absolute IRI: {value!r}")
    return value


@contextmanager
def executor_errors(unsupported: int = 406, text: str | None = None) -> Iterator[None]:
    """Translate the executor's exceptions into :class:`HTTPProblem` (errors.py makes the response).

    ``unsupported`` is the status for a format the executor cannot use (406, or 415 for uploads).
    A SERVICE/LOAD target off ``FEDERATION_ALLOWLIST`` is 403 (Refused), before anything is contacted.
    ``text``: the query or update, which a syntax error's short explanation quotes (:func:`syntax_problem`).
    """
    try:
        yield
    except QuerySyntaxError as e:
        raise syntax_problem(str(e), text) from None
    except QueryTimeout:
        raise timeout_problem() from None
    except UnsupportedFormat as e:
        raise HTTPProblem(unsupported, str(e)) from None
    except (Refused, ReadOnly) as e:
        raise HTTPProblem(403, str(e)) from None
    except QueryFailed as e:
        log.error("query evaluation failed on %s %s: %s", request.method, request.path, e)
        raise HTTPProblem(500, f"the operation failed while being evaluated: {e}") from None
    except QueryError as e:  # a bad argument, e.g. a graph name that is not an IRI
        raise HTTPProblem(400, str(e)) from None


def timeout_problem() -> HTTPProblem:
    """The 503 for a request stopped at its time limit, or by the worker's memory bound (:mod:`plankg.server.engine.memory`)."""
    over = memory.tripped()
    if over is not None:  # this worker passed MEMORY_LIMIT_MIB: that is why its queries are stopped
        return HTTPProblem(503, over, {"Retry-After": memory.RETRY_AFTER_S})
    limit = current_app.config["QUERY_TIMEOUT_S"]
    return HTTPProblem(503, f"the operation ran longer than the server's limit of {limit:g} s (QUERY_TIMEOUT_S) "
                            "and was stopped; simplify it or add a LIMIT", {"Retry-After": str(math.ceil(limit))})


def _stream(first: bytes, second: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    """The results: the two chunks already computed, then the rest as the executor makes it.
    A QueryTimeout or QueryFailed from ``rest`` comes too late for a status: it goes on to the
    server, which closes the connection so that the client sees the body cut short (and logs
    one line)."""
    yield first
    yield second
    yield from rest


def _exactly_once(params: MultiDict, name: str) -> str:
    values = params.getlist(name)
    if len(values) != 1:
        raise HTTPProblem(400, f"{name}= given {len(values)} times: give it exactly once")
    return values[0]


def _check_charset() -> None:
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.lower() not in UTF8:
        raise HTTPProblem(415, f"unsupported charset {charset}: send the request body as UTF-8")


def read_body(limit: int, setting: str) -> bytes:
    """The whole request body (also kept for ``request.form``); 413 naming the limit if it is larger.

    Werkzeug stops a chunked body at ``max_content_length`` without an error, so one byte
    more than the limit is read: a body that fills it is too large, never silently cut.
    """
    message = f"request body larger than the server's limit of {limit} bytes ({setting})"
    if request.content_length is not None and request.content_length > limit:
        raise HTTPProblem(413, message)
    request.max_content_length = request.max_form_memory_size = limit + 1
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise HTTPProblem(413, message) from None
    if len(data) > limit:
        raise HTTPProblem(413, message)
    return data
