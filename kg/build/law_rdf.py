"""The law graph: every law of the national law index as a ``plan:Law`` with ELI terms, merged with
the curated laws of ``ontology/vocab/laws.ttl`` and the law forms of ``ontology/mappings/``
(docs/data-model.md, "The law graph").

For each law of the index, ``<law/{PCode}>``:

* ``a plan:Law`` (⊑ eli:LegalResource, skos:Concept), ``skos:inScheme <law>``, ``eli:id_local``
  the PCode, ``rdfs:seeAlso`` its page ``https://law.moj.gov.tw/LawClass/LawAll.aspx?pcode={PCode}``;
* its name as ``skos:prefLabel`` and ``rdfs:label`` @zh-Hant, its official English name (where the
  index has one) as ``skos:prefLabel`` and ``rdfs:label`` @en;
* ``eli:type_document``: the law type of ``ontology/vocab/law-types.ttl`` whose ``skos:notation``
  is the law's level (法律, 命令, 憲法), where the level is known;
* ``eli:in_force``: ``eli:InForce-notInForce`` where the metadata marks the law abolished (廢) or
  its date of taking effect is not fixed (99991231: never in force), ``eli:InForce-inForce`` where
  the metadata has the law and neither holds; nothing where the metadata does not have the law
  (the index alone does not say). No ``eli:date_no_longer_in_force`` from the index: the database
  gives the date an abolition was promulgated, not the date the law ceased to be in force (by 中央
  法規標準法 Art. 22 that is the third day after, unless the abolition says otherwise);
* ``eli:version_date``: the database's last change (``lastUpdate``), the date as of which the
  database's consolidated text and our description hold. Not ``eli:date_document`` (ELI: "date of
  adoption or signature"), which the index does not give;
* every other form the law-name matcher looks for (:mod:`plankg.build.lawmatch`) as a label, so
  that a link's matched text is a label of its target: the name without its disambiguating
  parenthesis as ``skos:altLabel``, spellings with half-width parentheses or 台 as
  ``skos:hiddenLabel``.

**Curated data wins.** Every triple about ``<law/…>`` and ``<law>`` in laws.ttl and in the mappings
(short forms as ``skos:hiddenLabel``, former names as ``skos:altLabel``, stop terms) is copied; where
laws.ttl gives a ``skos:prefLabel`` or ``rdfs:label`` in a language, ``eli:in_force``,
``eli:type_document`` or ``eli:version_date``, the index's value is not added (an index name that
differs from the curated prefLabel becomes an altLabel). Draft laws and the scheme are copied too, so
the law graph holds every law a link can point to.
"""

from __future__ import annotations

from collections import Counter

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from plankg.build.mapped import MappedGraph
from plankg.build.vocab import Vocabularies
from plankg.loaders.law_model import NOT_YET_EFFECTIVE, Law, LawIndex
from plankg.namespaces import ELI, PLAN, PREFIXES, graph_iri

ZH = "zh-Hant"
DATABASE_PAGE = "https://law.moj.gov.tw/LawClass/LawAll.aspx?pcode={pcode}"
IN_FORCE = URIRef(ELI + "InForce-inForce")
NOT_IN_FORCE = URIRef(ELI + "InForce-notInForce")
_LAW = URIRef(PLAN + "Law")
_LAW_TYPE = URIRef(PLAN + "LawType")
_ID_LOCAL, _TYPE_DOCUMENT = URIRef(ELI + "id_local"), URIRef(ELI + "type_document")
_IN_FORCE, _VERSION_DATE = URIRef(ELI + "in_force"), URIRef(ELI + "version_date")
_A, _IN_SCHEME, _SEE_ALSO, _PREF, _LABEL = RDF.type, SKOS.inScheme, RDFS.seeAlso, SKOS.prefLabel, RDFS.label
_LABELS = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)


def in_force(law: Law) -> URIRef | None:
    """The ``eli:in_force`` value the index and metadata give ``law`` (None: they do not say)."""
    if law.abolished is True or law.effective == NOT_YET_EFFECTIVE:
        return NOT_IN_FORCE
    if law.abolished is False:
        return IN_FORCE
    return None


def curated_laws(vocab: Vocabularies) -> Graph:
    """The triples of laws.ttl and of the mappings whose subject is ``<law>`` or under ``<law/>``."""
    scheme, prefix = URIRef(vocab.base + "law"), vocab.base + "law/"
    laws = vocab.graphs.get(graph_iri(vocab.base, "vocab", "laws"), Graph())
    out = Graph()
    for source in (laws, vocab.mappings):
        for s, p, o in source:
            if s == scheme or (isinstance(s, URIRef) and str(s).startswith(prefix)):
                out.add((s, p, o))
    return out


def map_laws(index: LawIndex, vocab: Vocabularies) -> MappedGraph:
    """The law graph of ``index`` (graph ``{vocab.base}graph/laws``, kind ``laws``); see the module."""
    from plankg.build.lawmatch import LawMatcher

    base = vocab.base
    curated = curated_laws(vocab)
    types = {str(n): c for c in vocab.union.subjects(RDF.type, _LAW_TYPE)
             for n in vocab.union.objects(c, SKOS.notation)}
    matcher = vocab.law_matcher if index is vocab.law_index else \
        LawMatcher.build(index, vocab.union + vocab.mappings, base)
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g += curated
    counts: Counter[str] = Counter()
    warnings: list[str] = []

    described = set(curated.subjects())

    def has(s, p, lang: str | None = None) -> bool:
        return s in described and any(lang is None or (isinstance(o, Literal) and o.language == lang)
                                      for o in curated.objects(s, p))

    scheme, add = URIRef(base + "law"), g.add
    dates: dict = {}  # version date -> its literal (laws share dates)
    for law in index:
        s = URIRef(f"{base}law/{law.pcode}")
        counts["laws"] += 1
        counts["curated"] += s in described and (s, _A, _LAW) in curated
        add((s, _A, _LAW))
        add((s, _IN_SCHEME, scheme))
        add((s, _ID_LOCAL, Literal(law.pcode)))
        add((s, _SEE_ALSO, URIRef(DATABASE_PAGE.format(pcode=law.pcode))))
        name = Literal(law.name, lang=ZH)
        if has(s, _PREF, ZH):
            if (s, _PREF, name) not in curated:
                add((s, SKOS.altLabel, name))
        else:
            add((s, _PREF, name))
        if not has(s, _LABEL, ZH):
            add((s, _LABEL, name))
        if law.english:
            counts["with English name"] += 1
            english = Literal(law.english, lang="en")
            for p in (_PREF, _LABEL):
                if not has(s, p, "en"):
                    add((s, p, english))
        law_type = types.get(law.level) if law.level else None
        if law_type is not None and not has(s, _TYPE_DOCUMENT):
            add((s, _TYPE_DOCUMENT, law_type))
        status = in_force(law)
        if status is not None and not has(s, _IN_FORCE):
            add((s, _IN_FORCE, status))
        if law.last_amended is not None and not has(s, _VERSION_DATE):
            if law.last_amended not in dates:
                dates[law.last_amended] = Literal(law.last_amended.isoformat(), datatype=XSD.date)
            add((s, _VERSION_DATE, dates[law.last_amended]))

    labelled = {(s, o) for p in _LABELS for s, o in g.subject_objects(p)}
    for form in matcher.forms:  # every form the linker matches is a label of its law
        if form.pcode is None or form.pcode not in index:
            continue
        s, text = URIRef(f"{base}law/{form.pcode}"), Literal(form.text, lang=ZH)
        if (s, text) not in labelled:
            add((s, SKOS.altLabel if form.origin in ("name", "base-name") else SKOS.hiddenLabel, text))
            labelled.add((s, text))
            counts["forms added as labels"] += 1

    for s in sorted(set(curated.subjects(_ID_LOCAL, None))):
        if str(curated.value(s, _ID_LOCAL)) not in index:
            warnings.append(f"{s}: a curated law whose PCode is not in the law index {index.file}")
    counts["draft laws"] = sum(1 for _ in curated.subjects(RDF.type, URIRef(PLAN + "DraftLaw")))
    for s in g.subjects(RDF.type, _LAW):
        status = g.value(s, _IN_FORCE)
        counts["in force" if status == IN_FORCE else "not in force" if status == NOT_IN_FORCE else "in force unknown"] += 1
    for notation, concept in types.items():
        counts[f"type {notation}"] = sum(1 for _ in g.subjects(_TYPE_DOCUMENT, concept))
    counts["type unknown"] = counts["laws"] - sum(counts[f"type {n}"] for n in types)
    counts["triples"] = len(g)
    return MappedGraph(graph_iri(base, "laws"), g, "laws", dict(counts), warnings)


def linked_laws(laws: Graph, *graphs: Graph) -> Graph:
    """The part of the law graph ``laws`` that ``graphs`` (plans, links) point to: every triple about
    a law that is the object of a triple of ``graphs`` or of such a law, and about the scheme.

    Validating plans with this instead of the whole law graph checks the same links (a link's
    target, its labels and legal basis terms are all there) without validating 11,547 laws at
    every build; the law graph itself is validated once, on its own (docs/data-model.md).
    """
    out = Graph()
    todo = {o for g in graphs for o in g.objects() if isinstance(o, URIRef)}
    todo |= set(laws.subjects(RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#ConceptScheme")))
    done: set = set()
    while todo:  # and the laws those laws point to (plan:laterEnactedAs, dct:isReplacedBy …)
        s = todo.pop()
        done.add(s)
        for p, o in laws.predicate_objects(s):
            out.add((s, p, o))
            if isinstance(o, URIRef) and o not in done and p != RDF.type:
                todo.add(o)
    return out


__all__ = ["map_laws", "linked_laws", "curated_laws", "in_force", "IN_FORCE", "NOT_IN_FORCE", "DATABASE_PAGE"]
