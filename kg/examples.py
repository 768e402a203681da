"""The named example queries (``kg/queries/*.rq``), shown by the UI's query page and run by
``plankg query --example NAME``; ``plankg examples`` lists them.

A file's header comments give its title and description, zh-Hant untagged and English with
``@en``: ``# title: …``, ``# title@en: …``, ``# description: …``, ``# description@en: …``.

A query that says ``# parameter: ?plan`` binds ``?plan`` to the plan of each row and covers every
plan as written; it has, where the plan is best bound (first in its WHERE clause, and in each
subquery that groups by plan), the comment line ``# VALUES ?plan { <plan IRI> }``.
:meth:`Example.for_plan` keeps one plan by making each such line ``VALUES ?plan { <IRI> }``, so
the store starts from that plan rather than filtering every plan's rows at the end (a trailing
``VALUES``, as before, took 0.15–0.4 s at 100 plans and grew with them). ``plankg report NAME
--plan`` and the UI's analysis page (``/analysis?plan=``) both run that same text, so they never
disagree; a user does the same by hand.
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
_PARAMETER = re.compile(r"^#\s*parameter\s*:\s*\?(\w+)")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+")
PLAN = "plan"
PLAN_LINE = re.compile(r"^([ \t]*)# VALUES \?plan \{ <plan IRI> \}[ \t]*$", re.M)  # where for_plan binds ?plan


@dataclass(frozen=True)
class Example:
    """An example query: its name (the file's stem), its header comments and its text."""

    name: str
    title: dict[str, str]
    description: dict[str, str]
    query: str
    parameters: tuple[str, ...] = ()

    def get(self, what: str, lang: str) -> str:
        values = self.title if what == "title" else self.description
        return values.get(lang) or values.get(ZH, self.name)

    @property
    def per_plan(self) -> bool:
        """Whether the query binds ``?plan`` for :meth:`for_plan`."""
        return PLAN in self.parameters

    def for_plan(self, plan_iri: str) -> str:
        """The query keeping only the rows of the plan ``plan_iri``: each ``# VALUES ?plan { <plan IRI> }``
        line made ``VALUES ?plan { <plan_iri> }``."""
        if not self.per_plan:
            raise PlanKGError(f"example query {self.name} has no ?{PLAN} parameter")
        if not _IRI.fullmatch(plan_iri):
            raise PlanKGError(f"not an IRI: {plan_iri!r}")
        text, found = PLAN_LINE.subn(lambda m: f"{m.group(1)}VALUES ?{PLAN} {{ <{plan_iri}> }}", self.query)
        if not found:
            raise PlanKGError(f"example query {self.name} has no line '# VALUES ?{PLAN} {{ <plan IRI> }}'")
        return text


def examples(directory: Path = QUERIES_DIR) -> list[Example]:
    """The example queries, by file name."""
    found = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        meta: dict[str, dict[str, str]] = {"title": {}, "description": {}}
        parameters = []
        for line in text.splitlines():
            if m := _HEADER.match(line):
                meta[m.group(1)][EN if m.group(2) else ZH] = m.group(3)
            elif m := _PARAMETER.match(line):
                parameters.append(m.group(1))
        found.append(Example(path.stem, meta["title"], meta["description"], text, tuple(parameters)))
    return found


REPORTS = {  # plankg report NAME: the example query it runs (the UI shows the same query)
    "alignment": "14-programs-that-carry-each-strategy",
    "coverage": "15-strategies-no-program-carries",
    "target-groups": "17-target-groups-by-agency",
    "laws": "12-laws-cited-by-several-agencies",
    "uncarried-programs": "18-programs-that-carry-no-strategy",
}


def example(name: str) -> Example:
    """The example called ``name`` (its file name, with or without ``.rq``, or its number prefix)."""
    known = examples()
    wanted = name.removesuffix(".rq")
    for ex in known:
        if ex.name == wanted or ex.name.split("-", 1)[0] == wanted:
            return ex
    raise PlanKGError(f"no example query {name!r}: expected one of {', '.join(e.name for e in known)}")


def report_query(name: str, plan: str | None = None, base: str = "") -> str:
    """The text ``plankg report NAME`` runs: report ``name``'s example query, for one plan when
    ``plan`` is given (its IRI, or its path under ``base`` such as ``mol/108``, as ``/?plan=``)."""
    ex = example(REPORTS[name])
    if plan is None:
        return ex.query
    if not ex.per_plan:
        raise PlanKGError(f"report {name} covers every agency: it takes no --plan")
    return ex.for_plan(plan if ":" in plan else base + plan)


__all__ = ["Example", "examples", "example", "report_query", "QUERIES_DIR", "REPORTS", "PLAN", "PLAN_LINE"]
