"""Settings shared by the CLI and the server: where the store is, which IRI base to mint under
and the public URL the site is served at.

Precedence: explicit argument (``--store``, ``--store-url``, ``--base``, ``--public-url``) >
environment (``PLANKG_STORE``, ``PLANKG_STORE_URL``, ``PLANKG_BASE``, ``PLANKG_PUBLIC_URL``) >
default (``./var/store``, none, ``https://w3id.org/plankg/id/``, none). With a store URL the graphs
live on that SPARQL server (:mod:`plankg.store.remote`) and the store directory keeps the builds'
files (dumps, BUILD.json).

**Identifier base vs public URL.** The base is what the IRIs are (``https://w3id.org/plankg/id/``:
persistent, redirected by w3id.org, see deploy/w3id/); the public URL is where the site is
served (``https://plankg.example.org/``): the dumps' ``dcat:downloadURL``, ``void:dataDump``,
the endpoint's ``dcat:endpointURL`` and the landing page derive from it. A build writes them into
the metadata graph, so the public URL is fixed at build time (and recorded in BUILD.json);
``plankg serve --public-url`` refuses a store built for another one. Unset, the build derives
the site from the base (:func:`plankg.build.meta.site_for`: the base without its ``id/``, i.e.
``https://w3id.org/plankg/``, which resolves only once the w3id redirects are registered) and
the service description names the URL each request came to.
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
ENV_PUBLIC_URL = "PLANKG_PUBLIC_URL"
ENV_STORE_URL = "PLANKG_STORE_URL"


@dataclass(frozen=True)
class Settings:
    store: Path
    base: str
    public_url: str | None = None  # None: derived from the base (see the module docstring)
    store_url: str | None = None  # a SPARQL server's query endpoint: the graphs live there, ``store`` keeps the files

    @property
    def location(self):
        """Where the graphs are (:func:`plankg.store.open_location`): the SPARQL server at
        ``store_url`` (its builds' files in ``store``), else the store directory ``store``."""
        if self.store_url:
            from plankg.store import RemoteLocation

            return RemoteLocation(self.store_url, self.store)
        return self.store


def resolve(store: str | os.PathLike | None = None, base: str | None = None,
            public_url: str | None = None, store_url: str | None = None) -> Settings:
    """Resolve the settings from arguments, then the environment, then the defaults."""
    store_path = Path(store or os.environ.get(ENV_STORE) or DEFAULT_STORE)
    base_iri = base or os.environ.get(ENV_BASE) or DEFAULT_BASE
    url = public_url or os.environ.get(ENV_PUBLIC_URL) or None
    return Settings(store=store_path, base=check_base(base_iri),
                    public_url=check_public_url(url) if url is not None else None,
                    store_url=store_url or os.environ.get(ENV_STORE_URL) or None)


def check_base(base: str) -> str:
    """An IRI base must be absolute http(s) and end with ``/`` so that paths append cleanly."""
    if not base.startswith(("http://", "https://")) or not base.endswith("/") or " " in base:
        raise PlanKGError(f"invalid IRI base {base!r}: expected an absolute http(s) IRI ending with '/'")
    return base


def check_public_url(url: str) -> str:
    """A public URL is the site root: absolute http(s), no query or fragment; a final ``/`` is added."""
    if not url.startswith(("http://", "https://")) or " " in url or "?" in url or "#" in url \
            or len(url.split("/")) < 3 or not url.split("/")[2]:
        raise PlanKGError(f"invalid public URL {url!r}: expected the absolute http(s) URL of the site root, "
                          "e.g. https://plankg.example.org/")
    return url if url.endswith("/") else url + "/"
