"""SPARQL request text before pyoxigraph sees it: one tokenizer (:mod:`.lexer`), the nesting
limits (:mod:`.limits`), the SERVICE/LOAD guard (:mod:`.guard`) and the federation allowlist
(:mod:`.allowlist`).

:func:`check_query` and :func:`check_update` are the one entry: the limits first (before any
parser sees the text), then the guard's reading of the text, then the allowlist.
"""

from __future__ import annotations

from collections.abc import Iterable

from plankg.sparql.allowlist import Refused, validate_allowlist
from plankg.sparql.guard import QueryInfo, UpdateInfo, check_federation, inspect_query, inspect_update, query_form
from plankg.sparql.limits import QueryTooComplex, check as check_limits


def check_query(text: str, allowlist: Iterable[str]) -> QueryInfo:
    """What the query is (its form, its SERVICE targets); QueryTooComplex over the nesting
    limits, Refused for a SERVICE target off ``allowlist`` or one that cannot be told."""
    check_limits(text)
    info = inspect_query(text)
    check_federation(info, allowlist)
    return info


def check_update(text: str, allowlist: Iterable[str]) -> UpdateInfo:
    """As :func:`check_query`, for an update (its SERVICE and LOAD targets)."""
    check_limits(text)
    info = inspect_update(text)
    check_federation(info, allowlist)
    return info


__all__ = ["check_query", "check_update", "check_limits", "query_form", "validate_allowlist", "QueryInfo",
           "UpdateInfo", "Refused", "QueryTooComplex"]
