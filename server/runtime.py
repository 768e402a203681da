"""Per-process resources of the server, kept on ``app.extensions["plankg"]``.

The query executor owns child processes, so it is created lazily in the process that serves
requests (after gunicorn forks its workers), never in the master.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from flask import current_app


class Runtime:
    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self._executor = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    @property
    def read_write(self) -> bool:
        return bool(self.config.get("UPDATE_TOKEN"))

    def executor(self):
        """The query executor of this process (created on first use)."""
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                from plankg.server.executor import QueryExecutor

                self._executor = QueryExecutor(
                    self.config["STORE"],
                    processes=1 if self.read_write else int(self.config["QUERY_PROCESSES"]),
                    timeout_s=float(self.config["QUERY_TIMEOUT_S"]),
                    read_write=self.read_write,
                    allowlist=tuple(self.config.get("FEDERATION_ALLOWLIST") or ()),
                )
                self._pid = os.getpid()
            return self._executor

    def close(self) -> None:
        with self._lock:
            if self._executor is not None and self._pid == os.getpid():
                self._executor.close()
            self._executor = None


def runtime() -> Runtime:
    return current_app.extensions["plankg"]
