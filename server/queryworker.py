"""A query process: holds one pyoxigraph store and serves requests on its stdin/stdout pipes.

Started by :class:`plankg.server.executor.QueryExecutor` with ``subprocess.Popen`` (never
forked from the threaded server) as ``python -P …/queryworker.py STORE PARENT_PID
[--read-write]``: run by path, because ``-m plankg.server.queryworker`` would first import the
``plankg.server`` package and with it Flask (+0.27 s per spawn). ``-m`` works too.

Framing (both directions): a frame is ``type`` (1 byte) + ``length`` (4 bytes, big endian) +
``length`` bytes of payload. JSON payloads are UTF-8 objects.

==================  =========  =============================================================
frame               payload    meaning
==================  =========  =============================================================
``FRAME_READY``     JSON       worker → parent once, after the store opened: ``{pid, build}``
``FRAME_REQUEST``   JSON       parent → worker: ``{op, …}`` (ops below)
``FRAME_HEADER``    JSON       worker → parent: ``{kind, media_type}`` before a result body
``FRAME_DATA``      bytes      a body chunk of at most ``CHUNK_BYTES`` (either direction)
``FRAME_END``       JSON       ends a response (``{}`` or ``{existed}``/``{exists}``), or the
                               data frames of a ``load`` request (empty payload)
``FRAME_ERROR``     JSON       ends a response: ``{kind, message}``, kind in ``ERROR_KINDS``
==================  =========  =============================================================

Ops: ``query`` (→ HEADER, DATA*, END), ``dump`` (→ HEADER, DATA*, END), ``update``, ``load``
(followed by DATA* END from the parent), ``clear``, ``exists`` (→ END). Any response may
instead end with ERROR, after which the worker is ready for the next request. Results are
serialised straight into the pipe: a chunk is sent when ``CHUNK_BYTES`` are buffered, or
``FLUSH_INTERVAL_S`` after the previous one, so neither process holds a whole result, and a
parent that stops reading blocks the worker (back-pressure).

Failure modes: the worker exits 0 when its stdin closes (parent gone or executor closed) and is
killed with its parent (``PR_SET_PDEATHSIG``); it exits ``EXIT_STORE`` after an ERROR frame of
kind ``store`` if the store cannot be opened; on an unexpected exception it reports an
``internal`` ERROR frame and exits ``EXIT_INTERNAL`` (its state is unknown, so the parent
replaces it rather than reuse it). In read-only mode it reopens the store when the store path
points to a new build (one ``stat`` before each request); a failed reopen keeps the old snapshot.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from plankg.errors import QueryError, StoreError
from plankg.namespaces import PREFIXES
from plankg.store import ROCKSDB_MARKER, OxigraphStore, open_store

FRAME_READY = b"Y"
FRAME_REQUEST = b"R"
FRAME_HEADER = b"H"
FRAME_DATA = b"D"
FRAME_END = b"E"
FRAME_ERROR = b"X"
FRAME_PREFIX = struct.Struct(">cI")
MAX_FRAME_BYTES = 64 << 20  # a request may carry a whole query text; data frames are smaller
CHUNK_BYTES = 64 * 1024
FLUSH_INTERVAL_S = 0.2
ERROR_KINDS = ("syntax", "failed", "format", "store", "internal")
EXIT_STORE = 3
EXIT_INTERNAL = 70
PR_SET_PDEATHSIG = 1
TMP_GRAPH_PREFIX = "urn:plankg:upload:"  # graphs a replacing load stages into


class ProtocolError(Exception):
    """The peer broke the framing (or closed the pipe mid-frame)."""


def encode_frame(kind: bytes, payload: bytes | dict[str, Any] = b"") -> bytes:
    if isinstance(payload, dict):
        payload = json.dumps(payload, ensure_ascii=False).encode()
    return FRAME_PREFIX.pack(kind, len(payload)) + payload


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_frame(stream: BinaryIO) -> tuple[bytes, bytes] | None:
    """The next (kind, payload) from a blocking stream; None at a clean end of stream."""
    prefix = stream.read(FRAME_PREFIX.size)
    if not prefix:
        return None
    if len(prefix) < FRAME_PREFIX.size:
        raise ProtocolError("truncated frame prefix")
    kind, length = FRAME_PREFIX.unpack(prefix)
    if length > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {length} bytes")
    payload = stream.read(length)
    if len(payload) < length:
        raise ProtocolError("truncated frame")
    return kind, payload


class ChunkWriter:
    """A write-only file object that sends what pyoxigraph serialises as DATA frames.

    ``head`` (the HEADER frame) goes out with the first chunk and END with the last, so a
    small result costs the parent a single read.
    """

    def __init__(self, fd: int, head: bytes):
        self.fd = fd
        self.buffer = bytearray()
        self.frames = bytearray(head)  # encoded, not yet written
        self.last_flush = time.monotonic()

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) >= CHUNK_BYTES:
            self._chunk(CHUNK_BYTES)
        if self.buffer and time.monotonic() - self.last_flush >= FLUSH_INTERVAL_S:
            self._chunk(len(self.buffer))
        return len(data)

    def flush(self) -> None:
        """pyoxigraph calls this once at the end; :meth:`finish` sends the rest."""

    def finish(self, end: bytes) -> None:
        while self.buffer:
            self._chunk(min(len(self.buffer), CHUNK_BYTES), send=False)
        self.frames += end
        self._send()

    def _chunk(self, n: int, send: bool = True) -> None:
        self.frames += encode_frame(FRAME_DATA, bytes(self.buffer[:n]))
        del self.buffer[:n]
        if send:
            self._send()

    def _send(self) -> None:
        write_all(self.fd, self.frames)
        self.frames.clear()
        self.last_flush = time.monotonic()


class FrameReader:
    """A read-only file object over the DATA frames of a ``load`` request, up to its END."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.pending = memoryview(b"")
        self.ended = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self.pending and not self.ended:
            frame = read_frame(self.stream)
            if frame is None or frame[0] not in (FRAME_DATA, FRAME_END):
                raise ProtocolError("a load request must be followed by DATA frames and END")
            self.ended = frame[0] == FRAME_END
            self.pending = memoryview(frame[1])
        size = len(self.pending) if size is None or size < 0 else size
        out, self.pending = self.pending[:size], self.pending[size:]
        return bytes(out)

    def drain(self) -> None:
        while not self.ended:
            self.pending = memoryview(b"")
            self.read(CHUNK_BYTES)


class Worker:
    """The store and the request handlers of one query process."""

    def __init__(self, store_path: str, read_write: bool, out_fd: int):
        self.path = store_path
        self.read_write = read_write
        self.out = out_fd
        if read_write:
            build = Path(os.path.realpath(store_path))
            if not (build / ROCKSDB_MARKER).is_file():  # pyoxigraph.Store would create one
                raise StoreError(f"no plankg store at {store_path}; run `plankg build` to create it")
            self.raw = ox.Store(str(build))
            self.store = OxigraphStore(self.raw, Path(store_path), build)
            for graph in list(self.raw.named_graphs()):  # left by a replacing load that was killed
                if isinstance(graph, ox.NamedNode) and graph.value.startswith(TMP_GRAPH_PREFIX):
                    self.raw.remove_graph(graph)
        else:
            self.raw = None  # writes are refused by the parent; reads go through OxigraphStore
            self.store = open_store(store_path)
        self.opened = _identity(self.store.build_dir)
        self.reopen_error = ""

    def handle(self, request: dict[str, Any], stdin: BinaryIO) -> None:
        """Serve one request; pyoxigraph's errors become an ERROR frame."""
        op = request["op"]
        if not self.read_write and _identity(self.path) != self.opened:  # re-published
            self._reopen()
        reader = FrameReader(stdin) if op == "load" else None
        try:
            try:
                self._dispatch(op, request, reader)
            finally:
                if reader is not None:
                    reader.drain()  # the load's data must be consumed even if it failed
        except _Refusal as e:
            self._send(FRAME_ERROR, {"kind": e.kind, "message": e.message})
        except SyntaxError as e:
            self._send(FRAME_ERROR, {"kind": "syntax", "message": str(e)})
        except (OSError, RuntimeError, ValueError) as e:  # pyoxigraph's evaluation/IO errors
            self._send(FRAME_ERROR, {"kind": "failed", "message": str(e)})

    def _dispatch(self, op: str, request: dict[str, Any], reader: FrameReader | None) -> None:
        graph = request.get("graph")
        if op == "query":
            self._query(request)
        elif op == "dump":
            fmt = self._rdf_format(request["format"])
            self._stream("graph", fmt, lambda out: self.store.dump(out, fmt, graph))
        elif op == "exists":
            if graph is None:
                exists = True
            elif self.raw is not None:
                exists = self.raw.contains_named_graph(ox.NamedNode(graph))
            else:
                exists = graph in self.store.graphs()
            self._send(FRAME_END, {"exists": exists})
        elif self.raw is None:
            raise _Refusal("store", f"{op} needs a store opened read-write")
        elif op == "update":
            self.raw.update(request["update"])
            self._commit({})
        elif op == "clear":
            self._clear(graph)
        elif op == "load" and reader is not None:
            self._load(reader, request)
        else:
            raise _Refusal("internal", f"unknown op {op!r}")

    def _query(self, request: dict[str, Any]) -> None:
        try:
            result = self.store.query(request["query"], union_default_graph=request["union"],
                                      default_graphs=request.get("default_graphs"),
                                      named_graphs=request.get("named_graphs"))
        except QueryError as e:
            raise _Refusal("syntax", str(e)) from None
        if isinstance(result, ox.QueryTriples):
            fmt = self._rdf_format(request["format"])
            self._stream("graph", fmt, lambda out: ox.serialize(result, out, fmt, prefixes=PREFIXES))
            return
        kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
        fmt = ox.QueryResultsFormat.from_media_type(request["format"])
        if fmt is None:
            raise _Refusal("format", f"a {kind} result cannot be written as {request['format']}")
        self._stream(kind, fmt, lambda out: result.serialize(out, fmt))

    def _load(self, reader: FrameReader, request: dict[str, Any]) -> None:
        fmt = self._rdf_format(request["format"])
        if fmt.supports_datasets:
            raise _Refusal("format", f"{fmt.name} holds a dataset; load one graph at a time")
        graph = request.get("graph")
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        if not request.get("replace"):
            self.raw.load(reader, fmt, to_graph=target)
            self._commit({})
            return
        staging = ox.NamedNode(TMP_GRAPH_PREFIX + uuid.uuid4().hex)
        self.raw.load(reader, fmt, to_graph=staging)  # a syntax error leaves the graph alone
        dest = f"GRAPH <{graph}>" if graph else "DEFAULT"
        create = f" ; CREATE SILENT GRAPH <{graph}>" if graph else ""
        self.raw.update(f"MOVE SILENT GRAPH <{staging.value}> TO {dest}{create}")  # one transaction
        self._commit({})

    def _clear(self, graph: str | None) -> None:
        if graph is None:
            self.raw.clear_graph(ox.DefaultGraph())
            existed = True
        else:
            node = ox.NamedNode(graph)
            existed = self.raw.contains_named_graph(node)
            if existed:
                self.raw.remove_graph(node)
        self._commit({"existed": existed})

    def _commit(self, end: dict[str, Any]) -> None:
        self.raw.flush()
        self._send(FRAME_END, end)

    def _stream(self, kind: str, fmt: Any, serialise: Callable[[ChunkWriter], None]) -> None:
        """HEADER, the serialised body as DATA frames, END (or ERROR, raised from ``serialise``)."""
        writer = ChunkWriter(self.out, encode_frame(FRAME_HEADER, {"kind": kind, "media_type": fmt.media_type}))
        serialise(writer)
        writer.finish(_END)

    @staticmethod
    def _rdf_format(media_type: str) -> ox.RdfFormat:
        fmt = ox.RdfFormat.from_media_type(media_type)
        if fmt is None:
            raise _Refusal("format", f"an RDF graph cannot be written or read as {media_type}")
        return fmt

    def _reopen(self) -> None:
        try:
            self.store = open_store(self.path)
        except StoreError as e:
            if str(e) != self.reopen_error:  # once, not on every request
                print(f"plankg query worker {os.getpid()}: keeping the old store: {e}", file=sys.stderr)
            self.reopen_error = str(e)
            return
        self.opened = _identity(self.store.build_dir)

    def _send(self, kind: bytes, payload: bytes | dict[str, Any]) -> None:
        write_all(self.out, encode_frame(kind, payload))


_END = encode_frame(FRAME_END, {})


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the directory ``path`` resolves to: one ``stat``, where
    ``OxigraphStore.is_current`` (``realpath``) costs ~5 ``lstat``s per request."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class _Refusal(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when the parent's spawning thread ends; ignore ^C
    (the parent decides when this process ends)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: stdin EOF still ends an idle worker
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        sys.exit(0)


def _claim_pipes() -> tuple[BinaryIO, int]:
    """Private copies of stdin/stdout for the protocol; stray prints go to stderr."""
    proto_in = os.fdopen(os.dup(0), "rb", buffering=CHUNK_BYTES + FRAME_PREFIX.size)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    return proto_in, proto_out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    store_path, parent_pid, read_write = args[0], int(args[1]), "--read-write" in args[2:]
    _die_with_parent(parent_pid)
    stdin, out = _claim_pipes()
    try:
        worker = Worker(store_path, read_write, out)
    except (StoreError, OSError, RuntimeError) as e:
        write_all(out, encode_frame(FRAME_ERROR, {"kind": "store", "message": str(e)}))
        return EXIT_STORE
    write_all(out, encode_frame(FRAME_READY, {"pid": os.getpid(), "build": str(worker.store.build_dir)}))
    try:
        while (frame := read_frame(stdin)) is not None:
            if frame[0] != FRAME_REQUEST:
                raise ProtocolError(f"expected a request frame, got {frame[0]!r}")
            worker.handle(json.loads(frame[1]), stdin)
    except BrokenPipeError:
        return 0  # the parent closed our stdout: it no longer wants this process
    except Exception as e:  # noqa: BLE001 - report anything unexpected, then exit: state unknown
        try:
            write_all(out, encode_frame(FRAME_ERROR, {"kind": "internal", "message": f"{type(e).__name__}: {e}"}))
        except OSError:
            pass
        return EXIT_INTERNAL
    return 0


if __name__ == "__main__":
    sys.exit(main())
