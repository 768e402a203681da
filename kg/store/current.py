"""The store that answers now: :class:`CurrentStore` opens a store location once, and again when
a new build has been published there (the store says so: :meth:`plankg.store.GraphStore.is_current`).
The server's query executor holds one; it reaches the store only through :class:`GraphStore`.

Which backend serves a location is :func:`plankg.store.open_location`'s choice.
"""

from __future__ import annotations

import logging
import threading

from plankg.errors import StoreError
from plankg.store.graphstore import GraphStore

log = logging.getLogger("plankg.server")


class CurrentStore:
    """The store at ``location``. Read-only: the build published there, copied into memory if
    it has at most ``memory_max_quads`` quads, reopened when a new build is published (the
    check costs one ``stat`` per request; a failed reopen keeps the old snapshot). Read-write:
    opened once, for writing; the process must be the store's only writer."""

    def __init__(self, location: str, read_write: bool, memory_max_quads: int = 0):
        from plankg.store import open_location

        self._opener = lambda **kw: open_location(location, memory_max_quads=memory_max_quads, **kw)
        self.location = location
        self.read_write = read_write
        self._lock = threading.Lock()
        self.reopen_error = ""
        self.store: GraphStore = self._opener(writable=read_write)
        self._announce()

    def current(self) -> GraphStore:
        if not self.read_write and not self.store.is_current():  # re-published
            self._reopen()
        return self.store

    def writable(self) -> GraphStore:
        assert self.read_write, "writable() on a read-only executor"
        return self.store

    def _reopen(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # another request thread is opening the new build: answer from the old one
        try:
            if self.store.is_current():
                return  # another request thread did it
            try:
                store = self._opener()
            except StoreError as e:
                if str(e) != self.reopen_error:  # once, not on every request
                    log.warning("keeping the old store: %s", e)
                self.reopen_error = str(e)
                return
            self.store = store
            self._announce()
        finally:
            self._lock.release()

    def _announce(self) -> None:
        log.info("serving %s from %s", self.store.build_id, self.store.describe())
