"""Files shipped inside the package (ontology, vocabularies, mappings, shapes, bundled plans, budgets).

Always located with :mod:`importlib.resources` on their own package anchor, never relative to
the working directory or to ``plankg``'s folder (that breaks editable installs).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

ONTOLOGY_FILE = "plankg.ttl"


def _ttl(package: str) -> list[Traversable]:
    return sorted((f for f in files(package).iterdir() if f.name.endswith(".ttl")), key=lambda f: f.name)


def ontology() -> Traversable:
    return files("plankg.ontology").joinpath(ONTOLOGY_FILE)


def vocabularies() -> list[Traversable]:
    return _ttl("plankg.ontology.vocab")


def mappings() -> list[Traversable]:
    return _ttl("plankg.ontology.mappings")


def shapes() -> list[Traversable]:
    return _ttl("plankg.shapes")


def bundled_plans() -> list[Traversable]:
    return sorted((f for f in files("plankg.plans").iterdir() if f.name.endswith(".txt")), key=lambda f: f.name)


def budget_files() -> list[Traversable]:
    """The central budget CSVs (gzip) of ``data/budget``; read them with ``plankg.loaders.budget_csv``."""
    return sorted((f for f in files("plankg.data.budget").iterdir() if f.name.endswith(".csv.gz")),
                  key=lambda f: f.name)


def budget_file(name: str) -> Traversable:
    return files("plankg.data.budget").joinpath(name)
