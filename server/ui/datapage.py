"""The data and API page (``/data``): how to get at the graph other than by reading pages.

It lists the SPARQL endpoint (with a curl and a SPARQLWrapper example), the ontology, the dumps
with their sizes, VoID and the DCAT catalog, the StratML export of each plan, how to cite the
dataset and its licence. The dumps, their sizes and the dataset's title, date and licence come
from the store's metadata graph (VoID and DCAT, :mod:`plankg.build.meta` and
:mod:`plankg.build.catalog`), so the page describes the build being served.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template, url_for

from plankg.build.catalog import DATA_LICENSE
from plankg.build.meta import meta_graph_iri, site_for
from plankg.namespaces import ONTOLOGY_IRI
from plankg.server.ui import data as ui_data, i18n

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
EXAMPLE_QUERY = "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@dataclass(frozen=True)
class DumpFile:
    name: str
    title: str
    media_type: str
    byte_size: int
    sha256: str


@dataclass(frozen=True)
class Dataset:
    titles: dict[str, str]
    modified: str
    triples: int
    license: str
    dumps: tuple[DumpFile, ...]


def dataset() -> Dataset:
    """The served build's dataset as its metadata graph describes it (cached per build)."""
    return ui_data.cached(("dataset", current_app.config["BASE"]), _read)


def _read() -> Dataset:
    base = current_app.config["BASE"]
    graph, ds = meta_graph_iri(base), base + "dataset"
    about = ui_data.select(f"""SELECT ?title ?modified ?triples ?license WHERE {{ GRAPH <{graph}> {{
        OPTIONAL {{ <{ds}> <{DCT}title> ?title }} OPTIONAL {{ <{ds}> <{DCT}modified> ?modified }}
        OPTIONAL {{ <{ds}> <{VOID}triples> ?triples }} OPTIONAL {{ <{ds}> <{DCT}license> ?license }} }} }}""")
    titles = {i18n.normalise(r["title"].language) or "": r["title"].value for r in about if "title" in r}
    first = about[0] if about else {}
    rows = ui_data.select(f"""SELECT DISTINCT ?url ?title ?media ?size ?sha WHERE {{ GRAPH <{graph}> {{
        <{ds}> <{DCAT}distribution> ?d . ?d <{DCAT}downloadURL> ?url ; <{DCAT}byteSize> ?size .
        OPTIONAL {{ ?d <{DCT}title> ?title }} OPTIONAL {{ ?d <{DCAT}mediaType> ?media }}
        OPTIONAL {{ ?d <http://spdx.org/rdf/terms#checksum>/<http://spdx.org/rdf/terms#checksumValue> ?sha }} }} }}
        ORDER BY ?url""")
    dumps = tuple(DumpFile(r["url"].value.rsplit("/", 1)[1], r["title"].value if "title" in r else "",
                           r["media"].value.rsplit("/", 2)[-2] + "/" + r["media"].value.rsplit("/", 1)[1]
                           if "media" in r else "", int(r["size"].value), r["sha"].value if "sha" in r else "")
                  for r in rows)
    return Dataset(titles, first["modified"].value[:10] if "modified" in first else "",
                   int(first["triples"].value) if "triples" in first else 0,
                   first["license"].value if "license" in first else str(DATA_LICENSE), dumps)


def view():
    """The data and API page."""
    from plankg.server.ui.views import plan_exports

    lang = i18n.current_lang()
    base = current_app.config["BASE"]
    info = dataset()
    endpoint = url_for("sparql.endpoint", _external=True)
    plans = [(p, plan_exports(p.iri)) for p in ui_data.plans()]
    title = info.titles.get(lang) or info.titles.get(i18n.ZH) or next(iter(info.titles.values()), "plankg")
    return render_template("data.html", info=info, title=title, endpoint=endpoint, example_query=EXAMPLE_QUERY,
                           plans=plans, site=site_for(base), dataset_iri=base + "dataset",
                           human_bytes=i18n.human_bytes, ontology_iri=ONTOLOGY_IRI)
