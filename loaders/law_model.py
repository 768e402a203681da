"""Plain objects of the national law index: :class:`Law` and :class:`LawIndex` (no RDF here).

Read by :mod:`plankg.loaders.law_index`; kept apart from it so that the loader registry can name
them without importing the loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from plankg.loaders.model import Source

Level = Literal["憲法", "法律", "命令"]
NOT_YET_EFFECTIVE = date(9999, 12, 31)
"""The database's ``LawEffectiveDate`` 99991231: the date of taking effect is not fixed yet."""
LEVELS: tuple[str, ...] = ("憲法", "法律", "命令")  # LawLevel values of the national database

PCODE = re.compile(r"[A-Z][0-9]{7}")
"""A PCode (法規代碼): an upper-case letter (the database's category, A–U) and seven digits."""

_DISAMBIGUATOR = re.compile(r"\s*（[^（）]*）\s*$")


def base_name(name: str) -> str:
    """``name`` without a trailing disambiguating parenthesis: ``最低工資法（112.12.27制定）`` → ``最低工資法``."""
    return _DISAMBIGUATOR.sub("", name) or name


@dataclass(frozen=True)
class Law:
    """A law or order of the national database, identified by its PCode.

    ``level`` is 憲法, 法律 (statute) or 命令 (order), None when unknown; ``level_basis`` says where it
    came from: ``"database"`` (the metadata) or ``"name"`` (:func:`plankg.loaders.law_index.level_from_name`). ``abolished``
    (廢止) and ``category`` (法規類別, e.g. ``行政＞勞動部＞勞動條件及就業平等目``) are None when the
    input does not say. ``last_amended`` is the database's last-change date (None when the database
    gives none, or only a year: ``19460000``). ``effective`` is the metadata's ``LawEffectiveDate``,
    the date the last change takes effect (None where the input does not say; ``9999-12-31`` where
    the database has no date yet, e.g. a law whose commencement is left to an order never issued).
    """

    pcode: str
    name: str
    english: str | None
    last_amended: date | None
    level: Level | None
    category: str | None
    abolished: bool | None
    source: Source
    level_basis: Literal["database", "name"] | None = None
    effective: date | None = None

    @property
    def base_name(self) -> str:
        """The name without the parenthesis that tells two laws of one name apart (``（…訂定）``)."""
        return base_name(self.name)


@dataclass
class LawIndex:
    """The laws read from one file (or merged from two: ``file`` is then the index's)."""

    file: str
    laws: list[Law] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_pcode = {law.pcode: law for law in self.laws}

    def __len__(self) -> int:
        return len(self.laws)

    def __iter__(self) -> Iterator[Law]:
        return iter(self.laws)

    def __contains__(self, pcode: object) -> bool:
        return pcode in self._by_pcode

    def __getitem__(self, pcode: str) -> Law:
        return self._by_pcode[pcode]

    def get(self, pcode: str) -> Law | None:
        return self._by_pcode.get(pcode)




STATUTE_SUFFIXES = ("法", "律", "條例", "通則")  # 中央法規標準法 Art. 2
ORDER_SUFFIXES = ("規程", "規則", "細則", "辦法", "綱要", "標準", "準則")  # 中央法規標準法 Art. 3
CONSTITUTION_BLOCK = "A00000"  # the database's 憲法 category: the name rule does not hold there


def level_from_name(name: str, pcode: str | None = None) -> Literal["法律", "命令"] | None:
    """法律 or 命令 from the name's ending (中央法規標準法 Art. 2 and 3), None where that is unclear.

    :mod:`plankg.loaders.law_index` documents the rule and what it leaves undecided.
    """
    if pcode is not None and pcode.startswith(CONSTITUTION_BLOCK):
        return None
    name = base_name(name).strip()
    if name.endswith(ORDER_SUFFIXES):
        return "命令"
    if name.endswith(STATUTE_SUFFIXES):
        return "法律"
    return None


__all__ = ["Law", "LawIndex", "Level", "LEVELS", "PCODE", "NOT_YET_EFFECTIVE", "base_name", "level_from_name"]
