"""BM25 as sparse vectors, for a store that searches them itself (Milvus).

The score is the one :class:`~rag.index.bm25.LexicalIndex` computes (bm25s, Lucene variant),
split in two: a passage's vector holds each token's saturated frequency
``tf / (tf + k1 * (1 - b + b * len / avglen))`` and a query's vector each token's
``idf * count``, so their inner product is the BM25 score. The IDF comes from the term statistics
at query time, so it follows every ingest; the length normalisation uses the average length when
the passage was written (a passage written early keeps the average of its day; a rebuild
refreshes it).
"""
from __future__ import annotations

import math
from collections import Counter

K1, B = 1.2, 0.75  # as LexicalIndex


def idf(df: int, n: int) -> float:
    """Lucene's BM25 inverse document frequency (never negative)."""
    return math.log(1 + (max(n, 1) - df + 0.5) / (df + 0.5))


def passage_weights(tokens: list[str], term_ids: dict[str, int], avg_len: float,
                    k1: float = K1, b: float = B) -> dict[int, float]:
    """The sparse vector of one passage: term id -> saturated term frequency."""
    length = max(len(tokens), 1)
    norm = k1 * (1 - b + b * length / max(avg_len, 1e-9))
    return {term_ids[t]: tf / (tf + norm) for t, tf in Counter(tokens).items() if t in term_ids}


def query_weights(tokens: list[str], stats: dict[str, tuple[int, int]], n: int) -> dict[int, float]:
    """The sparse vector of a query: term id -> idf * count. ``stats``: token -> (term id, df);
    tokens no passage holds are left out."""
    out: dict[int, float] = {}
    for t, count in Counter(tokens).items():
        if t in stats and stats[t][1] > 0:
            tid, df = stats[t]
            out[tid] = idf(df, n) * count
    return out
