"""One connection of :class:`plankg.server.serving.worker.PlankgWorker`: its requests, one after
another on the connection's own thread, each within the head and body deadlines of
:mod:`plankg.server.serving.connection`. A query at its time limit is answered (503) by the app
on this same thread: the query runs on an engine thread (:mod:`plankg.server.engine.timelimit`)."""

from __future__ import annotations

import errno
import select
import socket
import ssl
import time
from datetime import datetime

from gunicorn import http, util
from gunicorn.http import wsgi
from gunicorn.http.body import LengthReader

from plankg.errors import PlanKGError
from plankg.server.serving.badrequest import ErrorPage
from plankg.server.serving.connection import Connection, CountingSocket, RequestBody, Response

READ_TIMEOUT_S = 30.0  # a started request must arrive, and a response be taken, at this pace
DRAIN_TIMEOUT_S = 5.0  # reading what is left of a request body before the next request


class Exchanges:
    """The per-connection half of the worker (a mixin of PlankgWorker: it uses the worker's
    ``cfg``, ``log``, ``wsgi``, ``alive``, ``_cond`` and ``_conns``)."""

    def _serve(self, server, conn: Connection, addr) -> None:
        sock, req = conn.sock, None
        try:
            parser = http.get_parser(self.cfg, CountingSocket(sock, conn), addr)
            while self._next_request(conn, parser):
                conn.reading_since = time.monotonic()
                req = next(parser)
                conn.reading_since = None
                keep = self._handle(req, conn, addr, server)
                if not keep or not parser.finish_body(deadline=time.monotonic() + DRAIN_TIMEOUT_S):
                    break
        except (StopIteration, http.errors.NoMoreData, socket.timeout):
            pass
        except ssl.SSLError:
            pass
        except OSError as e:
            if e.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.EBADF):
                self.log.exception("Socket error processing request.")
        except Exception as e:  # noqa: BLE001 - gunicorn's own reply to a malformed request (400 …)
            self.handle_error(req, sock, addr, e)
        finally:
            util.close_graceful(sock)
            with self._cond:
                self._conns.discard(conn)
                self._cond.notify_all()

    def _next_request(self, conn: Connection, parser) -> bool:
        """Wait until the next request starts (idle up to ``keepalive`` s after a response); False: close.

        A stopping worker waits ``idle_grace_s`` at most: its last response on this connection
        went out before it began to stop, without ``Connection: close``, so the client may be
        sending its next request just now; that one is served (and told to close)."""
        if parser.req_count:
            timeout = self.cfg.keepalive if self.alive else min(self.cfg.keepalive, self.idle_grace_s)
        else:
            timeout = READ_TIMEOUT_S
        with parser.unreader.buf.getbuffer() as pending:
            if pending.nbytes:  # pipelined: the next request is here already
                return True
        with self._cond:
            conn.idle_since = time.monotonic()
        try:
            readable, _, _ = select.select([conn.sock], [], [], timeout)
        except (OSError, ValueError):  # closed under us
            readable = []
        with self._cond:
            conn.idle_since = None
        return bool(readable)

    def _handle(self, req, conn: Connection, addr, server) -> bool:
        """Serve one request (as gunicorn's workers do); whether the connection may stay open."""
        environ, resp, sock = {}, None, conn.sock
        try:
            self.cfg.pre_request(self, req)
            started = datetime.now()
            resp, environ = wsgi.create(req, sock, addr, server, self.cfg, response_class=Response)
            environ["wsgi.multithread"] = True
            conn.cut, conn.broken = None, False
            reader = req.body.reader
            length = reader.length if isinstance(reader, LengthReader) else None
            if length != 0:  # the app reads the body through RequestBody, within the body's time limit
                conn.body_from = conn.received
                environ["wsgi.input"] = RequestBody(req.body, conn, length, time.monotonic())
            self.nr += 1
            if self.nr >= self.max_requests and self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
            body = self.wsgi(environ, resp.start_response)
            if not self.alive or not self.cfg.keepalive or conn.broken:  # after the app: retiring may have begun,
                resp.force_close()  # and the headers are still held, so they can say close
            try:
                if isinstance(body, environ["wsgi.file_wrapper"]):
                    resp.write_file(body)
                else:
                    for chunk in body:
                        resp.write(chunk)
                resp.close()
            finally:
                self.log.access(resp, req, environ, datetime.now() - started)
                if hasattr(body, "close"):
                    body.close()
            return not resp.should_close()
        except OSError:
            raise
        except Exception as e:
            if resp is not None and resp.headers_sent:  # too late for a status: close, so the body is seen cut
                if isinstance(e, PlanKGError):  # a time limit or a failed evaluation, not a bug: one line
                    self.log.warning("%s %s: response cut short: %s", req.method, req.path, e)
                else:
                    self.log.exception("Error handling request")
                return False
            raise
        finally:
            try:
                self.cfg.post_request(self, req, environ, resp)
            except Exception:  # noqa: BLE001 - a user hook; gunicorn logs and goes on too
                self.log.exception("Exception in post_request hook")

    def handle_error(self, req, client, addr, exc) -> None:
        """gunicorn's answer to a request it cannot parse (its status and log lines), sent as
        plain text with the CORS header (:mod:`plankg.server.serving.badrequest`)."""
        page = ErrorPage()
        super().handle_error(req, page, addr, exc)
        cors = getattr(self.wsgi, "config", {}).get("CORS_ORIGINS")
        try:
            util.write_nonblock(client, page.as_plain_text(exc, self.cfg.limit_request_line, cors))
        except OSError:
            pass  # the client is gone
