"""The build's N-Triples (plankg.build.ntriples), the dumps made from them and the VoID counts, against
the straightforward ways they replace: rdflib's serializer, a whole pyoxigraph Dataset canonicalized and
sorted, and Python sets of rdflib terms. Byte for byte, on graphs with the awkward cases."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path

import pyoxigraph
import pytest
from pyoxigraph import CanonicalizationAlgorithm, Dataset, NamedNode, Quad, RdfFormat
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from plankg.build import voidstats
from plankg.build import dumps as dumps_module
from plankg.build.dumps import Dump, make_dumps
from plankg.build.dumps_reuse import PreviousDumps, dumps_format, members_record, previous_dumps
from plankg.build.ntriples import digest, lines, ntriples, split, term
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
    nquads, trig = make_dumps({iri: ntriples(g) for iri, g in sorted(graphs.items())})
    assert (gzip.decompress(nquads.data), gzip.decompress(trig.data)) == reference_dumps(graphs)


def test_dumps_without_blank_nodes():
    graphs = awkward_graphs()
    for g in graphs.values():
        for t in [t for t in g if any(isinstance(x, BNode) for x in t)]:
            g.remove(t)
    nquads, trig = make_dumps({iri: ntriples(g) for iri, g in sorted(graphs.items())})
    assert (gzip.decompress(nquads.data), gzip.decompress(trig.data)) == reference_dumps(graphs)


def test_counts_are_those_of_the_merge_as_oxigraph_terms():
    graphs = awkward_graphs()
    text = {iri: ntriples(g) for iri, g in graphs.items()}
    union = {t for g in graphs.values() for t in g}
    merge = voidstats.merge(text, str(EX), [EX.C])
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


# --- gzip members: one per graph, copied from the previous build's dumps ----------------------

C, D, E, F = (str(EX[f"graph/{n}"]) for n in "cdef")


def gzip_members(data: bytes) -> list[bytes]:
    """The gzip members of ``data``, each decompressed."""
    out = []
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(d.decompress(data))
        assert d.eof, "a truncated member"
        data = d.unused_data
    return out


def graph_texts() -> dict[str, str]:
    """The awkward graphs (blank nodes: never reused), two without blank nodes and an empty one."""
    texts = {iri: ntriples(g) for iri, g in awkward_graphs().items()}
    texts[C] = f'<{EX.x}> <{RDFS.label}> "c" .\n<{EX.y}> <{RDFS.label}> "中文 c" .\n'
    texts[D] = f'<{EX.z}> <{RDFS.label}> "d" .\n'
    texts[E] = ""
    return texts


def write_build(folder: Path, texts: dict[str, str], previous: PreviousDumps | None = None) -> list[Dump]:
    """The dumps of ``texts`` written to ``folder`` with the BUILD.json fields a build records
    (plankg.build.publication)."""
    dumps = make_dumps(dict(sorted(texts.items())), previous)
    for d in dumps:
        (folder / d.path).parent.mkdir(parents=True, exist_ok=True)
        (folder / d.path).write_bytes(d.data)
    metadata = {"dumps": {d.path: {"bytes": d.byte_size, "sha256": d.sha256} for d in dumps},
                "dumps_format": dumps_format(), "dumps_members": members_record(dumps)}
    info = {"metadata": metadata, "digests": {iri: digest(text) for iri, text in texts.items()}}
    (folder / "BUILD.json").write_text(json.dumps(info), encoding="utf-8")
    return dumps


def test_each_graph_is_a_gzip_member_of_its_own():
    texts = graph_texts()
    nquads, trig = make_dumps(dict(sorted(texts.items())))
    order = sorted(texts, key=lambda iri: f"<{iri}>")
    assert [m[0] for m in nquads.members] == [m[0] for m in trig.members] == order
    for dump, head in ((nquads, 0), (trig, 1)):  # TriG's @prefix lines are a member before the graphs'
        members = gzip_members(dump.data)
        assert len(members) == len(texts) + head and b"".join(members) == gzip.decompress(dump.data)
        start = dump.members[0][1]
        assert start == (len(gzip.compress(members[0], 9, mtime=0)) if head else 0)
        assert sum(length for _, _, length in dump.members) == len(dump.data) - start
        for (iri, offset, length), part in zip(dump.members, members[head:]):
            assert gzip.decompress(dump.data[offset:offset + length]) == part
            if dump is nquads:
                assert part.count(b"\n") == texts[iri].count("\n") == part.count(f" <{iri}> .\n".encode())
            else:
                assert part.startswith(f"<{iri}> {{\n".encode()) if texts[iri] else part == b""
        if head:
            assert members[0].startswith(b"@prefix") and b"{" not in members[0]


def test_a_rebuild_copies_the_unchanged_graphs_members_and_compresses_only_the_others(tmp_path, monkeypatch):
    texts = graph_texts()
    first = write_build(tmp_path / "first", texts)
    changed = {**texts, D: texts[D] + f'<{EX.z}> <{RDFS.label}> "d2" .\n', F: f'<{EX.f}> <{RDFS.label}> "f" .\n'}
    fresh = make_dumps(dict(sorted(changed.items())))
    previous = previous_dumps(tmp_path / "first", {iri: digest(t) for iri, t in changed.items()})
    assert previous is not None and previous.graphs == {C, E}  # a and b have blank nodes, d changed, f is new
    compressed: list[bytes] = []
    real = dumps_module._gzip
    monkeypatch.setattr(dumps_module, "_gzip", lambda data: compressed.append(data) or real(data))
    again = write_build(tmp_path / "again", changed, previous)
    assert [d.data for d in again] == [d.data for d in fresh], "not what a full build writes"
    assert len(compressed) == 4 + 1 + 4  # N-Quads of a, b, d and f; TriG's @prefix lines and the same graphs
    assert not any(f"<{C}>".encode() in data for data in compressed)
    for old, new in zip(first, again):
        was, now = ({iri: (offset, length) for iri, offset, length in d.members} for d in (old, new))
        for iri in (C, E):
            (o, n), (o2, n2) = was[iri], now[iri]
            assert new.data[o2:o2 + n2] == old.data[o:o + n]
    assert previous_dumps(tmp_path / "again", {iri: digest(t) for iri, t in changed.items()}).graphs == {C, D, E, F}


def test_the_previous_dumps_are_not_used_unless_they_are_as_recorded(tmp_path):
    texts = graph_texts()
    digests = {iri: digest(t) for iri, t in texts.items()}
    build = tmp_path / "build"
    write_build(build, texts)
    assert previous_dumps(build, digests).graphs == {C, D, E}
    info_file = build / "BUILD.json"
    info = json.loads(info_file.read_text(encoding="utf-8"))
    for broken in ({"dumps_format": "another"}, {"dumps_members": {}},
                   {"dumps_members": {**info["metadata"]["dumps_members"], "dumps/plankg.nq.gz": {C: [1, 10]}}},
                   {"dumps_members": {**info["metadata"]["dumps_members"], "dumps/plankg.nq.gz": {C: [0, 10 ** 9]}}}):
        info_file.write_text(json.dumps({**info, "metadata": {**info["metadata"], **broken}}), encoding="utf-8")
        assert previous_dumps(build, digests) is None, broken
    info_file.write_text(json.dumps(info), encoding="utf-8")
    trig = build / "dumps" / "plankg.trig.gz"
    trig.write_bytes(trig.read_bytes() + gzip.compress(b""))  # not the file the build wrote
    assert previous_dumps(build, digests) is None
    assert previous_dumps(None, digests) is None


def test_a_builds_dumps_read_back_whole_with_gzip_pyoxigraph_and_the_oxigraph_cli(built_store, tmp_path):
    build = built_store.resolve()
    info = json.loads((build / "BUILD.json").read_text(encoding="utf-8"))
    store = pyoxigraph.Store.read_only(str(build))
    meta = "https://w3id.org/plankg/id/graph/meta"
    content = [g.value for g in store.named_graphs() if g.value != meta]
    expected = sum(1 for q in store if q.graph_name.value != meta)
    blank = {q.graph_name.value for q in store
             if isinstance(q.subject, pyoxigraph.BlankNode) or isinstance(q.object, pyoxigraph.BlankNode)}
    assert "https://w3id.org/plankg/ontology" in blank  # its OWL restrictions
    for name, fmt in (("plankg.nq.gz", RdfFormat.N_QUADS), ("plankg.trig.gz", RdfFormat.TRIG)):
        path = build / "dumps" / name
        data = path.read_bytes()
        members = gzip_members(data)
        assert len(members) == len(content) + (fmt == RdfFormat.TRIG)
        assert len(list(pyoxigraph.parse(gzip.decompress(data), fmt))) == expected  # Python's gzip: every member
        if shutil.which("gzip"):
            assert subprocess.run(["gzip", "-dc", str(path)], capture_output=True, check=True).stdout == gzip.decompress(data)
        recorded = info["metadata"]["dumps_members"][f"dumps/{name}"]
        assert sorted(recorded) == sorted(set(content) - blank)  # the members a later build may copy
        head = data[:min(offset for offset, _ in recorded.values())]  # TriG's @prefix lines
        for iri, (offset, length) in recorded.items():  # each member alone holds that graph's quads
            quads = list(pyoxigraph.parse(gzip.decompress(head + data[offset:offset + length]), fmt))
            assert {q.graph_name.value for q in quads} <= {iri}
        cli = Path(sys.executable).with_name("oxigraph")
        if not cli.exists():
            continue
        location = tmp_path / name
        subprocess.run([str(cli), "load", "--location", str(location), "--file", str(path)], check=True,
                       capture_output=True, timeout=300)
        assert len(pyoxigraph.Store.read_only(str(location))) == expected, name
    if not Path(sys.executable).with_name("oxigraph").exists():
        pytest.skip("no oxigraph CLI beside this Python: only Python's gzip and pyoxigraph were checked")


def test_the_counts_cut_lines_as_ntriples_split_does():
    """void_summary cuts each graph's text with one regular expression: the same terms as
    plankg.build.ntriples.split, line by line, on awkward literals (spaces and " ." inside)."""
    from plankg.build.ntriples import lines, split

    text = "".join(ntriples(g) for g in awkward_graphs().values())
    text += '<http://e/s> <http://e/p> "a . b . "@en .\n_:b <http://e/p> "x\\" . y" .\n<http://e/s> <http://e/p> " ." .\n'
    from plankg.build.ntriples import TRIPLE_LINE

    assert [TRIPLE_LINE.fullmatch(line).groups() for line in lines(text)] == [split(line) for line in lines(text)]
    assert TRIPLE_LINE.findall(text) == [split(line) for line in lines(text)]  # one match per line, in order
