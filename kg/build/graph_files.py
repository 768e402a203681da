"""Graphs kept in the cache as their N-Triples: one file, a line of JSON, then the lines.

What alignment makes of a plan (:mod:`plankg.build.align.outputs`) and the graphs of the budgets
and laws (:mod:`plankg.build.other_units`) are kept so. The first line says, for each graph, its
IRI, kind, counts, warnings, length, number of lines, digest (:func:`plankg.build.ntriples.digest`,
which the pipeline then need not compute) and facts (:mod:`plankg.build.facts`, which the metadata
then need not read from the lines), what else the caller keeps (``extra``), the size of the rest
in bytes and its CRC-32.

Reading a file reads that line only, and checks the file's size: the lines are a
:class:`plankg.build.lines.Deferred`, read when something asks for them (a rebuild asks for
few). The CRC-32 is checked then: a file changed in place since it was written is emptied, and
the build stops with an error that says to build again (which makes it anew); it is not
published under the digest of what it held.
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


LAYOUT = 2  # of the file itself, beside the caller's format of what it holds


def write(path: Path, graphs: list[MappedGraph], extra: dict, fmt: int) -> list[MappedGraph]:
    """Keep ``graphs`` and ``extra`` (JSON) in ``path``; returns ``graphs`` made as lines, with their
    digests (:meth:`MappedGraph.as_lines`)."""
    graphs = [dataclasses.replace(g, facts=g.facts or (facts_of(g.made) if isinstance(g.made, Graph)
                                                       else facts_of_lines(g.ntriples()))).as_lines() for g in graphs]
    body = "".join(g.made for g in graphs).encode("utf-8")
    header = {"format": fmt, "layout": LAYOUT,
              "graphs": [[g.graph_iri, g.kind, g.counts, g.warnings, len(g.made), g.made.count("\n"), g.known_digest,
                          g.facts.to_json()] for g in graphs],
              "extra": extra, "bytes": len(body), "crc32": zlib.crc32(body)}
    cache.write(path, json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n" + body)
    return graphs


def read(path: Path, fmt: int) -> tuple[list[MappedGraph], dict] | None:
    """The graphs and ``extra`` kept in ``path``, their lines unread, or None (no file, or not one
    :func:`write` wrote)."""
    try:
        with path.open("rb") as f:
            head = f.readline()
            size = os.fstat(f.fileno()).st_size
        header = json.loads(head)
        if header["format"] != fmt or header.get("layout") != LAYOUT or header["bytes"] != size - len(head) \
                or not head.endswith(b"\n") or not isinstance(header["extra"], dict):
            return None
        body = _Body(path, header["bytes"], header["crc32"])
        graphs, at = [], 0
        for iri, kind, counts, warnings, chars, lines, known, facts in header["graphs"]:
            if not isinstance(known, str) or not isinstance(chars, int) or not isinstance(lines, int):
                return None
            made = Deferred(chars, lines, lambda at=at, chars=chars: body.text()[at:at + chars], f"the cache file {path}")
            graphs.append(MappedGraph(iri, made, kind, counts, warnings, known, Facts.from_json(facts)))
            at += chars
        return graphs, header["extra"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


class _Body:
    """The lines of a file :func:`write` wrote, read once, when first asked for, and checked."""

    def __init__(self, path: Path, size: int, crc: int):
        self.path, self.size, self.crc = path, size, crc
        self._text: str | None = None

    def text(self) -> str:
        if self._text is None:
            try:
                data = self.path.read_bytes()
                body = data[data.index(b"\n") + 1:]
                ok = len(body) == self.size and zlib.crc32(body) == self.crc
                text = body.decode("utf-8") if ok else None
            except (OSError, ValueError):
                text = None
            if text is None:
                _empty(self.path)
                raise PlanKGError(f"the cache file {self.path} changed since it was written (it is emptied now): "
                                  "build again")
            self._text = text
        return self._text


def _empty(path: Path) -> None:
    """Empty the file ``path`` in place, under every name it has (a kept output has two, hard links:
    :meth:`plankg.build.align.outputs.Outputs.alias`), so that no build reads it again."""
    try:
        with path.open("r+b") as f:
            f.truncate(0)
    except OSError:
        pass


__all__ = ["write", "read", "LAYOUT"]
