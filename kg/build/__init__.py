"""The build pipeline and its stages: plan text → loader objects → RDF (mapping, linker,
vocabularies) → SHACL → metadata and dumps → the store (:mod:`plankg.build.pipeline`)."""
