"""Answers to requests gunicorn cannot parse, in plain text like the app's own errors.

gunicorn chooses the status of a request it cannot parse (400, 414, 431, 501 …) and logs it,
then writes an HTML page without CORS headers: a SPARQL client prints HTML, and a browser
client on another origin sees only a network error. :class:`ErrorPage` takes that page in
place of the socket (``util.write_nonblock`` calls ``gettimeout`` and ``sendall``), and
:meth:`ErrorPage.as_plain_text` gives the same status with a plain-text reason, the CORS
header and the security headers every response has. A URL over the limit gets a 414 that
says what to do instead: a SPARQL query in a URL grows nine bytes per Chinese character.
"""

from __future__ import annotations

from gunicorn.http.errors import LimitRequestLine

from plankg.server.http import SECURITY_HEADERS


class ErrorPage:
    """The error page gunicorn writes, taken in place of the socket."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0  # non-blocking already: write_nonblock just sends

    def sendall(self, data: bytes) -> None:
        self.data += data

    def status(self) -> str | None:
        """``"400 Bad Request"`` from the page's status line, or None if it has none."""
        line = self.data.split(b"\r\n", 1)[0].decode("latin-1")
        version, _, status = line.partition(" ")
        return status if version.startswith("HTTP/") and status[:3].isdigit() else None

    def as_plain_text(self, exc: BaseException, limit_request_line: int, cors: str | None) -> bytes:
        """The whole response: the page's status, ``exc`` as the reason (a server error's
        details stay in the log), ``Connection: close``. The page as it is if it has no status."""
        status = self.status()
        if status is None:
            return self.data
        if isinstance(exc, LimitRequestLine):
            text = (f"the request line is longer than the server's limit of {limit_request_line} bytes: "
                    "send a long query with POST, as application/sparql-query or as a form (query=…)")
        else:
            text = status.split(" ", 1)[1] + ("" if status.startswith("5") else f": {exc}")
        body = (text + "\n").encode()
        head = (f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + (f"Access-Control-Allow-Origin: {cors}\r\n" if cors else "")
                + "".join(f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS)
                + f"Content-Length: {len(body)}\r\n\r\n")
        return head.encode("latin-1") + body
