"""SHACL-SPARQL constraints (``sh:sparql`` + ``sh:select`` on node shapes), evaluated by Oxigraph.

pySHACL evaluates SPARQL-based constraints with rdflib's SPARQL engine, which took two thirds
of a build's time for six constraints (measured: 1.6 s of 2.5 s on the seed). This module runs
the same constraints, with the semantics of SHACL §5 (pre-bound ``$this``, ``sh:prefixes``,
``sh:message`` templates, the shape's ``sh:severity``, ``sh:deactivated``), in pyoxigraph;
the Core shapes are compiled by :mod:`plankg.build.shacl_core`. ``tests/test_validate.py`` and
``tests/test_shacl_core.py`` check that both agree with pySHACL.

Supported: node shapes with ``sh:targetClass`` (subclasses included), ``sh:targetNode``,
``sh:targetSubjectsOf``, ``sh:targetObjectsOf`` and implicit class targets. A ``sh:sparql`` on a
property shape is left to pySHACL (see :func:`split`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

TEMPLATE_VAR = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Constraint:
    shape: URIRef
    constraint: object
    query: str  # with PREFIX declarations
    message: str | None
    severity: str  # local name: Violation, Warning, Info


@dataclass(frozen=True)
class Result:
    severity: str
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str | None = None  # the shape that declares the constraint
    component: str | None = None  # its constraint component, e.g. "SPARQLConstraintComponent"


def split(shapes: Graph) -> tuple[Graph, list[Constraint]]:
    """(the shapes without the node-shape SPARQL constraints, those constraints)."""
    rest = Graph()
    for triple in shapes:
        rest.add(triple)
    constraints = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        if (shape, SH.path, None) in shapes:
            continue  # property-shape SPARQL: pySHACL handles it
        rest.remove((shape, SH.sparql, constraint))
        if shapes.value(constraint, SH.deactivated) == Literal(True) or shapes.value(shape, SH.deactivated) == Literal(True):
            continue
        select = shapes.value(constraint, SH.select)
        message = shapes.value(constraint, SH.message) or shapes.value(shape, SH.message)
        severity = shapes.value(shape, SH.severity) or SH.Violation
        query = _prefixes(shapes, constraint) + str(select)
        constraints.append(Constraint(shape, constraint, query, str(message) if message else None,
                                      str(severity).rsplit("#", 1)[-1]))
    return rest, sorted(constraints, key=lambda c: (str(c.shape), str(c.constraint)))


def _prefixes(shapes: Graph, constraint) -> str:
    lines = []
    for ontology in shapes.objects(constraint, SH.prefixes):
        for decl in shapes.objects(ontology, SH.declare):
            prefix, ns = shapes.value(decl, SH.prefix), shapes.value(decl, SH.namespace)
            lines.append(f"PREFIX {prefix}: <{ns}>\n")
    return "".join(sorted(set(lines)))


def _focus_nodes(shapes: Graph, shape, data) -> set:
    """Focus nodes of ``shape`` in ``data`` (a view of a pyoxigraph Store), per SHACL §2.1.3."""
    from pyoxigraph import NamedNode

    def ask(query: str) -> set:
        return {row[0] for row in data.query(query)}

    nodes: set = set()
    classes = list(shapes.objects(shape, SH.targetClass))
    if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL.Class) in shapes:
        classes.append(shape)
    for cls in classes:
        nodes |= ask(f"SELECT ?n WHERE {{ ?c <{RDFS.subClassOf}>* <{cls}> . ?n a ?c }}")
    for node in shapes.objects(shape, SH.targetNode):
        nodes.add(NamedNode(str(node)))
    for prop in shapes.objects(shape, SH.targetSubjectsOf):
        nodes |= ask(f"SELECT DISTINCT ?n WHERE {{ ?n <{prop}> ?o }}")
    for prop in shapes.objects(shape, SH.targetObjectsOf):
        nodes |= ask(f"SELECT DISTINCT ?n WHERE {{ ?s <{prop}> ?n }}")
    return nodes


def _text(term) -> str:
    return term.value if hasattr(term, "value") else str(term)


def evaluate(view, shapes: Graph, constraints: list[Constraint]) -> list[Result]:
    """Run every constraint against ``view`` (:class:`plankg.build.validate.DataView`: the data graph
    in a pyoxigraph Store)."""
    if not constraints:
        return []
    from pyoxigraph import Variable

    this = Variable("this")
    results = []
    for c in constraints:
        for focus in sorted(_focus_nodes(shapes, c.shape, view), key=str):
            solutions = view.query(c.query, substitutions={this: focus})
            variables = solutions.variables
            for row in solutions:
                bindings = {v.value: row[v] for v in variables if row[v] is not None}
                results.append(Result(
                    severity=c.severity,
                    focus=_text(focus),
                    path=_text(bindings["path"]) if "path" in bindings else None,
                    value=_text(bindings["value"]) if "value" in bindings else _text(focus),  # SHACL §5.3.2
                    message=_render(c.message, bindings, focus) if c.message else f"SPARQL constraint <{c.constraint}> failed",
                    shape=str(c.shape),
                    component="SPARQLConstraintComponent",
                ))
    return results


def _render(template: str, bindings: dict, focus) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        term = focus if name == "this" else bindings.get(name)
        return _text(term) if term is not None else m.group(0)

    return TEMPLATE_VAR.sub(sub, template)
