"""Graphs kept in the cache as their N-Triples: one file, a line of JSON, then the lines.

What alignment makes of a plan (:mod:`plankg.build.align.outputs`) and the graphs of the budgets
and laws (:mod:`plankg.build.other_units`) are kept so. The first line says, for each graph, its
IRI, kind, counts, warnings, length, digest (:func:`plankg.build.ntriples.digest`, which the
pipeline then need not compute) and facts (:mod:`plankg.build.facts`, which the metadata then
need not read from the lines), what else the caller keeps (``extra``), and the CRC-32 of the
rest: the digests are those of the lines that follow, or the file is not read (a file damaged in
place is made again rather than published under the digest of what it held).
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from pathlib import Path

from rdflib import Graph

from plankg.build import cache
from plankg.build.facts import Facts, facts_of, facts_of_lines
from plankg.build.mapped import MappedGraph


def write(path: Path, graphs: list[MappedGraph], extra: dict, fmt: int) -> list[MappedGraph]:
    """Keep ``graphs`` and ``extra`` (JSON) in ``path``; returns ``graphs`` made as lines, with their
    digests (:meth:`MappedGraph.as_lines`)."""
    graphs = [dataclasses.replace(g, facts=g.facts or (facts_of(g.made) if isinstance(g.made, Graph)
                                                       else facts_of_lines(g.made))).as_lines() for g in graphs]
    body = "".join(g.made for g in graphs)
    header = {"format": fmt, "graphs": [[g.graph_iri, g.kind, g.counts, g.warnings, len(g.made), g.known_digest,
                                         g.facts.to_json()] for g in graphs],
              "extra": extra, "crc32": zlib.crc32(body.encode("utf-8"))}
    cache.write(path, json.dumps(header, ensure_ascii=False) + "\n" + body)
    return graphs


def read(path: Path, fmt: int) -> tuple[list[MappedGraph], dict] | None:
    """The graphs and ``extra`` kept in ``path``, or None (no file, or not one :func:`write` wrote)."""
    try:
        text = path.read_text(encoding="utf-8")
        head, _, body = text.partition("\n")
        header = json.loads(head)
        if header["format"] != fmt or header["crc32"] != zlib.crc32(body.encode("utf-8")):
            return None
        graphs, at = [], 0
        for iri, kind, counts, warnings, size, known, facts in header["graphs"]:
            graphs.append(MappedGraph(iri, body[at:at + size], kind, counts, warnings, known, Facts.from_json(facts)))
            at += size
        if at != len(body) or any((g.made and not g.made.endswith("\n")) or not isinstance(g.known_digest, str)
                                  for g in graphs) or not isinstance(header["extra"], dict):
            return None
        return graphs, header["extra"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


__all__ = ["write", "read"]
