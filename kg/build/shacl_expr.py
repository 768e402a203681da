"""SHACL shapes as SPARQL expressions: the value tests of each constraint component and the
conformance of a value node to a (nested) shape, for :mod:`plankg.build.shacl_core`.

``_value_tests`` gives, per constraint component of a shape, a boolean expression over one value
node; ``_conforms`` gives "the node conforms to this shape" for shapes referenced by ``sh:node``,
``sh:or`` …, with ``EXISTS`` patterns for their property shapes (counts of 0 and 1 only). What
cannot be stated so raises :class:`Unsupported`. Every test is wrapped in ``COALESCE(…, false)``:
an evaluation error counts as a failure.
"""

from __future__ import annotations

import itertools

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

TYPE_OF = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
VALUE_SLOT = "?_slot"  # stands for the value node in a condition, replaced before use
NESTING_MAX = 8  # sh:node / sh:or … depth translated; deeper shapes go to pySHACL
CASTABLE = frozenset(XSD[n] for n in (  # datatypes whose lexical form Oxigraph checks by casting
    "boolean", "integer", "decimal", "double", "float", "date", "dateTime", "time", "gYear", "duration"))
NODE_KINDS = {
    SH.IRI: "isIRI({x})", SH.BlankNode: "isBlank({x})", SH.Literal: "isLiteral({x})",
    SH.BlankNodeOrIRI: "!isLiteral({x})", SH.BlankNodeOrLiteral: "!isIRI({x})", SH.IRIOrLiteral: "!isBlank({x})",
}
COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
PAIRS = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)
HANDLED = {  # every shape parameter the compiler reads; any other sh: term in a shape is Unsupported
    SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.property, SH.path, SH.message,
    SH.severity, SH.deactivated, SH["class"], SH.datatype, SH.nodeKind, SH.pattern, SH.flags, SH.languageIn,
    SH["in"], SH.minLength, SH.maxLength, SH.hasValue, SH.node, SH["or"], SH["and"], SH["not"], SH.xone,
    SH.minCount, SH.maxCount, SH.uniqueLang, SH.qualifiedValueShape, SH.qualifiedMinCount,
    SH.qualifiedMaxCount, SH.name, SH.description, SH.order, SH.group, SH.defaultValue, SH.sparql,
    *COMPARISONS, *PAIRS}


class Unsupported(Exception):
    """A shape uses something this compiler does not translate: pySHACL validates that shape."""


class Expressions:
    """Translates the shapes of one shapes graph; fresh variable names per instance."""

    def __init__(self, shapes: Graph):
        self.g = shapes
        self.names = (f"?v{n}" for n in itertools.count())

    # -- value tests: a boolean SPARQL expression per component, for one value node x ------
    def _value_tests(self, shape, x: str, depth: int) -> list[tuple[str, str]]:
        g, tests = self.g, []
        for cls in self._sorted(shape, SH["class"]):
            tests.append(("ClassConstraintComponent", f"EXISTS {{ {x} {TYPE_OF} {sparql_term(cls)} }}"))
        if (dt := g.value(shape, SH.datatype)) is not None:
            test = f"isLiteral({x}) && datatype({x}) = {sparql_term(dt)}"
            if dt in CASTABLE:
                test += f" && isLiteral({sparql_term(dt)}(STR({x})))"
            tests.append(("DatatypeConstraintComponent", test))
        if (kind := g.value(shape, SH.nodeKind)) is not None:
            if kind not in NODE_KINDS:
                raise Unsupported(f"{short_name(shape)}: sh:nodeKind {kind}")
            tests.append(("NodeKindConstraintComponent", NODE_KINDS[kind].format(x=x)))
        for pattern in self._sorted(shape, SH.pattern):
            flags = g.value(shape, SH.flags)
            args = f"{_string(str(pattern))}, {_string(str(flags))}" if flags else _string(str(pattern))
            tests.append(("PatternConstraintComponent", f"!isBlank({x}) && REGEX(STR({x}), {args})"))
        for langs in self._sorted(shape, SH.languageIn):
            alts = " || ".join(f"langMatches(lang({x}), {_string(str(t))})" for t in self._list(langs)) or "false"
            tests.append(("LanguageInConstraintComponent", f"isLiteral({x}) && ({alts})"))
        for members in self._sorted(shape, SH["in"]):
            alts = " || ".join(f"sameTerm({x}, {sparql_term(t)})" for t in self._list(members)) or "false"
            tests.append(("InConstraintComponent", alts))
        for param, op, name in ((SH.minLength, ">=", "MinLength"), (SH.maxLength, "<=", "MaxLength")):
            if (n := self._int(shape, param)) is not None:
                tests.append((f"{name}ConstraintComponent", f"!isBlank({x}) && STRLEN(STR({x})) {op} {n}"))
        for param, op in COMPARISONS.items():
            for bound in self._sorted(shape, param):
                tests.append((component_name(param), f"{x} {op} {sparql_term(bound)}"))
        for node in self._sorted(shape, SH.node):
            tests.append(("NodeConstraintComponent", self._conforms(node, x, depth + 1)))
        for param, join in ((SH["or"], " || "), (SH["and"], " && ")):
            for members in self._sorted(shape, param):
                parts = [self._conforms(s, x, depth + 1) for s in self._list(members)]
                tests.append((component_name(param), join.join(f"({p})" for p in parts) or "true"))
        for negated in self._sorted(shape, SH["not"]):
            tests.append(("NotConstraintComponent", f"!({self._conforms(negated, x, depth + 1)})"))
        for members in self._sorted(shape, SH.xone):
            ones = " + ".join(f"IF({self._conforms(s, x, depth + 1)}, 1, 0)" for s in self._list(members)) or "0"
            tests.append(("XoneConstraintComponent", f"({ones}) = 1"))
        return [(component, f"COALESCE({test}, false)") for component, test in tests]

    # -- conformance of a value node to a (nested) shape, as one expression ------------------
    def _conforms(self, shape, x: str, depth: int) -> str:
        if depth > NESTING_MAX:
            raise Unsupported(f"{short_name(shape)}: shapes nested deeper than {NESTING_MAX}")
        if self._off(shape):
            return "true"
        self._known(shape)
        if (shape, SH.path, None) in self.g:  # a property shape used as a node's shape
            return self._property_conforms(shape, x, depth)
        if any((shape, p, None) in self.g for p in (*PAIRS, SH.sparql)):
            raise Unsupported(f"{short_name(shape)}: property pairs or SPARQL in a nested shape")
        parts = [ok for _, ok in self._value_tests(shape, x, depth)]
        parts += [f"sameTerm({x}, {sparql_term(v)})" for v in self._sorted(shape, SH.hasValue)]
        for prop in self._sorted(shape, SH.property):
            if not self._off(prop):
                self._known(prop)
                parts.append(self._property_conforms(prop, x, depth))
        return " && ".join(f"({p})" for p in parts) or "true"

    def _property_conforms(self, prop, x: str, depth: int) -> str:
        if any((prop, p, None) in self.g for p in (*PAIRS, SH.sparql, SH.uniqueLang)):
            raise Unsupported(f"{short_name(prop)}: property pairs, sh:uniqueLang or SPARQL in a nested shape")
        path, v, a, b = self._path(self.g.value(prop, SH.path)), next(self.names), next(self.names), next(self.names)
        parts = []
        oks = [ok for _, ok in self._value_tests(prop, v, depth)]
        if oks:
            parts.append(f"NOT EXISTS {{ {x} {path} {v} FILTER(!({' && '.join(oks)})) }}")
        parts += [f"EXISTS {{ {x} {path} {sparql_term(val)} }}" for val in self._sorted(prop, SH.hasValue)]
        parts += _counted(self._int(prop, SH.minCount), self._int(prop, SH.maxCount), x, path, v, a, b, "true")
        for q in self._sorted(prop, SH.qualifiedValueShape):
            cond = self._conforms(q, VALUE_SLOT, depth + 1)
            parts += _counted(self._int(prop, SH.qualifiedMinCount), self._int(prop, SH.qualifiedMaxCount),
                              x, path, v, a, b, cond)
        return " && ".join(f"({p})" for p in parts) or "true"

    # -- shapes-graph helpers ---------------------------------------------------------------
    def _path(self, node) -> str:
        g = self.g
        if isinstance(node, URIRef):
            return sparql_term(node)
        if node is None:
            raise Unsupported("a property shape without sh:path")
        if (node, RDF.first, None) in g:
            return "(" + "/".join(self._path(p) for p in self._list(node)) + ")"
        for param, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"), (SH.oneOrMorePath, "{}+"),
                           (SH.zeroOrOnePath, "{}?")):
            if (inner := g.value(node, param)) is not None:
                return "(" + fmt.format(self._path(inner)) + ")"
        if (alts := g.value(node, SH.alternativePath)) is not None:
            return "(" + "|".join(self._path(p) for p in self._list(alts)) + ")"
        raise Unsupported(f"an unknown path form {node!r}")

    def _known(self, shape) -> None:
        unknown = {p for p in self.g.predicates(shape, None) if str(p).startswith(str(SH)) and p not in HANDLED}
        if unknown:
            raise Unsupported(f"{short_name(shape)}: {', '.join(sorted(short_name(p) for p in unknown))}")
        if (shape, SH.sparql, None) in self.g and (shape, SH.path, None) in self.g:
            raise Unsupported(f"{short_name(shape)}: SPARQL on a property shape")

    def _off(self, shape) -> bool:
        return self.g.value(shape, SH.deactivated) == Literal(True)

    def _int(self, shape, param) -> int | None:
        value = self.g.value(shape, param)
        if value is None:
            return None
        if not (isinstance(value, Literal) and isinstance(value.toPython(), int)):
            raise Unsupported(f"{short_name(shape)}: {short_name(param)} is not an integer")
        return value.toPython()

    def _list(self, node) -> list:
        return list(Collection(self.g, node))

    def _sorted(self, shape, param) -> list:
        return sorted(self.g.objects(shape, param), key=str)


def _counted(low: int | None, high: int | None, x: str, path: str, v: str, a: str, b: str, cond: str) -> list[str]:
    """"``x`` has at least ``low`` / at most ``high`` values on ``path`` that meet ``cond``" for the
    counts an EXISTS can state (0 and 1). ``cond`` names its value node :data:`VALUE_SLOT`."""
    parts = []
    if low is not None and low > 1 or high is not None and high > 1:
        raise Unsupported("a count above one in a nested shape")
    if low == 1:
        parts.append(f"EXISTS {{ {x} {path} {v} FILTER({cond.replace(VALUE_SLOT, v)}) }}")
    if high == 0:
        parts.append(f"NOT EXISTS {{ {x} {path} {v} FILTER({cond.replace(VALUE_SLOT, v)}) }}")
    elif high == 1:
        parts.append(f"NOT EXISTS {{ {x} {path} {a} . {x} {path} {b} "
                     f"FILTER(!sameTerm({a}, {b}) && ({cond.replace(VALUE_SLOT, a)}) && ({cond.replace(VALUE_SLOT, b)})) }}")
    return parts


def component_name(param: URIRef) -> str:
    local = str(param).rsplit("#", 1)[-1]
    return local[0].upper() + local[1:] + "ConstraintComponent"


def sparql_term(term) -> str:
    if isinstance(term, BNode):
        raise Unsupported("a blank node as a constraint parameter")
    return term.n3()


def _string(text: str) -> str:
    return Literal(text).n3()


def short_name(term) -> str:
    return str(term).rsplit("#", 1)[-1] if isinstance(term, URIRef) else "a blank-node shape"


__all__ = ["Expressions", "Unsupported", "TYPE_OF", "VALUE_SLOT", "NESTING_MAX", "CASTABLE", "PAIRS", "component_name",
           "sparql_term", "short_name"]
