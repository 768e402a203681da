"""A plan's mapping kept by content: what one plan gives the later stages, as plain data.

Mapping a plan (:func:`plankg.build.rdf.map_plan`) makes an rdflib graph, which the build needs
only as its N-Triples (validated, dumped, loaded) and as what the later stages read of it: the
strategies and programs alignment compares (:func:`plankg.build.align.nodes.plan_nodes`), the
work plans funding links (:func:`plankg.build.funding.plans_of`), what the metadata says of it
(:func:`plankg.build.facts.facts_of`) and, when the build has budgets, its own graph of funding links
(:class:`Funding`). A :class:`PlanUnit` is all that; none of it is a graph.

A unit depends on the plan file (its bytes, name, path and options), on every other source of
the build (the law index the linker links, the budgets whose agencies may publish plans and whose
names the nodes carry), on the vocabularies, mappings and ontology as shipped, on the id base and
on the code that reads and maps a plan (:data:`CODE` and every loader) with the versions of
rdflib and pyoxigraph. Its key is the SHA-256 of all that, so a rebuild maps again only the plans
that changed; the others are read from the cache folder ``plans`` (:mod:`plankg.build.cache`), two
files per plan: its N-Triples, and the rest as JSON. A unit that cannot be read is mapped again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import import_module, metadata
from pathlib import Path
from typing import TYPE_CHECKING

from plankg import resources
from plankg.build import cache
from plankg.build.align.nodes import PlanNodes
from plankg.build.facts import Facts
from plankg.build.funding import FundedPlan, funding_graph_iri, link_plans
from plankg.build.lines import Deferred, Text, text_of
from plankg.build.mapped import MappedGraph
from plankg.build.ntriples import ntriples
from plankg.build.sources import SourceSpec
from plankg.errors import InputError
from plankg.loaders.model import BudgetDocument, Plan

if TYPE_CHECKING:
    from plankg.build.linker import Linker
    from plankg.build.progress import Progress
    from plankg.build.rdf import MappedPlan
    from plankg.build.vocab import Vocabularies

KIND = "plans"
FORMAT = b"plan-unit 4"
DIGESTS_KEPT = 8  # digests of a plan's lines with different added lines, kept beside its unit
CODE = ("plankg.build.rdf", "plankg.build.linker", "plankg.build.lawmatch", "plankg.build.policy_documents",
        "plankg.build.vocab", "plankg.build.ntriples", "plankg.build.funding", "plankg.build.budget_rdf",
        "plankg.build.budget_agencies", "plankg.build.align.nodes", "plankg.build.facts", "plankg.build.plan_units",
        "plankg.build.textsim", "plankg.hierarchy", "plankg.namespaces", "plankg.iri")


@dataclass(frozen=True)
class Funding:
    """A plan's funding graph (:func:`plankg.build.funding.link_plans`): its lines, counts and warnings."""

    lines: str
    counts: dict[str, int]
    warnings: list[str]

    def graph(self, base: str, plan: str) -> MappedGraph:
        return MappedGraph(funding_graph_iri(base, plan), self.lines, "links", self.counts, self.warnings)


@dataclass(frozen=True)
class PlanUnit:
    """One plan mapped: its IRI, its graph's IRI and N-Triples, and what the later stages read of it."""

    iri: str
    graph_iri: str
    links: int  # link-evidence nodes
    lines: Text  # the graph as N-Triples (plankg.build.ntriples), before alignment adds its accepted pairs;
    # a kept unit's are read when asked for (plankg.build.lines)
    nodes: tuple[PlanNodes, ...]  # alignment's
    funded: tuple[FundedPlan, ...]  # funding's
    facts: Facts  # the metadata's
    funding: Funding | None = None  # its funding graph, when the build has budgets
    title: str = ""  # the plan's title
    summary: str = ""  # what plankg build says of it (plankg.build.stats.plan_summary)

    def to_json(self) -> dict:
        return {"iri": self.iri, "graph_iri": self.graph_iri, "links": self.links, "lines": text_of(self.lines),
                "nodes": [n.to_json() for n in self.nodes], "funded": [f.to_json() for f in self.funded],
                "facts": self.facts.to_json(), "funding": None if self.funding is None else
                [self.funding.lines, self.funding.counts, self.funding.warnings],
                "title": self.title, "summary": self.summary}

    @classmethod
    def from_json(cls, data: dict) -> PlanUnit:
        if not all(isinstance(data[k], str) for k in ("graph_iri", "title", "summary")) \
                or not isinstance(data["lines"], (str, Deferred)):
            raise TypeError("not a plan unit")
        return cls(data["iri"], data["graph_iri"], int(data["links"]), data["lines"],
                   tuple(PlanNodes.from_json(n) for n in data["nodes"]),
                   tuple(FundedPlan.from_json(f) for f in data["funded"]), Facts.from_json(data["facts"]),
                   None if data["funding"] is None else Funding(*data["funding"]), data["title"], data["summary"])


class KeptPlan:
    """A plan whose unit the cache holds (:meth:`Units.known`): read by its loader only when
    something asks for it (:attr:`plan`; its attributes are the plan's), as mapping it again does
    when the unit cannot be read. A rebuild of 1,000 plans then reads the one that changed."""

    def __init__(self, spec: SourceSpec, load: Callable[[], Plan]):
        self.spec = spec
        self._load = load

    @cached_property
    def plan(self) -> Plan:
        return self._load()

    def __getattr__(self, name: str):
        return getattr(self.plan, name)


class Units:
    """The plan units kept in the cache folder ``plans``, for the sources of one build."""

    def __init__(self, folder: Path | None, fixed: bytes):
        self.folder = folder
        self.fixed = fixed
        self.reused = 0  # units read from the cache in this build

    @classmethod
    def of(cls, specs: Sequence[SourceSpec], base: str) -> Units:
        """The cache for a build of ``specs`` with the id base ``base`` (off: nothing is kept)."""
        folder = cache.folder(KIND)
        if folder is None:
            return cls(None, b"")
        h = hashlib.sha256(FORMAT + b"\x00" + base.encode() + b"\x00")
        for name in (*CODE, *_loaders()):
            module = import_module(name)
            h.update(name.encode() + b"\x00" + Path(module.__file__).read_bytes() + b"\x00")
        for dist in ("rdflib", "pyoxigraph"):
            h.update(f"{dist} {metadata.version(dist)}\n".encode())
        for resource in (resources.ontology(), *resources.vocabularies(), *resources.mappings()):
            h.update(resource.name.encode() + b"\x00" + hashlib.sha256(resource.read_bytes()).digest())
        for spec in specs:
            if spec.kind != "plan":
                h.update(_spec_digest(spec))
        return cls(folder, h.digest())

    def known(self, key: str | None) -> bool:
        """Whether a unit is kept under ``key`` (it may still not be readable: :meth:`get` says)."""
        return key is not None and self.folder is not None and (self.folder / key[:2] / f"{key}.json").is_file()

    def key(self, spec: SourceSpec) -> str | None:
        """The key of plan ``spec``'s unit in this build; None when nothing is kept."""
        if self.folder is None:
            return None
        return hashlib.sha256(self.fixed + _spec_digest(spec)).hexdigest()

    def get(self, key: str | None) -> PlanUnit | None:
        if key is None or self.folder is None:
            return None
        path = self.folder / key[:2] / f"{key}.nt"
        try:
            data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            if path.stat().st_size != data["bytes"] or not all(isinstance(data[k], int) for k in ("lines", "count")):
                return None
            lines = Deferred(data["lines"], data["count"], lambda: path.read_text(encoding="utf-8"),
                             f"the cache file {path}")
            unit = PlanUnit.from_json({**data, "lines": lines})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        self.reused += 1
        return unit

    def digest(self, key: str | None, size: int, tail: str, compute: Callable[[], str]) -> str:
        """The digest of the ``size`` characters of lines of the plan whose unit is kept under ``key``,
        ``tail`` (the lines alignment added) last: kept beside the unit, by the SHA-256 of ``tail``,
        for the last :data:`DIGESTS_KEPT` tails, with the size (a unit file cut or grown since is
        digested again), or what ``compute()`` gives, then kept."""
        if key is None or self.folder is None:
            return compute()
        path = self.folder / key[:2] / f"{key}.digests.json"
        by = hashlib.sha256(tail.encode("utf-8")).hexdigest()
        try:
            known = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(known, dict):
                known = {}
        except (OSError, ValueError):
            known = {}
        found = known.get(by)
        if isinstance(found, list) and len(found) == 2 and found[1] == size and isinstance(found[0], str) \
                and len(found[0]) == 64:
            return found[0]
        known.pop(by, None)
        known[by] = [compute(), size]
        cache.write(path, json.dumps(dict(list(known.items())[-DIGESTS_KEPT:])))
        return known[by][0]

    def put(self, key: str | None, unit: PlanUnit) -> None:
        """Keep ``unit`` under ``key``: its lines as they are in ``{key}.nt`` (read back without
        decoding JSON's escapes: four fifths of a unit), the rest and their size in ``{key}.json``,
        written last (what :meth:`known` looks for)."""
        if key is not None and self.folder is not None:
            lines = text_of(unit.lines)
            cache.write(self.folder / key[:2] / f"{key}.nt", lines)
            cache.write(self.folder / key[:2] / f"{key}.json",
                        json.dumps({**unit.to_json(), "lines": len(lines), "count": lines.count("\n"),
                                    "bytes": len(lines.encode("utf-8"))}, ensure_ascii=False))


def map_plans(plans: Sequence[tuple[SourceSpec, Plan | KeptPlan]], specs: Sequence[SourceSpec], vocab: Vocabularies,
              linker: Linker, budgets: Sequence[BudgetDocument], progress: Progress,
              units: Units | None = None) -> list[MappedPlan]:
    """Each plan of ``plans`` (read from ``specs``, the build's sources; a :class:`KeptPlan` is read
    only if its unit cannot be) mapped, or its unit taken from the cache (``units``, by default
    :meth:`Units.of` the specs); ``progress`` advances by each plan. A plan given twice is an error
    naming both files."""
    from plankg.build.align import budget_agency_names
    from plankg.build.rdf import MappedPlan, map_plan

    out: list[MappedPlan] = []
    seen: dict[str, str] = {}
    agencies, names = _agency_codes(budgets), budget_agency_names(list(budgets), vocab.base)
    units = units if units is not None else Units.of(specs, vocab.base)
    for spec, plan in plans:
        key = units.key(spec)
        unit = units.get(key)
        if unit is not None:
            m = MappedPlan(unit)
        else:
            plan = plan.plan if isinstance(plan, KeptPlan) else plan
            m = map_plan(plan, vocab, linker, hashlib.sha256(spec.data).hexdigest(), agencies, names)
            if budgets:  # the programs' funding links: the plan's own graph of them
                f = link_plans(list(m.unit.funded), list(budgets), vocab.base, funding_graph_iri(vocab.base, m.unit.iri))
                m.unit = dataclasses.replace(m.unit, funding=Funding(ntriples(f.graph), f.counts, f.warnings))
            units.put(key, m.unit)
        m.kept_digests = lambda size, tail, compute, key=key: units.digest(key, size, tail, compute)
        if m.graph_iri in seen:
            raise InputError(spec.path, 1, f"plan {m.unit.title!r} is given twice (also in {seen[m.graph_iri]})")
        seen[m.graph_iri] = spec.path
        out.append(m)
        progress.advance()
    return out


def _agency_codes(budgets: Sequence[BudgetDocument]) -> dict[str, str]:
    """Agency name (depname) → agency code, over the loaded budgets (the newest name wins)."""
    from plankg.build.budget_agencies import agency_code

    out: dict[str, str] = {}
    for doc in sorted(budgets, key=lambda d: d.year):
        for row in doc.rows:
            out[row.depname] = agency_code(row.code)
    return out


def _spec_digest(spec: SourceSpec) -> bytes:
    """What a source is: its kind, name, path, options and bytes (and its further files')."""
    h = hashlib.sha256(json.dumps([spec.kind, spec.name, spec.path, spec.options], ensure_ascii=False,
                                  sort_keys=True, default=str).encode())
    h.update(hashlib.sha256(spec.data).digest())
    for path, data in spec.extra:
        h.update(path.encode() + b"\x00" + hashlib.sha256(data).digest())
    return h.digest()


def _loaders() -> list[str]:
    """Every module of :mod:`plankg.loaders`: what reads a plan (and the registry picks its loader)."""
    import plankg.loaders as package

    return sorted(m.name for m in pkgutil.walk_packages(package.__path__, "plankg.loaders."))


__all__ = ["PlanUnit", "KeptPlan", "Units", "map_plans", "KIND", "CODE"]
