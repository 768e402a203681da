"""The floor of the Python HTTP stack: a bare WSGI function, no framework, that runs the query.

No Flask, no protocol checks, no negotiation, no time limit, no logging: what gunicorn (with
plankg's worker class) and WSGI cost by themselves, so that with ``bench/bare_flask.py`` a run
shows how much of the gap to Oxigraph server is the HTTP server, the framework and plankg's
own work. ``bench_server.py --ceiling`` serves it next to the others:

    PLANKG_BENCH_STORE=DIR gunicorn -k plankg.server.worker.PlankgWorker bench.bare_wsgi:app
"""

from __future__ import annotations

import io
import os
from urllib.parse import parse_qs

import pyoxigraph as ox

_store: list[ox.Store] = []
JSON_RESULTS = "application/sparql-results+json"


def store() -> ox.Store:
    if not _store:
        _store.append(ox.Store.read_only(os.path.realpath(os.environ["PLANKG_BENCH_STORE"])))
    return _store[0]


def answer(query: str, accept: str) -> bytes:
    """``query`` run on the store and serialised as ``accept``: all the work the ceilings do
    (``bench/bare_flask.py`` does it too)."""
    result = store().query(query, use_default_graph_as_union=True)
    out = io.BytesIO()
    if isinstance(result, ox.QueryTriples):
        ox.serialize(result, out, ox.RdfFormat.from_media_type(accept))
    else:
        result.serialize(out, ox.QueryResultsFormat.from_media_type(accept))
    return out.getvalue()


def app(environ, start_response):
    accept = environ.get("HTTP_ACCEPT", JSON_RESULTS)
    body = answer(parse_qs(environ["QUERY_STRING"])["query"][0], accept)
    start_response("200 OK", [("Content-Type", accept), ("Content-Length", str(len(body)))])
    return [body]
