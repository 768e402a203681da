"""A child Python process killed (SIGKILL) at the moment it says so: for the tests of builds and
publishes killed midway (tests/test_store.py, tests/test_incremental.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def kill_at_first_line(script: str, *args: str, cwd: Path | None = None) -> tuple[str, str, int]:
    """Run ``python -c script args…``, SIGKILL it once it has printed its first line (or ended):
    (that line, its stderr, its return code)."""
    child = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=cwd)
    try:
        signalled = child.stdout.readline()
    finally:
        child.kill()  # SIGKILL
        stderr = child.stderr.read()
        child.wait()
        child.stdout.close()
        child.stderr.close()
    return signalled, stderr, child.returncode
