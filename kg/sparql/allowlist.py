"""The federation allowlist: which SERVICE and LOAD targets an endpoint may contact.

Which targets a request names is :mod:`plankg.sparql.guard`'s business; this module says
whether the configured prefixes (``FEDERATION_ALLOWLIST``, empty by default) allow them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from plankg.errors import PlanKGError

HTTP_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:/|$)")


class Refused(PlanKGError):
    """A request names a SERVICE or LOAD target that the allowlist does not allow."""

    exit_code = 2


def check_targets(targets: Iterable[str | None], allowlist: Iterable[str]) -> None:
    """Raise :class:`Refused` unless an allowlist entry allows every target.

    An entry allows a target when both are absolute http(s) IRIs without user info, with the
    same scheme, host and port, and the target's path is the entry's path or goes on below it
    at a segment boundary (``http://a.org/sparql`` allows ``…/sparql/x`` and ``…/sparql?q``,
    not ``…/sparql-admin``; neither ``http://a.org.evil/`` nor ``http://a.org@evil/``); paths
    with dot segments (``/sparql/../admin``, also percent-encoded) are refused. Variables and
    unresolved names (None), relative IRIs and every other scheme (``file:`` …) are always
    refused. The allowlist is taken literally: if it names a private host, that host is allowed.
    """
    entries = [e for e in map(_split, allowlist) if e is not None]
    for target in targets:
        if target is None:
            raise Refused("SERVICE and LOAD need an absolute IRI written out here, not a variable, "
                          "a relative IRI or an unknown prefix")
        parts = _split(target)
        if parts is None:
            raise Refused(f"SERVICE/LOAD target <{target}> is refused: only http(s) IRIs can be allowed")
        if not any(_covers(e, parts) for e in entries):
            raise Refused(f"SERVICE/LOAD target <{target}> is not on this endpoint's allowlist")


def validate_allowlist(allowlist: Iterable[str]) -> tuple[str, ...]:
    """The allowlist as a tuple; ValueError for an entry that is not an absolute http(s) IRI."""
    entries = (allowlist,) if isinstance(allowlist, str) else tuple(allowlist)
    for entry in entries:
        if _split(entry) is None:
            raise ValueError(f"allowlist entry {entry!r} is not an absolute http(s) IRI with a host")
    return entries


def _split(iri: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, path) of an acceptable http(s) IRI, else None."""
    if any(c in iri for c in " \\\t\r\n"):
        return None
    try:
        parts = urlsplit(iri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in HTTP_SCHEMES or not parts.hostname or "@" in parts.netloc:
        return None
    if _DOT_SEGMENT.search(parts.path) or "%2e" in parts.path.lower():  # `/sparql/../admin`
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme], parts.path or "/"


def _covers(entry: tuple[str, str, int, str], target: tuple[str, str, int, str]) -> bool:
    """Same origin, and the target's path is the entry's or below it at a segment boundary."""
    if entry[:3] != target[:3]:
        return False
    base, path = entry[3], target[3]
    return path == base or path.startswith(base if base.endswith("/") else base + "/")
