"""The exceptions of the query executor (re-exported by :mod:`.executor`, their public home).

All are :class:`plankg.errors.PlanKGError`; the first four are ``QueryError``s. See the table
in :mod:`.executor`. ``WORKER_ERRORS`` maps the ``kind`` of a worker's ERROR frame to the
exception it raises in the parent (any other kind: :class:`QueryFailed`).
"""

from __future__ import annotations

from plankg.errors import PlanKGError, QueryError


class QuerySyntaxError(QueryError):
    """pyoxigraph could not parse the query, update or data; the message gives the position."""


class QueryFailed(QueryError):
    """The request was valid but its evaluation failed, or its process died."""


class QueryTimeout(QueryError):
    """The request ran past its deadline and its process was killed."""


class UnsupportedFormat(QueryError):
    """The media type does not fit the result (or the upload)."""


class Overloaded(PlanKGError):
    """Every query process stayed busy until the deadline."""


class ReadOnly(PlanKGError):
    """A write was asked of an executor that opened the store read-only."""


WORKER_ERRORS = {"syntax": QuerySyntaxError, "format": UnsupportedFormat}  # others: QueryFailed
