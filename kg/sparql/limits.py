"""How deeply a SPARQL request may nest: checked before pyoxigraph sees the text.

oxigraph's parser (and its algebra, optimizer, evaluator and destructors) recurses once per
level of nesting and once per element of many chains, with no limit of its own: past its
thread's stack it crashes the whole process with SIGSEGV. So every query and update passes
:func:`check` first, and request text is parsed on threads with a ``STACK_BYTES`` stack
(:func:`use_big_stacks`; :func:`on_big_stack` for one call).

Measured with pyoxigraph 0.5.13 (``bench/probe_nesting.py``), the smallest size that crashes,
on a thread of 8 MiB (the usual default) and of ``STACK_BYTES`` = 256 MiB:

========================================  ===========  ==============
shape                                      8 MiB        256 MiB
========================================  ===========  ==============
``{FILTER NOT EXISTS`` ×n (one ``{``)      840          26,880
``{FILTER(EXISTS`` ×n                       708          (×32)
``STR(`` ×n (function calls)               960          30,720
``{`` ×n ``}`` ×n                          2,192        70,656
``(`` ×n in an expression                  4,672        (×32)
``!`` ×n                                   9,408        301,056
``{SELECT * WHERE`` ×n (subqueries)        2,544        (×32)
``{OPTIONAL`` ×n                           2,928        (×32)
collections ``( ( … ) )``                  4,096        (×32)
``[ <p>`` ×n (blank nodes)                 3,456        (×32)
``<<`` ×n (triple terms)                   8,192        none ≤ 1 MiB
path ``(`` ×n                              13,824       (×32)
chains: ``{} UNION`` ×n                    6,592        none ≤ 1 MiB
``MINUS{}`` ×n                             2,624        (×32)
``1+`` ×n, ``1*`` ×n                       6,912        none ≤ 1 MiB
``&&`` ×n, ``||`` ×n                       9,408        (×32)
path ``/`` ×n, ``|`` ×n                    8,192, 10,944  none ≤ 1 MiB
triple patterns ``. ``, ``;`` ×n           8,192        none ≤ 1 MiB
collection elements ``(1 1 …)``            4,096        131,072
========================================  ===========  ==============

Crash sizes grow with the stack: every shape measured at both sizes crashes at 32 times the
size at 256 MiB ("(×32)": not measured there); "none ≤ 1 MiB": no text of up to 1 MiB
(``MAX_BODY_BYTES``) crashes. Many of these run for minutes (the optimizer): the query time
limit's business. The stack is virtual memory: only pages a query touches cost.

Two layers, both before pyoxigraph:

1. A *sound bound* that trusts no tokenisation: it counts characters in the whole text,
   strings and comments included, so no string or IRI can hide one. Every level of nesting
   of any shape above needs an *opener* (``{``, ``(``, ``[`` or ``<<``; at most
   ``OPENER_STACK_BYTES`` of stack each, measured) and every element of a chain an
   *operator* (``! + - * / & | ^ . ; ,``; at most ``OPERATOR_STACK_BYTES`` each). The
   one exception is a collection, whose elements need no separator (``(true1true1)`` is
   four): a text of at most ``SHORT_TEXT_CHARS`` has at most ``PAREN_TERMS_MAX`` of them; a
   longer one is counted by the lexer (see 2), and refused if an IRI in it could be read
   otherwise. A text within ``OPENERS_MAX``, ``OPERATORS_MAX`` and ``PAREN_TERMS_MAX`` needs at
   most a quarter (``MARGIN``) of ``STACK_BYTES``, even if all of them nested.
2. A *precise* limit for people: the nesting depth (brackets ``{ ( [ <<``, plus a run of
   ``!``), measured with :mod:`plankg.sparql.lexer`, may be at most ``NESTING_MAX``; the
   message says where it is exceeded. The lexer is not exact (``<`` is ambiguous), which is
   why layer 1 exists; with it honest, ``NESTING_MAX`` levels take about 1.3 MB of stack.
   It also counts terms side by side directly inside ``( … )`` (collection elements, VALUES
   values; a name token as half its length): at most ``PAREN_TERMS_MAX``.

Both raise :class:`QueryTooComplex` (a ``QueryError``: 400 over HTTP, exit 2 in the CLI).
Cost: one pass over the bytes and a few counts; the lexer runs only on a text of more than
``SHORT_TEXT_CHARS`` or with more than ``NESTING_MAX`` openers and ``!`` (figures:
bench/RESULTS.md, "Figures").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from plankg.errors import QueryError
from plankg.sparql.lexer import TOKEN

STACK_BYTES = 256 << 20  # stack of every thread that gives pyoxigraph request text (virtual memory)
MARGIN = 4  # the bounds use at most 1/MARGIN of STACK_BYTES
OPENER_STACK_BYTES = 12 << 10  # most stack one opener was measured to take (10,000 B), rounded up
OPERATOR_STACK_BYTES = 1536  # most stack one operator was measured to take (1,230 B), rounded up
TERM_STACK_BYTES = 2560  # most stack one collection element was measured to take (2,050 B), rounded up
OPENERS = ("{", "(", "[", "<<")
OPERATORS = ("!", "+", "-", "*", "/", "&", "|", "^", ".", ";", ",")
OPENERS_MAX = 2048
OPERATORS_MAX = 16384
PAREN_TERMS_MAX = 6144  # juxtaposed terms directly inside ( … ): collection elements, VALUES values
NESTING_MAX = 128
SERVER_SHARE = 0.8  # of a SPARQL server's parser stack that a request's openers and operators may need at most
SHORT_TEXT_CHARS = 2 * PAREN_TERMS_MAX  # a term takes at least 2 characters: a shorter text has few enough

assert (OPENERS_MAX * OPENER_STACK_BYTES + OPERATORS_MAX * OPERATOR_STACK_BYTES
        + PAREN_TERMS_MAX * TERM_STACK_BYTES) <= STACK_BYTES // MARGIN

_OPERATOR_BYTES = "".join(OPERATORS).encode()
_UNCOUNTED = bytes(sorted(set(range(256)) - set(b"{([" + _OPERATOR_BYTES)))
_TERMS = frozenset(("name", "var", "iri", "str"))
_QUOTES = ("'", '"')
T = TypeVar("T")


class QueryTooComplex(QueryError):
    """The text nests deeper, or has more brackets, operators or terms, than pyoxigraph can safely parse.

    ``line`` and ``column`` (1-based) say where, when known: they fill ``{where}`` in ``reason``.
    """

    def __init__(self, reason: str, line: int | None = None, column: int | None = None):
        self.line, self.column = line, column
        super().__init__(reason if line is None else reason.format(where=f"at line {line}, column {column}"))


def check(text: str, stack_bytes: int = STACK_BYTES) -> None:
    """Refuse ``text`` (a query or an update) if it could nest too deep; see the module text.
    ``stack_bytes``: the stack of the threads that parse it, if not plankg's own (a SPARQL
    server's: :mod:`plankg.store.remote` passes it): the bounds shrink with it."""
    own = stack_bytes == STACK_BYTES
    openers_max, operators_max, terms_max = OPENERS_MAX, OPERATORS_MAX, PAREN_TERMS_MAX
    if not own:  # a server's thread: each kind within its stack's share, checked together below
        terms_max = min(PAREN_TERMS_MAX, stack_bytes * SERVER_SHARE // TERM_STACK_BYTES)
    whose = "" if own else f", for a parser stack of {stack_bytes >> 20} MiB (PLANKG_STORE_STACK_MIB)"
    raw = text.encode("utf-8", "surrogatepass")
    counted = raw.translate(None, _UNCOUNTED)  # one pass: only the characters of OPENERS and OPERATORS stay
    openers = sum(counted.count(c) for c in b"{([") + raw.count(b"<<")
    if openers > openers_max:
        raise QueryTooComplex(f"the request has {openers:,} of the characters {{ ( [ << (counted everywhere, strings "
                              f"and comments too); at most {openers_max:,} can be parsed safely (OPENERS_MAX{whose})")
    operators = sum(counted.count(c) for c in _OPERATOR_BYTES)
    if operators > operators_max:
        raise QueryTooComplex(f"the request has {operators:,} of the characters {' '.join(OPERATORS)} (counted "
                              f"everywhere, strings and comments too); at most {operators_max:,} can be parsed "
                              f"safely (OPERATORS_MAX{whose})")
    if not own and openers * OPENER_STACK_BYTES + operators * OPERATOR_STACK_BYTES > stack_bytes * SERVER_SHARE:
        raise QueryTooComplex(f"the request has {openers:,} of the characters {{ ( [ << and {operators:,} of "
                              f"{' '.join(OPERATORS)} (counted everywhere, strings and comments too): together more "
                              f"than the server can be sure to parse{whose}")
    long = len(text) > 2 * terms_max  # a term takes at least 2 characters: a shorter text has few enough
    if long or openers + counted.count(b"!") > NESTING_MAX:  # else it cannot nest deeper, however it is read
        _check_tokens(text, long, terms_max)


def _check_tokens(text: str, long: bool, terms_max: int = PAREN_TERMS_MAX) -> None:
    """The nesting depth as read by the lexer (brackets, and ``!`` before an operand), and the
    number of terms directly inside ``( … )``. That count trusts the lexer, so a long text whose
    reading the ambiguous ``<`` could change is refused (``long``)."""
    stack: list[tuple[int, str]] = []  # for each open bracket: the depth outside it, the bracket
    depth = run = terms = 0  # brackets and their leading `!`s; the run of `!` just read
    previous = ""  # the punctuation just read
    after_term = False  # the last token ends a term: a term or `(` right after it is juxtaposed
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        token = m[kind]
        if kind in ("comment", "lang") or token == "^":  # `"1"^^<t>`, `"a"@en`: still after a term
            previous = ""
            continue
        juxtaposed = after_term and stack and stack[-1][1] == "("
        if kind != "punct":
            if stack and stack[-1][1] == "(" and (juxtaposed or kind == "name"):  # a collection element, a VALUES value
                terms += juxtaposed + (len(token) // 2 if kind == "name" else 0)  # `true1true1` is 4 to oxigraph
                if terms > terms_max:
                    _refuse_terms(text, m.start(kind), terms_max)
            if long and kind == "iri":
                _check_unambiguous(text, m, token, 2 * terms_max)
            run, previous, after_term = 0, "", kind in _TERMS
            continue
        after_term = token in ")]"
        if token == "!":
            run += 1
            if depth + run > NESTING_MAX:
                _too_deep(text, m.end() - 1, depth + run)
        elif token in "{([" or (token == "<" and previous == "<"):
            if juxtaposed and token != "{":
                terms += 1
                if terms > terms_max:
                    _refuse_terms(text, m.start(kind), terms_max)
            stack.append((depth, token))
            depth += 1 + run
            run = 0
            if depth > NESTING_MAX:
                _too_deep(text, m.end() - 1, depth)
            token = "" if token == "<" else token  # `<<<` is `<<` and a `<`
        elif token in "})]" or (token == ">" and previous == ">"):
            depth = stack.pop()[0] if stack else 0
            run = 0
            token = "" if token == ">" else token
        else:
            run = 0
        previous = token


def _check_unambiguous(text: str, m, iri: str, threshold: int = SHORT_TEXT_CHARS) -> None:
    """Refuse an IRI token whose other reading (``<`` as less-than) could start a string or a
    comment that moves where later strings start: then the lexer's count could be too low."""
    hash_at = iri.find("#")
    line_end = text.find("\n", m.end())
    rest = text[m.end(): len(text) if line_end < 0 else line_end]
    if "'" in iri or (hash_at >= 0 and any(q in rest for q in _QUOTES)):
        start = m.start("iri")
        line = text.count("\n", 0, start) + 1
        raise QueryTooComplex(f"the request is over {threshold:,} characters long and has an IRI {{where}} "
                              "that could also be read as a comparison hiding a string or a comment, so its terms "
                              "cannot be counted safely: declare a PREFIX for that IRI, or put what follows it on "
                              "the next line", line, start - text.rfind("\n", 0, start))


def _refuse_terms(text: str, pos: int, terms_max: int = PAREN_TERMS_MAX) -> None:
    line = text.count("\n", 0, pos) + 1
    raise QueryTooComplex(f"the request has more than {terms_max:,} terms directly inside ( … ) side by side "
                          f"(collection elements, VALUES values), the {terms_max + 1:,}th {{where}}; that is as "
                          "many as can be parsed safely (PAREN_TERMS_MAX): split it", line,
                          pos - text.rfind("\n", 0, pos))


def _too_deep(text: str, pos: int, depth: int) -> None:
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    raise QueryTooComplex(f"the request nests {depth} deep {{where}}; the limit is {NESTING_MAX} "
                          "(NESTING_MAX): split it or flatten it", line, column)


def use_big_stacks() -> None:
    """Give every thread this process starts from now on a ``STACK_BYTES`` stack."""
    threading.stack_size(STACK_BYTES)


def on_big_stack(fn: Callable[[], T]) -> T:
    """``fn()`` run on a thread with a ``STACK_BYTES`` stack; its result or its exception."""
    out: list = []

    def run() -> None:
        try:
            out.append((True, fn()))
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            out.append((False, e))

    old = threading.stack_size(STACK_BYTES)
    try:
        thread = threading.Thread(target=run, name="plankg-big-stack", daemon=True)  # Ctrl-C still ends the process
        thread.start()
    finally:
        threading.stack_size(old)
    thread.join()
    ok, value = out[0]
    if not ok:
        raise value
    return value
