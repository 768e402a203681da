"""The machinery under :class:`.executor.QueryExecutor`: engine threads, result channels, the watchdog.

A *job* is one store operation (a query and the serialisation of its result, an update, a
load …). It runs on an engine thread; pyoxigraph releases the GIL while it evaluates and
serialises, so jobs run in parallel with each other and with the request threads. A job's
result reaches the request thread through a :class:`Channel` of chunks of at most
``CHUNK_BYTES``, at most ``QUEUED_CHUNKS`` of them ahead of the reader (back-pressure: a slow
client parks the job inside pyoxigraph's ``write()`` call, costing no CPU).

A job is cancelled when its reader gives up (deadline, client gone): its next ``write()``
raises :class:`Cancelled`, which ends a streaming result at once. Work inside one pyoxigraph
call that never writes (an aggregate, ORDER BY, an update) cannot be cancelled. The
:class:`Watchdog` reports a job still running ``STUCK_GRACE_S`` after its deadline as *stuck*
(``on_stuck``); only ending the process stops it, which the server's worker then does.
"""

from __future__ import annotations

import collections
import itertools
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

CHUNK_BYTES = 64 * 1024
QUEUED_CHUNKS = 2
FLUSH_INTERVAL_S = 0.2  # a slowly growing result is sent at least this often
STUCK_GRACE_S = 1.0  # after its deadline, a cancelled job has this long to end


class Cancelled(Exception):
    """Raised inside a job's ``write()`` once nobody reads its result any more."""


class Channel:
    """Chunks from one producer (the job) to one consumer (the request), ending with ``None``
    or the job's exception. ``put`` blocks while ``QUEUED_CHUNKS`` are waiting."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._chunks: collections.deque[bytes] = collections.deque()
        self._ended = False
        self._error: BaseException | None = None
        self._cancelled = False

    def put(self, chunk: bytes, last: bool = False) -> None:
        with self._cond:
            while len(self._chunks) >= QUEUED_CHUNKS and not self._cancelled:
                self._cond.wait()
            if self._cancelled:
                raise Cancelled
            if chunk:
                self._chunks.append(chunk)
            self._ended = self._ended or last
            self._cond.notify_all()

    def fail(self, error: BaseException) -> None:
        with self._cond:
            self._error, self._ended = error, True
            self._cond.notify_all()

    def get(self, deadline: float) -> bytes | None:
        """The next chunk, ``None`` at the end; the job's exception; TimeoutError at ``deadline``."""
        with self._cond:
            while not self._chunks and not self._ended:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                self._cond.wait(remaining)
            if self._chunks:
                chunk = self._chunks.popleft()
                self._cond.notify_all()
                return chunk
            if self._error is not None:
                raise self._error
            return None

    def drained(self) -> bool:
        """Whether everything has been read and the job has ended without an error."""
        with self._cond:
            return self._ended and not self._chunks and self._error is None

    def cancel(self) -> None:
        with self._cond:
            self._cancelled = True
            self._chunks.clear()
            self._cond.notify_all()

    @property
    def cancelled(self) -> bool:
        return self._cancelled


class ChunkWriter:
    """The binary file pyoxigraph serialises into: full chunks go to the channel as they fill;
    :meth:`finish` sends the rest marked as the last, so a small result arrives in one piece."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.kind = self.media_type = ""  # set by the job before it writes
        self.buffer = bytearray()
        self.last_put = time.monotonic()

    def write(self, data: bytes) -> int:
        if self.channel.cancelled:
            raise Cancelled
        self.buffer += data
        # Keep one chunk back until more comes: the final one must carry the end mark.
        while len(self.buffer) > CHUNK_BYTES:
            self._put(CHUNK_BYTES)
        if self.buffer and time.monotonic() - self.last_put >= FLUSH_INTERVAL_S:
            self._put(len(self.buffer))
        return len(data)

    def flush(self) -> None:
        """pyoxigraph calls this at the end; :meth:`finish` sends what is left."""

    def finish(self) -> None:
        chunk = bytes(self.buffer)
        self.buffer.clear()
        self.channel.put(chunk, last=True)

    def _put(self, n: int) -> None:
        chunk = bytes(self.buffer[:n])
        del self.buffer[:n]
        self.channel.put(chunk)
        self.last_put = time.monotonic()


class Job:
    """One operation on an engine thread: what it is (for messages), its deadline, whether it ended."""

    _ids = itertools.count(1)

    def __init__(self, what: str, deadline: float):
        self.id = next(self._ids)
        self.what = what
        self.deadline = deadline
        self.done = threading.Event()
        self.reported = False


class EngineThreads:
    """Daemon threads that run jobs: an idle one if there is one, else a new one. Daemon,
    because a stuck job must not hold up the end of the process."""

    def __init__(self, name: str):
        self.name = name
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._started = 0

    def submit(self, fn: Callable[[], None]) -> None:
        with self._lock:
            spawn = self._idle == 0
            if spawn:
                self._started += 1
            else:
                self._idle -= 1
        self._queue.put(fn)
        if spawn:
            threading.Thread(target=self._run, name=f"{self.name}-{self._started}", daemon=True).start()

    def stop(self) -> None:
        """Let idle threads end (busy ones end after their job)."""
        with self._lock:
            idle, self._idle = self._idle, 0
        for _ in range(idle):
            self._queue.put(None)

    @property
    def started(self) -> int:
        return self._started

    def _run(self) -> None:
        while (fn := self._queue.get()) is not None:
            fn()
            with self._lock:
                self._idle += 1


class Watchdog:
    """Watches running jobs; calls ``on_stuck(job)`` once for each one still running
    ``STUCK_GRACE_S`` after its deadline. One thread, started with the first job."""

    def __init__(self, on_stuck: Callable[[Job], Any]):
        self.on_stuck = on_stuck
        self._cond = threading.Condition()
        self._jobs: dict[int, Job] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        self._wake_at: float | None = None  # when the watchdog looks next (None: when told)
        self.stuck = 0

    def add(self, job: Job) -> None:
        with self._cond:
            self._jobs[job.id] = job
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._watch, name="plankg-watchdog", daemon=True)
                self._thread.start()
            if self._wake_at is None or job.deadline + STUCK_GRACE_S < self._wake_at:
                self._cond.notify()  # rarely: jobs mostly share one time limit, so they come due in order

    def remove(self, job: Job) -> None:
        job.done.set()
        with self._cond:
            self._jobs.pop(job.id, None)

    def running(self) -> list[Job]:
        with self._cond:
            return list(self._jobs.values())

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _watch(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                now = time.monotonic()
                due = [j for j in self._jobs.values() if not j.reported and j.deadline + STUCK_GRACE_S <= now]
                for job in due:
                    job.reported = True
                self.stuck += len(due)
                pending = [j.deadline + STUCK_GRACE_S for j in self._jobs.values() if not j.reported]
                self._wake_at = min(pending) if pending else None
                if not due:
                    self._cond.wait(self._wake_at - now if pending else None)
            for job in due:
                self.on_stuck(job)
