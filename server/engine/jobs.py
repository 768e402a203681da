"""Engine threads, result channels and the watchdog, under :mod:`plankg.server.engine.executor`.

A *job* is one store operation (a query and the serialisation of its result, an update, a
load …) on an engine thread; pyoxigraph releases the GIL while it evaluates and serialises
(it takes it back to hand each 8 KiB of output to ``write()``), so jobs run in parallel. A
result reaches the request thread through a :class:`Channel` of chunks of at most
``CHUNK_BYTES``, at most ``QUEUED_CHUNKS`` ahead of the reader (back-pressure: a slow client
parks the job inside pyoxigraph's ``write()`` call, costing no CPU).

A job is cancelled when its reader gives up: its next ``write()`` raises :class:`Cancelled`.
Work inside one pyoxigraph call that never writes (an aggregate, ORDER BY, an update) cannot
be: the :class:`Watchdog` reports it *stuck* ``STUCK_GRACE_S`` after its deadline
(``on_stuck``), and the server's worker then ends the process."""

from __future__ import annotations

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
WATCH_INTERVAL_S = 0.1  # how often the watchdog looks for overdue and stuck jobs


class Cancelled(Exception):
    """Raised inside a job's ``write()`` once nobody reads its result any more."""


class Channel:
    """Chunks from one producer (the job) to one consumer (the request), ending with the chunk
    marked last or with the job's exception. ``put`` blocks while ``QUEUED_CHUNKS`` are waiting.

    Built on two C-level ``SimpleQueue``s, so a hand-off costs no Python-level lock: the chunks,
    and the room the consumer gives back (``False`` once it has given up)."""

    def __init__(self) -> None:
        self._chunks: queue.SimpleQueue[tuple[bytes, bool] | _Failed] = queue.SimpleQueue()
        self._room: queue.SimpleQueue[bool] = queue.SimpleQueue()
        for _ in range(QUEUED_CHUNKS):
            self._room.put(True)
        self._cancelled = False
        self._ended = False  # the consumer has read the last chunk

    def put(self, chunk: bytes, last: bool = False) -> None:
        if not last and not self._room.get():  # the last chunk needs no room: the job ends after it
            self._room.put(False)
            raise Cancelled
        if self._cancelled:
            raise Cancelled
        self._chunks.put((chunk, last))

    def fail(self, error: BaseException) -> None:
        self._chunks.put(_Failed(error))

    def get(self, deadline: float) -> bytes | None:
        """The next chunk, ``None`` at the end; the job's exception; TimeoutError at ``deadline``."""
        if self._ended:
            return None
        try:
            item = self._chunks.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError from None
        if isinstance(item, _Failed):
            self._ended = True
            raise item.error
        chunk, last = item
        if last:
            self._ended = True
            return chunk or None
        self._room.put(True)
        return chunk

    def drained(self) -> bool:
        """Whether the last chunk has been read (so the job ended without an error)."""
        return self._ended

    def cancel(self) -> None:
        self._cancelled = True
        self._room.put(False)  # wakes a producer waiting for room

    @property
    def cancelled(self) -> bool:
        return self._cancelled


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error


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

    @property
    def cancelled(self) -> bool:
        """Whether nobody reads this result any more."""
        return self.channel.cancelled

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
    """One operation: what it is (for messages), its deadline, whether it has been reported
    stuck. ``describe()`` makes the message only when one is needed.

    ``overdue``, for a job that runs on its request's own thread (:meth:`plankg.server.engine.executor.QueryExecutor.execute`
    with ``overdue=``): nobody waits for it at the deadline, so the watchdog calls
    ``overdue()`` there, once, to answer the request (``answered`` then says so). ``channel``,
    for a job on an engine thread: where its reader waits (:meth:`Watchdog.stop_all`)."""

    _ids = itertools.count(1)
    __slots__ = ("id", "describe", "deadline", "reported", "overdue", "answered", "channel")

    def __init__(self, describe: Callable[[], str], deadline: float, overdue: Callable[[], Any] | None = None,
                 channel: Channel | None = None):
        self.id = next(self._ids)
        self.describe = describe
        self.deadline = deadline
        self.reported = False
        self.overdue = overdue
        self.answered = False
        self.channel = channel


class InlineWriter:
    """The binary file pyoxigraph serialises into when a job runs on its request's thread:
    the whole result is kept, up to ``max_bytes`` (then :class:`Full`). Past the job's
    deadline, or once the watchdog has answered the request, ``write()`` raises
    :class:`Cancelled`."""

    def __init__(self, job: Job, max_bytes: int):
        self.job, self.max_bytes = job, max_bytes
        self.kind = self.media_type = ""  # set by the job before it writes
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        if self.job.answered or time.monotonic() >= self.job.deadline:
            raise Cancelled
        self.buffer += data
        if len(self.buffer) > self.max_bytes:
            raise Full
        return len(data)

    def flush(self) -> None:
        """pyoxigraph calls this at the end."""

    @property
    def cancelled(self) -> bool:
        """Whether the request has been answered without this result (or its deadline has passed)."""
        return self.job.answered or time.monotonic() >= self.job.deadline


class Full(Exception):
    """Raised inside :meth:`InlineWriter.write` when the result outgrows its buffer."""


class EngineThreads:
    """Daemon threads that run jobs (a stuck job must not hold up the end of the process): the
    idle one that finished last, whose caches are the warmest (bench/RESULTS.md), else a new one."""

    def __init__(self, name: str):
        self.name = name
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Callable[[], None] | None]] = []  # each idle thread's inbox
        self._started = 0
        self._stopped = False

    def submit(self, fn: Callable[[], None]) -> None:
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
            if inbox is None:
                self._started += 1
                number = self._started
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._run, args=(inbox,), name=f"{self.name}-{number}", daemon=True).start()
        inbox.put(fn)

    def stop(self) -> None:
        """Let idle threads end (busy ones end after their job)."""
        with self._lock:
            idle, self._idle, self._stopped = self._idle, [], True
        for inbox in idle:
            inbox.put(None)

    @property
    def started(self) -> int:
        return self._started

    @property
    def idle(self) -> int:
        return len(self._idle)

    def _run(self, inbox: queue.SimpleQueue[Callable[[], None] | None]) -> None:
        while (fn := inbox.get()) is not None:
            fn()
            with self._lock:
                if self._stopped:
                    return
                self._idle.append(inbox)


class Watchdog:
    """Watches running jobs; calls ``job.overdue()`` once for a job that has one at its
    deadline, and ``on_stuck(job)`` once for each one still running ``STUCK_GRACE_S`` after
    it. One thread, started with the first job, looking every ``WATCH_INTERVAL_S``: adding and
    removing a job is a dict operation, no lock."""

    def __init__(self, on_stuck: Callable[[Job], Any]):
        self.on_stuck = on_stuck
        self._jobs: dict[int, Job] = {}
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = threading.Event()
        self.stuck = 0

    def add(self, job: Job) -> None:
        self._jobs[job.id] = job
        if self._thread is None:
            with self._start_lock:
                if self._thread is None and not self._closed.is_set():
                    self._thread = threading.Thread(target=self._watch, name="plankg-watchdog", daemon=True)
                    self._thread.start()

    def remove(self, job: Job) -> None:
        self._jobs.pop(job.id, None)

    def running(self) -> list[Job]:
        return list(self._jobs.copy().values())

    def close(self) -> None:
        self._closed.set()

    def stop_all(self, error: BaseException) -> int:
        """Stop every running job now, as if its deadline had come: a job on its request's
        thread has its request answered (``overdue()``); the reader of a job on an engine
        thread gets ``error``, and the job is cancelled at its next write. How many."""
        stopped = 0
        for job in self.running():
            if job.overdue is not None:
                if not job.answered:
                    job.answered = True
                    job.overdue()
                    stopped += 1
            elif job.channel is not None and not job.channel.cancelled:
                job.channel.fail(error)
                job.channel.cancel()
                stopped += 1
        return stopped

    def _watch(self) -> None:
        while not self._closed.wait(WATCH_INTERVAL_S):
            now = time.monotonic()
            for job in self.running():
                if job.overdue is not None and not job.answered and job.deadline <= now:
                    job.answered = True
                    job.overdue()
                if not job.reported and job.deadline + STUCK_GRACE_S <= now:
                    job.reported = True
                    self.stuck += 1
                    self.on_stuck(job)
