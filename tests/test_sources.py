"""The registry of sources: the bundled one lists everything the main build loads; a bad one
is refused naming the registry file, the line of the entry and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdflib import Literal, URIRef

from conftest import SEED, run_plankg
from plankg.build.sources import read_registry
from plankg.errors import InputError

GOOD_PLAN = f'[[plan]]\nfile = "{SEED}"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_registry_lists_the_plan_three_budgets_and_the_law_index() -> None:
    specs = read_registry()
    assert [s.kind for s in specs] == ["plan", "budget", "budget", "budget", "laws"]
    assert [(s.options["year"], s.options["stage"]) for s in specs if s.kind == "budget"] == [
        (2019, "enacted"), (2019, "proposed"), (2018, "enacted")]
    laws = specs[-1]
    assert laws.data[:2] == b"\x1f\x8b" and len(laws.extra) == 1  # the index, gzipped, and the MOL details
    assert all(s.data for s in specs)


def test_paths_are_relative_to_the_registry_not_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "p.txt").write_bytes(SEED.read_bytes())
    [spec] = read_registry(write(tmp_path, '[[plan]]\nfile = "plans/p.txt"\nvariant = "plan-text"\n'))
    assert spec.name == "p.txt" and spec.data == SEED.read_bytes() and spec.options == {"variant": "plan-text"}


@pytest.mark.parametrize(("text", "line", "expected"), [
    (GOOD_PLAN + '\n[[budget]]\nfile = "nowhere.csv"\nyear = 2019\nstage = "enacted"\n', 4,
     "file 'nowhere.csv': no such file"),
    (GOOD_PLAN + '\n[[budget]]\nfile = "x.csv"\nyear = 2019\n', 4, "[budget] entry lacks stage"),
    (GOOD_PLAN + '\n[[budget]]\nfile = "x.csv"\nyear = 108\nstage = "enacted"\n', 4,
     "year must be a Gregorian year such as 2019, not 108"),
    (GOOD_PLAN + '\n[[budget]]\nfile = "x.csv"\nyear = 2019\nstage = "draft"\n', 4,
     "stage must be one of proposed, enacted, not 'draft'"),
    (GOOD_PLAN + '\n[[plan]]\nfile = "x.txt"\nloader = "plan-text"\n', 4, "unknown key(s) loader"),
    (GOOD_PLAN + '\n[[treaty]]\nfile = "x.txt"\n', 4, "unknown source kind 'treaty'"),
    (GOOD_PLAN + '\n[[laws]]\nindex = "a"\n[[laws]]\nindex = "b"\n', 6, "the law index is given twice"),
    ('[[plan]]\nfile = "x.txt\n', 2, "not valid TOML"),
    # found by tests/test_fuzz_loaders.py: a registry cut short named no line ("(at end of document)")
    ('[[plan]]\nfile = "x.txt', 2, "not valid TOML: Unterminated string at the end of the file"),
    ('[[plan]]\nfile =\n\n', 2, "not valid TOML: Invalid value"),
    ('[[plan]]\nfile', 2, "not valid TOML: Expected '=' after a key in a key/value pair at the end of the file"),
    ("# nothing\n", None, "lists no source"),
    # found by tests/test_fuzz_loaders.py (/proc/self/mem) and while writing it: tracebacks (OSError, ValueError)
    ('[[plan]]\nfile = "/proc/self/mem"\n', 1, "file '/proc/self/mem': cannot be read (Input/output error)"),
    ('[[plan]]\nfile = "plans/\\u0000x"\n', 1, "file 'plans/\\x00x': expected a file path, found a NUL character"),
    ('[[plan]]\nfile = "' + "x" * 300 + '"\n', 1, "cannot be read (File name too long)"),
    # found by tests/test_fuzz_loaders.py: a top-level key named no line
    ('file = ""\n' + GOOD_PLAN, 1, "unknown source kind 'file'"),
    ('# a plan\nplan = 1\n', 2, "[plan] must be a table of keys"),
    (f'plan = [{{file = "{SEED}"}},\n  {{file = 2}}]\n', 1, "file must be a file path"),
])
def test_a_bad_registry_names_the_file_the_line_and_what_was_expected(tmp_path: Path, text: str, line, expected: str):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        read_registry(path)
    assert caught.value.file == str(path) and caught.value.line == line
    assert expected in str(caught.value)


@pytest.mark.parametrize(("data", "line", "expected"), [
    # found by tests/test_fuzz_loaders.py: the registry saved as UTF-16 was "cannot read the registry:
    # UnicodeDecodeError", naming no line and not saying what was expected
    (GOOD_PLAN.encode("utf-16"), 1, "expected UTF-8 text, found byte 0xFF (offset 0)"),
    ('[[plan]]\nfile = "勞動.txt"\n'.encode("big5"), 2, "expected UTF-8 text, found byte 0xB3"),
])
def test_a_registry_not_in_utf8_names_the_line_and_what_was_expected(tmp_path: Path, data: bytes, line, expected):
    path = tmp_path / "registry.toml"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        read_registry(path)
    assert (caught.value.file, caught.value.line) == (str(path), line) and expected in str(caught.value)


def test_a_registry_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "registry.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_PLAN.encode("utf-8"))
    assert [s.kind for s in read_registry(path)] == ["plan"]


def test_a_missing_registry_is_exit_2_and_leaves_the_published_store_untouched(tmp_path: Path) -> None:
    store = tmp_path / "store"
    run_plankg("build", "--store", str(store), str(SEED), check=True)
    before = sorted(p.name for p in store.resolve().parent.iterdir())
    proc = run_plankg("build", "--store", str(store), "--registry", str(tmp_path / "none.toml"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"plankg: error: {tmp_path / 'none.toml'}: no such registry file" in proc.stderr
    assert sorted(p.name for p in store.resolve().parent.iterdir()) == before


def test_plan_files_and_a_registry_together_are_refused(tmp_path: Path) -> None:
    proc = run_plankg("build", "--store", str(tmp_path / "s"), "--registry", str(write(tmp_path, GOOD_PLAN)), str(SEED))
    assert proc.returncode == 2 and "give plan files or a registry, not both" in proc.stderr


def test_a_plan_of_a_year_without_a_work_plan_mapping_builds_with_warnings(tmp_path: Path) -> None:
    """The seed as a ROC 109 plan: no unit or budget mapping exists for 109, which the build
    reports as warnings, not violations."""
    from plankg.build import pipeline

    later = tmp_path / "mol-109.txt"
    later.write_text(SEED.read_text(encoding="utf-8").replace("108", "109"), encoding="utf-8")
    registry = write(tmp_path, f'[[plan]]\nfile = "{SEED}"\n\n[[plan]]\nfile = "{later}"\n')
    compiled = pipeline.compile_sources(read_registry(registry), "https://example.org/id/")
    assert compiled.report.conforms
    assert [p.roc_year for p in compiled.plans] == [108, 109]
    unmapped = {f.focus for f in compiled.report.warnings if "no plan:responsibleUnit" in f.message}
    assert len(unmapped) == 11 and all("/109/work-plan/" in iri for iri in unmapped)


def test_any_agency_of_a_loaded_budget_may_publish_a_plan(tmp_path: Path) -> None:
    """A plan of 交通部, which organisations.ttl does not know, builds when a budget naming the
    agency is loaded: its publisher is the budget's agency, and a missing mapping is a warning."""
    from plankg.build import pipeline
    from plankg.data import budget as budget_data

    other = tmp_path / "motc-108.txt"
    other.write_text(SEED.read_text(encoding="utf-8").replace("勞動部", "交通部"), encoding="utf-8")
    budget = Path(budget_data.__file__).parent / "enacted-2019.csv.gz"
    registry = write(tmp_path, f'[[plan]]\nfile = "{other}"\n\n[[budget]]\nfile = "{budget}"\nyear = 2019\n'
                               'stage = "enacted"\n')
    base = "https://example.org/id/"
    compiled = pipeline.compile_sources(read_registry(registry), base)
    assert compiled.report.conforms
    [mapped] = compiled.mapped
    publisher = mapped.graph.value(mapped.iri, URIRef("http://purl.org/dc/terms/publisher"))
    assert str(publisher).startswith(base + "org/budget/") and str(mapped.iri).startswith(base + "agency-")
    budget_graph = next(m.graph for m in compiled.others if m.kind == "budget")
    assert (publisher, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), Literal("交通部", lang="zh-Hant")) \
        in budget_graph


def test_a_registry_path_that_cannot_be_opened_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 300)  # a name too long: was an OSError traceback
    with pytest.raises(InputError) as caught:
        read_registry(path)
    assert str(caught.value) == f"{path}: cannot read the registry: File name too long"
