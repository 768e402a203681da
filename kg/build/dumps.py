"""Downloadable dumps of the published content graphs: gzip'd N-Quads and TriG.

The dumps hold every content graph with its graph name: plans, vocabularies, ontology, and
``graph/dataset`` (the dataset's title, licence and where it lives, with each dump file
``void:inDataset`` it: :func:`plankg.build.catalog.about_graph`); not the metadata graph (which
describes the dumps, so it cannot contain their checksums).

They are deterministic: the same input gives byte-identical files, so the SHA-256 recorded
in the DCAT metadata is stable across rebuilds.

* blank nodes (OWL lists and class expressions of the ontology) get canonical labels
  (RDFC-1.0, :meth:`pyoxigraph.Dataset.canonicalize`), since the labels rdflib mints are random;
* both files go graph by graph, in the order of the graph names (``<iri>`` strings): N-Quads
  holds each graph's lines sorted (bytewise), so the file is grouped by graph, not sorted as a
  whole; TriG writes each graph's quads as one block, sorted by subject, predicate and object;
* each graph's part is a gzip member of its own (TriG's ``@prefix`` lines are a first member),
  and the file is the members one after the other: a gzip file may be several members in a row,
  which ``gzip -d``, ``zcat``, Python's :mod:`gzip` and Oxigraph read as one stream. The next
  build copies an unchanged graph's members instead of compressing it again
  (:mod:`plankg.build.dumps_reuse`); :attr:`Dump.members` says where each lies;
* gzip headers carry ``mtime=0`` and no file name.

The build writes them to ``<build dir>/dumps/`` (:data:`DUMPS_DIR`) before the store switch;
the server serves that folder of the current build at ``/dumps/<name>``.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, cached_property
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
GZIP_LEVEL = 6  # gzip's default: members of 1,000 plans' graphs compress twice as fast as at 9, 6 % larger
GZIP_MTIME = 0  # a fixed timestamp keeps the gzip header, hence the checksum, reproducible

MEDIA_N_QUADS = formats.NQUADS  # dcat:mediaType of the dumps' content, from the format table
MEDIA_TRIG = formats.TRIG
MEDIA_GZIP = "application/gzip"

Member = tuple[str, int, int]
"""Where a graph's gzip member lies in a dump file: (graph IRI, offset, length in bytes)."""


@dataclass(frozen=True)
class Dump:
    """One dump file: its name, the media type of its (uncompressed) content and its bytes;
    ``members``: where each graph's gzip member lies in them, in file order; ``blank``: the graphs
    with blank nodes (whose members a later build cannot copy, :mod:`plankg.build.dumps_reuse`)."""

    name: str
    media_type: str
    title: str
    data: bytes
    members: tuple[Member, ...] = ()
    blank: frozenset[str] = frozenset()

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


def make_dumps(graphs: Mapping[str, str], previous: PreviousDumps | None = None) -> list[Dump]:
    """The dumps of ``graphs``: named-graph IRI → N-Triples as :func:`plankg.build.ntriples.ntriples`
    writes them. N-Quads, then TriG. The members of the graphs ``previous.graphs`` are copied from
    the current build's dumps ``previous`` (:mod:`plankg.build.dumps_reuse`): the same bytes,
    without writing or compressing them again, nor reading their lines (:mod:`plankg.build.lines`).

    Blank node labels are shared across the graphs, as in the store (see
    :func:`plankg.store.publishing.publish`). The lines are in Oxigraph's spelling already, so a
    line becomes an N-Quads line by taking its graph name, and only the quads with a blank node
    go through Oxigraph again, to be canonicalized (:func:`_canonical`).
    """
    from pyoxigraph import RdfFormat, parse, serialize

    kept = previous.graphs if previous is not None else frozenset()
    order: list[str] = []  # every graph's IRI
    by_graph: dict[str, list[str]] = {}  # "<iri>" -> lines, of the graphs not kept
    blank: list[str] = []
    with_blank: set[str] = set()  # the graphs with blank nodes (none of those kept has any)
    for iri in graphs:
        order.append(iri)
        if iri in kept:
            continue
        data = graphs[iri]
        name = f"<{iri}>"
        if "_:" not in data:
            by_graph[name] = lines(data)
            continue
        with_blank.add(iri)
        own = by_graph[name] = []
        for line in lines(data):
            if line.startswith("_:") or " _:" in line:  # a blank node (or a literal's text that looks like one)
                blank.append(f"{line[:-1]}{name} .")
            else:
                own.append(line)
    for line in _canonical(blank):
        triple, name = line[:-2].rsplit(" ", 1)  # graph names are IRIs: no space in them
        by_graph[name].append(triple + " .")
    order.sort(key=lambda iri: f"<{iri}>")
    # TriG writes each graph's quads sorted by subject, predicate and object: sorting the lines does
    # that, as no term is a prefix of another one followed by a character that sorts below the space
    # after it. The TriG writer writes a graph's block the same alone or among others
    # (tests/test_incremental.py), so the graphs not kept are written at once and cut into blocks.
    nquads = {name: "".join(f"{line[:-1]}{name} .\n" for line in sorted(by_graph[name])).encode("utf-8")
              for name in sorted(by_graph)}
    trig = dict(split_trig(serialize(parse(b"".join(nquads.values()), RdfFormat.N_QUADS), format=RdfFormat.TRIG,
                                     prefixes=PREFIXES))[1])  # "<iri>" -> block; none for an empty graph
    old = previous.members if previous is not None else {}
    with ThreadPoolExecutor(max_workers=1) as pool:  # zlib lets go of the GIL: N-Quads compressed beside TriG
        nquads_file = pool.submit(_concatenate, b"", order, nquads, old.get(NQUADS_NAME, {}))
        trig_file = _concatenate(_gzip(_trig_header()), order, trig, old.get(TRIG_NAME, {}))
        return [
            Dump(NQUADS_NAME, MEDIA_N_QUADS, "N-Quads dump (gzip)", *nquads_file.result(), frozenset(with_blank)),
            Dump(TRIG_NAME, MEDIA_TRIG, "TriG dump (gzip)", *trig_file, frozenset(with_blank)),
        ]


def _concatenate(head: bytes, order: list[str], parts: Mapping[str, bytes],
                 kept: Mapping[str, bytes]) -> tuple[bytes, tuple[Member, ...]]:
    """A dump file: ``head`` (a member, or nothing), then for each graph of ``order`` its member
    in ``kept`` (IRI -> member), or else its part in ``parts`` (``<iri>`` -> bytes; none if the
    graph is empty) compressed; and where each graph's member lies."""
    out, members, offset = [head], [], len(head)
    for iri in order:
        member = kept[iri] if iri in kept else _gzip(parts.get(f"<{iri}>", b""))
        out.append(member)
        members.append((iri, offset, len(member)))
        offset += len(member)
    return b"".join(out), tuple(members)


@cache
def _trig_header() -> bytes:
    """The ``@prefix`` lines the TriG writer starts with: every prefix given, whatever the quads."""
    from pyoxigraph import RdfFormat, parse, serialize

    quad = parse(b"<urn:x:s> <urn:x:p> <urn:x:o> <urn:x:g> .\n", RdfFormat.N_QUADS)
    return split_trig(serialize(quad, format=RdfFormat.TRIG, prefixes=PREFIXES))[0]


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


__all__ = ["Dump", "Member", "make_dumps", "split_trig", "DUMPS_DIR", "NQUADS_NAME", "TRIG_NAME", "MEDIA_N_QUADS",
           "MEDIA_TRIG", "MEDIA_GZIP"]
