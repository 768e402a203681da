"""plankg.build.lines: the lines of graphs kept in the cache are read only when something needs them.

A rebuild that changes nothing validates, dumps and loads nothing: every kept graph's lines
(plan units, alignment outputs, the budgets' and laws' graphs) stay unread, and what it publishes
is what the first build published. A kept file whose lines do not match what was announced is
an error when they are read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT
from plankg.build import cache
from plankg.build.lines import Deferred, Lines, Texts, count_of, reordered, size_of, sizes, text_of, triples
from plankg.build.pipeline import build
from plankg.errors import PlanKGError
from plankg.namespaces import DEFAULT_BASE
from plankg.store.builddir import BUILD_INFO

TEXT = "<a> <b> <c> .\n<a> <b> \"臺灣\" .\n"


def counted(text: str) -> tuple[Deferred, list[int]]:
    reads = []

    def read() -> str:
        reads.append(1)
        return text

    return Deferred(len(TEXT), TEXT.count("\n"), read, "a test file"), reads


def test_a_deferred_text_is_read_once_and_only_when_asked_for():
    lines, reads = counted(TEXT)
    assert (size_of(lines), count_of(lines), reads) == (len(TEXT), 2, [])
    assert text_of(lines) == TEXT and lines.text() == TEXT and reads == [1]
    assert lines == TEXT and TEXT == lines


@pytest.mark.parametrize("read", [TEXT[:-1], TEXT + "<x> <y> <z> .\n", TEXT.replace("\n", " ", 1) + "\n"])
def test_lines_other_than_announced_are_an_error_naming_them(read: str):
    lines, _ = counted(read)
    with pytest.raises(PlanKGError, match="the lines kept in a test file changed since they were written"):
        lines.text()


def test_lines_added_to_deferred_lines_stay_unread():
    lines, reads = counted(TEXT)
    longer = lines + "<d> <e> <f> .\n"
    assert (size_of(longer), count_of(longer), reads) == (len(TEXT) + 14, 3, [])
    assert longer.text() == TEXT + "<d> <e> <f> .\n" and reads == [1]


def test_a_mapping_of_lines_counts_and_orders_without_reading():
    first, reads = counted(TEXT)
    lines = Lines({"g1": first, "g2": "<a> <b> <c> .\n"})
    assert (lines.size("g1"), triples(lines, "g1"), triples(lines, "g2"), reads) == (len(TEXT), 2, 1, [])
    texts = lines.ordered(["g2", "g1"])
    assert isinstance(texts, Texts) and sizes(texts) == [14, len(TEXT)] and not lines.read("g1")
    back = reordered(texts, [1, 0])
    assert list(back.iris) == ["g1", "g2"] and reads == []
    assert back[0] == TEXT and lines.read("g1") and reads == [1]
    assert dict(lines) == {"g1": TEXT, "g2": "<a> <b> <c> .\n"}


def test_a_rebuild_that_changes_nothing_reads_no_kept_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The shipped registry (a plan, the budgets, the law index) built twice with a cache: the
    second build takes the plan's unit, its alignment and the budgets' and laws' graphs from the
    cache and reads none of their lines but those alignment reads; it publishes the same graphs and dumps."""
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    store = tmp_path / "store"
    registry = ROOT / "data" / "registry.toml"
    build(None, store, DEFAULT_BASE, registry_file=registry)
    first = json.loads((store / BUILD_INFO).read_text(encoding="utf-8"))
    compiled, _ = build(None, store, DEFAULT_BASE, registry_file=registry)
    again = json.loads((store / BUILD_INFO).read_text(encoding="utf-8"))
    kept = [iri for iri in compiled.lines if isinstance(compiled.lines.raw(iri), Deferred)]
    assert len(kept) >= 6 and {"plans", "alignment", "laws"} <= {_kind(iri) for iri in kept}, kept
    # but the budget links, which alignment reads its line items from (plankg.build.align.nodes)
    assert [iri for iri in kept if compiled.lines.read(iri)] == [f"{DEFAULT_BASE}graph/links/budget"]
    assert again["metadata"]["load"]["mode"] == "incremental"
    assert again["graphs"] == first["graphs"]
    # all but the metadata (the build's time) and the ontology (blank nodes, labelled afresh by each parse)
    changed = {iri for iri in first["digests"] if again["digests"][iri] != first["digests"][iri]}
    assert changed == {f"{DEFAULT_BASE}graph/meta", "https://w3id.org/plankg/ontology"}
    numbers = compiled.triples()  # of the kept graphs too, unread
    assert len(numbers) >= 20 and numbers == {iri: first["graphs"][iri] for iri in numbers}


def _kind(iri: str) -> str:
    rest = iri.removeprefix(f"{DEFAULT_BASE}graph/")
    return "laws" if rest == "laws" else "alignment" if "alignment" in rest else "plans" if rest.count("/") == 1 \
        else rest.split("/")[0]
