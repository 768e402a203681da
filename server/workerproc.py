"""The parent's handle on one query process (the other end: :mod:`.queryworker`).

:class:`WorkerProcess` starts ``python -P …/queryworker.py STORE PARENT_PID [--read-write]``
(by path: ``-m plankg.server…`` would import Flask; the worker asks Linux to kill it when the
starting thread ends), exchanges frames with deadlines over non-blocking pipes, and kills and
reaps it. :class:`WorkerTimeout` and :class:`WorkerDied` are internal signals that the pool and
the lease turn into the executor's exceptions.
"""

from __future__ import annotations

import json
import math
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterable

from plankg.errors import StoreError
from plankg.server import queryworker as qw

READ_BYTES = 4 * qw.CHUNK_BYTES
WORKER_SCRIPT = os.path.abspath(qw.__file__)  # by path: `-m plankg.server…` would import Flask


class WorkerTimeout(Exception):
    """The deadline passed while waiting on a worker."""


class WorkerDied(Exception):
    """The worker closed its pipe: it exited or was killed."""


class WorkerProcess:
    """The parent's handle on one query process: start, frames with deadlines, kill, reap.

    Not thread-safe: one thread at a time (the executor checks a process out to one request).
    The pipes are non-blocking; waits are ``poll`` calls bounded by the caller's deadline.
    """

    def __init__(self, store_path: str, read_write: bool):
        args = [sys.executable, "-P", WORKER_SCRIPT, store_path, str(os.getpid())]
        self.popen = subprocess.Popen(args + (["--read-write"] if read_write else []),
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.pid = self.popen.pid
        self.build: str | None = None
        self.running = False  # a request was sent and its response is not finished
        self._wfd = self.popen.stdin.fileno()
        self._rfd = self.popen.stdout.fileno()
        os.set_blocking(self._wfd, False)
        os.set_blocking(self._rfd, False)
        self._poll_in = select.poll()
        self._poll_in.register(self._rfd, select.POLLIN)
        self._poll_out = select.poll()
        self._poll_out.register(self._wfd, select.POLLOUT)
        self._buffer = bytearray()

    def wait_ready(self, deadline: float) -> None:
        """Wait for READY; StoreError (from the worker) or WorkerDied/WorkerTimeout otherwise."""
        kind, payload = self.read_frame(deadline)
        if kind == qw.FRAME_ERROR:
            raise StoreError(json.loads(payload)["message"])
        if kind != qw.FRAME_READY:
            raise qw.ProtocolError(f"expected READY, got {kind!r}")
        self.build = json.loads(payload)["build"]

    def send(self, data: bytes, deadline: float) -> None:
        """Write encoded frames, waiting for pipe space until ``deadline``."""
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._wfd, view):]
            except BlockingIOError:
                self._wait(self._poll_out, deadline)
            except (BrokenPipeError, ConnectionResetError):
                raise WorkerDied() from None

    def read_frame(self, deadline: float) -> tuple[bytes, bytes]:
        """The next frame, reading until ``deadline`` (WorkerTimeout) or the end of the pipe
        (WorkerDied)."""
        while (frame := self.buffered_frame()) is None:
            if time.monotonic() >= deadline:  # also when the worker keeps the pipe full
                raise WorkerTimeout()
            try:
                data = os.read(self._rfd, READ_BYTES)
            except BlockingIOError:
                self._wait(self._poll_in, deadline)
                continue
            if not data:
                raise WorkerDied()
            self._buffer += data
        return frame

    def buffered_frame(self) -> tuple[bytes, bytes] | None:
        """A frame already received in full, if any (no waiting)."""
        if len(self._buffer) < qw.FRAME_PREFIX.size:
            return None
        kind, length = qw.FRAME_PREFIX.unpack_from(self._buffer)
        if length > qw.MAX_FRAME_BYTES:
            raise qw.ProtocolError(f"frame of {length} bytes")
        end = qw.FRAME_PREFIX.size + length
        if len(self._buffer) < end:
            return None
        payload = bytes(self._buffer[qw.FRAME_PREFIX.size:end])
        del self._buffer[:end]
        return kind, payload

    def kill(self) -> None:
        """SIGKILL (idempotent); call :meth:`reap` afterwards."""
        if self.popen.returncode is None:
            try:
                self.popen.kill()
            except ProcessLookupError:
                pass

    def reap(self, timeout: float | None = None) -> None:
        """Close the pipes (an idle worker then exits) and wait for the exit; kill if it lingers."""
        for pipe in (self.popen.stdin, self.popen.stdout):
            pipe.close()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.popen.wait()

    @staticmethod
    def _wait(poller: select.poll, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(max(1, math.ceil(remaining * 1000))):
            raise WorkerTimeout()


def kill_all(live: Iterable[WorkerProcess]) -> None:
    """At exit, or when the pool is collected: no query process outlives it."""
    for proc in list(live):
        proc.kill()
