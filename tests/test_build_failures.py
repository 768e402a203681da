"""Bad input and non-conforming graphs never reach the published store."""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph
import pytest

from conftest import SEED, run_plankg

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture()
def published(tmp_path) -> Path:
    store = tmp_path / "store"
    run_plankg("build", "--store", str(store), str(SEED), check=True)
    return store


def snapshot(store: Path) -> tuple[str, str]:
    """What a reader sees: the build the store points at, and the quad count."""
    count = run_plankg("query", "--store", str(store), COUNT, check=True).stdout.split()[1]
    return os.readlink(store), count


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


SEED_TEXT = SEED.read_text(encoding="utf-8")
SEED_LINES = SEED_TEXT.splitlines()


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, int | None, str]]:
    """name → (file, expected line or None, expected words in the message)."""
    cut_table = "\n".join(SEED_LINES[:112]) + "\n"  # ends on the row cut by a page break
    gap = SEED_TEXT.replace("三、推動公平的集體勞資關係", "四、推動公平的集體勞資關係", 1)
    bad_cat = SEED_TEXT.replace("\t社會發展\t以多元管道", "\t社會福利\t以多元管道", 1)
    cells = SEED_TEXT.replace("提升國民勞動權觀念\t社會發展\t", "提升國民勞動權觀念\t", 1)
    return {
        "empty": (write(tmp_path, "empty.txt", ""), None, "empty"),
        "truncated": (write(tmp_path, "cut.txt", cut_table), None, ""),
        "numbering gap": (write(tmp_path, "gap.txt", gap), 29, ""),
        "unknown category": (write(tmp_path, "cat.txt", bad_cat), 104, "社會福利"),
        "wrong cell count": (write(tmp_path, "cells.txt", cells), 104, ""),
        "missing file": (tmp_path / "nope.txt", None, "no such file"),
    }


@pytest.mark.parametrize("case", ["empty", "truncated", "numbering gap", "unknown category", "wrong cell count", "missing file"])
def test_bad_input_is_a_one_line_error_and_the_store_is_untouched(published, tmp_path, case):
    before = snapshot(published)
    path, line, words = bad_inputs(tmp_path)[case]
    proc = run_plankg("build", "--no-progress", "--store", str(published), str(path))  # stderr: the error alone
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert err.startswith(f"plankg: error: {path}")
    if line is not None:
        assert err.startswith(f"plankg: error: {path}:{line}:"), err
    assert words in err
    assert snapshot(published) == before


def test_non_utf8_plan_names_file_and_line(published, tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes("勞動部 108 年度施政計畫\n".encode() + "\n\xe9t\xe9\n".encode("latin-1"))
    before = snapshot(published)
    proc = run_plankg("build", "--no-progress", "--store", str(published), str(p))
    assert proc.returncode == 2 and proc.stderr.startswith(f"plankg: error: {p}:3: expected UTF-8 text")
    assert snapshot(published) == before


YEAR_ZERO = SEED_TEXT.replace("勞動部 108 年度施政計畫", "勞動部 0 年度施政計畫", 1)  # the shapes want a ROC year ≥ 1


def test_graph_violating_the_shapes_is_not_published(published, tmp_path):
    p = write(tmp_path, "year-zero.txt", YEAR_ZERO)
    before = snapshot(published)
    proc = run_plankg("build", "--store", str(published), str(p))
    assert proc.returncode == 1
    assert "Violation: '勞動部 0 年度施政計畫'" in proc.stderr and "plan:rocYear" in proc.stderr
    assert snapshot(published) == before


def test_a_work_plan_no_mapping_covers_is_a_warning_and_the_plan_is_published(published, tmp_path):
    p = write(tmp_path, "renamed.txt", SEED_TEXT.replace("綜合規劃業務\t", "綜合規劃業務甲\t", 1))
    proc = run_plankg("build", "--store", str(published), str(p))
    assert proc.returncode == 0
    assert "Warning: '綜合規劃業務甲'" in proc.stderr and "renamed.txt:96" in proc.stderr  # the node's source line
    assert "no plan:responsibleUnit" in proc.stderr


def test_validate_reports_violations_with_exit_1(tmp_path):
    p = write(tmp_path, "year-zero.txt", YEAR_ZERO)
    proc = run_plankg("validate", str(p))
    assert proc.returncode == 1 and "Violation" in proc.stdout


def test_iris_are_stable_across_rebuilds(tmp_path):
    q = "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) } ORDER BY ?s"
    a, b = tmp_path / "a", tmp_path / "b"
    fixed_time = {"SOURCE_DATE_EPOCH": "1700000000"}  # the metadata graph records the build date
    run_plankg("build", "--store", str(a), str(SEED), env=fixed_time, check=True)
    run_plankg("build", "--store", str(b), str(SEED), env=fixed_time, check=True)
    run_plankg("build", "--store", str(b), str(SEED), env=fixed_time, check=True)  # a rebuild of the same store
    first = run_plankg("query", "--store", str(a), "--format", "tsv", q, check=True).stdout
    second = run_plankg("query", "--store", str(b), "--format", "tsv", q, check=True).stdout
    assert first == second
    assert "<https://w3id.org/plankg/id/mol/108/goal/1/strategy/2>" in first.splitlines()
    # Whole dumps are equal once blank-node labels (OWL lists in the ontology) are canonicalised.
    dumps = []
    for s in (a, b):
        ds = pyoxigraph.Dataset(pyoxigraph.parse(run_plankg("export", "--store", str(s), check=True).stdout.encode(),
                                                 pyoxigraph.RdfFormat.N_QUADS))
        ds.canonicalize(pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0)
        dumps.append(sorted(str(q) for q in ds))
    assert dumps[0] == dumps[1] and len(dumps[0]) > 5000
