"""One distribution, one import package: nothing generic lands in site-packages; the wheel carries
the query page's YASGUI files and their licence notices (setup.py's build step), and an installed
wheel serves the whole site without Node or a source checkout.

The wheel is built once per module (``pip wheel --no-deps --no-build-isolation``: no network, ~3 s).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from server_support import start_server, stop

YASGUI = "plankg/server/ui-assets/yasgui/"
YASGUI_FILES = ("yasgui.min.js", "yasgui.min.css", "yasgui.min.js.map")
NODE_MODULES = ROOT / "server" / "ui-assets" / "node_modules"
NO_NPM = {"PATH": str(Path(sys.executable).parent)}  # the venv's scripts: python and pip, no npm


def build_wheel(source: Path, dest: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(dest), str(source)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built from this checkout (its npm install provides YASGUI)."""
    if not (NODE_MODULES / "@zazuko" / "yasgui" / "build" / "yasgui.min.js").is_file():
        pytest.skip("server/ui-assets/node_modules is not installed (python3 scripts/setup-ui.py assets)")
    dest = tmp_path_factory.mktemp("wheel")
    done = build_wheel(ROOT, dest)
    assert done.returncode == 0, done.stderr
    (path,) = dest.glob("plankg-*.whl")
    return path


def test_wheel_holds_only_plankg_with_its_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"plankg", wheel.name.split("-py3")[0] + ".dist-info"}
    for required in ("plankg/ontology/plankg.ttl", "plankg/plans/mol-108.txt", "plankg/cli.py",
                     "plankg/loaders/plan_text.py", "plankg/ontology/vocab/laws.ttl",
                     "plankg/data/SOURCES.md", "plankg/data/budget/enacted-2019.csv.gz",
                     "plankg/data/laws/moj-law-index.json.gz", "plankg/data/laws/mol-laws-all.tsv.gz",
                     "plankg/ontology/mappings/law-short-forms.ttl",
                     "plankg/data/alignment/reference-statistics.tsv.gz"):
        assert required in names
    assert any(n.startswith("plankg/shapes/") and n.endswith(".ttl") for n in names)
    assert not any(n.startswith("plankg/tests") for n in names)


def test_wheel_carries_yasgui_and_its_notices_not_node_modules(wheel):
    zf = zipfile.ZipFile(wheel)
    names = zf.namelist()
    assert sorted(n[len(YASGUI):] for n in names if n.startswith(YASGUI)) == sorted(
        ["LICENSE", "THIRD-PARTY-NOTICES.txt", *YASGUI_FILES])
    assert not any("node_modules" in n or n.endswith(".esm.js") or "/build/ts/" in n for n in names)
    build = NODE_MODULES / "@zazuko" / "yasgui" / "build"
    for name in YASGUI_FILES:
        assert zf.read(YASGUI + name) == (build / name).read_bytes()
    notices = zf.read(YASGUI + "THIRD-PARTY-NOTICES.txt").decode("utf-8")
    table = {line.split()[0]: line.split(None, 2)[1:] for line in notices.split("\n\n==== ")[0].splitlines()
             if line.startswith(("@", "codemirror ", "jquery ", "dompurify ", "datatables.net"))}
    assert table["@zazuko/yasgui"] == ["4.6.2", "MIT"]
    assert table["codemirror"][1] == "MIT" and table["dompurify"][1] == "(MPL-2.0 OR Apache-2.0)"
    assert {"@zazuko/yasqe", "@zazuko/yasr", "jquery", "datatables.net", "datatables.net-dt"} <= table.keys()
    for name, (version, _) in table.items():
        assert f"==== {name} {version} (" in notices  # each listed package is followed by its licence text
    assert "Apache License" in notices and "Permission is hereby granted" in notices
    assert zf.read(YASGUI + "LICENSE").decode("utf-8").startswith("@zazuko/yasgui 4.6.2 (MIT)")


def test_wheel_from_the_sdist_needs_no_node_and_a_build_without_assets_fails(tmp_path):
    """The sdist carries the staged YASGUI files, so its wheel builds without npm; take them away
    (no staged copy, no node_modules, no npm) and the wheel build fails, saying what to do."""
    if not (NODE_MODULES / "@zazuko" / "yasgui" / "build" / "yasgui.min.js").is_file():
        pytest.skip("server/ui-assets/node_modules is not installed (python3 scripts/setup-ui.py assets)")
    code = "import sys; from setuptools.build_meta import build_sdist; print(build_sdist(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with tarfile.open(tmp_path / done.stdout.strip().splitlines()[-1]) as tar:
        names = tar.getnames()
        assert not any("node_modules" in n for n in names)
        tar.extractall(tmp_path / "src", **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    (source,) = (tmp_path / "src").iterdir()
    staged = source / "server" / "ui-assets" / "yasgui"
    assert sorted(p.name for p in staged.iterdir()) == sorted(["LICENSE", "THIRD-PARTY-NOTICES.txt", *YASGUI_FILES])

    done = build_wheel(source, tmp_path / "from-sdist", NO_NPM)
    assert done.returncode == 0, done.stderr
    (built,) = (tmp_path / "from-sdist").glob("plankg-*.whl")
    assert YASGUI + "yasgui.min.js" in zipfile.ZipFile(built).namelist()

    for path in staged.iterdir():
        path.unlink()
    staged.rmdir()
    done = build_wheel(source, tmp_path / "without", NO_NPM)
    assert done.returncode != 0 and not list((tmp_path / "without").glob("*.whl"))
    assert "npm is not on PATH" in done.stderr and "npm ci --prefix server/ui-assets" in done.stderr


def test_installed_wheel_serves_the_query_page_without_node(wheel, built_store, tmp_path):
    """Install the wheel into a fresh venv and run its `plankg serve` from a folder outside the repo.

    Offline and without re-downloading dependencies: the venv is made without pip, the wheel is
    installed into it with ``--no-deps`` by this interpreter's pip (``pip --python``), and a ``.pth``
    file appends this test environment's site-packages to its path for the dependencies (Flask,
    pyoxigraph, …). A path line in a ``.pth`` file comes after the venv's own site-packages and its
    own ``.pth`` files are not run, so this environment's editable plankg is not imported: the
    test checks that plankg comes from the fresh venv and that no source checkout is seen.
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], check=True, capture_output=True)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "zz-plankg-test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = ("import plankg.server.ui.views as v; print(v.__file__); print(v.yasgui_dir()); print(v.SOURCE_CHECKOUT)")
    out = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True, cwd=work).stdout.split()
    assert out == [str(site / "plankg/server/ui/views.py"), str(site / "plankg/server/ui-assets/yasgui"), "False"]

    server = start_server(built_store, tmp_path / "server.log", plankg=venv / "bin" / "plankg", cwd=work)
    try:
        status, headers, body = server.get("/query")
        html = body.decode("utf-8")
        assert status == 200 and 'id="yasgui"' in html and "/assets/yasgui/yasgui.min.js" in html
        assert "npm ci" not in html
        status, headers, body = server.get("/assets/yasgui/yasgui.min.js")
        assert status == 200 and "javascript" in headers["content-type"]
        assert body == (site / "plankg/server/ui-assets/yasgui/yasgui.min.js").read_bytes()
        status, headers, _ = server.get("/assets/yasgui/yasgui.min.css")
        assert status == 200 and headers["content-type"].startswith("text/css")
        assert server.get("/assets/yasgui/THIRD-PARTY-NOTICES.txt")[0] == 404  # only the page's files
        status, _, body = server.get("/sparql", {"query": "ASK { ?s ?p ?o }"}, {"Accept": "application/sparql-results+json"})
        assert status == 200 and b"true" in body
    finally:
        stop(server)


def test_no_generic_top_level_modules_are_imported():
    code = ("import sys, plankg.cli, plankg.build.pipeline, plankg.store; "
            "print(sorted({'kg', 'loaders', 'server', 'ontology', 'shapes'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"
