"""Lexical rules shared by the plan-text loader (:mod:`plankg.loaders.plan_text`).

* Chinese numerals 一…九十九 (:func:`chinese_numeral`, :func:`to_chinese_numeral`).
* Item markers at the start of a line (:func:`match_item`): ``一、`` ``(一)``/``（一）``
  ``1、``/``1.``/``1．`` ``(1)``/``（1）``/``1)`` and ``①``, optionally after a list dash ``- ``.
* Text reassembly (:func:`words`, :func:`render`): markup tags are removed, runs of whitespace
  become one space, and a space between two CJK characters (a layout artefact, never meaningful in
  Chinese) is dropped; a space between CJK and ASCII (``長期照顧十年計畫 2.0``) is kept as printed.
* Short quoted excerpts for error messages (:func:`quote`).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_NUMERAL_CHARS = "一二三四五六七八九十"


def chinese_numeral(text: str) -> int | None:
    """The value of a Chinese numeral 一 … 九十九, or None when ``text`` is not one."""
    if not text or len(text) > 3:
        return None
    tens, sep, ones = text.partition("十")
    if not sep:
        return _CN_DIGITS.get(text) if len(text) == 1 else None
    if len(tens) > 1 or len(ones) > 1:
        return None
    t = 1 if not tens else _CN_DIGITS.get(tens)
    o = 0 if not ones else _CN_DIGITS.get(ones)
    if t is None or o is None:
        return None
    return t * 10 + o


def to_chinese_numeral(n: int) -> str:
    """The usual spelling of 1 ≤ n ≤ 99: 一, 十, 十一, 二十, 二十一 …; other numbers in digits.

    The one spelling of numerals: the loader's messages and the pages' item numbers use it.
    """
    if not 1 <= n <= 99:
        return str(n)
    digits = "_一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if tens == 0:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


# ---------------------------------------------------------------------------------------- markers


class Kind(enum.IntEnum):
    """Item-marker styles, in the usual order of nesting (outermost first)."""

    CN_COMMA = 1  # 一、
    CN_PAREN = 2  # (一) （一）
    AR_DOT = 3  # 1、 1. 1．
    AR_PAREN = 4  # (1) （1） 1)
    CIRCLED = 5  # ①


_CN = f"[{CN_NUMERAL_CHARS}]{{1,3}}"
_AR = "[0-9０-９]{1,3}"
_DASH = r"\s*(?:-\s*)?"
_MARKERS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (Kind.CN_COMMA, re.compile(rf"{_DASH}(?P<n>{_CN})、\s*(?P<rest>.*)", re.S)),
    (Kind.CN_PAREN, re.compile(rf"{_DASH}[(（]\s*(?P<n>{_CN})\s*[)）]\s*(?P<rest>.*)", re.S)),
    (Kind.AR_DOT, re.compile(rf"{_DASH}(?P<n>{_AR})\s*(?:、|[.．](?![0-9０-９]))\s*(?P<rest>.*)", re.S)),
    (Kind.AR_PAREN, re.compile(rf"{_DASH}(?:[(（]\s*(?P<n>{_AR})\s*[)）]|(?P<m>{_AR})[)）])\s*(?P<rest>.*)", re.S)),
    (Kind.CIRCLED, re.compile(rf"{_DASH}(?P<n>[\u2460-\u2473])\s*(?P<rest>.*)", re.S)),
)


@dataclass(frozen=True)
class Item:
    """A numbered line: its marker style, number, the marker as printed and the text after it."""

    kind: Kind
    number: int
    marker: str
    text: str


def label(kind: Kind, n: int) -> str:
    """How item ``n`` of style ``kind`` is printed (for messages): 三、 (三) 3、 (3) ③."""
    if kind is Kind.CN_COMMA:
        return f"{to_chinese_numeral(n)}、"
    if kind is Kind.CN_PAREN:
        return f"({to_chinese_numeral(n)})"
    if kind is Kind.AR_DOT:
        return f"{n}、"
    if kind is Kind.AR_PAREN:
        return f"({n})"
    return chr(0x245F + n) if 1 <= n <= 20 else f"({n})"


def match_item(line: str) -> Item | None:
    """The item marker at the start of ``line`` (after an optional ``- ``), or None."""
    for kind, pattern in _MARKERS:
        m = pattern.fullmatch(line)
        if m is None:
            continue
        raw = m.group("n") or m.groupdict().get("m") or ""
        if kind in (Kind.CN_COMMA, Kind.CN_PAREN):
            number = chinese_numeral(raw)
        elif kind is Kind.CIRCLED:
            number = ord(raw) - 0x245F
        else:
            number = int(raw)  # int() reads full-width digits too
        if number is None or number == 0:
            continue
        marker = line[: m.start("rest")].strip()
        return Item(kind, number, marker, render(words(m.group("rest"))))
    return None


# ------------------------------------------------------------------------------------------ text

_GAP_RE = re.compile(r"(?:\s+|</?[A-Za-z][^<>]*>)+")
_SPACE_RE = re.compile(r"\s")


def is_cjk(ch: str) -> bool:
    """CJK ideographs and full-width punctuation/forms (not the ideographic space)."""
    o = ord(ch)
    return (0x3001 <= o <= 0x303F or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF
            or 0xF900 <= o <= 0xFAFF or 0xFF01 <= o <= 0xFFEF or 0x20000 <= o <= 0x2FA1F)


@dataclass(frozen=True)
class Word:
    """A run of printed characters between gaps (whitespace or markup).

    ``gap`` says what preceded it: ``""`` (start of the text, or only markup), ``" "``
    (whitespace) or ``"cut"`` (the join of two fragments cut by a page break).
    """

    text: str
    line: int
    gap: str


def words(text: str, line: int = 0, *, cut: bool = False) -> list[Word]:
    """Split ``text`` into words; the first word's gap is ``"cut"`` when ``cut`` is true."""
    out: list[Word] = []
    pos = 0
    gap = "cut" if cut else ""
    for m in _GAP_RE.finditer(text):
        if m.start() > pos:
            out.append(Word(text[pos : m.start()], line, gap))
            gap = ""
        if gap != "cut" and _SPACE_RE.search(m.group()):
            gap = " "
        pos = m.end()
    if pos < len(text):
        out.append(Word(text[pos:], line, gap))
    return out


def render(ws: list[Word]) -> str:
    """Reassemble words: see the module docstring for the separator rules."""
    parts: list[str] = []
    prev = ""
    for i, w in enumerate(ws):
        if i and w.gap == " " and not (is_cjk(prev[-1]) and is_cjk(w.text[0])):
            parts.append(" ")
        parts.append(w.text)
        prev = w.text
    return "".join(parts)


def join_continuation(head: str, tail: str) -> str:
    """Append a continuation line: no separator for Chinese text, one space between ASCII."""
    if head and tail and not is_cjk(head[-1]) and not is_cjk(tail[0]):
        return f"{head} {tail}"
    return head + tail


def quote(text: str, limit: int = 30) -> str:
    """A short, one-line, quoted excerpt of ``text`` for an error message."""
    t = " ".join(text.replace("\t", "\\t").split())
    return "'" + (t if len(t) <= limit else t[:limit] + "…") + "'"
