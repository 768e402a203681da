"""The build pipeline: sources → loader objects → RDF → SHACL → store.

Data flows one way. The sources are plans, budget documents and the law index, from the
registry (:mod:`plankg.build.sources`) or plan files given on the command line. Each is read by
its loader (:mod:`plankg.loaders.registry`) into plain objects, mapped to its own named graph,
and linked across sources (budget line items to laws and target groups, plan programs to the
line items that fund them); then strategies are aligned with the programs that carry them
(:mod:`plankg.build.align`). Every graph is validated on its own, with the vocabularies and the
resources of other graphs it points to. Nothing reaches the store unless every source reads
and every graph conforms; the store switch itself is atomic (:func:`plankg.store.publish`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rdflib import Graph

from plankg import resources
from plankg.errors import InputError, PlanKGError, ValidationFailed
from plankg.build.collector import collector_paused, heap_frozen
from plankg.build.linker import Linker
from plankg.build.lines import Lines
from plankg.build.meta import build_time
from plankg.build.mapped import MappedGraph
from plankg.build.progress import Progress, Stages
from plankg.build.sources import SourceSpec, read_registry
from plankg.loaders import registry
from plankg.loaders.model import BudgetDocument, Plan
from plankg.loaders.law_model import LawIndex
from plankg.build.rdf import MappedPlan
from plankg.build.checking import Validated, validate_build
from plankg.build.other_units import map_others
from plankg.build.plan_units import KeptPlan, Units, map_plans
from plankg.build.recheck import Previous, published
from plankg.build.ntriples import digest
from plankg.build.validate import Report
from plankg.build.vocab import Vocabularies

Document = Plan | BudgetDocument | LawIndex


@dataclass(frozen=True)
class PlanInput:
    """A plan file to read: ``name`` is recorded in provenance, ``path`` is shown in errors.

    ``variant`` names its loader (:mod:`plankg.loaders.registry`); None: the registry sniffs.
    """

    name: str
    path: str
    data: bytes
    variant: str | None = None

    def spec(self) -> SourceSpec:
        return SourceSpec("plan", self.name, self.path, self.data, {"variant": self.variant})


@dataclass
class Compiled:
    """Everything a build produces before publishing."""

    plans: list[Plan | KeptPlan]  # a plan kept by content is read only when asked for (plankg.build.plan_units)
    mapped: list[MappedPlan]
    vocab: Vocabularies
    report: Report
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds (plankg.build.progress.Stages)
    counts: dict[str, tuple[int, str]] = field(default_factory=dict)  # stage -> (items, unit) of those with a count
    others: list[MappedGraph] = field(default_factory=list)  # budgets, laws, cross-source links
    sources: list[SourceSpec] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)  # what the loaders read, one per source
    lines: Lines = field(default_factory=Lines)  # content graph IRI -> its N-Triples (plankg.build.ntriples), read when asked for
    started: datetime | None = None  # when compiling began (plankg.build.meta.build_time)
    validated: Validated | None = None  # the validation keys of the content graphs, in order (plankg.build.recheck)
    digests: dict[str, str] = field(default_factory=dict)  # content graph IRI -> plankg.build.ntriples.digest

    def graphs(self) -> dict[str, Graph]:
        """Named-graph IRI → graph, for every graph the store will hold (each plan's read from its
        lines if it was kept by content: :attr:`plankg.build.rdf.MappedPlan.graph`)."""
        out = dict(self.vocab.named_graphs())
        out.update({m.graph_iri: m.graph for m in self.mapped})
        out.update({m.graph_iri: m.graph for m in self.others})
        return out

    def triples(self) -> dict[str, int]:
        """Named-graph IRI → its number of triples, for every graph the store will hold (but the metadata)."""
        out = {iri: len(g) for iri, g in self.vocab.named_graphs().items()}
        out.update({iri: self.lines.triples(iri) for iri in self.lines})
        return out


def read_inputs(paths: list[str | os.PathLike] | None, variant: str | None = None) -> list[PlanInput]:
    """The given plan files, or the plans bundled with the package when none are given."""
    if not paths:
        return [PlanInput(r.name, f"<bundled>/{r.name}", r.read_bytes(), variant) for r in resources.bundled_plans()]
    inputs = []
    for p in paths:
        path = Path(p)
        try:
            inputs.append(PlanInput(path.name, str(p), path.read_bytes(), variant))
        except FileNotFoundError:
            raise InputError(str(p), None, "no such file") from None
        except IsADirectoryError:
            raise InputError(str(p), None, "is a directory, expected a plan text file") from None
        except PermissionError:
            raise InputError(str(p), None, "permission denied") from None
    return inputs


def read_sources(paths: list[str | os.PathLike] | None, registry_file: str | os.PathLike | None = None,
                 variant: str | None = None) -> list[SourceSpec]:
    """The plan files given, else the sources of the registry (default: the bundled one)."""
    if paths:
        if registry_file is not None:
            raise InputError(str(registry_file), None, "give plan files or a registry, not both")
        return [inp.spec() for inp in read_inputs(paths, variant)]
    return read_registry(registry_file)


def compile_plans(inputs: list[PlanInput], base: str) -> Compiled:
    """Plans alone (no budget, no law index): parse, link, map and validate."""
    return compile_sources([inp.spec() for inp in inputs], base)


def compile_sources(specs: list[SourceSpec], base: str, progress: Progress | None = None,
                    previous: Previous | None = None) -> Compiled:
    """Parse, map, link across sources and validate; raise on bad input, return the report either way.

    Each stage is timed and counted (:class:`plankg.build.progress.Stages`) and told to ``progress``.
    ``previous``: the published build, against which only what changed is validated (:mod:`plankg.build.recheck`)."""
    started = build_time()
    with Stages(progress) as stages:
        with collector_paused():  # plankg.build.collector: the heap grows, then is left alone
            vocab, plans, mapped, others, docs = _map_sources(specs, base, stages)
        content = [*mapped, *others]
        with heap_frozen():
            stages.begin("ntriples", len(content), "graph")
            lines, digests = Lines(), {}  # once: validated, dumped, loaded; digests: what changed (plankg.store.reuse)
            for m in content:  # the lines kept in the cache are read only if asked for (plankg.build.lines)
                lines[m.graph_iri] = m.lines()
                known = m.known_digest if isinstance(m, MappedGraph) else m.digest()
                digests[m.graph_iri] = known or digest(lines[m.graph_iri])
                stages.advance()
            stages.begin("shacl", len(content), "graph")
            iris = [m.graph_iri for m in content]
            validated = validate_build(_Graphs(content), vocab, base, lines.ordered(iris), stages,
                                       iris, previous, [digests[i] for i in iris])
    return Compiled([p for _, p in plans], mapped, vocab, validated.report, stages.timings, stages.counts, others,
                    list(specs), docs, lines, started, validated, digests)


def _map_sources(specs: list[SourceSpec], base: str, stages: Stages, aligned: bool = True) -> tuple[
        Vocabularies, list[tuple[SourceSpec, Plan]], list[MappedPlan], list[MappedGraph], list[Document]]:
    """Read the sources, map each to its graph, link and (``aligned``) align them, a stage of ``stages`` each step."""
    stages.begin("vocabularies")
    vocab = Vocabularies.load(base)
    categories = list(vocab.categories)

    stages.begin("parse", len(specs), "source")
    units = Units.of(specs, base)
    docs = []
    for spec in specs:  # a plan whose unit is kept is read only if the unit cannot be (plankg.build.plan_units)
        kept = spec.kind == "plan" and units.known(units.key(spec))
        docs.append(KeptPlan(spec, lambda spec=spec: _load(spec, categories)) if kept else _load(spec, categories))
        stages.advance()

    plans = [(spec, d) for spec, d in zip(specs, docs) if isinstance(d, (Plan, KeptPlan))]
    stages.begin("link+map plans", len(plans), "plan")
    budgets = [d for d in docs if isinstance(d, BudgetDocument)]
    laws = [(spec, d) for spec, d in zip(specs, docs) if isinstance(d, LawIndex)]
    if laws:
        vocab.law_index = laws[0][1]  # the linker links the laws this build publishes
    linker = Linker(vocab.terms)
    mapped = map_plans(plans, specs, vocab, linker, budgets, stages, units)

    # the graphs of the laws, each budget, the budget links and (with plans) each plan's funding links
    stages.begin("map+link budgets, laws", bool(laws) + (len(budgets) + 2 if budgets else 0), "graph")
    others = map_others(budgets, laws, mapped, vocab, linker, stages, specs, units)

    stages.begin("alignment", len(mapped), "plan")
    if mapped and aligned:
        from plankg.build.align import align

        budget_links = next((m.graph for m in others if m.graph_iri.endswith("/links/budget")), None)
        done = align([m.unit.nodes for m in mapped], budgets, budget_links, vocab.union, base, stages)
        others.extend(done.graphs)
        for i, triples in done.plain.items():
            mapped[i].add(triples)
    stages.end()
    return vocab, plans, mapped, others, docs


def build(paths: list[str | os.PathLike] | None, store, base: str, site: str | None = None,
          variant: str | None = None, registry_file: str | os.PathLike | None = None,
          progress: Progress | None = None) -> tuple[Compiled, dict]:
    """Compile the sources (the plan files ``paths``, else those of the registry) and publish them,
    with the ontology, vocabularies, metadata and dumps, to ``store`` (a directory or a
    :class:`plankg.store.RemoteLocation`).

    After validation (:mod:`plankg.build.publication`): the content graphs are written as
    N-Triples once, dumped (:mod:`plankg.build.dumps`), the VoID/DCAT
    metadata graph ``{base}graph/meta`` describes them (:mod:`plankg.build.meta`; ``site`` is the
    site root its endpoint and download IRIs use, derived from ``base`` when None), and the
    dumps are written into the new build directory before the store switch. ``variant`` names
    the loader of every plan (default: each plan's is sniffed, :mod:`plankg.loaders.registry`).
    ``progress`` is told each stage (:mod:`plankg.build.progress`); the library prints nothing.
    """
    from plankg.build.publication import publish_compiled

    specs = read_sources(paths, registry_file, variant)
    with published(store) as previous:
        compiled = compile_sources(specs, base, progress, previous)
    if not compiled.report.conforms:
        raise ValidationFailed(compiled.report.text(), len(compiled.report.violations))
    with collector_paused():
        result = publish_compiled(compiled, store, base, site, progress)
    return compiled, result


def _load(spec: SourceSpec, categories: list[str]) -> Document:
    """The plain objects of one source, read by its loader."""
    if spec.kind == "plan":
        doc = registry.load(spec.path, spec.data, categories, spec.options.get("variant"))
    elif spec.kind == "budget":
        doc = registry.loader_for(spec.path, spec.data, "budget-csv").parse(
            spec.data, file=spec.path, year=spec.options["year"], stage=spec.options["stage"])
    else:
        from plankg.loaders import law_index

        doc = registry.loader_for(spec.path, spec.data, "law-index").parse(spec.data, file=spec.path)
        for path, data in spec.extra:
            doc = law_index.merge(doc, law_index.parse_metadata(data, file=path))
    expected = {"plan": Plan, "budget": BudgetDocument, "laws": LawIndex}[spec.kind]
    if not isinstance(doc, expected):
        raise InputError(spec.path, None, f"read as a {type(doc).__name__}, but the build takes plan files only "
                                          "on the command line: list budgets and law indexes in a registry "
                                          "(plankg build --registry FILE)")
    return doc


class _Graphs(Sequence[Graph]):
    """The graphs of ``content``, each asked for only when validation needs it (a plan kept by content
    is read from its lines then: :attr:`plankg.build.rdf.MappedPlan.graph`)."""

    def __init__(self, content: list[MappedPlan | MappedGraph]):
        self.content = content

    def __len__(self) -> int:
        return len(self.content)

    def __getitem__(self, i):
        return self.content[i].graph


__all__ = ["PlanInput", "Compiled", "read_inputs", "read_sources", "compile_plans", "compile_sources", "build",
           "PlanKGError"]
