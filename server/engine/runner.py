"""Running a job within its time limit: on an engine thread, or on the caller's own thread.

:class:`Runner` is the part of :class:`plankg.server.engine.executor.QueryExecutor` that decides where a job runs
and how its result comes back. ``stream`` returns an :class:`Execution` at the first chunk of
a result; ``call`` returns a job's value. Both raise ``QueryTimeout`` at the deadline.

On an engine thread (:mod:`plankg.server.engine.jobs`) the caller waits on the job's channel until the deadline,
so it can always give up in time. On the caller's thread (``stream(…, overdue=…)``) the job
saves two thread hand-offs, but nothing can interrupt pyoxigraph there: the watchdog calls
``overdue()`` at the deadline so that the caller's server can answer for it (:mod:`plankg.server.serving.worker`).
A result larger than ``inline_max_bytes`` is computed again on an engine thread, streaming;
the operation is remembered (``LARGE_REMEMBERED`` of them), so the next time it goes there
straight away.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from plankg.server.engine import storeops
from plankg.server.engine.jobs import Cancelled, Channel, ChunkWriter, EngineThreads, Full, InlineWriter, Job, Watchdog
from plankg.server.engine.queryerrors import QueryFailed, QueryTimeout

IDLE_POLL_S = 0.01  # how often wait_idle looks
INLINE_MAX_BYTES = 1 << 20  # a result run on the caller's thread is kept whole up to this size
LARGE_REMEMBERED = 256  # operations whose result outgrew that, remembered (they go to an engine thread)

Produce = Callable[[Any], None]  # writes a result into the writer it is given


class Execution:
    """A running query whose first chunk is ready: ``first``, then ``chunks()``; or iterate it.

    ``kind`` is "solutions", "boolean" or "graph"; ``media_type`` is pyoxigraph's name for the
    body's format (``text/csv; charset=utf-8`` …); ``elapsed_ms`` is the time to the first
    chunk; ``complete`` says whether ``first`` is the whole body. Iterate to the end or
    :meth:`close` (``with`` does; so does werkzeug, which calls ``close()`` on a response
    iterable): until then the job may go on serialising.
    """

    def __init__(self, kind: str, media_type: str, first: bytes, elapsed_ms: float, rest: _Rest | _Ended):
        self.kind, self.media_type, self.first, self.elapsed_ms = kind, media_type, first, elapsed_ms
        self.complete = rest.ended
        self._rest = rest

    def chunks(self) -> Iterator[bytes]:
        """The chunks after ``first`` (≤ CHUNK_BYTES each); an iterator with ``close()``."""
        return self._rest

    def __iter__(self) -> Iterator[bytes]:
        try:
            if self.first:
                yield self.first
            yield from self._rest
        finally:
            self._rest.close()

    def read(self) -> bytes:
        """The whole body (for small results)."""
        with self:
            return b"".join(self)

    def close(self) -> None:
        self._rest.close()

    def __enter__(self) -> Execution:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Rest:
    """The chunks of a result after the first, read from its channel until the deadline."""

    def __init__(self, channel: Channel, deadline: float, limit_s: float):
        self.channel, self.deadline, self.limit_s = channel, deadline, limit_s
        self.ended = channel.drained()

    def __iter__(self) -> _Rest:
        return self

    def __next__(self) -> bytes:
        if self.ended:
            raise StopIteration
        chunk = _wait(self.channel, self.deadline, self.limit_s)
        if chunk is None:
            self.ended = True
            raise StopIteration
        return chunk

    def close(self) -> None:
        if not self.ended:
            self.ended = True
            self.channel.cancel()

    def __del__(self) -> None:  # a result dropped unread must not keep its job parked
        self.close()


class _Ended:
    """The rest of a result that is whole in ``Execution.first``."""

    ended = True

    def __iter__(self) -> _Ended:
        return self

    def __next__(self) -> bytes:
        raise StopIteration

    def close(self) -> None:
        pass


_ENDED = _Ended()


class Runner:
    """Runs jobs: on engine threads of this process, or on the caller's thread. ``on_stuck(what)``
    is called for a job still running ``STUCK_GRACE_S`` after its deadline."""

    def __init__(self, on_stuck: Callable[[str], Any], inline_max_bytes: int = INLINE_MAX_BYTES):
        self.inline_max_bytes = inline_max_bytes
        self._threads = EngineThreads("plankg-engine")
        self._watchdog = Watchdog(lambda job: on_stuck(job.describe()))
        self._closed = False
        self._large: dict[Hashable, None] = {}  # keys of results that outgrew inline_max_bytes, oldest first
        self.reruns = 0  # results computed again on an engine thread after outgrowing the buffer

    def stream(self, what: Callable[[], str], started: float, deadline: float, produce: Produce,
               overdue: Callable[[], Any] | None = None, key: Hashable | None = None) -> Execution:
        """Run ``produce(writer)`` (it sets ``writer.kind`` and ``writer.media_type`` before it
        writes); return at the first chunk. With ``overdue``, on this thread if the result fits.
        ``key`` names the operation (a query and its options): one whose result has outgrown
        the buffer before goes straight to an engine thread, so it is not computed twice again."""
        if overdue is not None and (key is None or key not in self._large):
            execution = self._inline(what, started, deadline, overdue, produce)
            if execution is not None:
                return execution
            self.reruns += 1
            if key is not None:
                self._large[key] = None
                if len(self._large) > LARGE_REMEMBERED:
                    self._large.pop(next(iter(self._large)), None)  # the oldest
        return self._stream(what, started, deadline, produce)

    def call(self, what: Callable[[], str], started: float, deadline: float, fn: Callable[[], Any]) -> Any:
        """Run ``fn()`` on an engine thread; its result."""
        channel, result = Channel(), []

        def job_body() -> None:
            result.append(fn())
            channel.put(b"", last=True)

        self._submit(what, deadline, channel, job_body)
        _wait(channel, deadline, deadline - started)
        return result[0]

    def stats(self) -> dict[str, Any]:
        """Jobs running now, jobs reported stuck so far, engine threads started so far, results
        computed again after outgrowing the buffer of the caller's thread."""
        return {"running": len(self._watchdog.running()), "stuck": self._watchdog.stuck,
                "threads": self._threads.started, "reruns": self.reruns}

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
        engine thread gets ``error`` (:meth:`plankg.server.engine.jobs.Watchdog.stop_all`). How many."""
        return self._watchdog.stop_all(error)

    def close(self) -> None:
        """Stop taking work; idle engine threads end. Idempotent."""
        self._closed = True
        self._threads.stop()
        self._watchdog.close()

    def _inline(self, what: Callable[[], str], started: float, deadline: float, overdue: Callable[[], Any],
                produce: Produce) -> Execution | None:
        """Run ``produce(writer)`` on this thread; the whole result, or None if it is larger
        than ``inline_max_bytes``."""
        if self._closed:
            raise QueryFailed("the query executor is closed")
        job = Job(what, deadline, overdue)
        writer = InlineWriter(job, self.inline_max_bytes)
        self._watchdog.add(job)
        try:
            produce(writer)
        except Full:
            return None
        except Cancelled:
            raise _timeout(deadline - started) from None
        except BaseException as e:  # noqa: BLE001 - pyoxigraph's errors, translated as on an engine thread
            raise storeops.translate(e) from None
        finally:
            self._watchdog.remove(job)
        if job.answered:  # the watchdog answered the request meanwhile
            raise _timeout(deadline - started)
        return Execution(writer.kind, writer.media_type, bytes(writer.buffer), (time.monotonic() - started) * 1000,
                         _ENDED)

    def _stream(self, what: Callable[[], str], started: float, deadline: float, produce: Produce) -> Execution:
        """Run ``produce(writer)`` on an engine thread; return at the first chunk."""
        limit = deadline - started
        channel = Channel()
        writer = ChunkWriter(channel)

        def job_body() -> None:
            produce(writer)
            writer.finish()

        self._submit(what, deadline, channel, job_body)
        first = _wait(channel, deadline, limit)
        rest = _Rest(channel, deadline, limit)
        if first is None:
            first, rest.ended = b"", True
        return Execution(writer.kind, writer.media_type, first, (time.monotonic() - started) * 1000, rest)

    def _submit(self, what: Callable[[], str], deadline: float, channel: Channel, body: Callable[[], None]) -> None:
        if self._closed:
            raise QueryFailed("the query executor is closed")
        job = Job(what, deadline, channel=channel)

        def run() -> None:
            try:
                body()
            except Cancelled:
                pass
            except BaseException as e:  # noqa: BLE001 - handed to the request thread, which raises it
                channel.fail(storeops.translate(e))
            finally:
                self._watchdog.remove(job)

        self._watchdog.add(job)
        self._threads.submit(run)


def _wait(channel: Channel, deadline: float, limit_s: float) -> bytes | None:
    """The channel's next chunk; QueryTimeout (and the job cancelled) at the deadline."""
    try:
        return channel.get(deadline)
    except TimeoutError:
        channel.cancel()
        raise _timeout(limit_s) from None


def _timeout(limit_s: float) -> QueryTimeout:
    return QueryTimeout(f"the operation ran longer than {limit_s:g} s and was stopped")


