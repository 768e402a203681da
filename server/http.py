"""Cross-cutting HTTP behaviour: CORS, ``Vary: Accept``, the access log and ``/healthz``.

The access log writes one line per request when its body has been sent: method, path, status,
bytes and the time spent (query time included), so streamed results are counted whole.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

log = logging.getLogger("plankg.access")

CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Authorization, Content-Type",
    "Access-Control-Expose-Headers": "Content-Location, Link, Location, X-Plankg-Truncated, X-Plankg-Query-Ms",
    "Access-Control-Max-Age": "600",
}


class _AccessLog:
    """WSGI middleware: counts the bytes of the body as they are sent and logs on close."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        t0 = time.perf_counter()
        status_holder: list[str] = []

        def _start(status, headers, exc_info=None):
            status_holder.append(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, _start)
        return _Counted(body, lambda n: log.info(
            "%s %s %s %d bytes %.1f ms", environ.get("REQUEST_METHOD"), _path(environ),
            status_holder[0] if status_holder else "-", n, (time.perf_counter() - t0) * 1000))


def _path(environ) -> str:
    qs = environ.get("QUERY_STRING")
    path = environ.get("PATH_INFO", "")
    return f"{path}?{qs[:200]}" if qs else path


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


def init_app(app: Flask) -> None:
    app.wsgi_app = _AccessLog(app.wsgi_app)

    @app.before_request
    def _preflight():
        g.t0 = time.perf_counter()
        if request.method == "OPTIONS":
            return Response(status=204)

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers["Access-Control-Allow-Origin"] = app.config["CORS_ORIGINS"]
        if request.method == "OPTIONS":
            resp.headers.update(CORS_HEADERS)
        else:
            resp.headers["Access-Control-Expose-Headers"] = CORS_HEADERS["Access-Control-Expose-Headers"]
        if getattr(g, "negotiated", False):
            resp.vary.add("Accept")
        return resp

    @app.get("/healthz")
    def healthz():
        from plankg.server.runtime import runtime

        runtime().executor().ask("ASK {}")
        return Response("ok\n", mimetype="text/plain")
