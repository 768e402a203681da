"""The SERVICE/LOAD guard: which remote endpoints a request would make pyoxigraph contact.

pyoxigraph evaluates ``SERVICE`` and ``LOAD <http…>`` live, with no HTTP timeout and with error
messages that echo the remote body (engines reference §1.6): unchecked, they make the endpoint
an SSRF relay, and pyoxigraph has no switch to turn them off. So every query and update is
inspected here first, and :func:`check_federation` refuses targets that are not on the
configured allowlist (empty by default). Behind this guard, the worker process cannot open
network sockets at all while the allowlist is empty (:mod:`plankg.server.serving.sandbox`).

How the decision is made (the attacker controls the whole text):

1. **Keywords cannot be escaped.** oxigraph reads SERVICE and LOAD only as those ASCII
   letters, in any case; ``\\u`` escapes are decoded in strings and IRIs only. A text without
   ``service`` (an update: without ``service`` or ``load``), compared ASCII-case-insensitively,
   can contact nothing. That is all nearly every request pays.
2. **Otherwise a real parser decides.** The text is parsed with rdflib's SPARQL 1.1 grammar,
   a context-driven parser like oxigraph's (a lexer cannot tell ``1<'>'``, a comparison with
   the string ``'>'``, from the IRI ``<'>``), and the SERVICE and LOAD nodes of its parse tree
   are the targets. rdflib's pre-pass that decodes ``\\u`` everywhere is skipped, as oxigraph
   has none: so a ``\\u`` escape in such a text is a parse failure, which step 3 refuses.
3. **Fail closed.** A text that rdflib cannot parse (its grammar lacks oxigraph's SPARQL 1.2
   additions) or cannot parse within ``PARSE_BUDGET_S`` (pyparsing is slow on some shapes:
   about 1 s per thousand ``1+`` terms) is refused with the reason; so is a target that is a
   variable, a relative IRI, or a prefixed name whose prefix is not bound to an absolute IRI.
   rdflib's grammar recurses in Python (a level per nested group, triple pattern or operator),
   so importing this module raises Python's recursion limit to ``RECURSION_LIMIT``.

``tests/test_guard.py`` checks this against pyoxigraph over generated corpora: every SERVICE
and LOAD that pyoxigraph really connects for is refused here.
"""

from __future__ import annotations

import ctypes
import functools
import re
import sys
import threading
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pyparsing import ParseBaseException, ParseResults
from rdflib.plugins.sparql.parser import Query, UpdateUnit
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef, Variable

from plankg.sparql.allowlist import Refused, check_targets, validate_allowlist
from plankg.sparql.lexer import TOKEN, is_keyword

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
QUERY_CACHE_SIZE = 256  # distinct query texts whose inspection is remembered
PARSE_BUDGET_S = 2.0  # longest rdflib may take to parse a request that mentions SERVICE/LOAD; longer: refused
RECURSION_LIMIT = 20_000  # Python frames: rdflib parses a few thousand nested groups or triple patterns

_MENTIONS_SERVICE = re.compile("service", re.IGNORECASE | re.ASCII)
_MENTIONS_LOAD = re.compile("service|load", re.IGNORECASE | re.ASCII)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_LOCAL_ESCAPE = re.compile(r"\\(.)")
_PARSER_LOCK = threading.Lock()  # pyparsing's grammar objects are shared state
_SET_ASYNC_EXC = ctypes.pythonapi.PyThreadState_SetAsyncExc
_SET_ASYNC_EXC.argtypes = (ctypes.c_ulong, ctypes.py_object)
sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))


class _OverBudget(BaseException):  # not an Exception: nothing in pyparsing or rdflib catches it
    """The parse took longer than PARSE_BUDGET_S."""


@dataclass(frozen=True)
class QueryInfo:
    """What :func:`inspect_query` found. ``form`` is None when no form keyword follows the
    prologue (pyoxigraph will report the syntax error); ``services`` lists every SERVICE target,
    None for one that is not an absolute IRI; ``unverifiable`` says why the targets could not
    be determined (the query is then refused)."""

    form: str | None
    services: tuple[str | None, ...] = ()
    unverifiable: str | None = None

    @property
    def targets(self) -> tuple[str | None, ...]:
        return self.services


@dataclass(frozen=True)
class UpdateInfo:
    """What :func:`inspect_update` found: LOAD sources and SERVICE targets, as in QueryInfo."""

    loads: tuple[str | None, ...] = ()
    services: tuple[str | None, ...] = ()
    unverifiable: str | None = None

    @property
    def targets(self) -> tuple[str | None, ...]:
        return self.loads + self.services


@functools.lru_cache(maxsize=QUERY_CACHE_SIZE)
def inspect_query(text: str) -> QueryInfo:
    """The form and SERVICE targets of the query ``text`` (remembered: clients repeat queries)."""
    form = query_form(text)
    if not _MENTIONS_SERVICE.search(text):
        return QueryInfo(form)
    try:
        with _PARSER_LOCK, _budget(PARSE_BUDGET_S):
            parsed = Query.parse_string(text, parse_all=True)
    except (ParseBaseException, RecursionError, _OverBudget) as e:
        return QueryInfo(form, unverifiable=_unparsable(e))
    services, _ = _targets(list(parsed)[1:], _namespaces(parsed[0], {}))
    return QueryInfo(form, tuple(services))


def inspect_update(text: str) -> UpdateInfo:
    """The LOAD sources and SERVICE targets of the update ``text``."""
    if not _MENTIONS_LOAD.search(text):
        return UpdateInfo()
    try:
        with _PARSER_LOCK, _budget(PARSE_BUDGET_S):
            parsed = UpdateUnit.parse_string(text, parse_all=True)[0]
    except (ParseBaseException, RecursionError, _OverBudget) as e:
        return UpdateInfo(unverifiable=_unparsable(e))
    services: list[str | None] = []
    loads: list[str | None] = []
    namespaces: dict[str, str | None] = {}
    for prologue, request in zip(parsed.prologue or (), parsed.request or ()):
        namespaces = _namespaces(prologue, namespaces)  # declarations carry over to later operations
        found_services, found_loads = _targets(request, namespaces)
        services += found_services
        loads += found_loads
    return UpdateInfo(tuple(loads), tuple(services))


def query_form(text: str) -> str | None:
    """The first keyword after the prologue (PREFIX, BASE, VERSION declarations) if it is a
    query form: it chooses the result formats on offer. Not a security decision."""
    tokens = (m for m in TOKEN.finditer(text) if m.lastgroup != "comment")
    for m in tokens:
        word = m[m.lastindex]
        if m.lastgroup != "name":
            return None
        upper = word.upper()
        if is_keyword(word, "PREFIX"):
            next(tokens, None), next(tokens, None)  # name: <iri>
        elif upper.startswith("PREFIX") and upper.endswith(":") or upper in ("BASE", "VERSION"):
            next(tokens, None)  # glued PREFIXname: <iri>, or BASE <iri>, VERSION "…"
        else:
            return next((f for f in QUERY_FORMS if upper.startswith(f)), None)
    return None


def check_federation(targets: QueryInfo | UpdateInfo | Iterable[str | None], allowlist: Iterable[str]) -> None:
    """Raise :class:`Refused` unless the allowlist allows every target
    (:func:`plankg.sparql.allowlist.check_targets`). ``targets``: an inspection, refused
    outright if it is ``unverifiable``, or target IRIs."""
    if isinstance(targets, (QueryInfo, UpdateInfo)):
        if targets.unverifiable:
            raise Refused(targets.unverifiable)
        targets = targets.targets
    check_targets(targets, allowlist)


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    """Raise _OverBudget in this thread if the block runs longer than ``seconds``: a timer
    thread raises it asynchronously (the parse is pure Python, so it lands within a few
    bytecodes), and a pending one is withdrawn if the block ended meanwhile. Fails closed: a block
    that ends normally after the timer fired (the exception landed in a garbage-collector callback
    or a ``__del__``, where Python reports and drops it) raises it then."""
    ident, lock, state = threading.get_ident(), threading.Lock(), {"running": True, "fired": False}

    def fire() -> None:
        with lock:
            if state["running"]:
                state["fired"] = True
                _SET_ASYNC_EXC(ident, _OverBudget)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["running"] = False
            if state["fired"]:
                _SET_ASYNC_EXC(ident, ctypes.py_object())  # NULL: withdraw it if not raised yet
        timer.cancel()
    if state["fired"]:  # it was raised where Python drops exceptions (a gc callback, a __del__): over all the same
        raise _OverBudget


def _unparsable(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        why = "it is nested too deeply to check"
    elif isinstance(error, _OverBudget):
        why = f"it takes longer than {PARSE_BUDGET_S:g} s to parse"
    else:
        why = str(error)
    return (f"this request mentions SERVICE or LOAD, and plankg could not check its targets ({why}); "
            "it is refused: write it in plain SPARQL 1.1, without \\u escapes")


def _namespaces(prologue: Iterable[CompValue], known: dict[str, str | None]) -> dict[str, str | None]:
    """Prefix → absolute IRI after the declarations of ``prologue`` (a later one wins, as in
    oxigraph); None for a prefix bound to a relative IRI."""
    out = dict(known)
    for decl in prologue:
        if decl.name == "PrefixDecl":
            iri = str(dict.get(decl, "iri", ""))
            out[dict.get(decl, "prefix") or ""] = iri if _ABSOLUTE.match(iri) else None
    return out


def _targets(tree: object, namespaces: dict[str, str | None]) -> tuple[list[str | None], list[str | None]]:
    """(SERVICE targets, LOAD sources) anywhere in the parse tree ``tree``, in text order."""
    services: list[str | None] = []
    loads: list[str | None] = []
    for node in _nodes(tree):
        if node.name == "ServiceGraphPattern":
            services += _iris(dict.get(node, "term"), namespaces)
        elif node.name == "Load":
            loads += _iris(dict.get(node, "iri"), namespaces)
    return services, loads


def _nodes(tree: object) -> Iterator[CompValue]:
    """Every CompValue in ``tree``, depth first in order, without recursion (it may be deep)."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(reversed(dict.values(item)))
        elif isinstance(item, (list, tuple, ParseResults)):
            stack.extend(reversed(item))


def _iris(term: object, namespaces: dict[str, str | None]) -> list[str | None]:
    """The absolute IRIs a SERVICE/LOAD term may denote; None for a variable, a relative IRI
    or an unknown prefix. oxigraph needs no word boundary after SILENT, so it reads
    ``SILENTex:x`` as SILENT and ``ex:x``, where rdflib reads the name ``SILENTex:x``: both count."""
    if isinstance(term, CompValue) and term.name == "pname":
        prefix = dict.get(term, "prefix") or ""
        local = _LOCAL_ESCAPE.sub(r"\1", dict.get(term, "localname") or "")
        readings = [prefix]
        if prefix[:6].lower() == "silent":
            readings.append(prefix[6:])
        return [None if namespaces.get(p) is None else namespaces[p] + local for p in readings]
    if isinstance(term, URIRef) and not isinstance(term, Variable) and _ABSOLUTE.match(term):
        return [str(term)]
    return [None]


__all__ = ["QueryInfo", "UpdateInfo", "Refused", "inspect_query", "inspect_update", "query_form",
           "check_federation", "validate_allowlist", "PARSE_BUDGET_S"]
