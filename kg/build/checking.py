"""Validating the graphs of a build, each on its own (the data flow's SHACL step).

pySHACL's cost grows with the data graph, so each source's graph is validated with the
vocabularies and, of the other graphs, only what it points to (:data:`CONTEXT_PREDICATES` of
the resources it names but does not describe), not with the union of everything.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from plankg.build import recheck, validation_cache
from plankg.build.lines import reordered, sizes
from plankg.build.recheck import Previous
from plankg.build.ntriples import digest, ntriples
from plankg.build.progress import NO_PROGRESS, Progress
from plankg.build.validate import DataView, PreparedShapes, Report, load_shapes, prepare, validate_view
from plankg.build.vocab import Vocabularies


def validate_graphs(graphs: list[Graph], vocab: Vocabularies, base: str, texts: list[str] | None = None,
                    progress: Progress = NO_PROGRESS) -> Report:
    """:func:`validate_build` of ``graphs`` with the whole build, its report."""
    return validate_build(graphs, vocab, base, texts, progress).report


@dataclass(frozen=True)
class Validated:
    """A build's report, each graph's validation key (in the order of the graphs), and the digest
    (hex) of what every key depends on besides a graph's data and context: what the build records
    for the next one to validate against (:mod:`.recheck`)."""

    report: Report
    keys: list[str]
    fixed: str
    checked: int | None = None  # graphs whose context was looked up in the published build (None: the whole build's)


def validate_build(graphs: list[Graph], vocab: Vocabularies, base: str, texts: list[str] | None = None,
                   progress: Progress = NO_PROGRESS, iris: list[str] | None = None,
                   previous: Previous | None = None, digests: list[str] | None = None) -> Validated:
    """Each graph validated on its own, with the vocabularies and what it points to in the other
    graphs; only findings about the graph's own subjects count (the context is there to be
    pointed at, and is validated with its own graph). A graph validated before with the same
    data, context, shapes and code is not validated again (:mod:`plankg.build.validation_cache`);
    the others are validated in parallel, one process per CPU (forked: they share the graphs and
    the store, and only the findings come back), largest first. Returns the report and each
    graph's validation key (:class:`Validated`).

    The contexts come from the published build ``previous`` when it can give them (:mod:`.recheck`:
    the graphs named ``iris`` that did not change keep their key unless their context changed),
    else from all graphs loaded once into one in-memory Oxigraph store (:class:`Dataset`), each
    in its own named graph with its context beside it. A graph's checks see its graph, its
    context, the vocabularies and the ontology as their default graph. ``texts`` are the graphs'
    N-Triples when the caller has them (:func:`plankg.build.ntriples.ntriples`), in the order of
    ``graphs``, ``digests`` their :func:`plankg.build.ntriples.digest`. ``progress`` advances by each
    graph: those kept at once, the others as their reports come back."""
    shapes = prepare(load_shapes(base))
    texts = texts if texts is not None else [ntriples(g) for g in graphs]
    size = sizes(texts)  # kept lines are read only for the graphs validated (plankg.build.lines.Texts)
    order = sorted(range(len(graphs)), key=lambda i: size[i], reverse=True)  # largest first
    texts = reordered(texts, order)
    shared = Shared(vocab)
    fixed = validation_cache.fixed_digest(base) + validation_cache.lines_digest(shared.vocabularies)
    payload = Encoded(texts)
    data: Dataset | recheck.Contexts | None = None
    if previous is not None and iris is not None:
        data = recheck.contexts([iris[i] for i in order], texts,
                                [digests[i] for i in order] if digests is not None else [digest(t) for t in texts],
                                previous, fixed, [str(p) for p in CONTEXT_PREDICATES])
    if data is None:
        data = Dataset(payload)
    keys, reports = [], {}
    for i in range(len(texts)):
        kept = data.kept_key(i)
        found = validation_cache.load(kept) if kept is not None else None
        keys.append(kept if found is not None else validation_cache.key([payload[i], data.context(i)], fixed))
        if found is None:
            found = validation_cache.load(keys[-1])
        if found is not None:
            reports[i] = found
    progress.advance(len(reports))
    todo = [i for i in range(len(texts)) if i not in reports]
    views = Views(shared, payload, {i: data.context(i) for i in todo})
    # only these graphs are asked for, and by the worker that validates each: a graph made as lines
    # (plankg.build.mapped) is parsed there, in parallel, not here one after the other
    _JOBS[:] = [(graphs, order[i], views, i, shapes) for i in todo]
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
    back = {j: i for i, j in enumerate(order)}
    return Validated(Report.merged([reports[i] for i in range(len(graphs))]),
                     [keys[back[j]] for j in range(len(graphs))], recheck.fixed_hex(fixed),
                     None if isinstance(data, Dataset) else len(data.checked))


def _collect(done: Iterator[tuple[int, Report]], todo: list[int], keys: list[str], reports: dict[int, Report],
             progress: Progress) -> None:
    """Keep each (job, report) of ``done`` in ``reports`` and the cache, and tell ``progress``."""
    for j, report in done:
        validation_cache.store(keys[todo[j]], report)
        reports[todo[j]] = report
        progress.advance()


VALIDATION_PROCESSES_MAX = 8
ALONE_RENEW_EVERY = 50  # a validating process makes its store of one graph afresh after this many graphs
_JOBS: list[tuple[list[Graph], int, Views, int, PreparedShapes]] = []  # read by the forked workers


def _validate_job(index: int) -> tuple[int, Report]:
    graphs, k, data, i, shapes = _JOBS[index]
    graph = cache(lambda: graphs[k])  # read into rdflib only if there are findings to name and place
    with data.alone(i) as view:
        report = validate_view(graph, view, shapes)
    return index, Report([f for f in report.findings if _owns(graph(), f.focus)])


def _owns(graph: Graph, focus: str) -> bool:
    return (URIRef(focus), None, None) in graph or (BNode(focus), None, None) in graph


CONTEXT_PREDICATES = (RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.inScheme,
                      SKOS.notation)  # what a graph may check of a resource of another graph: what it is, its names


class Encoded(Sequence[bytes]):
    """``texts`` as UTF-8, each encoded when first asked for: a rebuild that keeps most graphs'
    reports never encodes their lines (3 million of them at 1,000 plans)."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        self._done: dict[int, bytes] = {}

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, i):
        found = self._done.get(i)
        if found is None:
            found = self._done[i] = self.texts[i].encode("utf-8")
        return found


class Shared:
    """The vocabularies and the ontology as N-Triples, and the names of their graphs in a store."""

    def __init__(self, vocab: Vocabularies):
        from pyoxigraph import NamedNode

        self.vocabularies = ntriples(vocab.union).encode("utf-8")
        self.ontology = ntriples(vocab.ontology).encode("utf-8")
        self.names = (NamedNode(PREFIX + "vocabularies"), NamedNode(PREFIX + "ontology"))


PREFIX = "urn:plankg:check:"


class Dataset:
    """The graphs of a build in one in-memory Oxigraph store: graph ``i`` in ``urn:plankg:check:i``,
    and its context (:data:`CONTEXT_PREDICATES` of the IRIs it has as objects but does not describe
    itself, from the other graphs) in ``urn:plankg:check:i:context``."""

    def __init__(self, payload: list[bytes]):
        from pyoxigraph import NamedNode, RdfFormat, Store

        self.store = Store()
        self.names = [NamedNode(f"{PREFIX}{i}") for i in range(len(payload))]
        for chunk, name in zip(payload, self.names):
            self.store.load(chunk, format=RdfFormat.N_TRIPLES, to_graph=name)
        predicates = ", ".join(f"<{p}>" for p in CONTEXT_PREDICATES)
        content = f"^{PREFIX}[0-9]+$"  # the graphs of the build (not a context)
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

    def kept_key(self, i: int) -> None:
        return None

    def context(self, i: int) -> bytes:
        from pyoxigraph import NamedNode, RdfFormat

        return self.store.dump(format=RdfFormat.N_TRIPLES, from_graph=NamedNode(f"{self.names[i].value}:context"))


class Views:
    """What each graph is validated against, in a store of its own (:meth:`alone`)."""

    def __init__(self, shared: Shared, ntriples: list[bytes], contexts: dict[int, bytes]):
        self.shared, self.ntriples, self.contexts = shared, ntriples, contexts
        self._alone = None  # the store of :meth:`alone`, made in the process that validates
        self._validated = 0  # graphs that process validated so far

    @contextmanager
    def alone(self, i: int) -> Iterator[DataView]:
        """Graph ``i`` and its context beside the vocabularies and the ontology, and nothing else of
        the build: a check that looks up a resource every graph names (a category, an
        organisation: in every graph's context) does not step over copies of all the other
        graphs, which made each graph's validation slower as the build grew. Only the graph's
        own subjects are focus nodes (:attr:`plankg.build.validate.DataView.own`): the context and
        the vocabularies are not checked again with every graph that names them. One store per
        process, the vocabularies and the ontology loaded once; the graph and its context are
        removed after, and the store is made afresh every :data:`ALONE_RENEW_EVERY` graphs:
        pyoxigraph's in-memory store slows down as graphs are loaded into it and removed (a
        3,000-triple load, 20 queries and removal: 5 ms in a fresh store, 10 ms after 200 such
        cycles, 35 ms after 1,000), and at 1,000 plans each worker validates about 1,000 graphs."""
        from pyoxigraph import NamedNode, RdfFormat, Store

        self._validated += 1
        if self._alone is None or self._validated % ALONE_RENEW_EVERY == 0:
            self._alone = Store()
            for chunk, name in ((self.shared.vocabularies, self.shared.names[0]),
                                (self.shared.ontology, self.shared.names[1])):
                self._alone.load(chunk, format=RdfFormat.N_TRIPLES, to_graph=name)
        graph, context = NamedNode(f"{PREFIX}{i}"), NamedNode(f"{PREFIX}{i}:context")
        self._alone.load(self.ntriples[i], format=RdfFormat.N_TRIPLES, to_graph=graph)
        self._alone.load(self.contexts[i], format=RdfFormat.N_TRIPLES, to_graph=context)
        try:
            yield DataView(self._alone, (graph, context, *self.shared.names), own=graph)
        finally:
            self._alone.remove_graph(graph)
            self._alone.remove_graph(context)


__all__ = ["validate_graphs", "validate_build", "Validated", "CONTEXT_PREDICATES", "VALIDATION_PROCESSES_MAX"]
