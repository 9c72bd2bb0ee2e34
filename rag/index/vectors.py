"""The FAISS vector index: exact inner product by default, HNSW or IVF-PQ for large corpora."""
from __future__ import annotations

from pathlib import Path

import numpy as np

INDEX_TYPES = ("flat", "hnsw", "ivfpq")


def _faiss():
    import faiss

    return faiss


def build_vector_index(vectors: np.ndarray, index_type: str = "flat"):
    """A FAISS index over L2-normalized ``vectors`` scored by inner product (= cosine)."""
    faiss = _faiss()
    n, d = vectors.shape
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if index_type == "flat":
        index = faiss.IndexFlatIP(d)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    elif index_type == "ivfpq":
        nlist = max(1, min(int(4 * np.sqrt(n)), n // 39))
        if n < 39 * 16:
            raise ValueError(f"ivfpq needs at least {39 * 16} passages to train on, the index has {n}: "
                             "use index_type = flat (exact, and fast at this size)")
        m = next(m for m in (48, 32, 24, 16, 12, 8, 4, 2, 1) if d % m == 0)
        index = faiss.IndexIVFPQ(faiss.IndexFlatIP(d), d, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(16, nlist)
    else:
        raise ValueError(f"unknown index type {index_type!r}; choose one of {INDEX_TYPES}")
    if n:
        index.add(vectors)
    return index


def save_vector_index(index, path: Path) -> None:
    _faiss().write_index(index, str(path))


def load_vector_index(path: Path):
    return _faiss().read_index(str(path))


def exact_vectors(index) -> np.ndarray | None:
    """All stored vectors, when the index keeps them exactly (flat, HNSW); else None."""
    faiss = _faiss()
    if isinstance(index, faiss.IndexHNSWFlat):
        index = faiss.downcast_index(index.storage)
    if isinstance(index, faiss.IndexFlat):
        return faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(
            index.ntotal, index.d).copy()
    return None


def search_vectors(index, query: np.ndarray, k: int, allowed: np.ndarray | None = None):
    """Top-``k`` rows and scores for one query vector, optionally only among ``allowed`` rows."""
    faiss = _faiss()
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    params = None
    if allowed is not None:
        sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        if isinstance(index, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(128, k))
        elif isinstance(index, faiss.IndexIVF):
            params = faiss.SearchParametersIVF(sel=sel, nprobe=index.nprobe)
        else:
            params = faiss.SearchParameters(sel=sel)
    scores, rows = index.search(q, k, params=params) if params else index.search(q, k)
    keep = rows[0] >= 0
    return rows[0][keep], scores[0][keep]
