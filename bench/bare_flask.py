"""The ceiling of the stack: a bare Flask route that runs the query in-process and returns it.

No protocol checks, no content negotiation, no time limit, no logging: what Flask behind
gunicorn (with plankg's worker class) costs by itself. ``bench_server.py --ceiling`` serves it
next to plankg and Oxigraph server:

    PLANKG_BENCH_STORE=DIR gunicorn -k plankg.server.serving.worker.PlankgWorker bench.bare_flask:app
"""

from __future__ import annotations

from flask import Flask, Response, request

from bench.bare_wsgi import JSON_RESULTS, answer

app = Flask(__name__)


@app.get("/sparql")
def sparql() -> Response:
    accept = request.headers.get("Accept", JSON_RESULTS)
    return Response(answer(request.args["query"], accept), content_type=accept)
