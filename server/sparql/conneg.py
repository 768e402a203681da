"""Content negotiation for the SPARQL endpoint, the Graph Store and the service description.

One tuple of representations per result kind, in the server's order of preference, taken
from the format table (:mod:`plankg.formats`: a new format is a row there). The
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

from flask import request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_options_header

from plankg import formats
from plankg.server.errors import HTTPProblem
from plankg.server.http import mark_negotiated

SELECT, ASK, CONSTRUCT, DESCRIBE = "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"
SERVICE_DESCRIPTION = "service-description"
DATASET = "dataset"  # the Graph Store without ?graph: formats that keep graph names
GRAPH_KIND = "graph"  # one graph of the Graph Store
FORMAT_PARAM = "format"
FORM = "application/x-www-form-urlencoded"

HTML = formats.HTML
ACCEPT_CACHE_SIZE = 256  # distinct (offers, Accept header) choices remembered

Representation = formats.Format
"""An offer: a row of :data:`plankg.formats.TABLE` (media type, aliases, ``format=`` names, pyoxigraph format)."""

_RESULTS = formats.carrying(formats.RESULTS)
_GRAPH = formats.carrying(formats.TRIPLES, formats.QUADS)
OFFERS: dict[str, tuple[Representation, ...]] = {
    SELECT: _RESULTS,
    ASK: _RESULTS,
    CONSTRUCT: _GRAPH,
    DESCRIBE: _GRAPH,
    SERVICE_DESCRIPTION: formats.service_formats(),
    DATASET: formats.carrying(formats.QUADS),
    GRAPH_KIND: formats.carrying(formats.TRIPLES),
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
        chosen = best_offer(offers, request.headers.get("Accept", ""))
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
def best_offer(offers: tuple[Representation, ...], header: str) -> Representation | None:
    """The offer an ``Accept`` header value prefers: the first offer without a header, None if none is acceptable.

    The one Accept matcher (the SPARQL endpoint, the Graph Store, the linked-data pages).
    Werkzeug's ``MIMEAccept.best_match`` decides; ties go to the earlier offer. Media-type
    parameters in the header are dropped first (Werkzeug would match them exactly; ``q`` it
    keeps apart). Canonical types are candidates before aliases, so that ``*/*`` and
    ``type/*`` pick them. Clients send the same few headers, so the choice is cached.
    """
    accept = parse_accept_header(header, MIMEAccept)
    if not accept:
        return offers[0]
    bare = MIMEAccept([(parse_options_header(value)[0], q) for value, q in accept])
    candidates = [(rep.media_type, rep) for rep in offers] + [(a, rep) for rep in offers for a in rep.aliases]
    best = bare.best_match([mt for mt, _ in candidates])
    return next((rep for mt, rep in candidates if mt == best), None) if best else None
