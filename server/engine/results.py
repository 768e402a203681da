"""How a result comes back from an engine thread: a channel of chunks, and the request's view of it.

A *job* (:mod:`plankg.server.engine.timelimit`) writes its result into a :class:`ChunkWriter`;
the chunks, of at most ``CHUNK_BYTES``, reach the request thread through a :class:`Channel`, at
most ``QUEUED_CHUNKS`` ahead of the reader (back-pressure: a slow client parks the job inside
pyoxigraph's ``write()`` call, costing no CPU). pyoxigraph releases the GIL while it evaluates
and serialises, and takes it back to hand each 8 KiB of output to ``write()``. The request
reads the result as an :class:`Execution`. When its reader gives up, the job's next
``write()`` raises :class:`Cancelled`."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox

from plankg.errors import PlanKGError, QueryError
from plankg.namespaces import PREFIXES
from plankg.server.engine.queryerrors import QueryFailed, QuerySyntaxError, QueryTimeout, UnsupportedFormat
from plankg.store import GraphStore
from plankg.store.graphstore import ResultTruncated, ServerFailed, StoreTimeout

KINDS = {ox.QueryBoolean: "boolean", ox.QuerySolutions: "solutions", ox.QueryTriples: "graph"}

CHUNK_BYTES = 64 * 1024
QUEUED_CHUNKS = 2
FLUSH_INTERVAL_S = 0.2  # a slowly growing result is sent at least this often

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
        chunk = wait(self.channel, self.deadline, self.limit_s)
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


def wait(channel: Channel, deadline: float, limit_s: float) -> bytes | None:
    """The channel's next chunk; QueryTimeout (and the job cancelled) at the deadline."""
    try:
        return channel.get(deadline)
    except TimeoutError:
        channel.cancel()
        raise timeout(limit_s) from None


def timeout(limit_s: float) -> QueryTimeout:
    return QueryTimeout(f"the operation ran longer than {limit_s:g} s and was stopped")


# --- the jobs that write a store's answer, and their errors ------------------------------------------

def run_query(store: GraphStore, query: str, media_type: str, options: dict[str, Any], out: ChunkWriter) -> None:
    """The job of a query: its result serialised into ``out``. ``options``: those of :meth:`GraphStore.query` (the dataset, ``base_iri``, ``prefixes``)."""
    result = store.query(query, **options)
    out.kind = KINDS[type(result)]
    if isinstance(result, ox.QueryTriples):
        fmt = _rdf_format(media_type)
        out.media_type = fmt.media_type
        ox.serialize(result, out, fmt, prefixes=PREFIXES)
        return
    fmt = ox.QueryResultsFormat.from_media_type(media_type)
    if fmt is None:
        raise UnsupportedFormat(f"a {out.kind} result cannot be written as {media_type}")
    out.media_type = fmt.media_type
    result.serialize(out, fmt)


def dump(store: GraphStore, graph: str | None, fmt: ox.RdfFormat, out: ChunkWriter) -> None:
    out.kind, out.media_type = "graph", fmt.media_type
    store.dump(out, fmt, graph)


def translate(error: BaseException) -> BaseException:
    """The executor's exception for one raised by a job (others are passed on unchanged)."""
    if isinstance(error, (ResultTruncated, ServerFailed)):  # the store's server cut the result, or failed
        return QueryFailed(str(error))
    if isinstance(error, StoreTimeout):  # the store's server did not answer by the deadline
        return QueryTimeout(str(error))
    if isinstance(error, PlanKGError) and type(error) is not QueryError:
        return error
    if isinstance(error, (SyntaxError, QueryError)):  # QueryError: OxigraphStore's "invalid SPARQL"
        return QuerySyntaxError(str(error))
    if isinstance(error, (OSError, RuntimeError, ValueError)):  # pyoxigraph's evaluation and I/O errors
        return QueryFailed(str(error))
    return error


def _rdf_format(media_type: str) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt is None:
        raise UnsupportedFormat(f"an RDF graph cannot be written or read as {media_type}")
    return fmt
