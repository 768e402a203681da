"""Stopping ``python3 dev.py serve`` stops the server: no gunicorn process of the run survives.

dev.py replaces itself with ``plankg serve`` (``os.execve``), so the signal that stops it reaches
gunicorn's master, which stops its workers. The test runs dev.py's last step (:func:`dev.run`,
what ``python3 dev.py serve`` does after installing) with this test run's virtual environment, on
the session's built store and a loopback port, sends SIGTERM to the process it started, and
polls, a bounded number of times, until the process, its workers and the listening port are gone.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT

POLLS = 600  # at most this many polls, POLL_S apart, for each wait below
POLL_S = 0.1
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_to_dev_py_stops_gunicorn(built_store, tmp_path):
    log = tmp_path / "dev.log"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import dev; from pathlib import Path; "
            "dev.run(sys.argv[3:], Path(sys.argv[2]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANKG_")}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code, str(ROOT), str(Path(sys.executable).parent),
                                 "serve", "--store", str(built_store), "--host", "127.0.0.1", "--port", "0",
                                 "--workers", "2"], stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        port, workers = None, set()
        for _ in range(POLLS):
            assert proc.poll() is None, log.read_text()
            m = _LISTENING.search(log.read_text(errors="replace"))
            workers = children(proc.pid)
            if m and len(workers) >= 2 and port_open(int(m.group(1))):
                port = int(m.group(1))
                break
            time.sleep(POLL_S)
        assert port is not None, f"the server did not start:\n{log.read_text()}"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=POLLS * POLL_S)
        for _ in range(POLLS):
            if not any(alive(w) for w in workers) and not port_open(port):
                break
            time.sleep(POLL_S)
        assert [w for w in workers if alive(w)] == [], "gunicorn workers survived dev.py"
        assert not port_open(port), f"port {port} is still open"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
