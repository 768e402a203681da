"""The ceiling of the stack: a bare Flask route that runs the query in-process and returns it.

No protocol checks, no content negotiation, no time limit, no logging: what Flask behind
gunicorn (with plankg's worker class) costs by itself. ``bench_server.py --ceiling`` serves it
next to plankg and Oxigraph server:

    PLANKG_BENCH_STORE=DIR gunicorn -k plankg.server.worker.PlankgWorker bench.bare_flask:app
"""

from __future__ import annotations

import io
import os

import pyoxigraph as ox
from flask import Flask, Response, request

app = Flask(__name__)
_store: list[ox.Store] = []


def store() -> ox.Store:
    if not _store:
        _store.append(ox.Store.read_only(os.path.realpath(os.environ["PLANKG_BENCH_STORE"])))
    return _store[0]


@app.get("/sparql")
def sparql() -> Response:
    accept = request.headers.get("Accept", "application/sparql-results+json")
    result = store().query(request.args["query"], use_default_graph_as_union=True)
    out = io.BytesIO()
    if isinstance(result, ox.QueryTriples):
        ox.serialize(result, out, ox.RdfFormat.from_media_type(accept))
    else:
        result.serialize(out, ox.QueryResultsFormat.from_media_type(accept))
    return Response(out.getvalue(), content_type=accept)
