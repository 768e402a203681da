"""Settings shared by the CLI and the server: where the store is and which IRI base to mint under.

Precedence: explicit argument (``--store``, ``--base``) > environment (``PLANKG_STORE``,
``PLANKG_BASE``) > default (``./var/store``, ``https://w3id.org/plankg/id/``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from plankg.errors import PlanKGError
from plankg.namespaces import DEFAULT_BASE

DEFAULT_STORE = Path("var") / "store"
ENV_STORE = "PLANKG_STORE"
ENV_BASE = "PLANKG_BASE"


@dataclass(frozen=True)
class Settings:
    store: Path
    base: str


def resolve(store: str | os.PathLike | None = None, base: str | None = None) -> Settings:
    """Resolve the settings from arguments, then the environment, then the defaults."""
    store_path = Path(store or os.environ.get(ENV_STORE) or DEFAULT_STORE)
    base_iri = base or os.environ.get(ENV_BASE) or DEFAULT_BASE
    return Settings(store=store_path, base=check_base(base_iri))


def check_base(base: str) -> str:
    """An IRI base must be absolute http(s) and end with ``/`` so that paths append cleanly."""
    if not base.startswith(("http://", "https://")) or not base.endswith("/") or " " in base:
        raise PlanKGError(f"invalid IRI base {base!r}: expected an absolute http(s) IRI ending with '/'")
    return base
