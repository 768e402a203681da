"""The documents annual plans say they follow (``plan:follows``), as resources shared by the plans.

A plan's preamble names the documents it was compiled in accordance with (本部依據行政院 108 年度
施政方針，配合中程施政計畫…). The mapping (:mod:`plankg.build.rdf`) makes each name a statement of
the plan, like its other preamble statements: a ``plan:PolicyReference`` ``<plan>/follows/{n}``
with the words as printed, an ordinal and its source line. :func:`add_followed` adds the document
the statement names (``plan:referencedDocument``), which the plan ``plan:follows``:

* **a yearly document of a known organisation**, ``<organisation> <ROC year> 年度施政方針`` where
  the organisation is one of ``organisations.ttl`` (by a zh-Hant ``skos:prefLabel`` or
  ``skos:altLabel``), is one resource for every plan that follows it:
  ``B{notation}/{roc}/policy-guidelines`` (行政院 108 年度施政方針 is ``B ey/108/policy-guidelines``),
  with its publisher, its ROC and fiscal year, and a label made from the organisation's zh-Hant
  name and the year, so that every plan graph describes it with the same triples whatever
  spacing the plan prints. It has no ordinal and no source line: it is not part of a plan, and
  where a plan names it is said by the plan's statement;
* **anything else** (中程施政計畫, which names neither its organisation nor its years) is known only
  through the plan's words: a document of this plan, ``<statement>/document``, labelled with them.
"""

from __future__ import annotations

import re

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from plankg.build.vocab import Vocabularies
from plankg.errors import InputError
from plankg.namespaces import PLAN

ZH = "zh-Hant"
GUIDELINES = re.compile(r"(?P<org>\S+?)\s*(?P<roc>[0-9０-９]{1,3})\s*年度\s*施政方針")
"""A yearly policy guidelines document (施政方針) of an organisation, e.g. 行政院 108 年度施政方針."""
GUIDELINES_SEGMENT = "policy-guidelines"
LOCAL_SEGMENT = "document"


def P(name: str) -> URIRef:
    return URIRef(PLAN + name)


def guidelines_iri(base: str, notation: str, roc_year: int) -> URIRef:
    """The IRI of the policy guidelines of the organisation ``notation`` for ``roc_year``."""
    return URIRef(f"{base}{notation}/{roc_year}/{GUIDELINES_SEGMENT}")


def add_followed(g: Graph, vocab: Vocabularies, plan: URIRef, reference: URIRef, text: str) -> URIRef:
    """Add to ``g`` the document that the plan's statement ``reference`` (whose words are ``text``)
    names, with ``plan plan:follows`` it and ``reference plan:referencedDocument`` it; return it."""
    document = _guidelines(g, vocab, text) or _local(g, reference, text)
    g.add((plan, P("follows"), document))
    g.add((reference, P("referencedDocument"), document))
    return document


def _guidelines(g: Graph, vocab: Vocabularies, text: str) -> URIRef | None:
    m = GUIDELINES.fullmatch(text.strip())
    if m is None:
        return None
    try:
        org, notation = vocab.organisation(m["org"], "<policy document>")
    except InputError:  # not an organisation of the vocabularies: the plan's own document
        return None
    roc = int(m["roc"])  # int() reads full-width digits too
    names = sorted(str(o) for o in vocab.union.objects(org, SKOS.prefLabel)
                   if isinstance(o, Literal) and o.language == ZH)
    label = Literal(f"{names[0] if names else m['org']} {roc} 年度施政方針", lang=ZH)
    document = guidelines_iri(vocab.base, notation, roc)
    g.add((document, RDF.type, P("PolicyDocument")))
    g.add((document, RDFS.label, label))
    g.add((document, DCTERMS.title, label))
    g.add((document, DCTERMS.publisher, org))
    g.add((document, P("rocYear"), Literal(roc)))
    g.add((document, P("fiscalYear"), Literal(str(roc + 1911), datatype=XSD.gYear)))
    return document


def _local(g: Graph, reference: URIRef, text: str) -> URIRef:
    document = URIRef(f"{reference}/{LOCAL_SEGMENT}")
    g.add((document, RDF.type, P("PolicyDocument")))
    g.add((document, RDFS.label, Literal(text, lang=ZH)))
    return document


__all__ = ["add_followed", "guidelines_iri", "GUIDELINES", "GUIDELINES_SEGMENT", "LOCAL_SEGMENT"]
