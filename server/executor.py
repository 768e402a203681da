"""Run SPARQL in a pool of killable query processes (the other end: :mod:`.queryworker`).

pyoxigraph cannot cancel a query, and aggregates and ORDER BY compute inside ``query()``, so
the only hard time limit is to kill the process running it (engines reference §1.5).
:class:`QueryExecutor` keeps ``processes`` worker processes, each holding the store. A request
checks one out (waiting, within its deadline, if all are busy), talks to it over its pipes and
gives it back; after a timeout, a client that went away or a dead worker, the process is killed
and a supervisor thread starts a replacement, so requests never wait for a spawn they did not
need. Thread-safe; create one per server process (after gunicorn forks), share it.

Every query and update passes :mod:`.guard` first: SERVICE and LOAD targets must be on the
``allowlist`` (empty by default: none), so no caller can bypass the check.

Exceptions (all :class:`plankg.errors.PlanKGError`; the first five are ``QueryError``s):

=====================  ======================================================================
``QuerySyntaxError``   pyoxigraph rejected the query, update or data (the message has the
                       position)
``QueryFailed``        evaluation failed (a failed SERVICE, an I/O error), or the process died
``QueryTimeout``       over the time limit; the process was killed. From ``execute`` before
                       the first chunk, from the chunk iterator after it (body truncated)
``UnsupportedFormat``  the media type does not fit the result or the upload
``QueryError``         a bad argument: a graph name that is not an absolute IRI
``Overloaded``         no process became free before the deadline
``ReadOnly``           a write on an executor that opened the store read-only
``Refused``            a SERVICE/LOAD target not on the allowlist
``StoreError``         (constructor) the processes could not open the store
=====================  ======================================================================
"""

from __future__ import annotations

import json
import math
import os
import queue
import select
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from pyoxigraph import NamedNode, QueryResultsFormat, RdfFormat, parse_query_results

from plankg.errors import PlanKGError, QueryError, StoreError
from plankg.server import queryworker as qw
from plankg.server.guard import Refused, check_federation, inspect_query, inspect_update, validate_allowlist

SPAWN_TIMEOUT_S = 120.0  # reopening a store after a killed write may replay its WAL
RESPAWN_BACKOFF_S = (0.1, 0.5, 2.0, 5.0)
CLOSE_GRACE_S = 2.0
READ_BYTES = 4 * qw.CHUNK_BYTES
JSON_RESULTS = "application/sparql-results+json"
WORKER_SCRIPT = os.path.abspath(qw.__file__)  # by path: `-m plankg.server…` would import Flask

__all__ = ["QueryExecutor", "Execution", "QuerySyntaxError", "QueryFailed", "QueryTimeout",
           "UnsupportedFormat", "Overloaded", "ReadOnly", "Refused"]


class QuerySyntaxError(QueryError):
    """pyoxigraph could not parse the query, update or data; the message gives the position."""


class QueryFailed(QueryError):
    """The request was valid but its evaluation failed, or its process died."""


class QueryTimeout(QueryError):
    """The request ran past its deadline and its process was killed."""


class UnsupportedFormat(QueryError):
    """The media type does not fit the result (or the upload)."""


class Overloaded(PlanKGError):
    """Every query process stayed busy until the deadline."""


class ReadOnly(PlanKGError):
    """A write was asked of an executor that opened the store read-only."""


_WORKER_ERRORS = {"syntax": QuerySyntaxError, "format": UnsupportedFormat}  # others: QueryFailed


class Execution:
    """A running query whose first chunk is ready: ``first``, then ``chunks()``; or iterate it.

    ``kind`` is "solutions", "boolean" or "graph"; ``media_type`` is pyoxigraph's name for the
    body's format (``text/csv; charset=utf-8`` …); ``elapsed_ms`` is the time to the first
    chunk. Iterate to the end or :meth:`close` (``with`` does; so does werkzeug, which calls
    ``close()`` on a response iterable): until then it holds a query process.
    """

    def __init__(self, kind: str, media_type: str, first: bytes, elapsed_ms: float, rest: _Rest):
        self.kind, self.media_type, self.first, self.elapsed_ms = kind, media_type, first, elapsed_ms
        self._rest = rest

    def chunks(self) -> Iterator[bytes]:
        """The chunks after ``first`` (≤ CHUNK_BYTES each); an iterator with ``close()``."""
        return self._rest

    def __iter__(self) -> Iterator[bytes]:
        try:
            if self.first:
                yield self.first
            yield from self._rest
        finally:  # a consumer that stops early (the generator is closed) recycles the process
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


class _Lease:
    """One request's hold on a process. A clean END or ERROR gives the process back; a
    deadline, a dead or confused worker, or an exception in the caller kills and replaces it."""

    def __init__(self, pool: QueryExecutor, proc: _Process, deadline: float, limit_s: float):
        self.pool, self.proc, self.deadline, self.limit_s = pool, proc, deadline, limit_s

    def send(self, request: dict[str, Any], data: bytes | BinaryIO | None = None) -> None:
        self.proc.send(qw.encode_frame(qw.FRAME_REQUEST, request), self.deadline)
        self.proc.running = True
        if data is not None:
            for chunk in _chunks(data):
                self.proc.send(qw.encode_frame(qw.FRAME_DATA, chunk), self.deadline)
            self.proc.send(qw.encode_frame(qw.FRAME_END), self.deadline)

    def frame(self, expected: bytes, frame: tuple[bytes, bytes] | None = None) -> bytes:
        """The payload of the next frame (or ``frame``), which must be ``expected`` or ERROR.
        END and ERROR end the lease; ERROR raises the worker's error."""
        kind, payload = frame or self.proc.read_frame(self.deadline)
        if kind == qw.FRAME_ERROR:
            error = json.loads(payload)
            self.end(recycle=error["kind"] == "internal")  # an internal error: the worker exits
            raise _WORKER_ERRORS.get(error["kind"], QueryFailed)(error["message"])
        if kind != expected:
            raise qw.ProtocolError(f"expected a {expected!r} frame, got {kind!r}")
        if kind == qw.FRAME_END:
            self.end()
        return payload

    def end(self, recycle: bool = False) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            (self.pool._recycle if recycle else self.pool._release)(proc)

    def __enter__(self) -> _Lease:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None or self.proc is None:
            return
        self.end(recycle=True)
        if exc_type is _Timeout:
            raise QueryTimeout(f"the query ran longer than {self.limit_s:g} s and was stopped") from None
        if exc_type in (_Died, qw.ProtocolError):
            raise QueryFailed("the query process died") from None


class _Rest:
    """The chunks after the first, read on demand. Unlike a generator, ``close`` works even
    before iteration starts; a stream dropped without ``close`` is recycled by the pool."""

    def __init__(self, lease: _Lease | None, pending: tuple[bytes, bytes] | None = None):
        self._lease, self._pending = lease, pending

    def __iter__(self) -> _Rest:
        return self

    def __next__(self) -> bytes:
        lease = self._lease
        if lease is None or lease.proc is None:
            raise StopIteration
        frame, self._pending = self._pending, None
        with lease:
            frame = frame or lease.proc.read_frame(lease.deadline)
            if frame[0] == qw.FRAME_DATA:
                return frame[1]
            lease.frame(qw.FRAME_END, frame)  # END gives the process back; ERROR raises
        raise StopIteration

    def close(self) -> None:
        """Stop early: the worker may still be computing, so it is killed and replaced."""
        if self._lease is not None and self._lease.proc is not None:
            self._lease.end(recycle=True)

    def __del__(self) -> None:
        lease = self._lease
        if lease is not None and lease.proc is not None:  # no locks in __del__: hand it over
            lease.pool._abandon(lease.proc)


class QueryExecutor:
    """A pool of query processes over the store at ``store_path``.

    ``processes`` workers (always 1 with ``read_write``: a single writer runs everything in
    order); ``timeout_s`` is the default wall-clock limit of a request, waiting for a free
    process included; ``allowlist`` holds the IRI prefixes SERVICE and LOAD may reach.
    Raises StoreError if the processes cannot open the store.
    """

    def __init__(self, store_path: str | os.PathLike[str], *, processes: int = 4, timeout_s: float = 30.0,
                 read_write: bool = False, allowlist: Iterable[str] = ()):
        if processes < 1 or timeout_s <= 0:
            raise ValueError("processes must be ≥ 1 and timeout_s > 0")
        self.store_path = os.path.abspath(os.fspath(store_path))
        self.read_write = read_write
        self.processes = 1 if read_write else processes
        self.timeout_s = timeout_s
        self.allowlist = validate_allowlist(allowlist)
        self._cond = threading.Condition()
        self._idle: list[_Process] = []
        self._busy: set[_Process] = set()
        self._live: set[_Process] = set()  # every process not yet reaped, for the exit hook
        self._starting = 0
        self._counts = {"spawned": 0, "killed": 0}
        self._spawn_error: str | None = None
        self._closed = False
        self._stopping = threading.Event()
        self._write_lock = threading.Lock()
        self._events: queue.SimpleQueue[tuple[str, _Process | None]] = queue.SimpleQueue()
        weakref.finalize(self, _kill_all, self._live)
        # All processes are started by this thread: PR_SET_PDEATHSIG follows the starting
        # *thread*, which must live as long as the pool, not a request thread.
        self._supervisor = threading.Thread(target=self._supervise, name="plankg-query-pool", daemon=True)
        self._supervisor.start()
        self._replace(None, self.processes)
        if not self.wait_ready(SPAWN_TIMEOUT_S) or self._spawn_error:
            error = self._spawn_error or "the query processes did not start in time"
            self.close()
            raise StoreError(error)

    # --- queries -------------------------------------------------------------------------

    def execute(self, query: str, *, result_format: str | QueryResultsFormat | RdfFormat,
                union_default_graph: bool = True, default_graphs: Iterable[str] | None = None,
                named_graphs: Iterable[str] | None = None, timeout_s: float | None = None) -> Execution:
        """Start ``query``; return once its first chunk (or its empty end) is computed.

        ``result_format``: a media type (``application/sparql-results+json``, ``…+xml``,
        ``text/csv``, ``text/tab-separated-values``; ``text/turtle``, ``application/n-triples``,
        ``application/n-quads``, ``application/trig``, ``application/rdf+xml``,
        ``application/ld+json``, ``text/n3``) or a pyoxigraph format object. It must suit the
        query form (``guard.inspect_query(q).form``), else UnsupportedFormat. The dataset
        options behave as in :meth:`plankg.store.OxigraphStore.query`.
        """
        info = inspect_query(query)
        check_federation(info.services, self.allowlist)
        media_type = _media_type(result_format, info.form)
        request = {"op": "query", "query": query, "format": media_type, "union": union_default_graph,
                   "default_graphs": _graphs(default_graphs), "named_graphs": _graphs(named_graphs)}
        return self._stream(request, timeout_s)

    def select(self, query: str, **options: Any) -> list[dict[str, Any]]:
        """SELECT rows as {variable: pyoxigraph term} (unbound variables absent). ``options``:
        those of :meth:`execute` but ``result_format``."""
        body = self.execute(query, result_format=JSON_RESULTS, **options).read()
        results = parse_query_results(body, QueryResultsFormat.JSON)
        names = [v.value for v in results.variables]
        return [{n: t for n, t in zip(names, row) if t is not None} for row in results]

    def ask(self, query: str, **options: Any) -> bool:
        body = self.execute(query, result_format=JSON_RESULTS, **options).read()
        return bool(parse_query_results(body, QueryResultsFormat.JSON))

    def construct(self, query: str, result_format: str | RdfFormat = "application/n-triples", **options: Any) -> bytes:
        """A CONSTRUCT or DESCRIBE result, whole."""
        return self.execute(query, result_format=result_format, **options).read()

    # --- writes and the Graph Store Protocol -----------------------------------------------

    def update(self, text: str, *, timeout_s: float | None = None) -> None:
        """Run a SPARQL update and flush it; all or nothing (also when killed at the deadline)."""
        info = inspect_update(text)
        check_federation(info.loads + info.services, self.allowlist)
        self._write({"op": "update", "update": text}, timeout_s)

    def load(self, data: bytes | BinaryIO, format: str | RdfFormat, graph: str | None = None, *,
             replace: bool = False, timeout_s: float | None = None) -> None:
        """Add the triples in ``data`` (bytes, or a binary file read in chunks) to ``graph``
        (None: the default graph). ``replace`` drops the old content in the same transaction
        (Graph Store PUT). Malformed data → QuerySyntaxError, and nothing changes."""
        media_type = format if isinstance(format, str) else format.media_type
        if RdfFormat.from_media_type(media_type) is None:
            raise UnsupportedFormat(f"cannot load {media_type}")
        self._write({"op": "load", "format": media_type, "graph": _graph(graph), "replace": replace},
                    timeout_s, data)

    def clear(self, graph: str | None, *, timeout_s: float | None = None) -> bool:
        """Remove a named graph (None: empty the default graph); whether it existed."""
        return self._write({"op": "clear", "graph": _graph(graph)}, timeout_s)["existed"]

    def graph_exists(self, graph: str | None, *, timeout_s: float | None = None) -> bool:
        return self._call({"op": "exists", "graph": _graph(graph)}, timeout_s)["exists"]

    def dump_graph(self, graph: str | None, format: str | RdfFormat, *, timeout_s: float | None = None) -> bytes:
        """One named graph, serialised whole; None: the whole store as in
        :meth:`plankg.store.OxigraphStore.dump` (graph names kept in N-Quads/TriG/JSON-LD)."""
        request = {"op": "dump", "graph": _graph(graph), "format": _media_type(format, "CONSTRUCT")}
        return self._stream(request, timeout_s).read()

    # --- the pool ------------------------------------------------------------------------

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

    def __enter__(self) -> QueryExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stream(self, request: dict[str, Any], timeout_s: float | None) -> Execution:
        """Send a request answered by HEADER DATA* END; return at the first chunk."""
        started = time.monotonic()
        with self._lease(started, timeout_s) as lease:
            lease.send(request)
            header = json.loads(lease.frame(qw.FRAME_HEADER))
            first = lease.proc.read_frame(lease.deadline)
            following = lease.proc.buffered_frame() if first[0] == qw.FRAME_DATA else first
            if following is not None and following[0] != qw.FRAME_DATA:
                lease.frame(qw.FRAME_END, following)  # all there already: release now
            body = first[1] if first[0] == qw.FRAME_DATA else b""
            return Execution(header["kind"], header["media_type"], body, (time.monotonic() - started) * 1000,
                             _Rest(lease, following))

    def _call(self, request: dict[str, Any], timeout_s: float | None, data: bytes | BinaryIO | None = None,
              started: float | None = None) -> dict[str, Any]:
        """Send a request (and a load's data) answered by END; its payload."""
        with self._lease(started or time.monotonic(), timeout_s) as lease:
            lease.send(request, data)
            return json.loads(lease.frame(qw.FRAME_END))

    def _write(self, request: dict[str, Any], timeout_s: float | None, data: bytes | BinaryIO | None = None
               ) -> dict[str, Any]:
        if not self.read_write:
            raise ReadOnly("this endpoint is read-only")
        started = time.monotonic()
        if not self._write_lock.acquire(timeout=timeout_s or self.timeout_s):
            raise Overloaded("other writes held the store until the deadline")
        try:
            return self._call(request, timeout_s, data, started)
        finally:
            self._write_lock.release()

    def _lease(self, started: float, timeout_s: float | None) -> _Lease:
        """Check out a free process, waiting until the deadline at most."""
        limit = timeout_s or self.timeout_s
        deadline = started + limit
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
        return _Lease(self, proc, deadline, limit)

    def _release(self, proc: _Process) -> None:
        """Take back a process that ended its response cleanly."""
        with self._cond:
            self._busy.discard(proc)
            proc.running = False
            if not self._closed:
                self._idle.append(proc)
                self._cond.notify()
                return
        self._reap([proc], graceful=True)

    def _recycle(self, proc: _Process) -> None:
        """Kill a process in an unknown state (deadline, client gone, death) and replace it."""
        proc.kill()
        with self._cond:
            self._busy.discard(proc)
            proc.running = False
            self._counts["killed"] += 1
        self._replace(proc)

    def _abandon(self, proc: _Process) -> None:
        """From ``__del__`` (no locks there): kill; the supervisor does the rest."""
        proc.kill()
        self._events.put(("abandoned", proc))

    def _replace(self, dead: _Process | None, count: int = 1) -> None:
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

    def _full(self) -> bool:
        return self._starting == 0 and len(self._idle) + len(self._busy) == self.processes

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
                    self._replace(proc)  # queued: handled in the next round
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
                    procs.append(_Process(self.store_path, self.read_write))
                except OSError as e:
                    error = f"cannot start a query process: {e}"
            self._live.update(procs)
            deadline = time.monotonic() + SPAWN_TIMEOUT_S
            for proc in procs:
                try:
                    proc.wait_ready(deadline)
                except (StoreError, _Died, _Timeout, qw.ProtocolError) as e:
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

    def _reap(self, procs: list[_Process], graceful: bool = False) -> None:
        for proc in procs:
            if not graceful:
                proc.kill()
            proc.reap(CLOSE_GRACE_S)
            self._live.discard(proc)


def _media_type(fmt: str | QueryResultsFormat | RdfFormat, form: str | None) -> str:
    """The media type of ``fmt``; UnsupportedFormat if it cannot hold a ``form`` result."""
    media_type = fmt if isinstance(fmt, str) else fmt.media_type
    results = QueryResultsFormat.from_media_type(media_type) is not None
    graph = RdfFormat.from_media_type(media_type) is not None
    if not {"SELECT": results, "ASK": results, "CONSTRUCT": graph, "DESCRIBE": graph}.get(form, results or graph):
        raise UnsupportedFormat(f"a {form or 'SPARQL'} result cannot be written as {media_type}")
    return media_type


def _graph(iri: str | None) -> str | None:
    if iri is None:
        return None
    try:
        return NamedNode(iri).value
    except ValueError as e:
        raise QueryError(f"invalid graph IRI {iri!r}: {e}") from None


def _graphs(iris: Iterable[str] | None) -> list[str] | None:
    return None if iris is None else [_graph(i) for i in iris]


def _chunks(data: bytes | BinaryIO) -> Iterator[bytes]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data)
        for i in range(0, len(view), qw.CHUNK_BYTES):
            yield bytes(view[i:i + qw.CHUNK_BYTES])
        return
    while chunk := data.read(qw.CHUNK_BYTES):
        yield chunk


def _kill_all(live: set[_Process]) -> None:
    """At exit, or when the executor is collected: no query process outlives it."""
    for proc in list(live):
        proc.kill()


class _Timeout(Exception):
    """The deadline passed while waiting on a worker."""


class _Died(Exception):
    """The worker closed its pipe: it exited or was killed."""


class _Process:
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
        """Wait for READY; StoreError (from the worker) or _Died/_Timeout otherwise."""
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
                raise _Died() from None

    def read_frame(self, deadline: float) -> tuple[bytes, bytes]:
        """The next frame, reading until ``deadline`` (_Timeout) or the end of the pipe (_Died)."""
        while (frame := self.buffered_frame()) is None:
            if time.monotonic() >= deadline:  # also when the worker keeps the pipe full
                raise _Timeout()
            try:
                data = os.read(self._rfd, READ_BYTES)
            except BlockingIOError:
                self._wait(self._poll_in, deadline)
                continue
            if not data:
                raise _Died()
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
            raise _Timeout()


