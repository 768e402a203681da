"""plankg.build.validate: our split engine (pySHACL core + Oxigraph for SHACL-SPARQL) agrees with pySHACL.

Every invalid fixture of tests/data/shapes is validated both ways; the two must report the same
(severity, focus node) pairs. The readable report names label, path, message and source line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph
from rdflib.namespace import SH

from plankg.build.validate import load_shapes, validate
from plankg.build.vocab import Vocabularies

BASE = "https://w3id.org/plankg/id/"
DATA = Path(__file__).resolve().parent / "data" / "shapes"
VALID = DATA / "valid" / "mol-108-excerpt.ttl"
INVALID = sorted((DATA / "invalid").glob("*.ttl"))
BASE_LINE = re.compile(r"^#\s*base:\s*(\S+)\s*$", re.M)  # an invalid case may name its valid example


def base_of(case: Path) -> Path:
    m = BASE_LINE.search(case.read_text(encoding="utf-8"))
    return DATA / "valid" / m.group(1) if m else VALID


@pytest.fixture(scope="module")
def context():
    vocab = Vocabularies.load(BASE)
    return vocab, load_shapes(BASE)


def data_for(vocab: Vocabularies, *files: Path) -> Graph:
    g = Graph()
    for f in files:
        g.parse(f, format="turtle", publicID=BASE)
    return g + vocab.union


def pyshacl_pairs(data: Graph, ontology: Graph, shapes: Graph) -> set[tuple[str, str]]:
    _, results, _ = pyshacl.validate(data + ontology, shacl_graph=shapes, inference="none", allow_warnings=True)
    return {(str(results.value(r, SH.resultSeverity)).rsplit("#", 1)[-1], str(results.value(r, SH.focusNode)))
            for r in results.objects(None, SH.result)}


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.stem)
def test_both_engines_report_the_same_results(context, case):
    vocab, shapes = context
    data = data_for(vocab, base_of(case), case)
    ours = {(f.severity, f.focus) for f in validate(data, vocab.ontology, shapes).findings}
    assert ours, f"{case.name} should produce at least one result"
    assert ours == pyshacl_pairs(data, vocab.ontology, shapes)


def test_valid_excerpt_conforms(context):
    vocab, shapes = context
    report = validate(data_for(vocab, VALID), vocab.ontology, shapes)
    assert report.conforms and not report.violations


def test_report_names_label_path_message_and_source_line(context):
    vocab, shapes = context
    report = validate(data_for(vocab, VALID, DATA / "invalid" / "program-missing-category.ttl"), vocab.ontology, shapes)
    assert not report.conforms
    line = next(f.render() for f in report.violations if f.path == "plan:category")
    assert line.startswith("Violation: '")
    assert "plan:category" in line and "[" in line and ".txt:" in line, line
