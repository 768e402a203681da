"""IRIs that are part of plankg's public contract. Plain strings: importing this is free."""

from __future__ import annotations

PLAN = "https://w3id.org/plankg/ontology#"
ONTOLOGY_IRI = "https://w3id.org/plankg/ontology"
DEFAULT_BASE = "https://w3id.org/plankg/id/"

DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
ELI = "http://data.europa.eu/eli/ontology#"
SCHEMA = "http://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"
SPDX = "http://spdx.org/rdf/terms#"
ONTOLOGY_VERSION_IRI = ONTOLOGY_IRI + "/0.1.0"
PROJECT_AGENT = DEFAULT_BASE + "agent/plankg"
"""The plankg project as an agent: creator of the ontology, publisher of the dataset (under the
default base, which the ontology file names; the metadata graph describes it)."""

PREFIXES = {
    "plan": PLAN,
    "dct": DCT,
    "skos": SKOS,
    "org": ORG,
    "prov": PROV,
    "eli": ELI,
    "schema": SCHEMA,
    "foaf": FOAF,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "spdx": SPDX,
}


def graph_iri(base: str, *parts: str | int) -> str:
    """The IRI of a named graph under ``base``: ``graph_iri(base, "mol", 108)``."""
    return base + "graph/" + "/".join(str(p) for p in parts)
