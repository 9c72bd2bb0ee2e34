"""A small in-memory stand-in for :class:`rag.index.Index`: the part of its interface that the
retriever's query analysis and second stage read (length, passages by row, BM25 statistics, vectors)."""
from __future__ import annotations

import numpy as np

from rag.index.local.bm25 import LexicalIndex
from rag.types import Chunk


class FakeIndex:
    def __init__(self, chunks: list[Chunk], dim: int = 8, seed: int = 0):
        self.chunks = chunks
        self.bm25 = LexicalIndex.build([c.embed_text() for c in chunks], "bigram")
        self._vectors = np.random.default_rng(seed).standard_normal((len(chunks), dim)).astype(np.float32)
        self._vectors /= np.linalg.norm(self._vectors, axis=1, keepdims=True)
        self.doc_of_row = np.array([c.doc_id for c in chunks], dtype=object)
        self.documents = {}

    def __len__(self) -> int:
        return len(self.chunks)

    def chunks_at(self, rows) -> list[Chunk]:
        return [self.chunks[int(r)] for r in rows]

    @property
    def scheme(self) -> str:
        return self.bm25.scheme

    def idf(self, terms) -> dict[str, float]:
        return self.bm25.idf(terms)

    def doc_freq(self, tokens) -> list[int]:
        return self.bm25.doc_freq(list(tokens))

    def vectors_of(self, rows) -> np.ndarray:
        return self._vectors[np.asarray(rows, dtype=np.int64)]


def chunk(i: int, text: str, doc: str | None = None, **kw) -> Chunk:
    return Chunk(f"c{i}", doc or f"d{i}", text, **kw)


def query_of(index, text: str):
    from rag.config import Settings
    from rag.search import Retriever

    return Retriever(index, None, Settings()).query(text)
