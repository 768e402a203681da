"""Validation reports kept by content: a graph whose data, context, shapes, ontology, vocabularies
and validating code have not changed since it was last validated is not validated again.

A budget document does not change from one build to the next. The key is the SHA-256 of
everything the report depends on: the graph's and its context's triples with the vocabularies
(sorted N-Triples, so the order rdflib keeps them in does not matter; these graphs hold no blank
nodes), the shipped shapes and ontology files and the id base, and the versions of plankg,
pySHACL, rdflib and pyoxigraph with the source of the validating modules
(:mod:`plankg.build.checking`, ``validate``, ``shacl_core``, ``shacl_expr``, ``shacl_sparql``). A
report is a small JSON file named by its key in :func:`cache_dir`: ``PLANKG_CACHE_DIR``, else
``$XDG_CACHE_HOME/plankg``, else ``~/.cache/plankg`` (:mod:`plankg.build.cache`);
``PLANKG_CACHE_DIR=off`` validates every time. A cache that cannot be read or written is ignored
(the graph is validated).
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

from plankg.build import cache
from plankg.build.cache import ENV, OFF
from plankg.build.validate import Finding, Report

SUBDIR = "validation"


def cache_dir() -> Path | None:
    return cache.folder(SUBDIR)


def key(parts: list[bytes], fixed: bytes) -> str:
    """The key of validating the union of ``parts`` (N-Triples) where ``fixed`` digests the rest
    (:func:`fixed_digest`, :func:`lines_digest` of the vocabularies)."""
    h = hashlib.sha256(fixed)
    for part in parts:
        h.update(lines_digest(part))
    return h.hexdigest()


def lines_digest(ntriples: bytes) -> bytes:
    """The SHA-256 of the sorted lines of ``ntriples`` (no blank nodes expected)."""
    h = hashlib.sha256()
    for line in sorted(ntriples.splitlines()):
        h.update(line + b"\n")
    return h.digest()


def fixed_digest(base: str) -> bytes:
    """What every report of one build depends on besides its data graph: the shapes and the
    ontology as shipped (their files: they hold blank nodes, whose labels change from one
    parse to the next), the id base they are read with, and the code and versions that validate."""
    from plankg import resources
    from plankg.build import checking, shacl_core, shacl_expr, shacl_sparql, validate

    h = hashlib.sha256(base.encode() + b"\x00")
    for resource in [resources.ontology(), *resources.shapes()]:
        h.update(resource.name.encode() + b"\x00" + resource.read_bytes() + b"\x00")
    for dist in ("plankg", "pyshacl", "rdflib", "pyoxigraph"):
        try:
            h.update(f"{dist} {metadata.version(dist)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist} ?\n".encode())
    for module in (checking, validate, shacl_core, shacl_expr, shacl_sparql):
        h.update(Path(module.__file__).read_bytes())
    return h.digest()


def load(k: str) -> Report | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        raw = json.loads((folder / f"{k}.json").read_text(encoding="utf-8"))
        return Report([Finding(**f) for f in raw["findings"]])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(k: str, report: Report) -> None:
    folder = cache_dir()
    if folder is not None:
        cache.write(folder / f"{k}.json", json.dumps({"findings": [f.__dict__ for f in report.findings]},
                                                    ensure_ascii=False))


__all__ = ["cache_dir", "key", "fixed_digest", "load", "store", "ENV", "OFF"]
