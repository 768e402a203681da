"""The linked-data site: every IRI under BASE, its pages and formats, the ontology, metadata and dumps."""
