"""One build step on top of pyproject.toml: the query page's YASGUI files go into the wheel.

Everything about the distribution is declared in pyproject.toml; this file only adds two commands.

* ``build_py`` (wheels): after the usual copy of the Python files and package data, puts the files
  the query page serves (:data:`FILES`, from ``@zazuko/yasgui``'s ``build/``) into
  ``plankg/server/ui-assets/yasgui/`` in the build tree, with ``LICENSE`` (YASGUI's) and
  ``THIRD-PARTY-NOTICES.txt`` (package, version and licence of everything the bundle includes,
  followed by their licence texts). They come from ``server/ui-assets/node_modules``, installed by
  ``npm ci`` from the committed ``package-lock.json``; when that install is missing or does not
  match the lock, ``npm ci`` is run if ``npm`` is on PATH, otherwise the build fails with a message
  saying what to do. A wheel without the query page's assets is never built silently.
  An sdist already carries them (below): then package data copies them and nothing else is done.
* ``sdist``: the same files are staged in the release tree as ``server/ui-assets/yasgui/``
  (package data of ``plankg.server``), so that a wheel built from the sdist needs no Node.

Editable installs (``pip install -e .``) skip the step: the server reads YASGUI from
``server/ui-assets/node_modules`` (``plankg.server.ui.views.yasgui_dir``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.errors import SetupError

ROOT = Path(__file__).resolve().parent
UI_ASSETS = ROOT / "server" / "ui-assets"
NODE_MODULES = UI_ASSETS / "node_modules"
YASGUI = "@zazuko/yasgui"
FILES = ("yasgui.min.js", "yasgui.min.css", "yasgui.min.js.map")  # plankg.server.ui.views.YASGUI_FILES
STAGED = Path("server") / "ui-assets" / "yasgui"  # in a source tree (an sdist); in the wheel: plankg/server/ui-assets/yasgui
NPM_CI = ("ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")  # as scripts/setup-ui.py
# The bundle's own code: YASGUI's monorepo packages (the source map names them by relative paths).
OWN = ("@zazuko/yasgui", "@zazuko/yasqe", "@zazuko/yasr", "@zazuko/yasgui-utils")
# yasgui.min.css has no source map; besides YASGUI's and CodeMirror's rules it holds DataTables'
# stylesheet, which comes from this package (checked by hand for @zazuko/yasgui 4.6.2).
CSS_ONLY = ("datatables.net-dt",)
# package.json declares no licence; the LICENSE file it ships is the MIT licence.
DECLARED = {"jsuri": "MIT"}
LICENCE_FILE = re.compile(r"^(licen[cs]e|copying|notice)", re.IGNORECASE)
MIT = """Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def _package_json(name: str) -> dict:
    return json.loads((NODE_MODULES / name / "package.json").read_text(encoding="utf-8"))


def _bundled() -> list[str]:
    """The npm packages yasgui.min.js (by its source map) and yasgui.min.css include."""
    sources = json.loads((NODE_MODULES / YASGUI / "build" / "yasgui.min.js.map").read_text(encoding="utf-8"))["sources"]
    names = {m.group(1) for s in sources if (m := re.search(r".*node_modules/((?:@[^/]+/)?[^/]+)/", s))}
    return [*OWN, *sorted(names - set(OWN)), *CSS_ONLY]


def _stale() -> list[str]:
    """Why ``server/ui-assets/node_modules`` is not what the committed lock installs ([] when it is)."""
    lock = json.loads((UI_ASSETS / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    missing = [f for f in FILES if not (NODE_MODULES / YASGUI / "build" / f).is_file()]
    if missing:
        return [f"{YASGUI}/build/{f} is missing" for f in missing]
    why = []
    for name in _bundled():
        wanted = lock.get(f"node_modules/{name}", {}).get("version")
        path = NODE_MODULES / name / "package.json"
        have = _package_json(name).get("version") if path.is_file() else None
        if have != wanted:
            why.append(f"{name}: installed {have or 'nothing'}, package-lock.json has {wanted}")
    return why


def _npm_ci() -> None:
    """``npm ci`` in server/ui-assets when its install is missing or stale; a clear error without npm."""
    why = _stale()
    if not why:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SetupError(
            "plankg: the wheel must carry the query page's YASGUI files, but "
            f"server/ui-assets/node_modules does not match package-lock.json ({'; '.join(why)}) and npm "
            "is not on PATH. Install Node.js/npm (e.g. apt-get install npm) and build again, or run "
            "`npm ci --prefix server/ui-assets --ignore-scripts` first (python3 scripts/setup-ui.py assets).")
    print(f"plankg: npm ci in server/ui-assets ({'; '.join(why)})")
    if subprocess.run([npm, *NPM_CI], cwd=UI_ASSETS).returncode != 0 or (why := _stale()):
        raise SetupError(f"plankg: npm ci in server/ui-assets did not install the query page's assets ({'; '.join(why)})")


def _licence_text(name: str, meta: dict) -> str:
    files = sorted(p for p in (NODE_MODULES / name).iterdir() if p.is_file() and LICENCE_FILE.match(p.name))
    if files:
        return "\n".join(p.read_text(encoding="utf-8", errors="replace").strip() + "\n" for p in files)
    if _licence(name, meta) == "MIT":
        people = [meta.get("author"), *meta.get("contributors", [])]
        names = ", ".join(p if isinstance(p, str) else p.get("name", "") for p in people if p)
        return (f"(The npm package carries no licence file; its package.json declares MIT. The MIT licence,\n"
                f"with the authors its package.json names:)\n\nCopyright (c) {names}\n\n{MIT}")
    raise SetupError(f"plankg: {name} (in the YASGUI bundle) ships no licence file; add its licence to setup.py")


def _licence(name: str, meta: dict) -> str:
    return meta.get("license") or DECLARED.get(name) or "UNKNOWN"


def write_assets(dest: Path) -> None:
    """The query page's files, YASGUI's LICENSE and THIRD-PARTY-NOTICES.txt into ``dest`` (emptied first)."""
    _npm_ci()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for f in FILES:
        shutil.copyfile(NODE_MODULES / YASGUI / "build" / f, dest / f)
    packages = [(name, _package_json(name)) for name in _bundled()]
    rows = [(name, meta["version"], _licence(name, meta)) for name, meta in packages]
    width = max(len(n) for n, _, _ in rows)
    notices = [
        "Third-party software in plankg's query page (plankg/server/ui-assets/yasgui/)",
        "",
        f"{', '.join(FILES)} are the built files of the npm package {YASGUI}",
        f"{_package_json(YASGUI)['version']}, installed by `npm ci` from plankg's server/ui-assets/package-lock.json.",
        "The bundle includes the packages below: YASGUI's own (yasgui, yasqe, yasr, utils) and those its",
        "source map names, plus the DataTables stylesheet in yasgui.min.css. Versions are those the lock",
        "installs; the YASGUI release built its bundle with its own lock file.",
        "",
        f"{'package'.ljust(width)}  version   licence",
        *(f"{n.ljust(width)}  {v.ljust(8)}  {lic}" for n, v, lic in rows),
    ]
    for (name, meta), (_, version, lic) in zip(packages, rows):
        notices += ["", "", f"==== {name} {version} ({lic}) ====", "", _licence_text(name, meta).rstrip()]
    (dest / "THIRD-PARTY-NOTICES.txt").write_text("\n".join(notices) + "\n", encoding="utf-8")
    (dest / "LICENSE").write_text(f"{YASGUI} {rows[0][1]} ({rows[0][2]})\n\n{_licence_text(YASGUI, packages[0][1])}",
                                  encoding="utf-8")


class BuildPy(build_py):
    """build_py, plus the query page's YASGUI files in the build tree (not for editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the server reads server/ui-assets/node_modules
        dest = Path(self.build_lib) / "plankg" / "server" / "ui-assets" / "yasgui"
        if (ROOT / STAGED / FILES[0]).is_file():  # an sdist: package data has copied them
            return
        write_assets(dest)


class SDist(sdist):
    """sdist, with the query page's YASGUI files staged as server/ui-assets/yasgui/."""

    def make_release_tree(self, base_dir, files) -> None:
        super().make_release_tree(base_dir, files)
        write_assets(Path(base_dir) / STAGED)


setup(cmdclass={"build_py": BuildPy, "sdist": SDist})
