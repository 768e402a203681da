"""What DCAT-AP 3.0.1 asks of the metadata graph beyond plain DCAT (:mod:`plankg.build.meta`).

The official shapes (SEMICeu/DCAT-AP ``releases/3.0.1/shacl``; tests/data/dcat-ap/) check the
range classes of the values, which plain DCAT leaves implicit: a landing page is a
``foaf:Document``, a licence a ``dct:LicenseDocument`` … :func:`type_values` states them for
the values the graph uses. :func:`add_profile` adds the agents (one publisher IRI; the agencies
that wrote the source texts as their creators), the contact point, the themes, the spatial and
temporal coverage, and describes the source texts as the datasets ``dct:source`` points at.

**Contact point.** ``CONTACT_EMAIL`` is a placeholder (``mailto:plankg@example.org``): a
deployment replaces it with a real address or issue tracker before publishing the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from plankg.build.facts import Facts, Source
from plankg.build.ntriples import term

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
FILE_TYPE = EU + "file-type/"
PUBLISHER_PATH = "agent/plankg"
PUBLISHER_NAMES = (("plankg project", "en"), ("plankg 專案", "zh-Hant"))
CONTACT_EMAIL = URIRef("mailto:plankg@example.org")  # a placeholder: see the module docstring
THEMES = {  # EU data themes (the DCAT-AP vocabulary): labels as the authority table gives them
    URIRef(EU + "data-theme/GOVE"): "Government and public sector",
    URIRef(EU + "data-theme/SOCI"): "Population and society",
}
TAIWAN = URIRef(EU + "country/TWN")
RANGES = {  # property -> the class DCAT-AP 3.0.1 (ranges.ttl) requires of its values
    DCAT.landingPage: FOAF.Document, FOAF.homepage: FOAF.Document, DCTERMS.license: DCTERMS.LicenseDocument,
    DCTERMS.language: DCTERMS.LinguisticSystem, DCAT.mediaType: DCTERMS.MediaType,
    DCAT.compressFormat: DCTERMS.MediaType, DCTERMS.format: DCTERMS.MediaTypeOrExtent,
    DCTERMS.conformsTo: DCTERMS.Standard, SPDX.algorithm: SPDX.ChecksumAlgorithm,
    DCAT.endpointURL: RDFS.Resource, DCAT.endpointDescription: RDFS.Resource, FOAF.primaryTopic: DCAT.Resource,
    DCTERMS.spatial: DCTERMS.Location, DCAT.theme: SKOS.Concept, DCAT.contactPoint: VCARD.Kind,
    DCTERMS.publisher: FOAF.Agent, DCTERMS.creator: FOAF.Agent, DCTERMS.temporal: DCTERMS.PeriodOfTime,
}


def publisher(g: Graph, base: str) -> URIRef:
    """The plankg project, publisher of the dataset, catalog and service: one IRI."""
    agent = URIRef(base + PUBLISHER_PATH)
    g.add((agent, RDF.type, FOAF.Agent))
    for text, lang in PUBLISHER_NAMES:
        g.add((agent, FOAF.name, Literal(text, lang=lang)))
    return agent


def add_profile(g: Graph, dataset: URIRef, base: str, facts: Mapping[str, Facts], sources: list) -> None:
    """Contact point, themes, coverage and source texts of ``dataset`` (``facts``: what the content
    graphs say of themselves, :mod:`plankg.build.facts`; ``sources``: their plan:SourceDocument IRIs)."""
    g.bind("vcard", VCARD)
    contact = URIRef(base + "agent/plankg/contact")
    g.add((dataset, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal("plankg project", lang="en")))
    g.add((contact, VCARD.hasEmail, CONTACT_EMAIL))
    for theme, label in THEMES.items():
        g.add((dataset, DCAT.theme, theme))
        g.add((theme, SKOS.prefLabel, Literal(label, lang="en")))
        g.add((theme, SKOS.inScheme, URIRef(EU + "data-theme")))
    g.add((dataset, DCTERMS.spatial, TAIWAN))
    g.add((TAIWAN, SKOS.prefLabel, Literal("Taiwan", lang="en")))
    years = sorted({y for f in facts.values() for y in f.years})
    if years:  # the fiscal year is the calendar year in Taiwan (since 2001)
        period = URIRef(f"{base}dataset/period/{years[0]}-{years[-1]}")
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, DCAT.startDate, Literal(f"{years[0]}-01-01", datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(f"{years[-1]}-12-31", datatype=XSD.date)))
    derived: dict[str, Source] = {}  # source -> as the first graph describes it
    for f in facts.values():
        for source in f.sources:
            derived.setdefault(source.iri, source)
    creators = {c for s in derived.values() for c in s.creators}
    labels: dict[str, list] = {}  # the skos:prefLabels of the creators in any graph
    for f in facts.values():
        for node, label in f.pref_labels:
            if node in creators:
                labels.setdefault(node, []).append(term(label))
    for source in sources:
        _describe_source(g, dataset, source, derived.get(str(source)), labels)


def _describe_source(g: Graph, dataset: URIRef, source: URIRef, found: Source | None,
                     labels: Mapping[str, list]) -> None:
    """A source text as the dcat:Dataset it is: the agency that wrote it is its creator and publisher."""
    g.add((dataset, DCTERMS.source, source))
    g.add((source, RDF.type, DCAT.Dataset))
    if found is None:
        return
    name = term(found.identifier) if found.identifier else None
    title = term(found.title) if found.title else None
    g.add((source, DCTERMS.title, Literal(f"{title}（原文 {name}）", lang="zh-Hant")))
    g.add((source, DCTERMS.description, Literal(
        f"The text of the annual plan {name} as its agency published it; the plan's graph is derived "
        "from it, line by line.", lang="en")))
    for creator in found.creators:
        org = URIRef(creator)
        g.add((source, DCTERMS.creator, org))
        g.add((source, DCTERMS.publisher, org))
        for label in labels.get(creator, ()):
            g.add((org, FOAF.name, label))


def type_values(g: Graph) -> None:
    """State the class DCAT-AP requires of each value of the properties in :data:`RANGES`; the
    dataset is a dcat:Resource (what a record's foaf:primaryTopic must be)."""
    for prop, cls in RANGES.items():
        for value in set(g.objects(None, prop)):
            g.add((value, RDF.type, cls))


__all__ = ["publisher", "add_profile", "type_values", "FILE_TYPE", "CONTACT_EMAIL", "THEMES", "TAIWAN"]
