"""The ontology, vocabularies and mappings, read from the package's Turtle files.

Vocabularies are data: everything the build needs to know about categories, organisations,
work-plan assignments, target groups and laws is looked up here, never hard-coded.
Files under the id base use relative IRIs and are parsed with the configured base.
"""

from __future__ import annotations

from collections.abc import Mapping

from dataclasses import dataclass, field
from functools import cached_property

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from plankg import resources
from plankg.errors import InputError
from plankg.namespaces import ONTOLOGY_IRI, PLAN, graph_iri

P = lambda name: URIRef(PLAN + name)  # noqa: E731 - tiny local helper
ORG_ORGANIZATION = URIRef("http://www.w3.org/ns/org#Organization")
ZH = "zh-Hant"


def _parse(resource, base: str) -> Graph:
    g = Graph()
    with resource.open("rb") as f:
        g.parse(f, format="turtle", publicID=base)
    return g


@dataclass(frozen=True)
class Term:
    """A string the linker looks for, and what it links to (``target`` None for a stop term).

    ``prop`` is the link a match makes: ``targetGroup``; ``citesLaw`` for a name or form of a law
    (the linker makes it ``reformsLaw`` where the words around ask for it); ``reformsLaw`` for a
    label of a draft law; ``legalBasis`` for a plan:legalBasisTerm.
    """

    text: str
    prop: str  # "targetGroup", "citesLaw", "reformsLaw" or "legalBasis"
    target: str | None


@dataclass(frozen=True)
class BudgetMatch:
    """What the work plan mapping says about the budget work plan of a plan's work plan."""

    code: str  # the budget code
    kind: URIRef | None  # plan:ExactNameMatch or plan:NearNameMatch
    comments: list[Literal]  # why, for a near match


@dataclass
class Vocabularies:
    base: str
    ontology: Graph
    graphs: dict[str, Graph]  # named-graph IRI -> vocabulary graph
    mappings: Graph
    _cache: dict = field(default_factory=dict, repr=False)
    mapping_graphs: dict[str, Graph] = field(default_factory=dict)  # published mappings: graph IRI -> graph
    law_index: object | None = None  # the build's LawIndex: the laws the linker links (None: the curated ones)

    @classmethod
    def load(cls, base: str) -> "Vocabularies":
        ontology = _parse(resources.ontology(), base)
        graphs = {graph_iri(base, "vocab", r.name.removesuffix(".ttl")): _parse(r, base) for r in resources.vocabularies()}
        mappings, published = Graph(), {}
        for r in resources.mappings():
            g = _parse(r, base)
            mappings += g
            if (None, RDF.type, P("WorkPlanAssignment")) in g:  # curated facts of plan graphs cite these records
                published[graph_iri(base, "mapping", r.name.removesuffix(".ttl"))] = g
        return cls(base, ontology, graphs, mappings, mapping_graphs=published)

    @cached_property
    def union(self) -> Graph:
        """All vocabulary graphs in one (for look-ups and as part of the SHACL data graph)."""
        g = Graph()
        for vg in self.graphs.values():
            g += vg
        return g

    def named_graphs(self) -> dict[str, Graph]:
        """Every graph the store holds besides the plans: the ontology, each vocabulary and each
        work plan mapping (:attr:`mapping_graphs`)."""
        return {ONTOLOGY_IRI: self.ontology, **self.graphs, **self.mapping_graphs}

    # --- plan categories -------------------------------------------------------------
    @cached_property
    def categories(self) -> dict[str, URIRef]:
        """zh-Hant label -> concept IRI of every plan:PlanCategory."""
        out = {}
        for c in self.union.subjects(RDF.type, P("PlanCategory")):
            for label in self.union.objects(c, SKOS.prefLabel):
                if isinstance(label, Literal) and label.language == ZH:
                    out[str(label)] = c
        return out

    # --- organisations ---------------------------------------------------------------
    def organisation(self, name: str, file: str, budget_agencies: Mapping[str, str] | None = None
                     ) -> tuple[URIRef, str]:
        """The IRI and notation (IRI path segment, e.g. ``mol``) of the organisation named ``name``:
        one of organisations.ttl, else an agency of a loaded budget (``budget_agencies``: name →
        agency code), whose IRI is ``B org/budget/{code}`` and notation ``agency-{code}``."""
        g = self.union
        for org in g.subjects(RDF.type, ORG_ORGANIZATION):
            labels = {str(o) for p in (SKOS.prefLabel, SKOS.altLabel) for o in g.objects(org, p)}
            if name in labels:
                notation = g.value(org, SKOS.notation)
                if notation is None:
                    raise InputError(file, None, f"organisation {name!r} has no skos:notation in organisations.ttl")
                return org, str(notation)
        code = (budget_agencies or {}).get(name)
        if code is not None:
            if code in self.budget_agencies:  # mapped, but not by this name (the budget's spelling)
                org = self.budget_agencies[code]
                return org, str(g.value(org, SKOS.notation) or f"agency-{code}")
            return URIRef(f"{self.base}org/budget/{code}"), f"agency-{code}"
        raise InputError(file, 1, f"unknown organisation {name!r}: expected one of ontology/vocab/organisations.ttl "
                                  "(with a skos:notation) or an agency (depname) of a loaded budget")

    def assignment_record(self, org: URIRef, roc_year: int, work_plan: str) -> URIRef | BNode | None:
        """The work plan mapping's record (a plan:WorkPlanAssignment) of a plan's work plan, or None."""
        m = self.mappings
        for a in m.subjects(P("workPlanName"), Literal(work_plan, lang=ZH)):
            if m.value(a, P("organisation")) == org and m.value(a, P("rocYear")).toPython() == roc_year:
                return a
        return None

    def assignment(self, org: URIRef, roc_year: int, work_plan: str) -> tuple[URIRef | None, str | None]:
        """(responsible unit, budget code) of a work plan, from the mappings; (None, None) if unmapped."""
        a = self.assignment_record(org, roc_year, work_plan)
        if a is None:
            return None, None
        code = self.mappings.value(a, P("budgetCode"))
        return self.mappings.value(a, P("responsibleUnit")), (str(code) if code is not None else None)

    def budget_match(self, org: URIRef, roc_year: int, work_plan: str) -> "BudgetMatch | None":
        """The budget work plan of a plan's work plan and how it was matched, from the work plan mapping."""
        m, a = self.mappings, self.assignment_record(org, roc_year, work_plan)
        code = m.value(a, P("budgetCode")) if a is not None else None
        if code is None:
            return None
        return BudgetMatch(str(code), m.value(a, P("budgetMatchKind")), list(m.objects(a, RDFS.comment)))

    # --- the central budget ------------------------------------------------------------
    @cached_property
    def budget_functions(self) -> dict[str, tuple[URIRef, str]]:
        """skos:notation (the two-digit code) -> (IRI, zh-Hant label) of every plan:BudgetFunction."""
        g, out = self.union, {}
        for c in g.subjects(RDF.type, P("BudgetFunction")):
            labels = [str(o) for o in g.objects(c, SKOS.prefLabel) if isinstance(o, Literal) and o.language == ZH]
            out[str(g.value(c, SKOS.notation))] = (c, labels[0] if labels else "")
        return out

    @cached_property
    def budget_agencies(self) -> dict[str, URIRef]:
        """Budget agency code -> IRI of the organisation the mappings give it (ontology/mappings/budget-agencies.ttl)."""
        return {str(code): org for org, code in self.mappings.subject_objects(P("budgetAgencyCode"))}

    # --- linker terms ----------------------------------------------------------------
    @cached_property
    def terms(self) -> list[Term]:
        """What the linker looks for: the target groups' surface forms and stop terms, the forms of
        every law of the national index (:attr:`law_matcher`), the labels of draft laws, and the
        legal basis terms. Forms of a law marked ``plan:linkable false`` are stop terms."""
        g = self.union
        out: list[Term] = []
        scheme = URIRef(self.base + "target-group")
        for stop in g.objects(scheme, P("linkerStopTerm")):
            out.append(Term(str(stop), "targetGroup", None))
        for concept in sorted(set(g.subjects(SKOS.inScheme, scheme))):
            if g.value(concept, P("linkable")) == Literal(False):
                continue
            for label_prop in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
                for label in g.objects(concept, label_prop):
                    if isinstance(label, Literal) and label.language == ZH:
                        out.append(Term(str(label), "targetGroup", str(concept)))
        out.extend(self._law_terms())
        for law, term in sorted(g.subject_objects(P("legalBasisTerm"))):
            if isinstance(term, Literal) and term.language == ZH and self._linkable(law):
                out.append(Term(str(term), "legalBasis", str(law)))
        return out

    def _linkable(self, concept) -> bool:
        return self.union.value(concept, P("linkable")) != Literal(False)

    def _law_terms(self) -> list[Term]:
        g = self.union
        drafts = {str(label): str(d) for d in g.subjects(RDF.type, P("DraftLaw")) if self._linkable(d)
                  for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel) for label in g.objects(d, p)
                  if isinstance(label, Literal) and label.language == ZH}
        out = []
        for form in self.law_matcher.forms:
            if form.pcode is None:  # a draft's label or a stop term of the law scheme
                draft = drafts.get(form.text)
                out.append(Term(form.text, "reformsLaw", draft) if draft else Term(form.text, "citesLaw", None))
                continue
            law = URIRef(f"{self.base}law/{form.pcode}")
            out.append(Term(form.text, "citesLaw", str(law) if self._linkable(law) else None))
        return out

    @cached_property
    def law_matcher(self):
        """The law-name matcher (:mod:`plankg.build.lawmatch`) of the build's law index
        (:attr:`law_index`, set by the pipeline when the sources hold one) and the curated forms of
        these vocabularies and mappings. Without an index only the curated laws (laws.ttl) are
        linked: a link must point at a law the build publishes."""
        from plankg.build.lawmatch import LawMatcher
        from plankg.loaders.law_model import LawIndex

        index = self.law_index if self.law_index is not None else LawIndex("<curated laws only>")
        return LawMatcher.build(index, self.union + self.mappings, self.base)
