"""The metadata's Turtle written a subject's block at a time (plankg.build.turtle_blocks): byte for
byte what rdflib writes of the whole graph, cold, warm, after changes and with a damaged cache;
and rdflib's own writing for the graphs it cannot cut into blocks."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from plankg.build import cache
from plankg.build.turtle_blocks import KIND, NAMES, turtle

EX = Namespace("https://example.org/ns#")
ID = "https://example.org/id/"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / KIND


def rdflib_turtle(g: Graph) -> bytes:
    return g.serialize(format="turtle", encoding="utf-8")


def literal(rng: random.Random) -> Literal:
    text = rng.choice(["計畫", "plan", 'say "hi"', "two\nlines", "back\\slash", "tab\there", "", "a'b", "x" * 70])
    kind = rng.randrange(5)
    if kind == 0:
        return Literal(text, lang=rng.choice(["zh-Hant", "en"]))
    if kind == 1:
        return Literal(rng.randrange(-5, 10 ** 6))
    if kind == 2:
        return Literal(f"2026-12-0{rng.randrange(1, 9)}T00:00:00+00:00", datatype=XSD.dateTime)
    if kind == 3:
        return Literal(rng.random() < 0.5)
    return Literal(text)


def random_graph(rng: random.Random, subjects: int = 40) -> Graph:
    """IRIs with prefixed and unprefixable names, literals of every kind, blank nodes nested up to
    three deep, rdfs:Class members, subjects that are objects of others."""
    g = Graph()
    g.bind("ex", EX)
    nodes = [URIRef(f"{ID}{rng.choice(['a', 'b/c', 'd-e', 'f.g'])}/{n}") for n in range(subjects)] + \
        [EX[f"term{n}"] for n in range(5)]

    def describe(node, depth: int) -> None:
        for _ in range(rng.randrange(1, 5)):
            p = rng.choice([EX.name, EX.part, RDFS.label, RDF.type, EX["has-thing"], EX.size])
            pick = rng.randrange(4)
            if p == RDF.type:
                g.add((node, p, rng.choice([EX.Thing, EX.Other] + ([RDFS.Class] if depth == 0 else []))))
            elif pick == 0 and depth < 3:
                b = BNode()
                g.add((node, p, b))
                describe(b, depth + 1)
            elif pick == 1:
                g.add((node, p, rng.choice(nodes)))
            else:
                g.add((node, p, literal(rng)))

    for node in nodes:
        describe(node, 0)
    return g


@pytest.mark.parametrize("seed", range(12))
def test_blocks_are_rdflibs_file_cold_warm_and_after_changes(folder: Path, seed: int) -> None:
    rng = random.Random(seed)
    g = random_graph(rng)
    expected = rdflib_turtle(g)
    assert turtle(g) == expected  # cold: every block written
    assert any(folder.iterdir())
    assert turtle(g) == expected  # warm: every block taken
    for _ in range(3):  # some subjects change, come or go
        s = rng.choice(sorted(set(g.subjects()) - {s for s in g.subjects() if isinstance(s, BNode)}))
        g.remove((s, None, None))
        g.add((URIRef(f"{ID}new/{rng.randrange(1000)}"), EX.name, literal(rng)))
        g.add((s, EX.size, Literal(rng.randrange(100))))
        assert turtle(g) == rdflib_turtle(g)


def test_the_published_catalog_is_what_rdflib_writes_of_it(built_store, folder: Path) -> None:
    g = Graph().parse(built_store / "metadata" / "catalog.ttl", format="turtle")
    expected = rdflib_turtle(g)
    assert expected.count(b"spdx:checksum [") > 0  # blank nodes written inside their subject's block
    assert turtle(g) == expected and turtle(g) == expected


def test_a_warm_file_is_taken_from_the_cache(folder: Path) -> None:
    g = random_graph(random.Random(99))
    turtle(g)
    [path] = folder.glob("blocks-*.json")
    text = path.read_text(encoding="utf-8")
    assert '<https://example.org/id/' in text
    path.write_text(text.replace(" .\\n", " . # kept\\n"), encoding="utf-8")
    assert b" . # kept\n" in turtle(g)  # what the cache says is what is written


def test_the_prefixed_names_found_before_are_those_written(folder: Path) -> None:
    """A block written again takes each IRI's prefixed name from the names kept beside the blocks
    (finding them is what writing the catalog's dataset block took)."""
    g = random_graph(random.Random(98))
    expected = turtle(g)
    [blocks] = folder.glob("blocks-*.json")
    [names] = folder.glob("names-*.bin")
    kept = cache.read_marshal(names, NAMES)
    key, (name, namespace) = next((k, v) for k, v in sorted(kept.items()) if v[0] and v[0].startswith("ex:"))
    blocks.unlink()  # every block written again
    assert turtle(g) == expected
    cache.write_marshal(names, NAMES, {**kept, key: ["ex:kept" + name[3:], namespace]})
    blocks.unlink()
    assert b" ex:kept" + name[3:].encode() in turtle(g)


@pytest.mark.parametrize("damage", ["", "{", "[]", '{"k": 1}', '{"k": ["x", [["p"]]]}'])
def test_a_damaged_cache_is_written_again(folder: Path, damage: str) -> None:
    g = random_graph(random.Random(3))
    turtle(g)
    for path in folder.iterdir():
        path.write_text(damage, encoding="utf-8")
    assert turtle(g) == rdflib_turtle(g)


def fallback_graphs() -> dict[str, Graph]:
    def base() -> Graph:
        g = Graph()
        g.bind("ex", EX)
        g.add((EX.a, EX.name, Literal("a")))
        return g

    shared, top, listed, unprefixed, cycle, typed = base(), base(), base(), base(), base(), base()
    b = BNode()
    shared.add((EX.a, EX.part, b)), shared.add((EX.c, EX.part, b)), shared.add((b, EX.name, Literal("b")))
    top.add((BNode(), EX.name, Literal("top")))
    lst = BNode()
    listed.add((EX.a, EX.items, lst)), listed.add((lst, RDF.first, EX.x)), listed.add((lst, RDF.rest, RDF.nil))
    unprefixed.add((EX.a, URIRef("https://other.example/p"), Literal("p")))
    x, y = BNode(), BNode()
    cycle.add((x, EX.part, y)), cycle.add((y, EX.part, x))
    c = BNode()
    typed.add((EX.a, EX.part, c)), typed.add((c, RDF.type, RDFS.Class))
    return {"shared": shared, "top": top, "list": listed, "unprefixed predicate": unprefixed, "cycle": cycle,
            "blank class": typed}


@pytest.mark.parametrize("name", sorted(fallback_graphs()))
def test_graphs_not_cut_into_blocks_are_written_by_rdflib_whole(folder: Path, name: str) -> None:
    g = fallback_graphs()[name]
    assert turtle(g) == rdflib_turtle(g)
    assert not folder.exists()  # nothing kept: rdflib wrote it whole


def test_nothing_is_kept_with_caching_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, cache.OFF)
    g = random_graph(random.Random(5))
    assert turtle(g) == rdflib_turtle(g)
