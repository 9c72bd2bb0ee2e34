"""BM25 over passages (the Lucene variant, as bm25s computes it), kept as numpy arrays that
are memory-mapped when an index opens: nothing is parsed into Python objects.

Files in ``lexical/``::

    lexical.json            scheme, passages, k1, b
    data.csc.index.npy      BM25 weight of each (term, passage) pair, column by column (CSC)
    indices.csc.index.npy   the passage row of each weight
    indptr.csc.index.npy    where each term's column starts
    terms.npy               xxh64 of each term, sorted (uint64)
    term_cols.npy           the column of each hashed term

Terms are looked up by their 64-bit hash (a collision among a few million terms has a chance
of about 1e-7, and would only merge two terms' columns), so the vocabulary costs 16 bytes a
term on disk and nothing in memory until a query reads it. Scores equal bm25s's "lucene"
method (``tests/index/test_bm25.py`` compares them). Tokenisation is :func:`rag.text.tokenize`;
a query arrives already tokenised (:attr:`rag.search.Query.tokens`).
"""
from __future__ import annotations

import json
from array import array
from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np
import xxhash

from ..text import check_scheme, tokenize
from .arrays import load_array

ARRAYS = ("data", "indices", "indptr")


def term_hash(term: str) -> int:
    return xxhash.xxh64_intdigest(term.encode("utf-8"))


class LexicalIndex:
    """BM25 over passage texts: score every passage for a query, document frequencies, IDF."""

    def __init__(self, scheme: str = "bigram", n: int = 0, data=None, indices=None, indptr=None,
                 terms=None, term_cols=None, k1: float = 1.2, b: float = 0.75):
        self.scheme = scheme
        self.n = n
        self.k1, self.b = k1, b
        self.data = data if data is not None else np.zeros(0, np.float32)
        self.indices = indices if indices is not None else np.zeros(0, np.int32)
        self.indptr = indptr if indptr is not None else np.zeros(1, np.int64)
        self.terms = terms if terms is not None else np.zeros(0, np.uint64)
        self.term_cols = term_cols if term_cols is not None else np.zeros(0, np.int32)

    # ------------------------------------------------------------ building
    @classmethod
    def build(cls, texts: Iterable[str], scheme: str = "bigram", k1: float = 1.2, b: float = 0.75) -> "LexicalIndex":
        """BM25 over ``texts`` (any iterable: read once, one passage at a time)."""
        scheme = check_scheme(scheme)
        vocab: dict[str, int] = {}
        cols, tfs, lengths, distinct = array("i"), array("f"), array("i"), array("i")
        for text in texts:
            toks = tokenize(text, scheme) or [""]
            counts = Counter(toks)
            lengths.append(len(toks))
            distinct.append(len(counts))
            cols.extend([vocab.setdefault(t, len(vocab)) for t in counts])
            tfs.extend(counts.values())
        n = len(lengths)
        if not n:
            return cls(scheme, 0, k1=k1, b=b)
        from scipy.sparse import csr_matrix

        col = np.frombuffer(cols, dtype=np.int32)
        per_passage = np.frombuffer(distinct, dtype=np.int32)
        dl = np.frombuffer(lengths, dtype=np.int32).astype(np.float32)
        df = np.bincount(col, minlength=len(vocab)).astype(np.float64)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = (k1 * ((1 - b) + b * dl / dl.mean())).astype(np.float32)
        tf = np.frombuffer(tfs, dtype=np.float32)
        weight = idf[col] * (tf / (np.repeat(norm, per_passage) + tf))  # Lucene BM25 of each pair
        del tf, tfs
        rowptr = np.zeros(n + 1, np.int64)
        np.cumsum(per_passage, out=rowptr[1:])
        csc = csr_matrix((weight, col, rowptr), shape=(n, len(vocab))).tocsc()  # passages ascending per term
        del weight
        data = csc.data.astype(np.float32, copy=False)
        indices = csc.indices.astype(np.int32, copy=False)
        indptr = csc.indptr.astype(np.int64, copy=False)
        hashes = np.fromiter((term_hash(t) for t in vocab), dtype=np.uint64, count=len(vocab))
        by_hash = np.argsort(hashes)
        return cls(scheme, n, data, indices, indptr, hashes[by_hash], by_hash.astype(np.int32), k1, b)

    # ------------------------------------------------------------ reading
    def columns(self, tokens: Iterable[str]) -> list[int]:
        """The column of each token (-1 for a token the index does not hold)."""
        toks = list(tokens)
        if not toks or not len(self.terms):
            return [-1] * len(toks)
        h = np.fromiter((term_hash(t) for t in toks), dtype=np.uint64, count=len(toks))
        pos = np.minimum(np.searchsorted(self.terms, h), len(self.terms) - 1)
        found = np.asarray(self.terms[pos]) == h
        cols = np.asarray(self.term_cols[pos])
        return [int(c) if f else -1 for c, f in zip(cols, found)]

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage for query ``tokens`` (zeros when none is in the index).
        A token repeated in the query counts once per repetition, as in bm25s."""
        scores = np.zeros(self.n, np.float32)
        for c in self.columns(tokens):
            if c >= 0:
                s, e = int(self.indptr[c]), int(self.indptr[c + 1])
                scores[self.indices[s:e]] += self.data[s:e]  # a column holds each passage once
        return scores

    def doc_freq(self, tokens: list[str]) -> list[int]:
        """Number of passages holding each token."""
        return [int(self.indptr[c + 1] - self.indptr[c]) if c >= 0 else 0 for c in self.columns(tokens)]

    def idf(self, tokens) -> dict[str, float]:
        """Each distinct token's BM25 inverse document frequency in this index."""
        n = max(self.n, 1)
        toks = list(dict.fromkeys(tokens))
        return {t: float(np.log(1 + (n - d + 0.5) / (d + 0.5))) for t, d in zip(toks, self.doc_freq(toks))}

    def top(self, tokens: list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` best-scoring passages with a positive score, best first, optionally only
        among ``allowed`` rows."""
        scores = self.scores(list(tokens))
        if not len(scores) or k <= 0:
            return []
        if allowed is not None:
            masked = np.full_like(scores, -1.0)
            masked[allowed] = scores[allowed]
            scores = masked
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]

    # ------------------------------------------------------------ files
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "lexical.json").write_text(json.dumps({"scheme": self.scheme, "n": self.n, "k1": self.k1,
                                                         "b": self.b, "terms": int(len(self.terms))}))
        for name in ARRAYS:
            np.save(folder / f"{name}.csc.index.npy", np.asarray(getattr(self, name)), allow_pickle=False)
        np.save(folder / "terms.npy", np.asarray(self.terms), allow_pickle=False)
        np.save(folder / "term_cols.npy", np.asarray(self.term_cols), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> "LexicalIndex":
        """The arrays in ``folder``, memory-mapped (read-only) unless ``mmap`` is False."""
        meta = json.loads((folder / "lexical.json").read_text())
        arrays = {name: load_array(folder / f"{name}.csc.index.npy", mmap) for name in ARRAYS}
        terms = load_array(folder / "terms.npy", mmap)
        term_cols = load_array(folder / "term_cols.npy", mmap)
        return cls(meta["scheme"], int(meta["n"]), arrays["data"], arrays["indices"], arrays["indptr"],
                   terms, term_cols, float(meta.get("k1", 1.2)), float(meta.get("b", 0.75)))

