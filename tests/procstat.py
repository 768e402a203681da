"""What a running `plankg serve` holds, read from /proc: its processes, their threads and memory;
and a result of 1,000,000 rows to stream. Shared by tests/test_reliability.py and
bench/bench_reliability.py (issue 18, "Reliability").

Memory is the resident set (``VmRSS``) and its peak (``VmHWM``) from ``/proc/PID/status``.
:func:`reset_peak` sets a process's peak back to its present resident set (``clear_refs`` 5, a
process of our own user), so the peak read after a request is the peak during it.
"""

from __future__ import annotations

import http.client
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

KIB = 1024
MILLION = 1_000_000
# Every triple whose object is an IRI (4,822 in the seed plan's build, more in the default one),
# each 210 times: at least 1,000,000 rows of four IRIs or numbers (no quotes, no line breaks in a
# CSV row, so rows are lines), about 150 bytes a row, 150 MB in all.
MILLION_ROWS = ("SELECT ?s ?p ?o ?i WHERE { ?s ?p ?o FILTER(isIRI(?o)) VALUES ?i { "
                + " ".join(map(str, range(1, 211))) + f" }} }} LIMIT {MILLION}")


def workers(master: int) -> set[int]:
    """The gunicorn workers: the live (not zombie) children of the master."""
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            if int(fields[1]) == master and fields[0] != "Z":
                out.add(int(entry.name))
    return out


def status(pid: int) -> dict[str, int]:
    """``VmRSS``, ``VmHWM`` (bytes) and ``Threads`` of a process; empty if it has ended."""
    out = {}
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0]) * KIB
        elif name == "Threads":
            out[name] = int(value)
    return out


def reset_peak(pid: int) -> bool:
    """Set the peak resident set of ``pid`` to its present one; False where the kernel does not let us."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Snapshot:
    """The server's processes (the master and its workers) at one moment: their count, their
    threads in all, and each worker's resident set and peak (bytes)."""

    processes: int
    threads: int
    rss: dict[int, int]
    peak: dict[int, int]

    @property
    def total_rss(self) -> int:
        return sum(self.rss.values())


def snapshot(master: int) -> Snapshot:
    pids = sorted(workers(master))
    stats = {pid: status(pid) for pid in [master, *pids]}
    return Snapshot(processes=sum(1 for s in stats.values() if s),
                    threads=sum(s.get("Threads", 0) for s in stats.values()),
                    rss={pid: stats[pid].get("VmRSS", 0) for pid in pids},
                    peak={pid: stats[pid].get("VmHWM", 0) for pid in pids})


def settled(master: int, like: Snapshot, seconds: float = 10.0) -> Snapshot:
    """The server's snapshot once it has as many processes as ``like`` and no more threads (a
    connection's thread ends a moment after the connection closes), or after ``seconds`` as it
    then is."""
    deadline = time.monotonic() + seconds
    while True:
        now = snapshot(master)
        if (now.processes == like.processes and now.threads <= like.threads) or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


def stream_rows(port: int, path: str, query: str, extra: list[tuple[str, str]] | None = None,
                timeout: float = 120) -> tuple[int, int, int]:
    """POST ``query`` for CSV and read the answer in 1 MiB pieces: (status, rows, bytes), as far as
    it came. Rows are the lines after the header (the query's rows must not hold line breaks)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, urllib.parse.urlencode([("query", query), *(extra or [])]),
                     {"Accept": "text/csv", "Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        lines = size = 0
        try:
            while piece := resp.read(KIB * KIB):
                lines, size = lines + piece.count(b"\n"), size + len(piece)
        except http.client.IncompleteRead as e:  # the server cut the answer short: the rows that came
            lines, size = lines + e.partial.count(b"\n"), size + len(e.partial)
        return resp.status, max(0, lines - 1), size
    finally:
        conn.close()


def stream_peak(master: int, port: int, path: str, query: str = MILLION_ROWS,
                extra: list[tuple[str, str]] | None = None) -> tuple[tuple[int, int, int], Snapshot, Snapshot]:
    """Stream ``query`` as CSV: ((status, rows, bytes), the server before, the server after).
    Each worker's peak is reset first, so ``after.peak[pid] - before.rss[pid]`` is how far its
    resident set rose during the stream (at most; where the reset is refused, the peak is the
    process's highest ever)."""
    for pid in workers(master):
        reset_peak(pid)
    before = snapshot(master)
    answer = stream_rows(port, path, query, extra)
    return answer, before, snapshot(master)


def peak_growth(before: Snapshot, after: Snapshot) -> int:
    """The most any worker's resident set rose above where it was in ``before`` (bytes)."""
    return max((after.peak[pid] - before.rss[pid] for pid in after.peak if pid in before.rss), default=0)
