"""The exceptions of the query executor (re-exported by :mod:`plankg.server.engine.executor`, their public home).

All are :class:`plankg.errors.PlanKGError`; the first four are ``QueryError``s. See the table
in :mod:`plankg.server.engine.executor`.
"""

from __future__ import annotations

from plankg.errors import PlanKGError, QueryError


class QuerySyntaxError(QueryError):
    """pyoxigraph could not parse the query, update or data; the message gives the position."""


class QueryFailed(QueryError):
    """The request was valid but its evaluation failed."""


class QueryTimeout(QueryError):
    """The request ran past its deadline; its work was cancelled (or reported stuck)."""


class OverMemory(QueryTimeout):
    """The worker process passed its memory bound while the request ran, and its work was
    stopped as at its deadline (:mod:`plankg.server.engine.memory`); the message says so."""


class UnsupportedFormat(QueryError):
    """The media type does not fit the result (or the upload)."""


class ReadOnly(PlanKGError):
    """A write was asked of an executor that opened the store read-only."""
