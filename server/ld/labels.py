"""Names of other vocabularies' terms (``rdf:type``, ``skos:prefLabel``, ``dct:source``,
``prov:wasDerivedFrom`` …) in both languages of the site, for the linked-data pages.

They are read from ``ontology/term-labels.ttl`` (package data), not from the store: the dataset
makes no statements about others' terms, but a page names every property and class it shows in
the page's language (:meth:`plankg.server.ld.view.View.label` falls back to these).
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from importlib.resources import files

from pyoxigraph import Literal, NamedNode, RdfFormat, parse

LABELS_FILE = "term-labels.ttl"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@lru_cache(maxsize=1)
def term_labels() -> dict[str, tuple[Literal, ...]]:
    """IRI → its labels (``@en`` and ``@zh-Hant``), from the shipped labels file."""
    found: dict[str, list[Literal]] = defaultdict(list)
    data = files("plankg.ontology").joinpath(LABELS_FILE).read_bytes()
    for triple in parse(data, RdfFormat.TURTLE):
        if (isinstance(triple.subject, NamedNode) and triple.predicate.value == RDFS_LABEL
                and isinstance(triple.object, Literal)):
            found[triple.subject.value].append(triple.object)
    return {iri: tuple(labels) for iri, labels in found.items()}


def labels_of(iri: str) -> tuple[Literal, ...]:
    """The shipped labels of ``iri`` (none for a term the file does not name)."""
    return term_labels().get(iri, ())
