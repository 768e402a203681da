"""The floor of the Python HTTP stack: a bare WSGI function, no framework, that runs the query.

No Flask, no protocol checks, no negotiation, no time limit, no logging: what gunicorn (with
plankg's worker class) and WSGI cost by themselves, so that with ``bench/bare_flask.py`` a run
shows how much of the gap to Oxigraph server is the HTTP server, the framework and plankg's
own work. ``bench_server.py --ceiling`` serves it next to the others:

    PLANKG_BENCH_STORE=DIR gunicorn -k plankg.server.serving.worker.PlankgWorker bench.bare_wsgi:app
"""

from __future__ import annotations

import io
import os
from urllib.parse import parse_qs

import pyoxigraph as ox

from plankg.server.settings import DEFAULTS
from plankg.store import OxigraphStore, open_store

_store: list[OxigraphStore] = []
JSON_RESULTS = "application/sparql-results+json"


def open_bench_store(path: str | os.PathLike[str]) -> OxigraphStore:
    """The store at ``path`` opened as ``plankg serve`` opens it: copied into memory if it is
    small enough (``PLANKG_MEMORY_MAX_QUADS``, as for the server; 0 = read from disk)."""
    limit = int(os.environ.get("PLANKG_MEMORY_MAX_QUADS", DEFAULTS["MEMORY_MAX_QUADS"]))
    return open_store(path, memory_max_quads=limit)


def answer(query: str, accept: str, store: OxigraphStore | None = None) -> bytes:
    """``query`` run on ``store`` (by default ``$PLANKG_BENCH_STORE``) and serialised as
    ``accept``: all the work the ceilings do (``bench/bare_flask.py`` and the in-process floor
    of ``bench/bench_server.py`` do it too)."""
    if store is None:
        if not _store:
            _store.append(open_bench_store(os.environ["PLANKG_BENCH_STORE"]))
        store = _store[0]
    result = store.query(query)
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
