"""Incremental rebuilds on a SPARQL server (issue 18): only the graphs that changed are uploaded
and moved, the others stay as they are on the server (plankg.store.remote_publish); the result is
what a full build of the same sources gives. tests/test_incremental.py has the embedded store's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backends import remote_store
from conftest import ROOT, SEED, run_plankg
from plankg.store.builddir import BUILD_INFO
from plankg.store.remote import read_control
from plankg.store.remote_protocol import post_update, run_query
from test_incremental import EX, canonical, content

BUDGET_GRAPH = "https://w3id.org/plankg/id/graph/budget/108/enacted"


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_a_rebuild_on_a_sparql_server_uploads_only_what_changed(kind: str, tmp_path: Path) -> None:
    motc, changed = tmp_path / "motc-108.txt", tmp_path / "changed" / "mol-108.txt"
    motc.write_text(SEED.read_text(encoding="utf-8").replace("勞動部", "交通部"), encoding="utf-8")
    changed.parent.mkdir()
    changed.write_text(SEED.read_text(encoding="utf-8").replace("強化", "加強", 1), encoding="utf-8")
    budget = ROOT / "data" / "budget" / "enacted-2019.csv.gz"  # names 交通部, and is most of the triples
    (tmp_path / "server").mkdir()
    with remote_store(kind, tmp_path / "server") as server:  # the seed plan alone, built in full
        for step, plans in enumerate(([SEED], [SEED, motc], [changed])):  # the budget; a plan added; changed, removed
            reg = tmp_path / f"registry-{step}.toml"
            reg.write_text("".join(f'[[plan]]\nfile = "{p}"\n\n' for p in plans)
                           + f'[[budget]]\nfile = "{budget}"\nyear = 2019\nstage = "enacted"\n', encoding="utf-8")
            if step == 2:  # a write to a graph the next build would keep (as `plankg serve` taking updates)
                post_update(server.settings(), f'INSERT DATA {{ GRAPH <{BUDGET_GRAPH}> {{ <{EX}x> <{EX}p> "w" }} }}')
            server.plankg("build", "--registry", str(reg), check=True)
            info = read_control(server.settings())["info"]
            fresh = tmp_path / f"fresh-{step}"
            run_plankg("build", "--store", str(fresh), "--registry", str(reg), check=True)
            expected = json.loads((fresh / BUILD_INFO).read_text(encoding="utf-8"))
            load = info["metadata"]["load"]
            if step == 0:
                assert load["mode"] == "full" and load["reason"].endswith("triples change"), load
            else:
                assert load["mode"] == "incremental" and load["reused"] >= 5, load
                # the new plan's graph, its funding graph and its two alignment graphs
                assert (load["added"], load["removed"]) == ((4, 0) if step == 1 else (0, 4)), load
                assert (BUDGET_GRAPH in load["changed"]) == (step == 2), "the budget graph written to is loaded again"
            assert info["graphs"] == expected["graphs"]
            assert read_control(server.settings())["graphs"] == sorted(expected["graphs"])
            if kind == "oxigraph":
                exported = server.plankg("export", "-f", "nquads", check=True).stdout
                assert canonical(exported) == content(fresh)
            else:  # Virtuoso's export stops at its sort limit on the budget graph: the triples of each graph
                query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
                held = {r["g"].value: int(r["n"].value) for r in
                        run_query(server.settings(), [("query", query), *(("named-graph-uri", g) for g in info["graphs"])])}
                assert held == {g: n for g, n in expected["graphs"].items() if n}
