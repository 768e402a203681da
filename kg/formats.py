"""The formats plankg reads and writes: one table, one row per format.

Everything that lists formats derives its list from :data:`TABLE`: the CLI (``query
--format`` and ``export --format``, :mod:`plankg.output`), content negotiation on the SPARQL
endpoint, the Graph Store and the service description (:mod:`plankg.server.sparql.conneg`),
the linked-data page extensions (:mod:`plankg.server.ld.views`), the download links of the
query page (:mod:`plankg.server.ui.views`), the service description's ``sd:resultFormat``
(:mod:`plankg.server.sparql.service`) and the VoID ``void:feature`` (:mod:`plankg.build.meta`).
A new format is a new row.

A row says what it can carry (:data:`RESULTS` of SELECT/ASK, :data:`TRIPLES`, :data:`QUADS`,
:data:`PLAN_DOCUMENT` for a document of one plan that is not RDF, or nothing for the HTML pages)
and where it is offered. Only the first three are negotiated (:func:`carrying`): a plan document
is an export (``plankg export``, a download link on a plan's page), never a query result. Where the order of a list is seen
(the first offer is the default for ``*/*``, ties go to the earlier offer, help texts and link
lists show it), the row gives its position in that list; the rows' own order is the order of
the endpoint's offers for SELECT/ASK and CONSTRUCT/DESCRIBE results and of the Graph Store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from pyoxigraph import QueryResultsFormat, RdfFormat

RESULTS: Final = "results"  # SELECT/ASK results
TRIPLES: Final = "triples"  # a graph
QUADS: Final = "quads"  # a dataset (also a graph: its triples in the default graph)
PLAN_DOCUMENT: Final = "plan document"  # one annual plan in a format of its own, not RDF (StratML)
W3C_FORMATS: Final = "http://www.w3.org/ns/formats/"
CLI_TABLE: Final = "table"  # plankg query's plain-text table: for people, no media type, not a row

JSON_RESULTS: Final = "application/sparql-results+json"
XML_RESULTS: Final = "application/sparql-results+xml"
CSV: Final = "text/csv"
TSV: Final = "text/tab-separated-values"
TURTLE: Final = "text/turtle"
NTRIPLES: Final = "application/n-triples"
JSONLD: Final = "application/ld+json"
RDFXML: Final = "application/rdf+xml"
NQUADS: Final = "application/n-quads"
TRIG: Final = "application/trig"
HTML: Final = "text/html"
XML: Final = "application/xml"


@dataclass(frozen=True)
class Format:
    """One format: its media type, the names that pick it, and where it is offered."""

    title: str
    """What people call it (download links, the linked-data pages' alternates)."""
    media_type: str
    """The canonical media type: the Content-Type served (text types add ``charset=utf-8``)."""
    names: tuple[str, ...]
    """``format=`` names on the endpoint; the first is the one links use."""
    carries: str | None
    """:data:`RESULTS`, :data:`TRIPLES`, :data:`QUADS`, :data:`PLAN_DOCUMENT`, or None (an HTML page)."""
    pyoxigraph: QueryResultsFormat | RdfFormat | None
    aliases: tuple[str, ...] = ()
    """Other media types accepted for it (``Accept``, ``format=``, uploads)."""
    page_aliases: tuple[str, ...] | None = None
    """Other media types the linked-data pages accept for it (None: :attr:`aliases`)."""
    w3c: str | None = None
    """Its name under http://www.w3.org/ns/formats/ (service description, VoID)."""
    extension: str | None = None
    """Its extension on the linked-data pages (``/doc/<path>.<ext>``)."""
    page: int | None = None
    """Position among the linked-data page formats (None: not offered there)."""
    service: int | None = None
    """Position among the service description's representations (None: not offered)."""
    download: int | None = None
    """Position among the query page's download links of its kind (None: no link)."""
    cli: str | None = None
    """Its name in ``plankg query --format`` (None: not offered)."""
    cli_order: int = 0
    """Position among the CLI's graph formats (results keep the table order)."""
    export: str | None = None
    """Its name in ``plankg export --format`` (None: not offered)."""
    export_order: int = 0

    @property
    def content_type(self) -> str:
        """The Content-Type header: text formats say their charset, as Oxigraph does."""
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type

    @property
    def results_format(self) -> QueryResultsFormat:
        assert isinstance(self.pyoxigraph, QueryResultsFormat), self
        return self.pyoxigraph

    @property
    def rdf_format(self) -> RdfFormat:
        assert isinstance(self.pyoxigraph, RdfFormat), self
        return self.pyoxigraph


TABLE: tuple[Format, ...] = (
    Format("JSON", JSON_RESULTS, ("json", "srj"), RESULTS, QueryResultsFormat.JSON, aliases=("application/json",),
           w3c="SPARQL_Results_JSON", download=3, cli="json"),
    Format("XML", XML_RESULTS, ("xml", "srx"), RESULTS, QueryResultsFormat.XML,
           aliases=("application/xml", "text/xml"), w3c="SPARQL_Results_XML", download=4, cli="xml"),
    Format("CSV", CSV, ("csv",), RESULTS, QueryResultsFormat.CSV, w3c="SPARQL_Results_CSV", download=1, cli="csv"),
    Format("TSV", TSV, ("tsv",), RESULTS, QueryResultsFormat.TSV, w3c="SPARQL_Results_TSV", download=2, cli="tsv"),
    Format("Turtle", TURTLE, ("ttl", "turtle"), TRIPLES, RdfFormat.TURTLE,
           aliases=("application/x-turtle", "application/turtle"), page_aliases=("application/x-turtle",),
           w3c="Turtle", extension="ttl", page=1, service=1, download=1, cli="ttl", cli_order=1,
           export="ttl", export_order=3),
    Format("N-Triples", NTRIPLES, ("nt", "ntriples", "n-triples"), TRIPLES, RdfFormat.N_TRIPLES,
           aliases=("text/plain",), page_aliases=(), w3c="N-Triples", extension="nt", page=4, service=3,
           download=2, cli="nt", cli_order=2),
    Format("JSON-LD", JSONLD, ("jsonld", "json-ld", "json"), TRIPLES, RdfFormat.JSON_LD,
           page_aliases=("application/json",), w3c="JSON-LD", extension="jsonld", page=3, service=4, download=3,
           cli="jsonld", cli_order=5, export="jsonld", export_order=4),
    Format("RDF/XML", RDFXML, ("rdfxml", "rdf", "xml", "owl"), TRIPLES, RdfFormat.RDF_XML, w3c="RDF_XML",
           extension="rdf", page=5, service=2, download=4, cli="xml", cli_order=6),
    Format("N-Quads", NQUADS, ("nq", "nquads", "n-quads"), QUADS, RdfFormat.N_QUADS, w3c="N-Quads",
           cli="nq", cli_order=3, export="nquads", export_order=1),
    Format("TriG", TRIG, ("trig",), QUADS, RdfFormat.TRIG, w3c="TriG", cli="trig", cli_order=4,
           export="trig", export_order=2),
    Format("HTML", HTML, ("html",), None, None, page_aliases=("application/xhtml+xml",), extension="html",
           page=2, service=5),
    # StratML Part 1 (ISO 17469-1) has no registered media type of its own: the generic XML one
    # (RFC 7303), which the SPARQL results XML row also accepts; this row is never negotiated.
    Format("StratML", XML, ("stratml",), PLAN_DOCUMENT, None, export="stratml", export_order=5),
)
"""Every format, in the endpoint's order of preference."""


def carrying(*kinds: str) -> tuple[Format, ...]:
    """The formats that carry one of ``kinds`` (:data:`RESULTS`, :data:`TRIPLES`, :data:`QUADS`), in table order."""
    return tuple(f for f in TABLE if f.carries in kinds)


def result_formats() -> tuple[Format, ...]:
    """Every format a query result can be served in (the service description's ``sd:resultFormat``)."""
    return carrying(RESULTS, TRIPLES, QUADS)


def service_formats() -> tuple[Format, ...]:
    """The representations of the service description, most preferred first."""
    return tuple(_offered(TABLE, "service"))


def page_formats() -> dict[str, Format]:
    """Extension → format of the linked-data pages, most preferred first, with the pages' aliases."""
    return {f.extension: f if f.page_aliases is None else replace(f, aliases=f.page_aliases)
            for f in _offered(TABLE, "page")}


def downloads(*kinds: str) -> tuple[tuple[str, str], ...]:
    """(title, ``format=`` name) of the query page's download links for results of ``kinds``."""
    return tuple((f.title, f.names[0]) for f in _offered(carrying(*kinds), "download"))


def cli_formats(*kinds: str) -> dict[str, Format]:
    """``plankg query --format`` name → format, for results of ``kinds``."""
    return {f.cli: f for f in _offered(carrying(*kinds), "cli", "cli_order")}


def cli_names() -> tuple[str, ...]:
    """Every name ``plankg query --format`` takes: the table, then results, then graph formats."""
    return tuple(dict.fromkeys((CLI_TABLE, *cli_formats(RESULTS), *cli_formats(TRIPLES, QUADS))))


def export_formats() -> dict[str, Format]:
    """``plankg export --format`` name → format, the default first."""
    return {f.export: f for f in _offered(TABLE, "export", "export_order")}


def w3c_iris(rows: tuple[Format, ...]) -> list[str]:
    """The http://www.w3.org/ns/formats/ IRIs of ``rows`` (those that have one)."""
    return [W3C_FORMATS + f.w3c for f in rows if f.w3c]


def _offered(rows: tuple[Format, ...], where: str, order: str | None = None) -> list[Format]:
    """The ``rows`` offered in ``where`` (that field is not None), by ``order`` (default: that field).

    Ties keep the table order."""
    return sorted((f for f in rows if getattr(f, where) is not None), key=lambda f: getattr(f, order or where))
