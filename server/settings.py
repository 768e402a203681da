"""The server's settings: one documented table, from which defaults, the README and checks come.

Every limit is named here. ``create_app(config)`` takes a mapping of these names; ``plankg serve``
fills it from its options and ``PLANKG_*`` environment variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("STORE", "var/store", "Store directory (a plankg build); with STORE_URL, the directory of the builds' files (dumps)."),
    Setting("STORE_URL", None, "Query endpoint of a SPARQL server that holds the graphs (plankg build --store-url); its other endpoints and credentials come from PLANKG_STORE_* variables (docs/deploy.md); unset = the embedded store in STORE."),
    Setting("BASE", "https://w3id.org/plankg/id/", "IRI base of the identifiers served under /id/."),
    Setting("PUBLIC_URL", None, "Public URL of the site root (https://host/); the service description names its /sparql as the endpoint, and the store must have been built for it (plankg build --public-url); unset = the URL each request came to."),
    Setting("QUERY_TIMEOUT_S", 30.0, "Wall-clock limit of one SPARQL query or update; past it → 503, and work that cannot be cancelled ends with its worker process."),
    Setting("MAX_BODY_BYTES", 1 << 20, "Largest request body for a query or update (bytes); larger → 413."),
    Setting("MAX_UPLOAD_BYTES", 64 << 20, "Largest Graph Store Protocol upload (bytes); larger → 413."),
    Setting("MEMORY_MAX_QUADS", 250_000, "A read-only store of at most this many quads is queried from a copy in each worker's memory (about 0.7 KiB a quad; several times faster than reading from disk), made when the worker starts (about 1 s per 100,000 quads); 0 = always from disk."),
    Setting("MEMORY_LIMIT_MIB", 0, "Memory bound of each worker process (resident set, MiB); past it the queries the worker is running get 503 and the worker retires (past 1.25 times it, it ends at once); 0 = 60% of the machine's memory (or its cgroup's limit, if lower) divided by the number of workers."),
    Setting("MAX_EXPENSIVE_QUERIES", 2, "Queries that sort, group, aggregate, DISTINCT, MINUS or nest a subquery (held whole in memory before their first row) running at once in each worker; others wait, until their time limit at most; 0 = no cap."),
    Setting("CACHE_MAX_AGE_S", 60, "max-age of the Cache-Control header of a read-only server's answers (each also has an ETag and a Last-Modified tied to the published build, and a matching If-None-Match or If-Modified-Since gets 304); 0 = revalidate every time."),
    Setting("RESULT_CACHE_MIB", 64, "Memory each worker of a read-only server keeps answers in (least recently used out; a new build empties it); 0 = none."),
    Setting("RESULT_CACHE_ITEM_BYTES", 262144, "Largest answer kept in the result cache (bytes)."),
    Setting("MAX_HTML_ROWS", 1000, "Most rows shown in an HTML result page; more are cut and the page says so."),
    Setting("UPDATE_TOKEN", None, "Bearer token that enables SPARQL Update and Graph Store writes; unset = read-only."),
    Setting("FEDERATION_ALLOWLIST", (), "IRI prefixes that SERVICE and LOAD may reach; empty = none."),
    Setting("CORS_ORIGINS", "*", "Value of Access-Control-Allow-Origin."),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}
