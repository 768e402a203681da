"""What the VoID statistics read of each graph, kept by content (plankg.build.void_summary): a
summary read back from the cache is the one computed; a damaged one is computed again; the counts
of the summaries are those of the union of the lines, counted as strings."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import OWL, RDF, RDFS

from plankg.build import cache, voidstats
from plankg.build.ntriples import digest, lines, ntriples, split, term
from plankg.build.void_summary import KIND, summaries

EX = Namespace("https://example.org/id/")
LINKED = [f"<{RDFS.seeAlso}>", f"<{OWL.sameAs}>"]
LISTED = [f"<{EX.Plan}>"]


def graphs() -> dict[str, str]:
    """Three graphs that share lines, subjects and objects, with links and typed resources."""
    out = {}
    for n in range(3):
        g = Graph()
        for i in range(40):
            s = EX[f"thing/{(n * 25 + i) % 70}"]  # graphs overlap on some subjects
            g.add((s, RDF.type, EX.Plan if i % 3 == 0 else EX.Other))
            g.add((s, RDFS.label, EX[f"label/{i % 7}"]))
            g.add((s, RDFS.seeAlso, EX[f"thing/{(i * 7) % 70}"]))
            if i % 5 == 0:
                g.add((s, OWL.sameAs, EX[f"same/{n}/{i}"]))
        out[str(EX[f"graph/{n}"])] = ntriples(g)
    return out


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / KIND


def exact(text: dict[str, str]) -> dict:
    """The counts of the union, as strings (what the summaries' hashes stand for)."""
    union = {tuple(split(line)) for t in text.values() for line in lines(t)}
    typed: dict[str, set[str]] = {}
    for s, p, o in union:
        if p == f"<{RDF.type}>":
            typed.setdefault(o, set()).add(s)
    return {"triples": len(union), "subjects": len({s for s, _, _ in union}), "objects": len({o for _, _, o in union}),
            "entities": len({s for s, _, _ in union if s.startswith(f"<{EX}")}),
            "classes": Counter({term(c): len(m) for c, m in typed.items()}),
            "properties": Counter(term(p) for _, p, _ in union)}


def test_the_counts_of_the_summaries_are_those_of_the_union_as_strings():
    text = graphs()
    merge = voidstats.merge(text, str(EX), [EX.Plan])
    assert {k: getattr(merge, k) for k in exact(text)} == exact(text)
    assert sum(t.count("\n") for t in text.values()) > merge.triples  # the graphs do overlap
    plans = {s for t in text.values() for line in lines(t) for s, p, o in [split(line)]
             if p == f"<{RDF.type}>" and o == f"<{EX.Plan}>"}
    assert merge.instances(EX.Plan) == sorted(term(s) for s in plans)
    with pytest.raises(KeyError):
        merge.instances(EX.Other)  # not listed


def test_a_summary_read_back_from_the_cache_is_the_one_computed(folder: Path):
    text = graphs()
    digests = {iri: digest(t) for iri, t in text.items()}
    first = summaries(text, str(EX), LINKED, LISTED, digests)
    assert len(list(folder.glob("*.bin"))) == 3
    stamps = {p: p.stat().st_mtime_ns for p in folder.glob("*.bin")}
    again = summaries(text, str(EX), LINKED, LISTED, digests)
    assert again == first
    assert {p: p.stat().st_mtime_ns for p in folder.glob("*.bin")} == stamps  # read, not written again
    assert voidstats.links(text, [(RDFS.seeAlso, None), (OWL.sameAs, None)], again) == \
        voidstats.links(text, [(RDFS.seeAlso, None), (OWL.sameAs, None)], base=str(EX))
    summaries(text, str(EX), LINKED, [], digests)  # asked for other classes: other entries
    assert len(list(folder.glob("*.bin"))) == 6


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "longer", "header"])
def test_a_damaged_summary_is_computed_again(folder: Path, damage: str):
    text = graphs()
    digests = {iri: digest(t) for iri, t in text.items()}
    first = summaries(text, str(EX), LINKED, LISTED, digests)
    for path in folder.glob("*.bin"):
        data = path.read_bytes()
        path.write_bytes({"empty": b"", "truncated": data[:-5], "garbage": b"\xff" * 40, "longer": data + b"\0" * 8,
                          "header": data[:8] + b"x" + data[9:]}[damage])
    assert summaries(text, str(EX), LINKED, LISTED, digests) == first


def test_nothing_is_kept_without_digests_or_with_caching_off(folder: Path, monkeypatch: pytest.MonkeyPatch):
    text = graphs()
    summaries(text, str(EX), LINKED, LISTED)
    assert not folder.exists()
    monkeypatch.setenv(cache.ENV, cache.OFF)
    summaries(text, str(EX), LINKED, LISTED, {iri: digest(t) for iri, t in text.items()})
    assert not folder.exists()
