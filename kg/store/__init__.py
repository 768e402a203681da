"""The knowledge-graph store: the interface (:class:`GraphStore`, :mod:`.graphstore`), the embedded Oxigraph
implementation (:mod:`.oxigraph`) and atomic publication of a build (:mod:`.publishing`)."""

from plankg.store.graphstore import GraphStore, QueryResult, RdfData
from plankg.store.oxigraph import (
    ROCKSDB_MARKER,
    UNION_TRIPLES_QUERY,
    OxigraphStore,
    has_dataset_clause,
    open_store,
    store_info,
)
from plankg.store.publishing import BUILD_INFO, NTriples, PublishResult, publish

__all__ = ["GraphStore", "OxigraphStore", "QueryResult", "RdfData", "open_store", "store_info", "has_dataset_clause",
           "UNION_TRIPLES_QUERY", "ROCKSDB_MARKER", "publish", "PublishResult", "NTriples", "BUILD_INFO"]
