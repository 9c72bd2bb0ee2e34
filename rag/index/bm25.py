"""BM25 over passages (bm25s, Lucene variant), saved as arrays + JSON (no pickle).

Tokenisation is :func:`rag.text.tokenize`; a query arrives already tokenised
(:attr:`rag.search.Query.tokens`), so it is segmented once however many times it is scored.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from ..text import check_scheme, tokenize


def import_bm25s():
    """bm25s, imported without numba and scipy. bm25s imports both whenever they are installed
    (most of a second of a one-shot ``rag search``) although we use neither: it scores with its
    numpy backend (``get_scores``) and builds with its numpy CSC backend, the defaults. They are
    hidden from it for the length of the import (it handles their absence itself)."""
    if "bm25s" in sys.modules:
        return sys.modules["bm25s"]
    hidden = [m for m in ("numba", "scipy") if m not in sys.modules]
    for m in hidden:
        sys.modules[m] = None  # makes `import m` raise ImportError
    try:
        import bm25s
    finally:
        for m in hidden:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]
    return bm25s


class LexicalIndex:
    """BM25 over chunk texts (bm25s, Lucene variant)."""

    def __init__(self, scheme: str = "bigram", k1: float = 1.2, b: float = 0.75):
        bm25s = import_bm25s()
        self.scheme = scheme
        self.bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        self.n = 0

    @classmethod
    def build(cls, texts: list[str], scheme: str = "bigram") -> "LexicalIndex":
        idx = cls(check_scheme(scheme))
        idx.n = len(texts)
        if texts:
            idx.bm25.index([tokenize(t, scheme) or [""] for t in texts], show_progress=False)
        return idx

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage for query ``tokens`` (zeros when none is in the index)."""
        if not self.n:
            return np.zeros(0, np.float32)
        vocab = self.bm25.vocab_dict
        toks = [t for t in tokens if t in vocab]
        if not toks:
            return np.zeros(self.n, np.float32)
        return np.asarray(self.bm25.get_scores(toks), dtype=np.float32)

    def doc_freq(self, tokens: list[str]) -> list[int]:
        """Number of passages holding each token."""
        df = getattr(self, "_df", None)
        if df is None:
            df = self._df = np.diff(self.bm25.scores["indptr"])  # passages per token (CSC columns)
        vocab = self.bm25.vocab_dict
        return [int(df[vocab[t]]) if t in vocab else 0 for t in tokens]

    def idf(self, tokens) -> dict[str, float]:
        """Each distinct token's BM25 inverse document frequency in this index."""
        n = max(self.n, 1)
        toks = list(tokens)
        return {t: float(np.log(1 + (n - d + 0.5) / (d + 0.5))) for t, d in zip(toks, self.doc_freq(toks))}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "lexical.json").write_text(json.dumps({"scheme": self.scheme, "n": self.n}))
        if self.n:
            self.bm25.save(str(folder), allow_pickle=False, show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        bm25s = import_bm25s()
        meta = json.loads((folder / "lexical.json").read_text())
        idx = cls(meta["scheme"])
        idx.n = meta["n"]
        if idx.n:
            idx.bm25 = bm25s.BM25.load(str(folder), mmap=False, allow_pickle=False)
        return idx
