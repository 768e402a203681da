"""The goals section of a plan text (壹、年度施政目標及策略): goals and their strategies.

The rules are in :mod:`plankg.loaders.plan_text`'s docstring ("Goals section"); the number and
text checks here serve the preamble's key works too.
"""

from __future__ import annotations

from collections.abc import Sequence

from plankg.errors import InputError
from plankg.loaders.model import Goal, Source, Strategy
from plankg.loaders.plan_syntax import Item, Kind, join_continuation, label, match_item, quote, render, words

Line = tuple[int, str]  # (1-based line number, text without the line break)

_SENTENCE_END = ("。", "！", "？", "!", "?")
# goal style → strategy style
_SCHEMES = {Kind.CN_COMMA: Kind.CN_PAREN, Kind.CN_PAREN: Kind.AR_DOT}


# ----------------------------------------------------------------------------------------- goals


def parse_goals(lines: Sequence[Line], file: str, heading_line: int) -> list[Goal]:
    """Goals and their strategies (the rules: :mod:`plankg.loaders.plan_text`)."""
    goals: list[Goal] = []
    numbered = [(n, raw, match_item(raw)) for n, raw in lines if raw.strip()]
    goal_kind = _goal_kind(numbered, file)
    last: Goal | Strategy | None = None
    for n, raw, item in numbered:
        if item is None:
            last = _continuation(last, goals, goal_kind, file, n, raw)
            continue
        assert goal_kind is not None  # a numbered line exists
        strategy_kind = _SCHEMES[goal_kind]
        if item.kind is goal_kind:
            check_number(file, n, "goal", "", goal_kind, len(goals) + 1, item.number, raw)
            check_text(file, n, item.text, raw)
            last = Goal(item.number, item.text, Source.at(file, n))
            goals.append(last)
        elif item.kind is strategy_kind:
            if not goals:
                raise InputError(file, n, f"strategy before any goal: expected a goal "
                                          f"'{label(goal_kind, 1)}…', found {quote(raw)}")
            goal = goals[-1]
            check_number(file, n, "strategy", f" of goal {goal.ordinal}", strategy_kind,
                          len(goal.strategies) + 1, item.number, raw)
            check_text(file, n, item.text, raw)
            last = Strategy(item.number, item.text, Source.at(file, n))
            goal.strategies.append(last)
        elif item.kind > strategy_kind and isinstance(last, Strategy):
            raise InputError(file, n, f"third-level item {quote(raw)} is not supported: expected a goal "
                                      f"{label(goal_kind, len(goals) + 1)} or a strategy "
                                      f"{label(strategy_kind, len(goals[-1].strategies) + 1)}")
        else:
            expected = label(strategy_kind, len(goals[-1].strategies) + 1) if goals else label(goal_kind, 1)
            raise InputError(file, n, f"unexpected numbering {item.marker!r} in 壹: expected a goal "
                                      f"{label(goal_kind, len(goals) + 1)} or a strategy {expected}, "
                                      f"found {quote(raw)}")
    if not goals:
        raise InputError(file, heading_line, "expected at least one goal under 壹, found none")
    return goals


def _continuation(last: Goal | Strategy | None, goals: list[Goal], goal_kind: Kind | None,
                  file: str, n: int, raw: str) -> Strategy:
    """Append an un-numbered line to the unfinished strategy above it, or reject it."""
    if isinstance(last, Strategy) and not last.text.endswith(_SENTENCE_END):
        last.text = join_continuation(last.text, render(words(raw)))
        last.source = Source(file, last.source.line, n)
        return last
    if goal_kind is None or not goals:
        expected = "the first goal '一、…' or '(一)…'"
    else:
        strategy_kind = _SCHEMES[goal_kind]
        expected = (f"a goal {label(goal_kind, len(goals) + 1)} or a strategy "
                    f"{label(strategy_kind, len(goals[-1].strategies) + 1)}")
    why = ("" if not isinstance(last, Strategy)
           else " (an un-numbered line continues a strategy only when that strategy does not end with 。)")
    raise InputError(file, n, f"unrecognised line in 壹: expected {expected}, found {quote(raw)}{why}")


# --------------------------------------------------------------------------------------- helpers


def _goal_kind(lines: Sequence[tuple[int, str, Item | None]], file: str) -> Kind | None:
    """The goals' numbering style: the outermost style used in 壹 (一、 or (一)); None if none."""
    items = [(n, raw, item) for n, raw, item in lines if item is not None]
    if not items:
        return None
    outermost = min(item.kind for _, _, item in items)
    if outermost not in _SCHEMES:
        n, raw, _ = items[0]
        raise InputError(file, n, f"expected goals numbered '一、' or '(一)' under 壹, found {quote(raw)}")
    return outermost


def check_number(file: str, line: int, what: str, under: str, kind: Kind, expected: int, found: int,
                  raw: str) -> None:
    if found != expected:
        problem = "numbering gap" if found > expected else "repeated or out-of-order number"
        raise InputError(file, line, f"{problem}: expected {what} {label(kind, expected)}{under}, "
                                     f"found {label(kind, found)} in {quote(raw)}")


def check_text(file: str, line: int, text: str, raw: str) -> None:
    if not text:
        raise InputError(file, line, f"expected text after the number, found only {quote(raw)}")
