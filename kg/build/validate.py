"""SHACL validation of plan graphs against the shapes in ``shapes/``, with a readable report.

The data graph is the plan graphs plus the vocabularies; the ontology is given to pySHACL as
``ont_graph`` so that ``sh:class`` sees the subclass hierarchy, with no inference (fast).
Only ``sh:Violation`` results block publishing; warnings are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDFS, SH

from plankg import resources
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


def _short(g: Graph, term) -> str:
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


def validate(data: Graph, ontology: Graph, shapes: Graph) -> Report:
    """Validate ``data``; the report's findings are sorted by severity, then source line."""
    from pyshacl import validate as shacl_validate  # heavy: imported only when validating

    from plankg.build import shacl_sparql

    core_shapes, sparql_constraints = shacl_sparql.split(shapes)
    data_and_ontology = data + ontology  # sh:class follows rdfs:subClassOf of the ontology
    _conforms, results, _text = shacl_validate(
        data_and_ontology, shacl_graph=core_shapes, inference="none", allow_warnings=True
    )
    findings = [
        Finding(
            severity=r.severity,
            focus=r.focus,
            label=_label(data, URIRef(r.focus)),
            path=r.path,
            message=r.message,
            source=_source(data, URIRef(r.focus)),
        )
        for r in shacl_sparql.evaluate(data_and_ontology, shapes, sparql_constraints)
    ]
    for result in results.objects(None, SH.result):
        severity = results.value(result, SH.resultSeverity)
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        findings.append(Finding(
            severity=str(severity).rsplit("#", 1)[-1],
            focus=str(focus),
            label=_label(data, focus) if not isinstance(focus, (BNode, Literal)) else None,
            path=_short(results, path) if path is not None and not isinstance(path, BNode) else None,
            message=str(message) if message is not None else _short(results, results.value(result, SH.sourceConstraintComponent)),
            source=_source(data, focus),
        ))
    findings.sort(key=_order)
    return Report(findings)


def _order(f: Finding) -> tuple:
    return (f.severity != "Violation", _line_key(f.source), f.focus, f.path or "", f.message)
