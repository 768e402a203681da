"""The gunicorn worker class of ``plankg serve``: a thread per connection, and retirement.

Unlike gunicorn's ``gthread`` worker, :class:`PlankgWorker` gives each connection one thread for
its life, which reads a request, runs the app and waits for the next one on the same socket, with
HTTP parsing, the WSGI environ and responses done by gunicorn's own code (its sync worker's, plus
keep-alive). Why (the limits below, which ``gthread`` lacks): bench/RESULTS.md, "The worker decision".

Capacity: at most ``threads`` connections per worker. The worker accepts only while it has a
free thread, so a full worker leaves new connections to the other workers; when every worker
is full, a connection waiting to be accepted makes the worker close its longest-idle
kept-alive connection (an idle connection may always be closed, RFC 9112 §9.3), once that
has been idle for ``IDLE_GRACE_S``: a client sending requests back to back is idle only
between a response and its next request, and closing its connection then would cut off that
request. A connection whose request is still arriving (head, or the body the app waits for)
after ``ARRIVING_GRACE_S`` is closed the same way, so clients that trickle requests cannot
keep complete ones waiting; a request that has arrived is never cut off.

Slow clients: a request's line and headers must arrive within ``HEAD_TIMEOUT_S`` of their
first byte, and its body within ``BODY_TIMEOUT_S`` plus one second per ``BODY_MIN_RATE``
bytes received, or the connection is closed (the app answers 408 for a body); the read
timeout alone bounds only the pause between two bytes. These limits can be set in the
environment (``PLANKG_HEAD_TIMEOUT_S`` …).

One connection's requests are :mod:`plankg.server.serving.exchange`'s.

Retirement: when the query executor reports work that outlived its deadline and cannot be
stopped (:mod:`plankg.server.engine.executor`), :meth:`PlankgWorker.retire` stops accepting, lets the requests in
flight finish (each within its own deadline, the stuck one with its 503; at most
``graceful_timeout``), closes kept-alive connections once they have been idle for
``IDLE_GRACE_S``, and ends the process, which ends the stuck work. gunicorn starts a fresh
worker; the other workers serve meanwhile. No request a keep-alive client has sent is
dropped: responses finished after retirement began say ``Connection: close``, and a request
that arrives on an idle connection before it is closed is served (so a client sending
requests back to back is never cut off between two of them). Only a client that sends on a
connection idle for longer, at the very moment it is closed, can find it closed: the race
every server has when it closes an idle connection, which HTTP clients recover from by
retrying (RFC 9112 §9.3.1). Workers retire in turn, while another accepts (:mod:`.peers`).
"""

from __future__ import annotations

import os
import selectors
import socket
import sys
import threading
import time

from gunicorn.workers import base

from plankg.errors import PlanKGError
from plankg.server.engine import memory
from plankg.server.serving import peers, sandbox
from plankg.server.serving.exchange import READ_TIMEOUT_S, Exchanges
from plankg.server.serving.connection import Connection, shut
from plankg.server.ui import searchindex
from plankg.sparql.limits import use_big_stacks

HEAD_TIMEOUT_S = 30.0  # a request's line and headers must arrive whole within this long of their first byte
BODY_TIMEOUT_S = 30.0  # a request body must arrive within this long of its head, plus 1 s per BODY_MIN_RATE bytes
BODY_MIN_RATE = 500  # bytes/s that a request body must keep up on average after BODY_TIMEOUT_S
ARRIVING_GRACE_S = 0.5  # when full and a client waits, a request still arriving after this long is closed
HEARTBEAT_S = 1.0  # the main loop tells the arbiter it is alive at least this often
IDLE_GRACE_S = 0.25  # when stopping, an idle kept-alive connection is closed after this long
EXIT_RETIRED = 0  # gunicorn replaces a worker that exits 0 without further ado
LIMITS_ENV = "PLANKG_"  # the environment variable PLANKG_HEAD_TIMEOUT_S sets HEAD_TIMEOUT_S, and so on
PEERS: peers.Peers | peers.Alone = peers.Alone()  # the workers accepting now (.peers): set in the master before it forks


class PlankgWorker(Exchanges, base.Worker):
    """A gunicorn worker serving each connection on a thread of its own (see the module text)."""

    idle_grace_s = IDLE_GRACE_S
    heartbeat_s = HEARTBEAT_S

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)  # in the arbiter, before the fork: plain objects only
        self.head_timeout_s = _limit("HEAD_TIMEOUT_S", HEAD_TIMEOUT_S)
        self.body_timeout_s = _limit("BODY_TIMEOUT_S", BODY_TIMEOUT_S)
        self.body_min_rate = _limit("BODY_MIN_RATE", BODY_MIN_RATE)
        self.arriving_grace_s = _limit("ARRIVING_GRACE_S", ARRIVING_GRACE_S)
        self._cond = threading.Condition()
        self._conns: set[Connection] = set()
        self._retiring: str | None = None
        self._deferred: tuple[str, str | None, float] | None = None  # a retirement waiting for its turn

    def load_wsgi(self) -> None:
        use_big_stacks()  # every thread started from now on can parse request text (plankg.sparql.limits)
        super().load_wsgi()
        runtime = getattr(self.wsgi, "extensions", {}).get("plankg")
        if runtime is not None:
            runtime.on_stuck = self.retire
            self._sandbox(runtime.config)
            done = threading.Event()
            beat = threading.Thread(target=self._beat_until, args=(done,), daemon=True, name="plankg-heartbeat")
            beat.start()  # copying a large store into memory takes seconds: the arbiter must not think us hung
            try:
                runtime.executor()  # open (or copy into memory) the store now, not on the first request
            except PlanKGError as e:
                self.log.warning("%s", e)  # requests get 503 with the reason until it opens
            else:
                searchindex.warm(self.wsgi)  # the search index, in the background (1-2 s for the default build)
            finally:
                done.set()
                beat.join()
            runtime.watch_memory(self.retire, self.cfg.workers)  # past MEMORY_LIMIT_MIB: 503s, and retire (.memory)

    def _sandbox(self, config) -> None:
        """With no federation allowlist this process may open no outbound connection at all
        (:mod:`plankg.server.serving.sandbox`: a second wall behind the guard); before any thread or store opens.
        A worker whose store is a SPARQL server must connect to it, and goes without."""
        allowlist = tuple(config.get("FEDERATION_ALLOWLIST") or ())
        if allowlist:
            self.log.info("worker %s may open outbound connections: SERVICE and LOAD may reach %s",
                          self.pid, ", ".join(allowlist))
        elif config.get("STORE_URL"):  # queries run on that server: its SERVICE and LOAD are refused by the guard
            self.log.info("worker %s connects to the SPARQL server at %s: no seccomp filter; SERVICE and LOAD are "
                          "refused by the guard (and would run on that server, not here)", self.pid, config["STORE_URL"])
        elif sandbox.forbid_network():
            self.log.info("worker %s opens no outbound connections (seccomp: new sockets only for AF_UNIX), "
                          "as no SERVICE or LOAD target is allowed", self.pid)
        # else sandbox has logged why the filter is not in place

    def _beat_until(self, done: threading.Event) -> None:
        while not done.wait(self.heartbeat_s):
            self.notify()

    # --- retirement ------------------------------------------------------------------------

    def retire(self, what: str, why: str | None = None) -> None:
        """End this process once its other requests are done: ``what`` cannot be stopped otherwise
        (``why``, for the log: by default, that it outlived its time limit)."""
        with self._cond:
            if self._retiring is not None or not self._may_retire(what, why):
                return
            self._retiring = what
        why = why or f"{what} outlived its time limit and only ending the process stops it"
        self.log.warning("retiring worker %s: %s; requests in flight finish first, then a fresh worker starts",
                         self.pid, why)
        self.alive = False
        try:
            os.write(self.PIPE[1], b"r")  # wake the main loop
        except OSError:
            pass

    def _may_retire(self, what: str, why: str | None) -> bool:
        """Whether it is this worker's turn to retire (:mod:`.peers`); else the main loop asks again.
        Past its memory limit (``why`` given: :mod:`plankg.server.engine.memory`) it never waits."""
        if why is not None or self.cfg.workers <= 1 or PEERS.may_retire(self.pid):
            PEERS.leaving(self.pid)
            return True
        if self._deferred is None:
            self._deferred = (what, why, time.monotonic())
            self.log.warning("worker %s defers retiring until another worker accepts connections (%s)", self.pid, what)
        return time.monotonic() - self._deferred[2] >= peers.DEFER_MAX_S

    # --- the main loop -----------------------------------------------------------------------

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        for listener in self.sockets:
            listener.setblocking(False)
            selector.register(listener, selectors.EVENT_READ)
        selector.register(self.PIPE[0], selectors.EVENT_READ)
        PEERS.accepting(self.pid)  # from now on this worker accepts connections
        try:
            while self.alive:
                self.notify()
                if self._deferred is not None:
                    self.retire(*self._deferred[:2])
                if not self.is_parent_alive():
                    break
                self._cut_slow_requests()
                if self._full():
                    self._make_room(selector)
                    continue
                for key, _ in selector.select(HEARTBEAT_S):
                    if key.fileobj == self.PIPE[0]:
                        self._drain_pipe()
                    elif self.alive:
                        self._accept(key.fileobj)
        finally:
            selector.close()
        self._stop()

    def is_parent_alive(self) -> bool:
        if self.ppid != os.getppid():
            self.log.info("parent changed, shutting down: %s", self)
            return False
        return True

    def _full(self) -> bool:
        with self._cond:
            return len(self._conns) >= self.cfg.threads

    def _make_room(self, selector: selectors.BaseSelector) -> None:
        """Wait for a free thread; if a client waits to connect, close the connection that has
        been idle, or its request arriving, the longest: if idle for ``idle_grace_s``, or
        arriving for ``arriving_grace_s``."""
        ready = [key.fileobj for key, _ in selector.select(HEARTBEAT_S)]
        if self.PIPE[0] in ready:
            self._drain_pipe()
        waiting = any(fileobj != self.PIPE[0] for fileobj in ready)
        with self._cond:
            if waiting:
                self._evict(time.monotonic())
            if len(self._conns) >= self.cfg.threads:
                self._cond.wait(self._poll_s() if waiting else HEARTBEAT_S)

    def _evict(self, now: float) -> None:
        """Close the longest-idle or longest-arriving connection past its grace, if any (under ``_cond``)."""
        oldest, victim = now, None
        for conn in self._conns:
            idle, head, body = conn.idle_since, conn.reading_since, conn.body_since  # each may change meanwhile
            for since, grace in ((idle, self.idle_grace_s), (head, self.arriving_grace_s),
                                 (body, self.arriving_grace_s)):
                if since is not None and now - since >= grace and since < oldest:
                    oldest, victim = since, conn
        if victim is not None:
            if victim.body_since is not None:
                victim.cut = "the server is busy and cannot wait for it"
            shut(victim.sock)

    def _cut_slow_requests(self) -> None:
        """Close connections whose request head has been arriving for over ``head_timeout_s``,
        or whose body the app waits for, behind ``body_min_rate`` after ``body_timeout_s``: a
        client sending a byte now and then would otherwise keep a thread for ever (the read
        timeout applies to each read). The thread sees the end of the stream and frees itself."""
        now = time.monotonic()
        with self._cond:
            for conn in self._conns:
                head, body = conn.reading_since, conn.body_since
                if head is not None and now - head > self.head_timeout_s:
                    shut(conn.sock)
                elif body is not None and now - body > self.body_timeout_s + (
                        conn.received - conn.body_from) / self.body_min_rate:
                    conn.cut = (f"at least {self.body_min_rate:g} bytes/s after the first "
                                f"{self.body_timeout_s:g} s")
                    shut(conn.sock)

    def _poll_s(self) -> float:
        """How often to look again for connections that have been idle for ``idle_grace_s``
        (a connection thread that ends wakes the wait earlier)."""
        return min(HEARTBEAT_S, self.idle_grace_s / 2) or HEARTBEAT_S

    def _accept(self, listener: socket.socket) -> None:
        try:
            sock, addr = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return  # another worker took it
        sock.setblocking(True)
        sock.settimeout(READ_TIMEOUT_S)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(sock)
        with self._cond:
            self._conns.add(conn)
        threading.Thread(target=self._serve, args=(listener.getsockname(), conn, addr), daemon=True,
                         name=f"plankg-conn-{sock.fileno()}").start()

    def _drain_pipe(self) -> None:
        try:
            while os.read(self.PIPE[0], 64):
                pass
        except OSError:
            pass

    def _stop(self) -> None:
        """Stop accepting, let requests in flight end, close connections idle for
        ``idle_grace_s`` (requests arriving before are served, and told to close); exit if
        retiring."""
        PEERS.leaving(self.pid)
        for listener in self.sockets:
            try:
                listener.close()  # this process's copy: the other workers go on accepting
            except OSError:
                pass
        stopping = time.monotonic()
        deadline = stopping + self.cfg.graceful_timeout
        with self._cond:
            # Wait for every connection to end (a stuck query holds an engine thread, not a connection's).
            while self._conns and (now := time.monotonic()) < deadline:
                for conn in self._conns:
                    if conn.idle_since is not None and now - max(conn.idle_since, stopping) >= self.idle_grace_s:
                        shut(conn.sock)
                self.notify()
                self._cond.wait(min(self._poll_s(), max(0.0, deadline - now)))
            retiring = self._retiring
        if retiring is not None:
            self.log.info("worker %s retired (peak memory %d MiB)", self.pid, memory.peak_rss_bytes() // memory.MIB)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_RETIRED)  # the stuck work ends with the process


def _limit(name: str, default: float) -> float:
    """A limit of this module, or the value of ``PLANKG_<name>`` in the environment."""
    raw = os.environ.get(LIMITS_ENV + name)
    return float(raw) if raw else default
