"""Alignment weighs by fixed reference statistics (plankg.build.align.statistics), shipped as data:
a plan's alignments must not depend on which other plans a build loads, and the shipped file must
be what the bundled registry gives (else the default build's scores silently change)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from conftest import SEED
from plankg.build import pipeline
from plankg.build.align.statistics import Statistics, of_registry, reference, reference_path
from plankg.build.ntriples import ntriples

BASE = "https://w3id.org/plankg/id/"
MOL = "https://w3id.org/plankg/id/graph/mol/108"
MOL_ALIGNMENT = "https://w3id.org/plankg/id/graph/alignment/mol/108"


def graphs(plans: list[Path]) -> dict[str, str]:
    """Graph IRI → N-Triples of a build of the plan files ``plans`` (no budgets, no laws)."""
    compiled = pipeline.compile_plans(pipeline.read_inputs(plans), BASE)
    assert compiled.report.conforms, compiled.report.text()
    return {m.graph_iri: ntriples(m.graph) for m in (*compiled.mapped, *compiled.others)}


def test_the_shipped_statistics_are_the_bundled_registrys() -> None:
    assert of_registry() == reference(), (
        "data/alignment/reference-statistics.tsv.gz is stale: run scripts/alignment-statistics.py")


def test_the_shipped_file_has_every_kind_of_row() -> None:
    stats = reference()
    assert stats.texts > 5000 and stats.nodes > stats.texts  # budget work plans are nodes, not n-gram texts
    assert stats.ngram_df["勞工"] > 10 and "就業" in stats.ngram_df
    assert any(k.startswith("target-group/") for k in stats.concept_df)
    assert any(k.startswith("policy-domain/") for k in stats.domain_df)
    assert not any(k.startswith("https://") for k in (*stats.concept_df, *stats.domain_df)), "keys are relative"


def test_statistics_round_trip_in_reproducible_bytes() -> None:
    stats = reference()
    data = stats.dumps()
    assert data == stats.dumps() == reference_path().read_bytes()
    assert Statistics.loads(data, "x") == stats


def test_an_unknown_row_kind_is_named_with_its_line() -> None:
    data = gzip.compress("# comment\ntexts\t\t1\nnodes\t\t1\nbigram\t勞工\t3\n".encode())
    with pytest.raises(ValueError, match=r"f\.tsv\.gz, line 4: unknown row kind 'bigram'"):
        Statistics.loads(data, "f.tsv.gz")


def test_adding_a_plan_changes_no_score_of_another(tmp_path: Path) -> None:
    """Learnt from each build's own plans, the weights moved when a plan was added, and with them
    every score of the Ministry of Labor's alignments."""
    other = tmp_path / "bli-108.txt"  # the seed's text under an agency of the ministry's
    other.write_text(SEED.read_text(encoding="utf-8").replace("勞動部", "勞動部勞工保險局", 1), encoding="utf-8")
    alone, together = graphs([SEED]), graphs([SEED, other])
    assert len(together) > len(alone)
    assert together[MOL_ALIGNMENT] == alone[MOL_ALIGNMENT]
    assert together[MOL] == alone[MOL]
    assert "plan:score" in alone[MOL_ALIGNMENT] or "#score>" in alone[MOL_ALIGNMENT]
