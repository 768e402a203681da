"""The control record of a remote store (:mod:`plankg.store.remote`): which build its readers see,
its graphs and BUILD.json, and the marks of builds uploading or switching. It lives in the graph
``urn:plankg:control``, except on Oxigraph server (:func:`control_data`)."""

from __future__ import annotations

import json
from typing import Any

from plankg.errors import StoreError
from plankg.store.remote_http import RemoteSettings
from plankg.store.remote_protocol import run_query

CONTROL_GRAPH = "urn:plankg:control"  # the control record's node, and its graph (not on Oxigraph: see control_data)
RESERVED_PREFIX = "urn:plankg:"  # control and staging graphs: never part of a published dataset
CONTROL = "urn:plankg:"  # the control record's predicates: build, graphs, info, building, staging


def read_control(settings: RemoteSettings) -> dict[str, Any]:
    """The control record: ``build`` (name), ``graphs`` (the published IRIs), ``info``
    (BUILD.json), ``staging`` (graphs a build is uploading or a killed one left), ``building`` and
    ``switching`` (the builds uploading, and switching readers graph by graph) and ``uploading``
    (whether a build is uploading or left staging graphs)."""
    query = f"SELECT ?p ?o WHERE {{ {control_data(settings, f'<{CONTROL_GRAPH}> ?p ?o')} }}"
    rows = run_query(settings, [("query", query), *control_dataset(settings)])
    out: dict[str, Any] = {"graphs": [], "staging": [], "building": [], "switching": []}
    for row in rows:
        name, value = row["p"].value.removeprefix(CONTROL), row["o"].value
        if name in ("staging", "building", "switching"):
            out[name].append(value)
        elif name in ("info", "graphs"):
            try:
                out[name] = json.loads(value)
            except ValueError:
                raise StoreError(f"{settings.describe()}: the control record's {name} is not JSON") from None
        elif name == "build":
            out[name] = value
    out["uploading"] = bool(out["staging"] or out["building"])
    return out


def control_data(settings: RemoteSettings, triples: str) -> str:
    """``triples`` (about the control node) placed where the control record lives: in the graph
    ``urn:plankg:control``; on Oxigraph server in its default graph, so that its own union can
    serve the published graphs (the record's three triples are then part of that union: a query
    for every triple sees them; GRAPH never does)."""
    return triples if settings.kind == "oxigraph" else f"GRAPH <{CONTROL_GRAPH}> {{ {triples} }}"


def control_dataset(settings: RemoteSettings) -> list[tuple[str, str]]:
    """The dataset parameters of a query of the control record."""
    return [] if settings.kind == "oxigraph" else [("named-graph-uri", CONTROL_GRAPH)]


__all__ = ["CONTROL", "CONTROL_GRAPH", "RESERVED_PREFIX", "read_control", "control_data", "control_dataset"]
