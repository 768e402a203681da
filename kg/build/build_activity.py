"""The build as a PROV-O activity, for the metadata graph (:mod:`plankg.build.meta`).

Resources (B = id base)::

    B dataset/build                  prov:Activity: started and ended at, used the inputs, run by the software;
                                     B dataset prov:wasGeneratedBy it
    B dataset/build/software         prov:SoftwareAgent: plankg, its version (owl:versionInfo)
    B dataset/build/input/{kind}/{file}
                                     prov:Entity: one input file (a plan text, a budget CSV, the law
                                     index and its details), dct:identifier its name, dcat:byteSize and
                                     an spdx:checksum (SHA-256) of its bytes as read (for a .gz file
                                     the compressed bytes; data/SOURCES.md gives the uncompressed ones)

A plan's input is also the plan graph's source document (``B{org}/{roc}/source``, which carries
the same SHA-256): the two are linked with ``prov:specializationOf`` (the document is the
input read as that plan's text). The published work plan mappings (``B graph/mapping/…``), whose
records the plan graphs cite for their curated facts, are ``prov:used`` too.

**Times.** ``prov:startedAtTime`` is when compiling began, ``prov:endedAtTime`` when the metadata
was written (the store switch follows). With ``SOURCE_DATE_EPOCH`` set both are that time, so two
builds of the same input give the same metadata (:func:`plankg.build.meta.build_time`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, XSD

import plankg

SPDX = Namespace("http://spdx.org/rdf/terms#")


@dataclass(frozen=True)
class Input:
    """One file the build read."""

    kind: str  # "plan", "budget", "laws"
    name: str  # its file name, as recorded in provenance
    sha256: str
    size: int
    document: str | None = None  # a plan's source document IRI in the plan graph


@dataclass(frozen=True)
class BuildRun:
    """What the metadata says about one build."""

    started: datetime
    ended: datetime
    inputs: tuple[Input, ...]
    used_graphs: tuple[str, ...] = ()  # published graphs the build read besides the inputs (mappings)


def inputs_of(sources, documents: dict[str, str] | None = None) -> tuple[Input, ...]:
    """The :class:`Input` of each file of ``sources`` (:class:`plankg.build.sources.SourceSpec`), the
    extra files of a source too; ``documents``: plan file name → its source document IRI."""
    documents = documents or {}
    out = []
    for spec in sources:
        files = [(spec.name, spec.data), *((path.rsplit("/", 1)[-1], data) for path, data in spec.extra)]
        for k, (name, data) in enumerate(files):
            out.append(Input(spec.kind, name, hashlib.sha256(data).hexdigest(), len(data),
                             documents.get(name) if spec.kind == "plan" and k == 0 else None))
    return tuple(out)


def build_iri(base: str) -> URIRef:
    return URIRef(base + "dataset/build")


def add_build(g: Graph, dataset: URIRef, base: str, run: BuildRun) -> URIRef:
    """Describe ``run`` in ``g`` as the activity that generated ``dataset``; return its IRI."""
    g.bind("prov", str(PROV))
    activity, software = build_iri(base), URIRef(base + "dataset/build/software")
    g.add((dataset, PROV.wasGeneratedBy, activity))
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal(f"plankg build ({len(run.inputs)} input files)", lang="en")))
    g.add((activity, PROV.startedAtTime, _time(run.started)))
    g.add((activity, PROV.endedAtTime, _time(run.ended)))
    g.add((activity, PROV.wasAssociatedWith, software))
    g.add((software, RDF.type, PROV.SoftwareAgent))
    g.add((software, RDFS.label, Literal(f"plankg {plankg.__version__}", lang="en")))
    g.add((software, OWL.versionInfo, Literal(plankg.__version__)))
    for item in run.inputs:
        node = URIRef(f"{base}dataset/build/input/{item.kind}/{quote(item.name, safe='')}")
        g.add((activity, PROV.used, node))
        g.add((node, RDF.type, PROV.Entity))
        g.add((node, RDFS.label, Literal(item.name, lang="en")))
        g.add((node, DCTERMS.identifier, Literal(item.name)))
        g.add((node, DCAT.byteSize, Literal(item.size, datatype=XSD.nonNegativeInteger)))
        checksum = BNode()
        g.add((node, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(item.sha256, datatype=XSD.hexBinary)))
        if item.document is not None:
            g.add((URIRef(item.document), PROV.specializationOf, node))
    for iri in run.used_graphs:
        g.add((activity, PROV.used, URIRef(iri)))
    return activity


def _time(when: datetime) -> Literal:
    return Literal(when.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


__all__ = ["BuildRun", "Input", "inputs_of", "add_build", "build_iri"]
