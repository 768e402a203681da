"""The knowledge-graph store: the interface (:class:`GraphStore`), the embedded Oxigraph
implementation (:mod:`.oxigraph`) and atomic publication of a build (:mod:`.publishing`)."""

from plankg.store.oxigraph import (
    ROCKSDB_MARKER,
    UNION_TRIPLES_QUERY,
    GraphStore,
    OxigraphStore,
    QueryResult,
    has_dataset_clause,
    open_store,
    store_info,
)
from plankg.store.publishing import BUILD_INFO, NTriples, PublishResult, publish

__all__ = ["GraphStore", "OxigraphStore", "QueryResult", "open_store", "store_info", "has_dataset_clause",
           "UNION_TRIPLES_QUERY", "ROCKSDB_MARKER", "publish", "PublishResult", "NTriples", "BUILD_INFO"]
