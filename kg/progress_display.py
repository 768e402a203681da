"""How the command line shows the progress of long work (:mod:`plankg.build.progress`), on stderr.

On a terminal, a bar per stage (:class:`BarDisplay`, click's own progress bar); elsewhere (a CI
log, a pipe, a file), plain lines (:class:`LineDisplay`): at most one per stage every
:data:`LINE_INTERVAL_S` seconds while it runs, and one as it ends, so a log is not flooded.
stdout keeps what the command prints (its summary), whatever is shown here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

import click

from plankg.build.progress import NO_PROGRESS, Progress, counted

if TYPE_CHECKING:  # pragma: no cover
    from click._termui_impl import ProgressBar

LINE_INTERVAL_S = 5.0
LABEL_WIDTH = 24  # the stages' names padded to this, so their bars line up
BAR_WIDTH = 36  # the bar's width on a terminal wide enough (click's default), narrower on a narrow one
INFO_WIDTH = 34  # what is beside the bar: "  [", "]  ", "207/207  100%  00:00:05  12.3 s"


def display(command: str, enabled: bool = True, file: TextIO | None = None) -> Progress:
    """The watcher of ``command``'s stages: bars if ``file`` (default: stderr) is a terminal,
    plain lines if not, nothing if not ``enabled``."""
    if not enabled:
        return NO_PROGRESS
    file = file if file is not None else click.get_text_stream("stderr")
    return BarDisplay(command, file) if file.isatty() else LineDisplay(command, file)


class LineDisplay:
    """Plain lines on ``file``: ``build: shacl 120/207 graphs (12.3 s)`` at most once every
    ``interval`` seconds of a stage (by ``clock``), and ``build: shacl 207/207 graphs, done (30.1 s)``
    as it ends (``stopped`` if an exception ended it)."""

    def __init__(self, command: str, file: TextIO, interval: float = LINE_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic):
        self.command, self.file, self.interval, self.clock = command, file, interval, clock
        self._name, self._total, self._unit, self._done = "", None, "", 0
        self._started = self._last = 0.0

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "") -> Iterator[None]:
        self._name, self._total, self._unit, self._done = name, total, unit, 0
        self._started = self._last = self.clock()
        ended = "stopped"
        try:
            yield
            ended = "done"
        finally:
            self._write(ended)

    def advance(self, n: int = 1) -> None:
        self._done += n
        now = self.clock()
        if now - self._last >= self.interval:
            self._last = now
            self._write()

    def _write(self, ended: str = "") -> None:
        words = [self._name]
        if self._unit:
            words.append(f"{self._done:,}/{counted(self._total, self._unit)}" if self._total is not None
                         else counted(self._done, self._unit))
        if ended:
            words[-1] += "," if len(words) > 1 else ""
            words.append(ended)
        click.echo(f"{self.command}: {' '.join(words)} ({self.clock() - self._started:.1f} s)", file=self.file)


class BarDisplay:
    """A click progress bar per stage on ``file``, a terminal: the stage's name, the bar, the items
    done of its count, the percentage, the time left (once click knows) and the time so far; a
    stage without a count is one step. The bar stays on its line when the stage ends."""

    def __init__(self, command: str, file: TextIO):
        self.command, self.file = command, file
        self._bar: ProgressBar[int] | None = None

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "") -> Iterator[None]:
        started = time.monotonic()
        label = f"{self.command}: {name:<{LABEL_WIDTH}}"
        bar = click.progressbar(length=1 if total is None else total, label=label, file=self.file,
                                show_pos=total is not None, show_percent=True,
                                width=max(8, min(BAR_WIDTH, _columns(self.file) - len(label) - INFO_WIDTH)),
                                item_show_func=lambda _: f"{time.monotonic() - started:.1f} s")
        with bar:
            self._bar = bar
            try:
                yield
            finally:
                self._bar = None
            bar.finish()  # only when the stage ended well: a stopped bar stays where it stopped
            bar.render_progress()

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)


def _columns(file: TextIO) -> int:
    """The width of the terminal ``file`` is, 80 if it cannot tell."""
    try:
        return os.get_terminal_size(file.fileno()).columns
    except (OSError, ValueError):  # not a file descriptor, or not a terminal's
        return 80


__all__ = ["display", "LineDisplay", "BarDisplay", "LINE_INTERVAL_S"]
