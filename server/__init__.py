"""The plankg web server: SPARQL 1.1 Protocol endpoint, linked-data pages and the UI.

``create_app(config)`` is the only way to make the app (tests pass a mapping; ``plankg serve``
passes its options). Blueprints: :mod:`plankg.server.sparql.protocol` (/sparql, service description),
:mod:`plankg.server.sparql.update` (SPARQL Update and Graph Store Protocol, only with a token), :mod:`plankg.server.ld.views`
(/id/…, /doc/…, /ontology), :mod:`plankg.server.ui.views` (home, query page, search). Errors become responses in
one place, :mod:`.errors`. Shared resources live on ``app.extensions["plankg"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from plankg.server.engine.runtime import Runtime
from plankg.server.settings import DEFAULTS
from plankg.server.urlquery import Request


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.request_class = Request  # URL parameters decoded at C speed, see urlquery
    app.config.from_mapping(DEFAULTS)
    if config:
        unknown = set(config) - set(DEFAULTS) - {"TESTING", "SERVER_NAME"}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = max(app.config["MAX_BODY_BYTES"], app.config["MAX_UPLOAD_BYTES"])
    app.extensions["plankg"] = Runtime(app.config)

    from plankg.server import caching, errors, http

    from plankg.server.ld import views as ld

    from plankg.server.sparql import protocol as sparql, update

    from plankg.server.ui import views as ui

    errors.init_app(app)
    caching.init_app(app, app.extensions["plankg"].build_name)  # inside http's middleware: CORS, log
    http.init_app(app)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(update.bp)
    app.register_blueprint(ld.bp)
    app.register_blueprint(ui.bp)
    return app
