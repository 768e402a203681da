"""SHACL validation of the build's graphs against the shapes in ``shapes/``, with a readable report.

The data is a graph plus what it is validated with (the vocabularies, the ontology, so that
``sh:class`` sees the subclass hierarchy; no inference), in a pyoxigraph Store. SHACL Core
shapes are compiled to SPARQL (:mod:`plankg.build.shacl_core`) and SHACL-SPARQL constraints run as
written (:mod:`plankg.build.shacl_sparql`), both evaluated by Oxigraph; pySHACL validates only
the shapes the compiler leaves (none of the shipped ones). Only ``sh:Violation`` results block
publishing; warnings are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import PROV, RDFS, SH

from plankg import resources
from plankg.build import shacl_core, shacl_sparql
from plankg.namespaces import PLAN, PREFIXES

SEVERITY_ORDER = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}


@dataclass(frozen=True)
class Finding:
    severity: str  # Violation, Warning, Info
    focus: str
    label: str | None
    path: str | None
    message: str
    source: str | None  # "file:line"

    def render(self) -> str:
        who = f"{self.label!r} <{self.focus}>" if self.label else f"<{self.focus}>"
        where = f" [{self.source}]" if self.source else ""
        path = f" {self.path}:" if self.path else ""
        return f"{self.severity}: {who}{where}{path} {self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def text(self) -> str:
        return "\n".join(f.render() for f in self.findings)

    @classmethod
    def merged(cls, reports: list[Report]) -> Report:
        """The findings of several reports (one per graph), in the order :func:`validate` sorts them."""
        findings = [f for r in reports for f in r.findings]
        findings.sort(key=_order)
        return cls(findings)


def load_shapes(base: str) -> Graph:
    g = Graph()
    for r in resources.shapes():
        with r.open("rb") as f:
            g.parse(f, format="turtle", publicID=base)
    return g


def _short(term) -> str:
    if isinstance(term, URIRef):
        for prefix, ns in PREFIXES.items():
            if str(term).startswith(ns):
                return f"{prefix}:{str(term)[len(ns):]}"
        return f"<{term}>"
    return str(term)


def _source(data: Graph, focus) -> str | None:
    loc = data.value(focus, PROV.wasDerivedFrom)
    if loc is None:
        return None
    file = data.value(loc, URIRef(PLAN + "sourceFile"))
    line = data.value(loc, URIRef(PLAN + "startLine"))
    if file is None:
        return None
    return f"{file}:{line}" if line is not None else str(file)


def _label(data: Graph, focus) -> str | None:
    label = data.value(focus, RDFS.label)
    if label is None:
        return None
    text = str(label)
    return text if len(text) <= 40 else text[:39] + "…"


def _line_key(source: str | None) -> tuple[str, int]:
    """Sort ``file:line`` by file, then numerically by line."""
    if not source:
        return ("", 0)
    file, _, line = source.rpartition(":")
    return (file, int(line)) if line.isdigit() else (source, 0)


@dataclass(frozen=True)
class PreparedShapes:
    """A shapes graph split by engine: SHACL Core compiled to SPARQL (:mod:`plankg.build.shacl_core`)
    and SHACL-SPARQL node constraints (:mod:`plankg.build.shacl_sparql`), both run by Oxigraph; the
    shapes neither translates are left to pySHACL (``core.left``; none for the shipped shapes)."""

    shapes: Graph
    core: shacl_core.CompiledShapes
    sparql: list[shacl_sparql.Constraint]


def prepare(shapes: Graph) -> PreparedShapes:
    core_shapes, sparql_constraints = shacl_sparql.split(shapes)
    return PreparedShapes(shapes, shacl_core.compile_shapes(core_shapes), sparql_constraints)


def validate(data: Graph, ontology: Graph, shapes: Graph | PreparedShapes) -> Report:
    """Validate ``data``; the report's findings are sorted by severity, then source line."""
    return validate_ntriples(data, [ntriples(data), ntriples(ontology)], shapes)


def ntriples(graph: Graph) -> bytes:
    return graph.serialize(format="nt", encoding="utf-8")


def validate_ntriples(data: Graph, chunks: list[bytes], shapes: Graph | PreparedShapes) -> Report:
    """Validate the union of ``chunks`` (N-Triples: ``data``'s own, then what it is validated with,
    e.g. the ontology, whose rdfs:subClassOf sh:class follows); ``data`` names the findings'
    labels and source lines."""
    from pyoxigraph import RdfFormat, Store, parse

    store = Store()
    for chunk in chunks:  # parse() keeps blank-node labels: findings name rdflib's
        store.extend(parse(chunk, RdfFormat.N_TRIPLES))
    return validate_view(data, DataView(store), shapes)


@dataclass(frozen=True)
class DataView:
    """What a graph is validated against: graphs of a pyoxigraph Store as the default graph
    (``graphs``; None: the store's own default graph)."""

    store: object
    graphs: tuple | None = None
    own: object | None = None  # a graph of ``graphs`` (NamedNode): only its subjects are focus nodes

    def query(self, text: str, **options):
        if self.graphs is not None:
            options["default_graph"] = list(self.graphs)
        if self.own is not None:
            options["named_graphs"] = [self.own]
        return self.store.query(text, **options)

    def rdflib_graph(self) -> Graph:
        from pyoxigraph import DefaultGraph, RdfFormat

        g = Graph()
        for name in self.graphs if self.graphs is not None else [DefaultGraph()]:
            g.parse(data=self.store.dump(format=RdfFormat.N_TRIPLES, from_graph=name), format="nt")
        return g


def validate_view(data: Graph | Callable[[], Graph], view: DataView, shapes: Graph | PreparedShapes) -> Report:
    """Validate what ``view`` shows; ``data`` (or what it returns, asked only when there are
    findings) names the findings' labels and source lines."""
    prepared = shapes if isinstance(shapes, PreparedShapes) else prepare(shapes)
    found = [(r.severity, r.focus, r.path, r.message) for r in run_checks(view, prepared.core.checks)]
    found += [(r.severity, r.focus, r.path, r.message)
              for r in shacl_sparql.evaluate(view, prepared.shapes, prepared.sparql)]
    if prepared.core.left:
        found += _pyshacl(view.rdflib_graph(), prepared.core.rest)
    if not found:
        return Report([])
    if not isinstance(data, Graph):
        data = data()
    findings = [Finding(severity, focus, _label(data, URIRef(focus)), path, message, _source(data, URIRef(focus)))
                for severity, focus, path, message in found]
    findings.sort(key=_order)
    return Report(findings)


def run_checks(view: DataView, checks: list[shacl_core.Check]) -> list[shacl_sparql.Result]:
    """The results of ``checks`` on ``view``; of its own graph's subjects only, when it has one
    (a graph validated beside its context and the vocabularies is not asked about theirs)."""
    results, targeted = [], {}
    own = f"<{view.own.value}>" if view.own is not None else None
    for check in checks:
        focus, query = check.owned(own) if own is not None else (check.focus, check.query)
        if focus not in targeted:  # most shapes target nothing in a given graph: ask once per shape
            targeted[focus] = view.query(f"ASK {{ {focus} }}")
        if not targeted[focus]:
            continue
        path = _short(check.path) if check.path is not None else None
        solutions = view.query(query)
        has_value = any(v.value == "value" for v in solutions.variables)
        for row in solutions:
            value = row["value"] if has_value else None
            message = check.message or f"{check.component} of {check.shape}" + (
                f": value {shacl_sparql._text(value)}" if value is not None else "")
            results.append(shacl_sparql.Result(check.severity, shacl_sparql._text(row["this"]), path,
                                               shacl_sparql._text(value) if value is not None else None, message,
                                               check.shape, check.component))
    return results


def _pyshacl(data: Graph, shapes: Graph) -> list[tuple]:
    """pySHACL's findings for the shapes the compiler left to it."""
    from pyshacl import validate as shacl_validate  # heavy: imported only when needed

    _conforms, results, _text = shacl_validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    found = []
    for result in results.objects(None, SH.result):
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        found.append((str(results.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                      str(results.value(result, SH.focusNode)),
                      _short(path) if path is not None and not isinstance(path, BNode) else None,
                      str(message) if message is not None else _short(results.value(result, SH.sourceConstraintComponent))))
    return found


def _order(f: Finding) -> tuple:
    return (f.severity != "Violation", _line_key(f.source), f.focus, f.path or "", f.message)
