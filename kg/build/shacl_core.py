"""SHACL Core shapes compiled to SPARQL, for Oxigraph to evaluate (the build's SHACL engine).

pySHACL walks every focus node in Python; on the law graph (11,547 laws, 100,000 triples) that
took 18 s. Here each constraint of a shape becomes one SPARQL SELECT over all its focus nodes
(``?this``) returning the failing ones (and ``?value``), which Oxigraph answers in milliseconds.
The translation follows SHACL's own definitions: targets (§2.1.3), property paths (§2.3.1 are
SPARQL property paths), value-type, cardinality, value-range, string, property-pair, logical,
shape-based and other components (§4). Shapes referenced by ``sh:node``, ``sh:or`` … become a
boolean SPARQL expression "conforms" (``EXISTS`` patterns), with counts of 0 and 1 only.

A shape that uses anything not translated here (``sh:closed``, counts above one in a nested
shape, property-shape SPARQL …) raises :class:`Unsupported` and is left, whole, to pySHACL;
:func:`compile_shapes` says which. Every expression is wrapped so that an evaluation error
counts as a failure: the engine fails closed. ``tests/test_shacl_core.py`` checks that this
engine and pySHACL report the same results over the shipped fixtures and generated mutations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from plankg.build.shacl_expr import (CASTABLE, NESTING_MAX, PAIRS, TYPE_OF, Expressions, Unsupported, component_name,
                                     short_name, sparql_term)


@dataclass(frozen=True)
class Check:
    """One constraint as a query; each solution (``?this``, maybe ``?value``) is one result."""

    shape: str  # the shape that declares the constraint
    focus: str  # the group pattern binding ?this to the focus nodes of the targeted shape
    component: str  # e.g. "MinCountConstraintComponent"
    query: str
    path: URIRef | None  # the result path when it is a predicate
    message: str | None
    severity: str  # Violation, Warning, Info

    def owned(self, graph: str) -> tuple[str, str]:
        """The focus and the query with ``?this`` only the subjects of the named graph ``graph``
        (a SPARQL IRI, ``<...>``), which the query must be given as a named graph."""
        focus = owned_focus(self.focus, graph)
        return focus, self.query.replace(self.focus, focus)


def owned_focus(focus: str, graph: str) -> str:
    """``focus`` (:meth:`_Compiler._focus`) keeping the nodes that are subjects in ``graph``."""
    if not focus.endswith(" } }"):
        raise ValueError(f"not a focus pattern of this compiler: {focus}")
    return focus[: -len(" } }")] + f" FILTER EXISTS {{ GRAPH {graph} {{ ?this ?owned_p ?owned_o }} }} }} }}"


@dataclass
class CompiledShapes:
    checks: list[Check] = field(default_factory=list)
    compiled: list[str] = field(default_factory=list)  # the shapes with targets translated here
    left: dict[str, str] = field(default_factory=dict)  # shape → why pySHACL validates it
    rest: Graph = field(default_factory=Graph)  # the shapes graph without the compiled shapes' targets


TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Every shape with a target, translated, or left to pySHACL with the reason (see module doc).
    SPARQL-based constraints of node shapes are not checks here (:mod:`plankg.build.shacl_sparql`)."""
    out = CompiledShapes()
    for triple in shapes:
        out.rest.add(triple)
    roots = sorted({s for t in TARGETS for s in shapes.subjects(t, None)} | _implicit_class_targets(shapes), key=str)
    for shape in roots:
        try:
            checks = _Compiler(shapes).top(shape)
        except Unsupported as why:
            out.left[str(shape)] = str(why)
            continue
        out.checks.extend(checks)
        out.compiled.append(str(shape))
        for t in TARGETS:
            out.rest.remove((shape, t, None))
    return out


def _implicit_class_targets(shapes: Graph) -> set:
    shape_types = (SH.NodeShape, SH.PropertyShape)
    return {s for t in shape_types for s in shapes.subjects(RDF.type, t)
            if (s, RDF.type, RDFS.Class) in shapes or (s, RDF.type, OWL.Class) in shapes}


class _Compiler(Expressions):
    """One query per constraint of a shape with targets (value tests: :class:`Expressions`)."""

    # -- top level: one query per constraint ------------------------------------------------
    def top(self, shape) -> list[Check]:
        if self._off(shape):
            return []
        if (shape, RDF.type, RDFS.Class) in self.g or (shape, RDF.type, OWL.Class) in self.g:
            raise Unsupported(f"{short_name(shape)}: an implicit class target")  # its type cannot be dropped for pySHACL
        self._known(shape)
        focus = self._focus(shape)
        checks = []
        if (shape, SH.path, None) in self.g:
            checks += self._property_checks(shape, focus)
        else:
            checks += self._node_checks(shape, focus)
            for prop in sorted(self.g.objects(shape, SH.property), key=str):
                if not self._off(prop):
                    self._known(prop)
                    checks += self._property_checks(prop, focus)
        return checks

    def _focus(self, shape) -> str:
        parts = [f"{{ ?this {TYPE_OF} {sparql_term(c)} }}" for c in self._sorted(shape, SH.targetClass)]
        parts += [f"{{ VALUES ?this {{ {sparql_term(n)} }} }}" for n in self._sorted(shape, SH.targetNode)]
        parts += [f"{{ ?this {sparql_term(p)} [] }}" for p in self._sorted(shape, SH.targetSubjectsOf)]
        parts += [f"{{ [] {sparql_term(p)} ?this }}" for p in self._sorted(shape, SH.targetObjectsOf)]
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }"

    def _node_checks(self, shape, focus: str) -> list[Check]:
        checks = []
        for component, ok in self._value_tests(shape, "?this", 0):
            checks.append(self._check(shape, component, None,
                                      f"SELECT ?this (?this AS ?value) WHERE {{ {focus} FILTER(!{ok}) }}", focus))
        for value in self._sorted(shape, SH.hasValue):
            checks.append(self._check(shape, "HasValueConstraintComponent", None,
                                      f"SELECT ?this WHERE {{ {focus} FILTER(!sameTerm(?this, {sparql_term(value)})) }}", focus))
        if any((shape, p, None) in self.g for p in (*PAIRS, SH.minCount, SH.maxCount, SH.uniqueLang,
                                                     SH.qualifiedValueShape)):
            raise Unsupported(f"{short_name(shape)}: property-pair or count parameters on a node shape")
        return checks

    def _property_checks(self, prop, focus: str) -> list[Check]:
        path = self._path(self.g.value(prop, SH.path))
        pred = self.g.value(prop, SH.path) if isinstance(self.g.value(prop, SH.path), URIRef) else None
        values = f"{focus} ?this {path} ?value ."
        checks = []

        def add(component: str, query: str) -> None:
            checks.append(self._check(prop, component, pred, query, focus))

        for component, ok in self._value_tests(prop, "?value", 0):
            add(component, f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER(!{ok}) }}")
        if (n := self._int(prop, SH.minCount)) is not None and n > 0:
            add("MinCountConstraintComponent", f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value }} }} "
                                               f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {n})")
        if (n := self._int(prop, SH.maxCount)) is not None:
            add("MaxCountConstraintComponent", f"SELECT ?this WHERE {{ {values} }} "
                                               f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {n})")
        for value in self._sorted(prop, SH.hasValue):
            add("HasValueConstraintComponent",
                f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} {sparql_term(value)} }} }}")
        if self.g.value(prop, SH.uniqueLang) == Literal(True):
            add("UniqueLangConstraintComponent",
                f"SELECT ?this WHERE {{ {values} FILTER(lang(?value) != \"\") }} "
                f"GROUP BY ?this (LCASE(lang(?value)) AS ?lang) HAVING (COUNT(DISTINCT ?value) > 1)")
        for q in self._sorted(prop, SH.qualifiedValueShape):
            conforms = self._conforms(q, "?value", 1)
            counted = f"{focus} OPTIONAL {{ ?this {path} ?value FILTER({conforms}) }}"
            if (n := self._int(prop, SH.qualifiedMinCount)) is not None:
                add("QualifiedMinCountConstraintComponent",
                    f"SELECT ?this WHERE {{ {counted} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {n})")
            if (n := self._int(prop, SH.qualifiedMaxCount)) is not None:
                add("QualifiedMaxCountConstraintComponent",
                    f"SELECT ?this WHERE {{ {counted} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {n})")
        for pair in PAIRS:
            for other in self._sorted(prop, pair):
                add(component_name(pair), _pair_query(pair, focus, path, sparql_term(other)))
        return checks

    def _check(self, shape, component: str, path, query: str, focus: str) -> Check:
        message = min((str(m) for m in self.g.objects(shape, SH.message)), default=None)
        severity = self.g.value(shape, SH.severity) or SH.Violation
        return Check(str(shape), focus, component, query, path, message, str(severity).rsplit("#", 1)[-1])


def _pair_query(pair, focus: str, path: str, other: str) -> str:
    if pair == SH.equals:
        body = (f"{{ ?this {path} ?value FILTER NOT EXISTS {{ ?this {other} ?value }} }} UNION "
                f"{{ ?this {other} ?value FILTER NOT EXISTS {{ ?this {path} ?value }} }}")
        return f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {body} }}"
    if pair == SH.disjoint:
        return f"SELECT DISTINCT ?this ?value WHERE {{ {focus} ?this {path} ?value . ?this {other} ?value }}"
    op = "<" if pair == SH.lessThan else "<="
    return (f"SELECT DISTINCT ?this ?value WHERE {{ {focus} ?this {path} ?value . ?this {other} ?other "
            f"FILTER(!COALESCE(?value {op} ?other, false)) }}")


__all__ = ["compile_shapes", "CompiledShapes", "Check", "Unsupported", "NESTING_MAX", "CASTABLE"]
