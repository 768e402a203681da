"""Downloadable dumps of the published content graphs: gzip'd N-Quads and TriG.

The dumps hold every content graph with its graph name: plans, vocabularies, ontology, and
``graph/dataset`` (the dataset's title, licence and where it lives, with each dump file
``void:inDataset`` it: :func:`plankg.build.catalog.about_graph`); not the metadata graph (which
describes the dumps, so it cannot contain their checksums).

They are deterministic: the same input gives byte-identical files, so the SHA-256 recorded
in the DCAT metadata is stable across rebuilds.

* blank nodes (OWL lists and class expressions of the ontology) get canonical labels
  (RDFC-1.0, :meth:`pyoxigraph.Dataset.canonicalize`), since the labels rdflib mints are random;
* N-Quads lines are sorted (bytewise); TriG quads are written sorted by graph, subject,
  predicate and object (as N-Quads terms), so each graph is one block;
* gzip headers carry ``mtime=0`` and no file name.

The build writes them to ``<build dir>/dumps/`` (:data:`DUMPS_DIR`) before the store switch;
the server serves that folder of the current build at ``/dumps/<name>``.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from plankg import formats
from plankg.build.ntriples import lines
from plankg.namespaces import PREFIXES

if TYPE_CHECKING:  # pragma: no cover
    from plankg.build.dumps_reuse import PreviousDumps

DUMPS_DIR = "dumps"
"""Folder of a build directory (and URL path segment) that holds the dumps."""
NQUADS_NAME = "plankg.nq.gz"
TRIG_NAME = "plankg.trig.gz"
GZIP_LEVEL = 9
GZIP_MTIME = 0  # a fixed timestamp keeps the gzip header, hence the checksum, reproducible

MEDIA_N_QUADS = formats.NQUADS  # dcat:mediaType of the dumps' content, from the format table
MEDIA_TRIG = formats.TRIG
MEDIA_GZIP = "application/gzip"


@dataclass(frozen=True)
class Dump:
    """One dump file: its name, the media type of its (uncompressed) content and its bytes."""

    name: str
    media_type: str
    title: str
    data: bytes

    @property
    def byte_size(self) -> int:
        """Size of the file as downloaded (compressed)."""
        return len(self.data)

    @cached_property
    def sha256(self) -> str:
        """Lower-case hex SHA-256 of the file as downloaded."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def path(self) -> str:
        """Path of the file relative to the build directory (and to the site root)."""
        return f"{DUMPS_DIR}/{self.name}"


def make_dumps(graphs: Iterable[tuple[str, str]], previous: PreviousDumps | None = None) -> list[Dump]:
    """The dumps of ``graphs``: (named-graph IRI, N-Triples as :func:`plankg.build.ntriples.ntriples`
    writes them) pairs. N-Quads, then TriG. The graphs ``previous.graphs`` are taken from the
    current build's dumps ``previous`` (:mod:`plankg.build.dumps_reuse`): the same bytes, less work.

    Blank node labels are shared across the graphs, as in the store (see
    :func:`plankg.store.publishing.publish`). The lines are in Oxigraph's spelling already, so a
    line becomes an N-Quads line by taking its graph name, and only the quads with a blank node
    go through Oxigraph again, to be canonicalized (:func:`_canonical`).
    """
    from pyoxigraph import RdfFormat, parse, serialize

    by_graph: dict[str, list[str]] = {}
    blank: list[str] = []
    for iri, data in graphs:
        if previous is not None and iri in previous.graphs:
            continue
        name = f"<{iri}>"
        if "_:" not in data:
            by_graph[name] = lines(data)
            continue
        own = by_graph[name] = []
        for line in lines(data):
            if line.startswith("_:") or " _:" in line:  # a blank node (or a literal's text that looks like one)
                blank.append(f"{line[:-1]}{name} .")
            else:
                own.append(line)
    for line in _canonical(blank):
        triple, name = line[:-2].rsplit(" ", 1)  # graph names are IRIs: no space in them
        by_graph[name].append(triple + " .")
    # TriG is written graph by graph, each graph's quads sorted by subject, predicate and object:
    # sorting the lines does that, as no term is a prefix of another one followed by a character
    # that sorts below the space after it
    grouped = [f"{line[:-1]}{name} .\n" for name in sorted(by_graph) for line in sorted(by_graph[name])]
    if previous is None:
        nquads_data = "".join(sorted(grouped)).encode("utf-8")
        trig_data = serialize(parse("".join(grouped).encode("utf-8"), RdfFormat.N_QUADS), format=RdfFormat.TRIG,
                              prefixes=PREFIXES)
    else:  # UTF-8 sorts as the text does; the kept lines are sorted already (one run for the sort to merge)
        nquads_data = b"".join(sorted(previous.nquads_lines() + [line.encode("utf-8") for line in grouped]))
        trig_data = _trig(by_graph, previous)
    with ThreadPoolExecutor(max_workers=1) as pool:  # zlib lets go of the GIL: N-Quads compressed beside TriG
        nquads = pool.submit(_gzip, nquads_data)
        trig = _gzip(trig_data)
        return [
            Dump(NQUADS_NAME, MEDIA_N_QUADS, "N-Quads dump (gzip)", nquads.result()),
            Dump(TRIG_NAME, MEDIA_TRIG, "TriG dump (gzip)", trig),
        ]


def _trig(by_graph: dict[str, list[str]], previous: PreviousDumps) -> bytes:
    """TriG of the graphs ``by_graph`` (``<iri>`` → lines) and of ``previous.graphs``: each graph's
    block as the TriG writer writes it alone (its ``@prefix`` lines cut), those of ``previous.graphs``
    from the previous dump, in graph order after the ``@prefix`` lines."""
    from pyoxigraph import RdfFormat, parse, serialize

    from plankg.build.dumps_reuse import split_trig

    header, blocks = b"", dict(previous.trig_blocks())
    for name, own in by_graph.items():
        data = "".join(f"{line[:-1]}{name} .\n" for line in sorted(own)).encode("utf-8")
        own_header, written = split_trig(serialize(parse(data, RdfFormat.N_QUADS), format=RdfFormat.TRIG,
                                                   prefixes=PREFIXES))
        header = header or own_header  # the same for every graph (the writer writes every prefix given)
        blocks.update(written)
    if not header:  # every graph from the previous dump
        header = split_trig(previous.trig)[0]
    return header + b"".join(blocks[name] for name in sorted(blocks))


def _canonical(quads: list[str]) -> list[str]:
    """The N-Quads lines ``quads`` with their blank nodes relabelled by RDFC-1.0.

    The labels RDFC-1.0 gives depend only on the quads that have a blank node, so canonicalizing
    these alone labels them as canonicalizing the whole dataset would (tests/test_dumps.py).
    """
    if not quads:
        return []
    from pyoxigraph import CanonicalizationAlgorithm, Dataset, RdfFormat, parse, serialize

    dataset = Dataset(parse("".join(q + "\n" for q in quads).encode("utf-8"), RdfFormat.N_QUADS))
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
    return lines(serialize(dataset, format=RdfFormat.N_QUADS).decode("utf-8"))


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=GZIP_MTIME)


__all__ = ["Dump", "make_dumps", "DUMPS_DIR", "NQUADS_NAME", "TRIG_NAME", "MEDIA_N_QUADS", "MEDIA_TRIG", "MEDIA_GZIP"]
