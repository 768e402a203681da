"""The current build's dumps as a cache for the next build's (issue 18): the gzip members of the
graphs that did not change are copied from them instead of being written and compressed again.

Each graph's part of a dump file is a gzip member of its own (:mod:`plankg.build.dumps`), which
depends only on the graph's lines: its N-Quads lines, sorted, and its TriG block, which the TriG
writer writes the same whether it writes one graph or all (after the ``@prefix`` lines; checked
by tests/test_incremental.py, which compares with a full build byte for byte). Except for blank
nodes, whose canonical labels depend on every quad with a blank node: a graph with blank nodes is
always written again.

A build records where each graph's member lies in its dump files, in BUILD.json
``metadata.dumps_members`` (:func:`members_record`): dump path (``dumps/plankg.nq.gz``) → graph
IRI → ``[offset, length]`` in bytes of the compressed file, for the graphs without blank nodes. The next build slices the members of
the unchanged graphs out of the files, without decompressing them. It does so only if the current
build recorded the same :func:`dumps_format` (this module's and the dumps module's source, the
prefixes, the pyoxigraph, Python and zlib versions) and each file's SHA-256 still matches what it
recorded; otherwise the dumps are written from scratch.
"""

from __future__ import annotations

import hashlib
import json
import platform
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from plankg.build import dumps as dumps_module
from plankg.build.dumps import Dump
from plankg.namespaces import PREFIXES

BUILD_INFO = "BUILD.json"  # as plankg.store.builddir names it (not imported: that module needs pyoxigraph)
GZIP_MAGIC = b"\x1f\x8b"


@cache
def dumps_format() -> str:
    """What the dumps' bytes depend on besides the graphs, recorded in BUILD.json (``metadata.dumps_format``):
    the code that writes them and reads them back, the prefixes, and the versions of pyoxigraph (its
    writers), Python (its gzip header) and zlib (its compressed bytes), since members are copied."""
    from pyoxigraph import __version__ as pyoxigraph_version

    h = hashlib.sha256(f"pyoxigraph {pyoxigraph_version}\npython {platform.python_version()}\n"
                       f"zlib {zlib.ZLIB_RUNTIME_VERSION}\n{sorted(PREFIXES.items())}\n".encode())
    for path in (Path(dumps_module.__file__), Path(__file__)):
        h.update(path.read_bytes())
    return h.hexdigest()


def members_record(dumps: Iterable[Dump]) -> dict[str, dict[str, list[int]]]:
    """What BUILD.json records of ``dumps`` for the next build (``metadata.dumps_members``): dump
    path → graph IRI → ``[offset, length]`` of its gzip member, for the graphs without blank nodes
    (the only ones a build may copy: so the next build need not look for blank nodes in the lines
    of every graph that did not change)."""
    return {d.path: {iri: [offset, length] for iri, offset, length in d.members if iri not in d.blank}
            for d in dumps}


@dataclass(frozen=True)
class PreviousDumps:
    """The gzip members of :attr:`graphs` (IRIs) in the current build's dumps: dump file name →
    graph IRI → its member's bytes."""

    members: Mapping[str, Mapping[str, bytes]]
    graphs: frozenset[str]


def previous_dumps(build_dir: Path | None, digests: Mapping[str, str]) -> PreviousDumps | None:
    """The members in the dumps of the build ``build_dir`` of the graphs of ``digests`` (IRI →
    digest of its lines) that they hold unchanged and without blank nodes (those it recorded,
    :func:`members_record`); None if
    there are none, or if the build's dumps cannot be used (another :func:`dumps_format`, missing,
    changed or unreadable files, or no record of their members)."""
    if build_dir is None:
        return None
    try:
        info = json.loads((build_dir / BUILD_INFO).read_text(encoding="utf-8"))
        metadata, old = info["metadata"], info["digests"]
        if metadata.get("dumps_format") != dumps_format():
            return None
        graphs = {g for g, d in digests.items() if old.get(g) == d}
        if not graphs:  # nothing to take: the files are not read
            return None
        members: dict[str, dict[str, bytes]] = {}
        for name in (dumps_module.NQUADS_NAME, dumps_module.TRIG_NAME):
            path = f"{dumps_module.DUMPS_DIR}/{name}"
            raw = (build_dir / path).read_bytes()
            if hashlib.sha256(raw).hexdigest() != metadata["dumps"][path]["sha256"]:
                return None
            recorded = metadata["dumps_members"][path]
            members[name] = {g: _member(raw, *recorded[g]) for g in graphs if g in recorded}
            graphs &= members[name].keys()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not graphs:
        return None
    return PreviousDumps({name: {g: m[g] for g in graphs} for name, m in members.items()}, frozenset(graphs))


def _member(raw: bytes, offset: int, length: int) -> bytes:
    """The bytes ``raw[offset:offset + length]``, checked to be in the file and to start as a gzip
    member does, or ValueError."""
    if not (type(offset) is int and type(length) is int and 0 <= offset and 0 < length
            and offset + length <= len(raw) and raw.startswith(GZIP_MAGIC, offset)):
        raise ValueError(f"no gzip member at {offset} ({length} bytes)")
    return raw[offset:offset + length]


__all__ = ["PreviousDumps", "previous_dumps", "members_record", "dumps_format"]
