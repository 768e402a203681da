"""The pool of query processes behind :class:`.executor.QueryExecutor`: checkout and return,
kill and replace, and the supervisor thread that reaps and respawns.

A request checks a process out (waiting, within its deadline, if all are busy) and gives it
back after a clean response; after a timeout, a client that went away or a dead worker, the
process is killed and the supervisor starts a replacement, so requests never wait for a spawn
they did not need. All processes are started by the supervisor thread: ``PR_SET_PDEATHSIG``
follows the starting *thread*, which must live as long as the pool. Thread-safe.
"""

from __future__ import annotations

import queue
import threading
import time
import weakref
from typing import Any

from plankg.errors import StoreError
from plankg.server import queryworker as qw
from plankg.server.queryerrors import Overloaded, QueryFailed
from plankg.server.workerproc import WorkerDied, WorkerProcess, WorkerTimeout, kill_all

SPAWN_TIMEOUT_S = 120.0  # reopening a store after a killed write may replay its WAL
RESPAWN_BACKOFF_S = (0.1, 0.5, 2.0, 5.0)
CLOSE_GRACE_S = 2.0


class ProcessPool:
    """``processes`` query processes over the store at ``store_path`` (an absolute path).

    Starts them and waits for them; raises StoreError (after closing) if they cannot open it.
    """

    def __init__(self, store_path: str, processes: int, read_write: bool):
        self.store_path = store_path
        self.read_write = read_write
        self.processes = processes
        self._cond = threading.Condition()
        self._idle: list[WorkerProcess] = []
        self._busy: set[WorkerProcess] = set()
        self._live: set[WorkerProcess] = set()  # every process not yet reaped, for the exit hook
        self._starting = 0
        self._counts = {"spawned": 0, "killed": 0}
        self._spawn_error: str | None = None
        self._closed = False
        self._stopping = threading.Event()
        self._events: queue.SimpleQueue[tuple[str, WorkerProcess | None]] = queue.SimpleQueue()
        weakref.finalize(self, kill_all, self._live)
        # All processes are started by this thread: PR_SET_PDEATHSIG follows the starting
        # *thread*, which must live as long as the pool, not a request thread.
        self._supervisor = threading.Thread(target=self._supervise, name="plankg-query-pool", daemon=True)
        self._supervisor.start()
        self.replace(None, self.processes)
        if not self.wait_ready(SPAWN_TIMEOUT_S) or self._spawn_error:
            error = self._spawn_error or "the query processes did not start in time"
            self.close()
            raise StoreError(error)

    # --- checkout and return ---------------------------------------------------------------

    def checkout(self, deadline: float, limit: float) -> WorkerProcess:
        """A free process, waiting until ``deadline`` at most (``limit``: for the message)."""
        with self._cond:
            while not self._idle:
                if self._closed:
                    raise QueryFailed("the query executor is closed")
                if self._spawn_error and not self._busy:
                    raise QueryFailed(f"no query process is running: {self._spawn_error}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Overloaded(f"all {self.processes} query processes stayed busy for {limit:g} s")
                self._cond.wait(remaining)
            proc = self._idle.pop()  # the most recently used one: its caches are warm
            self._busy.add(proc)
        return proc

    def release(self, proc: WorkerProcess) -> None:
        """Take back a process that ended its response cleanly."""
        with self._cond:
            self._busy.discard(proc)
            proc.running = False
            if not self._closed:
                self._idle.append(proc)
                self._cond.notify()
                return
        self._reap([proc], graceful=True)

    def recycle(self, proc: WorkerProcess) -> None:
        """Kill a process in an unknown state (deadline, client gone, death) and replace it."""
        proc.kill()
        with self._cond:
            self._busy.discard(proc)
            proc.running = False
            self._counts["killed"] += 1
        self.replace(proc)

    def abandon(self, proc: WorkerProcess) -> None:
        """From ``__del__`` (no locks there): kill; the supervisor does the rest."""
        proc.kill()
        self._events.put(("abandoned", proc))

    def replace(self, dead: WorkerProcess | None, count: int = 1) -> None:
        """Have the supervisor reap ``dead`` and start ``count`` processes."""
        with self._cond:
            closed = self._closed
            if not closed:
                self._starting += count
        if closed:
            self._reap([dead] if dead else [])
            return
        self._events.put(("replace", dead))
        for _ in range(count - 1):
            self._events.put(("replace", None))

    # --- state -----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Processes idle/busy/running (a request in flight)/starting, spawned/killed so far, pids."""
        with self._cond:
            return {"processes": self.processes, "idle": len(self._idle), "busy": len(self._busy),
                    "running": sum(p.running for p in self._busy), "starting": self._starting,
                    "pids": sorted(p.pid for p in [*self._idle, *self._busy]),
                    "busy_pids": sorted(p.pid for p in self._busy), **self._counts}

    def wait_ready(self, timeout: float) -> bool:
        """Wait until all ``processes`` are up (after a kill, say); whether they are."""
        with self._cond:
            self._cond.wait_for(lambda: self._full() or self._spawn_error or self._closed, timeout)
            return self._full()

    def close(self) -> None:
        """Stop all processes: idle ones exit on EOF, busy ones are killed. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            idle, busy = list(self._idle), list(self._busy)
            self._idle.clear()
            self._cond.notify_all()
        self._stopping.set()
        self._events.put(("stop", None))
        for proc in busy:
            proc.kill()  # the thread using it gets QueryFailed and reaps it
        self._reap(idle, graceful=True)
        self._supervisor.join(CLOSE_GRACE_S)

    def _full(self) -> bool:
        return self._starting == 0 and len(self._idle) + len(self._busy) == self.processes

    # --- the supervisor thread ---------------------------------------------------------------

    def _supervise(self) -> None:
        """The pool's own thread: reap dead processes, start replacements."""
        while True:
            events = [self._events.get()]
            while not self._events.empty():
                events.append(self._events.get())
            for kind, proc in events:
                if kind == "abandoned":
                    with self._cond:
                        if proc not in self._busy:
                            continue
                        self._busy.discard(proc)
                        self._counts["killed"] += 1
                    self.replace(proc)  # queued: handled in the next round
            dead = [proc for kind, proc in events if proc is not None and kind != "abandoned"]
            stop = any(kind == "stop" for kind, _ in events)
            if self.read_write or stop:
                self._reap(dead)  # the writer's store lock is free only once it has exited
                dead = []
            if stop:
                return
            self._start_processes(sum(kind == "replace" for kind, _ in events))
            self._reap(dead)

    def _start_processes(self, n: int) -> None:
        """Start ``n`` processes together; retry with back-off while they fail."""
        delays = iter(RESPAWN_BACKOFF_S)
        while n and not self._stopping.is_set():
            error = None
            procs = []
            for _ in range(n):
                try:
                    procs.append(WorkerProcess(self.store_path, self.read_write))
                except OSError as e:
                    error = f"cannot start a query process: {e}"
            self._live.update(procs)
            deadline = time.monotonic() + SPAWN_TIMEOUT_S
            for proc in procs:
                try:
                    proc.wait_ready(deadline)
                except (StoreError, WorkerDied, WorkerTimeout, qw.ProtocolError) as e:
                    error = str(e) or "the query process exited at start (see its stderr)"
                    self._reap([proc])
                    continue
                n -= 1
                with self._cond:
                    closed = self._closed
                    if not closed:
                        self._starting -= 1
                        self._counts["spawned"] += 1
                        self._spawn_error = None
                        self._idle.append(proc)
                        self._cond.notify_all()
                if closed:  # close() ran while it started
                    self._reap([proc], graceful=True)
            if n:
                with self._cond:
                    self._spawn_error = error
                    self._cond.notify_all()
                self._stopping.wait(next(delays, RESPAWN_BACKOFF_S[-1]))

    def _reap(self, procs: list[WorkerProcess], graceful: bool = False) -> None:
        for proc in procs:
            if not graceful:
                proc.kill()
            proc.reap(CLOSE_GRACE_S)
            self._live.discard(proc)
