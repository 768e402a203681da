"""The graphs of the law index, budgets and budget links kept by content (plankg.build.other_units):
a rebuild takes them from the cache, as the lines mapping them again gives; a damaged file, or
other budgets, are mapped again (a file changed in place, after an error when its lines are read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plankg.build import cache, pipeline
from plankg.build.facts import facts_of_lines
from plankg.build.ntriples import digest
from plankg.build.other_units import KIND
from plankg.errors import PlanKGError
from plankg.namespaces import DEFAULT_BASE


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / KIND


def others(specs) -> dict:
    """Each budget, law and budget-links graph of a build of ``specs``: whether it was mapped in this
    build (its rdflib graph is at hand, not parsed from kept lines), its lines and digest."""
    compiled = pipeline.compile_sources(specs, DEFAULT_BASE)
    assert compiled.report.conforms
    for m in compiled.others:  # what the metadata reads of a graph, kept with it: what its lines say
        assert m.facts is None or m.facts == facts_of_lines(compiled.lines[m.graph_iri]), m.graph_iri
    return {m.graph_iri: (m.kind == "laws" and "graph" in m.__dict__, compiled.lines[m.graph_iri],
                          compiled.digests[m.graph_iri])
            for m in compiled.others if m.kind in ("budget", "laws") or m.graph_iri.endswith("/links/budget")}


def mapped(found: dict) -> bool:
    """Whether the laws graph was mapped (no stage reads a kept one into rdflib)."""
    return any(made for made, _, _ in found.values())


def test_a_rebuild_takes_the_budgets_and_laws_from_the_cache(folder: Path):
    specs = pipeline.read_sources(None)
    cold = others(specs)
    assert mapped(cold) and len(cold) >= 5
    (path,) = folder.glob("*.nt")
    stamp = path.stat().st_mtime_ns
    warm = others(specs)
    assert not mapped(warm) and path.stat().st_mtime_ns == stamp  # read as lines: not mapped, not written
    assert {iri: v[1:] for iri, v in warm.items()} == {iri: v[1:] for iri, v in cold.items()}
    assert all(d == digest(text) for _, text, d in warm.values())
    fewer = [s for s in specs if not (s.kind == "budget" and "2018" in s.name)]
    assert fewer != specs
    assert mapped(others(fewer))  # other budgets: mapped again
    assert len(list(folder.glob("*.nt"))) == 2


@pytest.mark.parametrize("damage", ["empty", "truncated", "changed in place"])
def test_damaged_kept_graphs_are_mapped_again(folder: Path, damage: str):
    specs = pipeline.read_sources(None)
    cold = others(specs)
    (path,) = folder.glob("*.nt")
    text = path.read_text(encoding="utf-8")
    path.write_text({"empty": "", "truncated": text[:-100], "changed in place": text[:-5] + "Z" + text[-4:]}[damage],
                    encoding="utf-8")
    if damage == "changed in place":  # the same size: found when the lines are read (a build reads them to validate)
        with pytest.raises(PlanKGError, match="changed since it was written"):
            others(specs)
        assert path.stat().st_size == 0  # emptied: the next build maps them again
    again = others(specs)
    assert mapped(again)
    assert {iri: v[1:] for iri, v in again.items()} == {iri: v[1:] for iri, v in cold.items()}
