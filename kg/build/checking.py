"""Validating the graphs of a build, each on its own (the data flow's SHACL step).

pySHACL's cost grows with the data graph, so each source's graph is validated with the
vocabularies and, of the other graphs, only what it points to (:data:`CONTEXT_PREDICATES` of
the resources it names but does not describe), not with the union of everything.
"""

from __future__ import annotations

import multiprocessing
import os

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from plankg.build import validation_cache
from plankg.build.validate import Report, load_shapes, validate
from plankg.build.vocab import Vocabularies


def validate_graphs(graphs: list[Graph], vocab: Vocabularies, base: str) -> Report:
    """Each graph validated on its own, with the vocabularies and what it points to in the other
    graphs; only findings about the graph's own subjects count (the context is there to be
    pointed at, and is validated with its own graph). A graph validated before with the same
    data, context, shapes and code is not validated again (:mod:`plankg.build.validation_cache`);
    the others are validated in parallel, one process per CPU (forked: they share the graphs, and
    only the findings come back), largest first."""
    shapes = load_shapes(base)
    fixed = validation_cache.fixed_digest(base) + validation_cache.lines_digest(vocab.union)
    graphs = sorted(graphs, key=len, reverse=True)
    contexts = _contexts(graphs)
    keys, reports = [], {}
    for i, (graph, context) in enumerate(zip(graphs, contexts)):
        keys.append(validation_cache.key([graph, context], fixed))
        if (kept := validation_cache.load(keys[-1])) is not None:
            reports[i] = kept
    todo = [i for i in range(len(graphs)) if i not in reports]
    _JOBS[:] = [(graphs[i], graphs[i] + vocab.union + contexts[i], vocab, shapes) for i in todo]
    workers = min(len(todo), os.cpu_count() or 1, VALIDATION_PROCESSES_MAX)
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                done = pool.map(_validate_job, range(len(todo)), chunksize=1)
        else:
            done = [_validate_job(j) for j in range(len(todo))]
    finally:
        _JOBS.clear()
    for i, report in zip(todo, done):
        validation_cache.store(keys[i], report)
        reports[i] = report
    return Report.merged([reports[i] for i in range(len(graphs))])


VALIDATION_PROCESSES_MAX = 8
_JOBS: list[tuple[Graph, Graph, Vocabularies, Graph]] = []  # read by the forked workers


def _validate_job(index: int) -> Report:
    graph, data, vocab, shapes = _JOBS[index]
    report = validate(data, vocab.ontology, shapes)
    own = set(map(str, graph.subjects()))
    return Report([f for f in report.findings if f.focus in own])


CONTEXT_PREDICATES = (RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.inScheme,
                      SKOS.notation)  # what a graph may check of a resource of another graph: what it is, its names


def _contexts(graphs: list[Graph]) -> list[Graph]:
    """For each graph, what the others say of the IRIs it has as objects but does not describe
    itself: their types, labels and schemes (:data:`CONTEXT_PREDICATES`)."""
    subjects = [set(g.subjects()) for g in graphs]
    wanted = set(CONTEXT_PREDICATES)
    out = []
    for i, graph in enumerate(graphs):
        context = Graph()
        nodes = {o for o in graph.objects() if isinstance(o, URIRef)} - subjects[i]
        for j, other in enumerate(graphs):
            if j != i:
                for node in nodes & subjects[j]:
                    for p, o in other.predicate_objects(node):
                        if p in wanted:
                            context.add((node, p, o))
        out.append(context)
    return out


__all__ = ["validate_graphs", "CONTEXT_PREDICATES", "VALIDATION_PROCESSES_MAX"]
