"""The build's N-Triples (plankg.build.ntriples), the dumps made from them and the VoID counts, against
the straightforward ways they replace: rdflib's serializer, a whole pyoxigraph Dataset canonicalized and
sorted, and Python sets of rdflib terms. Byte for byte, on graphs with the awkward cases."""

from __future__ import annotations

import gzip
from collections import Counter

import pyoxigraph
from pyoxigraph import CanonicalizationAlgorithm, Dataset, NamedNode, Quad, RdfFormat
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from plankg.build import voidstats
from plankg.build.dumps import make_dumps
from plankg.build.ntriples import lines, ntriples, split, term
from plankg.namespaces import PREFIXES

EX = Namespace("https://example.org/id/")
TEXTS = ['plain', 'quote " and \\ backslash', "new\nline\rcarriage\ttab", "line\u2028separator\x85nel",
         "looks like _:b1 a blank node", "ends with a dot .", "", "中文 text"]


def awkward_graphs() -> dict[str, Graph]:
    """Two graphs that share a blank node and some triples, with every kind of term."""
    a, b = Graph(), Graph()
    shared, other = BNode(), BNode()
    for i, text in enumerate(TEXTS):
        a.add((EX[f"s{i}"], RDFS.label, Literal(text, lang="zh-Hant")))
        a.add((EX[f"s{i}"], RDFS.comment, Literal(text)))
        b.add((EX[f"s{i}/x"], RDFS.label, Literal(text, datatype=XSD.token)))
    a.add((EX.s, RDF.type, EX.C))
    a.add((EX.s, EX.p, Literal("same", datatype=XSD.string)))  # is "same" to Oxigraph
    a.add((EX.s, EX.p, Literal("same")))
    a.add((EX.s, EX.n, Literal(7)))
    a.add((EX["s/longer"], RDF.type, EX.C))  # an IRI that extends another one
    a.add((EX.s, EX.list, shared))
    a.add((shared, RDF.first, Literal(1)))
    a.add((shared, RDF.rest, other))
    b.add((other, RDF.first, Literal(2)))
    b.add((other, RDF.rest, RDF.nil))
    b.add((EX.s, RDF.type, EX.C))  # in both graphs
    b.add((EX.t, RDFS.seeAlso, URIRef("https://law.example/page")))
    b.add((EX.t, EX.cites, EX.s))
    return {str(EX["graph/a"]): a, str(EX["graph/b"]): b}


def oxigraph_ntriples(graph: Graph) -> list[str]:
    data = graph.serialize(format="nt", encoding="utf-8")
    out = pyoxigraph.serialize(pyoxigraph.parse(data, RdfFormat.N_TRIPLES), format=RdfFormat.N_TRIPLES)
    return sorted(set(out.decode("utf-8").split("\n")[:-1]))


def test_ntriples_are_rdflibs_as_oxigraph_writes_them():
    for graph in awkward_graphs().values():
        assert sorted(lines(ntriples(graph))) == oxigraph_ntriples(graph)
    a = ntriples(awkward_graphs()[str(EX["graph/a"])])
    assert '"same"' in a and "xsd" not in a and a.count(f"<{EX.s}> <{EX.p}> ") == 1  # one triple to Oxigraph
    assert "@zh-hant" in a and "@zh-Hant" not in a


def test_a_line_splits_into_its_terms_and_they_read_back():
    for graph in awkward_graphs().values():
        for line in lines(ntriples(graph)):
            s, p, o = split(line)
            assert f"{s} {p} {o} ." == line
            back = Graph()
            back.add((term(s), term(p), term(o)))
            if not (s.startswith("_:") or o.startswith("_:")):  # rdflib relabels blank nodes
                assert lines(ntriples(back)) == [line]


def reference_dumps(graphs: dict[str, Graph]) -> tuple[bytes, bytes]:
    """The dumps as they were made before: every quad in one Dataset, canonicalized, sorted (N-Quads
    by graph name, then line)."""
    dataset = Dataset()
    for iri, graph in graphs.items():
        for t in pyoxigraph.parse(graph.serialize(format="nt", encoding="utf-8"), RdfFormat.N_TRIPLES):
            dataset.add(Quad(t.subject, t.predicate, t.object, NamedNode(iri)))
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    nquads = b"".join(sorted(pyoxigraph.serialize(dataset, format=RdfFormat.N_QUADS).splitlines(keepends=True),
                             key=lambda line: (line.rsplit(b" ", 2)[1], line)))
    key = lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))  # noqa: E731
    trig = pyoxigraph.serialize(sorted(dataset, key=key), format=RdfFormat.TRIG, prefixes=PREFIXES)
    return nquads, trig


def test_dumps_are_those_of_the_whole_dataset_canonicalized():
    graphs = awkward_graphs()
    nquads, trig = make_dumps([(iri, ntriples(g)) for iri, g in sorted(graphs.items())])
    assert (gzip.decompress(nquads.data), gzip.decompress(trig.data)) == reference_dumps(graphs)


def test_dumps_without_blank_nodes():
    graphs = awkward_graphs()
    for g in graphs.values():
        for t in [t for t in g if any(isinstance(x, BNode) for x in t)]:
            g.remove(t)
    nquads, trig = make_dumps([(iri, ntriples(g)) for iri, g in sorted(graphs.items())])
    assert (gzip.decompress(nquads.data), gzip.decompress(trig.data)) == reference_dumps(graphs)


def test_counts_are_those_of_the_merge_as_oxigraph_terms():
    graphs = awkward_graphs()
    text = {iri: ntriples(g) for iri, g in graphs.items()}
    union = {t for g in graphs.values() for t in g}
    merge = voidstats.merge(text, str(EX))
    assert merge.triples == len(union) - 1  # "same"^^xsd:string and "same" are one literal
    assert merge.subjects == len({s for s, _, _ in union})
    assert merge.objects == len({o for _, _, o in union}) - 1
    assert merge.classes == Counter({EX.C: 2})
    assert merge.properties == Counter(p for _, p, _ in union) - Counter({EX.p: 1})
    assert merge.entities == len({s for s, _, _ in union if isinstance(s, URIRef) and s.startswith(str(EX))})
    assert merge.instances(EX.C) == [EX.s, EX["s/longer"]]
    links = voidstats.links(text, [(RDFS.seeAlso, "https://law.example/"), (EX.cites, None), (EX.none, None)])
    assert links[RDFS.seeAlso] == voidstats.Links(1, [str(EX["graph/b"])], [])
    assert links[EX.cites] == voidstats.Links(1, [str(EX["graph/b"])], sorted(graphs))
    assert links[EX.none] == voidstats.Links(0, [], [])


def test_numbers_are_written_as_the_store_keeps_them():
    """The store keeps an xsd:decimal or xsd:integer as its value ("0.3840" is read back as "0.384"),
    so the lines that are dumped and counted must spell it that way too."""
    g = Graph()
    for i, value in enumerate([Literal("0.3840", datatype=XSD.decimal), Literal("2.0", datatype=XSD.decimal),
                               Literal("-0.50", datatype=XSD.decimal), Literal("007", datatype=XSD.integer),
                               Literal("12", datatype=XSD.integer), Literal("x", datatype=XSD.integer)]):
        g.add((URIRef("http://example.org/a"), URIRef(f"http://example.org/p{i}"), value))
    text = ntriples(g)
    store = pyoxigraph.Store()
    store.load(text.encode("utf-8"), format=RdfFormat.N_TRIPLES)
    kept = store.dump(format=RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph()).decode("utf-8")
    assert sorted(lines(text)) == sorted(lines(kept))
    assert '"0.384"^^' in text and '"2"^^' in text and '"-0.5"^^' in text and '"7"^^' in text and '"x"^^' in text
