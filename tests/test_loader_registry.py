"""The loader registry: a new source kind is one registered loader, and the build uses it as is."""

from __future__ import annotations

import pytest

from plankg.build import pipeline
from plankg.errors import InputError
from plankg.loaders import plan_text, registry
from plankg.loaders.model import Activity, Goal, Plan, Preamble, Program, Source, Strategy, WorkPlan
from plankg.store import open_store

from conftest import BASE, SEED, run_plankg

TOY = """#toy 勞動部 108
goal\t營造友善勞動環境
strategy\t推動勞動檢查，保障青年勞工權益。
workplan\t勞動力發展業務
program\t協助青年職涯發展與適性就業\t社會發展
activity\t辦理青年就業服務。
"""


def parse_toy(data: bytes, *, file: str, categories) -> Plan:
    """A tab-separated outline, one node a line: ``kind \\t text [\\t category]``."""
    lines = data.decode("utf-8").splitlines()
    _, org, year = lines[0].split()
    plan = Plan(org, int(year), f"{org} {year} 年度施政計畫", Source(file, 1, len(lines)),
                Preamble("", Source.at(file, 1)))
    for n, line in enumerate(lines[1:], start=2):
        kind, text, *rest = line.split("\t")
        at = Source.at(file, n)
        if kind == "goal":
            plan.goals.append(Goal(len(plan.goals) + 1, text, at))
        elif kind == "strategy":
            plan.goals[-1].strategies.append(Strategy(len(plan.goals[-1].strategies) + 1, text, at))
        elif kind == "workplan":
            plan.work_plans.append(WorkPlan(len(plan.work_plans) + 1, text, at))
        elif kind == "program":
            programs = plan.work_plans[-1].programs
            programs.append(Program(len(programs) + 1, text, rest[0], at))
        elif kind == "activity":
            activities = plan.work_plans[-1].programs[-1].activities
            activities.append(Activity(len(activities) + 1, text, at))
        else:
            raise InputError(file, n, f"expected goal, strategy, workplan, program or activity, found {kind!r}")
    return plan


@pytest.fixture()
def toy():
    loader = registry.register(registry.Loader(
        "toy", sniff=lambda file, head: file.endswith(".toy") or head.startswith(b"#toy"), parse=parse_toy))
    yield loader
    registry.unregister("toy")


def test_the_plan_text_loader_is_found_and_reads_what_no_other_claims():
    names = [loader.name for loader in registry.loaders()]
    assert names[-1] == "plan-text" and registry.loaders()[-1] is plan_text.LOADER
    assert registry.loader_for("anything.csv", b"a,b\n") is plan_text.LOADER
    assert registry.loader_for("plan.txt", SEED.read_bytes()) is plan_text.LOADER


def test_sniffing_picks_the_registered_loader(toy):
    assert registry.loader_for("x.toy", b"") is toy
    assert registry.loader_for("x.txt", TOY.encode()) is toy
    assert registry.loader_for("x.txt", SEED.read_bytes()) is plan_text.LOADER
    assert registry.loader_for("x.toy", b"", variant="plan-text") is plan_text.LOADER


def test_a_build_reads_a_new_kind_of_input_with_no_other_change(toy, tmp_path):
    path = tmp_path / "mol.toy"
    path.write_text(TOY, encoding="utf-8")
    compiled, _ = pipeline.build([path], tmp_path / "store", BASE)
    assert compiled.report.conforms
    [plan] = compiled.plans
    assert [g.text for g in plan.goals] == ["營造友善勞動環境"] and len(plan.activities()) == 1
    with open_store(tmp_path / "store") as kg:
        rows = list(kg.query("SELECT ?s WHERE { ?s a <https://w3id.org/plankg/ontology#Activity> ; "
                             "<http://www.w3.org/2000/01/rdf-schema#label> ?l }"))
    assert [r["s"].value for r in rows] == [f"{BASE}mol/108/work-plan/1/program/1/activity/1"]


def test_errors_of_the_chosen_loader_name_the_file_and_line(toy, tmp_path):
    path = tmp_path / "bad.toy"
    path.write_text(TOY + "budget\t12\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        pipeline.compile_plans(pipeline.read_inputs([path]), BASE)
    assert (e.value.file, e.value.line) == (str(path), 7)
    with pytest.raises(InputError, match=r"missing section 壹") as e:  # the plan text loader, asked by name
        pipeline.compile_plans(pipeline.read_inputs([path], variant="plan-text"), BASE)
    assert (e.value.file, e.value.line) == (str(path), 7)


def test_an_unknown_variant_is_bad_input_naming_the_file(tmp_path):
    with pytest.raises(InputError, match=r"unknown loader 'no-such-loader': expected one of .*plan-text") as e:
        pipeline.compile_plans(pipeline.read_inputs([SEED], variant="no-such-loader"), BASE)
    assert e.value.file == str(SEED)


def test_the_cli_names_a_loader_with_loader(tmp_path):
    bad = run_plankg("validate", "--loader", "no-such-loader", str(SEED))
    assert bad.returncode == 2 and "unknown loader 'no-such-loader'" in bad.stderr and str(SEED) in bad.stderr
    ok = run_plankg("validate", "--loader", "plan-text", str(SEED))
    assert ok.returncode == 0, ok.stderr
