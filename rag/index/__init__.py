"""Index: the two stores that hold passages, vectors and BM25, and the ingest pipeline that writes them.

- :mod:`.local`: the default store, a folder of FAISS vectors, BM25 term frequencies and SQLite
  metadata in segments and generations; :mod:`.milvus`: a Milvus collection (``store = "milvus"``).
- Both answer :class:`~.protocol.Store` (what search asks of an open index); :mod:`.stores` opens
  and writes the one the settings name; :mod:`.pipeline` holds the ingest stages they share;
  :mod:`.manifest`, :mod:`.lock` and :mod:`.records` what both record.

What the later stages use: :class:`Index` (a loaded generation of the local store),
:func:`open_index`, the errors, :func:`ingest` / :func:`remove_documents` / :func:`compact_index`,
and :func:`check_index` (``rag check``).
"""
from .local.bm25 import LexicalIndex
from .local.build import write_generation
from .local.check import CheckReport, check_index, repair_pointer
from .local.format import CURRENT, current_generation, live_generation
from .local.load import Index
from .local.meta import MetaStore
from .local.vectors import INDEX_TYPES, build_vector_index, resolve_index_type, search_vectors
from .lock import write_lock
from .manifest import (FORMAT_VERSION, IndexCorrupt, IndexMismatch, IndexNotFound, Manifest, check_compatible,
                       rebuild_hint)
from .pipeline import IngestPlan, NothingToIngest
from .protocol import Store
from .stores import STORES, check_store, compact_index, ingest, open_index, remove_documents

__all__ = ["LexicalIndex", "write_generation", "CheckReport", "check_index", "repair_pointer", "CURRENT",
           "FORMAT_VERSION", "IndexCorrupt", "IndexMismatch", "IndexNotFound", "Manifest", "check_compatible",
           "current_generation", "live_generation", "rebuild_hint", "write_lock", "Index", "IngestPlan",
           "NothingToIngest", "compact_index", "ingest", "remove_documents", "INDEX_TYPES", "build_vector_index", "search_vectors",
           "resolve_index_type", "MetaStore", "STORES", "check_store", "open_index", "Store"]
