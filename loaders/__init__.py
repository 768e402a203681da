"""Loaders turn source documents into plain Python objects (no RDF here).

``plankg.loaders.model`` holds the objects; ``plankg.loaders.plan_text`` reads the
施政計畫 text template; ``plankg.loaders.registry`` picks the loader of an input.
"""
