"""Per-process resources of the server, kept on ``app.extensions["plankg"]``.

The query executor holds the store and engine threads, so it is created lazily in the process
that serves requests (after gunicorn forks its workers), never in the master. ``on_stuck`` is
what to do when a job outlives its deadline (see :mod:`plankg.server.engine.executor`): the gunicorn worker
(:mod:`plankg.server.serving.worker`) sets it to retire the process; by default it is only logged. The worker also
starts :meth:`Runtime.watch_memory`, the process's memory bound (:mod:`plankg.server.engine.memory`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app

from plankg.server.engine import memory
from plankg.server.engine.queryerrors import OverMemory

log = logging.getLogger("plankg.server")


class Runtime:
    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self._executor = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self.on_stuck: Callable[[str], Any] | None = None

    @property
    def read_write(self) -> bool:
        return bool(self.config.get("UPDATE_TOKEN"))

    def executor(self):
        """The query executor of this process (created on first use)."""
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                from plankg.server.engine.executor import QueryExecutor
                from plankg.sparql.limits import use_big_stacks

                use_big_stacks()  # engine threads (and the dev server's request threads) start after this
                self._executor = QueryExecutor(
                    self.config["STORE"],
                    timeout_s=float(self.config["QUERY_TIMEOUT_S"]),
                    read_write=self.read_write,
                    allowlist=tuple(self.config.get("FEDERATION_ALLOWLIST") or ()),
                    on_stuck=self._stuck,
                    memory_max_quads=int(self.config.get("MEMORY_MAX_QUADS") or 0),
                    max_expensive=int(self.config.get("MAX_EXPENSIVE_QUERIES") or 0),
                )
                self._pid = os.getpid()
            return self._executor

    def build_name(self) -> str | None:
        """The name of the published build answers come from; None for a store that takes
        updates (its answers change without a new build). StoreError if there is no store."""
        if self.read_write:
            return None
        return self.executor().build_id()

    def watch_memory(self, retire: Callable[[str, str], Any], workers: int = 1) -> memory.MemoryWatch:
        """Bound this process's memory (``MEMORY_LIMIT_MIB``, see :mod:`plankg.server.engine.memory`): past it, every
        query running here is answered 503 and ``retire(what, why)`` is called. The worker calls this."""
        limit = memory.limit_mib(self.config.get("MEMORY_LIMIT_MIB"), workers)
        at_rest = memory.rss_bytes() // memory.MIB
        if limit < at_rest + memory.MIN_HEADROOM_MIB:  # else the worker would retire as soon as it starts, again and again
            log.warning("MEMORY_LIMIT_MIB (%d MiB) leaves worker %s no room above its memory at rest (%d MiB): "
                        "bounding it at %d MiB instead", limit, os.getpid(), at_rest, at_rest + memory.MIN_HEADROOM_MIB)
            limit = at_rest + memory.MIN_HEADROOM_MIB

        def over(rss: int) -> None:
            message = memory.over_limit_message(limit)
            memory.trip(message)
            with self._lock:
                executor = self._executor if self._pid == os.getpid() else None
            stopped = executor.stop_all(OverMemory(message)) if executor is not None else 0
            retire("the work running", f"its memory (RSS {rss // memory.MIB} MiB) passed its limit of {limit} MiB "
                                       f"(MEMORY_LIMIT_MIB); {stopped} running request(s) were stopped (503), and only "
                                       "ending the process frees what pyoxigraph holds")

        return memory.MemoryWatch(limit * memory.MIB, over).start()

    def _stuck(self, what: str) -> None:
        if self.on_stuck is not None:
            self.on_stuck(what)
        else:
            from plankg.server.engine.executor import log_stuck

            log_stuck(what)

    def close(self) -> None:
        with self._lock:
            if self._executor is not None and self._pid == os.getpid():
                self._executor.close()
            self._executor = None


def runtime() -> Runtime:
    return current_app.extensions["plankg"]
