"""plankg.formats: one table of formats, and a new format is one row of it (issue 13).

The fixture appends one row to :data:`plankg.formats.TABLE` for a format pyoxigraph writes but
the table does not offer, N3 (``text/n3``), and nothing else. A fresh Python process patches
the table before the app and the CLI are imported, then asks them through a real Flask test
client and click's runner: the format is negotiated on the endpoint, the Graph Store and the
linked-data pages, linked for download from the query page, listed by the service description
and VoID, and offered by ``plankg query --format``. The same script without the row shows that
none of it was there before.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph
import pytest

from conftest import BASE, PLAN_NS
from plankg import formats

N3_ROW = ('formats.Format("N3", "text/n3", ("n3",), formats.TRIPLES, RdfFormat.N3, w3c="N3", extension="n3", '
          'page=6, service=6, download=5, cli="n3", cli_order=7)')
"""The one change: a row, as it would be written in kg/formats.py."""

PROGRAM = "mol/108/work-plan/3/program/1"
LAWS = BASE + "graph/vocab/laws"
CONSTRUCT = f"CONSTRUCT {{ ?law ?p ?o }} WHERE {{ ?law a <{PLAN_NS}Law> ; ?p ?o }} LIMIT 40"
N3_IRI = formats.W3C_FORMATS + "N3"

SCRIPT = """
import json, sys
from pyoxigraph import RdfFormat
from plankg import formats
store, base, program, laws, construct, row = sys.argv[1:7]
if row:
    formats.TABLE = formats.TABLE + (eval(row),)

from click.testing import CliRunner
from plankg.build.meta import metadata_graph
from plankg.cli import main
from plankg.server import create_app

def seen(resp):
    return {"status": resp.status_code, "type": resp.headers.get("Content-Type"),
            "location": resp.headers.get("Location"), "link": resp.headers.get("Link", ""),
            "body": resp.get_data(as_text=True)}

app = create_app({"STORE": store, "TESTING": True})
client = app.test_client()
out = {
    "construct_accept": seen(client.get("/sparql", query_string={"query": construct}, headers={"Accept": "text/n3"})),
    "construct_param": seen(client.get("/sparql", query_string={"query": construct, "format": "n3"})),
    "graph_store": seen(client.get("/store", query_string={"graph": laws}, headers={"Accept": "text/n3"})),
    "sd_n3": seen(client.get("/sparql", headers={"Accept": "text/n3"})),
    "sd_turtle": seen(client.get("/sparql", headers={"Accept": "text/turtle"})),
    "id": seen(client.get("/id/" + program, headers={"Accept": "text/n3"})),
    "doc": seen(client.get("/doc/" + program + ".n3")),
    "doc_ttl": seen(client.get("/doc/" + program + ".ttl")),
    "ontology": seen(client.get("/ontology.n3")),
    "query_page": seen(client.get("/query", query_string={"query": construct})),
}
app.extensions["plankg"].close()
cli = CliRunner().invoke(main, ["query", "--store", store, "-f", "n3", construct])
out["cli"] = {"exit": cli.exit_code, "output": cli.output}
out["cli_help"] = CliRunner().invoke(main, ["query", "--help"]).output
out["void"] = metadata_graph({}, base, []).serialize(format="nt")
print(json.dumps(out))
"""


def observe(store: Path, row: str) -> dict:
    """What the app, the CLI and VoID do, in a fresh process whose format table has ``row`` appended."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT), str(store), BASE, PROGRAM, LAWS, CONSTRUCT,
                           row], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def with_n3(built_store) -> dict:
    return observe(built_store, N3_ROW)


@pytest.fixture(scope="module")
def without_n3(built_store) -> dict:
    return observe(built_store, "")


def n3_triples(body: str) -> int:
    return len(list(pyoxigraph.parse(body.encode(), pyoxigraph.RdfFormat.N3)))


def test_a_new_row_is_negotiated_on_the_endpoint_and_the_graph_store(with_n3, without_n3):
    for case in ("construct_accept", "construct_param"):
        got = with_n3[case]
        assert got["status"] == 200 and got["type"] == "text/n3; charset=utf-8", got
        assert n3_triples(got["body"]) == 40
    assert without_n3["construct_accept"]["status"] == 406 and without_n3["construct_param"]["status"] == 406
    assert with_n3["graph_store"]["status"] == 200 and n3_triples(with_n3["graph_store"]["body"]) > 100
    assert without_n3["graph_store"]["status"] == 406


def test_a_new_row_is_a_linked_data_page_format(with_n3, without_n3):
    assert with_n3["id"]["status"] == 303 and with_n3["id"]["location"] == f"/doc/{PROGRAM}.n3"
    assert with_n3["doc"]["status"] == 200 and with_n3["doc"]["type"] == "text/n3; charset=utf-8"
    assert n3_triples(with_n3["doc"]["body"]) > 5
    assert f'</doc/{PROGRAM}.n3>; rel="alternate"; type="text/n3"' in with_n3["doc_ttl"]["link"]
    assert with_n3["ontology"]["status"] == 200 and n3_triples(with_n3["ontology"]["body"]) > 500
    assert without_n3["id"]["status"] == 406 and without_n3["doc"]["status"] == 404
    assert ".n3" not in without_n3["doc_ttl"]["link"]


def test_a_new_row_is_downloadable_from_the_query_page(with_n3, without_n3):
    assert "format=n3" in with_n3["query_page"]["body"] and "format=n3" not in without_n3["query_page"]["body"]


def test_a_new_row_is_described_by_the_service_description_and_void(with_n3, without_n3):
    assert with_n3["sd_n3"]["status"] == 200 and with_n3["sd_n3"]["type"] == "text/n3; charset=utf-8"
    assert n3_triples(with_n3["sd_n3"]["body"]) > 10
    assert without_n3["sd_n3"]["status"] == 406
    assert "formats:N3" in with_n3["sd_turtle"]["body"] and "formats:N3" not in without_n3["sd_turtle"]["body"]
    feature = f"<{BASE}dataset> <http://rdfs.org/ns/void#feature> <{N3_IRI}> ."
    assert feature in with_n3["void"] and feature not in without_n3["void"]


def test_a_new_row_is_a_cli_query_format(with_n3, without_n3):
    assert with_n3["cli"]["exit"] == 0 and n3_triples(with_n3["cli"]["output"]) == 40
    assert "n3" in with_n3["cli_help"].split("--format [", 1)[1].split("]", 1)[0].split("|")
    assert without_n3["cli"]["exit"] == 2


# ----------------------------------------------------------------------------- the table itself

def test_every_row_is_well_formed():
    for f in formats.TABLE:
        assert f.names and f.media_type == f.media_type.lower()
        if f.carries is None:
            assert f.pyoxigraph is None and f.cli is None and f.export is None
        elif f.carries == formats.PLAN_DOCUMENT:  # an export of one plan (StratML): offered nowhere else
            assert f.pyoxigraph is None and f.export and f.cli is None and f.w3c is None
            assert (f.page, f.service, f.download, f.extension) == (None, None, None, None)
        elif f.carries == formats.RESULTS:
            assert f.results_format.media_type.split(";")[0] == f.media_type and f.extension is None
        else:
            assert f.rdf_format.media_type.split(";")[0] == f.media_type
    negotiated = [f for f in formats.TABLE if f.carries != formats.PLAN_DOCUMENT]
    media = [m for f in negotiated for m in (f.media_type, *f.aliases)]
    assert len(media) == len(set(media)), "a media type names one negotiated format"
    for place in ("page", "service", "extension", "export"):
        taken = [getattr(f, place) for f in formats.TABLE if getattr(f, place) is not None]
        assert len(taken) == len(set(taken)), place
    assert len(formats.cli_formats(formats.RESULTS)) == sum(1 for f in formats.carrying(formats.RESULTS) if f.cli)


def test_the_stratml_row_is_an_export_and_never_negotiated():
    """Its media type, application/xml, is also an alias of SPARQL results XML: the endpoint keeps
    serving results XML for it, and no offer list, page format or download link gains StratML."""
    from plankg.server.sparql import conneg

    row = formats.export_formats()["stratml"]
    assert (row.title, row.media_type, row.carries) == ("StratML", "application/xml", formats.PLAN_DOCUMENT)
    assert all(row not in offers for offers in conneg.OFFERS.values())
    assert conneg.representation_for("application/xml", conneg.OFFERS[conneg.SELECT]).names[0] == "xml"
    assert row not in formats.result_formats() and "stratml" not in formats.page_formats()
    assert "stratml" not in formats.cli_names()
    assert all("stratml" not in (title.lower(), name) for kind in (formats.RESULTS, formats.TRIPLES, formats.QUADS)
               for title, name in formats.downloads(kind))


def test_the_offers_keep_their_order():
    """The first offer is the default for ``*/*``; these orders are what the server always served."""
    assert [f.media_type for f in formats.carrying(formats.RESULTS)] == [
        "application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]
    assert [f.names[0] for f in formats.carrying(formats.TRIPLES, formats.QUADS)] == [
        "ttl", "nt", "jsonld", "rdfxml", "nq", "trig"]
    assert [f.names[0] for f in formats.service_formats()] == ["ttl", "rdfxml", "nt", "jsonld", "html"]
    assert list(formats.page_formats()) == ["ttl", "html", "jsonld", "nt", "rdf"]
    assert formats.cli_names() == ("table", "json", "xml", "csv", "tsv", "ttl", "nt", "nq", "trig", "jsonld")
    assert list(formats.export_formats()) == ["nquads", "trig", "ttl", "jsonld", "stratml"]
