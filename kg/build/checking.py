"""Validating the graphs of a build, each on its own (the data flow's SHACL step).

pySHACL's cost grows with the data graph, so each source's graph is validated with the
vocabularies and, of the other graphs, only what it points to (:data:`CONTEXT_PREDICATES` of
the resources it names but does not describe), not with the union of everything.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from plankg.build import validation_cache
from plankg.build.ntriples import ntriples
from plankg.build.progress import NO_PROGRESS, Progress
from plankg.build.validate import DataView, PreparedShapes, Report, load_shapes, prepare, validate_view
from plankg.build.vocab import Vocabularies


def validate_graphs(graphs: list[Graph], vocab: Vocabularies, base: str, texts: list[str] | None = None,
                    progress: Progress = NO_PROGRESS) -> Report:
    """Each graph validated on its own, with the vocabularies and what it points to in the other
    graphs; only findings about the graph's own subjects count (the context is there to be
    pointed at, and is validated with its own graph). A graph validated before with the same
    data, context, shapes and code is not validated again (:mod:`plankg.build.validation_cache`);
    the others are validated in parallel, one process per CPU (forked: they share the graphs and
    the store, and only the findings come back), largest first.

    All graphs are loaded once into one in-memory Oxigraph store (:class:`_Dataset`), each in its
    own named graph with its context beside it; a graph's checks see its graph, its context,
    the vocabularies and the ontology as their default graph. ``texts`` are the graphs' N-Triples
    when the caller has them (:func:`plankg.build.ntriples.ntriples`), in the order of ``graphs``.
    ``progress`` advances by each graph: those kept at once, the others as their reports come back."""
    shapes = prepare(load_shapes(base))
    texts = texts if texts is not None else [ntriples(g) for g in graphs]
    order = sorted(range(len(graphs)), key=lambda i: len(graphs[i]), reverse=True)
    graphs, texts = [graphs[i] for i in order], [texts[i] for i in order]
    data = _Dataset(graphs, texts, vocab)
    fixed = validation_cache.fixed_digest(base) + validation_cache.lines_digest(data.vocabularies)
    keys, reports = [], {}
    for i in range(len(graphs)):
        keys.append(validation_cache.key([data.ntriples[i], data.context(i)], fixed))
        if (kept := validation_cache.load(keys[-1])) is not None:
            reports[i] = kept
    progress.advance(len(reports))
    todo = [i for i in range(len(graphs)) if i not in reports]
    _JOBS[:] = [(graphs[i], data, i, shapes) for i in todo]
    workers = min(len(todo), os.cpu_count() or 1, VALIDATION_PROCESSES_MAX)
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                # in the order they finish: the progress is told here, in the parent, as each comes back
                _collect(pool.imap_unordered(_validate_job, range(len(todo)), chunksize=1), todo, keys, reports,
                         progress)
        else:
            _collect(map(_validate_job, range(len(todo))), todo, keys, reports, progress)
    finally:
        _JOBS.clear()
    return Report.merged([reports[i] for i in range(len(graphs))])


def _collect(done: Iterator[tuple[int, Report]], todo: list[int], keys: list[str], reports: dict[int, Report],
             progress: Progress) -> None:
    """Keep each (job, report) of ``done`` in ``reports`` and the cache, and tell ``progress``."""
    for j, report in done:
        validation_cache.store(keys[todo[j]], report)
        reports[todo[j]] = report
        progress.advance()


VALIDATION_PROCESSES_MAX = 8
ALONE_RENEW_EVERY = 50  # a validating process makes its store of one graph afresh after this many graphs
_JOBS: list[tuple[Graph, _Dataset, int, PreparedShapes]] = []  # read by the forked workers


def _validate_job(index: int) -> tuple[int, Report]:
    graph, data, i, shapes = _JOBS[index]
    with data.alone(i) as view:
        report = validate_view(graph, view, shapes)
    return index, Report([f for f in report.findings if _owns(graph, f.focus)])


def _owns(graph: Graph, focus: str) -> bool:
    return (URIRef(focus), None, None) in graph or (BNode(focus), None, None) in graph


CONTEXT_PREDICATES = (RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.inScheme,
                      SKOS.notation)  # what a graph may check of a resource of another graph: what it is, its names


class _Dataset:
    """The graphs of a build in one in-memory Oxigraph store: graph ``i`` in ``urn:plankg:check:i``,
    its context (:data:`CONTEXT_PREDICATES` of the IRIs it has as objects but does not describe
    itself, from the other graphs) in ``urn:plankg:check:i:context``, and the vocabularies and
    the ontology in graphs of their own."""

    PREFIX = "urn:plankg:check:"

    def __init__(self, graphs: list[Graph], texts: list[str], vocab: Vocabularies):
        from pyoxigraph import NamedNode, RdfFormat, Store

        self.store = Store()
        self.ntriples = [t.encode("utf-8") for t in texts]
        self.vocabularies = ntriples(vocab.union).encode("utf-8")
        self.names = [NamedNode(f"{self.PREFIX}{i}") for i in range(len(graphs))]
        self.shared = (NamedNode(self.PREFIX + "vocabularies"), NamedNode(self.PREFIX + "ontology"))
        self.ontology = ntriples(vocab.ontology).encode("utf-8")
        self._alone = None  # the store of :meth:`alone`, made in the process that validates
        self._validated = 0  # graphs that process validated so far
        for chunk, name in [*zip(self.ntriples, self.names), (self.vocabularies, self.shared[0]),
                            (self.ontology, self.shared[1])]:
            self.store.load(chunk, format=RdfFormat.N_TRIPLES, to_graph=name)
        predicates = ", ".join(f"<{p}>" for p in CONTEXT_PREDICATES)
        content = f"^{self.PREFIX}[0-9]+$"  # the graphs of the build (not a context, the vocabularies, the ontology)
        for i, name in enumerate(self.names):
            # ?h: another graph of the build, by the form of its name: a constant test per solution
            # (a list of the other graphs' names made this quadratic in the number of graphs)
            self.store.update(f"""
                INSERT {{ GRAPH <{name.value}:context> {{ ?n ?p ?o }} }} WHERE {{
                    {{ SELECT DISTINCT ?n WHERE {{ GRAPH {name} {{ ?s ?x ?n FILTER(isIRI(?n))
                                                            FILTER NOT EXISTS {{ ?n ?y ?z }} }} }} }}
                    GRAPH ?h {{ ?n ?p ?o }}
                    FILTER(?h != {name} && ?p IN ({predicates}) && REGEX(STR(?h), "{content}"))
                }}""")

    def context(self, i: int) -> bytes:
        from pyoxigraph import NamedNode, RdfFormat

        return self.store.dump(format=RdfFormat.N_TRIPLES, from_graph=NamedNode(f"{self.names[i].value}:context"))

    def view(self, i: int) -> DataView:
        from pyoxigraph import NamedNode

        return DataView(self.store, (self.names[i], NamedNode(f"{self.names[i].value}:context"), *self.shared))

    @contextmanager
    def alone(self, i: int) -> Iterator[DataView]:
        """What :meth:`view` shows, in a store of its own: graph ``i`` and its context beside the
        vocabularies and the ontology, and nothing else of the build. The same data, but a check
        that looks up a resource every graph names (a category, an organisation: in every
        graph's context) does not step over the copies of all the other graphs, which made each
        graph's validation slower as the build grew. One store per process, the vocabularies
        and the ontology loaded once; the graph and its context are removed after, and the store is made afresh every
        :data:`ALONE_RENEW_EVERY` graphs: pyoxigraph's in-memory store slows down as graphs are
        loaded into it and removed (a 3,000-triple load, 20 queries and removal: 5 ms in a fresh
        store, 10 ms after 200 such cycles, 35 ms after 1,000), and at 1,000 plans each worker
        validates about 1,000 graphs."""
        from pyoxigraph import NamedNode, RdfFormat, Store

        self._validated += 1
        if self._alone is None or self._validated % ALONE_RENEW_EVERY == 0:
            self._alone = Store()
            for chunk, name in ((self.vocabularies, self.shared[0]), (self.ontology, self.shared[1])):
                self._alone.load(chunk, format=RdfFormat.N_TRIPLES, to_graph=name)
        graph, context = self.names[i], NamedNode(f"{self.names[i].value}:context")
        self._alone.load(self.ntriples[i], format=RdfFormat.N_TRIPLES, to_graph=graph)
        self._alone.load(self.context(i), format=RdfFormat.N_TRIPLES, to_graph=context)
        try:
            yield DataView(self._alone, (graph, context, *self.shared))
        finally:
            self._alone.remove_graph(graph)
            self._alone.remove_graph(context)


__all__ = ["validate_graphs", "CONTEXT_PREDICATES", "VALIDATION_PROCESSES_MAX"]
