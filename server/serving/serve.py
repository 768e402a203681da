"""``plankg serve``: run the web server under gunicorn (or Flask's dev server with ``--dev``).

Production runs **gunicorn** with plankg's worker class (:mod:`plankg.server.serving.worker`: a thread per
connection, keep-alive, retirement of a worker whose query outlived its limit). Each worker
process creates its own app and query executor after the fork (``preload_app=False``), so no
store handle is shared across a fork. pyoxigraph releases the GIL while it evaluates, so
threads give real parallelism. With an update token the server is read-write and runs **one**
worker (one process may open the store for writing; the executor serialises writes).

Settings come from, in order: the command's options, ``PLANKG_<SETTING>`` environment
variables (e.g. ``PLANKG_MAX_BODY_BYTES``), the defaults in :mod:`plankg.server.settings`.
The update token is read from an environment variable only, never from the command line,
where any user could read it in ``ps``.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gunicorn.app.base import BaseApplication

from plankg.errors import PlanKGError
from plankg.server.engine import memory
from plankg.server.settings import DEFAULTS, SETTINGS

log = logging.getLogger("plankg.server")

ENV_PREFIX = "PLANKG_"
DEFAULT_TOKEN_ENV = "PLANKG_UPDATE_TOKEN"
MIN_TOKEN_LENGTH = 16
DEFAULT_THREADS = 16  # connections served at once per worker (a thread each)
WORKER_CLASS = "plankg.server.serving.worker.PlankgWorker"
WORKER_TIMEOUT_MARGIN_S = 30.0  # gunicorn kills a worker silent this much longer than a query may run
GRACEFUL_TIMEOUT_S = 30.0  # in-flight requests get this long to finish on SIGTERM
KEEPALIVE_S = 5
MAX_REQUEST_LINE_BYTES = 8190  # method, URL and version: gunicorn's largest bounded limit (its default is 4094)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True)
class Listen:
    """Where and how the server listens."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int | None = None  # None: one per CPU
    threads: int = DEFAULT_THREADS
    dev: bool = False


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The server settings given as ``PLANKG_<NAME>`` environment variables, typed like their defaults."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for s in SETTINGS:
        raw = environ.get(ENV_PREFIX + s.name)
        if raw is None or s.name == "UPDATE_TOKEN":  # the token comes from --update-token-env
            continue
        found[s.name] = _typed(s.name, raw, s.default)
    return found


def update_token(env_name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The update token from the environment variable ``env_name`` (None: read-only)."""
    environ = os.environ if environ is None else environ
    token = environ.get(env_name) or None
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise PlanKGError(f"the update token in ${env_name} is shorter than {MIN_TOKEN_LENGTH} characters; "
                          "use a random one, e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`")
    return token


def check_public_url(public_url: str | None, info: Mapping[str, Any]) -> None:
    """Refuse to serve, at ``public_url``, a store whose metadata points at another site (its
    download and endpoint URLs are written at build time, :mod:`plankg.config`)."""
    built_for = (info.get("metadata") or {}).get("public_url")
    if public_url is None:
        if built_for:
            log.info("the store's metadata points at %s (built with that public URL)", built_for)
        return
    if built_for != public_url:
        raise PlanKGError(f"the store was built for the public URL {built_for or 'derived from its base'!s}, "
                          f"not {public_url}: its dumps' and endpoint's URLs would be wrong; rebuild it "
                          f"with `plankg build --public-url {public_url}`")


def published_info(settings) -> Mapping[str, Any]:
    """What the build being served recorded (:func:`plankg.store.store_info`); if nothing has
    been published at the settings' location yet, the bundled plans are built there first."""
    from plankg.store import NothingPublished, store_info

    if settings.store_url is None and not settings.store.exists():
        print(f"no store at {settings.store}: building the bundled plans first", file=sys.stderr)
        build_elsewhere(settings)
    elif settings.store_url is not None:
        try:
            return store_info(settings.location)
        except NothingPublished:
            print(f"nothing published at {settings.store_url}: building the bundled plans there first", file=sys.stderr)
            build_elsewhere(settings)
    return store_info(settings.location)


def build_elsewhere(settings) -> None:
    """``plankg build`` in a process of its own. Opening a store starts the engine's background
    threads, and a gunicorn worker forked from a process that has them inherits the engine's
    state without the threads: such a worker can crash when it exits (SIGSEGV seen)."""
    url = ["--public-url", settings.public_url] * bool(settings.public_url)
    url += ["--store-url", settings.store_url] * bool(settings.store_url)
    done = subprocess.run([sys.executable, "-m", "plankg.cli", "build", "--store", str(settings.store),
                           "--base", settings.base, *url], stdout=sys.stderr)
    if done.returncode:
        raise SystemExit(done.returncode)  # the build has said why


def run(config: dict[str, Any], listen: Listen) -> None:
    """Serve ``create_app(config)`` until interrupted (SIGTERM/SIGINT: graceful shutdown)."""
    _configure_logging()
    read_write = bool(config.get("UPDATE_TOKEN"))
    workers = listen.workers or os.cpu_count() or 1
    if read_write and workers != 1:
        log.warning("updates are enabled: running 1 worker (the store has a single writer), not %d", workers)
        workers = 1
    check_listen(listen.host, listen.port)
    config = {**config, "MEMORY_LIMIT_MIB": memory.limit_mib(config.get("MEMORY_LIMIT_MIB"), workers)}
    mode = "read-write (SPARQL Update and Graph Store writes need the bearer token)" if read_write else "read-only"
    shape = "Flask dev server, one process" if listen.dev else f"{workers} worker(s) x {listen.threads} thread(s)"
    log.info("plankg serving %s on http://%s:%d/sparql, %s, %s", config["STORE"], listen.host, listen.port, mode, shape)
    if not listen.dev:
        log.info("each worker may use %d MiB of memory (MEMORY_LIMIT_MIB) and run %s expensive queries at once "
                 "(MAX_EXPENSIVE_QUERIES)", config["MEMORY_LIMIT_MIB"], config.get("MAX_EXPENSIVE_QUERIES", DEFAULTS["MAX_EXPENSIVE_QUERIES"]) or "any")
    if listen.dev:
        from plankg.server import create_app

        create_app(config).run(host=listen.host, port=listen.port, threaded=True, use_reloader=False)
        return
    timeout_s = float(config.get("QUERY_TIMEOUT_S", 30.0))
    options = {
        "bind": f"{_bracketed(listen.host)}:{listen.port}",
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "threads": listen.threads,
        "preload_app": False,
        "timeout": int(timeout_s + WORKER_TIMEOUT_MARGIN_S),
        "graceful_timeout": int(max(GRACEFUL_TIMEOUT_S, timeout_s)),
        "keepalive": KEEPALIVE_S,
        "limit_request_line": MAX_REQUEST_LINE_BYTES,  # longer URLs get 414 (send long queries with POST)
        "accesslog": None,  # plankg.access logs each request once its body has been sent
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "plankg",
        "control_socket_disable": True,  # one fixed path in $HOME that concurrent servers would share
        "worker_exit": _close_executor,
    }
    from plankg.server.serving import peers, worker

    worker.PEERS = peers.shared(workers)  # before the first fork: every worker shares it
    _GunicornApp(config, options).run()


def check_listen(host: str, port: int) -> None:
    """PlanKGError (exit 2) at once if ``host:port`` cannot be listened on: in use, not an
    address of this machine, or a privileged port. gunicorn would retry five times, a second
    apart, and exit 1, which plankg's exit codes reserve for a graph that violates the shapes.
    (Port 0 lets the system choose.)"""
    if port == 0:
        return
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            probe.bind(address)
    except OSError as e:
        raise PlanKGError(f"cannot listen on {_bracketed(host)}:{port}: {e.strerror or e}") from None


def _configure_logging() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=LOG_FORMAT)
    # Facts no format of ours or gunicorn's shows; not collecting them saves time on each line
    # (the logging HOWTO, "Optimization"): there is one access-log line per request.
    logging.logThreads = False
    logging.logMultiprocessing = False


def _close_executor(server, worker) -> None:  # gunicorn hook: (arbiter, worker)
    """Close the worker's query executor when gunicorn stops the worker."""
    app = getattr(worker, "wsgi", None)
    runtime = getattr(app, "extensions", {}).get("plankg") if app is not None else None
    if runtime is not None:
        runtime.close()


def _typed(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise PlanKGError(f"${ENV_PREFIX}{name}={raw!r}: expected a {type(default).__name__}") from None
    if isinstance(default, tuple):
        return tuple(raw.split())
    return raw


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class _GunicornApp(BaseApplication):
    """A gunicorn application whose workers each build the Flask app after the fork."""

    def __init__(self, config: dict[str, Any], options: dict[str, Any]):
        self.config = config
        self.options = options
        super().__init__()  # calls load_config()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from plankg.server import create_app

        return create_app(self.config)
