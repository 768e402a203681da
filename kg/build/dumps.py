"""Downloadable dumps of the published content graphs: gzip'd N-Quads and TriG.

The dumps hold every content graph (plans, vocabularies, ontology) with its graph name, and
not the metadata graph (which describes the dumps, so it cannot contain their checksums).

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
from dataclasses import dataclass
from functools import cached_property

from plankg import formats
from plankg.namespaces import PREFIXES

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


def make_dumps(graphs: Iterable[tuple[str, bytes]]) -> list[Dump]:
    """The dumps of ``graphs`` (named-graph IRI, N-Triples bytes) pairs: N-Quads, then TriG.

    Blank node labels are shared across the graphs, as in the store (see
    :func:`plankg.store.publishing.publish`).
    """
    from pyoxigraph import CanonicalizationAlgorithm, Dataset, NamedNode, Quad, RdfFormat, parse, serialize

    dataset = Dataset()
    for iri, data in graphs:
        name = NamedNode(iri)
        for t in parse(data, RdfFormat.N_TRIPLES):
            dataset.add(Quad(t.subject, t.predicate, t.object, name))
    dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)

    lines = sorted(serialize(dataset, format=RdfFormat.N_QUADS).splitlines(keepends=True))
    nquads = b"".join(lines)
    trig = serialize(sorted(dataset, key=_graph_first), format=RdfFormat.TRIG, prefixes=PREFIXES)
    return [
        Dump(NQUADS_NAME, MEDIA_N_QUADS, "N-Quads dump (gzip)", _gzip(nquads)),
        Dump(TRIG_NAME, MEDIA_TRIG, "TriG dump (gzip)", _gzip(trig)),
    ]


def _graph_first(quad) -> tuple[str, str, str, str]:
    """Sort key grouping quads by graph, then subject, predicate, object (N-Quads terms)."""
    return (str(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=GZIP_MTIME)


__all__ = ["Dump", "make_dumps", "DUMPS_DIR", "NQUADS_NAME", "TRIG_NAME", "MEDIA_N_QUADS", "MEDIA_TRIG", "MEDIA_GZIP"]
