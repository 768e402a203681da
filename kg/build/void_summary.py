"""What the VoID statistics read of each content graph, kept by content (issue 18).

The statistics of :mod:`plankg.build.voidstats` are those of the RDF merge of all content graphs:
distinct triples, subjects and objects, instances per class, triples per property. Counting them on
the union's text cost 12 s of a one-plan rebuild at 1,000 plans (3 million lines), though only a
few graphs change. So each graph is summarised on its own, and the summary kept in the cache
folder ``void`` (:mod:`plankg.build.cache`) under the graph's digest (:func:`plankg.build.ntriples.digest`);
a rebuild reads the summaries of the graphs that did not change and only merges.

A summary holds, for one graph:

* each property's triples, as 64-bit hashes of their lines (BLAKE2b of the N-Triples line);
* the hashes of its subjects, of those that are entities (IRIs under the id base), and of its objects;
* each class's instances, as hashes, and the instances themselves (N-Triples) of the classes
  ``listed`` (those the metadata names, such as every ``plan:AnnualPlan``);
* the (subject, object) pairs of the ``linked`` predicates (the linksets').

The merge counts distinct hashes. Two different lines or terms with one hash would be counted
once: at 3 million lines the chance of any such pair is about n²/2⁶⁵ ≈ 2·10⁻⁷ per build, and
the error would be one. tests/test_dumps.py compares the counts with the string-exact ones.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from plankg.build import cache
from plankg.build.ntriples import TRIPLE_LINE, lines as lines_of, split

KIND = "void"
FORMAT = 1  # of the files: raised when what a file holds changes
_HEADER = struct.Struct("<Q")  # a file: the header's length, the header (JSON), then the arrays


def hash64(text: str) -> int:
    """The 64-bit hash the summaries keep of a line or a term."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass
class Summary:
    """What the VoID statistics read of one graph (see the module docstring)."""

    triples: dict[str, array] = field(default_factory=dict)  # predicate (N-Triples) -> hashes of its lines
    subjects: array = field(default_factory=lambda: array("Q"))
    entities: array = field(default_factory=lambda: array("Q"))
    objects: array = field(default_factory=lambda: array("Q"))
    typed: dict[str, array] = field(default_factory=dict)  # class (N-Triples) -> hashes of its instances
    listed: dict[str, list[str]] = field(default_factory=dict)  # listed class -> its instances (N-Triples)
    pairs: dict[str, list[list[str]]] = field(default_factory=dict)  # linked predicate -> [subject, object]

    def arrays(self) -> list[tuple[str, array]]:
        return ([("s", self.subjects), ("e", self.entities), ("o", self.objects)]
                + [(f"p{p}", a) for p, a in self.triples.items()] + [(f"c{c}", a) for c, a in self.typed.items()])


def summarise(text: str, base: str, linked: Iterable[str] = (), listed: Iterable[str] = ()) -> Summary:
    """The summary of the graph whose N-Triples lines are ``text`` (:func:`plankg.build.ntriples.ntriples`)."""
    linked, listed = set(linked), set(listed)
    lines = lines_of(text)
    rows = TRIPLE_LINE.findall(text)  # one match per line, in order (tests/test_dumps.py)
    if len(rows) != len(lines):  # not N-Triples as ntriples() writes them: cut line by line
        rows = [split(line) for line in lines]
    triples: dict[str, list[int]] = {}
    subjects: set[str] = set()
    objects: set[str] = set()
    typed: dict[str, set[str]] = {}
    pairs: dict[str, list[list[str]]] = {}
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    for line, (s, p, o) in zip(lines, rows):
        triples.setdefault(p, []).append(hash64(line))
        subjects.add(s)
        objects.add(o)
        if p == rdf_type:
            typed.setdefault(o, set()).add(s)
        if p in linked:
            pairs.setdefault(p, []).append([s, o])
    prefix = f"<{base}"
    subject_hashes = {s: hash64(s) for s in subjects}
    return Summary(
        triples={p: array("Q", hashes) for p, hashes in triples.items()},
        subjects=array("Q", subject_hashes.values()),
        entities=array("Q", (h for s, h in subject_hashes.items() if s.startswith(prefix))),
        objects=array("Q", map(hash64, objects)),
        typed={c: array("Q", (subject_hashes[s] for s in members)) for c, members in typed.items()},
        listed={c: sorted(members) for c, members in typed.items() if c in listed},
        pairs=pairs,
    )


def summaries(lines: Mapping[str, str], base: str, linked: Iterable[str] = (), listed: Iterable[str] = (),
              digests: Mapping[str, str | None] | None = None) -> dict[str, Summary]:
    """The summary of each graph of ``lines`` (graph IRI → N-Triples); those of graphs with a digest in
    ``digests`` are taken from the cache when kept there, and kept when computed."""
    linked, listed = sorted(set(linked)), sorted(set(listed))
    folder = cache.folder(KIND) if digests else None
    fixed = _fixed(base, linked, listed) if folder is not None else ""
    out = {}
    for iri in lines:  # a graph's lines are read only when its summary is not kept (plankg.build.lines)
        key = digests.get(iri) if folder is not None else None
        path = folder / f"{hashlib.sha256((fixed + key).encode()).hexdigest()}.bin" if key else None
        found = _read(path) if path is not None else None
        if found is None:
            found = summarise(lines[iri], base, linked, listed)
            if path is not None:
                cache.write(path, _encode(found))
        out[iri] = found
    return out


def _fixed(base: str, linked: list[str], listed: list[str]) -> str:
    """What every summary depends on beside its graph: this code, the base, the predicates and classes asked for."""
    h = hashlib.sha256(f"{FORMAT}\n{sys.byteorder}\n{base}\n".encode())
    h.update(Path(__file__).read_bytes())
    h.update(json.dumps([linked, listed]).encode())
    return h.hexdigest()


def _encode(summary: Summary) -> bytes:
    named = summary.arrays()
    header = json.dumps({"format": FORMAT, "arrays": [[name, len(a)] for name, a in named],
                         "listed": summary.listed, "pairs": summary.pairs}, ensure_ascii=False).encode("utf-8")
    return b"".join([_HEADER.pack(len(header)), header, *(a.tobytes() for _, a in named)])


def _read(path: Path) -> Summary | None:
    """The summary kept in ``path``, or None when there is none or it cannot be read as one."""
    try:
        data = path.read_bytes()
        (size,) = _HEADER.unpack_from(data)
        header = json.loads(data[_HEADER.size:_HEADER.size + size].decode("utf-8"))
        if header["format"] != FORMAT:
            return None
        out = Summary(listed=header["listed"], pairs=header["pairs"])
        at = _HEADER.size + size
        width = array("Q").itemsize
        for name, length in header["arrays"]:
            a = array("Q")
            a.frombytes(data[at:at + length * width])
            if len(a) != length:
                return None
            at += length * width
            kind, key = name[0], name[1:]
            if kind in "seo" and not key:
                setattr(out, {"s": "subjects", "e": "entities", "o": "objects"}[kind], a)
            elif kind == "p":
                out.triples[key] = a
            elif kind == "c":
                out.typed[key] = a
            else:
                return None
        return out if at == len(data) else None
    except (OSError, ValueError, KeyError, TypeError, IndexError, struct.error):
        return None


__all__ = ["Summary", "summarise", "summaries", "hash64", "KIND"]
