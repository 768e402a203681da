#!/usr/bin/env python3
"""Set up what the UI and the tests need beyond the Python packages.

    python3 scripts/setup-ui.py            # all four steps below
    python3 scripts/setup-ui.py assets     # only the query page's front-end assets
    python3 scripts/setup-ui.py browser    # only Chromium for tests/test_browser.py
    python3 scripts/setup-ui.py java       # only Java, for HermiT in tests/test_owl_dl.py
    python3 scripts/setup-ui.py servers    # only Virtuoso and HAProxy, for the remote-store tests

* **assets**: ``npm ci`` in ``server/ui-assets`` (Debian's ``nodejs``/``npm`` are installed first
  with ``apt-get`` when ``npm`` is missing and this runs as root) (YASGUI, pinned by the committed
  ``package-lock.json``; install scripts are not run). Repeated only when the lock file changes
  (a stamp in ``node_modules``). Without ``npm`` it says so and the query page explains how to
  install later; nothing else breaks.
* **browser**: Debian's ``chromium`` at ``/usr/bin/chromium`` (plus ``fonts-noto-cjk`` so that
  Chinese renders in screenshots), installed with ``apt-get`` when it is missing and this runs as
  root on a machine with apt. Otherwise it says what to do, and the browser tests skip with that
  reason. Playwright's own browser download (``playwright install``) is never used.
* **java**: Debian's ``default-jre-headless`` when ``java`` is missing (root with apt only), for
  the HermiT reasoner that the test dependency ``owlready2`` ships; without Java the OWL 2 DL
  reasoner test skips with that reason.
* **servers**: Debian's ``virtuoso-opensource-7-bin`` (``/usr/bin/virtuoso-t`` and
  ``/usr/bin/isql-vt`` only: no daemon, no init script; not the ``virtuoso-opensource-7`` package,
  whose postinst sets one up) and ``haproxy`` (the binary; its package's service is not started
  in containers without systemd) when missing (root with apt only), for the tests that run the
  remote store backend against real SPARQL servers (``tests/sparql_servers.py``). The Oxigraph
  server comes from PyPI (``oxigraph`` in the ``test`` extra). Without them those tests skip
  with the reason.

Exit status 0 unless a step that could run failed. Standard library only, so ``dev.py`` can call
it before the virtual environment exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "server" / "ui-assets"
LOCK = ASSETS / "package-lock.json"
STAMP = ASSETS / "node_modules" / ".plankg-npm-ci"
CHROMIUM = Path("/usr/bin/chromium")
APT_PACKAGES = ("chromium", "fonts-noto-cjk")
NPM_CI = ("ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")


def say(message: str) -> None:
    print(f"setup-ui: {message}", file=sys.stderr)


def assets() -> bool:
    """``npm ci`` in server/ui-assets once per package-lock.json; False if npm failed."""
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text() == digest:
        return True
    npm = shutil.which("npm") or (apt_install(("nodejs", "npm")) and shutil.which("npm"))
    if not npm:
        say("npm is not installed: the query page will show how to install YASGUI "
            f"(cd {ASSETS.relative_to(ROOT)} && npm ci --ignore-scripts)")
        return True
    say("installing the query page's assets (npm ci in server/ui-assets)")
    done = subprocess.run([npm, *NPM_CI], cwd=ASSETS)
    if done.returncode != 0:
        say(f"npm ci failed with exit status {done.returncode}")
        return False
    STAMP.write_text(digest)
    return True


def apt_install(packages: tuple[str, ...]) -> bool | None:
    """Install Debian ``packages`` with apt-get when this runs as root on a machine with apt.
    True: installed; False: apt-get failed; None: could not try (no apt-get, or not root)."""
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        why = "apt-get is not available" if apt is None else "this is not running as root"
        say(f"cannot install {' '.join(packages)}: {why} (apt-get install -y {' '.join(packages)})")
        return None
    say(f"installing {' '.join(packages)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in ([apt, "update", "-q"], [apt, "install", "-y", "-q", "--no-install-recommends", *packages]):
        done = subprocess.run(cmd, env=env)
        if done.returncode != 0:
            say(f"{' '.join(cmd[:2])} failed with exit status {done.returncode}")
            return False
    return True


def browser() -> bool:
    """Chromium at /usr/bin/chromium, installed with apt-get when possible; False if apt failed."""
    if CHROMIUM.exists():
        return True
    installed = apt_install(APT_PACKAGES)
    if not installed:
        say(f"{CHROMIUM} is missing: until it is installed the browser tests are skipped")
        return installed is None  # could not try: not a failure
    return CHROMIUM.exists()


def java() -> bool:
    """A ``java`` on PATH (for HermiT), installed with apt-get when possible; False if apt failed."""
    if shutil.which("java"):
        return True
    installed = apt_install(("default-jre-headless",))
    if not installed:
        say("java is missing: until it is installed the HermiT test is skipped")
        return installed is None
    return shutil.which("java") is not None


SERVER_TOOLS = {"virtuoso-t": "virtuoso-opensource-7-bin", "isql-vt": "virtuoso-opensource-7-bin",
                "haproxy": "haproxy"}  # binary -> the Debian package that provides it
STEPS = ("assets", "browser", "java", "servers")


def found(tool: str) -> bool:
    """``tool`` on PATH or in /usr/sbin (haproxy lives there; a non-root PATH may lack it)."""
    return bool(shutil.which(tool)) or Path("/usr/sbin", tool).is_file()


def servers() -> bool:
    """virtuoso-t, isql-vt and haproxy on PATH, installed with apt-get when possible; False if apt
    failed."""
    missing = [tool for tool in SERVER_TOOLS if not found(tool)]
    if not missing:
        return True
    installed = apt_install(tuple(dict.fromkeys(SERVER_TOOLS[tool] for tool in missing)))
    if not installed:
        say(f"{', '.join(missing)} missing: until installed the tests against real SPARQL servers skip")
        return installed is None
    return all(found(tool) for tool in SERVER_TOOLS)


def main(argv: list[str]) -> int:
    steps = argv or list(STEPS)
    unknown = set(steps) - set(STEPS)
    if unknown:
        say(f"unknown step(s): {', '.join(sorted(unknown))}; use {', '.join(STEPS)}")
        return 2
    ok = True
    if "assets" in steps:
        ok = assets() and ok
    if "browser" in steps:
        ok = browser() and ok
    if "java" in steps:
        ok = java() and ok
    if "servers" in steps:
        ok = servers() and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
