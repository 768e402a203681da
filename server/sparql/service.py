"""The SPARQL 1.1 Service Description of ``/sparql`` (``GET`` without a query).

Turtle by default; RDF/XML, N-Triples or JSON-LD by ``Accept``; an HTML page about the
endpoint for browsers. It lists the endpoint's URL, the result formats, the union default
graph, the named graphs, and Update and federation only when they are enabled.
"""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from pyoxigraph import RdfFormat, parse, serialize

from plankg import formats
from plankg.server.sparql import conneg
from plankg.server import runtime
from plankg.server.sparql.protocol import endpoint_url, executor_errors
from plankg.server.ui.i18n import human_bytes

RESULT_FORMATS = ", ".join(f"<{iri}>" for iri in formats.w3c_iris(formats.result_formats()))
SD_PREFIXES = {"sd": "http://www.w3.org/ns/sparql-service-description#", "formats": "http://www.w3.org/ns/formats/",
               "dct": "http://purl.org/dc/terms/"}
SD_TURTLE = """\
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix formats: <http://www.w3.org/ns/formats/> .
@prefix dct: <http://purl.org/dc/terms/> .
[] a sd:Service ;
  sd:endpoint <{endpoint}> ;
  dct:title "plankg: Taiwanese government annual plans (年度施政計畫)"@en ;
  sd:supportedLanguage sd:SPARQL11Query {update} ;
  sd:feature sd:UnionDefaultGraph {federation} ;
  sd:defaultEntailmentRegime <http://www.w3.org/ns/entailment/Simple> ;
  sd:resultFormat {result_formats} ;
  sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] {named} ] .
"""


def public_endpoint() -> str:
    """The endpoint's URL: ``PUBLIC_URL sparql`` when the public URL is set (the one the metadata
    names, :mod:`plankg.config`), else the URL this request came to."""
    public = current_app.config.get("PUBLIC_URL")
    return public + "sparql" if public else endpoint_url()


def service_description() -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, or an HTML page about it."""
    rep = conneg.negotiate(conneg.SERVICE_DESCRIPTION)
    with executor_errors():
        graphs = runtime().executor().graphs()
    if rep.media_type == conneg.HTML:
        page = render_template("service_description.html", endpoint=public_endpoint(), graphs=graphs,
                               config=current_app.config, read_write=runtime().read_write,
                               query_page=request.script_root + "/query", human_bytes=human_bytes)
        return Response(page, content_type=rep.content_type)
    turtle = SD_TURTLE.format(
        endpoint=public_endpoint(), result_formats=RESULT_FORMATS,
        update=", sd:SPARQL11Update" if runtime().read_write else "",
        federation=", sd:BasicFederatedQuery" if current_app.config["FEDERATION_ALLOWLIST"] else "",
        named="".join(f"; sd:namedGraph [ a sd:NamedGraph ; sd:name <{g}> ] " for g in graphs))
    triples = [q.triple for q in parse(turtle, RdfFormat.TURTLE)]
    return Response(serialize(triples, format=rep.rdf_format, prefixes=SD_PREFIXES), content_type=rep.content_type)
