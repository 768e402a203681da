"""The memory bound of a worker process, and the cap on expensive queries at once.

The time limit does not bound memory: pyoxigraph materialises a sort, a grouping or a
``DISTINCT`` inside one call that nothing can interrupt, and a product such as
``{ ?a ?b ?c . ?d ?e ?f } ORDER BY ?c`` grows by a few hundred MB a second. So each worker
process has a bound, ``MEMORY_LIMIT_MIB`` (0: the default, :func:`default_limit_mib`: 60 % of
the machine's memory, or of its cgroup's limit if that is lower, shared among the workers).

:class:`MemoryWatch`, a thread in each worker, reads the process's resident set size from
``/proc/self/statm`` every ``SAMPLE_S`` (a cheap read). When it passes the bound, it
calls ``on_over(rss)`` once: the worker answers 503 to every query it is running, as at their
deadline (the memory cannot be given back without ending the process, and which query holds
it cannot be told), and *retires* (:mod:`plankg.server.serving.worker`): its other requests finish, the process
exits, which frees the memory, and gunicorn starts a fresh one while the other workers serve.
If the resident set still passes ``HARD_FACTOR`` times the bound before that, the process ends
at once (``os._exit``), and says so in the log.

:class:`ExpensiveGate` caps how many *expensive* queries (:func:`is_expensive`: those that
pyoxigraph materialises before their first row) run at once in a worker,
``MAX_EXPENSIVE_QUERIES``; the others wait for a slot until their deadline (then the usual
503). A misclassified query only queues differently: the memory bound still holds.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plankg.sparql.lexer import tokens

log = logging.getLogger("plankg.server")

MIB = 1 << 20
MEMORY_SHARE = 0.6  # of the machine's (or cgroup's) memory, for all workers together, by default
SAMPLE_S = 0.05  # how often a worker reads its resident set size
HARD_FACTOR = 1.25  # past this many times the bound, a retiring worker ends at once
MIN_HEADROOM_MIB = 64  # a bound below a worker's memory at rest plus this is raised to it (with a warning)
EXIT_OVER_MEMORY = 0  # gunicorn replaces a worker that exits 0 without further ado
RETRY_AFTER_S = "5"  # a fresh worker is serving well within this
GATE_POLL_S = 0.1  # a query waiting for a slot looks this often whether its request has been answered
QUERY_CACHE_SIZE = 256  # distinct query texts whose classification is remembered
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

# Keywords of operators that pyoxigraph evaluates whole before the first row comes out.
MATERIALISING = frozenset({"ORDER", "GROUP", "HAVING", "DISTINCT", "REDUCED", "MINUS",
                           "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"})

_tripped: str | None = None  # the 503 message, once this process has passed its bound


# --- the bound -------------------------------------------------------------------------------

def rss_bytes() -> int:
    """This process's resident set size (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def peak_rss_bytes(pid: int | str = "self") -> int:
    """The largest resident set size the process has had (VmHWM; 0 if unknown)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def machine_memory_bytes() -> int | None:
    """The memory this process may use: MemTotal, or its cgroup's limit if lower (None: unknown)."""
    limits = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                limits.append(int(line.split()[1]) * 1024)
                break
    except (OSError, IndexError, ValueError):
        pass
    limits.extend(_cgroup_limits())
    return min(limits) if limits else None


def _cgroup_limits() -> list[int]:
    """memory.max of this process's cgroup and its ancestors (v2), or memory.limit_in_bytes (v1)."""
    found = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":  # v2: the limit of every ancestor applies
            base = Path("/sys/fs/cgroup")
            parts = [p for p in path.strip("/").split("/") if p]
            candidates = [base.joinpath(*parts[:n], "memory.max") for n in range(len(parts), -1, -1)]
        elif "memory" in controllers.split(","):
            candidates = [Path("/sys/fs/cgroup/memory", path.lstrip("/"), "memory.limit_in_bytes"),
                          Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")]
        else:
            continue
        for candidate in candidates:
            try:
                value = candidate.read_text().strip()
            except OSError:
                continue
            if value.isdigit() and int(value) < 1 << 60:  # "max", or v1's huge "unlimited"
                found.append(int(value))
    return found


def default_limit_mib(workers: int) -> int:
    """``MEMORY_SHARE`` of the machine's memory divided among ``workers`` processes (MiB)."""
    total = machine_memory_bytes() or 4 << 30
    return max(64, int(total * MEMORY_SHARE / max(1, workers)) // MIB)


def limit_mib(configured: Any, workers: int) -> int:
    """The bound of each of ``workers`` processes: ``MEMORY_LIMIT_MIB`` if set (> 0), else the default."""
    value = int(configured or 0)
    return value if value > 0 else default_limit_mib(workers)


def over_limit_message(limit: int) -> str:
    return (f"the query was stopped: the server process running it used more memory than the server allows "
            f"({limit} MiB, MEMORY_LIMIT_MIB); narrow its patterns or add a LIMIT (if another query was to blame, "
            f"retrying will work)")


def tripped() -> str | None:
    """The 503 message for the queries this process stopped, once it has passed its bound; else None."""
    return _tripped


def trip(message: str) -> None:
    global _tripped
    _tripped = message


def watch(configured_mib: Any, workers: int, stop_all: Callable[[BaseException], int],
          retire: Callable[[str, str], Any]) -> MemoryWatch:
    """Bound this process's memory at ``MEMORY_LIMIT_MIB`` (``configured_mib``; 0: the default
    share among ``workers``): past it, ``stop_all(OverMemory)`` answers every query running here
    503, and ``retire(what, why)`` is called. The server's worker calls this."""
    from plankg.server.engine.queryerrors import OverMemory

    limit = limit_mib(configured_mib, workers)
    at_rest = rss_bytes() // MIB
    if limit < at_rest + MIN_HEADROOM_MIB:  # else the worker would retire as soon as it starts, again and again
        log.warning("MEMORY_LIMIT_MIB (%d MiB) leaves worker %s no room above its memory at rest (%d MiB): "
                    "bounding it at %d MiB instead", limit, os.getpid(), at_rest, at_rest + MIN_HEADROOM_MIB)
        limit = at_rest + MIN_HEADROOM_MIB

    def over(rss: int) -> None:
        message = over_limit_message(limit)
        trip(message)
        stopped = stop_all(OverMemory(message))
        retire("the work running", f"its memory (RSS {rss // MIB} MiB) passed its limit of {limit} MiB "
                                   f"(MEMORY_LIMIT_MIB); {stopped} running request(s) were stopped (503), and only "
                                   "ending the process frees what pyoxigraph holds")

    return MemoryWatch(limit * MIB, over).start()


class MemoryWatch:
    """A daemon thread that calls ``on_over(rss)`` once when this process's resident set passes
    ``limit_bytes``, then ends the process at once if it passes ``HARD_FACTOR`` times that."""

    def __init__(self, limit_bytes: int, on_over: Callable[[int], Any], *, sample_s: float = SAMPLE_S,
                 hard_factor: float = HARD_FACTOR, exit: Callable[[int], Any] = os._exit):
        self.limit_bytes, self.on_over, self.sample_s = limit_bytes, on_over, sample_s
        self.hard_bytes = int(limit_bytes * hard_factor)
        self.over = False
        self._exit = exit
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="plankg-memory", daemon=True)

    def start(self) -> MemoryWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    def _watch(self) -> None:
        while not self._stopped.wait(self.sample_s):
            rss = rss_bytes()
            if rss > self.hard_bytes and self.over:
                log.error("worker %s: memory still growing (RSS %d MiB) past %d MiB, %g times its limit, before it "
                          "could retire: ending it now; its requests in flight are cut off", os.getpid(), rss // MIB,
                          self.hard_bytes // MIB, self.hard_bytes / self.limit_bytes)
                sys.stdout.flush()
                sys.stderr.flush()
                self._exit(EXIT_OVER_MEMORY)
                return
            if rss > self.limit_bytes and not self.over:
                self.over = True
                try:
                    self.on_over(rss)
                except Exception:  # noqa: BLE001 - the watch must go on to the hard bound
                    log.exception("stopping the work of an over-memory worker failed")


# --- the cap on expensive queries ---------------------------------------------------------

@functools.lru_cache(maxsize=QUERY_CACHE_SIZE)
def is_expensive(query: str) -> bool:
    """Whether pyoxigraph materialises ``query``'s results before the first row: it has
    ORDER BY, GROUP BY, HAVING, an aggregate, DISTINCT or REDUCED, MINUS, or a subquery."""
    selects = 0
    for m in tokens(query):
        if m.lastgroup != "name":
            continue
        word = m["name"].upper()
        if word in MATERIALISING:
            return True
        if word == "SELECT":
            selects += 1
            if selects > 1:
                return True
    return False


class ExpensiveGate:
    """At most ``size`` expensive queries at once in this process (0: no cap)."""

    def __init__(self, size: int):
        self.size = size
        self._slots = threading.BoundedSemaphore(size) if size > 0 else None
        self._lock = threading.Lock()
        self.waiting = 0  # queries waiting for a slot now (for tests and stats)

    def wrap(self, produce: Callable[[Any], None], deadline: float) -> Callable[[Any], None]:
        """``produce(writer)`` run once it holds a slot; ``Cancelled`` if none is free before
        ``deadline`` or before its request has been answered (``writer.cancelled``)."""
        if self._slots is None:
            return produce

        def gated(out: Any) -> None:
            from plankg.server.engine.results import Cancelled

            if not self._acquire(deadline, lambda: out.cancelled):
                raise Cancelled
            try:
                produce(out)
            finally:
                self._slots.release()

        return gated

    def _acquire(self, deadline: float, gave_up: Callable[[], bool]) -> bool:
        if self._slots.acquire(blocking=False):
            return True
        with self._lock:
            self.waiting += 1
        try:
            while (left := deadline - time.monotonic()) > 0 and not gave_up():
                if self._slots.acquire(timeout=min(GATE_POLL_S, left)):
                    return True
            return False
        finally:
            with self._lock:
                self.waiting -= 1
