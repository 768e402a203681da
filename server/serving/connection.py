"""One client connection of :mod:`plankg.server.serving.worker`: its state, the response writer
that sends each response in as few pieces as it can, and the request body as the app reads it.

:class:`Response` is gunicorn's, except that it sends no ``Server`` header and that the header
block goes out with the first body bytes (one ``send``, one TCP segment).

:class:`RequestBody` is ``wsgi.input``: while the app waits in it for body bytes, the
connection says so (``body_since``), so the worker can close a body that arrives too slowly or
that holds a thread a waiting client needs; the app then gets a 408 (or a 400 for a body the
client broke off), never part of a body.
"""

from __future__ import annotations

import socket

from gunicorn.http import wsgi
from werkzeug.exceptions import BadRequest, RequestTimeout


class Connection:
    """A client connection: whether its thread is waiting for its next request (``idle_since``).
    ``reading_since`` is when the head of the request being read began to arrive (None while
    none is being read). ``received`` counts the bytes read from the socket; ``body_since`` is
    when the current request's head had arrived, while the app waits for its body (else None),
    and ``body_from`` the count then. ``cut`` says why the worker closed the reading side in
    the middle of a request (None if it did not); ``broken`` that the body could not be read
    whole, so the connection must close."""

    __slots__ = ("sock", "idle_since", "reading_since", "received", "body_since", "body_from", "cut", "broken")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.idle_since: float | None = None
        self.reading_since: float | None = None
        self.received = 0
        self.body_since: float | None = None
        self.body_from = 0
        self.cut: str | None = None
        self.broken = False


class Response(wsgi.Response):
    """gunicorn's response, except that the header block goes out with the first body bytes:
    one ``send`` and one TCP segment instead of two, so the client wakes once, not twice; and
    """

    _held = b""
    _hold = True

    def default_headers(self) -> list[str]:
        """gunicorn's status line and headers, without ``Server: gunicorn`` (no need to say)."""
        return [line for line in super().default_headers() if not line.startswith("Server:")]

    def send_headers(self) -> None:
        if self.headers_sent:
            return
        lines = self.default_headers()
        lines.extend([f"{k}: {v}\r\n" for k, v in self.headers])
        block = f"{''.join(lines)}\r\n".encode("latin-1")
        self.headers_sent = True
        if self._hold:
            self._held = block
        else:
            self.sock.sendall(block)

    def _emit_body(self, data: bytes) -> None:
        if self.chunked:
            data = b"%X\r\n%s\r\n" % (len(data), data)
        self._send(data)

    def sendfile(self, respiter) -> bool:
        self._hold = False  # gunicorn sends the file itself, right after the header block
        return super().sendfile(respiter)

    def close(self) -> None:
        if not self.headers_sent:
            self.send_headers()
        self._send(b"0\r\n\r\n" if self.chunked else b"")

    def _send(self, data: bytes) -> None:
        held, self._held = self._held, b""
        if held or data:
            self.sock.sendall(held + data if held else data)


class CountingSocket:
    """What the request parser reads from: the socket, counting the bytes into the connection."""

    __slots__ = ("sock", "conn")

    def __init__(self, sock: socket.socket, conn: Connection):
        self.sock, self.conn = sock, conn

    def recv(self, size: int) -> bytes:
        data = self.sock.recv(size)
        self.conn.received += len(data)
        return data


class RequestBody:
    """``wsgi.input`` of a request with a body (gunicorn's body, read through this): marks the
    connection while the app waits for body bytes, and raises a 408 if the worker cut the body
    off (or no byte came within the socket's timeout), a 400 if the client broke it off or
    sent a malformed chunk, so the app never takes part of a body for the whole."""

    def __init__(self, body, conn: Connection, length: int | None, since: float):
        self.body, self.conn, self.left, self.since = body, conn, length, since  # left: None if chunked

    def read(self, size: int | None = None) -> bytes:
        want = self.left if size is None or size < 0 else size if self.left is None else min(size, self.left)
        data = self._read(self.body.read, size)
        if self.left is not None and len(data) < want:
            raise self._broken(None)
        return data

    def readline(self, size: int | None = None) -> bytes:
        data = self._read(self.body.readline, size)
        if self.left and not data:
            raise self._broken(None)
        return data

    def readlines(self, hint: int | None = None) -> list[bytes]:
        return self.read().splitlines(keepends=True)

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def _read(self, read, size):
        conn = self.conn
        if conn.cut is not None:
            raise self._broken(None)
        conn.body_since = self.since
        try:
            data = read(size)
        except OSError as e:  # gunicorn's NoMoreData and chunk errors are OSErrors too
            raise self._broken(e) from None
        finally:
            conn.body_since = None
        if conn.cut is not None:
            raise self._broken(None)
        if self.left is not None:
            self.left -= len(data)
        return data

    def _broken(self, error: OSError | None) -> Exception:
        self.conn.broken = True
        if self.conn.cut is not None:
            return RequestTimeout(f"the request body did not arrive in time: {self.conn.cut}")
        if isinstance(error, TimeoutError):
            return RequestTimeout("no byte of the request body arrived for too long")
        if error is None or isinstance(error, ConnectionError) or type(error).__name__ == "NoMoreData":
            return BadRequest("the request body ended before its end: the client broke it off")
        return BadRequest(f"the request body cannot be read: {error}")


def shut(sock: socket.socket) -> None:
    """Wake the thread waiting on ``sock``: its next read sees the end of the stream."""
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
