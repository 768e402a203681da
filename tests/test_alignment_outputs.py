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
from plankg.errors import PlanKGError
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
    old = plan.plan.rsplit("/", 1)[0]  # B{org}
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
    return ([(g.graph_iri, g.ntriples(), g.kind, g.counts, g.warnings) for g in result.graphs],
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
    files = list((folder / KIND).glob("*.nt"))  # each plan's output, under its candidates and its rankings
    assert len(files) == 4 and len({p.stat().st_ino for p in files}) == 2
    assert any(g.startswith(f"{DEFAULT_BASE}graph/links/alignment/") for g, *_ in first[0])
    stamps = {p: p.stat().st_mtime_ns for p in (folder / KIND).iterdir()}
    shutil.rmtree(folder / MEMO)  # the rankings: a plan taken whole reads none, and ranks none
    again = aligned(seed, plans)
    assert published(again) == first
    assert all(g.known_digest == digest(g.ntriples()) for g in again.graphs)  # what the store's reuse goes by
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


@pytest.mark.parametrize("damage", ["empty", "not json", "short", "longer", "plain"])
def test_a_damaged_output_is_aligned_again(seed, folder: Path, damage: str):
    plans = [seed[1], another(seed[1], "勞動部勞動力發展署", "wda", drop=2)]
    first = published(aligned(seed, plans))
    files = {p.stat().st_ino: p for p in (folder / KIND).glob("*.nt")}  # an output's two names are one file
    for path in files.values():
        text = path.read_text(encoding="utf-8")
        path.write_text({"empty": "", "not json": "{" + text, "short": text[:-20], "longer": text + "x .\n",
                         "plain": text.replace('"plain": [', '"plain": [["a"], ', 1)}[damage], encoding="utf-8")
    again = aligned(seed, plans)
    assert published(again) == first
    assert all(g.known_digest == digest(g.ntriples()) for g in again.graphs)  # what the store's reuse goes by


def test_an_output_changed_in_place_is_an_error_when_its_lines_are_read_and_is_aligned_again_after(seed, folder: Path):
    """An output's lines are read only when asked for (plankg.build.lines): one changed in place
    (same size) is found then, by its CRC-32, emptied under both its names, and made again by the next run."""
    plans = [seed[1], another(seed[1], "勞動部勞動力發展署", "wda", drop=2)]
    first = published(aligned(seed, plans))
    path = sorted((folder / KIND).glob("*.nt"))[0]
    data = path.read_bytes()
    path.write_bytes(data[:-5] + (b"X" if data[-5:-4] != b"X" else b"Y") + data[-4:])
    again = aligned(seed, plans)  # taken by their first lines: nothing read yet
    with pytest.raises(PlanKGError, match="changed since it was written"):
        published(again)
    assert [p.stat().st_size for p in (folder / KIND).glob("*.nt") if p.samefile(path)] == [0, 0]  # both names
    assert published(aligned(seed, plans)) == first


def test_a_plan_whose_rankings_a_new_plan_leaves_as_they_were_is_not_written_again(seed, folder: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch):
    """Four copies of the plan under four organisations: each program's three best are its copies. A
    fifth plan whose programs say little (推動業務) is a new candidate of programs of the four, but
    ranks below their copies: the four plans' outputs are found by their rankings and linked under
    their new candidates, and only the fifth plan's output is written."""
    copies = [seed[1]] + [another(seed[1], f"機關{n}", f"org{n}") for n in range(2, 5)]
    weak = another(seed[1], "勞動部職業安全衛生署", "osha", drop=5)
    weak = dataclasses.replace(weak, programs=[dataclasses.replace(n, text="推動業務", label="推動業務")
                                               for n in weak.programs])
    aligned(seed, copies)
    names = set((folder / KIND).glob("*.nt"))
    outputs = {p.stat().st_ino for p in names}
    result = aligned(seed, copies + [weak])
    assert published(result) == fresh(seed, copies + [weak], monkeypatch, folder)
    assert not any("/osha/" in g.ntriples() for g in result.graphs if "/osha/" not in g.graph_iri)  # ranked below the copies
    now = set((folder / KIND).glob("*.nt"))
    assert len({p.stat().st_ino for p in now} - outputs) == 1  # the fifth plan's output
    assert len(now - names) > 2  # and names under the new candidates of plans whose outputs were found by rankings
