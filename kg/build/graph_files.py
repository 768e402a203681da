"""Graphs kept in the cache as their N-Triples: one file, a line of JSON, then the lines.

What alignment makes of a plan (:mod:`plankg.build.align.outputs`) and the graphs of the budgets
and laws (:mod:`plankg.build.other_units`) are kept so. The first line says, for each graph, its
IRI, kind, counts, warnings, length, number of lines, size in bytes and CRC-32, digest
(:func:`plankg.build.ntriples.digest`, which the pipeline then need not compute) and facts
(:mod:`plankg.build.facts`, which the metadata then need not read from the lines), and what else
the caller keeps (``extra``).

Reading a file reads that line only, and checks the file's size: each graph's lines are a
:class:`plankg.build.lines.Deferred`, read alone when something asks for them (a rebuild asks for
few: the budget links of a file that also holds the law index). Their CRC-32 is checked then: a file
changed in place since it was written is emptied, and the build stops with an error that says to
build again (which makes it anew); it is not published under the digest of what it held.
"""

from __future__ import annotations

import dataclasses
import json
import os
import zlib
from pathlib import Path

from rdflib import Graph

from plankg.build import cache
from plankg.build.facts import Facts, facts_of, facts_of_lines
from plankg.build.lines import Deferred
from plankg.build.mapped import MappedGraph
from plankg.errors import PlanKGError


LAYOUT = 3  # of the file itself, beside the caller's format of what it holds


def write(path: Path, graphs: list[MappedGraph], extra: dict, fmt: int) -> list[MappedGraph]:
    """Keep ``graphs`` and ``extra`` (JSON) in ``path``; returns ``graphs`` made as lines, with their
    digests (:meth:`MappedGraph.as_lines`)."""
    graphs = [dataclasses.replace(g, facts=g.facts or (facts_of(g.made) if isinstance(g.made, Graph)
                                                       else facts_of_lines(g.ntriples()))).as_lines() for g in graphs]
    bodies = [g.made.encode("utf-8") for g in graphs]
    header = {"format": fmt, "layout": LAYOUT,
              "graphs": [[g.graph_iri, g.kind, g.counts, g.warnings, len(g.made), g.made.count("\n"), len(body),
                          zlib.crc32(body), g.known_digest, g.facts.to_json()] for g, body in zip(graphs, bodies)],
              "extra": extra}
    cache.write(path, b"".join([json.dumps(header, ensure_ascii=False).encode("utf-8"), b"\n", *bodies]))
    return graphs


def read(path: Path, fmt: int) -> tuple[list[MappedGraph], dict] | None:
    """The graphs and ``extra`` kept in ``path``, their lines unread, or None (no file, or not one
    :func:`write` wrote)."""
    try:
        with path.open("rb") as f:
            head = f.readline()
            size = os.fstat(f.fileno()).st_size
        header = json.loads(head)
        if header["format"] != fmt or header.get("layout") != LAYOUT or not head.endswith(b"\n") \
                or not isinstance(header["extra"], dict):
            return None
        graphs, at = [], len(head)
        for iri, kind, counts, warnings, chars, lines, nbytes, crc, known, facts in header["graphs"]:
            if not isinstance(known, str) or not all(isinstance(n, int) for n in (chars, lines, nbytes, crc)):
                return None
            made = Deferred(chars, lines, _Part(path, at, nbytes, crc).text, f"the cache file {path}")
            graphs.append(MappedGraph(iri, made, kind, counts, warnings, known, Facts.from_json(facts)))
            at += nbytes
        return (graphs, header["extra"]) if at == size else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


class _Part:
    """The lines of one graph of a file :func:`write` wrote (``size`` bytes from ``offset``), read
    alone and checked when asked for."""

    def __init__(self, path: Path, offset: int, size: int, crc: int):
        self.path, self.offset, self.size, self.crc = path, offset, size, crc

    def text(self) -> str:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read(self.size)
            text = data.decode("utf-8") if len(data) == self.size and zlib.crc32(data) == self.crc else None
        except (OSError, ValueError):
            text = None
        if text is None:
            _empty(self.path)
            raise PlanKGError(f"the cache file {self.path} changed since it was written (it is emptied now): "
                              "build again")
        return text


def _empty(path: Path) -> None:
    """Empty the file ``path`` in place, under every name it has (a kept output has two, hard links:
    :meth:`plankg.build.align.outputs.Outputs.alias`), so that no build reads it again."""
    try:
        with path.open("r+b") as f:
            f.truncate(0)
    except OSError:
        pass


__all__ = ["write", "read", "LAYOUT"]
