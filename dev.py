#!/usr/bin/env python3
"""Set up plankg on a machine that has only Python, then run it.

    python3 dev.py serve           # install into ./.venv (first run), build if needed, serve on :8000
    python3 dev.py test            # install, then run the whole test suite
    python3 dev.py build           # install, build the bundled plans into ./var/store
    python3 dev.py ARGS…           # install, then run `plankg ARGS…` (query, export, stats, serve …)

Installs are repeated only when pyproject.toml changes. Uses only the standard library.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".plankg-install"
MIN_PYTHON = (3, 11)


def _run(cmd: list[str], **kw) -> None:
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def ensure_installed() -> None:
    """Create ./.venv and install the project with its test extras, once per pyproject.toml."""
    if sys.version_info < MIN_PYTHON:
        sys.exit(f"plankg needs Python {'.'.join(map(str, MIN_PYTHON))}+, this is {sys.version.split()[0]}")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest and (BIN / "plankg").exists():
        return
    if not (BIN / "python").exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("dev.py: installing plankg and its dependencies into .venv", file=sys.stderr)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    _run(pip + ["install", "--upgrade", "pip", "setuptools>=69"])
    _run(pip + ["install", "-e", ".[test]"])
    STAMP.write_text(digest)


def setup_extras(steps: list[str]) -> None:
    """Front-end assets (npm) and, for the tests, Debian's chromium, Java, Virtuoso and HAProxy:
    see scripts/setup-ui.py."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "setup-ui.py"), *steps], cwd=ROOT, check=False)


def main(argv: list[str]) -> int:
    ensure_installed()
    if argv[:1] == ["test"]:
        setup_extras([])  # assets, browser, java and servers
    elif argv[:1] == ["serve"]:
        setup_extras(["assets"])
    return run(argv)


def run(argv: list[str], bin_dir: Path = BIN) -> int:
    """Become ``plankg ARGS…`` (or pytest for ``test``) in the virtual environment ``bin_dir``.

    The process is replaced (``os.execve``), not forked: ``kill`` of ``python3 dev.py serve``
    then reaches the server itself (gunicorn's master, which stops its workers), and no server
    is left running, re-parented to init, when dev.py is stopped.
    """
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    if argv[:1] == ["test"]:
        cmd = [str(bin_dir / "python"), "-m", "pytest", *argv[1:]]
    else:
        cmd = [str(bin_dir / "plankg"), *argv]
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(ROOT)
    os.execve(cmd[0], cmd, env)
    return 127  # not reached: execve replaces this process or raises OSError


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
