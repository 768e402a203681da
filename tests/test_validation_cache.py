"""Validation reports kept by content: a graph validated before is not validated again, and any
change to what the report depends on validates it afresh."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from conftest import SEED
from plankg.build import checking, validation_cache
from plankg.build.pipeline import compile_plans, read_inputs
from plankg.build.vocab import Vocabularies

BASE = "https://example.org/id/"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv(validation_cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / validation_cache.SUBDIR


@pytest.fixture(scope="module")
def plan_graph():
    return compile_plans(read_inputs([SEED]), BASE).mapped[0].graph


def count_validations(monkeypatch) -> list[int]:
    calls = [0]
    real = checking.validate_view

    def counted(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(checking, "validate_view", counted)
    monkeypatch.setattr(checking, "VALIDATION_PROCESSES_MAX", 1)  # in this process, so the count is seen
    return calls


def test_a_graph_validated_before_is_not_validated_again(cache: Path, plan_graph, monkeypatch) -> None:
    vocab = Vocabularies.load(BASE)
    calls = count_validations(monkeypatch)
    first = checking.validate_graphs([plan_graph], vocab, BASE)
    assert calls[0] == 1 and len(list(cache.glob("*.json"))) == 1
    again = checking.validate_graphs([plan_graph], vocab, BASE)
    assert calls[0] == 1 and again.findings == first.findings and first.conforms


def test_a_changed_graph_is_validated_afresh_and_its_violations_reported(cache: Path, plan_graph, monkeypatch) -> None:
    vocab = Vocabularies.load(BASE)
    calls = count_validations(monkeypatch)
    checking.validate_graphs([plan_graph], vocab, BASE)
    broken = plan_graph + plan_graph  # a copy
    broken.add((URIRef(BASE + "mol/108/goal/1"), URIRef("https://w3id.org/plankg/ontology#ordinal"), Literal("one")))
    report = checking.validate_graphs([broken], vocab, BASE)
    assert calls[0] == 2 and not report.conforms
    assert any(f.focus == BASE + "mol/108/goal/1" for f in report.violations)
    assert not checking.validate_graphs([broken], vocab, BASE).conforms and calls[0] == 2  # kept, violations too


def test_another_base_is_another_key(cache: Path, plan_graph) -> None:
    assert validation_cache.fixed_digest(BASE) != validation_cache.fixed_digest("https://example.org/other/")


def test_the_cache_can_be_switched_off(tmp_path: Path, plan_graph, monkeypatch) -> None:
    monkeypatch.setenv(validation_cache.ENV, validation_cache.OFF)
    vocab = Vocabularies.load(BASE)
    calls = count_validations(monkeypatch)
    checking.validate_graphs([plan_graph], vocab, BASE)
    checking.validate_graphs([plan_graph], vocab, BASE)
    assert calls[0] == 2 and validation_cache.cache_dir() is None


def test_an_unreadable_cache_entry_is_validated_again(cache: Path, plan_graph, monkeypatch) -> None:
    vocab = Vocabularies.load(BASE)
    calls = count_validations(monkeypatch)
    checking.validate_graphs([plan_graph], vocab, BASE)
    [entry] = cache.glob("*.json")
    entry.write_text("{not json", encoding="utf-8")
    assert checking.validate_graphs([plan_graph], vocab, BASE).conforms and calls[0] == 2
