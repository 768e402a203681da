"""Each plan's alignment graphs kept by content (plankg.build.align.outputs): a rebuild takes the
output of a plan whose inputs and candidates did not change, without ranking anything; what it
takes or makes is what aligning with no cache at all gives, when plans are added, changed or removed."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from plankg.build import cache, pipeline
from plankg.build.align import Aligned, align, inputs
from plankg.build.align.memo import KIND as MEMO
from plankg.build.align.nodes import PlanNodes
from plankg.build.align.outputs import KIND
from plankg.build.ntriples import digest
from plankg.build.progress import Stages
from plankg.loaders.model import BudgetDocument
from plankg.namespaces import DEFAULT_BASE


@pytest.fixture(scope="module")
def seed():
    """The bundled registry mapped, not aligned: the vocabularies, the plan's nodes, the budgets and their links."""
    with Stages(None) as stages:
        vocab, _, mapped, others, docs = pipeline._map_sources(pipeline.read_sources(None), DEFAULT_BASE, stages,
                                                               aligned=False)
    links = next(m.graph for m in others if m.graph_iri.endswith("/links/budget"))
    budgets = [d for d in docs if isinstance(d, BudgetDocument)]
    plan = inputs([m.graph for m in mapped], budgets, links, vocab.union, DEFAULT_BASE).plans[0][1]
    return vocab, plan, budgets, links


def another(plan: PlanNodes, org: str, code: str, drop: int = 0) -> PlanNodes:
    """``plan`` as the plan of another organisation (its IRIs under ``code``), less its first ``drop`` programs."""
    old = plan.plan.rsplit("/", 2)[0]  # B plan/{org}
    new = f"{old.rsplit('/', 1)[0]}/{code}"

    def moved(nodes):
        return [dataclasses.replace(n, iri=n.iri.replace(old, new), parent=n.parent.replace(old, new)) for n in nodes]

    return PlanNodes(plan.plan.replace(old, new), org, plan.fiscal_year, moved(plan.strategies),
                     moved(plan.programs[drop:]))


def aligned(seed, plans: list[PlanNodes]) -> Aligned:
    vocab, _, budgets, links = seed
    return align([[p] for p in plans], budgets, links, vocab.union, DEFAULT_BASE)


def published(result: Aligned) -> tuple:
    """What a build publishes of an alignment: each graph's lines, counts and warnings; the plain triples."""
    return ([(g.graph_iri, g.made, g.kind, g.counts, g.warnings) for g in result.graphs],
            {k: sorted(v) for k, v in result.plain.items()})


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def fresh(seed, plans: list[PlanNodes], monkeypatch: pytest.MonkeyPatch, folder: Path) -> tuple:
    """Aligning ``plans`` with caching off."""
    monkeypatch.setenv(cache.ENV, cache.OFF)
    try:
        return published(aligned(seed, plans))
    finally:
        monkeypatch.setenv(cache.ENV, str(folder))


def test_a_second_run_takes_every_plan_without_ranking(seed, folder: Path, monkeypatch: pytest.MonkeyPatch):
    plans = [seed[1], another(seed[1], "勞動部勞動力發展署", "wda", drop=2)]
    first = published(aligned(seed, plans))
    assert len(list((folder / KIND).glob("*.nt"))) == 2
    assert any(g.startswith(f"{DEFAULT_BASE}graph/links/alignment/") for g, *_ in first[0])
    stamps = {p: p.stat().st_mtime_ns for p in (folder / KIND).iterdir()}
    shutil.rmtree(folder / MEMO)  # the rankings: a plan taken whole reads none, and ranks none
    again = aligned(seed, plans)
    assert published(again) == first
    assert all(g.known_digest == digest(g.made) for g in again.graphs)  # what the store's reuse goes by
    assert not (folder / MEMO).exists()
    assert {p: p.stat().st_mtime_ns for p in (folder / KIND).iterdir()} == stamps
    assert first == fresh(seed, plans, monkeypatch, folder)


def test_plans_added_changed_or_removed_give_what_aligning_afresh_gives(seed, folder: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    one, two = seed[1], another(seed[1], "勞動部勞動力發展署", "wda", drop=2)
    three = another(seed[1], "勞動部職業安全衛生署", "osha", drop=5)
    aligned(seed, [one, two])
    for plans in ([one, two, three], [one, three], [two, three, dataclasses.replace(one, programs=one.programs[1:])],
                  [three, one]):
        assert published(aligned(seed, plans)) == fresh(seed, plans, monkeypatch, folder), plans


@pytest.mark.parametrize("damage", ["empty", "not json", "short", "longer", "plain", "changed in place"])
def test_a_damaged_output_is_aligned_again(seed, folder: Path, damage: str):
    plans = [seed[1], another(seed[1], "勞動部勞動力發展署", "wda", drop=2)]
    first = published(aligned(seed, plans))
    for path in (folder / KIND).iterdir():
        text = path.read_text(encoding="utf-8")
        path.write_text({"empty": "", "not json": "{" + text, "short": text[:-20], "longer": text + "x .\n",
                         "plain": text.replace('"plain": [', '"plain": [["a"], ', 1),
                         "changed in place": text[:-5] + ("X" if text[-5] != "X" else "Y") + text[-4:]}[damage],
                        encoding="utf-8")
    again = aligned(seed, plans)
    assert published(again) == first
    assert all(g.known_digest == digest(g.made) for g in again.graphs)  # what the store's reuse goes by
