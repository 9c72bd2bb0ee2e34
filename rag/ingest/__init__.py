"""Ingest: files -> documents as read -> layout repaired -> passages (chunks).

What the later stages use: :func:`read_all` / :func:`iter_files` / :func:`read_path` (reading,
bad files come back as ``Skipped``), :func:`prepare_document` (layout + chunking) and
:func:`counter` (tiktoken, offline). The pipeline that turns these into an index lives in
:mod:`rag.index.pipeline`, since it drives the embedder and writes the index.
"""
from .chunker import chunk_document
from .layout import Layout, parse_layout
from .prepare import Prepared, prepare_document
from .readers import (MAX_FILE_BYTES, SUPPORTED, RawDocument, ReadError, decode_bytes, doc_id_for, fingerprint,
                      iter_files, read_all, read_path, text_only)
from .tokens import counter, get_encoding, seed_tiktoken_cache

__all__ = ["chunk_document", "Layout", "parse_layout", "Prepared", "prepare_document", "MAX_FILE_BYTES",
           "SUPPORTED", "RawDocument", "ReadError", "decode_bytes", "doc_id_for", "fingerprint", "iter_files",
           "read_all", "read_path", "text_only", "counter", "get_encoding", "seed_tiktoken_cache"]
