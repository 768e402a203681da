"""What a build publishes once its graphs conform (:func:`plankg.build.pipeline.build`): each graph
as N-Triples, written once (:mod:`plankg.build.ntriples`); the dumps made from those lines
(:mod:`plankg.build.dumps`); the VoID/DCAT metadata graph that counts them and describes the dumps
(:mod:`plankg.build.meta`); all loaded into a fresh store, and switched in atomically
(:func:`plankg.store.publishing`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from rdflib import Graph

from plankg.build.catalog import ABOUT_GRAPH, about_graph
from plankg.build.dumps import DUMPS_DIR, NQUADS_NAME, TRIG_NAME, make_dumps
from plankg.build.dumps_reuse import dumps_format, members_record, previous_dumps
from plankg.build.turtle_blocks import turtle
from plankg.build.build_activity import BuildRun, inputs_of
from plankg.build.meta import TITLE, build_time, meta_graph_iri, metadata_graph, site_for
from plankg.build.facts import Facts, facts_of_lines
from plankg.build.lines import Lines
from plankg.build.ntriples import digest, nquads, ntriples, term
from plankg.build.progress import Progress, Stages
from plankg.errors import PlanKGError
from plankg.namespaces import graph_iri

CATALOG_FILE = "metadata/catalog.ttl"
"""The metadata graph as Turtle, as the build wrote it: what ``/catalog.ttl`` serves. The store
keeps the same triples, but Oxigraph normalises ``xsd:nonNegativeInteger`` (``dcat:byteSize``,
DCAT-AP) to ``xsd:integer``; this file keeps the declared datatypes."""

if TYPE_CHECKING:  # pragma: no cover
    from plankg.build.pipeline import Compiled
    from plankg.store import Location, Publication, PublishResult


def publish_compiled(compiled: Compiled, store: Location, base: str, site: str | None = None,
                     progress: Progress | None = None) -> PublishResult:
    """Dump, describe and publish the graphs of ``compiled``; add the time (and count) of each
    stage to its timings (and counts), and tell ``progress`` (:class:`plankg.build.progress.Stages`).

    ``site`` is the site root of the endpoint and download IRIs in the metadata (derived from
    ``base`` when None, :func:`plankg.build.meta.site_for`). The content graphs are loaded (one
    bulk load, in a thread: pyoxigraph and zlib let go of the GIL) while the dumps and the
    metadata are made; the stage ``load`` is what loading takes after that, the metadata graph
    and the switch to the new build.
    """
    with Stages(progress, compiled.timings, compiled.counts) as stages:
        return _publish(compiled, store, base, site, stages)


def _publish(compiled: Compiled, store: Location, base: str, site: str | None, stages: Stages) -> PublishResult:
    from plankg.store import publishing_to  # pyoxigraph: imported where used

    stages.begin("dumps+meta")
    site = site or site_for(base)
    graphs: dict[str, Graph | Facts] = dict(compiled.vocab.named_graphs())
    graphs.update({m.graph_iri: m.facts if m.facts is not None else m.made if isinstance(m.made, Graph)
                   else facts_of_lines(m.ntriples()) for m in compiled.others})  # facts kept with it, its graph, or its lines
    graphs.update({m.graph_iri: m.unit.facts for m in compiled.mapped})  # what the metadata reads of a plan
    graphs[graph_iri(base, ABOUT_GRAPH)] = about_graph(base, site, [f"{DUMPS_DIR}/{n}" for n in (NQUADS_NAME, TRIG_NAME)],
                                                       TITLE)
    lines = Lines({iri: compiled.lines.raw(iri) if iri in compiled.lines else _ntriples(iri, g)  # written once:
                   for iri, g in sorted(graphs.items())})  # validated, dumped, counted, loaded; kept ones read if asked for
    digests = {iri: compiled.digests.get(iri) or digest(lines[iri]) for iri in lines}
    with publishing_to(store) as publication:
        with ThreadPoolExecutor(max_workers=1) as pool:
            loading = pool.submit(_load, publication, lines, {**digests, meta_graph_iri(base): None})
            previous = previous_dumps(publication.current, digests)
            dumps = make_dumps(lines, previous)
            meta = metadata_graph(graphs, base, dumps, site=site, lines=lines, run=build_run(compiled), digests=digests)
            meta_lines = _checked_ntriples(meta)
            stages.begin("load", len(lines) + 1, "graph")  # the graphs, then the metadata graph
            loading.result()
            stages.advance(len(lines))
        publication.load([(meta_graph_iri(base), meta_lines.encode("utf-8"))])
        publication.digests[meta_graph_iri(base)] = digest(meta_lines)
        stages.advance()
        publication.add_files({**{d.path: d.data for d in dumps}, CATALOG_FILE: turtle(meta)})
        publication.metadata.update({
            "plans": [m.unit.title for m in compiled.mapped],
            "sources": [f"{spec.kind} {spec.name}" for spec in compiled.sources], "base": base,
            "public_url": site,  # the site root the metadata's URLs point at (plankg serve checks it)
            "dumps": {d.path: {"bytes": d.byte_size, "sha256": d.sha256} for d in dumps},
            "dumps_format": dumps_format(),  # the next build may copy unchanged graphs' members from these dumps
            "dumps_members": members_record(dumps),  # where: dump path -> graph IRI -> [offset, length]
            "dumps_reused": len(previous.graphs) if previous else 0,
            # what the next build validates against (plankg.build.recheck)
            "validation": _validation(compiled),
        })
    stages.end()
    assert publication.result is not None
    return publication.result


def _load(publication: Publication, lines: Lines, digests: dict[str, str | None]) -> None:
    """Load the graphs ``lines`` that changed since the current build (all of them if it cannot be
    reused, :meth:`plankg.store.Publication.reuse`): the empty ones one by one, the others as
    N-Quads in one bulk load."""
    load = publication.reuse(digests, {iri: lines.triples(iri) for iri in lines})
    publication.load([(iri, b"") for iri in lines if iri in load and not lines.size(iri)],
                     b"".join(nquads(lines[iri], iri) for iri in lines if iri in load))


def _validation(compiled: Compiled) -> dict | None:
    """Each content graph's validation key, and what they all depend on: what the next build validates
    against (:mod:`plankg.build.recheck`); ``rechecked``, how many graphs this build looked up there."""
    v = compiled.validated
    if v is None:
        return None
    iris = [m.graph_iri for m in (*compiled.mapped, *compiled.others)]
    return {"fixed": v.fixed, "keys": dict(zip(iris, v.keys)), "rechecked": v.checked}


def build_run(compiled: Compiled) -> BuildRun:
    """The build of ``compiled`` for the metadata: its times, input files and the mappings it read."""
    ended = build_time()
    documents = {}
    for m in compiled.mapped:
        for source in m.unit.facts.sources:
            if source.identifier is not None and source.iri == f"{m.iri}/source":
                documents[str(term(source.identifier))] = source.iri
    return BuildRun(compiled.started or ended, ended, inputs_of(compiled.sources, documents),
                    tuple(sorted(compiled.vocab.mapping_graphs)))


def _ntriples(iri: str, graph: Graph) -> str:
    """``graph`` as N-Triples (:func:`plankg.build.ntriples.ntriples`), or an error naming it."""
    try:
        return ntriples(graph)
    except SyntaxError as e:  # an IRI Oxigraph refuses
        raise PlanKGError(f"graph <{iri}> cannot be written as N-Triples: {e}") from None


def _checked_ntriples(graph: Graph) -> str:
    """The metadata graph as N-Triples, checked to hold as many triples as rdflib has."""
    data = _ntriples("metadata", graph)
    if data.count("\n") != len(graph):
        raise PlanKGError(f"the metadata graph does not round-trip: {len(graph)} triples, "
                          f"{data.count(chr(10))} written")
    return data


__all__ = ["publish_compiled", "CATALOG_FILE"]
