"""How :class:`plankg.store.remote.RemoteStore` reaches a SPARQL server: its settings, the kind of
server it is, and one pooled HTTP client per process.

Settings (credentials only from the environment or a file, never from the command line; no URL
may carry ``user:password@``):

============================  ===================================================================
``PLANKG_STORE_URL``          the query endpoint (``plankg … --store-url``)
``PLANKG_STORE_UPDATE_URL``   the SPARQL Update endpoint (default: by the server's kind, below)
``PLANKG_STORE_GSP_URL``      the Graph Store Protocol endpoint (default: by kind); ``none``: load
                              graphs with SPARQL Update ``INSERT DATA`` instead
``PLANKG_STORE_USER``         user for the update and graph-store endpoints
``PLANKG_STORE_PASSWORD``     its password; or ``PLANKG_STORE_PASSWORD_FILE``, a file holding it
``PLANKG_STORE_AUTH``         ``basic`` or ``digest`` (default: ``digest`` for Virtuoso, else ``basic``)
``PLANKG_STORE_KIND``         ``oxigraph``, ``virtuoso`` or ``generic``; default: read from the
                              query endpoint's ``Server`` header
``PLANKG_STORE_TIMEOUT_S``    limit of one HTTP exchange that has no deadline of its own (a build's
                              upload, a CLI query); default 300
``PLANKG_STORE_STACK_MIB``    stack of the server's threads that parse a request (MiB), which the
                              nesting bounds scale to (:mod:`plankg.sparql.limits`); default 8
                              (Oxigraph server's, measured: ``{`` ×4000 or ``STR(`` ×1000 end it)
============================  ===================================================================

Endpoints by kind, relative to the query URL's root: Oxigraph server ``/query``, ``/update``,
``/store``; Virtuoso ``/sparql``, ``/sparql-auth``, ``/sparql-graph-crud-auth``; a generic server
the query URL for updates and no graph store. The HTTP client is httpx: pooled keep-alive
connections (one client per process and settings, made again after a fork), a timeout on every
exchange, and retries of connection failures only on reads (GET, and queries, which change
nothing); an update or upload is never sent twice.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from plankg.errors import StoreError
from plankg.store.graphstore import StoreTimeout

ENV_URL = "PLANKG_STORE_URL"
KINDS = ("oxigraph", "virtuoso", "generic")
DEFAULT_TIMEOUT_S = 300.0
DEFAULT_STACK_MIB = 8
CONNECT_TIMEOUT_S = 5.0
READ_RETRIES = 2  # a query or GET whose connection failed is sent again this often
RETRY_PAUSE_S = 0.2
POOL = httpx.Limits(max_connections=64, max_keepalive_connections=16, keepalive_expiry=30.0)
logging.getLogger("httpx").setLevel(logging.WARNING)  # not a log line per exchange (plankg logs its own)
_PATHS = {  # kind -> (query, update, graph store) paths under the server's root
    "oxigraph": ("/query", "/update", "/store"),
    "virtuoso": ("/sparql", "/sparql-auth", "/sparql-graph-crud-auth"),
}


@dataclass(frozen=True)
class RemoteSettings:
    """Where a remote store is and how to talk to it (see the module text)."""

    query_url: str
    update_url: str
    gsp_url: str | None
    kind: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    auth: str = "basic"
    timeout_s: float = DEFAULT_TIMEOUT_S
    stack_bytes: int = DEFAULT_STACK_MIB << 20

    def describe(self) -> str:
        """For logs and messages: the query URL and the kind; never the credentials."""
        return f"{self.kind} server at {self.query_url}"

    def credentials(self) -> httpx.Auth | None:
        if not self.user:
            return None
        if self.auth == "digest":
            return httpx.DigestAuth(self.user, self.password or "")
        return httpx.BasicAuth(self.user, self.password or "")


def settings_from_env(url: str, env: os._Environ[str] | dict[str, str] | None = None) -> RemoteSettings:
    """The settings for the query endpoint ``url``, the rest from the environment; StoreError if
    one is invalid. The kind is asked of the server when not set (one GET)."""
    env = os.environ if env is None else env
    query_url = check_url(url, "store URL")
    kind = (env.get("PLANKG_STORE_KIND") or "").strip().lower() or detect_kind(query_url)
    if kind not in KINDS:
        raise StoreError(f"PLANKG_STORE_KIND={kind!r}: expected one of {', '.join(KINDS)}")
    root = _root(query_url)
    paths = _PATHS.get(kind)
    update_url = env.get("PLANKG_STORE_UPDATE_URL") or (root + paths[1] if paths else query_url)
    gsp = env.get("PLANKG_STORE_GSP_URL") or (root + paths[2] if paths else "none")
    auth = (env.get("PLANKG_STORE_AUTH") or ("digest" if kind == "virtuoso" else "basic")).lower()
    if auth not in ("basic", "digest"):
        raise StoreError(f"PLANKG_STORE_AUTH={auth!r}: expected basic or digest")
    timeout = env.get("PLANKG_STORE_TIMEOUT_S") or DEFAULT_TIMEOUT_S
    try:
        timeout_s = float(timeout)
    except ValueError:
        raise StoreError(f"PLANKG_STORE_TIMEOUT_S={timeout!r}: expected a number of seconds") from None
    stack = env.get("PLANKG_STORE_STACK_MIB") or DEFAULT_STACK_MIB
    try:
        stack_mib = int(stack)
    except ValueError:
        raise StoreError(f"PLANKG_STORE_STACK_MIB={stack!r}: expected a whole number of MiB") from None
    return RemoteSettings(
        query_url=query_url, update_url=check_url(update_url, "PLANKG_STORE_UPDATE_URL"),
        gsp_url=None if gsp.lower() == "none" else check_url(gsp, "PLANKG_STORE_GSP_URL"), kind=kind,
        user=env.get("PLANKG_STORE_USER") or None, password=_password(env), auth=auth, timeout_s=timeout_s,
        stack_bytes=max(1, stack_mib) << 20)


def check_url(url: str, what: str) -> str:
    """An absolute http(s) URL without credentials in it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"{what} {url!r}: expected an absolute http(s) URL of a SPARQL endpoint")
    if parts.username or parts.password:
        raise StoreError(f"{what}: give credentials in PLANKG_STORE_USER and PLANKG_STORE_PASSWORD(_FILE), "
                         "not in the URL")
    return url


def detect_kind(query_url: str) -> str:
    """``oxigraph``, ``virtuoso`` or ``generic``, by the ``Server`` header of the query endpoint."""
    try:
        response = client().get(query_url, headers={"Accept": "text/turtle, */*;q=0.1"}, timeout=CONNECT_TIMEOUT_S * 2)
    except httpx.HTTPError as e:
        raise StoreError(f"the SPARQL server at {query_url} does not answer: {describe_error(e)}") from None
    server = response.headers.get("server", "").lower()
    return next((k for k in _PATHS if k in server), "generic")


def _password(env) -> str | None:
    if env.get("PLANKG_STORE_PASSWORD"):
        return env["PLANKG_STORE_PASSWORD"]
    path = env.get("PLANKG_STORE_PASSWORD_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise StoreError(f"PLANKG_STORE_PASSWORD_FILE: cannot read {path}: {e.strerror}") from None


def _root(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_clients: dict[int, httpx.Client] = {}
_clients_lock = threading.Lock()


def client() -> httpx.Client:
    """This process's pooled client (a forked worker makes its own)."""
    pid = os.getpid()
    with _clients_lock:
        c = _clients.get(pid)
        if c is None:
            _clients.clear()  # the parent's, inherited by a fork: not ours to use
            c = _clients[pid] = httpx.Client(limits=POOL, timeout=DEFAULT_TIMEOUT_S, follow_redirects=False,
                                             transport=httpx.HTTPTransport(limits=POOL, retries=0))
        return c


@atexit.register
def _close_clients() -> None:
    """Close the pooled connections at exit (the sockets would otherwise be left to the collector)."""
    with _clients_lock:
        for c in _clients.values():
            c.close()
        _clients.clear()


def timeout_for(seconds: float) -> httpx.Timeout:
    """A timeout for one exchange: at most ``seconds`` per read, write and pool wait."""
    seconds = max(0.05, seconds)
    return httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT_S, seconds))


def send(request: httpx.Request, *, idempotent: bool, seconds: float, stream: bool = False,
         auth: httpx.Auth | None = None) -> httpx.Response:
    """Send ``request`` within ``seconds``; retry a failed connection if ``idempotent``.
    StoreError if the server cannot be reached; a response with any status otherwise."""
    deadline = time.monotonic() + seconds
    attempts = 1 + (READ_RETRIES if idempotent else 0)
    for attempt in range(attempts):
        request.extensions["timeout"] = timeout_for(deadline - time.monotonic()).as_dict()
        try:
            return client().send(request, stream=stream, auth=auth)
        except httpx.TimeoutException as e:
            if isinstance(e, httpx.ConnectTimeout) and attempt + 1 < attempts:
                continue
            raise StoreTimeout(f"the SPARQL server at {request.url.copy_with(query=None)} did not answer within "
                               f"{seconds:g} s ({type(e).__name__})") from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as e:
            # a pooled keep-alive connection the server had closed (RemoteProtocolError) or reset
            # (ReadError, WriteError: ECONNRESET), or no connection at all (ConnectError)
            if attempt + 1 == attempts or time.monotonic() + RETRY_PAUSE_S >= deadline:
                raise StoreError(f"the SPARQL server at {request.url.copy_with(query=None)} "
                                 f"cannot be reached: {describe_error(e)}") from None
            time.sleep(RETRY_PAUSE_S)
    raise AssertionError("unreachable")


def describe_error(e: httpx.HTTPError) -> str:
    return str(e) or type(e).__name__
