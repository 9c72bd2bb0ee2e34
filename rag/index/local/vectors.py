"""The FAISS vector index: exact inner product while the corpus is small, an approximate index
with exact re-scoring beyond that.

Types (``index_type``):

- ``flat``: exact inner product over every vector.
- ``hnsw``: HNSW graph over full vectors (approximate candidates, exact scores).
- ``hnswsq8``: HNSW graph over 8-bit scalar-quantised vectors (a quarter of the memory); the
  shortlist it finds is re-scored exactly from ``vectors.npy`` (memory-mapped).
- ``ivfsq8``: an inverted file of 8-bit codes, re-scored the same way.
- ``ivfpq``: an inverted file of product-quantised vectors, re-scored the same way.
- ``auto``: ``flat`` up to ``flat_max_passages`` passages, ``hnswsq8`` above
  (:func:`resolve_index_type`; the manifest records the type that was built).

On the crud-news sample's real vectors and questions, recall@10 against exact search after
re-scoring: hnswsq8 0.988 (M 32, efSearch 256); ivfsq8 0.92 with 1/8 of the lists probed and
0.99 only with half of them (e5 vectors crowd into one narrow cone, which an inverted file
partitions badly). Hence hnswsq8 for ``auto`` (docs/decisions.md).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

INDEX_TYPES = ("auto", "flat", "hnsw", "hnswsq8", "ivfsq8", "ivfpq")
LOSSY = ("hnswsq8", "ivfsq8", "ivfpq")  # keep exact vectors beside the index, for re-scoring
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 256
RESCORE = 4  # an approximate index shortlists RESCORE * k (at least 64) passages for exact re-scoring


def _faiss():
    import faiss

    return faiss


def resolve_index_type(index_type: str, n: int, flat_max: int) -> str:
    """The type to build for ``n`` passages: ``auto`` is exact up to ``flat_max`` passages."""
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown index type {index_type!r}; choose one of {INDEX_TYPES}")
    if index_type == "auto":
        return "flat" if n <= flat_max else "hnswsq8"
    return index_type


def _nlist(n: int) -> int:
    """Lists of an IVF index: about sqrt(n) (1,000 at a million passages), each trained on 40+."""
    return int(max(1, min(np.sqrt(n), n // 40)))


def _nprobe(nlist: int) -> int:
    """Lists searched: 1/16 of them, at least 16 (recall@10 >= 0.98 after re-scoring; docs/decisions.md)."""
    return min(nlist, max(16, nlist // 16))


def _train_sample(vectors: np.ndarray, nlist: int) -> np.ndarray:
    """40 vectors per list (FAISS asks for 39 to 256; k-means cost grows with them), taken evenly."""
    want = min(len(vectors), 40 * nlist)
    step = max(1, len(vectors) // want)
    return np.ascontiguousarray(vectors[::step][:want], dtype=np.float32)


def build_vector_index(vectors: np.ndarray, index_type: str = "flat", batch: int = 65536):
    """A FAISS index over L2-normalized ``vectors`` scored by inner product (= cosine).
    ``vectors`` may be a memory-mapped array: it is added in batches."""
    faiss = _faiss()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # this thread may have searched (one thread) before
    n, d = vectors.shape
    if index_type == "flat":
        index = faiss.IndexFlatIP(d)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    elif index_type == "hnswsq8":
        index = faiss.IndexHNSWSQ(d, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        index.train(_train_sample(vectors, 1000))
    elif index_type in LOSSY:
        if n < 40 * 16:
            raise ValueError(f"{index_type} needs at least {40 * 16} passages to train on, the index has {n}: "
                             "use index_type = flat (exact, and fast at this size) or auto")
        nlist = _nlist(n)
        quantizer = faiss.IndexFlatIP(d)
        if index_type == "ivfsq8":
            index = faiss.IndexIVFScalarQuantizer(quantizer, d, nlist, faiss.ScalarQuantizer.QT_8bit,
                                                  faiss.METRIC_INNER_PRODUCT)
        else:
            m = next(m for m in (48, 32, 24, 16, 12, 8, 4, 2, 1) if d % m == 0)
            index = faiss.IndexIVFPQ(quantizer, d, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
        index.train(_train_sample(vectors, nlist))
        index.nprobe = _nprobe(nlist)
    else:
        raise ValueError(f"unknown index type {index_type!r}; choose one of {INDEX_TYPES}")
    for i in range(0, n, batch):
        index.add(np.ascontiguousarray(vectors[i:i + batch], dtype=np.float32))
    return index


def save_vector_index(index, path: Path) -> None:
    _faiss().write_index(index, str(path))


def load_vector_index(path: Path):
    return _faiss().read_index(str(path))


def exact_vectors(index) -> np.ndarray | None:
    """All stored vectors, when the index keeps them exactly (flat, HNSW), as a read-only view of
    the index's own memory (valid while ``index`` lives; nothing is copied); else None."""
    faiss = _faiss()
    if isinstance(index, faiss.IndexHNSWFlat):
        index = faiss.downcast_index(index.storage)
    if isinstance(index, faiss.IndexFlat):
        if not index.ntotal:
            return np.zeros((0, index.d), np.float32)
        view = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
        view.flags.writeable = False
        return view
    return None


def is_exact(index) -> bool:
    """Whether the index's scores are exact inner products (flat, HNSW over full vectors)."""
    faiss = _faiss()
    return isinstance(index, (faiss.IndexFlat, faiss.IndexHNSWFlat))


def search_vectors(index, query: np.ndarray, k: int, allowed: np.ndarray | None = None,
                   excluded: np.ndarray | None = None):
    """Top-``k`` rows and scores for one query vector, optionally only among ``allowed`` rows,
    or leaving out ``excluded`` rows (deleted ones).

    One query runs on one thread: FAISS's other OpenMP threads would only spin (4x slower on two
    busy cores, measured). The setting holds for the calling thread only."""
    faiss = _faiss()
    faiss.omp_set_num_threads(1)
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    params = None
    sel = None
    if allowed is not None:
        sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
    elif excluded is not None and len(excluded):
        inner = faiss.IDSelectorBatch(np.ascontiguousarray(excluded, dtype=np.int64))
        sel = faiss.IDSelectorNot(inner)
    if sel is not None:
        if isinstance(index, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(index.hnsw.efSearch, k))
        elif isinstance(index, faiss.IndexIVF):
            params = faiss.SearchParametersIVF(sel=sel, nprobe=index.nprobe)
        else:
            params = faiss.SearchParameters(sel=sel)
    scores, rows = index.search(q, k, params=params) if params else index.search(q, k)
    keep = rows[0] >= 0
    return rows[0][keep], scores[0][keep]


def search_rescored(index, exact: np.ndarray | None, query: np.ndarray, k: int,
                    allowed: np.ndarray | None = None,
                    excluded: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` rows by exact inner product. An approximate index (one without exact scores)
    shortlists ``RESCORE * k`` rows, which are scored exactly from ``exact`` and cut to ``k``.
    A small ``allowed`` set is scored exactly outright."""
    if exact is None or is_exact(index):
        return search_vectors(index, query, k, allowed, excluded)
    if allowed is not None and len(allowed) <= 4096:
        rows = np.sort(np.asarray(allowed, dtype=np.int64))
        scores = np.asarray(exact[rows] @ query, dtype=np.float32)
        top = np.argsort(-scores, kind="stable")[:k]
        return rows[top], scores[top]
    rows, _ = search_vectors(index, query, max(RESCORE * k, 64), allowed, excluded)
    order = np.argsort(rows)
    rows = rows[order]
    scores = np.asarray(exact[rows] @ query, dtype=np.float32)
    top = np.argsort(-scores, kind="stable")[:k]
    return rows[top], scores[top]
