"""Fusing the dense and lexical result lists: a convex combination of normalised scores (the
default) or reciprocal rank fusion (Cormack et al., 2009)."""
from __future__ import annotations


def rrf(rankings: list[list[int]], k: int = 60, weights: list[float] | None = None) -> list[tuple[int, float]]:
    """Fuse ranked lists of ids; returns ``(id, score)`` best first.

    Each list contributes ``weight / (k + rank)`` (rank from 1) for every id it holds. Ties keep
    the order in which ids first appear, lists taken in the order given.
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    order = {item: i for i, item in enumerate(dict.fromkeys(x for r in rankings for x in r))}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


def _minmax(values: list[float]) -> list[float]:
    lo, hi = min(values), max(values)
    return [(v - lo) / (hi - lo) if hi > lo else 1.0 for v in values]


def convex(dense: list[tuple[int, float]], lexical: list[tuple[int, float]],
           dense_weight: float = 0.3) -> list[tuple[int, float]]:
    """Fuse scored lists by a weighted sum of min-max normalised scores; ``(id, score)`` best first.

    Each list is scaled to 0..1 over its own candidates. An id missing from the dense list takes
    that list's lowest score; one missing from the lexical list scores 0 there (BM25 of a passage
    sharing no query term). Ties keep first-appearance order, dense list first. On CMRC 2018 and
    crud-news this beat reciprocal rank fusion and both single modes (see docs/decisions.md).
    """
    if not dense or not lexical:
        only = dense or lexical
        return list(zip([i for i, _ in only], _minmax([s for _, s in only]))) if only else []
    d_floor = min(s for _, s in dense)
    d = dict(dense)
    lx = dict(lexical)
    ids = list(dict.fromkeys([i for i, _ in dense] + [i for i, _ in lexical]))
    dn = _minmax([d.get(i, d_floor) for i in ids])
    ln = _minmax([lx.get(i, 0.0) for i in ids] + [0.0])[:-1]
    fused = [(i, dense_weight * a + (1 - dense_weight) * b) for i, a, b in zip(ids, dn, ln)]
    order = {i: n for n, i in enumerate(ids)}
    return sorted(fused, key=lambda kv: (-kv[1], order[kv[0]]))
