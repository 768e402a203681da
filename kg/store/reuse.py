"""Which graphs of the current build a new build can keep (issue 18): a rebuild that changes a few
graphs copies the current build's store and loads only those, instead of loading every graph.

Each build records in BUILD.json the digest of each graph it loaded (``digests``: graph IRI → the
SHA-256 of its N-Triples as loaded, :func:`plankg.build.ntriples.digest`) and the triples of each
(``graphs``). The next build gives the digests of its graphs; a graph whose digest is the one
recorded is *reused*, the others are *reloaded* (changed), *added* (new) or *removed* (gone).
:func:`plan` decides; :meth:`plankg.store.builddir.StoreWriter.start_from` does the copy (a remote
store's :meth:`plankg.store.remote_publish.RemoteWriter.start_from` leaves the kept graphs on the server).

The whole load (every graph into an empty store) is kept when there is nothing to start from: no
current build, a current build without digests (made before they were recorded) or with another
pyoxigraph version (its files may be in another format), or when more than :data:`MAX_CHANGED_SHARE`
of the triples change (copying and deleting would then cost more than loading afresh).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyoxigraph import __version__ as PYOXIGRAPH_VERSION

from plankg.store.builddir import BUILD_INFO, store_files

MAX_CHANGED_SHARE = 0.5
"""Above this share of the triples of the old and the new build (those dropped plus those loaded),
the build loads every graph into an empty store."""
ROCKSDB_MARKER = "CURRENT"


@dataclass(frozen=True)
class Reuse:
    """Start from the build ``base`` (its name): keep the graphs ``kept`` (IRI → triples, as
    recorded), drop ``drop`` (changed or gone), then load ``load`` (changed or new)."""

    base: str
    kept: dict[str, int]
    drop: list[str]
    load: set[str]


def plan(record: dict | None, why_not: str, digests: Mapping[str, str | None],
         triples: Mapping[str, int]) -> tuple[Reuse | None, dict]:
    """How to load the graphs ``digests`` (IRI → digest, None for a graph loaded anyway, whose digest
    is not known yet; ``triples``: IRI → triples, where known) given the BUILD.json ``record`` of the
    build to start from (:func:`build_record`, :func:`published_record`; None: ``why_not``): a
    :class:`Reuse`, or None to load them all; and what to record (BUILD.json ``load``: the mode, and
    the counts of graphs reused, reloaded, added and removed)."""
    if record is None:
        return None, {"mode": "full", "reason": why_not, "loaded": len(digests)}
    old_digests, old_counts, name = record["digests"], record["graphs"], record.get("build")
    kept = {g: old_counts[g] for g, d in digests.items() if d is not None and old_digests.get(g) == d and g in old_counts}
    drop = sorted(g for g in old_counts if g not in kept)
    load = {g for g in digests if g not in kept}
    changed = sum(old_counts[g] for g in drop) + sum(triples.get(g, 0) for g in load)
    total = sum(old_counts.values()) + sum(triples.get(g, 0) for g in digests)
    counts = {"reused": len(kept), "reloaded": sum(1 for g in load if g in old_counts),
              "added": sum(1 for g in load if g not in old_counts),
              "removed": sum(1 for g in drop if g not in digests)}
    if total and changed > MAX_CHANGED_SHARE * total:
        return None, {"mode": "full", "reason": f"{changed} of {total} triples change", "loaded": len(digests),
                      "base": name, **counts}
    summary = {"mode": "incremental", "base": name, **counts, "changed_triples": changed,
               "changed": sorted(load | set(drop))}
    return Reuse(name, kept, drop, load), summary


def build_record(current: Path | None) -> tuple[dict | None, str]:
    """The BUILD.json of the embedded store's build ``current``, if a build can start from a copy
    of its store; else None and why not."""
    if current is None:
        return None, "no current build"
    try:
        info = json.loads((current / BUILD_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return None, f"the current build's {BUILD_INFO} cannot be read: {e}"
    record, why_not = published_record(info)
    if record is not None and info.get("pyoxigraph") != PYOXIGRAPH_VERSION:
        return None, f"the current build was made with pyoxigraph {info.get('pyoxigraph')}, not {PYOXIGRAPH_VERSION}"
    if record is not None and not (current / ROCKSDB_MARKER).is_file():
        return None, "the current build has no RocksDB store"
    if record is not None and info.get("store_files") != store_files(current):
        return None, "the current build's store was written to after it was published (plankg serve with updates)"
    return record, why_not


def published_record(info: Any) -> tuple[dict | None, str]:
    """``info`` (a BUILD.json: a remote store's control record keeps the one its readers see) with
    its digests and triple counts checked; else None and why not."""
    if not isinstance(info, dict) or not info:
        return None, "no current build"
    digests, counts = info.get("digests"), info.get("graphs")
    if not isinstance(digests, dict) or not isinstance(counts, dict):
        return None, "the current build recorded no graph digests"
    return {**info, "graphs": {g: n for g, n in counts.items() if isinstance(n, int)}}, ""


__all__ = ["Reuse", "plan", "build_record", "published_record", "MAX_CHANGED_SHARE"]
