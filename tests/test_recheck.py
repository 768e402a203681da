"""A rebuild validated against the published build (plankg.build.recheck): the graphs that changed
and those whose context they change are validated, under the keys the whole build's validation
gives them; the others keep their recorded keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store
from rdflib import Graph, Literal, Namespace
from rdflib.namespace import RDFS, SKOS

from conftest import SEED
from plankg.build import cache, pipeline, recheck
from plankg.build.checking import CONTEXT_PREDICATES, validate_build
from plankg.build.ntriples import digest, ntriples
from plankg.build.vocab import Vocabularies
from plankg.namespaces import DEFAULT_BASE
from plankg.store import store_info

EX = Namespace("https://example.org/")


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def vocab() -> Vocabularies:
    return Vocabularies.load(DEFAULT_BASE)


def toy(label_of_x: str) -> dict[str, Graph]:
    """A points to x, B says what x is called, C stands apart, D points to C's c, E0 … E5 stand apart."""
    graphs = {str(EX[n]): Graph() for n in [*"ABCD", *(f"E{i}" for i in range(6))]}
    for i in range(6):
        graphs[str(EX[f"E{i}"])].add((EX[f"e{i}"], RDFS.label, Literal(f"e{i}")))
    graphs[str(EX.A)].add((EX.a, RDFS.seeAlso, EX.x))
    graphs[str(EX.B)].add((EX.x, RDFS.label, Literal(label_of_x, lang="zh-Hant")))
    graphs[str(EX.C)].add((EX.c, SKOS.prefLabel, Literal("c")))
    graphs[str(EX.D)].add((EX.d, RDFS.seeAlso, EX.c))
    return graphs


def published(graphs: dict[str, Graph], vocab: Vocabularies) -> recheck.Previous:
    """``graphs`` validated as a whole build and loaded into a store, as a published build."""
    iris = list(graphs)
    validated = validate_build(list(graphs.values()), vocab, DEFAULT_BASE, iris=iris)
    store = Store()
    for iri, g in graphs.items():
        store.load(ntriples(g).encode(), format=RdfFormat.N_TRIPLES, to_graph=NamedNode(iri))
    return recheck.Previous({iri: digest(ntriples(g)) for iri, g in graphs.items()}, dict(zip(iris, validated.keys)),
                            validated.fixed, store)


def test_a_graph_whose_context_changed_is_checked_with_the_keys_of_a_whole_validation(vocab) -> None:
    previous = published(toy("one"), vocab)
    new = toy("two")  # B changed; A points to what B describes; C and D did not change
    iris, texts = list(new), [ntriples(g) for g in new.values()]
    whole = validate_build(list(new.values()), vocab, DEFAULT_BASE, texts, iris=iris)
    found = recheck.contexts(iris, texts, [digest(t) for t in texts], previous,
                             *_fixed_and_predicates(vocab))
    assert found is not None
    assert {iris[i] for i in found.checked} == {str(EX.A), str(EX.B)}
    assert found.kept_key(iris.index(str(EX.C))) == previous.keys[str(EX.C)]
    assert b'"two"@zh-hant' in found.context(iris.index(str(EX.A)))
    rebuilt = validate_build(list(new.values()), vocab, DEFAULT_BASE, texts, iris=iris, previous=previous)
    assert rebuilt.checked == 2 and whole.checked is None
    assert rebuilt.keys == whole.keys
    assert rebuilt.keys[iris.index(str(EX.A))] != previous.keys[str(EX.A)]
    assert rebuilt.report.findings == whole.report.findings


def test_a_graph_that_went_changes_the_context_of_those_pointing_to_it(vocab) -> None:
    previous = published(toy("one"), vocab)
    new = {iri: g for iri, g in toy("one").items() if iri != str(EX.B)}
    iris, texts = list(new), [ntriples(g) for g in new.values()]
    previous = recheck.Previous(previous.digests, previous.keys, previous.fixed, previous.store)
    whole = validate_build(list(new.values()), vocab, DEFAULT_BASE, texts, iris=iris)
    rebuilt = validate_build(list(new.values()), vocab, DEFAULT_BASE, texts, iris=iris, previous=previous)
    assert rebuilt.keys == whole.keys and rebuilt.checked == 1  # A: x is no longer described


def test_the_whole_build_is_validated_when_the_record_cannot_be_relied_on(vocab) -> None:
    previous = published(toy("one"), vocab)
    graphs = toy("one")
    iris, texts = list(graphs), [ntriples(g) for g in graphs.values()]
    args = (iris, texts, [digest(t) for t in texts])
    fixed, predicates = _fixed_and_predicates(vocab)
    assert recheck.contexts(*args, previous, fixed, predicates).checked == set()  # nothing changed
    other = recheck.Previous(previous.digests, previous.keys, "0" * 64, previous.store)
    assert recheck.contexts(*args, other, fixed, predicates) is None  # other shapes, ontology or code
    many = toy("two")
    for name in ("C", "E0", "E1"):  # 4 of 10 changed: above the share
        many[str(EX[name])].add((EX.more, RDFS.label, Literal("more")))
    texts = [ntriples(g) for g in many.values()]
    assert recheck.contexts(iris, texts, [digest(t) for t in texts], previous, fixed, predicates) is None
    unknown = recheck.Previous(previous.digests, {}, previous.fixed, previous.store)
    assert recheck.contexts(*args, unknown, fixed, predicates) is None  # no keys recorded


def test_a_rebuild_records_and_uses_the_keys_a_whole_build_gives(tmp_path: Path) -> None:
    """Three plans, then one's vision changed: the rebuild validates that plan's graph only."""
    text = SEED.read_text(encoding="utf-8")
    plans = [SEED]
    for org in ("勞動部勞工保險局", "勞動部勞動力發展署"):
        plans.append(tmp_path / f"{len(plans)}.txt")
        plans[-1].write_text(text.replace("勞動部", org, 1), encoding="utf-8")
    store = tmp_path / "store"
    pipeline.build(plans, store, DEFAULT_BASE)
    first = _validation(store)
    assert first["rechecked"] is None and len(first["keys"]) >= 6
    plans[-1].write_text(text.replace("勞動部", "勞動部勞動力發展署", 1).replace("更好的勞動力", "更強的勞動力", 1),
                         encoding="utf-8")
    pipeline.build(plans, store, DEFAULT_BASE)
    second = _validation(store)
    assert second["rechecked"] == 1  # the plan's own graph: no name or type it gives changed
    whole = pipeline.compile_sources(pipeline.read_sources(plans), DEFAULT_BASE)
    iris = [m.graph_iri for m in (*whole.mapped, *whole.others)]
    assert second["keys"] == dict(zip(iris, whole.validated.keys))
    changed = {iri for iri in second["keys"] if second["keys"][iri] != first["keys"].get(iri)}
    assert changed == {f"{DEFAULT_BASE}graph/mol-wda/108"}


def _validation(store: Path) -> dict:
    return store_info(store)["metadata"]["validation"]


def _fixed_and_predicates(vocab: Vocabularies) -> tuple[bytes, list[str]]:
    from plankg.build import validation_cache
    from plankg.build.checking import Shared

    fixed = validation_cache.fixed_digest(DEFAULT_BASE) + validation_cache.lines_digest(Shared(vocab).vocabularies)
    return fixed, [str(p) for p in CONTEXT_PREDICATES]
