"""What long work tells whoever watches it: the stages it goes through and the items each has done.

The library does not print. A build (:func:`plankg.build.pipeline.build`) takes a
:class:`Progress`, the watcher, and tells it each stage as it starts and ends (:meth:`Progress.stage`)
and each item a stage with a natural count has done (:meth:`Progress.advance`): a source parsed, a
graph validated. The command line chooses how that is shown (:mod:`plankg.progress_display`);
:data:`NO_PROGRESS`, the default, shows nothing.

:class:`Stages` is the build's own record of its stages: each one's time and count, for the
summary (:func:`plankg.build.stats.summary_lines`), told to a watcher too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Protocol


class Progress(Protocol):
    """A watcher of long work: one stage at a time, each within :meth:`stage`."""

    def stage(self, name: str, total: int | None = None, unit: str = "") -> AbstractContextManager[None]:
        """The body is the stage ``name``; ``total`` is how many ``unit`` (singular: "graph") it
        will :meth:`advance` by, None when it is one step without a count."""

    def advance(self, n: int = 1) -> None:
        """``n`` more items of the current stage are done."""


class NoProgress:
    """The watcher that shows nothing."""

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "") -> Iterator[None]:
        yield

    def advance(self, n: int = 1) -> None:
        pass


NO_PROGRESS: Progress = NoProgress()


def counted(n: int, unit: str) -> str:
    """``3 graphs``, ``1 graph``: the units of the build are regular nouns."""
    return f"{n:,} {unit}{'' if n == 1 else 's'}"


class Stages:
    """The stages of one piece of work, one after another: each one's time (``timings``, seconds)
    and, for a stage with a unit, the items it did (``counts``: name -> (items, unit)); each stage
    is told to ``progress`` as well.

    A stage runs from :meth:`begin` until the next begins, :meth:`end`, or the end of the
    ``with`` block, which ends it with the exception that left the block, if one did (a watcher
    may show where the work stopped). Being a :class:`Progress` itself, a Stages is what the
    steps of a stage are given to :meth:`advance` it.
    """

    def __init__(self, progress: Progress | None = None, timings: dict[str, float] | None = None,
                 counts: dict[str, tuple[int, str]] | None = None):
        self.progress = progress if progress is not None else NO_PROGRESS
        self.timings: dict[str, float] = {} if timings is None else timings
        self.counts: dict[str, tuple[int, str]] = {} if counts is None else counts
        self._current: ExitStack | None = None
        self._done = 0

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc) -> None:
        self._close(exc)

    def begin(self, name: str, total: int | None = None, unit: str = "") -> None:
        """End the current stage, if any, and begin ``name`` (arguments as :meth:`Progress.stage`)."""
        self.end()
        self._current = ExitStack()
        self._current.enter_context(self.progress.stage(name, total, unit))
        self._done = 0
        t0 = time.perf_counter()

        def record() -> None:
            self.timings[name] = time.perf_counter() - t0
            if unit:
                self.counts[name] = (self._done, unit)

        self._current.callback(record)

    def end(self) -> None:
        """End the current stage, if any."""
        self._close((None, None, None))

    def advance(self, n: int = 1) -> None:
        self._done += n
        self.progress.advance(n)

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "") -> Iterator[None]:
        """:meth:`begin` to :meth:`end` around the body (or to the exception that leaves it)."""
        self.begin(name, total, unit)
        with self:
            yield

    def _close(self, exc) -> None:
        current, self._current = self._current, None
        if current is not None:
            current.__exit__(*exc)


__all__ = ["Progress", "NoProgress", "NO_PROGRESS", "Stages", "counted"]
