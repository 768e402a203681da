"""The build pipeline: plan text → loader objects → RDF → SHACL → store.

Data flows one way. Nothing reaches the store unless every plan parses and the whole graph
conforms to the shapes; the store switch itself is atomic (:func:`plankg.store.publish`).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from plankg import resources
from plankg.errors import InputError, PlanKGError, ValidationFailed
from plankg.build.linker import Linker
from plankg.loaders import registry
from plankg.loaders.model import Plan
from plankg.build.rdf import MappedPlan, map_plan
from plankg.build.validate import Report, load_shapes, validate
from plankg.build.vocab import Vocabularies


@dataclass(frozen=True)
class PlanInput:
    """A plan file to read: ``name`` is recorded in provenance, ``path`` is shown in errors.

    ``variant`` names its loader (:mod:`plankg.loaders.registry`); None: the registry sniffs.
    """

    name: str
    path: str
    data: bytes
    variant: str | None = None


@dataclass
class Compiled:
    """Everything a build produces before publishing."""

    plans: list[Plan]
    mapped: list[MappedPlan]
    vocab: Vocabularies
    report: Report
    timings: dict[str, float] = field(default_factory=dict)

    def graphs(self) -> dict[str, Graph]:
        """Named-graph IRI → graph, for every graph the store will hold."""
        out = dict(self.vocab.named_graphs())
        out.update({m.graph_iri: m.graph for m in self.mapped})
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


def compile_plans(inputs: list[PlanInput], base: str) -> Compiled:
    """Parse, link, map and validate; raise on bad input, return the report either way."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    vocab = Vocabularies.load(base)
    categories = list(vocab.categories)
    timings["vocabularies"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    plans = []
    for inp in inputs:
        document = registry.load(inp.path, inp.data, categories, inp.variant)
        if not isinstance(document, Plan):  # e.g. a budget: read, but not mapped to RDF yet
            raise InputError(inp.path, None, f"read as a {type(document).__name__}, which the build does not "
                                             "map to RDF yet: expected an annual plan (施政計畫)")
        plans.append(document)
    timings["parse"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    linker = Linker(vocab.terms)
    mapped: list[MappedPlan] = []
    seen: dict[str, str] = {}
    for inp, plan in zip(inputs, plans):
        m = map_plan(plan, vocab, linker, hashlib.sha256(inp.data).hexdigest())
        if m.graph_iri in seen:
            raise InputError(inp.path, 1, f"plan {plan.title!r} is given twice (also in {seen[m.graph_iri]})")
        seen[m.graph_iri] = inp.path
        mapped.append(m)
    timings["link+map"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    data = Graph()
    for m in mapped:
        data += m.graph
    data += vocab.union
    report = validate(data, vocab.ontology, load_shapes(base))
    timings["shacl"] = time.perf_counter() - t0
    return Compiled(plans, mapped, vocab, report, timings)


def build(paths: list[str | os.PathLike] | None, store: Path, base: str,
          site: str | None = None, variant: str | None = None) -> tuple[Compiled, dict]:
    """Compile the plans and publish them, with the ontology, vocabularies, metadata and dumps.

    After validation: the content graphs are dumped (:mod:`plankg.build.dumps`), the VoID/DCAT
    metadata graph ``{base}graph/meta`` describes them (:mod:`plankg.build.meta`; ``site`` is the
    site root its endpoint and download IRIs use, derived from ``base`` when None), and the
    dumps are written into the new build directory before the store switch. ``variant`` names
    the loader of every plan (default: each plan's is sniffed, :mod:`plankg.loaders.registry`).
    """
    from plankg.build.dumps import make_dumps
    from plankg.build.meta import meta_graph_iri, metadata_graph
    from plankg.store import publish  # pyoxigraph: imported where used

    compiled = compile_plans(read_inputs(paths, variant), base)
    if not compiled.report.conforms:
        raise ValidationFailed(compiled.report.text(), len(compiled.report.violations))
    t0 = time.perf_counter()
    graphs = compiled.graphs()
    payload = [(iri, g.serialize(format="nt", encoding="utf-8")) for iri, g in sorted(graphs.items())]
    dumps = make_dumps(payload)
    meta = metadata_graph(graphs, base, dumps, site=site)
    payload.append((meta_graph_iri(base), _checked_ntriples(meta)))
    compiled.timings["dumps+meta"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = publish(store, payload, extra_files={d.path: d.data for d in dumps}, metadata={
        "plans": [p.title for p in compiled.plans], "base": base,
        "dumps": {d.path: {"bytes": d.byte_size, "sha256": d.sha256} for d in dumps},
    })
    compiled.timings["load"] = time.perf_counter() - t0
    return compiled, result


def _checked_ntriples(graph: Graph) -> bytes:
    """``graph`` as N-Triples, parsed back by Oxigraph to check that nothing was lost."""
    from pyoxigraph import RdfFormat, parse

    data = graph.serialize(format="nt", encoding="utf-8")
    parsed = sum(1 for _ in parse(data, RdfFormat.N_TRIPLES))
    if parsed != len(graph):
        raise PlanKGError(f"the metadata graph does not round-trip: {len(graph)} triples, {parsed} parsed back")
    return data


__all__ = ["PlanInput", "Compiled", "read_inputs", "compile_plans", "build", "PlanKGError"]
