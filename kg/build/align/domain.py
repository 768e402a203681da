"""Alignment method ``policy-domain``: the functions of government two nodes both deal with.

The domains are data: the concept scheme ``<policy-domain>`` of ``ontology/vocab/policy-domains.ttl``,
each with the zh-Hant ``skos:hiddenLabel`` words that mark it. A node is tagged with every domain
one of whose words its text contains; a program, with the domains its own name states (its
activities only when the name states none: a program's name says what it is for, its activities
touch on much else). The score is the IDF-weighted share of the source's domains that the target
also has, as :mod:`.concepts` does for target groups and laws: 社會保險 counts for more than 就業,
which half the nodes mention. Unlike character n-grams it joins different wordings of one
function (勞工保險 and 農民保險 are both 社會保險; 職災 and 執行職務意外 both occupational
injury), which is what work of other agencies shares with a program.
Evidence: the shared domains' names.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from plankg.build.align.methods import Corpus, PairwiseMethod
from plankg.build.align.nodes import Node, heading

NAME = "policy-domain"
SCHEME = "policy-domain"
ZH = "zh-Hant"


@dataclass(frozen=True)
class Domain:
    iri: str
    label: str
    words: tuple[str, ...]


def domains(vocabularies: Graph | None, base: str) -> list[Domain]:
    """The domains of the scheme ``<policy-domain>`` in ``vocabularies``, in IRI order."""
    if vocabularies is None:
        return []
    scheme = URIRef(base + SCHEME)
    out = []
    for concept in sorted(set(vocabularies.subjects(SKOS.inScheme, scheme))):
        words = tuple(sorted(str(w) for w in vocabularies.objects(concept, SKOS.hiddenLabel)
                             if isinstance(w, Literal) and w.language == ZH))
        label = next((str(l) for l in vocabularies.objects(concept, SKOS.prefLabel)
                      if isinstance(l, Literal) and l.language == ZH), str(concept))
        out.append(Domain(str(concept), label, words))
    return out


class Tagger:
    """The policy domains of a node (:meth:`__call__`), by the words of the scheme's domains."""

    def __init__(self, vocabularies: Graph | None, base: str):
        self.domains = domains(vocabularies, base)
        self._tags: dict[str, frozenset[str]] = {}

    def _in(self, text: str) -> frozenset[str]:
        return frozenset(d.iri for d in self.domains if any(w in text for w in d.words))

    def __call__(self, node: Node) -> frozenset[str]:
        """The domains of ``node``: those its heading states (:func:`heading`); a program's or a
        budget work plan's whole text when its heading states none."""
        found = self._tags.get(node.iri)
        if found is None:
            found = self._in(heading(node))
            if not found and node.kind != "line item":
                found = self._in(node.text)
            self._tags[node.iri] = found
        return found


class DomainMethod(PairwiseMethod):
    name = NAME

    def __init__(self, corpus: Corpus):
        self.tags = Tagger(corpus.vocabularies, corpus.base)
        self.domains = self.tags.domains
        stats = corpus.statistics
        self.idf = {d.iri: corpus.idf(stats.domain(d.iri, corpus.base)) for d in self.domains}
        self.labels = {d.iri: d.label for d in self.domains}

    def score(self, source: Node, target: Node) -> float:
        mine = self.tags(source)
        shared = mine & self.tags(target)
        if not shared:
            return 0.0
        return min(1.0, sum(self.idf[d] for d in shared) / sum(self.idf[d] for d in mine))

    def explain(self, source: Node, target: Node) -> str:
        shared = sorted(self.labels[d] for d in self.tags(source) & self.tags(target))
        return "shared policy domains: " + ", ".join(shared) if shared else ""


def method(corpus: Corpus) -> DomainMethod:
    return DomainMethod(corpus)
