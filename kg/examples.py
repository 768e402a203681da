"""The named example queries (``kg/queries/*.rq``), shown by the UI's query page and run by
``plankg query --example NAME``; ``plankg examples`` lists them.

A file's header comments give its title and description, zh-Hant untagged and English with
``@en``: ``# title: …``, ``# title@en: …``, ``# description: …``, ``# description@en: …``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from plankg.errors import PlanKGError

ZH, EN = "zh-Hant", "en"
QUERIES_DIR = Path(str(files("plankg.queries")))
_HEADER = re.compile(r"^#\s*(title|description)(@en)?\s*:\s*(.*\S)\s*$")


@dataclass(frozen=True)
class Example:
    """An example query: its name (the file's stem), its header comments and its text."""

    name: str
    title: dict[str, str]
    description: dict[str, str]
    query: str

    def get(self, what: str, lang: str) -> str:
        values = self.title if what == "title" else self.description
        return values.get(lang) or values.get(ZH, self.name)


def examples(directory: Path = QUERIES_DIR) -> list[Example]:
    """The example queries, by file name."""
    found = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        meta: dict[str, dict[str, str]] = {"title": {}, "description": {}}
        for line in text.splitlines():
            m = _HEADER.match(line)
            if m:
                meta[m.group(1)][EN if m.group(2) else ZH] = m.group(3)
        found.append(Example(path.stem, meta["title"], meta["description"], text))
    return found


REPORTS = {  # plankg report NAME: the example query it runs (the UI shows the same query)
    "alignment": "14-programs-that-carry-each-strategy",
    "coverage": "15-strategies-no-program-carries",
    "target-groups": "17-target-groups-by-agency",
    "laws": "12-laws-cited-by-several-agencies",
}


def example(name: str) -> Example:
    """The example called ``name`` (its file name, with or without ``.rq``, or its number prefix)."""
    known = examples()
    wanted = name.removesuffix(".rq")
    for ex in known:
        if ex.name == wanted or ex.name.split("-", 1)[0] == wanted:
            return ex
    raise PlanKGError(f"no example query {name!r}: expected one of {', '.join(e.name for e in known)}")


__all__ = ["Example", "examples", "example", "QUERIES_DIR", "REPORTS"]
