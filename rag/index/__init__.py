"""Index: the on-disk format (generations, manifest, metadata), loading, building, vectors, BM25,
and the ingest pipeline that writes it.

What the later stages use: :class:`Index` (a loaded generation), the errors,
:func:`ingest` / :func:`remove_documents`, and :func:`check_index` (``rag check``).
"""
from .bm25 import LexicalIndex
from .build import write_generation
from .check import CheckReport, check_index, repair_pointer
from .format import (CURRENT, FORMAT_VERSION, IndexCorrupt, IndexMismatch, IndexNotFound, Manifest,
                     check_compatible, current_generation, live_generation, rebuild_hint, write_lock)
from .load import Index
from .meta import MetaStore
from .stores import STORES, check_store, open_index
from .update import IngestPlan, NothingToIngest, compact_index, ingest, remove_documents
from .vectors import INDEX_TYPES, build_vector_index, resolve_index_type, search_vectors

__all__ = ["LexicalIndex", "write_generation", "CheckReport", "check_index", "repair_pointer", "CURRENT",
           "FORMAT_VERSION", "IndexCorrupt", "IndexMismatch", "IndexNotFound", "Manifest", "check_compatible",
           "current_generation", "live_generation", "rebuild_hint", "write_lock", "Index", "IngestPlan",
           "NothingToIngest", "compact_index", "ingest", "remove_documents", "INDEX_TYPES", "build_vector_index", "search_vectors",
           "resolve_index_type", "MetaStore", "STORES", "check_store", "open_index"]
