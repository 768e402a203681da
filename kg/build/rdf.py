"""Map loader objects (:mod:`plankg.loaders.model`) to RDF, as laid down in docs/data-model.md.

One plan becomes one rdflib graph (its own named graph in the store). IRIs depend only on the
configured base, the organisation's notation, the ROC year and ordinals, so the same input
always gives the same IRIs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from pathlib import PurePath

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from plankg.errors import InputError
from plankg.build.budget_rdf import budget_work_plan_iri
from plankg.build.linker import Linker, Match
from plankg.build.policy_documents import add_followed
from plankg.hierarchy import BY_CLASS, EVIDENCE_CLASS, EVIDENCE_PROPERTY, PLAN_CLASS, Level
from plankg.loaders.model import Plan, Source, Statement
from plankg.namespaces import PLAN, PREFIXES, SPDX as SPDX_NS, graph_iri
from plankg.build.lines import Text, size_of, text_of
from plankg.build.ntriples import canonical, digest, ntriples
from plankg.build.vocab import Vocabularies

if TYPE_CHECKING:
    from plankg.build.plan_units import PlanUnit

ZH = "zh-Hant"
SPDX = Namespace(SPDX_NS)
UNDATED = ("When and where the publisher published this text was not recorded when it was copied, "
           "so no date of issue and no address are stated.")


def P(name: str) -> URIRef:
    return URIRef(PLAN + name)


class MappedPlan:
    """A plan as RDF: its IRI, its named graph's IRI, its N-Triples and what the later stages read of it
    (:class:`plankg.build.plan_units.PlanUnit`), with the accepted alignments added to it (:meth:`add`).

    :attr:`graph` is the mapping's rdflib graph, or, for a plan kept by content, read from the lines
    when asked for (to validate it), as are those lines (:meth:`lines`)."""

    def __init__(self, unit: PlanUnit, graph: Graph | None = None):
        self.unit = unit
        self.iri = URIRef(unit.iri)
        self.graph_iri = unit.graph_iri
        self.links = unit.links  # number of link-evidence nodes
        self._graph = graph
        self._added: dict[str, None] = {}
        self._text: Text | None = None  # what lines() gives, once made
        self._tail_text: str | None = None  # the lines add() added, canonical, once made
        self.kept_digests: Callable[[int, str, Callable[[], str]], str] | None = None  # (size, tail, compute)

    def add(self, triples: list[tuple[str, str, str]]) -> None:
        """Add the plain triples ``triples`` (IRIs; alignment's, whose predicates the mapping never
        writes, so none is in the graph already)."""
        for s, p, o in triples:
            line = f"<{s}> <{p}> <{o}> .\n"
            if line not in self._added:
                self._added[line] = None
                self._text = self._tail_text = None
                if self._graph is not None:
                    self._graph.add((URIRef(s), URIRef(p), URIRef(o)))

    def ntriples(self) -> str:  # the graph as N-Triples (plankg.build.ntriples), with what add() added
        return text_of(self.lines())

    def lines(self) -> Text:  # unread when the plan's unit was kept (plankg.build.lines)
        if not self._added:
            return self.unit.lines
        if self._text is None:
            self._text = self.unit.lines + self._tail()
        return self._text

    def _tail(self) -> str:  # the lines add() added
        if self._tail_text is None:
            self._tail_text = canonical("".join(self._added)) if self._added else ""
        return self._tail_text

    def digest(self) -> str:
        """:func:`plankg.build.ntriples.digest` of :meth:`ntriples`: kept with the plan's unit when it is
        kept (:meth:`plankg.build.plan_units.Units.digest`, by the lines :meth:`add` added), so a
        rebuild does not read, sort and hash the lines of every plan again."""
        if self.kept_digests is None:
            return digest(self.ntriples())
        return self.kept_digests(size_of(self.lines()), self._tail(), lambda: digest(self.ntriples()))

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            self._graph = Graph()
            for prefix, ns in PREFIXES.items():
                self._graph.bind(prefix, ns)
            self._graph.parse(data=self.ntriples(), format="nt")
        return self._graph


class _Mapper:
    def __init__(self, plan: Plan, vocab: Vocabularies, linker: Linker, sha256: str,
                 budget_agencies: Mapping[str, str] | None = None):
        self.plan = plan
        self.vocab = vocab
        self.linker = linker
        self.sha256 = sha256
        self.file = PurePath(plan.source.file).name
        self.org, self.notation = vocab.organisation(plan.organisation, plan.source.file, budget_agencies)
        self.root = f"{vocab.base}{self.notation}/{plan.roc_year}"
        self.g = Graph()
        for prefix, ns in PREFIXES.items():
            self.g.bind(prefix, ns)
        self.links = 0

    def add(self, s, p, o) -> None:
        self.g.add((s, p, o))

    def iri(self, path: str = "") -> URIRef:
        return URIRef(self.root + path)

    def source(self, node: URIRef, src: Source) -> None:
        loc = self.iri(f"/source/L{src.line}-{src.end_line}")
        self.add(node, PROV.wasDerivedFrom, loc)
        self.add(loc, RDF.type, P("SourceLocation"))
        self.add(loc, DCTERMS.isPartOf, self.iri("/source"))
        self.add(loc, P("sourceFile"), Literal(self.file))
        self.add(loc, P("startLine"), Literal(src.line))
        self.add(loc, P("endLine"), Literal(src.end_line))
        where = f"{self.file}:{src.line}" + (f"-{src.end_line}" if src.end_line != src.line else "")
        self.add(loc, RDFS.label, Literal(where))  # a file name and lines: no language

    def node(self, path: str, cls: str, text: str, src: Source, ordinal: int | None = None) -> URIRef:
        node = self.iri(path)
        self.add(node, RDF.type, P(cls))
        self.add(node, RDFS.label, Literal(text, lang=ZH))
        if ordinal is not None:
            self.add(node, P("ordinal"), Literal(ordinal))
        self.source(node, src)
        return node

    def child(self, parent: URIRef, cls: str, text: str, src: Source, ordinal: int = 1) -> URIRef:
        """A node of level ``cls`` (:mod:`plankg.hierarchy`) under ``parent``, linked both ways."""
        level: Level = BY_CLASS[cls]
        path = f"{parent.removeprefix(self.root)}/{level.segment}" + (f"/{ordinal}" if level.numbered else "")
        node = self.node(path, cls, text, src, ordinal if level.numbered else None)
        self.add(parent, P(level.has), node)
        if level.is_of is not None:
            self.add(node, P(level.is_of), parent)
        return node

    def link(self, node: URIRef, text: str) -> None:
        """Tag ``node`` with the target groups and laws its text names, with evidence."""
        self.links += add_links(self.g, node, self.linker.matches(text))

    def curated(self, w_node: URIRef, name: str, props: list[str]) -> None:
        """Attribute the facts ``props`` of the work plan to the mapping record that states them: a
        ``prov:Derivation`` ``<work plan>/assignment`` whose ``prov:entity`` is the record (published in
        ``graph/mapping/…``) and whose ``plan:derivedProperty`` are those properties."""
        record = self.vocab.assignment_record(self.org, self.plan.roc_year, name)
        if not props or not isinstance(record, URIRef):
            return
        d = URIRef(f"{w_node}/assignment")
        self.add(w_node, PROV.qualifiedDerivation, d)
        self.add(d, RDF.type, PROV.Derivation)
        self.add(d, PROV.entity, record)
        for prop in props:
            self.add(d, P("derivedProperty"), P(prop))

    def funding(self, w_node: URIRef, name: str) -> None:
        """plan:fundedBy the budget work plan the work plan mapping names, and how it was matched."""
        match = self.vocab.budget_match(self.org, self.plan.roc_year, name)
        if match is None:
            return
        target = budget_work_plan_iri(self.vocab.base, match.code)
        self.add(w_node, P("fundedBy"), target)
        ev = URIRef(f"{w_node}/budget-match/1")
        self.add(w_node, P("hasBudgetMatch"), ev)
        self.add(ev, RDF.type, P("BudgetMatch"))
        self.add(ev, RDFS.label, Literal(f"預算對應：{name}（預算代碼 {match.code}）", lang=ZH))  # shown on pages
        self.add(ev, RDFS.label, Literal(f"Budget match: {name} (budget code {match.code})", lang="en"))
        self.add(ev, P("budgetMatchTarget"), target)
        if match.kind is not None:
            self.add(ev, P("budgetMatchKind"), match.kind)
        for comment in match.comments:
            self.add(ev, RDFS.comment, comment)
        record = self.vocab.assignment_record(self.org, self.plan.roc_year, name)
        if isinstance(record, URIRef):
            self.add(ev, PROV.wasDerivedFrom, record)  # the curated match, not the plan's text

    def statements(self, plan_iri: URIRef, cls: str, items: list[Statement]) -> None:
        for st in items:
            self.child(plan_iri, cls, st.text, st.source, st.ordinal)

    def map(self) -> Graph:
        plan = self.plan
        root = self.iri()
        self.add(root, RDF.type, P(PLAN_CLASS))
        self.add(root, RDFS.label, Literal(plan.title, lang=ZH))
        self.add(root, DCTERMS.title, Literal(plan.title, lang=ZH))
        self.add(root, DCTERMS.publisher, self.org)
        self.add(root, P("fiscalYear"), Literal(str(plan.year), datatype=XSD.gYear))
        self.add(root, P("rocYear"), Literal(plan.roc_year))
        doc = self.iri("/source")
        self.add(root, PROV.wasDerivedFrom, doc)
        self.add(doc, RDF.type, P("SourceDocument"))
        self.add(doc, DCTERMS.identifier, Literal(self.file))
        self.add(doc, RDFS.label, Literal(self.file))
        self.add(doc, DCTERMS.creator, self.org)  # the agency wrote and published the text
        self.add(doc, DCTERMS.title, Literal(plan.title, lang=ZH))  # the text's own first line
        self.add(doc, DCTERMS.publisher, self.org)  # the organisation whose plan it is issues it
        self.add(doc, SKOS.editorialNote, Literal(UNDATED, lang="en"))
        checksum = self.iri("/source/sha256")
        self.add(doc, SPDX.checksum, checksum)
        self.add(checksum, RDF.type, SPDX.Checksum)
        self.add(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
        self.add(checksum, SPDX.checksumValue, Literal(self.sha256, datatype=XSD.hexBinary))

        pre = plan.preamble
        if pre.vision is not None:
            self.child(root, "Vision", pre.vision.text, pre.vision.source)
        self.statements(root, "Aim", pre.aims)
        for st in pre.follows:  # the statement is the plan's; the document it names may be every plan's
            add_followed(self.g, self.vocab, root, self.child(root, "PolicyReference", st.text, st.source, st.ordinal),
                         st.text)
        self.statements(root, "KeyWork", pre.key_works)

        for goal in plan.goals:
            g_node = self.child(root, "Goal", goal.text, goal.source, goal.ordinal)
            for s in goal.strategies:
                s_node = self.child(g_node, "Strategy", s.text, s.source, s.ordinal)
                self.link(s_node, s.text)

        for wp in plan.work_plans:
            w_node = self.child(root, "WorkPlan", wp.name, wp.source, wp.ordinal)
            unit, code = self.vocab.assignment(self.org, plan.roc_year, wp.name)
            if unit is not None:
                self.add(w_node, P("responsibleUnit"), unit)
            if code is not None:
                self.add(w_node, P("budgetCode"), Literal(code))
            self.curated(w_node, wp.name, [p for p, v in (("responsibleUnit", unit), ("budgetCode", code)) if v])
            self.funding(w_node, wp.name)
            for prog in wp.programs:
                p_node = self.child(w_node, "Program", prog.name, prog.source, prog.ordinal)
                category = self.vocab.categories.get(prog.category)
                if category is None:
                    raise InputError(prog.source.file, prog.source.line,
                                     f"category {prog.category!r} is not in ontology/vocab/plan-categories.ttl")
                self.add(p_node, P("category"), category)
                self.link(p_node, prog.name)
                for act in prog.activities:
                    a_node = self.child(p_node, "Activity", act.text, act.source, act.ordinal)
                    self.link(a_node, act.text)
        return self.g


def add_links(g: Graph, node: URIRef, matches: list[Match]) -> int:
    """Add to ``g`` the links of ``node`` that ``matches`` make, each with its evidence node
    ``<node>/link/{k}`` (which property, target, words, offset, rule, cue); a ``reformsLaw`` link is
    also stated as ``citesLaw`` (its super-property: the store does no reasoning). The number added."""
    for k, m in enumerate(matches, start=1):
        target = URIRef(m.target)
        g.add((node, P(m.prop), target))
        if m.prop == "reformsLaw":
            g.add((node, P("citesLaw"), target))
        ev = URIRef(f"{node}/link/{k}")
        g.add((node, P(EVIDENCE_PROPERTY), ev))
        g.add((ev, RDF.type, P(EVIDENCE_CLASS)))
        g.add((ev, P("linkProperty"), P(m.prop)))
        g.add((ev, P("linkTarget"), target))
        g.add((ev, P("matchedText"), Literal(m.text, lang=ZH)))
        g.add((ev, P("matchOffset"), Literal(m.offset)))
        g.add((ev, P("linkRule"), Literal(m.rule)))
        if m.cue is not None:
            g.add((ev, P("cueText"), Literal(m.cue, lang=ZH)))
            g.add((ev, P("cueOffset"), Literal(m.cue_offset)))
    return len(matches)


def map_plan(plan: Plan, vocab: Vocabularies, linker: Linker, sha256: str,
             budget_agencies: Mapping[str, str] | None = None,
             agency_names: Mapping[str, str] | None = None) -> MappedPlan:
    """The RDF graph of ``plan``, with what the later stages read of it; ``sha256`` is the digest of
    the source file's bytes; ``budget_agencies`` (name → agency code) are the loaded budgets'
    agencies, which may publish plans, ``agency_names`` their names by IRI
    (:func:`plankg.build.align.agency_names`)."""
    from plankg.build.align.nodes import plan_nodes
    from plankg.build.facts import facts_of
    from plankg.build.funding import plans_of
    from plankg.build.plan_units import PlanUnit
    from plankg.build.stats import plan_summary

    mapper = _Mapper(plan, vocab, linker, sha256, budget_agencies)
    graph = mapper.map()
    unit = PlanUnit(str(mapper.iri()), graph_iri(vocab.base, mapper.notation, plan.roc_year), mapper.links,
                    ntriples(graph), tuple(plan_nodes(graph, vocab.union, agency_names)), tuple(plans_of(graph)),
                    facts_of(graph), title=plan.title, summary=plan_summary(plan))
    return MappedPlan(unit, graph)
