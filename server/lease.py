"""One request's conversation with a checked-out query process (see :mod:`.pool`).

:class:`Lease` sends a request and reads its frames until END or ERROR, then gives the process
back; on a deadline, a dead or confused worker, or an exception in the caller it kills and
replaces it and raises the executor's exception. :class:`Rest` reads a result's chunks after
the first on demand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from plankg.server import queryworker as qw
from plankg.server.pool import ProcessPool
from plankg.server.queryerrors import WORKER_ERRORS, QueryFailed, QueryTimeout
from plankg.server.workerproc import WorkerDied, WorkerProcess, WorkerTimeout


class Lease:
    """One request's hold on a process. A clean END or ERROR gives the process back; a
    deadline, a dead or confused worker, or an exception in the caller kills and replaces it."""

    def __init__(self, pool: ProcessPool, proc: WorkerProcess, deadline: float, limit_s: float):
        self.pool, self.proc, self.deadline, self.limit_s = pool, proc, deadline, limit_s

    def send(self, request: dict[str, Any], data: bytes | BinaryIO | None = None) -> None:
        self.proc.send(qw.encode_frame(qw.FRAME_REQUEST, request), self.deadline)
        self.proc.running = True
        if data is not None:
            for chunk in chunks(data):
                self.proc.send(qw.encode_frame(qw.FRAME_DATA, chunk), self.deadline)
            self.proc.send(qw.encode_frame(qw.FRAME_END), self.deadline)

    def frame(self, expected: bytes, frame: tuple[bytes, bytes] | None = None) -> bytes:
        """The payload of the next frame (or ``frame``), which must be ``expected`` or ERROR.
        END and ERROR end the lease; ERROR raises the worker's error."""
        kind, payload = frame or self.proc.read_frame(self.deadline)
        if kind == qw.FRAME_ERROR:
            error = json.loads(payload)
            self.end(recycle=error["kind"] == "internal")  # an internal error: the worker exits
            raise WORKER_ERRORS.get(error["kind"], QueryFailed)(error["message"])
        if kind != expected:
            raise qw.ProtocolError(f"expected a {expected!r} frame, got {kind!r}")
        if kind == qw.FRAME_END:
            self.end()
        return payload

    def end(self, recycle: bool = False) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            (self.pool.recycle if recycle else self.pool.release)(proc)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None or self.proc is None:
            return
        self.end(recycle=True)
        if exc_type is WorkerTimeout:
            raise QueryTimeout(f"the query ran longer than {self.limit_s:g} s and was stopped") from None
        if exc_type in (WorkerDied, qw.ProtocolError):
            raise QueryFailed("the query process died") from None


class Rest:
    """The chunks after the first, read on demand. Unlike a generator, ``close`` works even
    before iteration starts; a stream dropped without ``close`` is recycled by the pool."""

    def __init__(self, lease: Lease | None, pending: tuple[bytes, bytes] | None = None):
        self._lease, self._pending = lease, pending

    def __iter__(self) -> Rest:
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
            lease.pool.abandon(lease.proc)


def chunks(data: bytes | BinaryIO) -> Iterator[bytes]:
    """``data`` (bytes, or a binary file read on demand) in pieces of ≤ CHUNK_BYTES."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        view = memoryview(data)
        for i in range(0, len(view), qw.CHUNK_BYTES):
            yield bytes(view[i:i + qw.CHUNK_BYTES])
        return
    while chunk := data.read(qw.CHUNK_BYTES):
        yield chunk
