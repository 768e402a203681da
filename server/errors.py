"""The one place where exceptions become HTTP responses.

Client errors carry their status and a one-line reason (``text/plain; charset=utf-8``, like
Oxigraph server), or an HTML page when a browser asked for HTML: the site's frame, in the page's
language (:mod:`plankg.server.ui.i18n`), with the status's title and explanation translated
(``error_<status>``) and the specific reason, when there is one beyond Werkzeug's generic
text, as a detail. A store that cannot be
opened is a 503 (logged in one line), and so is a query of a page stopped at its time limit or
by the memory bound (as on /sparql); an evaluation failure or a bug is a 500 and is logged;
neither is ever reported as the client's fault.

A SPARQL syntax error is a 400 whose body starts with a short explanation in the page's language
(line, column, an undeclared prefix and the PREFIX line to add: :mod:`plankg.server.syntaxhelp`)
and ends with pyoxigraph's full message (:func:`syntax_problem`), for every client alike.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from plankg.errors import StoreError
from plankg.server.engine.queryerrors import QueryTimeout

log = logging.getLogger("plankg.server")

STORE_RETRY_AFTER_S = "60"  # Retry-After of a 503 for a store that cannot be opened


class HTTPProblem(Exception):
    """An error with an HTTP status, a message for the client and optional headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def syntax_problem(message: str, text: str | None) -> HTTPProblem:
    """The 400 for pyoxigraph's syntax error ``message`` about the query or update ``text``: a short
    explanation first (when the message gives a position), then the parser's own message. The
    explanation's language is the UI's (``?lang=``, the ``lang`` cookie, else zh-Hant)."""
    from plankg.server import syntaxhelp  # it imports the UI's strings
    from plankg.server.ui import i18n

    lang = i18n.current_lang()
    short = syntaxhelp.explain(message, text, lang) if text is not None else None
    if short is None:
        return HTTPProblem(400, message)
    return HTTPProblem(400, f"{short}\n\n{i18n.text('parser_message', lang)}\n{message}", {"Vary": "Cookie"})


def wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["text/plain", "text/html"]) if request.accept_mimetypes else None
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["text/plain"]


def problem_response(status: int, message: str, headers: dict[str, str] | None = None,
                     generic: bool = False) -> Response:
    """``message`` as text, or for browsers the translated error page (``generic``: the message
    says no more than the status's explanation, so it is not repeated as a detail)."""
    if wants_html():
        from plankg.server.ui import i18n  # the UI's strings: the page is in the site's language

        lang = i18n.current_lang()
        title, explanation = i18n.error_text(status, lang)
        body = render_template("error.html", status=status, title=title, explanation=explanation,
                               message=None if generic else message)
        resp = Response(body, status=status, mimetype="text/html")
    else:
        resp = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def resource_not_found(iri: str) -> Response:
    """404 for an IRI no triple has as subject or object: the translated not-found page (with
    the IRI) for browsers, one line of text otherwise."""
    if wants_html():
        return Response(render_template("not_found.html", iri=iri), status=404, mimetype="text/html")
    return Response(f"no resource <{iri}> in this graph\n", status=404, mimetype="text/plain")


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPProblem)
    def _problem(e: HTTPProblem):
        return problem_response(e.status, e.message, e.headers)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        headers = dict(e.get_headers()) if e.code in (405,) else {}
        headers.pop("Content-Type", None)
        generic = e.description == type(e).description  # Werkzeug's own English text
        return problem_response(e.code or 500, e.description or e.name, headers, generic=generic)

    @app.errorhandler(QueryTimeout)
    def _timeout(e: QueryTimeout):  # a page's query, past its time limit or stopped by the memory bound
        from plankg.server.sparql.protocol import timeout_problem  # sparql imports this module

        problem = timeout_problem()
        return problem_response(problem.status, problem.message, problem.headers)

    @app.errorhandler(StoreError)
    def _store(e: StoreError):
        log.error("%s %s: %s", request.method, request.path, e)
        return problem_response(503, f"the store is not available: {e}", {"Retry-After": STORE_RETRY_AFTER_S})

    @app.errorhandler(Exception)
    def _bug(e: Exception):
        log.exception("internal error on %s %s", request.method, request.path)
        return problem_response(500, "internal server error (logged)", generic=True)
