"""Which workers of one `plankg serve` accept connections now, so that retirements take turns.

A worker that must retire (:mod:`plankg.server.serving.worker`) stops accepting; its replacement
accepts only once it has started, which takes seconds with a large store copied into memory. If
every worker retired at once (a few clients sending runaway queries reach every worker within
one time limit), nobody would accept meanwhile. So a worker retires only while another accepts;
else it defers (serving on, the stuck work running on at low priority) until one does, at most
``DEFER_MAX_S``. A server of one worker never defers.

:class:`Peers` is a table in memory shared by the master and every worker it forks (made by the
master before its first fork): the pid of each worker accepting now. A worker killed without
leaving the table stays in it until its pid is gone, which is checked.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os

DEFER_MAX_S = 60.0  # a worker retires after this long even if no other accepts
LOCK_WAIT_S = 1.0  # a worker killed while holding the table's lock must not stop the others


class Peers:
    """The pids of the workers accepting now, in ``slots`` places of shared memory."""

    def __init__(self, slots: int):
        self._pids = multiprocessing.RawArray(ctypes.c_int, slots)
        self._lock = multiprocessing.Lock()

    def accepting(self, pid: int) -> None:
        """``pid`` accepts connections (again)."""
        with _Held(self._lock):
            if pid in self._pids:
                return
            for i, other in enumerate(self._pids):
                if other == 0 or not _alive(other):
                    self._pids[i] = pid
                    return

    def leaving(self, pid: int) -> None:
        """``pid`` accepts no more."""
        with _Held(self._lock):
            self._leave(pid)

    def may_retire(self, pid: int) -> bool:
        """Whether another worker accepts; if so ``pid`` leaves the table, in the same step, so two
        workers asking at once cannot both go."""
        with _Held(self._lock):
            if any(other not in (0, pid) and _alive(other) for other in self._pids):
                self._leave(pid)
                return True
            return False

    def _leave(self, pid: int) -> None:
        for i, other in enumerate(self._pids):
            if other == pid:
                self._pids[i] = 0


class Alone:
    """No table: each worker retires at once (a worker not started by `plankg serve`, or a system
    without shared semaphores)."""

    def accepting(self, pid: int) -> None:
        pass

    def leaving(self, pid: int) -> None:
        pass

    def may_retire(self, pid: int) -> bool:
        return True


def shared(workers: int) -> Peers | Alone:
    """A table for ``workers`` workers (room for more, as gunicorn may be told to run more), or
    :class:`Alone` where the system has no shared semaphores."""
    try:
        return Peers(max(8, 4 * workers))
    except OSError:
        return Alone()


class _Held:
    """The lock, waited for at most ``LOCK_WAIT_S`` (then the step goes on without it)."""

    def __init__(self, lock) -> None:
        self._lock = lock
        self._held = False

    def __enter__(self) -> None:
        self._held = self._lock.acquire(timeout=LOCK_WAIT_S)

    def __exit__(self, *exc) -> None:
        if self._held:
            self._lock.release()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
