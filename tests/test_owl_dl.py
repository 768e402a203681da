"""The ontology is OWL 2 DL: a structural check in Python, and HermiT (shipped by owlready2) loads
the ontology with a plan graph and finds it consistent.

Why HermiT: it implements exactly the OWL 2 datatype map and refuses an ontology that uses any
other datatype (the reported problem was ``rdfs:range xsd:gYear``), it needs only Java (Debian's
``default-jre-headless``, see scripts/setup-ui.py java) and owlready2 is on PyPI. The structural
checks below cover what HermiT would accept silently: reserved IRIs declared as datatypes, and
an owl:inverseOf axiom of ours on DCMI's terms.

The data keeps ``xsd:gYear`` (plan:fiscalYear) and, in the law graph, ``xsd:date`` literals, which
SPARQL users rely on; those literals are outside OWL 2 DL, so the sample given to the reasoner is
a plan graph without them (and a test checks that they are the only such literals).
"""

from __future__ import annotations

import functools
import shutil

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from test_ontology import ONTOLOGY, graph_of, ontology

BASE = "https://w3id.org/plankg/id/"
RDF_PLAIN = (RDF.PlainLiteral, RDF.XMLLiteral, RDFS.Literal, RDF.langString)
# OWL 2 Structural Specification, 4 (Datatype Maps), plus owl:real and owl:rational
DATATYPE_MAP = set(RDF_PLAIN) | {OWL.real, OWL.rational} | {XSD[n] for n in (
    "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int "
    "short byte unsignedLong unsignedInt unsignedShort unsignedByte double float string "
    "normalizedString token language Name NCName NMTOKEN boolean hexBinary base64Binary anyURI "
    "dateTime dateTimeStamp").split()}
OUTSIDE_DL_IN_DATA = {XSD.gYear, XSD.date}  # kept in the data on purpose (docs/data-model.md)


@functools.cache
def plan_graph() -> Graph:
    from plankg.build.pipeline import compile_plans, read_inputs

    return compile_plans(read_inputs(None), BASE).mapped[0].graph


def _datatypes(g: Graph) -> set[URIRef]:
    return {o.datatype for o in g.objects() if isinstance(o, Literal) and o.datatype is not None}


def test_ontology_uses_only_datatypes_of_the_owl2_datatype_map() -> None:
    g = ontology()
    ranges = {r for p in g.subjects(RDF.type, OWL.DatatypeProperty) for r in g.objects(p, RDFS.range)}
    assert ranges <= DATATYPE_MAP, sorted(ranges - DATATYPE_MAP)
    assert _datatypes(g) <= DATATYPE_MAP, sorted(_datatypes(g) - DATATYPE_MAP)
    declared = set(g.subjects(RDF.type, RDFS.Datatype))
    assert not {d for d in declared if str(d).startswith((str(XSD), str(RDF), str(RDFS), str(OWL)))}, \
        "reserved IRIs may not be declared as datatypes in OWL 2 DL"


def test_no_property_is_punned() -> None:
    """OWL 2 DL: an IRI is at most one of object, datatype and annotation property."""
    g = ontology()
    kinds = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    seen: dict = {}
    for kind in kinds:
        for p in g.subjects(RDF.type, kind):
            seen.setdefault(p, set()).add(kind)
    assert not {p: k for p, k in seen.items() if len(k) > 1}


def test_no_axiom_of_ours_on_dcmi_terms() -> None:
    g = ontology()
    dcmi = [(s, p, o) for s, p, o in g if str(s).startswith(str(DCTERMS)) and p in (OWL.inverseOf, RDFS.subPropertyOf)]
    assert not dcmi, dcmi


def test_data_leaves_the_datatype_map_only_with_gyear_and_date() -> None:
    outside = _datatypes(plan_graph()) - DATATYPE_MAP
    assert outside == {XSD.gYear}, outside  # plan:fiscalYear; the law graph has xsd:date
    assert outside <= OUTSIDE_DL_IN_DATA


def _java_missing() -> str | None:
    if shutil.which("java") is None:
        return "java is not installed (python3 scripts/setup-ui.py java)"
    try:
        import owlready2
        del owlready2
    except ImportError:
        return "owlready2 is not installed (pip install -e '.[test]')"
    return None


@pytest.mark.skipif(_java_missing() is not None, reason=str(_java_missing()))
def test_hermit_finds_ontology_and_a_plan_consistent(tmp_path) -> None:
    import owlready2

    g = Graph()
    g += graph_of(ONTOLOGY)
    g += Graph().parse(ONTOLOGY.parent / "vocab" / "organisations.ttl", publicID=BASE)
    for s, p, o in plan_graph():
        if not (isinstance(o, Literal) and o.datatype in OUTSIDE_DL_IN_DATA):
            g.add((s, p, o))
    path = tmp_path / "sample.nt"
    g.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load()
    with onto:  # raises OwlReadyInconsistentOntologyError, or a Java error for a non-DL datatype
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []


@pytest.mark.skipif(_java_missing() is not None, reason=str(_java_missing()))
def test_hermit_refuses_a_gyear_range(tmp_path) -> None:
    """The check can fail: the former range (xsd:gYear) makes HermiT refuse the ontology."""
    import owlready2

    g = Graph()
    g += graph_of(ONTOLOGY)
    g.add((URIRef("https://w3id.org/plankg/ontology#fiscalYear"), RDFS.range, XSD.gYear))
    path = tmp_path / "bad.nt"
    g.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load()
    with pytest.raises(Exception, match="gYear"):
        with onto:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
