"""Dataset metadata (VoID + DCAT) and the dumps: counts are true, checksums match, bytes are stable.

The expected values are read from the session store (``built_store``) with SPARQL; the
downloads are fetched from a real `plankg serve` (``sparql_server``).
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, VOID, XSD

from conftest import BASE, PLAN_NS, SEED, run_plankg
from plankg.build.dumps import DUMPS_DIR, NQUADS_NAME, TRIG_NAME, Dump
from plankg.errors import StoreError
from plankg.build.meta import meta_graph_iri, metadata_graph, site_for
from plankg.store.publishing import publish

SPDX = Namespace("http://spdx.org/rdf/terms#")
META = meta_graph_iri(BASE)
DATASET = URIRef(BASE + "dataset")
CATALOG = URIRef(BASE + "catalog")
SITE = "https://w3id.org/plankg/"
EPOCH = "1700000000"  # 2023-11-14T22:13:20Z
LAW_DB = URIRef("https://law.moj.gov.tw/")
CONTENT = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{META}>)"
DISTINCT_TRIPLES = f"SELECT DISTINCT ?s ?p ?o WHERE {{ {CONTENT} }}"


@pytest.fixture(scope="module")
def kg(built_store):
    return pyoxigraph.Store.read_only(str(built_store.resolve()))


@pytest.fixture(scope="module")
def meta(kg) -> Graph:
    data = kg.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.NamedNode(META))
    g = Graph().parse(data=data, format="nt")
    assert len(g) > 100
    return g


def rows(kg, query: str) -> list[dict]:
    sols = kg.query(query)
    names = [v.value for v in sols.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in sols]


def number(kg, query: str) -> int:
    return int(rows(kg, query)[0]["n"])


def value(g: Graph, node, predicate) -> int:
    return int(g.value(node, predicate))


# ----------------------------------------------------------------------------- VoID

def test_void_counts_equal_the_store(kg, meta):
    assert value(meta, DATASET, VOID.triples) == number(kg, f"SELECT (COUNT(*) AS ?n) WHERE {{ {DISTINCT_TRIPLES} }}")
    for predicate, var in ((VOID.distinctSubjects, "s"), (VOID.properties, "p"), (VOID.distinctObjects, "o")):
        assert value(meta, DATASET, predicate) == number(kg, f"SELECT (COUNT(DISTINCT ?{var}) AS ?n) WHERE {{ {CONTENT} }}")
    assert value(meta, DATASET, VOID.classes) == number(
        kg, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }} FILTER(?g != <{META}>) }}")

    classes = {r["c"]: int(r["n"]) for r in rows(kg, f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }} "
                                                     f"FILTER(?g != <{META}>) }} GROUP BY ?c")}
    partitions = {str(meta.value(p, VOID["class"])): value(meta, p, VOID.entities) for p in meta.objects(DATASET, VOID.classPartition)}
    assert partitions == classes and classes[PLAN_NS + "Program"] == 44

    props = {r["p"]: int(r["n"]) for r in rows(kg, f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {DISTINCT_TRIPLES} }} GROUP BY ?p")}
    partitions = {str(meta.value(p, VOID.property)): value(meta, p, VOID.triples) for p in meta.objects(DATASET, VOID.propertyPartition)}
    assert partitions == props


def test_every_content_graph_is_a_subset_with_its_triples(kg, meta):
    graphs = {r["g"]: int(r["n"]) for r in rows(kg, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    subsets = {str(s): value(meta, s, VOID.triples) for s in meta.objects(DATASET, VOID.subset)
               if (s, RDF.type, VOID.Linkset) not in meta}
    assert subsets == {g: n for g, n in graphs.items() if g != META}
    assert META in graphs and (URIRef(META), RDF.type, DCAT.CatalogRecord) in meta


OUTSIDE = {  # linkset -> (the outside dataset, the graph that holds the links)
    "wikidata": (URIRef("https://www.wikidata.org/"), "graph/vocab/organisations"),
    "eurovoc-exact": (URIRef("http://eurovoc.europa.eu/"), "graph/vocab/target-groups"),
    "eurovoc-close": (URIRef("http://eurovoc.europa.eu/"), "graph/vocab/target-groups"),
}


@pytest.mark.parametrize(("name", "predicate", "query"), [
    ("law-database", RDFS.seeAlso, "?s rdfs:seeAlso ?o FILTER(STRSTARTS(STR(?o), 'https://law.moj.gov.tw/'))"),
    ("cites-law", URIRef(PLAN_NS + "citesLaw"), "?s plan:citesLaw ?o"),
    ("target-group", URIRef(PLAN_NS + "targetGroup"), "?s plan:targetGroup ?o"),
    ("wikidata", OWL.sameAs, "?s owl:sameAs ?o FILTER(STRSTARTS(STR(?o), 'http://www.wikidata.org/entity/'))"),
    ("eurovoc-exact", SKOS.exactMatch, "?s skos:exactMatch ?o FILTER(STRSTARTS(STR(?o), 'http://eurovoc.europa.eu/'))"),
    ("eurovoc-close", SKOS.closeMatch, "?s skos:closeMatch ?o FILTER(STRSTARTS(STR(?o), 'http://eurovoc.europa.eu/'))"),
])
def test_linksets_count_the_links(kg, meta, name, predicate, query):
    linkset = URIRef(f"{BASE}dataset/linkset/{name}")
    assert (DATASET, VOID.subset, linkset) in meta and (linkset, RDF.type, VOID.Linkset) in meta
    assert meta.value(linkset, VOID.linkPredicate) == predicate
    assert len(set(meta.objects(linkset, VOID.target))) == 2
    prefixes = f"PREFIX plan: <{PLAN_NS}> PREFIX rdfs: <{RDFS}> PREFIX owl: <{OWL}> PREFIX skos: <{SKOS}> "
    assert value(meta, linkset, VOID.triples) == number(
        kg, prefixes + f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{ GRAPH ?g {{ {query} }} }} }}") > 0
    if name == "law-database":
        assert meta.value(linkset, VOID.objectsTarget) == LAW_DB and (LAW_DB, RDF.type, VOID.Dataset) in meta
    elif name in OUTSIDE:
        external, graph = OUTSIDE[name]
        assert meta.value(linkset, VOID.objectsTarget) == external and (external, RDF.type, VOID.Dataset) in meta
        assert meta.value(linkset, VOID.subjectsTarget) == URIRef(BASE + graph)
    else:
        assert meta.value(linkset, VOID.subjectsTarget) == URIRef(BASE + "graph/mol/108")


def test_dataset_and_catalog_description(meta):
    assert {(DATASET, RDF.type, VOID.Dataset), (DATASET, RDF.type, DCAT.Dataset)} <= set(meta)
    assert {t.language.lower() for t in meta.objects(DATASET, DCTERMS.title)} == {"en", "zh-hant"}
    assert "but not this metadata graph" in " ".join(map(str, meta.objects(DATASET, DCTERMS.description)))
    for predicate in (DCTERMS.license, DCTERMS.publisher):
        assert meta.value(DATASET, predicate) is not None
    for predicate in (DCTERMS.issued, DCTERMS.modified):
        assert meta.value(DATASET, predicate).datatype == XSD.dateTime
    assert str(meta.value(DATASET, VOID.uriSpace)) == BASE
    assert meta.value(DATASET, VOID.sparqlEndpoint) == URIRef(SITE + "sparql")
    assert URIRef(PLAN_NS) in set(meta.objects(DATASET, VOID.vocabulary))
    assert (CATALOG, RDF.type, DCAT.Catalog) in meta and (CATALOG, DCAT.dataset, DATASET) in meta
    record = meta.value(CATALOG, DCAT.record)
    assert (record, RDF.type, DCAT.CatalogRecord) in meta and meta.value(record, FOAF.primaryTopic) == DATASET
    service = meta.value(CATALOG, DCAT.service)
    assert meta.value(service, DCAT.endpointURL) == URIRef(SITE + "sparql")
    access = [d for d in meta.objects(DATASET, DCAT.distribution) if meta.value(d, DCAT.accessService) == service]
    assert len(access) == 1


# ----------------------------------------------------------------------------- dumps

def dump_distributions(meta: Graph) -> dict[str, URIRef]:
    """File name → distribution node, for the distributions that are downloads."""
    return {str(meta.value(d, DCAT.downloadURL)).rsplit("/", 1)[1]: d
            for d in meta.objects(DATASET, DCAT.distribution) if meta.value(d, DCAT.downloadURL) is not None}


def test_distributions_describe_the_downloaded_bytes(sparql_server, meta):
    dists = dump_distributions(meta)
    assert set(dists) == {NQUADS_NAME, TRIG_NAME}
    for name, dist in dists.items():
        url = str(meta.value(dist, DCAT.downloadURL))
        assert url == f"{SITE}{DUMPS_DIR}/{name}"
        status, headers, body = sparql_server.get("/" + url[len(SITE):])
        assert status == 200 and headers["content-type"] == "application/gzip"
        assert int(headers["content-length"]) == len(body) == int(meta.value(dist, DCAT.byteSize))
        # built as xsd:nonNegativeInteger (test_metadata_graph_… below); Oxigraph stores subtypes of
        # xsd:integer as xsd:integer, so that is what the store gives back
        assert meta.value(dist, DCAT.byteSize).datatype in (XSD.nonNegativeInteger, XSD.integer)
        checksum = meta.value(dist, SPDX.checksum)
        assert meta.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(meta.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()
        assert str(meta.value(dist, DCAT.compressFormat)).endswith("/application/gzip")
        assert str(meta.value(dist, DCAT.mediaType)).endswith("/application/n-quads" if name == NQUADS_NAME
                                                              else "/application/trig")
    status, headers, body = sparql_server.request("HEAD", f"/{DUMPS_DIR}/{NQUADS_NAME}")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


@pytest.mark.parametrize("path", [f"/{DUMPS_DIR}/nope.nq.gz", f"/{DUMPS_DIR}/..%2FBUILD.json",
                                  f"/{DUMPS_DIR}/.hidden", "/dumps/CURRENT"])
def test_only_dump_files_are_served(sparql_server, path):
    assert sparql_server.get(path)[0] == 404


def test_dumps_parse_back_to_the_store_minus_the_metadata(built_store, kg):
    expected = number(kg, f"SELECT (COUNT(*) AS ?n) WHERE {{ {CONTENT} }}")
    graphs = {r["g"] for r in rows(kg, "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")} - {META}
    plain = {str(q) for q in kg.quads_for_pattern(None, None, None) if q.graph_name.value != META
             and not any(isinstance(t, pyoxigraph.BlankNode) for t in (q.subject, q.object))}
    folder = built_store.resolve() / DUMPS_DIR
    for name, fmt in ((NQUADS_NAME, pyoxigraph.RdfFormat.N_QUADS), (TRIG_NAME, pyoxigraph.RdfFormat.TRIG)):
        quads = list(pyoxigraph.parse(gzip.decompress((folder / name).read_bytes()), fmt))
        assert len(set(quads)) == len(quads) == expected
        assert {q.graph_name.value for q in quads} == graphs
        assert {str(q) for q in quads if not any(isinstance(t, pyoxigraph.BlankNode) for t in (q.subject, q.object))} == plain
    lines = gzip.decompress((folder / NQUADS_NAME).read_bytes()).splitlines()
    assert lines == sorted(lines, key=lambda line: (line.rsplit(b" ", 2)[1], line))  # by graph name, then line


def test_a_dump_says_which_dataset_it_is_in_and_its_licence(built_store):
    folder = built_store.resolve() / DUMPS_DIR
    for name in (NQUADS_NAME, TRIG_NAME):
        about = pyoxigraph.NamedNode(BASE + "graph/dataset")
        quads = [q for q in pyoxigraph.parse(gzip.decompress((folder / name).read_bytes()),
                                             pyoxigraph.RdfFormat.N_QUADS if name == NQUADS_NAME else pyoxigraph.RdfFormat.TRIG)
                 if q.graph_name == about]
        g = Graph().parse(data="".join(f"{q.triple} .\n" for q in quads), format="nt")
        assert (URIRef(SITE + f"{DUMPS_DIR}/{name}"), VOID.inDataset, DATASET) in g
        assert g.value(DATASET, DCTERMS.license) == URIRef("https://data.gov.tw/license")
        assert g.value(DATASET, DCTERMS.publisher) == URIRef(BASE + "agent/plankg")
        assert (DATASET, RDF.type, VOID.Dataset) in g and g.value(DATASET, VOID.uriSpace) == Literal(BASE)


def test_no_ascii_only_label_is_tagged_zh_hant(kg):
    """File names and line references are in no language: their labels are plain strings."""
    found = rows(kg, 'SELECT ?s ?l WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } '
                     'FILTER(langMatches(lang(?l), "zh-hant") && regex(str(?l), "^[\\\\x00-\\\\x7f]*$")) }')
    assert not found, found[:5]


def test_dumps_are_byte_identical_across_builds(built_store, tmp_path):
    run_plankg("build", "--store", str(tmp_path / "again"), str(SEED), env={"SOURCE_DATE_EPOCH": EPOCH}, check=True)
    for name in (NQUADS_NAME, TRIG_NAME):
        first = (built_store.resolve() / DUMPS_DIR / name).read_bytes()
        assert first == (tmp_path / "again" / DUMPS_DIR / name).read_bytes(), name
        assert gzip.decompress(first)  # a valid gzip member, mtime 0
        assert first[4:8] == b"\0\0\0\0"
    # the metadata's dates are the build time, or SOURCE_DATE_EPOCH when set
    again = pyoxigraph.Store.read_only(str((tmp_path / "again").resolve()))
    modified = rows(again, f"SELECT ?d WHERE {{ GRAPH <{META}> {{ <{DATASET}> <{DCTERMS.modified}> ?d }} }}")
    assert modified == [{"d": "2023-11-14T22:13:20Z"}]


# ----------------------------------------------------------------------------- units

@pytest.mark.parametrize(("base", "site"), [
    ("https://w3id.org/plankg/id/", "https://w3id.org/plankg/"),
    ("http://127.0.0.1:8000/id/", "http://127.0.0.1:8000/"),
    ("https://example.org/kg/", "https://example.org/"),
])
def test_site_is_the_base_without_its_id_segment(base, site):
    assert site_for(base) == site


def test_metadata_graph_counts_the_merge_of_the_graphs():
    ex = Namespace("https://example.org/id/")
    a, b = Graph(), Graph()
    a.add((ex.x, RDF.type, ex.C))
    a.add((ex.x, RDFS.label, Literal("x")))
    b.add((ex.x, RDF.type, ex.C))  # the same triple in a second graph counts once
    b.add((ex.y, URIRef(PLAN_NS + "citesLaw"), ex.x))
    dump = Dump("d.nq.gz", "application/n-quads", "dump", b"abc")
    g = metadata_graph({ex["graph/a"]: a, ex["graph/b"]: b}, str(ex), [dump], site="https://site.example/")
    dataset = ex.dataset
    assert int(g.value(dataset, VOID.triples)) == 3 and int(g.value(dataset, VOID.classes)) == 1
    assert int(g.value(ex["graph/a"], VOID.triples)) == 2
    assert g.value(dataset, VOID.sparqlEndpoint) == URIRef("https://site.example/sparql")
    dist = next(d for d in g.objects(dataset, DCAT.distribution) if g.value(d, DCAT.downloadURL))
    assert g.value(dist, DCAT.downloadURL) == URIRef("https://site.example/dumps/d.nq.gz")
    assert g.value(dist, DCAT.byteSize) == Literal(3, datatype=XSD.nonNegativeInteger)
    assert str(g.value(g.value(dist, SPDX.checksum), SPDX.checksumValue)) == hashlib.sha256(b"abc").hexdigest()
    cites = ex["dataset/linkset/cites-law"]
    assert g.value(cites, VOID.subjectsTarget) == ex["graph/b"] and g.value(cites, VOID.objectsTarget) == dataset
    assert not any(isinstance(s, BNode) and (s, RDF.type, VOID.Linkset) in g for s in g.subjects())


def test_publish_writes_extra_files_into_the_build(tmp_path):
    nt = b"<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n"
    result = publish(tmp_path / "store", [("https://example.org/g", nt)], extra_files={"dumps/a.bin": b"xyz"})
    assert (result.build_dir / "dumps" / "a.bin").read_bytes() == b"xyz"
    assert (tmp_path / "store" / "dumps" / "a.bin").read_bytes() == b"xyz"


@pytest.mark.parametrize("name", ["../x", "/abs/x", "top.bin", "dumps/../x", "dumps/./x", "dumps//x", "dumps\\x"])
def test_publish_refuses_extra_files_outside_a_subfolder(tmp_path, name):
    nt = b"<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n"
    with pytest.raises(StoreError, match="extra file"):
        publish(tmp_path / "store", [("https://example.org/g", nt)], extra_files={name: b"x"})
    assert not Path(tmp_path / "store").exists()


# ------------------------------------------------------------------------------------------------
# The build as a prov:Activity; provenance of the curated facts (issue 16)
# ------------------------------------------------------------------------------------------------

PROV = Namespace("http://www.w3.org/ns/prov#")


def test_the_build_is_a_prov_activity_with_its_inputs_and_their_checksums(meta):
    import plankg

    build = URIRef(BASE + "dataset/build")
    assert (DATASET, PROV.wasGeneratedBy, build) in meta and (build, RDF.type, PROV.Activity) in meta
    started, ended = meta.value(build, PROV.startedAtTime), meta.value(build, PROV.endedAtTime)
    assert started.datatype == ended.datatype == XSD.dateTime and started.toPython() <= ended.toPython()
    software = meta.value(build, PROV.wasAssociatedWith)
    assert (software, RDF.type, PROV.SoftwareAgent) in meta
    assert meta.value(software, OWL.versionInfo) == Literal(plankg.__version__)
    inputs = {str(meta.value(i, DCTERMS.identifier)): i for i in meta.objects(build, PROV.used)
              if (i, RDF.type, PROV.Entity) in meta}
    assert list(inputs) == [SEED.name]  # the session store is built from the seed plan alone
    node = inputs[SEED.name]
    checksum = meta.value(node, SPDX.checksum)
    assert meta.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert str(meta.value(checksum, SPDX.checksumValue)) == hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert int(meta.value(node, DCAT.byteSize)) == SEED.stat().st_size
    assert (URIRef(BASE + "mol/108/source"), PROV.specializationOf, node) in meta
    assert URIRef(BASE + "graph/mapping/mol-108-work-plans") in set(meta.objects(build, PROV.used))


def test_build_times_are_pinned_by_source_date_epoch(tmp_path):
    store = tmp_path / "store"
    run_plankg("build", "--store", str(store), str(SEED), check=True, env={"SOURCE_DATE_EPOCH": EPOCH})
    kg = pyoxigraph.Store.read_only(str(store.resolve()))
    times = {str(r["t"].value) for r in kg.query(
        f"SELECT ?t WHERE {{ GRAPH <{META}> {{ <{BASE}dataset/build> <{PROV.startedAtTime}>|<{PROV.endedAtTime}> ?t }} }}")}
    assert times == {"2023-11-14T22:13:20Z"}


def test_curated_facts_cite_their_published_mapping_record(kg):
    """A work plan's responsible unit and budget code come from the work plan mapping: a
    prov:Derivation names the record, which the store holds in graph/mapping/…; so does the budget
    match of the plan:fundedBy link, near matches included."""
    rows_ = rows(kg, f"""PREFIX plan: <{PLAN_NS}> PREFIX prov: <{PROV}>
        SELECT ?w ?record ?unit ?code ?kind WHERE {{ GRAPH <{BASE}graph/mol/108> {{
            ?w a plan:WorkPlan ; plan:responsibleUnit ?unit ; plan:budgetCode ?code ;
               prov:qualifiedDerivation ?d ; plan:hasBudgetMatch ?m .
            ?d a prov:Derivation ; prov:entity ?record ; plan:derivedProperty plan:responsibleUnit, plan:budgetCode .
            ?m prov:wasDerivedFrom ?record ; plan:budgetMatchKind ?kind . }}
            GRAPH <{BASE}graph/mapping/mol-108-work-plans> {{
                ?record a plan:WorkPlanAssignment ; plan:responsibleUnit ?unit ; plan:budgetCode ?code }} }}""")
    assert len(rows_) == 11
    assert sum(str(r["kind"]).endswith("NearNameMatch") for r in rows_) == 2


def test_the_source_document_has_title_and_publisher_and_no_invented_date(kg):
    doc = f"<{BASE}mol/108/source>"
    got = {(str(r["p"].value), str(r["o"].value)) for r in kg.query(f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ {doc} ?p ?o }} }}")}
    assert (str(DCTERMS.title), "勞動部 108 年度施政計畫") in got
    assert (str(DCTERMS.publisher), BASE + "org/mol") in got
    assert not {p for p, _ in got if p in (str(DCTERMS.issued), str(DCTERMS.date), str(DCTERMS.created))}
    assert any(p == str(SKOS.editorialNote) and "not recorded" in o for p, o in got)
