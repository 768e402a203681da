"""One distribution, one import package: nothing generic lands in site-packages."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_holds_only_plankg_with_its_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("plankg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"plankg", wheel.name.split("-py3")[0] + ".dist-info"}
    for required in ("plankg/ontology/plankg.ttl", "plankg/plans/mol-108.txt", "plankg/cli.py",
                     "plankg/loaders/plan_text.py", "plankg/ontology/vocab/laws.ttl",
                     "plankg/data/SOURCES.md", "plankg/data/budget/enacted-2019.csv.gz",
                     "plankg/data/laws/moj-law-index.json.gz", "plankg/data/laws/mol-laws-all.tsv.gz",
                     "plankg/ontology/mappings/law-short-forms.ttl"):
        assert required in names
    assert any(n.startswith("plankg/shapes/") and n.endswith(".ttl") for n in names)
    assert not any(n.startswith("plankg/tests") for n in names)


def test_no_generic_top_level_modules_are_imported():
    code = ("import sys, plankg.cli, plankg.build.pipeline, plankg.store; "
            "print(sorted({'kg', 'loaders', 'server', 'ontology', 'shapes'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"
