"""What a linked-data page shows beyond a resource's own description: which incoming links only
mirror outgoing ones (inverse properties), the laws and target groups of a node's children
rolled up to it, and the source text of a source location.

Queries go through the query executor, like :mod:`plankg.server.ld.data`; the inverse pairs are
cached per store build (:func:`plankg.server.ui.data.cached`).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.resources import files

from pyoxigraph import NamedNode, Triple

from plankg.hierarchy import LEVELS
from plankg.namespaces import DCT, OWL, PLAN, SPDX
from plankg.server.ld.data import _executor, _iri
from plankg.server.ui import data as ui_data

ROLLED_UP = (PLAN + "citesLaw", PLAN + "targetGroup")
CHILD_PREDICATES = tuple(PLAN + level.has for level in LEVELS)
MAX_SOURCE_LINES = 200


def inverse_pairs() -> dict[str, frozenset[str]]:
    """Property → its inverses (``owl:inverseOf``, both ways), as the store's ontology says."""
    def compute() -> dict[str, frozenset[str]]:
        pairs: dict[str, set[str]] = {}
        rows = _executor().select(f"SELECT DISTINCT ?p ?q WHERE {{ ?p <{OWL}inverseOf> ?q FILTER(isIRI(?p) && isIRI(?q)) }}")
        for row in rows:
            p, q = row["p"].value, row["q"].value
            pairs.setdefault(p, set()).add(q)
            pairs.setdefault(q, set()).add(p)
        return {p: frozenset(qs) for p, qs in pairs.items()}
    return ui_data.cached(("ld-inverses",), compute)


def mirrored(me: str, incoming: list[Triple], outgoing: list[Triple]) -> set[tuple[str, str]]:
    """(subject, predicate) of the incoming links that only restate an outgoing one through an
    inverse property (a program's ``isProgramOf`` its work plan, beside ``hasProgram``)."""
    inverses = inverse_pairs()
    forward = {(tr.predicate.value, tr.object.value) for tr in outgoing if isinstance(tr.object, NamedNode)}
    return {(tr.subject.value, tr.predicate.value) for tr in incoming
            if any((q, tr.subject.value) in forward for q in inverses.get(tr.predicate.value, ()))}


def rolled_up(iri: str) -> list[dict]:
    """The laws and target groups the children of ``iri`` (one level down: a program's
    activities, a strategy's …) are linked to: predicate, target and the children, in order."""
    children = " ".join(_iri(p) for p in CHILD_PREDICATES)
    links = " ".join(_iri(p) for p in ROLLED_UP)
    rows = _executor().select(f"""SELECT DISTINCT ?child ?p ?target WHERE {{
        VALUES ?has {{ {children} }} VALUES ?p {{ {links} }}
        {_iri(iri)} ?has ?child . ?child ?p ?target FILTER(isIRI(?target)) }}""")
    return [{"child": r["child"].value, "predicate": r["p"].value, "target": r["target"].value} for r in rows]


def source_lines(location: str, start: int | None, end: int | None) -> list[tuple[int, str]]:
    """Lines ``start``..``end`` of the source document of ``location``, numbered, when that
    document is a plan shipped with plankg (``data/plans``) whose SHA-256 is the one the graph
    records; else none (a plan built from elsewhere is not shown from a file that may differ)."""
    if start is None:
        return []
    end = start if end is None or end < start else end
    rows = _executor().select(f"""SELECT ?name ?sha WHERE {{ {_iri(location)} <{DCT}isPartOf> ?doc .
        ?doc <{DCT}identifier> ?name .
        OPTIONAL {{ ?doc <{SPDX}checksum> [ <{SPDX}algorithm> <{SPDX}checksumAlgorithm_sha256> ;
                                           <{SPDX}checksumValue> ?sha ] }} }} LIMIT 1""")
    if not rows or "sha" not in rows[0]:
        return []
    text = _shipped_plan(rows[0]["name"].value, rows[0]["sha"].value.lower())
    if text is None:
        return []
    lines = text.splitlines()
    return [(n, lines[n - 1]) for n in range(start, min(end, len(lines), start + MAX_SOURCE_LINES - 1) + 1)]


@lru_cache(maxsize=16)
def _shipped_plan(name: str, sha256: str) -> str | None:
    if "/" in name or "\\" in name or not name.endswith(".txt"):
        return None
    found = files("plankg.plans").joinpath(name)
    if not found.is_file():
        return None
    data = found.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        return None
    return data.decode("utf-8", errors="replace")
