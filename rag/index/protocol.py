"""What the later stages ask of an open index, whichever store holds it.

The local store's :class:`~rag.index.local.load.Index` (FAISS + BM25 + SQLite segments) and the Milvus
store's :class:`~rag.index.milvus.store.MilvusIndex` both answer it; :func:`rag.index.open_index`
opens the one ``settings.store`` names. The retriever, the answerers, the evals and the UI use
nothing else of an index; the ingest pipeline (:mod:`rag.index.pipeline`) also lists documents and
copies the passages and vectors of the ones it keeps.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Protocol, runtime_checkable

import numpy as np

from ..types import Chunk, Document
from .manifest import Manifest


@runtime_checkable
class Store(Protocol):
    folder: Path  # the index folder (the Milvus store keeps its local file there)
    manifest: Manifest  # the model, chunker and lexical settings it was built with
    documents: Mapping[str, Document]  # doc_id -> Document (the local store reads them on access)
    recovered: str  # how a lost CURRENT was recovered when it opened ("" when it was not)
    native_filters: bool  # True: dense() and lexical() take the Filters themselves, not allowed rows

    def __len__(self) -> int: ...  # passages (rows 0..n-1)

    def chunk(self, row: int) -> Chunk: ...

    def chunks_at(self, rows: Iterable[int]) -> list[Chunk]: ...

    def vectors_of(self, rows) -> np.ndarray: ...

    def rows_of_document(self, doc_id: str) -> np.ndarray: ...

    def passages_per_document(self) -> dict[str, int]: ...

    def rows_matching(self, filters) -> np.ndarray | None: ...  # None: every row

    def undated_documents(self, filters) -> int: ...

    def dense(self, qvec: np.ndarray, n: int, allowed=None) -> list[tuple[int, float]]: ...

    def lexical(self, tokens: Iterable[str], n: int, allowed=None) -> list[tuple[int, float]]: ...

    @property
    def scheme(self) -> str: ...  # the lexical tokenizer: "bigram" or "jieba"

    def idf(self, terms) -> dict[str, float]: ...

    def doc_freq(self, tokens) -> list[int]: ...

    def describe(self) -> dict: ...  # what `rag info` shows
