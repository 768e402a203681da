"""A fast lexical guard for SPARQL requests: query form, SERVICE targets and LOAD sources.

pyoxigraph evaluates ``SERVICE`` and ``LOAD <http…>`` live, with no HTTP timeout and with error
messages that echo the remote body (engines reference §1.6): unchecked, they make the endpoint
an SSRF relay, and pyoxigraph has no switch to turn them off. So the executor inspects every
query and update here first, and :func:`check_federation` refuses targets that are not on the
configured allowlist.

Threat model
------------
The attacker controls the whole request text. This module does not parse SPARQL; pyoxigraph
parses the real request afterwards. It tokenizes the text the way SPARQL's lexer does (comments
``#…`` to the end of the line, ``'…'``, ``"…"``, ``'''…'''`` and ``\"\"\"…\"\"\"`` with escapes,
IRIs ``<…>``, variables, language tags, prefixed names; :mod:`plankg.sparql_lexer`) and
looks for the keywords wherever
oxigraph's parser could see them. Its one job is to never miss a SERVICE or LOAD that
pyoxigraph would run; when in doubt it reports a target it could not resolve (``None``), which
:func:`check_federation` always refuses. So a mistake here can refuse a valid request, but not
let a federated one through. Facts about oxigraph 0.5 this relies on (each is a test):

* keywords are ASCII case-insensitive and need no word boundary: ``SERVICE:x{…}`` is
  ``SERVICE :x``; ``SERVICESILENT<…>``, ``trueSERVICE <…>``, ``1SERVICE <…>`` all run a
  SERVICE. So every bare word containing ``service`` (``load`` in an update) is a candidate;
  so is a prefixed name whose prefix contains it, when it is followed by ``{`` (SERVICE) or
  starts an update operation (LOAD): the rest of the token is then the target;
* ``PREFIX`` may be glued to its name (``PREFIX:<…>``, ``PREFIXex:<…>``) and a later
  declaration of a prefix wins: every IRI ever bound to a prefix is reported;
* ``<`` is ambiguous: ``FILTER(?a<?b)SERVICE:x#>`` is, to oxigraph, a comparison, a SERVICE
  and a comment, though it looks like one IRI. Leaving the expression needs ``)`` and hiding
  the ``>`` needs a comment, so an IRI token holding ``)`` … ``service`` [target] ``#`` is
  reported as an unresolved SERVICE (``load`` likewise);
* ``\\uXXXX`` in an IRI is decoded (oxigraph does); oxigraph does not apply SPARQL's "decode
  \\u everywhere first" rule (``SERVIC\\u0045`` is a syntax error), and neither does this.

Targets are reported as written after prefix expansion: relative IRIs (resolved against BASE
by oxigraph) can never match an allowlist entry, so they are refused. Cost: about 0.6 µs per
token; a query that does not contain ``service`` scans only its prologue (~5–15 µs).
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from plankg.errors import PlanKGError
from plankg.sparql_lexer import TOKEN

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
HTTP_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
QUERY_CACHE_SIZE = 256  # distinct query texts whose inspection is remembered

_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:/|$)")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")
# Inside one IRI-looking token: leave an expression, a keyword, maybe SILENT and a glued
# target, then a comment that hides the closing `>` (see the module docstring).
_HIDDEN = {
    kw: re.compile(r"\).*?" + kw + r"(?:silent)?(?:[\w.-]*:[\w:%.-]*|[?$]\w+)?#", re.IGNORECASE)
    for kw in ("service", "load")
}

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)  # as oxigraph folds keywords

Target = tuple[str, str] | None
"""A target before resolution: ("iri", value), ("pname", text), or None (unknown)."""


class Refused(PlanKGError):
    """A request names a SERVICE or LOAD target that the allowlist does not allow."""

    exit_code = 2


@dataclass(frozen=True)
class QueryInfo:
    """What :func:`inspect_query` found. ``form`` is None when no form keyword follows the
    prologue (pyoxigraph will report the syntax error); ``services`` lists every SERVICE target,
    ``None`` for a variable or a name that cannot be resolved."""

    form: str | None
    services: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class UpdateInfo:
    """What :func:`inspect_update` found: LOAD sources and SERVICE targets (None = unknown)."""

    loads: list[str | None] = field(default_factory=list)
    services: list[str | None] = field(default_factory=list)


@functools.lru_cache(maxsize=QUERY_CACHE_SIZE)
def inspect_query(text: str) -> QueryInfo:
    """The form and SERVICE targets of the query ``text`` (remembered: clients repeat queries)."""
    lowered = text.lower()  # for the cheap pre-check only: an ASCII word survives lower()
    scan = _Scan(text, update=False, full="service" in lowered)
    return QueryInfo(scan.form, tuple(scan.resolve(scan.services)))


def inspect_update(text: str) -> UpdateInfo:
    """The LOAD sources and SERVICE targets of the update ``text``."""
    lowered = text.lower()
    if "service" not in lowered and "load" not in lowered:
        return UpdateInfo()
    scan = _Scan(text, update=True, full=True)
    return UpdateInfo(scan.resolve(scan.loads), scan.resolve(scan.services))


def check_federation(targets: Iterable[str | None], allowlist: Iterable[str]) -> None:
    """Raise :class:`Refused` unless an allowlist entry allows every target.

    An entry allows a target when both are absolute http(s) IRIs without user info, with the
    same scheme, host and port, and the target's path starts with the entry's path (so
    ``http://a.org`` allows neither ``http://a.org.evil/`` nor ``http://a.org@evil/``); paths
    with dot segments (``/sparql/../admin``, also percent-encoded) are refused.
    Variables and unresolved names (None), relative IRIs and every other scheme (``file:`` …)
    are always refused. The allowlist is taken literally: if it names a private host, that
    host is allowed.
    """
    entries = [e for e in map(_split, allowlist) if e is not None]
    for target in targets:
        if target is None:
            raise Refused("SERVICE and LOAD need an IRI written out here, not a variable or an unknown prefix")
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
    return entry[:3] == target[:3] and target[3].startswith(entry[3])


class _Scan:
    """One left-to-right pass over the tokens (see the module docstring for the rules).

    With ``full=False`` it stops at the query form: the prologue is all it reads.
    """

    def __init__(self, text: str, *, update: bool, full: bool):
        self.update = update
        self.form: str | None = None
        self.services: list[Target] = []
        self.loads: list[Target] = []
        self.prefixes: dict[str, list[str]] = {}
        self._matches = TOKEN.finditer(text)
        self._tokens: list[tuple[str, str]] = []
        if full:  # all tokens are needed: one comprehension is cheaper than lazy scanning
            self._tokens = [(m.lastgroup, m[m.lastindex]) for m in self._matches if m.lastgroup != "comment"]
        self._run(full)

    def resolve(self, targets: list[Target]) -> list[str | None]:
        """The IRIs the targets may denote (every binding of a prefix; None if unbound)."""
        out: list[str | None] = []
        for t in targets:
            if t is None or t[0] == "iri":
                out.append(t and t[1])
                continue
            prefix, _, local = t[1].partition(":")
            local = _LOCAL_ESCAPE.sub(r"\1", local)
            out.extend([iri + local for iri in self.prefixes.get(prefix, ())] or [None])
        return out

    def _run(self, full: bool) -> None:
        at_start = True  # at the start of the query or of an update operation
        watch_load = self.update
        i = 0
        while (tok := self._tok(i))[0] != "end":
            kind, text = tok
            if kind != "name":
                if kind == "iri" and ")" in text:
                    self._hidden(text)
                elif kind == "end":
                    return
                i += 1
                at_start = watch_load and text == ";"
                continue
            low = text.translate(_ASCII_LOWER)  # keeps indices: they slice ``text``
            if low[0] in "pbv":  # PREFIX, BASE, VERSION
                span = self._declaration(i, text, low)
                if span:
                    i += span
                    continue
            if at_start and not self.update:
                self.form = next((f for f in QUERY_FORMS if low.startswith(f.lower())), None)
                if not full:
                    return
            if "service" in low or (watch_load and "load" in low):
                i = self._keywords(i, text, low, at_start)
            else:
                i += 1
            at_start = False

    def _declaration(self, i: int, text: str, low: str) -> int:
        """How many tokens the prologue declaration at ``i`` spans (0: none), recording it.

        ``PREFIX name: <iri>``, glued ``PREFIXname:<iri>``, ``BASE <iri>``, ``VERSION "…"``.
        """
        nxt_kind, nxt = self._tok(i + 1)
        if low == "prefix" and nxt_kind == "name" and nxt.endswith(":"):
            name, (iri_kind, iri), span = nxt[:-1], self._tok(i + 2), 3
        elif low.startswith("prefix") and low.endswith(":"):
            name, (iri_kind, iri), span = text[len("prefix"):-1], (nxt_kind, nxt), 2
        elif (low, nxt_kind) in (("base", "iri"), ("version", "str")):
            return 2
        else:
            return 0
        if iri_kind != "iri":
            return 0
        self.prefixes.setdefault(name, []).append(_iri_value(iri))
        return span

    def _hidden(self, iri_token: str) -> None:
        """Record an unresolved candidate if the IRI-looking token may hide a keyword."""
        for kw, found in self._watched():
            if _HIDDEN[kw].search(iri_token):
                found.append(None)

    def _keywords(self, i: int, text: str, low: str, at_start: bool) -> int:
        """Record the candidates of the name at token ``i``; the index of the next token."""
        prefix, colon, _ = low.partition(":")
        if colon:  # a prefixed name: `SERVICE:x {`, `LOADex:y` …
            if ("service" in prefix and self._tok(i + 1) == ("punct", "{")
                    and self._tok(i - 1)[1].translate(_ASCII_LOWER) != "graph"):
                self.services.extend(self._glued(text, low.find("service") + len("service")))
            if self.update and at_start and "load" in prefix:
                self.loads.extend(self._glued(text, low.find("load") + len("load")))
            return i + 1
        for kw, found in self._watched():
            at = low.find(kw)
            if at < 0:
                continue
            rest = low[at + len(kw):]
            if rest not in ("", "silent"):
                found.append(None)  # `SERVICEx`: garbage to us, maybe not to oxigraph
                return i + 1
            j = i + 1
            if rest == "" and self._tok(j)[0] == "name" and self._tok(j)[1].translate(_ASCII_LOWER) == "silent":
                j += 1
            found.extend(self._target(*self._tok(j)))
            return j + 1
        return i + 1

    def _watched(self) -> tuple[tuple[str, list[Target]], ...]:
        if self.update:
            return ("service", self.services), ("load", self.loads)
        return (("service", self.services),)

    def _target(self, kind: str, text: str) -> list[Target]:
        """The possible targets of a keyword followed by the token (kind, text)."""
        if kind == "iri":
            return [("iri", _iri_value(text))]
        if kind == "name" and ":" in text:
            return self._glued(text, 0)  # `SERVICE SILENT:x` is SILENT + `:x`
        return [None]  # a variable, or something pyoxigraph will reject

    @staticmethod
    def _glued(text: str, rest_at: int) -> list[Target]:
        """Targets of the prefixed name ``text[rest_at:]``, and without a leading SILENT."""
        rest = text[rest_at:]
        found: list[Target] = [("pname", rest)] if ":" in rest else [None]
        if rest.translate(_ASCII_LOWER).startswith("silent"):
            found.append(("pname", rest[len("silent"):]))
        return found

    def _tok(self, i: int) -> tuple[str, str]:
        """Token ``i`` without whitespace and comments, scanned lazily; ("end", "") outside."""
        if 0 <= i < len(self._tokens):
            return self._tokens[i]
        if i < 0:
            return ("end", "")
        while len(self._tokens) <= i:
            m = next(self._matches, None)
            if m is None:
                return ("end", "")
            if m.lastgroup != "comment":
                self._tokens.append((m.lastgroup, m[m.lastindex]))
        return self._tokens[i]


def _iri_value(token: str) -> str:
    """The IRI of an ``<…>`` token, with \\u and \\U escapes decoded."""
    body = token[1:-1]
    if "\\" in body:
        body = _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), body)
    return body
