"""The current build's dumps as a cache for the next build's (issue 18): the lines and the TriG
block of a graph that did not change are taken from them instead of being sorted and written again.

A graph's part of the dumps depends only on its own lines (:mod:`plankg.build.dumps`): its N-Quads
lines, which sort into the file's order wherever they come from, and its TriG block, which the
TriG writer writes the same whether it writes one graph or all (after the ``@prefix`` lines; checked
by tests/test_incremental.py, which compares with a full build byte for byte). Except for blank
nodes, whose canonical labels depend on every quad with a blank node: a graph with blank nodes is
always written again.

The previous dumps are used only if the current build recorded the same :func:`dumps_format` (this
module's and the dumps module's source, the prefixes and the pyoxigraph version) and each file's
SHA-256 still matches what it recorded; otherwise the dumps are written from scratch.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from plankg.build import dumps as dumps_module
from plankg.namespaces import PREFIXES

BUILD_INFO = "BUILD.json"  # as plankg.store.builddir names it (not imported: that module needs pyoxigraph)


@cache
def dumps_format() -> str:
    """What the dumps' bytes depend on besides the graphs, recorded in BUILD.json (``metadata.dumps_format``)."""
    from pyoxigraph import __version__ as pyoxigraph_version

    h = hashlib.sha256(f"pyoxigraph {pyoxigraph_version}\n{sorted(PREFIXES.items())}\n".encode())
    for path in (Path(dumps_module.__file__), Path(__file__)):
        h.update(path.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class PreviousDumps:
    """The uncompressed dumps of the current build, and the graphs (IRIs) to take from them."""

    nquads: bytes
    trig: bytes
    graphs: frozenset[str]

    def nquads_lines(self) -> list[bytes]:
        """The N-Quads lines (each with its newline) of :attr:`graphs`, in the file's (sorted) order."""
        names = {f"<{g}>".encode("utf-8") for g in self.graphs}
        return [line + b"\n" for line in self.nquads.split(b"\n")[:-1] if line[:-2].rsplit(b" ", 1)[1] in names]

    def trig_blocks(self) -> dict[str, bytes]:
        """The TriG block of each of :attr:`graphs` found (``<iri>`` → its lines, ``}`` included)."""
        names = {f"<{g}>" for g in self.graphs}
        return {name: block for name, block in split_trig(self.trig)[1] if name in names}


def split_trig(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The ``@prefix`` lines of TriG as the dumps write it, and its graph blocks: (``<iri>``, the
    block). A block starts with a line ``<iri> {`` (the only lines that start with ``<``: triples
    are indented, and literals are written with their line breaks escaped)."""
    end = 0
    while data.startswith(b"@prefix", end):
        end = data.index(b"\n", end) + 1
    return data[:end], list(_blocks(data, end))


def _blocks(data: bytes, start: int) -> Iterator[tuple[str, bytes]]:
    while start < len(data):
        nxt = data.find(b"\n<", start)
        stop = len(data) if nxt < 0 else nxt + 1
        block = data[start:stop]
        yield block[:block.index(b" {\n")].decode("utf-8"), block
        start = stop


def previous_dumps(build_dir: Path | None, digests: Mapping[str, str], lines: Mapping[str, str]) -> PreviousDumps | None:
    """The dumps of the build ``build_dir`` and the graphs of ``lines`` (IRI → N-Triples; ``digests``:
    IRI → digest) they hold unchanged and without blank nodes; None if there are none, or if the
    build's dumps cannot be used (another :func:`dumps_format`, missing, changed or unreadable files)."""
    if build_dir is None:
        return None
    try:
        info = json.loads((build_dir / BUILD_INFO).read_text(encoding="utf-8"))
        recorded = info["metadata"]["dumps"]
        if info["metadata"].get("dumps_format") != dumps_format():
            return None
        old = info["digests"]
        data = {}
        for name in (dumps_module.NQUADS_NAME, dumps_module.TRIG_NAME):
            path = f"{dumps_module.DUMPS_DIR}/{name}"
            raw = (build_dir / path).read_bytes()
            if hashlib.sha256(raw).hexdigest() != recorded[path]["sha256"]:
                return None
            data[name] = gzip.decompress(raw)
    except (OSError, ValueError, KeyError, TypeError, EOFError, zlib.error):
        return None
    graphs = frozenset(g for g, d in digests.items() if isinstance(old, dict) and old.get(g) == d and "_:" not in lines[g])
    if not graphs:
        return None
    return PreviousDumps(data[dumps_module.NQUADS_NAME], data[dumps_module.TRIG_NAME], graphs)

__all__ = ["PreviousDumps", "previous_dumps", "split_trig", "dumps_format"]
