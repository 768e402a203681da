"""The named example queries' plan parameter (plankg.examples): a query that says
``# parameter: ?plan`` covers every plan as written, and ``for_plan`` binds ``?plan`` where the
query marks it (``# VALUES ?plan { <plan IRI> }``), so that the store starts from that plan.

Bound there, a query must give exactly what it gives on a store holding that plan alone: checked
on the real build of the seed plan beside a second organisation's plan (the seed's text)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pyoxigraph import Literal, QuerySolutions, Store

from conftest import BASE, ROOT, SEED, run_plankg
from plankg.errors import PlanKGError
from plankg.examples import PLAN_LINE, Example, examples

PLAN = BASE + "mol/108"
PER_PLAN = [e.name for e in examples() if e.per_plan]


def answers(store: Store, query: str) -> list:
    """The query's answers, in order for SELECT (a CONSTRUCT's triples sorted). A GROUP_CONCAT's
    parts (joined by 、) are sorted: SPARQL leaves their order to the store."""
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, QuerySolutions):
        names = [v.value for v in result.variables]
        return [tuple(None if s[n] is None else _parts_sorted(s[n]) for n in names) for s in result]
    return sorted(str(t) for t in result)


def _parts_sorted(term) -> str:
    return "、".join(sorted(term.value.split("、"))) if isinstance(term, Literal) else str(term)


@pytest.fixture(scope="module")
def two_plans(tmp_path_factory) -> Path:
    """The bundled registry with a second organisation's plan (the seed's text as 交通部's) beside the seed."""
    tmp = tmp_path_factory.mktemp("examples")
    other = tmp / "motc-108.txt"
    other.write_text(SEED.read_text(encoding="utf-8").replace("勞動部", "交通部"), encoding="utf-8")
    registry = (ROOT / "data" / "registry.toml").read_text(encoding="utf-8")
    registry = re.sub(r'= "((?:plans|budget|laws)/[^"]+)"', lambda m: f'= "{ROOT / "data" / m.group(1)}"', registry)
    assert registry.count(str(ROOT / "data")) >= 6, "data/registry.toml changed: update this fixture"
    (tmp / "registry.toml").write_text(registry + f'\n[[plan]]\nfile = "{other}"\nvariant = "auto"\n',
                                       encoding="utf-8")
    run_plankg("build", "--store", str(tmp / "store"), "--registry", str(tmp / "registry.toml"), check=True)
    return tmp / "store"


def test_the_plan_examples_are_the_ones_that_need_a_plan() -> None:
    assert {n.split("-")[0] for n in PER_PLAN} == {"01", "03", "04", "07", "08", "13", "14", "15", "16", "18"}


@pytest.mark.parametrize("name", PER_PLAN)
def test_for_plan_binds_the_plan_at_every_marked_line(name: str) -> None:
    ex = next(e for e in examples() if e.name == name)
    marks = len(PLAN_LINE.findall(ex.query))
    assert marks >= 1
    text = ex.for_plan(PLAN)
    assert not PLAN_LINE.search(text)
    assert text.count(f"VALUES ?plan {{ <{PLAN}> }}") == marks
    assert text.replace(f"VALUES ?plan {{ <{PLAN}> }}", "# VALUES ?plan { <plan IRI> }") == ex.query


def test_a_parameter_without_a_marked_line_is_refused() -> None:
    ex = Example("x", {}, {}, "# parameter: ?plan\nSELECT * WHERE { ?s ?p ?plan }\n", ("plan",))
    with pytest.raises(PlanKGError, match=r"no line '# VALUES \?plan \{ <plan IRI> \}'"):
        ex.for_plan(PLAN)
    with pytest.raises(PlanKGError, match="not an IRI"):
        next(e for e in examples() if e.per_plan).for_plan("x> } ?s ?p ?o {")


@pytest.mark.parametrize("name", PER_PLAN)
def test_one_plan_answers_as_on_a_store_of_that_plan_alone(full_store: Path, two_plans: Path, name: str) -> None:
    ex = next(e for e in examples() if e.name == name)
    alone = Store.read_only(os.path.realpath(full_store))
    beside = Store.read_only(os.path.realpath(two_plans))
    expected = answers(alone, ex.query)
    assert expected, "the seed plan has rows for every plan example"
    assert sorted(answers(beside, ex.for_plan(PLAN)), key=str) == sorted(expected, key=str)  # ties: in any order


def test_as_written_a_plan_example_covers_every_plan(full_store: Path, two_plans: Path) -> None:
    ex = next(e for e in examples() if e.name.startswith("14-"))
    alone = answers(Store.read_only(os.path.realpath(full_store)), ex.query)
    beside = answers(Store.read_only(os.path.realpath(two_plans)), ex.query)
    assert len(beside) == 2 * len(alone) and set(alone) < set(beside)
