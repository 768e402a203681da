"""Running store operations on engine threads within their time limits.

:class:`Runner` is the part of :class:`plankg.server.engine.executor.QueryExecutor` that runs
its *jobs* (one store operation each: a query and the serialisation of its result, an update,
a load …) on :class:`EngineThreads` of this process. ``stream`` returns an
:class:`~plankg.server.engine.results.Execution` at the first chunk of a result; ``call``
returns a job's value. The request thread waits on the job's channel
(:mod:`plankg.server.engine.results`) until the deadline, so it always gives up in time: then
it raises ``QueryTimeout`` and the job is cancelled at its next write. Work inside one
pyoxigraph call that never writes (an aggregate, ORDER BY, an update) cannot be cancelled: the
:class:`Watchdog` reports it *stuck* ``STUCK_GRACE_S`` after its deadline (``on_stuck``), and
the server's worker then ends the process (:mod:`plankg.server.serving.worker`).

A job run with ``low_priority`` (the executor's expensive queries: sorts, aggregates … which
hold the CPU for as long as they run, runaways included) gets an engine thread of a second pool
whose threads run ``LOW_PRIORITY_NICE`` nice steps below the process (Linux: nice is a thread's
own), so cheap queries keep their latency beside them: the kernel gives a waking thread of normal
priority the CPU first, and about nine tenths of it while both run.
"""

from __future__ import annotations

import itertools
import os
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from plankg.server.engine.queryerrors import QueryFailed
from plankg.server.engine.results import Cancelled, Channel, ChunkWriter, Execution, _Rest, translate, wait

LOW_PRIORITY_NICE = 10  # how many nice steps below the process a low-priority job's thread runs (weight 1024 -> 110)
STUCK_GRACE_S = 1.0  # after its deadline, a cancelled job has this long to end
WATCH_INTERVAL_S = 0.1  # how often the watchdog looks for stuck jobs
IDLE_POLL_S = 0.01  # how often wait_idle looks

Produce = Callable[[Any], None]  # writes a result into the writer it is given


class Job:
    """One operation: what it is (for messages), its deadline, whether it has been reported
    stuck, and the channel its reader waits on. ``describe()`` makes the message only when
    one is needed."""

    _ids = itertools.count(1)
    __slots__ = ("id", "describe", "deadline", "reported", "channel")

    def __init__(self, describe: Callable[[], str], deadline: float, channel: Channel):
        self.id = next(self._ids)
        self.describe = describe
        self.deadline = deadline
        self.reported = False
        self.channel = channel


class EngineThreads:
    """Daemon threads that run jobs (a stuck job must not hold up the end of the process): the
    idle one that finished last, whose caches are the warmest (bench/RESULTS.md), else a new one."""

    def __init__(self, name: str, nicer: int = 0):
        self.name = name
        self.nicer = nicer  # each thread lowers its priority by this many nice steps when it starts
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
        if self.nicer:
            lower_priority(self.nicer)
        while (fn := inbox.get()) is not None:
            fn()
            with self._lock:
                if self._stopped:
                    return
                self._idle.append(inbox)


def lower_priority(steps: int) -> bool:
    """Lower the calling thread's CPU priority by ``steps`` nice steps (at most to 19). Linux only,
    where nice is per thread; elsewhere (where it would be the whole process's) and where the
    kernel refuses, nothing changes: False."""
    if sys.platform != "linux":
        return False
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + steps))
    except OSError:
        return False
    return True


class Watchdog:
    """Watches running jobs; calls ``on_stuck(job)`` once for each one still running
    ``STUCK_GRACE_S`` after its deadline. One thread, started with the first job, looking every
    ``WATCH_INTERVAL_S``: adding and removing a job is a dict operation, no lock."""

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
        """Stop every running job now, as if its deadline had come: its reader gets ``error``,
        and the job is cancelled at its next write. How many."""
        stopped = 0
        for job in self.running():
            if not job.channel.cancelled:
                job.channel.fail(error)
                job.channel.cancel()
                stopped += 1
        return stopped

    def _watch(self) -> None:
        while not self._closed.wait(WATCH_INTERVAL_S):
            now = time.monotonic()
            for job in self.running():
                if not job.reported and job.deadline + STUCK_GRACE_S <= now:
                    job.reported = True
                    self.stuck += 1
                    self.on_stuck(job)


class Runner:
    """Runs jobs on engine threads of this process. ``on_stuck(what)`` is called for a job
    still running ``STUCK_GRACE_S`` after its deadline."""

    def __init__(self, on_stuck: Callable[[str], Any]):
        self._threads = EngineThreads("plankg-engine")
        self._low = EngineThreads("plankg-engine-low", nicer=LOW_PRIORITY_NICE)
        self._watchdog = Watchdog(lambda job: on_stuck(job.describe()))
        self._closed = False

    def stream(self, what: Callable[[], str], started: float, deadline: float, produce: Produce,
               low_priority: bool = False) -> Execution:
        """Run ``produce(writer)`` on an engine thread (it sets ``writer.kind`` and
        ``writer.media_type`` before it writes), a low-priority one if asked; return at the first chunk."""
        limit = deadline - started
        channel = Channel()
        writer = ChunkWriter(channel)

        def job_body() -> None:
            produce(writer)
            writer.finish()

        self._submit(what, deadline, channel, job_body, self._low if low_priority else self._threads)
        first = wait(channel, deadline, limit)
        rest = _Rest(channel, deadline, limit)
        if first is None:
            first, rest.ended = b"", True
        return Execution(writer.kind, writer.media_type, first, (time.monotonic() - started) * 1000, rest)

    def call(self, what: Callable[[], str], started: float, deadline: float, fn: Callable[[], Any]) -> Any:
        """Run ``fn()`` on an engine thread; its result."""
        channel, result = Channel(), []

        def job_body() -> None:
            result.append(fn())
            channel.put(b"", last=True)

        self._submit(what, deadline, channel, job_body)
        wait(channel, deadline, deadline - started)
        return result[0]

    def stats(self) -> dict[str, Any]:
        """Jobs running now, jobs reported stuck so far, engine threads started so far."""
        return {"running": len(self._watchdog.running()), "stuck": self._watchdog.stuck,
                "threads": self._threads.started + self._low.started}

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job runs (stuck ones excepted); whether that happened in time."""
        deadline = time.monotonic() + timeout
        while any(not job.reported for job in self._watchdog.running()):
            if time.monotonic() >= deadline:
                return False
            time.sleep(IDLE_POLL_S)
        return True

    def stop_all(self, error: BaseException) -> int:
        """Stop every running job now, as at its deadline; a caller waiting for one on an
        engine thread gets ``error`` (:meth:`Watchdog.stop_all`). How many."""
        return self._watchdog.stop_all(error)

    def close(self) -> None:
        """Stop taking work; idle engine threads end. Idempotent."""
        self._closed = True
        self._threads.stop()
        self._low.stop()
        self._watchdog.close()

    def _submit(self, what: Callable[[], str], deadline: float, channel: Channel, body: Callable[[], None],
                threads: EngineThreads | None = None) -> None:
        if self._closed:
            raise QueryFailed("the query executor is closed")
        job = Job(what, deadline, channel)

        def run() -> None:
            try:
                body()
            except Cancelled as e:
                traceback.clear_frames(e.__traceback__)
            except BaseException as e:  # noqa: BLE001 - handed to the request thread, which raises it
                # the job's frames hold pyoxigraph objects, which may be dropped on this thread only
                traceback.clear_frames(e.__traceback__)
                channel.fail(translate(e))
            finally:
                self._watchdog.remove(job)

        self._watchdog.add(job)
        (threads or self._threads).submit(run)
