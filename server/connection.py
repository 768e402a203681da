"""One client connection of :mod:`.worker`: who may answer its current request, and the
response writer that sends each response in as few pieces as it can.

:class:`Response` is gunicorn's, except that the header block goes out with the first body
bytes (one ``send``, one TCP segment), and that its first byte *claims* the connection: the
worker's overdue answer for a request stuck at its time limit (:mod:`.worker`) may replace a
response only until then, so exactly one of the two reaches the client.
"""

from __future__ import annotations

import errno
import socket
import threading

from gunicorn.http import wsgi


class Connection:
    """A client connection: whether its thread is waiting for its next request, and who may
    answer its current request. ``current`` is the response that the watchdog may still
    replace with the overdue answer (until its first byte is sent); ``overdue`` is set once
    it has: the connection then closes, whatever its thread does when it gets control back.
    ``replied`` is set once the overdue answer has been sent (or could not be).
    ``reading_since`` is when the head of the request being read began to arrive (None while
    none is being read)."""

    __slots__ = ("sock", "idle_since", "reading_since", "lock", "current", "overdue", "replied")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.idle_since: float | None = None
        self.reading_since: float | None = None
        self.lock = threading.Lock()
        self.current: Response | None = None
        self.overdue = False
        self.replied = False

    def claim(self) -> None:
        """Before the current response sends its first byte: OSError (EPIPE) if the overdue
        answer went first."""
        with self.lock:
            if self.overdue:
                raise OSError(errno.EPIPE, "the request was answered at its time limit")
            self.current = None

    def claim_overdue(self, resp: Response) -> bool:
        """Whether the overdue answer may replace ``resp`` (nothing of it sent yet)."""
        with self.lock:
            if self.current is not resp:
                return False
            self.current, self.overdue = None, True
            return True


class Response(wsgi.Response):
    """gunicorn's response, except that the header block goes out with the first body bytes:
    one ``send`` and one TCP segment instead of two, so the client wakes once, not twice; and
    that its first byte claims the connection (:meth:`Connection.claim`), when it has one."""

    _held = b""
    _hold = True
    conn: Connection | None = None

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
        self._claim()
        self._hold = False  # gunicorn sends the file itself, right after the header block
        return super().sendfile(respiter)

    def close(self) -> None:
        if not self.headers_sent:
            self.send_headers()
        self._send(b"0\r\n\r\n" if self.chunked else b"")

    def _send(self, data: bytes) -> None:
        held, self._held = self._held, b""
        if held or data:
            self._claim()
            self.sock.sendall(held + data if held else data)

    def _claim(self) -> None:
        if self.conn is not None:
            self.conn.claim()
            self.conn = None


def shut(sock: socket.socket) -> None:
    """Wake the thread waiting on ``sock``: its next read sees the end of the stream."""
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
