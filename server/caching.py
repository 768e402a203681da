"""HTTP caching tied to the published build: validators, 304s and a small result cache.

A read-only server's answers change only when a new build is published, so every ``GET`` or
``HEAD`` answer of the app (SPARQL results, linked-data pages, the UI) gets

* ``ETag: W/"<build>-<digest>"``: the build's name and a digest of what the answer depends on
  (method, scheme, host and path, query string, ``Accept``, ``Accept-Language``, ``Cookie``; the
  URL because relative IRIs in a query resolve against the endpoint's);
* ``Last-Modified``: the time the build was published (from its name);
* ``Cache-Control: public, max-age=CACHE_MAX_AGE_S``, so browsers and proxies may reuse it.

A request whose ``If-None-Match`` names that ETag, or whose ``If-Modified-Since`` is not before
the build time, is answered ``304 Not Modified`` without running anything. Answers of at most
``RESULT_CACHE_ITEM_BYTES`` are also kept in a per-process cache of ``RESULT_CACHE_MIB`` (least
recently used first out) and replayed with their headers as computed (``X-Plankg-Query-Ms``
included) plus ``X-Plankg-Cache: hit``; a new build empties it.

Answers that carry their own validator (static files, dumps), errors and redirects are left as
they are, and so is ``/healthz``. A server that takes updates (``UPDATE_TOKEN``) has no build to
tie answers to and caches nothing. This middleware sits inside :mod:`plankg.server.http`'s, so
cached answers still get the CORS, security and ``X-Plankg-Build`` headers and an access-log
line; the build it ties an answer to is the one that middleware named for the request
(``environ[BUILD]``), so the ETag and ``X-Plankg-Build`` always agree.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

from plankg.errors import PlanKGError
from plankg.server.http import BUILD, NEGOTIATED

CACHE_HEADER = "X-Plankg-Cache"
KEY_HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_COOKIE")  # what an answer may vary by
UNCACHED_PATHS = ("/healthz", "/static/", "/dumps/")
_BUILD_TIME = "%Y%m%dT%H%M%S%fZ"  # build names start with their time (plankg.store.publishing)

Entry = tuple[str, list[tuple[str, str]], bytes, bool]  # status, headers, body, negotiated


class ResultCache:
    """At most ``max_bytes`` of answers of at most ``item_bytes`` each, for one build at a time."""

    def __init__(self, max_bytes: int, item_bytes: int):
        self.max_bytes, self.item_bytes = max_bytes, item_bytes
        self._build: str | None = None
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, build: str, key: str) -> Entry | None:
        with self._lock:
            if build != self._build:
                return None
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, build: str, key: str, entry: Entry) -> None:
        if len(entry[2]) > self.item_bytes or self.max_bytes <= 0:
            return
        with self._lock:
            if build != self._build:  # a new build: what was kept describes the old one
                self._build, self._entries, self._size = build, OrderedDict(), 0
            if key in self._entries:
                return
            self._entries[key] = entry
            self._size += len(entry[2])
            while self._size > self.max_bytes:
                _, old = self._entries.popitem(last=False)
                self._size -= len(old[2])


class Caching:
    """WSGI middleware: validators, 304s and the result cache (see the module text).
    ``current_build()`` names the published build, or None when answers must not be cached."""

    def __init__(self, wsgi_app, current_build, max_age_s: int, cache: ResultCache):
        self.wsgi_app, self.current_build = wsgi_app, current_build
        self.cache_control = f"public, max-age={int(max_age_s)}"
        self.cache = cache

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or environ.get("PATH_INFO", "").startswith(UNCACHED_PATHS):
            return self.wsgi_app(environ, start_response)
        if BUILD in environ:  # named once for the request by plankg.server.http's middleware
            build = environ[BUILD]
        else:
            try:
                build = self.current_build()
            except PlanKGError:  # no store: the app says so
                build = None
        if build is None:
            return self.wsgi_app(environ, start_response)
        key = _key(environ)
        etag = f'W/"{build}-{key[:20]}"'
        modified, last_modified = _build_time(build)
        validators = [("ETag", etag), ("Cache-Control", self.cache_control)]
        if last_modified is not None:
            validators.append(("Last-Modified", last_modified))
        if _not_modified(environ, etag, modified):
            start_response("304 Not Modified", validators)
            return []
        cached = self.cache.get(build, key) if environ["REQUEST_METHOD"] == "GET" else None
        if cached is not None:
            status, headers, body, negotiated = cached
            if negotiated:
                environ[NEGOTIATED] = True  # Vary: Accept, as when the view ran
            start_response(status, [*headers, (CACHE_HEADER, "hit")])
            return [body]
        return self._run(environ, start_response, build, key, validators)

    def _run(self, environ, start_response, build: str, key: str, validators: list[tuple[str, str]]):
        seen: dict[str, object] = {}

        def start(status, headers, exc_info=None):
            own = any(name.lower() in ("etag", "last-modified") for name, _ in headers)
            if status.startswith("200") and not own:
                headers = [(n, v) for n, v in headers if n.lower() != "cache-control"] + validators
                seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, start)
        if environ["REQUEST_METHOD"] != "GET":
            return body
        return _Recorder(body, lambda data: "status" in seen and self.cache.put(
            build, key, (seen["status"], seen["headers"], data, bool(environ.get(NEGOTIATED)))), self.cache.item_bytes)


class _Recorder:
    """Holds back a response body until it is known to be small (then hands it to ``keep``
    before sending it, so the next request finds it kept) or not (then streams it on)."""

    def __init__(self, body: Iterable[bytes], keep, limit: int):
        self.body, self.keep, self.limit = body, keep, limit

    def __iter__(self) -> Iterator[bytes]:
        parts: list[bytes] = []
        size = 0
        chunks = iter(self.body)
        for chunk in chunks:
            parts.append(chunk)
            size += len(chunk)
            if size > self.limit:  # too large to keep: send what is held, then stream the rest
                yield from parts
                yield from chunks
                return
        data = b"".join(parts)
        self.keep(data)
        if data:
            yield data

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close is not None:
            close()


def init_app(app, current_build) -> None:
    """Wrap ``app``'s WSGI callable (before :func:`plankg.server.http.init_app` wraps it)."""
    config = app.config
    cache = ResultCache(int(config["RESULT_CACHE_MIB"]) << 20, int(config["RESULT_CACHE_ITEM_BYTES"]))
    app.wsgi_app = Caching(app.wsgi_app, current_build, int(config["CACHE_MAX_AGE_S"]), cache)


def _key(environ) -> str:
    parts = [environ["REQUEST_METHOD"], environ.get("wsgi.url_scheme", ""), environ.get("HTTP_HOST", ""),
             environ.get("SERVER_NAME", ""), environ.get("SERVER_PORT", ""), environ.get("SCRIPT_NAME", ""),
             environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")]
    parts += [environ.get(h, "") for h in KEY_HEADERS]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


@functools.lru_cache(maxsize=8)
def _build_time(build: str) -> tuple[datetime | None, str | None]:
    """When ``build`` was published, and that as an HTTP date (once per build: strptime is slow)."""
    try:
        when = datetime.strptime(build.split("-", 1)[0], _BUILD_TIME).replace(tzinfo=timezone.utc, microsecond=0)
    except ValueError:
        return None, None
    return when, format_datetime(when, usegmt=True)


def _not_modified(environ, etag: str, modified: datetime | None) -> bool:
    """RFC 9110 §13.1: If-None-Match (weak comparison) wins over If-Modified-Since."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since is None or modified is None:
        return False
    try:
        return parsedate_to_datetime(since) >= modified
    except (TypeError, ValueError):
        return False

