"""Rankings kept by content (plankg.build.align.memo): a rebuild takes what it ranked before from
the cache, gets exactly what ranking again gives, and ranks again whatever changed or cannot be read."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from plankg.build import cache, pipeline
from plankg.build.align import cross_pairs, inputs, plan_pairs, strategy_pairs
from plankg.build.align.combine import rank, scored_pairs
from plankg.build.align.memo import KIND, MARSHALLED, Memo
from plankg.build.align.methods import parameters
from plankg.build.ntriples import lines
from plankg.build.progress import Stages
from plankg.loaders.model import BudgetDocument
from plankg.namespaces import DEFAULT_BASE


@pytest.fixture(scope="module")
def seed():
    """The bundled registry mapped (plans, budgets, laws), not aligned."""
    with Stages(None) as stages:
        vocab, _, mapped, others, docs = pipeline._map_sources(pipeline.read_sources(None), DEFAULT_BASE, stages,
                                                               aligned=False)
    links = next(m.graph for m in others if m.graph_iri.endswith("/links/budget"))
    return vocab, mapped, [d for d in docs if isinstance(d, BudgetDocument)], links


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / KIND


def rankings(seed, memo: Memo | None = None):
    """Every ranking alignment makes of the seed, and the memo that made them."""
    vocab, mapped, budgets, links = seed
    inp = inputs([m.graph for m in mapped], budgets, links, vocab.union, DEFAULT_BASE)
    if memo is not None:
        inp = dataclasses.replace(inp, memo=memo)
    params = parameters(vocab.union, DEFAULT_BASE)
    out = []
    for _, plan in inp.plans:
        with inp.memo.plan(plan.plan):
            out += [strategy_pairs(inp, plan, params), cross_pairs(inp, plan, params), plan_pairs(inp, plan, params)]
    return out, inp


def test_a_second_run_takes_every_ranking_from_the_cache(seed, cache_folder: Path) -> None:
    first, cold = rankings(seed)
    files = {p: p.stat().st_mtime_ns for p in cache_folder.iterdir()}
    second, warm = rankings(seed)
    assert cold.memo.misses > 50 and cold.memo.hits == 0
    assert warm.memo.misses == 0 and warm.memo.hits == cold.memo.misses
    assert second == first  # the same sources, targets, scores, parts, evidence and acceptance
    assert sum(len(pairs) for pairs in first) > 100
    assert {p: p.stat().st_mtime_ns for p in cache_folder.iterdir()} == files, "nothing new: nothing rewritten"


def test_a_changed_node_is_ranked_again(seed, cache_folder: Path) -> None:
    first, cold = rankings(seed)
    vocab, mapped, budgets, links = seed
    inp = inputs([m.graph for m in mapped], budgets, links, vocab.union, DEFAULT_BASE)
    params = parameters(vocab.union, DEFAULT_BASE)
    _, plan = inp.plans[0]
    changed = dataclasses.replace(plan, strategies=[dataclasses.replace(plan.strategies[0], text="職業災害勞工保險")]
                                  + plan.strategies[1:])
    with inp.memo.plan(plan.plan):
        pairs = strategy_pairs(inp, changed, params)
    assert inp.memo.misses == 1 and inp.memo.hits == len(plan.strategies) - 1

    def by_source(pairs):
        return {s.source.iri: [(p.target.iri, p.score) for p in pairs if p.source.iri == s.source.iri] for s in pairs}

    new, old = by_source(pairs), by_source(first[0])
    assert new.pop(plan.strategies[0].iri) != old.pop(plan.strategies[0].iri)
    assert new == old


def test_when_its_targets_change_a_source_scores_only_the_new_ones_and_ranks_as_afresh(seed, cache_folder: Path) -> None:
    """A program ranked against 40 line items, then against 30 of them (reordered) and 10 others:
    the same as ranking afresh, and the 30 come from the kept combined scores (one made
    unbeatable in the file is ranked first)."""
    vocab, mapped, budgets, links = seed
    inp = inputs([m.graph for m in mapped], budgets, links, vocab.union, DEFAULT_BASE)
    params = parameters(vocab.union, DEFAULT_BASE)
    _, plan = inp.plans[0]
    source, items = plan.programs[0], next(iter(inp.items.values()))
    assert len(items) >= 60
    before, after = items[:40], items[10:40][::-1] + items[40:50]
    weights, keep = params.cross_weights, 5

    def ranked(targets):
        with inp.memo.plan(plan.plan):
            return scored_pairs([source], targets, inp.methods, weights, keep, 0.0, 1.0, inp.memo)

    ranked(before)
    misses = inp.memo.misses
    assert ranked(after) == scored_pairs([source], after, inp.methods, weights, keep, 0.0, 1.0)
    assert inp.memo.misses == misses + 1
    assert [s.target for s in ranked(after)] == [s.target for s in rank(source, after, inp.methods, weights, keep)]
    # the kept score of one of the 30 is what the ranking uses: made unbeatable, it ranks first
    path = next(cache_folder.iterdir())
    lowest = ranked(after)[-1].target
    assert lowest in items[10:40]
    short = lowest.digest[:8].hex()
    state = cache.read_marshal(path, MARSHALLED)
    assert any(short in record["totals"] for record in state["totals"].values())
    state["rankings"] = {}
    for record in state["totals"].values():
        if short in record["totals"]:
            record["totals"][short] = 9.0
            assert short in record["kept"]  # its parts and evidence, kept with it
            record["kept"][short][1] = "kept evidence"
    cache.write_marshal(path, MARSHALLED, state)
    first = ranked(after[::-1])[0]
    assert (first.target, first.score, first.evidence) == (lowest, 9.0, "kept evidence")


@pytest.mark.parametrize("damage", [b"not marshal", b"", "a changed byte", {"rankings": {"k": 1}}, {"rankings": [1]},
                                    [], "rows", "totals"])
def test_a_damaged_cache_file_is_ranked_again(seed, cache_folder: Path, damage) -> None:
    first, cold = rankings(seed)
    for path in cache_folder.iterdir():
        if damage == "rows":  # every kept ranking points past its targets
            state = cache.read_marshal(path, MARSHALLED)
            state["rankings"] = {key: [[99999, 0, 1, {}, ""], *rows] for key, rows in state["rankings"].items()}
            cache.write_marshal(path, MARSHALLED, state)
        elif damage == "totals":  # nothing ranked kept, and every kept score of the wrong kind
            state = cache.read_marshal(path, MARSHALLED)
            state["rankings"] = {}
            state["totals"] = {by: {"totals": [1.0], "kept": 2} for by in state["totals"]}
            cache.write_marshal(path, MARSHALLED, state)
        elif damage == "a changed byte":
            data = bytearray(path.read_bytes())
            data[-3] ^= 0x55
            path.write_bytes(bytes(data))
        elif isinstance(damage, bytes):
            path.write_bytes(damage)
        else:
            cache.write_marshal(path, MARSHALLED, damage)
    second, warm = rankings(seed)
    assert second == first
    assert warm.memo.misses == cold.memo.misses


def test_nothing_is_kept_with_caching_off_or_learnt_statistics(seed, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, cache.OFF)
    first, inp = rankings(seed)
    assert inp.memo.folder is None and inp.memo.hits == inp.memo.misses == 0
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    vocab, mapped, budgets, links = seed
    learnt = inputs([m.graph for m in mapped], budgets, links, vocab.union, DEFAULT_BASE, learn=True)
    assert learnt.memo is None
    assert rankings(seed)[0] == first


def test_a_rebuild_with_the_cache_publishes_the_same_graphs(cache_folder: Path) -> None:
    """The whole build of the bundled registry, with an empty cache and then with the one it filled."""
    def build() -> dict[str, str]:
        compiled = pipeline.compile_sources(pipeline.read_sources(None), DEFAULT_BASE)
        assert compiled.report.conforms
        return {iri: sorted(lines(text)) for iri, text in compiled.lines.items()}  # what is published

    cold = build()
    assert any(cache_folder.iterdir())
    assert build() == cold
