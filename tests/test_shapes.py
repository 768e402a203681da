"""SHACL shapes: well-formed (SHACL-for-SHACL), satisfied by a valid hand-written plan graph, and
violated, in the expected way, by each small broken graph of tests/data/shapes/invalid/.

Validation here is what production validation must be: data graph = plan graph + vocabularies +
ontology, shapes = every file of shapes/, no inference (sh:class works through the ontology's
rdfs:subClassOf triples, which are in the data graph).

An invalid case is a small graph *added* to the valid example (so it breaks one thing in an
otherwise valid plan) and declares, in comment lines of its own file, every result it produces.
The valid example is the plan excerpt unless the case names another one of valid/ in a line
``# base: <file name>`` (the budget cases use the budget excerpt).

    # expect: <component> <focus> [path=<path>] [constraint=<IRI>] [severity=<severity>]

<component> and <severity> are sh: names (severity defaults to sh:Violation); <focus> is an IRI
relative to the id base in angle brackets, a quoted plain literal, or - (a blank node); <path> is
a CURIE, ^CURIE (inverse path) or "complex"; <constraint> the CURIE of a SPARQL constraint. Each
expect line must match a result and each result must match an expect line.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

# ------------------------------------------------------------------------------------------------
# The files that make up validation: the one place to change when a file is added.
# ------------------------------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/plankg/id/"
ONTOLOGY = ROOT / "ontology" / "plankg.ttl"
VOCAB_FILES = [
    ROOT / "ontology" / "vocab" / "alignment-methods.ttl",
    ROOT / "ontology" / "vocab" / "budget-functions.ttl",
    ROOT / "ontology" / "vocab" / "law-legal-basis.ttl",
    ROOT / "ontology" / "vocab" / "law-types.ttl",
    ROOT / "ontology" / "vocab" / "laws.ttl",
    ROOT / "ontology" / "vocab" / "organisations.ttl",
    ROOT / "ontology" / "vocab" / "plan-categories.ttl",
    ROOT / "ontology" / "vocab" / "policy-domains.ttl",
    ROOT / "ontology" / "vocab" / "search-synonyms.ttl",
    ROOT / "ontology" / "vocab" / "target-groups.ttl",
]
MAPPING_FILES = [
    ROOT / "ontology" / "mappings" / "budget-agencies.ttl",
    ROOT / "ontology" / "mappings" / "law-short-forms.ttl",
    ROOT / "ontology" / "mappings" / "mol-108-work-plans.ttl",
]
SHAPES_FILES = [
    ROOT / "shapes" / "laws.ttl",
    ROOT / "shapes" / "structure.ttl",
    ROOT / "shapes" / "vocabulary.ttl",
    ROOT / "shapes" / "links.ttl",
    ROOT / "shapes" / "budget.ttl",
    ROOT / "shapes" / "alignment.ttl",
]
DATA_DIR = Path(__file__).resolve().parent / "data" / "shapes"
VALID_CASES = sorted((DATA_DIR / "valid").glob("*.ttl"))
INVALID_CASES = sorted((DATA_DIR / "invalid").glob("*.ttl"))
VALID_BASE = DATA_DIR / "valid" / "mol-108-excerpt.ttl"  # every invalid case is added to it …
BASE_LINE = re.compile(r"^#\s*base:\s*(\S+)\s*$", re.M)  # … unless it names another valid example


def base_of(case: Path) -> Path:
    """The valid example an invalid case is added to."""
    m = BASE_LINE.search(case.read_text(encoding="utf-8"))
    return DATA_DIR / "valid" / m.group(1) if m else VALID_BASE

SHACL_SHACL = Path(pyshacl.__file__).resolve().parent / "assets" / "shacl-shacl.ttl"

PLAN = Namespace("https://w3id.org/plankg/ontology#")
PLANSH = Namespace("https://w3id.org/plankg/shapes#")
PREFIXES = {
    "sh": str(SH), "plan": str(PLAN), "plansh": str(PLANSH), "rdfs": str(RDFS), "rdf": str(RDF),
    "dct": "http://purl.org/dc/terms/", "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#", "org": "http://www.w3.org/ns/org#",
    "eli": "http://data.europa.eu/eli/ontology#", "owl": "http://www.w3.org/2002/07/owl#",
    "spdx": "http://spdx.org/rdf/terms#",
}  # fmt: skip


def test_file_lists_are_complete() -> None:
    """The lists above name every Turtle file of the folders they cover."""
    assert sorted(VOCAB_FILES) == sorted((ROOT / "ontology" / "vocab").glob("*.ttl"))
    assert sorted(MAPPING_FILES) == sorted((ROOT / "ontology" / "mappings").glob("*.ttl"))
    assert sorted(SHAPES_FILES) == sorted((ROOT / "shapes").glob("*.ttl"))


# ------------------------------------------------------------------------------------------------
# Validation helper
# ------------------------------------------------------------------------------------------------


def load(*paths: Path) -> Graph:
    g = Graph()
    for path in paths:
        g.parse(path, format="turtle", publicID=BASE)
    return g


@functools.cache
def shapes_graph() -> Graph:
    return load(*SHAPES_FILES)


@functools.cache
def context_graph() -> Graph:
    """Ontology + vocabularies: what every plan graph is validated with."""
    return load(ONTOLOGY, *VOCAB_FILES)


@dataclass(frozen=True)
class Result:
    component: URIRef
    focus: object
    path: str | None  # CURIE-ish: plan:category, ^plan:hasGoal
    severity: URIRef
    constraint: URIRef | BNode | None
    message: str


def curie(iri: URIRef) -> str:
    for prefix, ns in PREFIXES.items():
        if str(iri).startswith(ns):
            return f"{prefix}:{str(iri)[len(ns):]}"
    return str(iri)


def describe_path(path, graphs: tuple[Graph, ...]) -> str | None:
    if path is None:
        return None
    if isinstance(path, URIRef):
        return curie(path)
    for g in graphs:
        inverse = g.value(path, SH.inversePath)
        if inverse is not None:
            return "^" + curie(inverse)
    return "complex"


def validate(data: Graph) -> tuple[bool, list[Result]]:
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes_graph(), inference="none", allow_warnings=False
    )
    results = []
    # top-level results only: nested ones (sh:detail of sh:node / sh:or) explain a top-level one
    for r in report.objects(None, SH.result):
        results.append(
            Result(
                component=report.value(r, SH.sourceConstraintComponent),
                focus=report.value(r, SH.focusNode),
                path=describe_path(report.value(r, SH.resultPath), (report, shapes_graph())),
                severity=report.value(r, SH.resultSeverity),
                constraint=report.value(r, SH.sourceConstraint),
                message=" ".join(str(m) for m in report.objects(r, SH.resultMessage)),
            )
        )
    return conforms, results


def validate_plan(*plan_files: Path, with_context: bool = True) -> tuple[bool, list[Result]]:
    data = Graph()
    if with_context:
        data += context_graph()
    for path in plan_files:
        data.parse(path, format="turtle", publicID=BASE)
    return validate(data)


# ------------------------------------------------------------------------------------------------
# (a) the shapes are well-formed SHACL
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHAPES_FILES, ids=lambda p: p.name)
def test_shapes_conform_to_shacl_for_shacl(path: Path) -> None:
    conforms, _, text = pyshacl.validate(load(path), shacl_graph=load(SHACL_SHACL), inference="none")
    assert conforms, text


def test_all_shapes_together_pass_pyshacl_meta_validation() -> None:
    conforms, _, text = pyshacl.validate(Graph(), shacl_graph=shapes_graph(), meta_shacl=True, inference="none")
    assert conforms, text


MALFORMED_SHAPE = """
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix plan: <https://w3id.org/plankg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://example.org/BadShape> a sh:NodeShape ;
    sh:targetClass plan:Goal ;
    sh:property [ sh:path rdfs:label , plan:ordinal ; sh:minCount "one" ] .
"""


def test_shacl_for_shacl_rejects_a_malformed_shape() -> None:
    bad = Graph().parse(data=MALFORMED_SHAPE, format="turtle")
    conforms, report, _ = pyshacl.validate(bad, shacl_graph=load(SHACL_SHACL), inference="none")
    assert not conforms
    components = set(report.objects(None, SH.sourceConstraintComponent))
    assert SH.DatatypeConstraintComponent in components  # sh:minCount "one"
    assert SH.MaxCountConstraintComponent in components  # two sh:path values


def test_every_shape_is_labelled() -> None:
    g = shapes_graph()
    shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    shapes |= set(g.objects(None, SH.property)) | set(g.objects(None, SH.sparql))
    unlabelled = [s for s in shapes if g.value(s, RDFS.label) is None and g.value(s, SH.name) is None]
    assert not unlabelled, unlabelled


# ------------------------------------------------------------------------------------------------
# (b) valid graphs conform
# ------------------------------------------------------------------------------------------------


def test_vocabularies_and_mappings_conform_on_their_own() -> None:
    data = context_graph() + load(*MAPPING_FILES)
    conforms, results = validate(data)
    assert conforms and not results, results


@pytest.mark.parametrize("path", VALID_CASES, ids=lambda p: p.stem)
def test_valid_plan_graph_conforms(path: Path, record_property) -> None:
    start = time.perf_counter()
    conforms, results = validate_plan(path)
    seconds = time.perf_counter() - start
    record_property("validation_seconds", round(seconds, 2))
    assert conforms and not results, results
    assert seconds < 10, f"validation took {seconds:.1f} s"


def test_sh_class_needs_the_ontology_in_the_data_graph() -> None:
    """The valid example cites a plan:DraftLaw; it is a plan:Law only through rdfs:subClassOf in the
    ontology. Without the ontology (vocabularies only) that sh:class check fails: no inference is
    done, the ontology's triples are what makes it pass."""
    data = load(*VOCAB_FILES, VALID_BASE)
    conforms, results = validate(data)
    assert not conforms
    assert any(
        r.component == SH.ClassConstraintComponent and r.path == "plan:citesLaw" for r in results
    ), results


# ------------------------------------------------------------------------------------------------
# (c) each broken graph fails as its expect lines say
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    component: URIRef
    focus: object  # URIRef, Literal or None (any)
    path: str | None
    constraint: URIRef | None
    severity: URIRef

    def matches(self, r: Result) -> bool:
        return (
            r.component == self.component
            and (isinstance(r.focus, BNode) if self.focus is None else r.focus == self.focus)
            and (self.path is None or r.path == self.path)
            and (self.constraint is None or r.constraint == self.constraint)
            and r.severity == self.severity
        )


def expand(token: str) -> URIRef:
    prefix, _, local = token.partition(":")
    return URIRef(PREFIXES[prefix] + local)


EXPECT = re.compile(r"^#\s*expect:\s*(\S+)\s+(<[^>]*>|\"[^\"]*\"|-)((?:\s+\w+=\S+)*)\s*$")


def expectations(path: Path) -> list[Expectation]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#") or "expect:" not in line:
            continue
        m = EXPECT.match(line)
        assert m, f"{path.name}: malformed expect line: {line}"
        component, focus_token, options = m.groups()
        if focus_token == "-":
            focus = None
        elif focus_token.startswith("<"):
            focus = URIRef(BASE + focus_token[1:-1])
        else:
            focus = Literal(focus_token[1:-1])
        opts = dict(o.split("=", 1) for o in options.split())
        assert set(opts) <= {"path", "constraint", "severity"}, opts
        found.append(
            Expectation(
                component=expand(component),
                focus=focus,
                path=opts.get("path"),
                constraint=expand(opts["constraint"]) if "constraint" in opts else None,
                severity=expand(opts.get("severity", "sh:Violation")),
            )
        )
    return found


@pytest.mark.parametrize("path", INVALID_CASES, ids=lambda p: p.stem)
def test_invalid_case_fails_as_expected(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no expect line"
    conforms, results = validate_plan(base_of(path), path)
    assert results
    if any(e.severity == SH.Violation for e in expected):
        assert not conforms
    missing = [e for e in expected if not any(e.matches(r) for r in results)]
    unexpected = [r for r in results if not any(e.matches(r) for e in expected)]
    assert not missing and not unexpected, "\n".join(
        [f"missing: {e}" for e in missing]
        + [f"unexpected: {curie(r.component)} {r.focus} {r.path} {r.constraint} {curie(r.severity)} {r.message}"
           for r in unexpected]
    )


def test_invalid_cases_cover_every_constraint_component_used() -> None:
    """At least one broken graph per kind of constraint the shapes use, and per SPARQL constraint."""
    g = shapes_graph()
    parameter_to_component = {
        SH.minCount: SH.MinCountConstraintComponent, SH.maxCount: SH.MaxCountConstraintComponent,
        SH.datatype: SH.DatatypeConstraintComponent, SH.languageIn: SH.LanguageInConstraintComponent,
        SH.uniqueLang: SH.UniqueLangConstraintComponent, SH["class"]: SH.ClassConstraintComponent,
        SH["in"]: SH.InConstraintComponent, SH.pattern: SH.PatternConstraintComponent,
        SH.minInclusive: SH.MinInclusiveConstraintComponent, SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
        SH.nodeKind: SH.NodeKindConstraintComponent,
        SH.equals: SH.EqualsConstraintComponent, SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
        SH.hasValue: SH.HasValueConstraintComponent, SH.qualifiedMinCount: SH.QualifiedMinCountConstraintComponent,
        SH.qualifiedMaxCount: SH.QualifiedMaxCountConstraintComponent, SH["or"]: SH.OrConstraintComponent,
        SH.node: SH.NodeConstraintComponent, SH.minLength: SH.MinLengthConstraintComponent,
        SH.sparql: SH.SPARQLConstraintComponent,
    }  # fmt: skip
    used = {c for p, c in parameter_to_component.items() if any(True for _ in g.subject_objects(p))}
    unknown = {p for _, p, _ in g if str(p).startswith(str(SH))} - set(parameter_to_component) - {
        SH.path, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.property, SH.message,
        SH.severity, SH.select, SH.prefixes, SH.declare, SH.prefix, SH.namespace, SH.qualifiedValueShape,
        SH.inversePath, SH.alternativePath,
    }  # fmt: skip
    assert not unknown, f"map these parameters to components: {unknown}"
    covered = {e.component for path in INVALID_CASES for e in expectations(path)}
    assert used <= covered, sorted(curie(c) for c in used - covered)
    sparql_constraints = {c for c in g.objects(None, SH.sparql) if isinstance(c, URIRef)}
    covered_sparql = {e.constraint for path in INVALID_CASES for e in expectations(path)}
    assert sparql_constraints <= covered_sparql, sorted(curie(c) for c in sparql_constraints - covered_sparql)


# ------------------------------------------------------------------------------------------------
# Translations, disjoint classes, fiscal years (issue 16): what the shapes let through
# ------------------------------------------------------------------------------------------------

TRANSLATED = """
<mol/108/goal/1> <http://www.w3.org/2000/01/rdf-schema#label> "Diversify vocational training"@en .
<mol/108/goal/2> <http://www.w3.org/2000/01/rdf-schema#label> "Employment services"@en , "雇用サービス"@ja .
"""


def test_a_translated_label_per_language_conforms() -> None:
    """One label per language besides the zh-Hant words as printed: no result."""
    data = context_graph() + load(VALID_BASE)
    data.parse(data=TRANSLATED, format="turtle", publicID=BASE)
    conforms, results = validate(data)
    assert conforms and not results, results


def _rdf_list(g: Graph, head) -> list:
    out = []
    while head is not None and head != RDF.nil:
        out.append(g.value(head, RDF.first))
        head = g.value(head, RDF.rest)
    return out


def test_disjoint_class_shapes_repeat_the_ontology() -> None:
    """Each owl:AllDisjointClasses of the ontology has a shape whose targets and sh:in list are its members."""
    OWL = Namespace("http://www.w3.org/2002/07/owl#")
    onto, shapes = load(ONTOLOGY), shapes_graph()
    declared = {frozenset(_rdf_list(onto, onto.value(d, OWL.members)))
                for d in onto.subjects(RDF.type, OWL.AllDisjointClasses)}
    in_shapes = set()
    for prop in shapes.subjects(SH.path, RDF.type):
        qualified = shapes.value(prop, SH.qualifiedValueShape)
        members = frozenset(_rdf_list(shapes, shapes.value(qualified, SH["in"]))) if qualified else frozenset()
        shape = next(shapes.subjects(SH.property, prop))
        assert set(shapes.objects(shape, SH.targetClass)) == members, shape
        in_shapes.add(members)
    assert declared == in_shapes and len(declared) == 2


def test_a_well_formed_fiscal_year_conforms_and_an_ill_typed_one_does_not() -> None:
    plan = URIRef(BASE + "mol/108")
    fiscal_year = URIRef("https://w3id.org/plankg/ontology#fiscalYear")
    data = context_graph() + load(VALID_BASE)
    assert data.value(plan, fiscal_year) == Literal("2019", datatype=XSD.gYear)
    assert validate(data)[0]
    data.set((plan, fiscal_year, Literal("FY2019", datatype=XSD.gYear)))
    conforms, results = validate(data)
    assert not conforms and {(curie(r.component), r.path) for r in results} == {
        ("sh:PatternConstraintComponent", "plan:fiscalYear")}
