"""Content negotiation for the SPARQL endpoint, the Graph Store and the service description.

One table of representations per result kind, in the server's order of preference. The
choice follows RFC 9110 through Werkzeug's parsed ``Accept`` (q-values, ``q=0`` exclusions,
``*/*`` and ``type/*``, the more specific range wins), like Oxigraph server:

* a ``format`` request parameter (a short name such as ``json`` or ``ttl``, or a media
  type) wins over ``Accept``, so that a browser link can pick a format;
* no ``Accept`` header → the first offer (SPARQL JSON results, Turtle);
* nothing acceptable → 406 naming what is supported.

Media-type parameters in ``Accept`` (``;charset=utf-8``) are ignored: every text format is
served as UTF-8. A few aliases sent by real clients are accepted (``application/json`` for
SPARQL JSON results, ``application/xml`` / ``text/xml`` for SPARQL XML results,
``text/plain`` for N-Triples …); the response always carries the canonical media type.
Negotiated responses get ``Vary: Accept`` (:func:`plankg.server.http.mark_negotiated`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import request
from pyoxigraph import QueryResultsFormat, RdfFormat
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from plankg.server.errors import HTTPProblem
from plankg.server.http import mark_negotiated

SELECT, ASK, CONSTRUCT, DESCRIBE = "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"
SERVICE_DESCRIPTION = "service-description"
DATASET = "dataset"  # the Graph Store without ?graph: formats that keep graph names
GRAPH_KIND = "graph"  # one graph of the Graph Store
FORMAT_PARAM = "format"
FORM = "application/x-www-form-urlencoded"

JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
NQUADS = "application/n-quads"
TRIG = "application/trig"
HTML = "text/html"
ACCEPT_CACHE_SIZE = 256  # distinct (kind, Accept header) choices remembered


@dataclass(frozen=True)
class Representation:
    """A media type we serve, its short ``format=`` names and the pyoxigraph format."""

    media_type: str
    names: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The Content-Type header: text formats say their charset, as Oxigraph does."""
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type

    @property
    def results_format(self) -> QueryResultsFormat:
        return QueryResultsFormat.from_media_type(self.media_type)

    @property
    def rdf_format(self) -> RdfFormat:
        return RdfFormat.from_media_type(self.media_type)


_RESULTS = (
    Representation(JSON_RESULTS, ("json", "srj"), ("application/json",)),
    Representation(XML_RESULTS, ("xml", "srx"), ("application/xml", "text/xml")),
    Representation(CSV, ("csv",)),
    Representation(TSV, ("tsv",)),
)
_TURTLE = Representation(TURTLE, ("ttl", "turtle"), ("application/x-turtle", "application/turtle"))
_NTRIPLES = Representation(NTRIPLES, ("nt", "ntriples", "n-triples"), ("text/plain",))
_JSONLD = Representation(JSONLD, ("jsonld", "json-ld", "json"))
_RDFXML = Representation(RDFXML, ("rdfxml", "rdf", "xml", "owl"))
_NQUADS = Representation(NQUADS, ("nq", "nquads", "n-quads"))
_TRIG = Representation(TRIG, ("trig",))
_GRAPH = (_TURTLE, _NTRIPLES, _JSONLD, _RDFXML, _NQUADS, _TRIG)

OFFERS: dict[str, tuple[Representation, ...]] = {
    SELECT: _RESULTS,
    ASK: _RESULTS,
    CONSTRUCT: _GRAPH,
    DESCRIBE: _GRAPH,
    SERVICE_DESCRIPTION: (_TURTLE, _RDFXML, _NTRIPLES, _JSONLD, Representation(HTML, ("html",))),
    DATASET: (_NQUADS, _TRIG),
    GRAPH_KIND: (_TURTLE, _NTRIPLES, _JSONLD, _RDFXML),
}
"""What each kind of response can be served as, most preferred first."""

_LABELS = {SELECT: "SELECT results", ASK: "ASK results", CONSTRUCT: "a CONSTRUCT graph", DESCRIBE: "a DESCRIBE graph",
           SERVICE_DESCRIPTION: "the service description", DATASET: "the dataset", GRAPH_KIND: "the graph"}

GRAPH_STORE = OFFERS[GRAPH_KIND]
"""Formats of one graph in the Graph Store (plus N-Quads and TriG for the whole dataset)."""


def negotiate(kind: str) -> Representation:
    """The representation to serve for ``kind`` (SELECT, ASK, CONSTRUCT, DESCRIBE …).

    Raises :class:`HTTPProblem` 406 when neither ``format`` nor ``Accept`` allows any offer.
    """
    offers = OFFERS[kind]
    mark_negotiated()
    args = request.args
    wanted = args[FORMAT_PARAM] if FORMAT_PARAM in args else None  # (get() raises and catches a KeyError)
    if wanted is None and request.method == "POST" and request.mimetype == FORM:
        wanted = request.form.get(FORMAT_PARAM)
    if wanted:
        chosen = _by_format_param(offers, wanted)
    else:
        chosen = _by_accept_header(kind, request.headers.get("Accept", ""))
    if chosen is None:
        raise not_acceptable(kind)
    return chosen


def not_acceptable(kind: str) -> HTTPProblem:
    """406 naming the media types (and ``format=`` names) this kind can be served as."""
    offers = OFFERS[kind]
    types = ", ".join(r.media_type for r in offers)
    names = ", ".join(r.names[0] for r in offers)
    return HTTPProblem(406, f"cannot serve {_LABELS[kind]} in any media type the request accepts; "
                            f"supported: {types} (or format={names})")


def representation_for(media_type: str, offers: tuple[Representation, ...]) -> Representation | None:
    """The offer whose media type or alias is ``media_type`` (parameters ignored)."""
    bare = media_type.split(";", 1)[0].strip().lower()
    for rep in offers:
        if bare == rep.media_type or bare in rep.aliases:
            return rep
    return None


def _by_format_param(offers: tuple[Representation, ...], wanted: str) -> Representation | None:
    if "/" in wanted:
        return representation_for(wanted, offers)
    name = wanted.strip().lower()
    return next((rep for rep in offers if name in rep.names), None)


@functools.lru_cache(maxsize=ACCEPT_CACHE_SIZE)
def _by_accept_header(kind: str, header: str) -> Representation | None:
    """The choice for an ``Accept`` header value (clients send the same few, so it is cached)."""
    accept = parse_accept_header(header, MIMEAccept)
    if not accept:
        return OFFERS[kind][0]
    return _by_accept(OFFERS[kind], _without_parameters(accept))


def _by_accept(offers: tuple[Representation, ...], accept: MIMEAccept) -> Representation | None:
    # Canonical types first, so that */* and type/* pick them; aliases after, for exact asks.
    candidates = [(rep.media_type, rep) for rep in offers] + [(a, rep) for rep in offers for a in rep.aliases]
    best = accept.best_match([mt for mt, _ in candidates])
    return next((rep for mt, rep in candidates if mt == best), None) if best else None


def _without_parameters(accept: MIMEAccept) -> MIMEAccept:
    """``Accept`` with media-type parameters dropped (``q`` is kept apart by Werkzeug)."""
    return MIMEAccept([(value.split(";", 1)[0].strip(), q) for value, q in accept])
