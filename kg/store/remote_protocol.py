"""The SPARQL 1.1 Protocol exchanges of :mod:`plankg.store.remote` with a server: a query (its
result read as pyoxigraph objects, streamed), an update, and the server's errors as plankg's.

What a server says otherwise is read here: Virtuoso's ASK as a SELECT of ``__ASK_RETVAL``, its
blank nodes named ``nodeID://…`` and booleans as 1 and 0 in JSON results, a result it cut at its
row limit (``X-SPARQL-MaxRows``) or its time limit (``X-SQL-State``), its syntax errors in 500s;
Oxigraph's error columns, moved back past the BASE and PREFIX plankg put before the caller's text.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping

import httpx
from pyoxigraph import QueryResultsFormat, RdfFormat, Store, parse, parse_query_results

from plankg.errors import QueryError, StoreError
from plankg.iri import named_node
from plankg.store.graphstore import QueryResult, ResultTruncated, ServerFailed, StoreTimeout, remaining
from plankg.store.remote_http import RemoteSettings, describe_error, send

_RESULT_TYPES = {"application/sparql-results+json": QueryResultsFormat.JSON,
                 "application/sparql-results+xml": QueryResultsFormat.XML,
                 "text/tab-separated-values": QueryResultsFormat.TSV}
_ACCEPT_RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.5"
_ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.8, application/rdf+xml;q=0.5"  # Virtuoso would send a
# CONSTRUCT's triples as a SELECT's rows if results were acceptable


def run_query(settings: RemoteSettings, params: list[tuple[str, str]], shift: int = 0) -> QueryResult:
    """POST a query (form-encoded) and read its result as pyoxigraph objects: SELECT and ASK
    stream from the response; CONSTRUCT and DESCRIBE are read whole into memory. ``shift``: the
    characters put before the caller's text on its first line (an error's column is moved back)."""
    seconds = remaining(settings.timeout_s)
    if settings.kind == "virtuoso":
        params = [*params, ("timeout", str(max(1, int(seconds * 1000))))]  # milliseconds
    accept = _ACCEPT_GRAPH if _form_of(params) in ("CONSTRUCT", "DESCRIBE") else _ACCEPT_RESULTS
    request = httpx.Request("POST", settings.query_url, data=_form(params), headers={"Accept": accept})
    response = send(request, idempotent=True, seconds=seconds, stream=True)
    streaming = False
    try:
        if response.status_code >= 400:
            response.read()
            raise http_error(settings, response, "query", shift)
        _check_complete(settings, response)
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "application/sparql-results+json" and settings.kind == "virtuoso" and _is_ask(params):
            return _virtuoso_ask(response.read())
        if media in _RESULT_TYPES:
            rewrites = _VIRTUOSO_JSON if settings.kind == "virtuoso" and media.endswith("json") else ()
            result = parse_query_results(io.BufferedReader(_Body(response, rewrites)), _RESULT_TYPES[media])
            streaming = True  # the body is read as the rows are: _Body closes the response
            return result
        fmt = RdfFormat.from_media_type(media) or (RdfFormat.N_TRIPLES if media == "text/plain" else None)
        if fmt is None:
            raise QueryError(f"{settings.describe()} answered with {media or 'no content type'}, "
                             "which is neither SPARQL results nor RDF")
        graph = Store()
        graph.bulk_extend(parse(response.read(), fmt))
        return graph.query("CONSTRUCT WHERE { ?s ?p ?o }")
    except SyntaxError as e:
        raise StoreError(f"{settings.describe()} sent a result that cannot be read: {e}") from None
    except httpx.HTTPError as e:
        raise StoreError(f"{settings.describe()}: {describe_error(e)}") from None
    finally:
        if not streaming:
            response.close()


def _form_of(params: list[tuple[str, str]]) -> str:
    from plankg.sparql import query_form

    return (query_form(next(v for k, v in params if k == "query")) or "").upper()


def _is_ask(params: list[tuple[str, str]]) -> bool:
    return _form_of(params) == "ASK"


def _virtuoso_ask(body: bytes) -> QueryResult:
    """Virtuoso answers ASK in JSON as a one-row SELECT of ``__ASK_RETVAL`` (1 or 0)."""
    try:
        data = json.loads(body)
        rows = [] if "boolean" in data else data["results"]["bindings"]
        value = data["boolean"] if "boolean" in data else bool(rows) and rows[0]["__ASK_RETVAL"]["value"] in ("1", "true")
    except (ValueError, KeyError, IndexError, TypeError):
        raise StoreError(f"Virtuoso's answer to an ASK query cannot be read: {body[:200]!r}") from None
    return parse_query_results(json.dumps({"head": {}, "boolean": bool(value)}), QueryResultsFormat.JSON)


def post_update(settings: RemoteSettings, text: str, shift: int = 0) -> None:
    """Run a SPARQL update (never retried); QueryError if the server refuses it (``shift`` as
    in :func:`run_query`)."""
    request = httpx.Request("POST", settings.update_url, content=text.encode("utf-8"),
                            headers={"Content-Type": "application/sparql-update; charset=utf-8"})
    response = send(request, idempotent=False, seconds=remaining(settings.timeout_s), auth=settings.credentials())
    if response.status_code >= 400:
        raise http_error(settings, response, "update", shift)


def _check_complete(settings: RemoteSettings, response: httpx.Response) -> None:
    """Refuse a result the server says it cut (Virtuoso: ``X-SPARQL-MaxRows``; a partial
    "anytime" answer: ``X-SQL-State``)."""
    max_rows = response.headers.get("x-sparql-maxrows")
    if max_rows:
        response.close()
        raise ResultTruncated(f"{settings.describe()} returned only its maximum of {max_rows} rows (its result-set "
                              "limit, e.g. Virtuoso's ResultSetMaxRows): add LIMIT and OFFSET to read the result in parts")
    if response.headers.get("x-sql-state") or response.headers.get("x-sparql-anytime"):
        response.close()
        raise QueryError(f"{settings.describe()} stopped the query at its time limit and sent a partial result")


def http_error(settings: RemoteSettings, response: httpx.Response, what: str, shift: int = 0) -> Exception:
    body = response.text.strip().replace("\r", "")
    if shift:  # Oxigraph's "error at LINE:COLUMN", in the caller's text
        body = _POSITION.sub(lambda m: f"error at 1:{max(1, int(m[1]) - shift)}", body)
    brief = body[:400] + ("…" if len(body) > 400 else "")
    if response.status_code in (401, 403):
        return StoreError(f"{settings.describe()} refused the {what} ({response.status_code}): "
                          "check PLANKG_STORE_USER and the password")
    if response.status_code < 500 or _looks_like_syntax(brief):
        return QueryError(f"invalid SPARQL ({settings.kind} server, {response.status_code}): {brief}")
    if "SR171" in brief:  # Virtuoso's MaxQueryExecutionTime
        return StoreTimeout(f"{settings.describe()} stopped the {what} at its time limit: {brief}")
    return ServerFailed(f"{settings.describe()} failed the {what} ({response.status_code}): {brief}")


_POSITION = re.compile(r"error at 1:(\d+)")


def _looks_like_syntax(text: str) -> bool:
    """Virtuoso answers some syntax errors with a 500 that says SP030 (its class 37000 also holds
    its own internal errors, such as SQ156, which are no fault of the request)."""
    return "SP030" in text or "syntax error" in text.lower()


def prologue(base_iri: str | None, prefixes: Mapping[str, str] | None) -> str:
    """BASE and PREFIX declarations before the text (its own, later ones, win)."""
    parts = [f"BASE {named_node(base_iri)}"] if base_iri else []
    parts += [f"PREFIX {name}: <{iri}>" for name, iri in (prefixes or {}).items()]
    return " ".join(parts) + (" " if parts else "")


def _form(params: list[tuple[str, str]]) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    for name, value in params:
        form.setdefault(name, []).append(value)
    return form


_XSD_BOOLEAN = b'"datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": '
_VIRTUOSO_JSON = ((b'"type": "bnode", "value": "nodeID://', b'"type": "bnode", "value": "'),
                  (_XSD_BOOLEAN + b'"1"', _XSD_BOOLEAN + b'"true"'), (_XSD_BOOLEAN + b'"0"', _XSD_BOOLEAN + b'"false"'))
"""What Virtuoso's JSON results say otherwise: blank nodes named ``nodeID://b10000`` (no blank
node label), and booleans as 1 and 0 (in their datatype, but not what the other servers write)."""


class _Body(io.RawIOBase):
    """A streamed response body as the binary file pyoxigraph's result parser reads, with each of
    ``rewrites`` (old, new) replaced throughout; closes the response at its end (or when dropped)."""

    def __init__(self, response: httpx.Response, rewrites: tuple[tuple[bytes, bytes], ...] = ()):
        self._response = response
        chunks = response.iter_raw(64 * 1024) if not response.headers.get("content-encoding") \
            else response.iter_bytes(64 * 1024)
        for old, new in rewrites:
            chunks = _rewritten(chunks, old, new)
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                self._response.close()
                return 0
            except httpx.HTTPError as e:
                self._response.close()
                raise OSError(f"the SPARQL server's answer broke off: {describe_error(e)}") from None
        n = min(len(buffer), len(self._pending))
        buffer[:n], self._pending = self._pending[:n], self._pending[n:]
        return n

    def close(self) -> None:
        self._response.close()
        super().close()


def _rewritten(chunks, old: bytes, new: bytes):
    """``chunks`` with ``old`` replaced by ``new``, also where it spans two chunks."""
    carry = b""
    keep = len(old) - 1
    for chunk in chunks:
        data = (carry + chunk).replace(old, new)
        carry = data[len(data) - keep:] if len(data) > keep else data
        if len(data) > keep:
            yield data[:len(data) - keep]
    if carry:
        yield carry.replace(old, new)
