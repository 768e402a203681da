"""The plankg web server: SPARQL 1.1 Protocol endpoint, linked-data pages and the UI.

``create_app(config)`` is the only way to make the app (tests pass a mapping; ``plankg serve``
passes its options). Blueprints: :mod:`plankg.server.sparql.protocol` (/sparql, service description),
:mod:`plankg.server.sparql.update` (SPARQL Update and Graph Store Protocol, only with a token), :mod:`plankg.server.ld.views`
(/id/…, /doc/…, /ontology), :mod:`plankg.server.ui.views` (home, query page, search). Errors become responses in
one place, :mod:`.errors`. Shared resources live on ``app.extensions["plankg"]``, a
:class:`Runtime`; blueprints reach it with :func:`runtime`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app

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

    from plankg.server.ld import published, views as ld

    from plankg.server.sparql import protocol as sparql, update

    from plankg.server.ui import views as ui

    errors.init_app(app)
    caching.init_app(app, app.extensions["plankg"].build_name)  # inside http's middleware: CORS, log
    http.init_app(app, app.extensions["plankg"].build_name)  # X-Plankg-Build; caching's ETag reuses it
    app.register_blueprint(sparql.bp)
    app.register_blueprint(update.bp)
    app.register_blueprint(ld.bp)
    app.register_blueprint(published.bp)
    app.register_blueprint(ui.bp)
    return app


class Runtime:
    """The per-process resources of the app. The query executor holds the store and engine
    threads, so it is created lazily in the process that serves requests (after gunicorn forks
    its workers), never in the master. ``on_stuck`` is what to do when a job outlives its
    deadline (:mod:`plankg.server.engine.executor`): the gunicorn worker
    (:mod:`plankg.server.serving.worker`) sets it to retire the process; by default it is
    only logged. The worker also starts the memory bound (:func:`watch_memory`)."""

    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self._executor = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self.on_stuck: Callable[[str], Any] | None = None

    @property
    def read_write(self) -> bool:
        return bool(self.config.get("UPDATE_TOKEN"))

    def executor(self):
        """The query executor of this process (created on first use)."""
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                from plankg.server.engine.executor import QueryExecutor
                from plankg.sparql.limits import use_big_stacks

                use_big_stacks()  # engine threads (and the dev server's request threads) start after this
                self._executor = QueryExecutor(
                    self.location(),
                    timeout_s=float(self.config["QUERY_TIMEOUT_S"]),
                    read_write=self.read_write,
                    allowlist=tuple(self.config.get("FEDERATION_ALLOWLIST") or ()),
                    on_stuck=self._stuck,
                    memory_max_quads=int(self.config.get("MEMORY_MAX_QUADS") or 0),
                    max_expensive=int(self.config.get("MAX_EXPENSIVE_QUERIES") or 0),
                )
                self._pid = os.getpid()
            return self._executor

    def location(self):
        """Where the store is: the SPARQL server at ``STORE_URL`` (its builds' files in ``STORE``),
        else the directory ``STORE`` (:func:`plankg.store.open_location`)."""
        if self.config.get("STORE_URL"):
            from pathlib import Path

            from plankg.store import RemoteLocation

            return RemoteLocation(self.config["STORE_URL"], Path(self.config["STORE"]))
        return self.config["STORE"]

    def build_name(self) -> str | None:
        """The name of the published build answers come from; None for a store that takes
        updates (its answers change without a new build). StoreError if there is no store."""
        if self.read_write:
            return None
        return self.executor().build_id()

    def watch_memory(self, retire: Callable[[str, str], Any], workers: int = 1):
        """Bound this process's memory (:func:`plankg.server.engine.memory.watch`)."""
        from plankg.server.engine import memory

        return memory.watch(self.config.get("MEMORY_LIMIT_MIB"), workers, self._stop_all, retire)

    def _stop_all(self, error: BaseException) -> int:
        with self._lock:
            executor = self._executor if self._pid == os.getpid() else None
        return executor.stop_all(error) if executor is not None else 0

    def _stuck(self, what: str) -> None:
        if self.on_stuck is not None:
            self.on_stuck(what)
        else:
            from plankg.server.engine.executor import log_stuck

            log_stuck(what)

    def close(self) -> None:
        with self._lock:
            if self._executor is not None and self._pid == os.getpid():
                self._executor.close()
            self._executor = None


def runtime() -> Runtime:
    """This app's :class:`Runtime`."""
    return current_app.extensions["plankg"]
