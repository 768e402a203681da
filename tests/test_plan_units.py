"""Plans kept by content (plankg.build.plan_units): a rebuild takes each unchanged plan's mapping
from the cache, as plain data equal to what mapping it again gives, and maps again whatever
changed or cannot be read."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from plankg.build import cache, pipeline
from plankg.build.facts import EMPTY, Facts, facts_of, facts_of_lines
from plankg.build.ntriples import digest, lines, ntriples
from plankg.build.plan_units import KIND, KeptPlan, PlanUnit, Units
from plankg.build.progress import Stages
from plankg.build.rdf import MappedPlan
from plankg.build.stats import plan_summary
from plankg.namespaces import DEFAULT_BASE


@pytest.fixture(scope="module")
def specs():
    """The bundled registry with a second plan: the bundled one as the plan of another year."""
    out = pipeline.read_sources(None)
    plan = next(s for s in out if s.kind == "plan")
    text = plan.data.decode("utf-8")
    other = dataclasses.replace(plan, name="other.txt", path="<test>/other.txt",
                                data=text.replace("108 年度", "109 年度", 1).encode("utf-8"))
    return [*out, other]


def mapped(specs) -> list[MappedPlan]:
    """The plans of ``specs`` mapped (alone: the budgets and laws are what keys them, tested below)."""
    with Stages(None) as stages:
        return pipeline._map_sources([s for s in specs if s.kind == "plan"], DEFAULT_BASE, stages, aligned=False)[2]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / KIND


@pytest.fixture(scope="module")
def fresh(specs, tmp_path_factory: pytest.TempPathFactory) -> list[PlanUnit]:
    """Each plan's unit as mapping makes it, with caching off."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(cache.ENV, cache.OFF)
        out = mapped(specs)
    assert len(out) == 2 and all(m._graph is not None for m in out)
    return [m.unit for m in out]


def test_a_rebuild_takes_each_plan_from_the_cache_equal_to_mapping_it(specs, fresh, folder: Path) -> None:
    cold = mapped(specs)
    files = {p: p.stat().st_mtime_ns for p in folder.rglob("*.json")}
    assert len(files) == 2
    warm = mapped(specs)
    assert [m.unit for m in cold] == [m.unit for m in warm] == fresh
    assert all(m._graph is None for m in warm), "read from the cache: no graph made"
    nodes = [n for m in warm for p in m.unit.nodes for n in (*p.strategies, *p.programs)]
    assert nodes and all("digest" in n.__dict__ for n in nodes), "kept with the node, not computed again"
    assert [n.digest for n in nodes] == [dataclasses.replace(n).digest for n in nodes]  # what computing it gives
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*.json")} == files, "nothing rewritten"
    # what the unit says is what the build would have read of the graph: a file changed in place is believed
    path = next(iter(files))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["links"] = 4321
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert 4321 in [m.links for m in mapped(specs)]


def test_a_plan_kept_gives_the_graph_its_lines_say(fresh) -> None:
    for unit in fresh:
        plan = MappedPlan(unit)
        assert sorted(lines(ntriples(plan.graph))) == sorted(lines(unit.lines))
        plan.add([(unit.iri, "https://w3id.org/plankg/ontology#relatedWork", "https://example.org/x")])
        assert plan.ntriples().count("\n") == unit.lines.count("\n") + 1
        assert len(plan.graph) == unit.lines.count("\n") + 1, "the graph read later has the triple added"


def test_each_plan_is_keyed_by_what_it_depends_on(specs, folder: Path) -> None:
    plans = [s for s in specs if s.kind == "plan"]
    keys = [Units.of(specs, DEFAULT_BASE).key(s) for s in plans]
    assert len(set(keys)) == 2
    changed = [dataclasses.replace(plans[1], data=plans[1].data + b"\n")]
    assert Units.of(specs, DEFAULT_BASE).key(changed[0]) not in keys
    budget = next(i for i, s in enumerate(specs) if s.kind == "budget")
    other_budget = [*specs[:budget], dataclasses.replace(specs[budget], data=specs[budget].data + b"\n"),
                    *specs[budget + 1:]]
    assert not {Units.of(other_budget, DEFAULT_BASE).key(s) for s in plans} & set(keys), "another source: all"
    assert not {Units.of(specs, "https://example.org/id/").key(s) for s in plans} & set(keys), "another base: all"


DAMAGES = ["{", "[]", '{"lines": 5}', "null", "{}", '{"iri": 1, "graph_iri": [], "links": "x", "lines": ""}']


def test_a_damaged_file_is_mapped_again(specs, fresh, folder: Path) -> None:
    plans = [s for s in specs if s.kind == "plan"]
    units = Units.of(plans, DEFAULT_BASE)  # as mapped() keys them
    key = units.key(plans[0])
    units.put(key, fresh[0])
    assert units.get(key) == fresh[0]
    path = next(folder.rglob("*.json"))
    text = path.read_text(encoding="utf-8")
    for damage in DAMAGES:
        path.write_text(damage, encoding="utf-8")
        assert units.get(key) is None, damage
    path.write_text(text, encoding="utf-8")
    assert units.get(key) == fresh[0]
    lines = path.with_suffix(".nt")
    for damage in ("", fresh[0].lines[:-1], fresh[0].lines + "<a> <b> <c> .\n"):  # the lines cut, or grown
        lines.write_text(damage, encoding="utf-8")
        assert units.get(key) is None
    lines.unlink()
    assert units.get(key) is None
    mapped(specs)  # fills the cache
    for path in folder.rglob("*.json"):
        path.write_text(DAMAGES[0], encoding="utf-8")
    again = mapped(specs)
    assert [m.unit for m in again] == fresh and all(m._graph is not None for m in again)
    assert [units.get(units.key(s)) for s in plans] == fresh  # written again


def test_nothing_is_kept_with_caching_off(specs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, cache.OFF)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    mapped(specs)
    assert not any(tmp_path.iterdir())


def test_facts_go_to_json_and_back_and_are_read_from_lines_alike(fresh) -> None:
    for unit in fresh:
        assert Facts.from_json(json.loads(json.dumps(unit.facts.to_json()))) == unit.facts
        assert facts_of_lines(unit.lines) == unit.facts
    plain = "".join(line + "\n" for line in lines(fresh[0].lines) if "fiscalYear" not in line and "prefLabel" not in line
                    and "wasDerivedFrom" not in line and "#type>" not in line)
    assert facts_of_lines(plain) is EMPTY and facts_of(MappedPlan(dataclasses.replace(fresh[0], lines=plain)).graph) == EMPTY
    assert fresh[0].facts.years == (2019,) and 2020 in fresh[1].facts.years  # (and the years of what it follows)
    assert all(len(u.facts.sources) == 1 and u.facts.titles for u in fresh)


def test_a_plans_digest_is_kept_by_the_lines_added_to_it(specs, folder: Path) -> None:
    """The digest of a plan's lines with alignment's added, kept beside its unit: equal to digesting
    them, taken from the file when the unit's lines have the size it recorded, else digested again."""
    added = [("https://w3id.org/plankg/id/mol/108", "https://w3id.org/plankg/ontology#relatedWork",
              "https://w3id.org/plankg/id/x")]
    cold = mapped(specs)
    for m in cold:
        m.add(added)
    assert [m.digest() for m in cold] == [digest(m.ntriples()) for m in cold]
    kept = sorted(folder.rglob("*.digests.json"))
    assert len(kept) == 2
    warm = mapped(specs)
    for m in warm:
        m.add(added)
    assert [m.digest() for m in warm] == [digest(m.ntriples()) for m in warm]
    bare = mapped(specs)  # no lines added: another digest, kept beside the first
    assert [m.digest() for m in bare] == [digest(m.ntriples()) for m in bare] != [m.digest() for m in warm]
    # what the file says is what a rebuild takes, while the size matches
    for path in kept:
        known = json.loads(path.read_text(encoding="utf-8"))
        assert len(known) == 2
        path.write_text(json.dumps({by: ["0" * 64, size] for by, (_, size) in known.items()}), encoding="utf-8")
    taken = mapped(specs)
    assert {m.digest() for m in taken} == {"0" * 64}
    for path in kept:
        known = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({by: [d, size + 1] for by, (d, size) in known.items()}), encoding="utf-8")
    again = mapped(specs)
    assert [m.digest() for m in again] == [digest(m.ntriples()) for m in again]


def read_plans(specs) -> list:
    """What the parse stage gives for the plans of ``specs``: a plan, or a KeptPlan not read yet."""
    with Stages(None) as stages:
        return [p for _, p in pipeline._map_sources([s for s in specs if s.kind == "plan"], DEFAULT_BASE, stages,
                                                    aligned=False)[1]]


def test_a_kept_plan_is_not_read_unless_its_unit_cannot_be(specs, fresh, folder: Path) -> None:
    cold = read_plans(specs)
    assert not any(isinstance(p, KeptPlan) for p in cold)
    warm = read_plans(specs)
    assert all(isinstance(p, KeptPlan) and "plan" not in vars(p) for p in warm)  # never read
    assert [p.title for p in warm] == [p.title for p in cold]  # read when asked for
    assert [m.unit.title for m in mapped(specs)] == [p.title for p in cold]
    assert [m.unit.summary for m in mapped(specs)] == [plan_summary(p) for p in cold]
    for path in folder.rglob("*.json"):
        if not path.name.endswith(".digests.json"):
            path.write_text(DAMAGES[0], encoding="utf-8")
    with Stages(None) as stages:
        _, plans, again, *_ = pipeline._map_sources([s for s in specs if s.kind == "plan"], DEFAULT_BASE, stages,
                                                    aligned=False)
    assert all(isinstance(p, KeptPlan) and "plan" in vars(p) for _, p in plans)  # read, to be mapped again
    assert [m.unit for m in again] == fresh
