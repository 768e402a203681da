"""Counts shown by ``plankg build`` (from the compiled plans) and ``plankg stats`` (from the store)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from plankg.hierarchy import EVIDENCE_CLASS, PLAN_CLASS, STRUCTURE
from plankg.build.progress import counted
from plankg.namespaces import PLAN

if TYPE_CHECKING:  # pragma: no cover
    from plankg.build.pipeline import Compiled

CLASSES = tuple(level.cls for level in STRUCTURE)

STATS_QUERY = f"""
PREFIX plan: <{PLAN}>
SELECT ?g ?title ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  GRAPH ?g {{
    ?plan a plan:{PLAN_CLASS} ; plan:rocYear ?y .
    OPTIONAL {{ ?plan <http://purl.org/dc/terms/title> ?title }}
    ?s a ?class .
    FILTER(?class IN ({", ".join("plan:" + c for c in CLASSES + (EVIDENCE_CLASS,))}))
  }}
}} GROUP BY ?g ?title ?class ORDER BY ?g ?class
"""


def summary_lines(compiled: "Compiled") -> list[str]:
    """One line per plan with its counts, one per other graph, one for the graphs and the
    validation, then the time of each stage with the items it did, and their sum."""
    lines = []
    triples = compiled.triples()
    for mapped in compiled.mapped:
        lines.append(f"{mapped.unit.summary}, {mapped.links} links; {triples[mapped.graph_iri]} triples")
    for m in compiled.others:
        counts = ", ".join(f"{n:,} {what}" for what, n in m.counts.items())
        lines.append(f"{m.kind} <{m.graph_iri}>: {counts}; {triples[m.graph_iri]:,} triples")
    lines.append(
        f"{len(triples)} graphs, {sum(triples.values())} triples; SHACL: conforms, "
        f"{len(compiled.report.warnings)} warning(s)"
    )
    lines.append(time_line(compiled.timings, compiled.counts))
    return lines


def plan_summary(plan) -> str:
    """``{title}: 5 goals, 12 strategies, …, 140 activities``: what ``plankg build`` says of a plan
    (kept with its unit, :class:`plankg.build.plan_units.PlanUnit`, so a kept plan is not read again)."""
    cats = Counter(p.category for p in plan.programs())
    cat_text = ", ".join(f"{n} {c}" for c, n in sorted(cats.items(), key=lambda kv: -kv[1]))
    return (f"{plan.title}: {len(plan.goals)} goals, {len(plan.strategies())} strategies, "
            f"{len(plan.work_plans)} work plans, {len(plan.programs())} programs ({cat_text}), "
            f"{len(plan.activities())} activities")


def time_line(timings: dict[str, float], counts: dict[str, tuple[int, str]]) -> str:
    """``time: parse 342 ms (4 sources), …; total 14.0 s``: each stage, its time and count."""
    def stage(name: str, seconds: float) -> str:
        count = f" ({counted(*counts[name])})" if name in counts else ""
        return f"{name} {seconds * 1000:.0f} ms{count}"

    return ("time: " + ", ".join(stage(k, v) for k, v in timings.items())
            + f"; total {sum(timings.values()):.1f} s")


def store_stats(store: Path) -> list[str]:
    """Human-readable counts of the published store."""
    from plankg.store import open_location, store_info

    info = store_info(store)
    with open_location(store) as kg:
        lines = [f"store: {store} (build {info.get('build', '?')}, published {info.get('published', '?')})"]
        for g in kg.graphs():
            lines.append(f"graph <{g}>: {kg.count(g)} triples")
        per_plan: dict[str, dict[str, int]] = {}
        titles: dict[str, str] = {}
        for row in kg.query(STATS_QUERY, union_default_graph=False):
            g = row["g"].value
            titles[g] = row["title"].value if row["title"] is not None else g
            per_plan.setdefault(g, {})[row["class"].value.removeprefix(PLAN)] = int(row["n"].value)
        for g, counts in per_plan.items():
            parts = ", ".join(f"{counts.get(c, 0)} {c}" for c in CLASSES + (EVIDENCE_CLASS,))
            lines.append(f"{titles[g]}: {parts}")
        lines.append(f"total: {kg.count()} quads")
    return lines
