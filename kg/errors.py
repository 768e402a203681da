"""The errors plankg reports to its users.

Every user error is a :class:`PlanKGError`. The CLI (``plankg.cli``) is the one place that
turns them into a one-line message and an exit code; the web server has its own single
place for HTTP. Anything else that escapes is a bug and is allowed to show a traceback.
"""

from __future__ import annotations


class PlanKGError(Exception):
    """Base class of errors caused by input, configuration or environment, not by bugs."""

    exit_code = 2

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.args[0] if self.args else self.__class__.__name__


class InputError(PlanKGError):
    """Bad input: names the file, the line and what was expected there."""

    exit_code = 2

    def __init__(self, file: str, line: int | None, message: str):
        self.file = file
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


class ValidationFailed(PlanKGError):
    """The graph does not conform to the SHACL shapes; ``report`` is readable text."""

    exit_code = 1

    def __init__(self, report: str, count: int):
        self.report = report
        self.count = count
        super().__init__(f"the graph violates the shapes ({count} result(s)); nothing was published")


class StoreError(PlanKGError):
    """The store is missing, locked or unusable."""

    exit_code = 3


class QueryError(PlanKGError):
    """A SPARQL query could not be parsed or run."""

    exit_code = 2
