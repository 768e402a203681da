"""Cross-cutting HTTP behaviour: CORS, security headers, ``Vary: Accept``, the build header,
the access log and ``/healthz``.

One WSGI middleware, :class:`_Around`, wraps the Flask app. It adds the CORS headers, the
security headers (:data:`SECURITY_HEADERS` on every response; on documents a browser renders,
HTML and SVG, also :data:`DOCUMENT_HEADERS`: a Content-Security-Policy allowing only our own
scripts, and no framing) and ``Vary: Accept`` (for responses whose view negotiated,
:func:`mark_negotiated`) to the header list the app starts its response with, and writes the
access log: one line per request when its body has been sent, with method, path, status,
bytes and the time spent (query time included), so streamed results are counted whole. It answers preflight ``OPTIONS`` requests
itself: 204 with the CORS headers, on any path.

It also names the build answers come from: it asks ``current_build()`` once, when the request
arrives, keeps the name in the environ (:data:`BUILD`, where :mod:`plankg.server.caching` takes it
for the ETag, so the two always agree) and adds :data:`BUILD_HEADER` to every response, errors,
304s and ``/healthz`` included. A server that takes updates has no build (``current_build()`` is
None) and so does one whose store cannot be opened: their responses carry no such header, and
neither do the answers gunicorn gives before the app sees a request (an unparseable request).
A balancer or a client can tell from it which build answered (``docs/deploy.md``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from flask import Flask, Response, request

from plankg.errors import PlanKGError

log = logging.getLogger("plankg.access")

NEGOTIATED = "plankg.negotiated"  # environ key: the response depends on the Accept header
STARTED = "plankg.started"  # when the request reached the app (time.perf_counter)
BUILD = "plankg.build"  # environ key: the build this request is answered from (None: no build)
BUILD_HEADER = "X-Plankg-Build"
EXPOSED = "Content-Location, Link, Location, X-Plankg-Truncated, X-Plankg-Query-Ms, X-Plankg-Build"
PREFLIGHT_HEADERS = (
    ("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, HEAD, OPTIONS"),
    ("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type"),
    ("Access-Control-Max-Age", "600"),
)
LOGGED_QUERY_CHARS = 200  # of a long query string, the access log keeps the start
SECURITY_HEADERS = (  # on every response
    ("X-Content-Type-Options", "nosniff"),  # a browser takes each response as its Content-Type says
    ("Referrer-Policy", "strict-origin-when-cross-origin"),  # other sites see our origin, not a page's query
)
# Pages run only our own scripts (the query page's YASGUI is served by us); inline styles stay
# allowed (style attributes in the templates and in YASGUI's editor), and so do data: images
# (the editor's drag image). No page may be framed (clickjacking).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                           "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
DOCUMENT_HEADERS = (  # on responses a browser renders as a document, which could run script
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),  # frame-ancestors for browsers without CSP level 2
)
DOCUMENT_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")  # Content-Types that get DOCUMENT_HEADERS


def mark_negotiated() -> None:
    """Say that this request's response was chosen by its ``Accept`` header (``Vary: Accept``)."""
    request.environ[NEGOTIATED] = True


class _Around:
    """WSGI middleware: CORS, security, Vary and build headers on every response, and the access log."""

    def __init__(self, wsgi_app, cors_origins: str, current_build=lambda: None):
        self.wsgi_app = wsgi_app
        self.cors = ("Access-Control-Allow-Origin", cors_origins)
        self.current_build = current_build

    def __call__(self, environ, start_response):
        t0 = environ.setdefault(STARTED, time.perf_counter())
        status_code = ["-"]
        build = environ[BUILD] = _build(self.current_build)

        def _start(status, headers, exc_info=None):
            status_code[0] = status.split(" ", 1)[0]
            headers.append(self.cors)
            if build is not None:
                headers.append((BUILD_HEADER, build))
            if environ["REQUEST_METHOD"] == "OPTIONS":
                headers.extend(PREFLIGHT_HEADERS)
            headers.append(("Access-Control-Expose-Headers", EXPOSED))
            headers.extend(SECURITY_HEADERS)
            if _is_document(headers):
                headers.extend(DOCUMENT_HEADERS)
            if environ.get(NEGOTIATED):
                _vary_accept(headers)
            return start_response(status, headers, exc_info)

        if environ["REQUEST_METHOD"] == "OPTIONS":  # a CORS preflight, for any path: no app needed
            _start("204 No Content", [])
            body: Iterable[bytes] = ()
        else:
            body = self.wsgi_app(environ, _start)
        return _Counted(body, lambda n: log.info(
            "%s %s %s %d bytes %.1f ms", environ["REQUEST_METHOD"], _path(environ), status_code[0], n,
            (time.perf_counter() - t0) * 1000))


def _build(current_build) -> str | None:
    """The name of the build answering now, or None (a read-write server; no store: the app says so)."""
    try:
        return current_build()
    except PlanKGError:
        return None


def _is_document(headers: list[tuple[str, str]]) -> bool:
    for name, value in headers:
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower() in DOCUMENT_TYPES
    return False


def _vary_accept(headers: list[tuple[str, str]]) -> None:
    for i, (name, value) in enumerate(headers):
        if name.lower() == "vary":
            if "accept" not in {v.strip().lower() for v in value.split(",")}:
                headers[i] = (name, f"{value}, Accept")
            return
    headers.append(("Vary", "Accept"))


def _path(environ) -> str:
    qs = environ.get("QUERY_STRING")
    path = environ.get("PATH_INFO", "")
    return f"{path}?{qs[:LOGGED_QUERY_CHARS]}" if qs else path


class _Counted:
    def __init__(self, body, on_close):
        self.body = body
        self.on_close = on_close
        self.n = 0

    def __iter__(self):
        for chunk in self.body:
            self.n += len(chunk)
            yield chunk

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.on_close(self.n)


def init_app(app: Flask, current_build=lambda: None) -> None:
    """Wrap ``app``'s WSGI callable; ``current_build()`` names the build answering now, or None."""
    app.wsgi_app = _Around(app.wsgi_app, app.config["CORS_ORIGINS"], current_build)

    @app.get("/healthz")
    def healthz():
        from plankg.server import runtime

        runtime().executor().ask("ASK {}")
        return Response("ok\n", mimetype="text/plain")
